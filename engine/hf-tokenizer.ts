// Hugging Face tokenizers from a tokenizer.json, as the `tokenizers` library runs them.
//
// The pipeline, top to bottom (the library's order):
//   1. split the raw text at the added tokens ([CLS], [UNK], … matched leftmost-longest);
//   2. normalize each other segment (BertNormalizer, Lowercase, NFC/NFKC/NFD/NFKD,
//      StripAccents, Replace, Strip, Sequence), keeping for every UTF-16 unit of the
//      normalized text the range of the original text it came from;
//   3. pre-tokenize into pieces (BertPreTokenizer, Whitespace, WhitespaceSplit,
//      Metaspace, Punctuation, ByteLevel, Sequence);
//   4. the model turns each piece into tokens (WordPiece: greedy longest match with
//      the continuing-subword prefix; Unigram: Viterbi over the vocabulary's scores;
//      BPE: the merges by rank);
//   5. truncation, the post-processor (a template such as [CLS] A [SEP]; ByteLevel's
//      offset trimming) and padding.
// Offsets are in code points of the original text (as the library's bindings report).
//
// Cost: `encodeIds` stops once the sequence is full. It tokenizes growing heads of the
// text, each cut just before an ASCII space, where every supported component is local
// (no token, normalization or split crosses it); a head's last token is never used
// (a Unigram unknown run may continue past the cut). Texts too short for the
// sequence, or without spaces, are read whole; so is every text of a BPE whose
// pre-tokenizer does not cut at spaces (its merges may cross them).

/** A tokenizer.json the engine cannot run: the message names the component. */
export class TokenizerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerConfigError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** One token of an encoding: id, text and [start, end) in code points of the original text. */
export interface HfEncoding {
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
}

/** Normalized text: per UTF-16 unit, the original UTF-16 range [start, end) it came from. */
interface Aligned {
  text: string;
  start: number[];
  end: number[];
}

interface Piece extends Aligned {}

interface RawToken {
  id: number;
  value: string;
  /** UTF-16 range in the original text. */
  start: number;
  end: number;
}

type Normalizer = (input: Aligned) => Aligned;
type PreTokenizer = (pieces: Piece[]) => Piece[];

// ---- Unicode classes (Rust's char methods as the library uses them) ----

const WHITE_SPACE = /^\p{White_Space}$/u;
// Rust's is_other (the unicode_categories tables) is Cc, Cf, Cs, Co: unassigned code points are not "other" there.
const OTHER = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}]$/u;
const PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;
const MARK = /^\p{M}$/u;
const WORD_CHAR = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;

// ASCII classes by table (one lookup instead of a regex test per character): 1 whitespace, 2 control.
const ASCII_KIND = new Uint8Array(128);
for (let c = 0; c < 32; c++) ASCII_KIND[c] = 2;
ASCII_KIND[127] = 2;
for (const c of [9, 10, 11, 12, 13, 32]) ASCII_KIND[c] = 1;

function isWhitespace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return ASCII_KIND[c] === 1;
  return WHITE_SPACE.test(ch);
}

function isControl(ch: string): boolean {
  const c = ch.charCodeAt(0);
  // \t \n \r count as whitespace; \v and \f are whitespace and control (Rust's is_whitespace and is_other)
  if (c < 128) return c === 11 || c === 12 || ASCII_KIND[c] === 2;
  return OTHER.test(ch);
}

function isAsciiPunctuation(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

function isBertPunctuation(ch: string, cp: number): boolean {
  return isAsciiPunctuation(cp) || PUNCTUATION.test(ch);
}

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

// ---- aligned text ----

function aligned(text: string, offset: number): Aligned {
  const start: number[] = new Array(text.length);
  const end: number[] = new Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
    start[i] = offset + i;
    end[i] = offset + i + (pair ? 2 : 1);
    if (pair) {
      start[i + 1] = offset + i;
      end[i + 1] = offset + i + 2;
      i++;
    }
  }
  return { text, start, end };
}

/**
 * Maps each code point to a replacement (possibly empty or longer), every output unit aligned
 * to its source. `kept(unit)` says a (non-surrogate) UTF-16 unit surely maps to itself: runs of
 * such units are copied without calling `map`, and a text of only such units is returned as it
 * is (the common ASCII case costs one scan in QuickJS instead of a call and pushes per character).
 */
function mapChars(input: Aligned, map: (ch: string, cp: number) => string, kept?: (unit: number) => boolean): Aligned {
  const { text, start, end } = input;
  var n = text.length;
  var scan = 0;
  if (kept) {
    while (scan < n && kept(text.charCodeAt(scan))) scan++;
    if (scan === n) return input;
  }
  const parts: string[] = [text.slice(0, scan)];
  const outStart: number[] = start.slice(0, scan);
  const outEnd: number[] = end.slice(0, scan);
  for (let i = scan; i < n; ) {
    if (kept) {
      let j = i;
      while (j < n && kept(text.charCodeAt(j))) j++;
      if (j > i) {
        parts.push(text.slice(i, j));
        for (let k = i; k < j; k++) {
          outStart.push(start[k]);
          outEnd.push(end[k]);
        }
        i = j;
        if (i >= n) break;
      }
    }
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    const ch = width === 2 ? text.slice(i, i + 2) : text[i];
    const out = map(ch, cp);
    if (out.length > 0) {
      parts.push(out);
      const s = start[i];
      const e = end[i + width - 1];
      for (let k = 0; k < out.length; k++) {
        outStart.push(s);
        outEnd.push(e);
      }
    }
    i += width;
  }
  return { text: parts.join(''), start: outStart, end: outEnd };
}

function slice(input: Aligned, from: number, to: number): Aligned {
  return { text: input.text.slice(from, to), start: input.start.slice(from, to), end: input.end.slice(from, to) };
}

/** Replaces the units [from, to) by `content`, every new unit aligned to the last replaced unit (the library's rule). */
function replaceRanges(input: Aligned, matches: [number, number][], content: string): Aligned {
  if (matches.length === 0) return input;
  const parts: string[] = [];
  const start: number[] = [];
  const end: number[] = [];
  let at = 0;
  for (const [from, to] of matches) {
    parts.push(input.text.slice(at, from));
    for (let i = at; i < from; i++) {
      start.push(input.start[i]);
      end.push(input.end[i]);
    }
    parts.push(content);
    for (let k = 0; k < content.length; k++) {
      start.push(input.start[to - 1]);
      end.push(input.end[to - 1]);
    }
    at = to;
  }
  parts.push(input.text.slice(at));
  for (let i = at; i < input.text.length; i++) {
    start.push(input.start[i]);
    end.push(input.end[i]);
  }
  return { text: parts.join(''), start, end };
}

function codePointWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
}

// ---- JSON helpers ----

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(config: JsonObject, key: string, what: string): Json {
  if (!(key in config)) throw new TokenizerConfigError(`${what}: missing '${key}'`);
  return config[key];
}

function stringField(config: JsonObject, key: string, what: string): string {
  const value = field(config, key, what);
  if (typeof value !== 'string') throw new TokenizerConfigError(`${what}: '${key}' must be a string`);
  return value;
}

function boolOr(config: JsonObject, key: string, fallback: boolean): boolean {
  const value = config[key];
  return typeof value === 'boolean' ? value : fallback;
}

function typeOf(config: Json, what: string): string {
  if (!isObject(config) || typeof config.type !== 'string') throw new TokenizerConfigError(`${what} must be an object with a 'type'`);
  return config.type;
}

// ---- normalizers ----

const UNICODE_FORMS: Record<string, 'NFC' | 'NFD' | 'NFKC' | 'NFKD'> = { NFC: 'NFC', NFD: 'NFD', NFKC: 'NFKC', NFKD: 'NFKD' };

function lowercase(input: Aligned): Aligned {
  return mapChars(input, (ch) => ch.toLowerCase(), (c) => c < 0x41 || (c > 0x5a && c < 0x80));
}

/** NFD, then drop nonspacing marks. */
function stripAccents(input: Aligned): Aligned {
  return mapChars(input, (ch) => {
    const decomposed = ch.normalize('NFD');
    let out = '';
    for (const part of decomposed) if (!NONSPACING_MARK.test(part)) out += part;
    return out;
  }, (c) => c < 0xc0); // nothing below U+00C0 decomposes or is a mark
}

/**
 * A Unicode normalization form with the library's alignments (its unicode-normalization-alignments
 * crate, then NormalizedString::transform): every code point decomposes (its first part keeps
 * the code point's range, the others are "added" and share it); marks reorder by combining
 * class, carrying their change along; a composition keeps the starter's change minus one per
 * absorbed part (plus that part's own). Changes then map to ranges as transform does: a char
 * with change ≤ 0 takes the next original code point's range and skips −change more; an added
 * char takes the previous one's. JavaScript's normalize gives the text; the mapping is rebuilt
 * from it (a stable reorder and compositions that only absorb later parts).
 */
function unicodeForm(form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): Normalizer {
  const composes = form === 'NFC' || form === 'NFKC';
  const decomposition = form === 'NFC' || form === 'NFD' ? 'NFD' : 'NFKD';
  // below this every code point maps to itself in the form
  const identityBelow = form === 'NFC' || form === 'NFD' ? 0xc0 : 0xa0;
  return (input) => {
    const { text } = input;
    let plain = true;
    for (let i = 0; i < text.length && plain; i++) if (text.charCodeAt(i) >= identityBelow) plain = false;
    if (plain) return input;
    // 1. decomposition: per original code point p, its parts with change 0, 1, 1, …
    const chars: string[] = [];
    const changes: number[] = [];
    const sourceStart: number[] = []; // UTF-16 index of each original code point
    for (let i = 0; i < text.length; ) {
      const width = codePointWidth(text, i);
      sourceStart.push(i);
      let k = 0;
      for (const part of text.slice(i, i + width).normalize(decomposition)) {
        chars.push(part);
        changes.push(k++ === 0 ? 0 : 1);
      }
      i += width;
    }
    // 2. canonical reordering: a stable permutation, so the k-th copy of a char stays the k-th
    const ordered = Array.from(chars.join('').normalize('NFD'));
    let order = identity(chars.length);
    if (ordered.some((ch, k) => ch !== chars[k])) order = stableMatch(chars, ordered);
    // 3. composition: every composed char is the next unused starter plus later parts
    let outChars = ordered;
    let outChanges = order.map((k) => changes[k]);
    if (composes) {
      const composed = Array.from(ordered.join('').normalize('NFC'));
      if (composed.length !== ordered.length) {
        const used = new Uint8Array(ordered.length);
        const resultChanges: number[] = [];
        let next = 0;
        for (const ch of composed) {
          while (used[next]) next++;
          used[next] = 1;
          let change = outChanges[next];
          const parts = Array.from(ch.normalize('NFD'));
          for (let p = 1; p < parts.length; p++) {
            let at = next + 1;
            while (at < ordered.length && (used[at] || ordered[at] !== parts[p])) at++;
            if (at >= ordered.length) break; // a singleton-free composite cannot miss a part; keep going
            used[at] = 1;
            change += outChanges[at] - 1;
          }
          resultChanges.push(change);
        }
        outChars = composed;
        outChanges = resultChanges;
      }
    }
    // 4. transform: changes to ranges
    const parts: string[] = [];
    const start: number[] = [];
    const end: number[] = [];
    let source = 0;
    for (let k = 0; k < outChars.length; k++) {
      const change = outChanges[k];
      let at: number;
      if (change > 0) at = source - 1;
      else {
        at = source;
        source += 1 - change;
      }
      const s = at >= 0 && at < sourceStart.length ? input.start[sourceStart[at]] : 0;
      const e = at >= 0 && at < sourceStart.length ? input.end[sourceStart[at]] : 0;
      parts.push(outChars[k]);
      for (let u = 0; u < outChars[k].length; u++) {
        start.push(s);
        end.push(e);
      }
    }
    return { text: parts.join(''), start, end };
  };
}

function identity(n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** For each char of `permuted` (a stable permutation of `chars`), the index in `chars` it came from. */
function stableMatch(chars: string[], permuted: string[]): number[] {
  const next = new Map<string, number>();
  return permuted.map((ch) => {
    let at = next.get(ch) ?? 0;
    while (chars[at] !== ch) at++;
    next.set(ch, at + 1);
    return at;
  });
}

function makeNormalizer(config: Json, what = 'normalizer'): Normalizer {
  const type = typeOf(config, what);
  const c = config as JsonObject;
  const where = `${what} ${type}`;
  switch (type) {
    case 'BertNormalizer': {
      const cleanText = boolOr(c, 'clean_text', true);
      const chinese = boolOr(c, 'handle_chinese_chars', true);
      const lower = boolOr(c, 'lowercase', true);
      const strip = typeof c.strip_accents === 'boolean' ? c.strip_accents : lower;
      return (input) => {
        let out = input;
        if (cleanText) out = mapChars(out, (ch, cp) => (cp === 0 || cp === 0xfffd || isControl(ch) ? '' : isWhitespace(ch) ? ' ' : ch), (c) => c >= 0x20 && c < 0x7f);
        if (chinese) out = mapChars(out, (ch, cp) => (isChineseChar(cp) ? ` ${ch} ` : ch), (c) => c < 0x3400);
        if (strip) out = stripAccents(out);
        if (lower) out = lowercase(out);
        return out;
      };
    }
    case 'Lowercase':
      return lowercase;
    case 'StripAccents':
      // unlike BertNormalizer's (nonspacing marks), this one drops every mark (the library's is_combining_mark)
      return (input) => mapChars(input, (ch) => (MARK.test(ch) ? '' : ch), (c) => c < 0x300);
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return unicodeForm(UNICODE_FORMS[type]);
    case 'Strip': {
      const left = boolOr(c, 'strip_left', true);
      const right = boolOr(c, 'strip_right', true);
      return (input) => {
        const chars = Array.from(input.text);
        let from = 0;
        let to = input.text.length;
        if (left) for (let k = 0; k < chars.length && isWhitespace(chars[k]); k++) from += chars[k].length;
        if (right) for (let k = chars.length - 1; k >= 0 && to > from && isWhitespace(chars[k]); k--) to -= chars[k].length;
        return from === 0 && to === input.text.length ? input : slice(input, from, to);
      };
    }
    case 'Replace': {
      const pattern = field(c, 'pattern', where);
      const content = stringField(c, 'content', where);
      const find = patternMatcher(pattern, where);
      return (input) => replaceRanges(input, find(input.text), content);
    }
    case 'Prepend': {
      const prepend = stringField(c, 'prepend', where);
      return (input) => {
        if (input.text.length === 0) return input;
        const s = input.start[0];
        const e = input.end[0];
        return { text: prepend + input.text, start: [...new Array<number>(prepend.length).fill(s), ...input.start], end: [...new Array<number>(prepend.length).fill(e), ...input.end] };
      };
    }
    case 'Sequence': {
      const list = field(c, 'normalizers', where);
      if (!Array.isArray(list)) throw new TokenizerConfigError(`${where}: 'normalizers' must be an array`);
      const steps: Normalizer[] = [];
      for (let i = 0; i < list.length; ) {
        const fused = fuseCharReplaces(list, i);
        if (fused.count > 1) {
          steps.push(fused.step);
          i += fused.count;
        } else {
          steps.push(makeNormalizer(list[i], `${what}[${i}]`));
          i++;
        }
      }
      return (input) => {
        let out = input;
        for (const step of steps) out = step(out);
        return out;
      };
    }
    default:
      throw new TokenizerConfigError(`unsupported ${what} '${type}' (supported: BertNormalizer, Lowercase, StripAccents, NFC, NFD, NFKC, NFKD, Strip, Replace, Prepend, Sequence)`);
  }
}

/**
 * Consecutive Replace steps of one-character String patterns (as model2vec's " ! " padding
 * of punctuation) run as one pass: the same result, because no later pattern occurs in an
 * earlier step's content (checked), and a one-character match aligns its content to itself.
 */
function fuseCharReplaces(list: Json[], from: number): { count: number; step: Normalizer } {
  const map = new Map<string, string>();
  let contents = '';
  let i = from;
  for (; i < list.length; i++) {
    const item = list[i];
    if (!isObject(item) || item.type !== 'Replace' || !isObject(item.pattern ?? null) || typeof item.content !== 'string') break;
    const literal = (item.pattern as JsonObject).String;
    if (typeof literal !== 'string' || Array.from(literal).length !== 1 || map.has(literal) || contents.includes(literal)) break;
    map.set(literal, item.content);
    contents += item.content;
  }
  const asciiKey = new Uint8Array(128);
  for (const key of map.keys()) if (key.charCodeAt(0) < 128) asciiKey[key.charCodeAt(0)] = 1;
  return { count: i - from, step: (input) => mapChars(input, (ch) => map.get(ch) ?? ch, (c) => c < 128 && asciiKey[c] === 0) };
}

/** A Replace/Split pattern: {String: s} matched literally, {Regex: r} as a Unicode regex; returns non-overlapping [from, to) ranges. */
function patternMatcher(pattern: Json, where: string): (text: string) => [number, number][] {
  if (isObject(pattern) && typeof pattern.String === 'string') {
    const literal = pattern.String;
    if (literal.length === 0) return () => [];
    return (text) => {
      const out: [number, number][] = [];
      for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + literal.length)) out.push([at, at + literal.length]);
      return out;
    };
  }
  if (isObject(pattern) && typeof pattern.Regex === 'string') {
    const source = pattern.Regex;
    if (source !== '\\s+' && source !== ' {2,}' && source !== '\\s') throw new TokenizerConfigError(`${where}: regex pattern ${JSON.stringify(source)} is not supported (only \\s+, \\s and ' {2,}')`);
    // Rust's \s is Unicode White_Space (JavaScript's \s also takes U+FEFF).
    const regex = new RegExp(source.replace('\\s', '\\p{White_Space}'), 'gu');
    return (text) => {
      const out: [number, number][] = [];
      for (const match of text.matchAll(regex)) out.push([match.index as number, (match.index as number) + match[0].length]);
      return out;
    };
  }
  throw new TokenizerConfigError(`${where}: pattern must be {"String": …} or {"Regex": …}`);
}

// ---- pre-tokenizers ----

/** GPT-2's byte-to-character table (the ByteLevel pre-tokenizer's alphabet): printable bytes stand for themselves, the others for 256 + n. */
const BYTE_CHARS: string[] = (() => {
  const chars: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    chars[b] = String.fromCharCode(printable ? b : next++);
  }
  return chars;
})();

/** The UTF-8 bytes of one code point. */
function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

/**
 * GPT-2's split: contractions, letters, numbers, other symbols (each with one leading space),
 * whitespace. The library's regex engine (Oniguruma) reads \s as White_Space: with U+0085,
 * without U+FEFF, unlike JavaScript's \s.
 */
const BYTE_LEVEL_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;


type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Splits a piece at the code points `isDelimiter` picks, as the library's split behaviours do. */
function splitPiece(piece: Piece, isDelimiter: (ch: string, cp: number) => boolean, behavior: SplitBehavior, out: Piece[]): void {
  const { text } = piece;
  let current = 0;
  let i = 0;
  const emit = (from: number, to: number): void => {
    if (to > from) out.push(slice(piece, from, to));
  };
  if (behavior === 'Contiguous') {
    while (i < text.length) {
      const w = codePointWidth(text, i);
      const cp = text.codePointAt(i) as number;
      if (isDelimiter(w === 2 ? text.slice(i, i + 2) : text[i], cp)) {
        emit(current, i);
        let j = i + w;
        while (j < text.length) {
          const wj = codePointWidth(text, j);
          if (!isDelimiter(wj === 2 ? text.slice(j, j + 2) : text[j], text.codePointAt(j) as number)) break;
          j += wj;
        }
        emit(i, j);
        current = j;
        i = j;
      } else i += w;
    }
    emit(current, text.length);
    return;
  }
  let pendingStart = -1; // MergedWithNext: where the delimiter that starts the next piece is
  while (i < text.length) {
    const w = codePointWidth(text, i);
    const cp = text.codePointAt(i) as number;
    if (isDelimiter(w === 2 ? text.slice(i, i + 2) : text[i], cp)) {
      if (behavior === 'Removed') {
        emit(current, i);
        current = i + w;
      } else if (behavior === 'Isolated') {
        emit(current, i);
        emit(i, i + w);
        current = i + w;
      } else if (behavior === 'MergedWithPrevious') {
        emit(current, i + w);
        current = i + w;
      } else {
        emit(pendingStart >= 0 ? pendingStart : current, i);
        pendingStart = i;
        current = i;
      }
    }
    i += w;
  }
  emit(pendingStart >= 0 ? pendingStart : current, text.length);
}

function splitAll(pieces: Piece[], isDelimiter: (ch: string, cp: number) => boolean, behavior: SplitBehavior): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) splitPiece(piece, isDelimiter, behavior, out);
  return out;
}

const BEHAVIORS: readonly string[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

function makePreTokenizer(config: Json, what = 'pre_tokenizer'): PreTokenizer {
  const type = typeOf(config, what);
  const c = config as JsonObject;
  const where = `${what} ${type}`;
  switch (type) {
    case 'BertPreTokenizer':
      return (pieces) => splitAll(splitAll(pieces, (ch) => isWhitespace(ch), 'Removed'), isBertPunctuation, 'Isolated');
    case 'WhitespaceSplit':
      return (pieces) => splitAll(pieces, (ch) => isWhitespace(ch), 'Removed');
    case 'Whitespace':
      // \w+|[^\w\s]+ : runs of word characters, runs of other non-space characters
      return (pieces) => {
        const out: Piece[] = [];
        for (const piece of pieces) {
          const { text } = piece;
          let i = 0;
          while (i < text.length) {
            let w = codePointWidth(text, i);
            let ch = w === 2 ? text.slice(i, i + 2) : text[i];
            if (isWhitespace(ch)) {
              i += w;
              continue;
            }
            const word = WORD_CHAR.test(ch);
            let j = i;
            while (j < text.length) {
              w = codePointWidth(text, j);
              ch = w === 2 ? text.slice(j, j + 2) : text[j];
              if (isWhitespace(ch) || WORD_CHAR.test(ch) !== word) break;
              j += w;
            }
            out.push(slice(piece, i, j));
            i = j;
          }
        }
        return out;
      };
    case 'Punctuation': {
      const behavior = typeof c.behavior === 'string' ? c.behavior : 'Isolated';
      if (!BEHAVIORS.includes(behavior)) throw new TokenizerConfigError(`${where}: unknown behavior '${behavior}'`);
      return (pieces) => splitAll(pieces, isBertPunctuation, behavior as SplitBehavior);
    }
    case 'Metaspace': {
      const replacement = typeof c.replacement === 'string' ? c.replacement : typeof c.str_rep === 'string' ? c.str_rep : '\u2581';
      const scheme = typeof c.prepend_scheme === 'string' ? c.prepend_scheme : 'always';
      if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') throw new TokenizerConfigError(`${where}: unknown prepend_scheme '${scheme}'`);
      // the library's rule for the older field: false only beside prepend_scheme 'never', true changes nothing
      if (c.add_prefix_space === false && scheme !== 'never') throw new TokenizerConfigError(`${where}: add_prefix_space false does not match prepend_scheme '${scheme}'`);
      const split = boolOr(c, 'split', true);
      if (Array.from(replacement).length !== 1) throw new TokenizerConfigError(`${where}: replacement must be one character`);
      return (pieces) => {
        const out: Piece[] = [];
        for (const piece of pieces) {
          let p = mapChars(piece, (ch) => (ch === ' ' ? replacement : ch), (c) => c !== 32 && (c < 0xd800 || c > 0xdfff));
          // 'first': the piece begins at the original text's start (after a Strip or a removed space it does not)
          const prepend = scheme === 'always' || (scheme === 'first' && p.start[0] === 0);
          if (prepend && p.text.length > 0 && !p.text.startsWith(replacement)) {
            p = { text: replacement + p.text, start: [...new Array<number>(replacement.length).fill(p.start[0]), ...p.start], end: [...new Array<number>(replacement.length).fill(p.end[0]), ...p.end] };
          }
          if (split) splitPiece(p, (ch) => ch === replacement, 'MergedWithNext', out);
          else if (p.text.length > 0) out.push(p);
        }
        return out;
      };
    }
    case 'ByteLevel': {
      const addPrefixSpace = boolOr(c, 'add_prefix_space', true);
      const useRegex = boolOr(c, 'use_regex', true);
      return (pieces) => {
        const out: Piece[] = [];
        for (const piece of pieces) {
          let p = piece;
          if (addPrefixSpace && p.text.length > 0 && p.text[0] !== ' ') p = { text: ' ' + p.text, start: [p.start[0], ...p.start], end: [p.end[0], ...p.end] };
          const parts: Piece[] = [];
          if (useRegex) {
            let at = 0;
            for (const match of p.text.matchAll(BYTE_LEVEL_SPLIT)) {
              const from = match.index as number;
              if (from > at) parts.push(slice(p, at, from));
              parts.push(slice(p, from, from + match[0].length));
              at = from + match[0].length;
            }
            if (at < p.text.length) parts.push(slice(p, at, p.text.length));
          } else if (p.text.length > 0) parts.push(p);
          // every byte of a code point becomes one alphabet character, all aligned to the code point
          for (const part of parts) out.push(mapChars(part, (_, cp) => utf8Bytes(cp).map((b) => BYTE_CHARS[b]).join(''), (c) => c >= 33 && c <= 126));
        }
        return out;
      };
    }
    case 'Sequence': {
      const list = field(c, 'pretokenizers', where);
      if (!Array.isArray(list)) throw new TokenizerConfigError(`${where}: 'pretokenizers' must be an array`);
      const steps = list.map((item, i) => makePreTokenizer(item, `${what}[${i}]`));
      return (pieces) => {
        let out = pieces;
        for (const step of steps) out = step(out);
        return out;
      };
    }
    default:
      throw new TokenizerConfigError(`unsupported ${what} '${type}' (supported: BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace, Punctuation, ByteLevel, Sequence)`);
  }
}

// ---- models ----

interface TokenModel {
  /** Tokens of one piece: id, value and [from, to) in UTF-16 units of the piece. */
  tokenize(piece: string, out: RawToken[]): void;
  readonly vocabSize: number;
  tokenToId(token: string): number | undefined;
  /** An id whose tokens never cross an ASCII space boundary in a piece (for the windowed encode). */
  readonly crossesSpaces: boolean;
  readonly unknownId: number;
}

class WordPieceModel implements TokenModel {
  readonly vocabSize: number;
  readonly unknownId: number;
  readonly crossesSpaces = false;
  private readonly ids: Map<string, number>;
  private readonly prefix: string;
  private readonly maxChars: number;
  private readonly unknownToken: string;
  private readonly longest: number;

  constructor(c: JsonObject) {
    const vocab = field(c, 'vocab', 'model WordPiece');
    if (!isObject(vocab)) throw new TokenizerConfigError("model WordPiece: 'vocab' must be an object {token: id}");
    this.ids = new Map();
    let longest = 0;
    let size = 0;
    for (const token of Object.keys(vocab)) {
      const id = vocab[token];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new TokenizerConfigError(`model WordPiece: id of ${JSON.stringify(token)} is not a non-negative integer`);
      this.ids.set(token, id);
      if (token.length > longest) longest = token.length;
      if (id + 1 > size) size = id + 1;
    }
    this.vocabSize = size;
    this.longest = longest;
    this.prefix = typeof c.continuing_subword_prefix === 'string' ? c.continuing_subword_prefix : '##';
    this.maxChars = typeof c.max_input_chars_per_word === 'number' ? c.max_input_chars_per_word : 100;
    this.unknownToken = typeof c.unk_token === 'string' ? c.unk_token : '[UNK]';
    const unknown = this.ids.get(this.unknownToken);
    if (unknown === undefined) throw new TokenizerConfigError(`model WordPiece: unk_token ${JSON.stringify(this.unknownToken)} is not in the vocabulary`);
    this.unknownId = unknown;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  tokenize(piece: string, out: RawToken[]): void {
    var ids = this.ids;
    var n = piece.length;
    // the library counts chars (code points); a UTF-16 length within the limit is always within it
    if (n > this.maxChars && Array.from(piece).length > this.maxChars) {
      out.push({ id: this.unknownId, value: this.unknownToken, start: 0, end: n });
      return;
    }
    var first = out.length;
    var start = 0;
    var prefix = this.prefix;
    var longest = this.longest;
    while (start < n) {
      // longer candidates than the longest token cannot match: start below it (on a code point boundary)
      var end = n;
      var limit = start + longest - (start > 0 ? prefix.length : 0);
      if (end > limit) {
        end = limit;
        var c = piece.charCodeAt(end - 1);
        if (c >= 0xd800 && c <= 0xdbff) end--;
      }
      var found = -1;
      var value = '';
      while (end > start) {
        value = start > 0 ? prefix + piece.slice(start, end) : piece.slice(start, end);
        var id = ids.get(value);
        if (id !== undefined) {
          found = id;
          break;
        }
        var last = piece.charCodeAt(end - 1);
        end -= last >= 0xdc00 && last <= 0xdfff && end - 2 >= start ? 2 : 1;
      }
      if (found < 0) {
        out.length = first;
        out.push({ id: this.unknownId, value: this.unknownToken, start: 0, end: n });
        return;
      }
      out.push({ id: found, value, start, end });
      start = end;
    }
  }
}

/** Unigram: a trie over UTF-16 units and the Viterbi search of sentencepiece (as the library's encode_optimized). */
class UnigramModel implements TokenModel {
  readonly vocabSize: number;
  readonly unknownId: number;
  readonly crossesSpaces: boolean;
  private readonly tokens: string[];
  private readonly scores: Float64Array;
  private readonly ids: Map<string, number>;
  /** Trie edges: key node * 65536 + unit → child node; node → token id (−1 none). */
  private readonly edges: Map<number, number>;
  private readonly nodeToken: Int32Array;
  private readonly unknownScore: number;
  private readonly fuseUnknown: boolean;

  constructor(c: JsonObject, spaceReplacement: string | null) {
    const vocab = field(c, 'vocab', 'model Unigram');
    if (!Array.isArray(vocab) || vocab.length === 0) throw new TokenizerConfigError("model Unigram: 'vocab' must be a non-empty array of [token, score]");
    if (c.byte_fallback === true) throw new TokenizerConfigError('model Unigram: byte_fallback is not supported');
    const unk = c.unk_id;
    if (typeof unk !== 'number' || !Number.isInteger(unk) || unk < 0 || unk >= vocab.length) throw new TokenizerConfigError('model Unigram: unk_id must be an id of the vocabulary');
    this.unknownId = unk;
    this.vocabSize = vocab.length;
    this.tokens = new Array(vocab.length);
    this.scores = new Float64Array(vocab.length);
    this.ids = new Map();
    let minScore = Infinity;
    for (let id = 0; id < vocab.length; id++) {
      const entry = vocab[id];
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') throw new TokenizerConfigError(`model Unigram: vocab[${id}] must be [token, score]`);
      this.tokens[id] = entry[0];
      this.scores[id] = entry[1];
      this.ids.set(entry[0], id); // the library's map: a repeated token keeps its last id
      if (entry[1] < minScore) minScore = entry[1];
    }
    this.unknownScore = minScore - 10; // sentencepiece's kUnkPenalty
    this.fuseUnknown = true;
    // the trie (only each token's final id, as the library's map)
    const edges = new Map<number, number>();
    let nodes = 1;
    const tokenAt: number[] = [-1];
    let crosses = false;
    for (const [token, id] of this.ids) {
      if (spaceReplacement !== null && token.indexOf(spaceReplacement, 1) > 0) crosses = true;
      let node = 0;
      for (let i = 0; i < token.length; i++) {
        const key = node * 65536 + token.charCodeAt(i);
        let next = edges.get(key);
        if (next === undefined) {
          next = nodes++;
          edges.set(key, next);
          tokenAt.push(-1);
        }
        node = next;
      }
      if (token.length > 0) tokenAt[node] = id;
    }
    this.edges = edges;
    this.nodeToken = Int32Array.from(tokenAt);
    this.crossesSpaces = spaceReplacement === null || crosses;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  tokenize(piece: string, out: RawToken[]): void {
    var n = piece.length;
    if (n === 0) return;
    var bestScore = new Float64Array(n + 1);
    var startsAt = new Int32Array(n + 1).fill(-1);
    var bestId = new Int32Array(n + 1);
    var edges = this.edges;
    var nodeToken = this.nodeToken;
    var scores = this.scores;
    var unknownScore = this.unknownScore;
    var unknownId = this.unknownId;
    var at = 0;
    while (at < n) {
      var base = bestScore[at];
      var c = piece.charCodeAt(at);
      var width = c >= 0xd800 && c <= 0xdbff && at + 1 < n ? 2 : 1;
      var single = false;
      var node = 0;
      for (var k = at; k < n; k++) {
        var next = edges.get(node * 65536 + piece.charCodeAt(k));
        if (next === undefined) break;
        node = next;
        var id = nodeToken[node];
        if (id < 0) continue;
        var key = k + 1;
        var candidate = scores[id] + base;
        if (startsAt[key] < 0 || candidate > bestScore[key]) {
          bestScore[key] = candidate;
          startsAt[key] = at;
          bestId[key] = id;
        }
        if (key - at === width) single = true;
      }
      if (!single) {
        var target = at + width;
        var unknownCandidate = unknownScore + base;
        if (startsAt[target] < 0 || unknownCandidate > bestScore[target]) {
          bestScore[target] = unknownCandidate;
          startsAt[target] = at;
          bestId[target] = unknownId;
        }
      }
      at += width;
    }
    // back from the end; consecutive unknowns fuse into one token
    var reversed: RawToken[] = [];
    var end = n;
    var unknownEnd = -1;
    while (end > 0) {
      var from = startsAt[end];
      var tokenId = bestId[end];
      if (this.fuseUnknown && tokenId === unknownId) {
        if (unknownEnd < 0) unknownEnd = end;
      } else {
        if (unknownEnd >= 0) {
          reversed.push({ id: unknownId, value: piece.slice(end, unknownEnd), start: end, end: unknownEnd });
          unknownEnd = -1;
        }
        reversed.push({ id: tokenId, value: piece.slice(from, end), start: from, end });
      }
      end = from;
    }
    if (unknownEnd >= 0) reversed.push({ id: unknownId, value: piece.slice(0, unknownEnd), start: 0, end: unknownEnd });
    for (var r = reversed.length - 1; r >= 0; r--) out.push(reversed[r]);
  }
}

/**
 * BPE, as the library's: a word starts as its characters (the continuing-subword prefix on all
 * but the first, the end-of-word suffix on the last; unknown ones as unk_token, consecutive
 * ones fused when fuse_unk, or as <0xNN> byte tokens when byte_fallback), then merges by rank
 * through a heap of (rank, position), skipping entries whose pair has changed (the library's
 * check compares the merged id only, which this keeps).
 */
class BpeModel implements TokenModel {
  readonly vocabSize: number;
  readonly unknownId: number;
  readonly crossesSpaces: boolean;
  private readonly ids: Map<string, number>;
  private readonly tokens: string[];
  /** (left id * 2^21 + right id) → rank * 2^22 + merged id, as one number (rank < 2^31). */
  private readonly merges: Map<number, number>;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly unknownToken: string | null;
  private readonly fuseUnknown: boolean;
  private readonly byteFallback: boolean;
  private readonly ignoreMerges: boolean;

  constructor(c: JsonObject, splitsAtSpaces: boolean) {
    const vocab = field(c, 'vocab', 'model BPE');
    if (!isObject(vocab)) throw new TokenizerConfigError("model BPE: 'vocab' must be an object {token: id}");
    if (typeof c.dropout === 'number' && c.dropout > 0) throw new TokenizerConfigError('model BPE: dropout is not supported');
    this.ids = new Map();
    this.tokens = [];
    let size = 0;
    for (const token of Object.keys(vocab)) {
      const id = vocab[token];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 1 << 21) throw new TokenizerConfigError(`model BPE: id of ${JSON.stringify(token)} must be an integer in [0, 2^21)`);
      this.ids.set(token, id);
      this.tokens[id] = token;
      if (id + 1 > size) size = id + 1;
    }
    this.vocabSize = size;
    this.prefix = typeof c.continuing_subword_prefix === 'string' ? c.continuing_subword_prefix : '';
    this.suffix = typeof c.end_of_word_suffix === 'string' ? c.end_of_word_suffix : '';
    this.unknownToken = typeof c.unk_token === 'string' ? c.unk_token : null;
    this.fuseUnknown = c.fuse_unk === true;
    this.byteFallback = c.byte_fallback === true;
    this.ignoreMerges = c.ignore_merges === true;
    // the library counts byte tokens as one byte each, prefix and suffix included: offsets it gives then are not the text's
    if (this.byteFallback && (this.prefix !== '' || this.suffix !== '')) throw new TokenizerConfigError('model BPE: byte_fallback with a continuing_subword_prefix or end_of_word_suffix is not supported');
    const unknown = this.unknownToken === null ? undefined : this.ids.get(this.unknownToken);
    this.unknownId = unknown ?? -1;
    const list = field(c, 'merges', 'model BPE');
    if (!Array.isArray(list)) throw new TokenizerConfigError("model BPE: 'merges' must be an array");
    const prefixUnits = dropUtf8Bytes(this.prefix);
    this.merges = new Map();
    for (let rank = 0; rank < list.length; rank++) {
      const entry = list[rank];
      let pair: Json[] | null = null;
      if (typeof entry === 'string') {
        const space = entry.indexOf(' ');
        if (space > 0) pair = [entry.slice(0, space), entry.slice(space + 1)];
      } else if (Array.isArray(entry) && entry.length === 2) pair = entry;
      if (pair === null || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw new TokenizerConfigError(`model BPE: merges[${rank}] must be "a b" or ["a", "b"]`);
      const [a, b] = pair as [string, string];
      const merged = a + prefixUnits(b);
      const left = this.ids.get(a);
      const right = this.ids.get(b);
      const id = this.ids.get(merged);
      if (left === undefined || right === undefined || id === undefined) throw new TokenizerConfigError(`model BPE: merges[${rank}] (${JSON.stringify(a)}, ${JSON.stringify(b)}) is not in the vocabulary`);
      this.merges.set(left * 2097152 + right, rank * 4194304 + id); // a repeated pair keeps its last rank, as the library's map
    }
    this.crossesSpaces = !splitsAtSpaces;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  tokenize(piece: string, out: RawToken[]): void {
    var n = piece.length;
    if (n === 0) return;
    if (this.ignoreMerges) {
      var whole = this.ids.get(piece);
      if (whole !== undefined) {
        out.push({ id: whole, value: piece, start: 0, end: n });
        return;
      }
    }
    // symbols: id and length in UTF-8 bytes (the library's offsets are sums of these, so a
    // dropped unknown character shifts the later ones as it does); byteUnit: byte → UTF-16 unit
    var ids: number[] = [];
    var lengths: number[] = [];
    var byteUnit: number[] = [];
    var unknownBytes = 0;
    var vocab = this.ids;
    var unknownId = this.unknownId;
    for (var i = 0; i < n; ) {
      var cp = piece.codePointAt(i) as number;
      var width = cp > 0xffff ? 2 : 1;
      var end = i + width;
      var size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (var u = 0; u < size; u++) byteUnit.push(i);
      var s = piece.slice(i, end);
      if (i > 0) s = this.prefix + s;
      if (end === n) s = s + this.suffix;
      var id = vocab.get(s);
      var bytes: number[] | null = null;
      if (id === undefined && this.byteFallback) {
        bytes = [];
        for (var b of utf8Bytes(cp)) {
          var byteId = vocab.get('<0x' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase() + '>');
          if (byteId === undefined) {
            bytes = null;
            break;
          }
          bytes.push(byteId);
        }
      }
      if (id !== undefined || bytes !== null) {
        // the library adds byte tokens without ending a pending unknown run: it comes after them (and may fuse past them)
        if (unknownBytes > 0 && id !== undefined) {
          ids.push(unknownId);
          lengths.push(unknownBytes);
          unknownBytes = 0;
        }
        if (id !== undefined) {
          ids.push(id);
          lengths.push(size);
        } else
          for (var k = 0; k < (bytes as number[]).length; k++) {
            ids.push((bytes as number[])[k]);
            lengths.push(1);
          }
      } else if (unknownId >= 0) {
        if (unknownBytes > 0 && !this.fuseUnknown) {
          ids.push(unknownId);
          lengths.push(unknownBytes);
          unknownBytes = 0;
        }
        unknownBytes += size;
      }
      // no unk_token: the library drops the character
      i = end;
    }
    if (unknownBytes > 0) {
      ids.push(unknownId);
      lengths.push(unknownBytes);
    }
    this.mergeAll(ids, lengths);
    var at = 0;
    for (var t = 0; t < ids.length; t++) {
      var last = byteUnit[at + lengths[t] - 1];
      out.push({ id: ids[t], value: this.tokens[ids[t]], start: byteUnit[at], end: last + codePointWidth(piece, last) });
      at += lengths[t];
    }
  }

  /** Word::merge_all: a min-heap of (rank, position, merged id); merged symbols are marked with id −1. */
  private mergeAll(ids: number[], lengths: number[]): void {
    var count = ids.length;
    if (count < 2) return;
    var merges = this.merges;
    var next = new Int32Array(count);
    var prev = new Int32Array(count);
    for (var i = 0; i < count; i++) {
      next[i] = i + 1 < count ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // heap entries: rank * 2^22 + merged id (as the map holds it), and the position
    var heapKey: number[] = [];
    var heapPos: number[] = [];
    var push = (key: number, pos: number): void => {
      var at = heapKey.length;
      heapKey.push(key);
      heapPos.push(pos);
      while (at > 0) {
        var parent = (at - 1) >> 1;
        if (!before(heapKey[at], heapPos[at], heapKey[parent], heapPos[parent])) break;
        swap(at, parent);
        at = parent;
      }
    };
    var before = (keyA: number, posA: number, keyB: number, posB: number): boolean => {
      var rankA = Math.floor(keyA / 4194304);
      var rankB = Math.floor(keyB / 4194304);
      return rankA < rankB || (rankA === rankB && posA < posB);
    };
    var swap = (a: number, b: number): void => {
      var k = heapKey[a];
      heapKey[a] = heapKey[b];
      heapKey[b] = k;
      var p = heapPos[a];
      heapPos[a] = heapPos[b];
      heapPos[b] = p;
    };
    var pop = (): void => {
      var last = heapKey.length - 1;
      swap(0, last);
      heapKey.pop();
      heapPos.pop();
      var at = 0;
      var size = heapKey.length;
      for (;;) {
        var left = 2 * at + 1;
        var right = left + 1;
        var best = at;
        if (left < size && before(heapKey[left], heapPos[left], heapKey[best], heapPos[best])) best = left;
        if (right < size && before(heapKey[right], heapPos[right], heapKey[best], heapPos[best])) best = right;
        if (best === at) break;
        swap(at, best);
        at = best;
      }
    };
    for (var p = 0; p + 1 < count; p++) {
      var found = merges.get(ids[p] * 2097152 + ids[p + 1]);
      if (found !== undefined) push(found, p);
    }
    while (heapKey.length > 0) {
      var key = heapKey[0];
      var pos = heapPos[0];
      pop();
      if (ids[pos] < 0) continue; // merged into its left neighbour
      var right = next[pos];
      if (right < 0) continue;
      var current = merges.get(ids[pos] * 2097152 + ids[right]);
      var mergedId = key % 4194304;
      if (current === undefined || current % 4194304 !== mergedId) continue;
      ids[pos] = mergedId;
      lengths[pos] += lengths[right];
      ids[right] = -1;
      var after = next[right];
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      var before_ = prev[pos];
      if (before_ >= 0) {
        var withPrevious = merges.get(ids[before_] * 2097152 + mergedId);
        if (withPrevious !== undefined) push(withPrevious, before_);
      }
      if (after >= 0) {
        var withNext = merges.get(mergedId * 2097152 + ids[after]);
        if (withNext !== undefined) push(withNext, pos);
      }
    }
    // keep the live symbols
    var kept = 0;
    for (var q = 0; q < count; q++) {
      if (ids[q] < 0) continue;
      ids[kept] = ids[q];
      lengths[kept] = lengths[q];
      kept++;
    }
    ids.length = kept;
    lengths.length = kept;
  }
}

/** Drops the UTF-8 byte length of `prefix` from the front of a string (the library slices merged tokens by bytes). */
function dropUtf8Bytes(prefix: string): (text: string) => string {
  let bytes = 0;
  for (const ch of prefix) bytes += utf8Bytes(ch.codePointAt(0) as number).length;
  return (text) => {
    let dropped = 0;
    let at = 0;
    while (dropped < bytes && at < text.length) {
      const cp = text.codePointAt(at) as number;
      dropped += utf8Bytes(cp).length;
      at += cp > 0xffff ? 2 : 1;
    }
    return text.slice(at);
  };
}

// ---- added tokens, post-processor, truncation, padding ----

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

interface TemplatePart {
  special: boolean;
  /** Special: the ids and tokens it adds. */
  ids: number[];
  tokens: string[];
}

export interface HfTokenizerOptions {
  /** Ignore the file's truncation (the caller bounds the sequence). */
  noTruncation?: boolean;
}

export class HfTokenizer {
  readonly modelType: string;
  readonly vocabSize: number;
  readonly unknownId: number;
  /** The file's truncation max_length (specials included), or 0. */
  readonly maxLength: number;
  readonly truncateLeft: boolean;
  /** The file's fixed padding length, or 0; the pad id. */
  readonly padLength: number;
  readonly padId: number;
  readonly padToken: string;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer | null;
  private readonly model: TokenModel;
  private readonly added: AddedToken[];
  private readonly template: TemplatePart[];
  /** A ByteLevel post-processor's trim_offsets (and its add_prefix_space, which keeps the first token's one space). */
  private readonly trimOffsets: boolean;
  private readonly trimKeepsPrefixSpace: boolean;
  /** Whether heads cut before an ASCII space tokenize as a prefix of the whole (see encodeIds). */
  private readonly spaceLocal: boolean;

  constructor(json: unknown, options: HfTokenizerOptions = {}) {
    if (!isObject(json as Json)) throw new TokenizerConfigError('tokenizer.json must be a JSON object');
    const config = json as JsonObject;
    const modelConfig = config.model;
    const modelType = typeOf(modelConfig ?? null, 'model');
    this.modelType = modelType;
    this.normalizer = config.normalizer === null || config.normalizer === undefined ? null : makeNormalizer(config.normalizer);
    this.preTokenizer = config.pre_tokenizer === null || config.pre_tokenizer === undefined ? null : makePreTokenizer(config.pre_tokenizer);
    const metaspace = isObject(config.pre_tokenizer ?? null) ? metaspaceReplacement(config.pre_tokenizer as JsonObject) : null;
    if (modelType === 'WordPiece') this.model = new WordPieceModel(modelConfig as JsonObject);
    else if (modelType === 'Unigram') this.model = new UnigramModel(modelConfig as JsonObject, metaspace);
    else if (modelType === 'BPE') this.model = new BpeModel(modelConfig as JsonObject, splitsAtSpaces(config.pre_tokenizer ?? null));
    else throw new TokenizerConfigError(`unsupported model '${modelType}' (supported: WordPiece, Unigram, BPE)`);
    this.unknownId = this.model.unknownId;

    this.added = [];
    const addedList = config.added_tokens ?? [];
    if (!Array.isArray(addedList)) throw new TokenizerConfigError("'added_tokens' must be an array");
    for (const [i, entry] of addedList.entries()) {
      if (!isObject(entry) || typeof entry.id !== 'number' || typeof entry.content !== 'string') throw new TokenizerConfigError(`added_tokens[${i}] must have an id and a content`);
      for (const flag of ['single_word', 'lstrip', 'rstrip'] as const) {
        if (entry[flag] === true) throw new TokenizerConfigError(`added token ${JSON.stringify(entry.content)}: ${flag} is not supported`);
      }
      if (entry.normalized === true && entry.special !== true) throw new TokenizerConfigError(`added token ${JSON.stringify(entry.content)}: normalized added tokens are not supported`);
      if (entry.content.length > 0) this.added.push({ id: entry.id, content: entry.content, special: entry.special === true });
    }
    let vocabSize = this.model.vocabSize;
    for (const token of this.added) vocabSize = Math.max(vocabSize, token.id + 1);
    this.vocabSize = vocabSize;

    const processor = parsePostProcessor(config.post_processor ?? null);
    this.template = processor.template;
    this.trimOffsets = processor.trimOffsets;
    this.trimKeepsPrefixSpace = processor.trimKeepsPrefixSpace;

    const truncation = config.truncation;
    if (isObject(truncation ?? null) && !options.noTruncation) {
      const t = truncation as JsonObject;
      if (typeof t.max_length !== 'number' || t.max_length < 0) throw new TokenizerConfigError('truncation: max_length must be a number');
      this.maxLength = t.max_length;
      this.truncateLeft = t.direction === 'Left';
    } else {
      this.maxLength = 0;
      this.truncateLeft = false;
    }
    const padding = config.padding;
    if (isObject(padding ?? null) && !options.noTruncation) {
      const p = padding as JsonObject;
      const strategy = p.strategy;
      this.padLength = isObject(strategy ?? null) && typeof (strategy as JsonObject).Fixed === 'number' ? ((strategy as JsonObject).Fixed as number) : 0;
      this.padId = typeof p.pad_id === 'number' ? p.pad_id : 0;
      this.padToken = typeof p.pad_token === 'string' ? p.pad_token : '[PAD]';
      if (p.direction === 'Left') throw new TokenizerConfigError('padding: direction Left is not supported');
    } else {
      this.padLength = 0;
      this.padId = 0;
      this.padToken = '[PAD]';
    }
    // every supported component is local at an ASCII space except Unigram tokens holding the space's replacement
    this.spaceLocal = !this.model.crossesSpaces && this.added.every((token) => !/\s/u.test(token.content));
  }

  /** Number of tokens the template adds around one sequence. */
  get specialCount(): number {
    let count = 0;
    for (const part of this.template) if (part.special) count += part.ids.length;
    return count;
  }

  tokenToId(token: string): number | undefined {
    for (const added of this.added) if (added.content === token) return added.id;
    return this.model.tokenToId(token);
  }

  /**
   * The full encoding of one text, as the library's `encode(text, addSpecialTokens)`:
   * truncation and padding as the file configures them. For tests and tools.
   */
  encode(text: string, addSpecialTokens = true): HfEncoding {
    const raw: RawToken[] = [];
    this.tokenizeInto(text, raw, Infinity);
    return this.finish(text, raw, addSpecialTokens);
  }

  private finish(text: string, raw: RawToken[], addSpecialTokens: boolean): HfEncoding {
    let content = raw;
    if (this.maxLength > 0) {
      const room = Math.max(0, this.maxLength - (addSpecialTokens ? this.specialCount : 0));
      if (content.length > room) content = this.truncateLeft ? content.slice(content.length - room) : content.slice(0, room);
    }
    const codePoints = codePointIndex(text);
    const ids: number[] = [];
    const tokens: string[] = [];
    const offsets: [number, number][] = [];
    const pushContent = (): void => {
      content.forEach((token, i) => {
        ids.push(token.id);
        tokens.push(token.value);
        const offset: [number, number] = [codePoints[token.start], codePoints[token.end]];
        if (this.trimOffsets) trimSpaces(token.value, offset, i === 0, this.trimKeepsPrefixSpace);
        offsets.push(offset);
      });
    };
    if (addSpecialTokens && this.template.length > 0) {
      for (const part of this.template) {
        if (!part.special) pushContent();
        else
          for (let k = 0; k < part.ids.length; k++) {
            ids.push(part.ids[k]);
            tokens.push(part.tokens[k]);
            offsets.push([0, 0]);
          }
      }
    } else pushContent();
    while (this.padLength > 0 && ids.length < this.padLength) {
      ids.push(this.padId);
      tokens.push(this.padToken);
      offsets.push([0, 0]);
    }
    return { ids, tokens, offsets };
  }

  /**
   * The hot path: writes the ids of `text` (the template's specials when `addSpecialTokens`)
   * into out[0, limit) and returns how many it wrote; no padding. Reads only as much of
   * the text as the sequence needs (see the file comment). `limit` ≤ out.length.
   */
  encodeIds(text: string, out: Int32Array, limit: number, addSpecialTokens = true, dropUnknown = false): number {
    const specials = addSpecialTokens ? this.specialCount : 0;
    let room = Math.max(0, limit - specials);
    if (this.maxLength > 0) room = Math.min(room, Math.max(0, this.maxLength - specials));
    let raw: RawToken[] = [];
    let done = false;
    if (this.spaceLocal && !this.truncateLeft) {
      for (let window = 256; window < text.length && !done; window *= 4) {
        const cut = text.lastIndexOf(' ', window);
        if (cut <= 0) continue;
        raw = [];
        this.tokenizeInto(text.slice(0, cut), raw, Infinity);
        if (dropUnknown) raw = raw.filter((token) => token.id !== this.unknownId);
        // the head's last token may continue past the cut
        if (raw.length - 1 >= room) done = true;
      }
    }
    if (!done) {
      raw = [];
      this.tokenizeInto(text, raw, Infinity);
      if (dropUnknown) raw = raw.filter((token) => token.id !== this.unknownId);
    }
    let content = raw;
    if (content.length > room) content = this.truncateLeft ? content.slice(content.length - room) : content.slice(0, room);
    let count = 0;
    if (addSpecialTokens && this.template.length > 0) {
      for (const part of this.template) {
        if (!part.special) for (const token of content) out[count++] = token.id;
        else for (const id of part.ids) out[count++] = id;
      }
    } else for (const token of content) out[count++] = token.id;
    return count;
  }

  /** Steps 1–4 on the whole text: the content tokens with UTF-16 offsets into `text`. */
  private tokenizeInto(text: string, out: RawToken[], limit: number): void {
    let at = 0;
    const modelOut: RawToken[] = [];
    const segment = (from: number, to: number): void => {
      if (to <= from || out.length >= limit) return;
      let normalized = aligned(text.slice(from, to), from);
      if (this.normalizer) normalized = this.normalizer(normalized);
      let pieces: Piece[] = [normalized];
      if (this.preTokenizer) pieces = this.preTokenizer(pieces);
      for (const piece of pieces) {
        if (piece.text.length === 0) continue;
        modelOut.length = 0;
        this.model.tokenize(piece.text, modelOut);
        for (const token of modelOut) {
          out.push({ id: token.id, value: token.value, start: piece.start[token.start], end: piece.end[token.end - 1] });
        }
        if (out.length >= limit) return;
      }
    };
    if (this.added.length > 0) {
      while (at < text.length) {
        const match = this.findAdded(text, at);
        if (match === null) break;
        segment(at, match.start);
        out.push({ id: match.token.id, value: match.token.content, start: match.start, end: match.start + match.token.content.length });
        at = match.start + match.token.content.length;
      }
    }
    segment(at, text.length);
  }

  /** The leftmost, then longest, added token at or after `from`. */
  private findAdded(text: string, from: number): { start: number; token: AddedToken } | null {
    let best: { start: number; token: AddedToken } | null = null;
    for (const token of this.added) {
      const at = text.indexOf(token.content, from);
      if (at < 0) continue;
      if (best === null || at < best.start || (at === best.start && token.content.length > best.token.content.length)) best = { start: at, token };
    }
    return best;
  }
}

function metaspaceReplacement(config: JsonObject): string | null {
  if (config.type === 'Metaspace') return typeof config.replacement === 'string' ? config.replacement : '\u2581';
  if (config.type === 'Sequence' && Array.isArray(config.pretokenizers)) {
    for (const item of config.pretokenizers) if (isObject(item) && item.type === 'Metaspace') return metaspaceReplacement(item);
  }
  return null;
}

/** UTF-16 index → code point index, for every index 0…text.length. */
function codePointIndex(text: string): Int32Array {
  const map = new Int32Array(text.length + 1);
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    map[i] = count;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        map[i + 1] = count;
        i++;
      }
    }
    count++;
  }
  map[text.length] = count;
  return map;
}

/** BPE's windowed encode needs pre-tokenizers that cut at every ASCII space (no merge crosses one). */
function splitsAtSpaces(config: Json): boolean {
  if (!isObject(config)) return false;
  switch (config.type) {
    case 'BertPreTokenizer':
    case 'Whitespace':
    case 'WhitespaceSplit':
      return true;
    case 'ByteLevel':
      return config.use_regex !== false;
    case 'Metaspace':
      return config.split !== false;
    case 'Sequence':
      return Array.isArray(config.pretokenizers) && config.pretokenizers.some(splitsAtSpaces);
    default:
      return false;
  }
}

interface PostProcessor {
  template: TemplatePart[];
  trimOffsets: boolean;
  trimKeepsPrefixSpace: boolean;
}

/** TemplateProcessing, BertProcessing, ByteLevel (offset trimming), or a Sequence of a ByteLevel and one of the others. */
function parsePostProcessor(config: Json): PostProcessor {
  const result: PostProcessor = { template: [], trimOffsets: false, trimKeepsPrefixSpace: false };
  const steps = isObject(config) && config.type === 'Sequence' ? config.processors : [config];
  if (!Array.isArray(steps)) throw new TokenizerConfigError("post_processor Sequence: 'processors' must be an array");
  let templates = 0;
  steps.forEach((step, i) => {
    if (isObject(step) && step.type === 'ByteLevel') {
      if (i > 0) throw new TokenizerConfigError('post_processor Sequence: a ByteLevel step after a template is not supported');
      result.trimOffsets = step.trim_offsets !== false;
      result.trimKeepsPrefixSpace = step.add_prefix_space !== false;
    } else if (step !== null) {
      if (templates++ > 0) throw new TokenizerConfigError('post_processor Sequence: more than one template is not supported');
      result.template = parseTemplate(step);
    }
  });
  return result;
}

/** The ByteLevel post-processor's process_offsets: offsets leave out a token's leading and trailing spaces (Ġ or whitespace). */
function trimSpaces(token: string, offset: [number, number], first: boolean, addPrefixSpace: boolean): void {
  const chars = Array.from(token);
  const space = (ch: string): boolean => ch === '\u0120' || isWhitespace(ch);
  let leading = 0;
  while (leading < chars.length && space(chars[leading])) leading++;
  let trailing = 0;
  while (trailing < chars.length && space(chars[chars.length - 1 - trailing])) trailing++;
  if (leading > 0) {
    // the one space add_prefix_space put before the first token stays in it
    if ((first || offset[0] === 0) && addPrefixSpace && leading === 1) leading = 0;
    offset[0] = Math.min(offset[0] + leading, offset[1]);
  }
  if (trailing > 0 && offset[1] >= trailing) offset[1] = Math.max(offset[1] - trailing, offset[0]);
}

function parseTemplate(config: Json): TemplatePart[] {
  if (config === null) return [];
  const type = typeOf(config, 'post_processor');
  const c = config as JsonObject;
  if (type === 'BertProcessing') {
    const cls = c.cls;
    const sep = c.sep;
    if (!Array.isArray(cls) || !Array.isArray(sep)) throw new TokenizerConfigError('post_processor BertProcessing: cls and sep must be [token, id]');
    return [
      { special: true, ids: [cls[1] as number], tokens: [cls[0] as string] },
      { special: false, ids: [], tokens: [] },
      { special: true, ids: [sep[1] as number], tokens: [sep[0] as string] },
    ];
  }
  if (type !== 'TemplateProcessing') throw new TokenizerConfigError(`unsupported post_processor '${type}' (supported: TemplateProcessing, BertProcessing)`);
  const single = field(c, 'single', 'post_processor TemplateProcessing');
  const specials = isObject(c.special_tokens ?? null) ? (c.special_tokens as JsonObject) : {};
  if (!Array.isArray(single)) throw new TokenizerConfigError("post_processor TemplateProcessing: 'single' must be an array");
  return single.map((item, i) => {
    if (isObject(item) && isObject(item.Sequence ?? null)) return { special: false, ids: [], tokens: [] };
    if (isObject(item) && isObject(item.SpecialToken ?? null)) {
      const name = (item.SpecialToken as JsonObject).id;
      const special = typeof name === 'string' ? specials[name] : undefined;
      if (!isObject(special ?? null) || !Array.isArray((special as JsonObject).ids)) throw new TokenizerConfigError(`post_processor TemplateProcessing: special token ${JSON.stringify(name)} is not in special_tokens`);
      const s = special as JsonObject;
      return { special: true, ids: (s.ids as Json[]).map(Number), tokens: (s.tokens as Json[]).map(String) };
    }
    throw new TokenizerConfigError(`post_processor TemplateProcessing: single[${i}] must be a Sequence or a SpecialToken`);
  });
}
