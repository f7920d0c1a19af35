// Strict UTF-8 decoding for the engine, built for QuickJS (the canister), where
// every bytecode costs IC instructions and Azle's TextDecoder is a pure-JS
// polyfill (~22,000 instructions per byte). No JS loop touches the bytes here:
//
//   1. String.fromCharCode.apply over a subarray of ≤ BLOCK bytes makes a
//      Latin-1 string with one character per byte (native);
//   2. a native, anchored RegExp test finds out whether every byte is < 0x80; if so, that
//      string is the text (ASCII is the common case: vocabularies, names);
//   3. otherwise decodeURIComponent(escape(latin1)) decodes it: escape (native)
//      writes every byte ≥ 0x80 (and ASCII punctuation) as %XX, and
//      decodeURIComponent (native) decodes %XX sequences as UTF-8 and must throw
//      URIError for anything that is not well-formed UTF-8 (ECMA-262 Decode:
//      overlongs, surrogates U+D800–U+DFFF, code points above U+10FFFF, stray
//      continuation bytes and truncated sequences are all rejected).
//
// Blocks end on a character boundary (never inside a well-formed sequence), so
// an ill-formed sequence fails in whichever block it lands in. The result equals
// `new TextDecoder('utf-8', { fatal: true }).decode(bytes)`, including the
// removal of one leading byte order mark; ill-formed input throws a TypeError,
// as that decoder does.

/** Bytes per String.fromCharCode.apply call (QuickJS copies the arguments onto its stack). */
const BLOCK = 4096;
/** A Latin-1 string made from bytes < 0x80 only (anchored: one native pass, ~170 instructions per character; an unanchored search costs ~550). */
const ALL_ASCII = /^[\0-\x7f]*$/;
const BYTE_ORDER_MARK = 0xfeff;
/** ALL_ASCII tried at index 0 only (sticky): a failing test does not retry at every later index. */
const ALL_ASCII_STICKY = /^[\0-\x7f]*$/y;

/** Throws what TextDecoder's fatal mode throws. */
function illFormed(): never {
  throw new TypeError('The encoded data was not valid UTF-8');
}

/** Decodes bytes[start, end) (a range without a split sequence at either end). */
function decodeBlock(bytes: Uint8Array, start: number, end: number): string {
  // A typed array is array-like: apply reads it in C, without an intermediate Array.
  const latin1 = String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  if (ALL_ASCII.test(latin1)) return latin1;
  try {
    return decodeURIComponent(escape(latin1));
  } catch {
    return illFormed();
  }
}

/**
 * Decodes bytes[start, end) as UTF-8, strictly: equal to
 * `new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, end))`
 * (a leading U+FEFF byte order mark is dropped), and a TypeError for ill-formed input.
 */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  var from = start | 0;
  var stop = end | 0;
  var text = '';
  var blockEnd = 0;
  var back = 0;
  while (from < stop) {
    blockEnd = stop - from > BLOCK ? (from + BLOCK) | 0 : stop;
    if (blockEnd < stop) {
      // Move the cut before the lead byte of a sequence it would split (at most 3 continuation bytes back).
      for (back = 0; back < 3 && (bytes[blockEnd] & 0xc0) === 0x80; back = (back + 1) | 0) blockEnd = (blockEnd - 1) | 0;
    }
    text += decodeBlock(bytes, from, blockEnd);
    from = blockEnd;
  }
  return text.charCodeAt(0) === BYTE_ORDER_MARK && bytes[start] === 0xef ? text.slice(1) : text;
}

/**
 * bytes[start, end) as a Latin-1 string, one character per byte, without any check (native,
 * BLOCK bytes per String.fromCharCode.apply): equal to decodeUtf8 when every byte is < 0x80.
 */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  var from = start | 0;
  var stop = end | 0;
  var text = '';
  var blockEnd = 0;
  while (from < stop) {
    blockEnd = stop - from > BLOCK ? (from + BLOCK) | 0 : stop;
    text += String.fromCharCode.apply(null, bytes.subarray(from, blockEnd) as unknown as number[]);
    from = blockEnd;
  }
  return text;
}

/**
 * decodeUtf8 of bytes[start, end) for a text that is usually ASCII and that the caller also
 * wants tested against `asciiPattern` (an anchored RegExp that only matches ASCII text; sticky, so a failing test does not retry at every index): one
 * native pass answers both. `matched`: the text matched the pattern (then it is the Latin-1
 * string of the bytes, all ASCII). Otherwise the text is decoded as decodeUtf8 does (a
 * TypeError for ill-formed UTF-8), reusing the Latin-1 string when it is all ASCII.
 */
export function decodeUtf8Matching(bytes: Uint8Array, start: number, end: number, asciiPattern: RegExp): { text: string; matched: boolean } {
  const text = latin1(bytes, start, end);
  asciiPattern.lastIndex = 0;
  if (asciiPattern.test(text)) return { text, matched: true };
  ALL_ASCII_STICKY.lastIndex = 0;
  if (ALL_ASCII_STICKY.test(text)) return { text, matched: false };
  return { text: decodeUtf8(bytes, start, end), matched: false };
}
