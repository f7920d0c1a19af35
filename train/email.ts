// Turns a raw SpamAssassin message (headers + MIME body) into the plain text the model reads:
// the subject, then the body with the MIME scaffolding, HTML and encodings stripped. The model
// only sees the first 19 words, so what matters is that those are words a person would read,
// not headers or markup. Deliberately simple line-based cleanup, not a MIME parser.

/** Subject + cleaned body, whitespace collapsed. */
export function emailText(raw: string): string {
  const { subject, body } = emailParts(raw);
  return collapseSpaces(`${subject}\n${body}`);
}

/** The plain subject (see `plainSubject`) and the cleaned body (whitespace collapsed) of a raw message. */
export function emailParts(raw: string): { subject: string; body: string } {
  const message = raw.replace(/\r\n?/g, '\n');
  const split = message.indexOf('\n\n');
  const headers = split < 0 ? message : message.slice(0, split);
  const body = split < 0 ? '' : message.slice(split + 2);
  return { subject: plainSubject(subjectOf(headers)), body: collapseSpaces(cleanBody(body)) };
}

const REPLY_PREFIX = /^(?:(?:re|fw|fwd|aw)(?:\[\d+\])?\s*:\s*|\[[^\]]{1,40}\]\s*)+/i;

/**
 * The subject without reply/forward prefixes and mailing-list tags (`Re: [SAtalk] x` → `x`):
 * the tags name the corpus's lists, nearly all ham, a sign no everyday message carries.
 */
export function plainSubject(subject: string): string {
  return subject.replace(REPLY_PREFIX, '').trim();
}

/** The Subject header, unfolded, with RFC 2047 encoded words decoded. */
export function subjectOf(headers: string): string {
  const match = /^subject:(.*(?:\n[ \t].*)*)/im.exec(headers);
  if (match === null) return '';
  return decodeEncodedWords(match[1].replace(/\n[ \t]+/g, ' ')).trim();
}

/** `=?charset?B|Q?text?=` → text (as latin1/utf-8 bytes; good enough for word splitting). */
function decodeEncodedWords(text: string): string {
  return text.replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_, charset: string, encoding: string, data: string) => {
    const bytes =
      encoding.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64')
        : Buffer.from(decodeQuotedPrintable(data.replace(/_/g, ' ')), 'latin1');
    return bytes.toString(/utf-?8/i.test(charset) ? 'utf8' : 'latin1');
  });
}

function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const MIME_PREAMBLE = /^this is a multi-part message in mime format\.?$/i;
const MIME_BOUNDARY = /^--\S+$/;
const MIME_PART_HEADER = /^content-[\w-]+:/i;
const BASE64_LINE = /^[A-Za-z0-9+/]{40,}={0,2}$/;

/** Drop MIME boundaries, part headers and base64 blobs; decode quoted-printable; strip HTML. */
export function cleanBody(body: string): string {
  const kept: string[] = [];
  let inPartHeader = false;
  for (const line of decodeQuotedPrintable(body).split('\n')) {
    const trimmed = line.trim();
    // A part header's folded continuation lines start with whitespace.
    if (inPartHeader && /^[ \t]/.test(line) && trimmed !== '') continue;
    inPartHeader = MIME_PART_HEADER.test(trimmed);
    if (inPartHeader || MIME_BOUNDARY.test(trimmed) || MIME_PREAMBLE.test(trimmed) || BASE64_LINE.test(trimmed)) continue;
    kept.push(line);
  }
  return stripHtml(kept.join('\n'));
}

const HTML_ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Remove style/script blocks, comments and tags; decode the common entities. */
export function stripHtml(text: string): string {
  return text
    .replace(/<(style|script)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<\/?[a-z!][^>]*>/gi, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code) % 0x110000))
    .replace(/&([a-z]+);/gi, (entity: string, name: string) => HTML_ENTITIES[name.toLowerCase()] ?? entity);
}

function collapseSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
