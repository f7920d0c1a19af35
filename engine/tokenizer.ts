// The `words` tokenizer (TF Lite Model Maker's average-word-vec rule, FORMAT.md):
// lowercase; split on runs of characters that are not Unicode letters, Unicode
// digits, `_` or `'`; drop empty pieces; ids = [start] + each word's vocab id
// (or unknown); pad at the end or cut to the sequence length.
//
// The result equals `text.toLowerCase().split(/[^\p{L}\p{N}_']+/u)`, but the
// scanner reads the text once, left to right, and stops as soon as the sequence
// is full, so the cost does not grow with the text: no whole-text toLowerCase or
// split, each word is lowercased on its own. ASCII goes through a lookup table;
// other characters (surrogate pairs included) through one sticky Unicode regex.

import { MAX_KEY_LENGTH, MIN_KEY, type VocabTable } from './vocab-table.ts';

/** Token → id (no prototype). */
type TokenIds = { [token: string]: number | undefined };

/** What a tokenizer needs from the model file (same shape as format.ts's TokenizerSpec). */
export interface WordTokenizerSpec {
  kind: 'words';
  vocab: readonly string[];
  padId: number;
  startId: number;
  unknownId: number;
  lowercase: boolean;
  /** Number of ids (default: vocab.length). */
  vocabSize?: number;
  /**
   * The converter's table (engine/vocab-table.ts) and the tokens it does not key, of ids
   * table.restIds: then `vocab` is never read at load (only `rest` goes into the object).
   * Used only with `lowercase` (a key matches a word in any letter case).
   */
  table?: VocabTable | null;
  rest?: readonly string[] | null;
  /** The vocabulary as one string (tokens joined by "\n"), when the caller has it: saves a join at load. */
  vocabText?: string;
  /**
   * The file reader already proved that the special ids are the leading ones and every later
   * token is ASCII word characters only (format.ts decodes and checks the vocabulary in one
   * pass): the constructor skips its own check. Absent or false: it checks.
   */
  wordTokensChecked?: boolean;
}

// ASCII character classes: 0 separator, 1 word character, 2 uppercase word character.
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch === '_' || ch === "'") ASCII_CLASS[c] = 1;
  else if (ch >= 'A' && ch <= 'Z') ASCII_CLASS[c] = 2;
}

/** ASCII_CLASS over every UTF-16 code unit (non-ASCII units are 0): one lookup per character, no range check. */
const UNIT_CLASS = new Uint8Array(65536);
UNIT_CLASS.set(ASCII_CLASS);

/** Characters encodeURIComponent leaves as they are that are separators for the rule (the rest are [A-Za-z0-9_']). */
const URI_UNRESERVED_SEPARATORS = ['-', '.', '!', '~', '*', '(', ')'];

/**
 * Whether every token of `text` (tokens joined by "\n", `tokens` of them) is made of
 * ASCII word characters [A-Za-z0-9_'] only. One native pass: encodeURIComponent
 * leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) as they are and writes any other character as
 * at least 3, "\n" as exactly 3; then a few indexOf rule out - . ! ~ * ( ).
 */
function asciiWordsOnly(text: string, tokens: number): boolean {
  var encoded = '';
  try {
    encoded = encodeURIComponent(text);
  } catch {
    return false; // a lone surrogate
  }
  if (encoded.length !== text.length + 2 * (tokens - 1)) return false;
  for (var i = 0; i < URI_UNRESERVED_SEPARATORS.length; i = (i + 1) | 0) if (text.indexOf(URI_UNRESERVED_SEPARATORS[i]) >= 0) return false;
  return true;
}

/** Lines of ASCII word characters only: one anchored native pass (~170 instructions a character, about half of asciiWordsOnly's). */
const ASCII_WORD_LINES = /^[A-Za-z0-9_'\n]*$/;

/** A word of the rule, in lowercased text. */
const WORDS = /[\p{L}\p{N}_']+/gu;
/** Heads of the text the fast path tries, in UTF-16 units; then the scanner. */
const FAST_WINDOWS = [256, 4096];
const SMALL_FINAL_SIGMA = '\u03c2';

// A run of separators of the rule starting at lastIndex: the scanner jumps it natively.
const SEPARATOR_RUN = /[^\p{L}\p{N}_']+/uy;

// A non-ASCII letter or digit starting at lastIndex (sticky; `u` reads a surrogate pair as one code point).
const NON_ASCII_WORD_CHAR = /[\p{L}\p{N}]/uy;

// 'İ' lowercases to 'i' + U+0307 COMBINING DOT ABOVE, which is not a letter: in
// the lowercased text the word ends right after the 'i'.
const CAPITAL_I_WITH_DOT = 0x130;
const COMBINING_DOT_ABOVE = 0x307;
// 'Σ' lowercases to 'ς' or 'σ' depending on the letters around it, which may lie outside the word.
const CAPITAL_SIGMA = 0x3a3;
const SIGMA_CONTEXT = 32;

/** Width in UTF-16 units of the letter or digit at text[i] (code unit c ≥ 128), or 0 when it is a separator. */
function nonAsciiWordCharWidth(text: string, i: number, c: number): number {
  NON_ASCII_WORD_CHAR.lastIndex = i;
  if (!NON_ASCII_WORD_CHAR.test(text)) return 0;
  return c >= 0xd800 && c <= 0xdbff ? 2 : 1;
}

/** text[start, end) lowercased as it would be inside `text.toLowerCase()`. */
function lowercaseWord(text: string, start: number, end: number, hasSigma: boolean, endsWithDottedI: boolean): string {
  let word: string;
  if (hasSigma) {
    // Final-sigma casing looks at the neighbouring letters: lowercase with some context and cut the word back out.
    const from = Math.max(0, start - SIGMA_CONTEXT);
    const to = Math.min(text.length, end + SIGMA_CONTEXT);
    const before = text.slice(from, start).toLowerCase().length;
    const length = text.slice(start, end).toLowerCase().length;
    word = text.slice(from, to).toLowerCase().substring(before, before + length);
  } else {
    word = text.slice(start, end).toLowerCase();
  }
  if (endsWithDottedI && word.charCodeAt(word.length - 1) === COMBINING_DOT_ABOVE) word = word.slice(0, -1);
  return word;
}

export class WordTokenizer {
  readonly sequenceLength: number;
  readonly vocabSize: number;
  readonly padId: number;
  readonly startId: number;
  readonly unknownId: number;
  readonly lowercase: boolean;
  /** UTF-16 units of the text the last encode() read: bounded by where the sequence filled up, not by the text's length. */
  charsRead = 0;
  /** Ids the last encode() wrote before the padding (the start id included). */
  filled = 0;
  /** Turns of the scanner's outer loop in the last encode() (a separator, a separator run or a word each; 0 on the fast path). */
  scanSteps = 0;
  /**
   * Every vocabulary token but the three special ones is made of ASCII word characters
   * only: a space-separated piece of the text found in the vocabulary is then exactly
   * one word of the rule (encode's split path).
   */
  readonly wordTokens: boolean;
  /**
   * Token → id, a prototype-less object (cheaper than a Map in QuickJS: ~6.1M vs 6.7M to
   * build for 2,003 tokens, and a third less per lookup; no key can hit a prototype).
   */
  private readonly ids: TokenIds;
  /** Longest vocabulary token, computed on first use (longestToken): only the scanner needs it. */
  private longest = -1;
  /** Every id from this one on is an ordinary token (the special ids all lie below it); −1 when they do not. */
  private readonly firstWordId: number;
  /** The spec: its vocab is read only without a table (the object, longestToken, checkWordTokens). */
  private readonly spec: WordTokenizerSpec;
  /** With a table: slot → key (0 empty), slot → id, and the slot count; else keys is null. */
  private readonly keys: Float64Array | null;
  private readonly slotIds: Uint32Array;
  private readonly slotCount: number;

  constructor(spec: WordTokenizerSpec, sequenceLength: number) {
    this.sequenceLength = sequenceLength;
    this.padId = spec.padId;
    this.startId = spec.startId;
    this.unknownId = spec.unknownId;
    this.lowercase = spec.lowercase;
    this.spec = spec;
    var table = spec.lowercase && spec.table && spec.rest ? spec.table : null;
    var ids = Object.create(null) as TokenIds;
    var id = 0;
    if (table !== null && spec.rest) {
      // The table keys most tokens; the object holds the rest only (backwards: the first id of a duplicate stays).
      this.vocabSize = table.vocabSize;
      this.keys = table.keys;
      this.slotIds = table.slotIds;
      this.slotCount = table.slotCount;
      var rest = spec.rest;
      var restIds = table.restIds;
      for (id = (rest.length - 1) | 0; id >= 0; id = (id - 1) | 0) ids[rest[id]] = restIds[id];
      this.ids = ids;
      this.wordTokens = ids[''] === undefined && spec.wordTokensChecked === true;
      // Words looked up one at a time go through the table (encodeSplitting tests for the table itself).
      this.wordId = this.keyedWordId;
      this.cappedWordId = this.keyedWordId;
      // (encodeMatching looks words up in the object inline: with a table the exact scanner stands in)
      this.encodeMatching = this.encodeScanning;
    } else {
      this.vocabSize = spec.vocabSize ?? spec.vocab.length;
      this.keys = null;
      this.slotIds = new Uint32Array(0);
      this.slotCount = 0;
      // Backwards, so the first id of a duplicated token is the one that stays; one store per
      // token and nothing else (runs at load: ~2,800 instructions a token in the canister, most
      // of it QuickJS adding a property; unrolled by 8 it is ~10% less than one store a turn).
      var vocab = spec.vocab;
      id = (vocab.length - 1) | 0;
      for (; id >= 7; id = (id - 8) | 0) {
        ids[vocab[id]] = id;
        ids[vocab[id - 1]] = id - 1;
        ids[vocab[id - 2]] = id - 2;
        ids[vocab[id - 3]] = id - 3;
        ids[vocab[id - 4]] = id - 4;
        ids[vocab[id - 5]] = id - 5;
        ids[vocab[id - 6]] = id - 6;
        ids[vocab[id - 7]] = id - 7;
      }
      for (; id >= 0; id = (id - 1) | 0) ids[vocab[id]] = id;
      this.ids = ids;
      // (an empty token would match the empty pieces of a split: such a vocabulary takes the matching path)
      this.wordTokens = ids[''] === undefined && (spec.wordTokensChecked === true || WordTokenizer.checkWordTokens(spec));
    }
    // The special ids are usually the first ones (0, 1, 2): then "not special" is one comparison.
    var lead = 0;
    while (lead === spec.padId || lead === spec.startId || lead === spec.unknownId) lead++;
    this.firstWordId = spec.padId < lead && spec.startId < lead && spec.unknownId < lead ? lead : -1;
  }

  /**
   * Length of the longest vocabulary token (lowercasing never shortens a word, so a longer
   * word is unknown). Computed once, on first use: only the scanner (encodeScanning) needs it,
   * to stop reading a word that outgrew every token; the fast paths just look words up.
   */
  longestToken(): number {
    var longest = this.longest;
    if (longest >= 0) return longest;
    // with a table: no keyed token is longer than MAX_KEY_LENGTH, the rest are in spec.rest
    var vocab = this.keys !== null && this.spec.rest ? this.spec.rest : this.spec.vocab;
    var n = 0;
    longest = 0;
    for (var id = 0; id < vocab.length; id = (id + 1) | 0) {
      n = vocab[id].length;
      if (n > longest) longest = n;
    }
    if (this.keys !== null && longest < MAX_KEY_LENGTH) longest = MAX_KEY_LENGTH;
    this.longest = longest;
    return longest;
  }

  /** Whether the vocabulary without its special tokens is ASCII words only (see wordTokens); runs once, at load. */
  private static checkWordTokens(spec: WordTokenizerSpec): boolean {
    const vocab = spec.vocab;
    const specials = [spec.padId, spec.startId, spec.unknownId];
    // Leading ids that are all special (usually 0, 1, 2): cut them off the joined text.
    let lead = 0;
    while (lead < vocab.length && specials.indexOf(lead) >= 0) lead++;
    if (specials.every((id) => id < lead)) {
      const text = spec.vocabText ?? vocab.join('\n');
      let at = 0;
      for (let i = 0; i < lead && at >= 0; i++) at = text.indexOf('\n', at) + 1;
      if (lead >= vocab.length) return true;
      if (at <= 0) return false;
      // vocabText's lines are the tokens (format.ts splits it at "\n"), so no token holds a "\n": one regex test.
      return spec.vocabText !== undefined ? ASCII_WORD_LINES.test(text.slice(at)) : asciiWordsOnly(text.slice(at), vocab.length - lead);
    }
    const rest = vocab.slice();
    for (const id of specials) rest[id] = '';
    return asciiWordsOnly(rest.join('\n'), rest.length);
  }

  /** The id of one (already lowercased) word. */
  wordId(word: string): number {
    const id = this.ids[word];
    return id === undefined ? this.unknownId : id;
  }

  /** wordId with a table: a word that is a key's base-36 numeral is the table's, any other one the object's (the rest). */
  private keyedWordId(word: string): number {
    var v = parseInt(word, 36);
    if (v >= MIN_KEY[word.length]) return this.keyId(v);
    var id = this.ids[word];
    return id === undefined ? this.unknownId : id;
  }

  /** The id of the token of key `v` (parseInt(word, 36), checked against MIN_KEY), or the unknown id. */
  private keyId(v: number): number {
    var keys = this.keys as Float64Array;
    var slots = this.slotCount | 0;
    var slot = v % slots;
    var key = 0;
    // linear probing; a full table (a file's, not the converter's) ends after one round
    for (var probes = 0; probes < slots; probes = (probes + 1) | 0) {
      key = keys[slot];
      if (key === v) return this.slotIds[slot];
      if (key === 0) return this.unknownId;
      slot = slot + 1 === slots ? 0 : slot + 1;
    }
    return this.unknownId;
  }

  /**
   * Writes the token ids of `text` into out[0, sequenceLength) and returns `out`.
   *
   * Fast path (native code does the per-character work): lowercase a head of the
   * text (FAST_WINDOWS) with one toLowerCase, take its words with one global
   * Unicode match, one Map.get per word. Exact: the head's lowercase is a prefix of
   * the whole text's lowercase except where final-sigma casing looks past the cut
   * (then the head contains a 'ς': not taken), and a word is only used when another
   * word follows it inside the head (so the cut did not shorten it). When the head
   * is too short for the sequence, the next window is tried, then the scanner below.
   */
  encode(text: string, out: Int32Array): Int32Array {
    return this.wordTokens ? this.encodeSplitting(text, out) : this.encodeMatching(text, out);
  }

  /**
   * encode when the vocabulary is ASCII words only (wordTokens): the same windows as
   * encodeMatching, but the head is split at spaces natively (split(' ', limit)) and each
   * piece is looked up whole: found (and not a special token) it is one word of the rule.
   * Only the other pieces (punctuation attached, unknown words) are split further, by
   * pieceWords. Exactness at a cut: the head's last piece may continue past it and is
   * not used; a sequence left unfilled by a cut or limited split tries more text.
   * With a vocabulary table, a piece that is a key's numeral is looked up in the table first.
   */
  encodeSplitting(text: string, out: Int32Array): Int32Array {
    var length = this.sequenceLength | 0;
    var textLength = text.length | 0;
    var ids = this.ids;
    var pad = this.padId;
    var startId = this.startId;
    var unknown = this.unknownId;
    // (no initializers: each one is two bytecodes a call, and every one is assigned before it is read)
    var w: number;
    var window: number;
    var cut: boolean;
    var head: string;
    var pieces: string[];
    var limit: number;
    var pass: number;
    var limited: boolean;
    var usable: number;
    var p: number;
    var piece: string;
    var count: number;
    var n: number;
    var k: number;
    var c: number;
    var id: number | undefined;
    var e: number;
    var v: number;
    var floor = this.firstWordId;
    var unitClass = UNIT_CLASS;
    var minKey = MIN_KEY;
    // with a table (vocab-table.ts): its keys, slot ids and slot count; without one, keyed is false and they are not read
    var keyed = this.keys !== null;
    var keys = this.keys as Float64Array;
    var slotIds = this.slotIds;
    var slots = this.slotCount;
    var slot: number;
    var key: number;
    if (length <= 0) return this.encodeScanning(text, out);
    for (w = 0; w < FAST_WINDOWS.length; w = (w + 1) | 0) {
      window = FAST_WINDOWS[w];
      cut = textLength > window;
      head = cut ? text.slice(0, window) : text;
      if (this.lowercase) head = head.toLowerCase();
      if (cut && head.indexOf(SMALL_FINAL_SIGMA) >= 0) break;
      // First a limited split (a long head has many more pieces than the sequence needs), then all of it.
      limit = (length + 8) | 0;
      for (pass = 0; pass < 2; pass = (pass + 1) | 0) {
        pieces = pass === 0 ? head.split(' ', limit) : head.split(' ');
        usable = pieces.length | 0;
        // The last piece of a cut head may continue past the cut.
        if (cut) usable = (usable - 1) | 0;
        out[0] = startId;
        count = 1;
        for (p = 0; p < usable && count < length; p++) {
          piece = pieces[p];
          if (keyed) {
            // a base-36 numeral of ≤ 10 characters, no leading 0: the table's, by one native parseInt (vocab-table.ts)
            v = parseInt(piece, 36);
            if (v >= minKey[piece.length]) {
              slot = v % slots;
              key = keys[slot];
              out[count] = key === v ? slotIds[slot] : key === 0 ? unknown : this.keyId(v);
              count++;
              continue;
            }
          }
          // the object: every token without a table, the rest of them with one
          id = ids[piece];
          if (id !== undefined && (id >= floor || (floor < 0 && id !== pad && id !== startId && id !== unknown))) {
            out[count] = id;
            count++;
            continue;
          }
          n = piece.length;
          if (n === 0) continue;
          // Not in the vocabulary: one unknown word when it is all ASCII word characters (checked here, no call).
          k = 0;
          if (id === undefined) {
            if (!keyed) {
              // ASCII letters and digits only, ≤ 10 of them, no leading 0: one native parseInt says so (vocab-table.ts MIN_KEY), not a call per character
              v = parseInt(piece, 36);
              if (v >= minKey[n]) {
                out[count] = unknown;
                count++;
                continue;
              }
              // parseInt read n − 1 digits (so no space or sign before them) and the last character is an ASCII separator (as "now!"): that word
              if (v >= minKey[n - 1] && (c = piece.charCodeAt(n - 1)) < 128 && unitClass[c] === 0) {
                id = ids[piece.slice(0, n - 1)];
                out[count] = id === undefined ? unknown : id;
                count++;
                continue;
              }
            }
            while (k < n && unitClass[piece.charCodeAt(k)] !== 0) k++;
            if (k === n) {
              out[count] = unknown;
              count++;
              continue;
            }
            // A word then ASCII separators only (as "now!" or "prize."): the word, looked up here.
            if (k > 0) {
              e = k;
              while (e < n && (c = piece.charCodeAt(e)) < 128 && unitClass[c] === 0) e++;
              if (e === n) {
                if (keyed) out[count] = this.keyedWordId(piece.slice(0, k));
                else {
                  id = ids[piece.slice(0, k)];
                  out[count] = id === undefined ? unknown : id;
                }
                count++;
                continue;
              }
            }
          }
          count = this.pieceWords(piece, k, id === undefined, out, count);
        }
        limited = pass === 0 && pieces.length >= limit;
        if (count >= length || (!limited && !cut)) {
          this.filled = count;
          if (count < length) out.fill(pad, count, length);
          this.charsRead = cut ? window : textLength;
          return out;
        }
        // A limited split: split the whole head; else (a cut head without enough words) the next window.
        if (!limited) break;
      }
    }
    return this.encodeScanning(text, out);
  }

  /**
   * The words of one space-free piece of lowercased text, written from out[count] on
   * (up to the sequence length); returns the new count. ASCII is split with the class
   * table; a piece with other characters goes through the rule's regex. `missing`: the
   * whole piece is known not to be in the vocabulary; `scanned`: its first characters
   * known to be ASCII word characters.
   */
  private pieceWords(piece: string, scanned: number, missing: boolean, out: Int32Array, count: number): number {
    var length = this.sequenceLength | 0;
    var n = piece.length | 0;
    var k = scanned | 0;
    var c = 0;
    // piece[0, scanned) are known ASCII word characters
    var start = k > 0 ? 0 : -1;
    var first = count;
    for (; k < n; k = (k + 1) | 0) {
      c = piece.charCodeAt(k);
      if (c >= 128) return this.pieceWordsMatching(piece, out, first);
      if (ASCII_CLASS[c] !== 0) {
        if (start < 0) start = k;
      } else if (start >= 0) {
        if (count < length) {
          out[count] = this.cappedWordId(piece.slice(start, k));
          count = (count + 1) | 0;
        }
        start = -1;
      }
    }
    if (start >= 0 && count < length) {
      out[count] = start === 0 && missing ? this.unknownId : this.cappedWordId(start === 0 ? piece : piece.slice(start));
      count = (count + 1) | 0;
    }
    return count;
  }

  /** pieceWords for a piece with non-ASCII characters: the rule's regex. */
  private pieceWordsMatching(piece: string, out: Int32Array, count: number): number {
    var length = this.sequenceLength | 0;
    var words = piece.match(WORDS);
    var i = 0;
    if (words === null) return count;
    for (i = 0; i < words.length && count < length; i = (i + 1) | 0) {
      out[count] = this.cappedWordId(words[i]);
      count = (count + 1) | 0;
    }
    return count;
  }

  /** wordId (the fast paths' lookups). */
  private cappedWordId(word: string): number {
    const id = this.ids[word];
    return id === undefined ? this.unknownId : id;
  }

  /** encode for any vocabulary: the head's words by one global Unicode match. */
  encodeMatching(text: string, out: Int32Array): Int32Array {
    var length = this.sequenceLength | 0;
    var textLength = text.length | 0;
    var window = 0;
    var w = 0;
    var cut = false;
    var head = '';
    var words: RegExpMatchArray | null = null;
    var usable = 0;
    var needed = length - 1;
    var count = 0;
    var word = '';
    var id: number | undefined = 0;
    var ids = this.ids;
    var unknown = this.unknownId;
    if (length <= 0) return this.encodeScanning(text, out);
    for (w = 0; w < FAST_WINDOWS.length; w = (w + 1) | 0) {
      window = FAST_WINDOWS[w];
      cut = textLength > window;
      head = cut ? text.slice(0, window) : text;
      if (this.lowercase) head = head.toLowerCase();
      if (cut && head.indexOf(SMALL_FINAL_SIGMA) >= 0) break;
      words = head.match(WORDS);
      usable = words === null ? 0 : words.length;
      // The last word of a cut head may continue past the cut.
      if (cut) usable = (usable - 1) | 0;
      if (usable < needed && cut) continue;
      out[0] = this.startId;
      count = 1;
      if (words !== null) {
        if (usable > needed) usable = needed;
        for (w = 0; w < usable; w = (w + 1) | 0) {
          word = words[w];
          id = ids[word];
          out[count] = id === undefined ? unknown : id;
          count = (count + 1) | 0;
        }
      }
      this.filled = count;
      var pad = this.padId;
      for (; count < length; count = (count + 1) | 0) out[count] = pad;
      this.charsRead = cut ? window : textLength;
      return out;
    }
    return this.encodeScanning(text, out);
  }

  /** encode's exact scanner: reads the text once, left to right, and stops when the sequence is full. */
  encodeScanning(text: string, out: Int32Array): Int32Array {
    var length = this.sequenceLength | 0;
    var textLength = text.length | 0;
    var lowercase = this.lowercase;
    var longest = this.longestToken() | 0;
    var count = 0;
    var i = 0;
    var c = 0;
    var kind = 0;
    var width = 0;
    var start = 0;
    var needsLowercase = false;
    var hasSigma = false;
    var endsWithDottedI = false;
    var id = 0;
    var steps = 0;
    if (length > 0) {
      out[0] = this.startId;
      count = 1;
    }
    while (count < length && i < textLength) {
      steps = (steps + 1) | 0;
      // Skip separators up to the next word.
      c = text.charCodeAt(i);
      if (c < 128) {
        kind = ASCII_CLASS[c];
        width = kind === 0 ? 0 : 1;
      } else {
        width = nonAsciiWordCharWidth(text, i, c);
        kind = 2;
      }
      if (width === 0) {
        i = (i + 1) | 0;
        // Two separators in a row: the rest of the run in one native regex step, no cost per separator.
        if (i < textLength && ((c = text.charCodeAt(i)) >= 128 || ASCII_CLASS[c] === 0)) {
          SEPARATOR_RUN.lastIndex = i;
          if (SEPARATOR_RUN.test(text)) i = SEPARATOR_RUN.lastIndex;
        }
        continue;
      }
      // Read one word: text[start, i).
      start = i;
      needsLowercase = false;
      hasSigma = false;
      endsWithDottedI = false;
      while (true) {
        if (kind === 2) {
          needsLowercase = true;
          if (c === CAPITAL_SIGMA) hasSigma = true;
        }
        i = (i + width) | 0;
        if (c === CAPITAL_I_WITH_DOT && lowercase) {
          endsWithDottedI = true;
          break;
        }
        // The last slot gets the unknown id once the word outgrows every token: stop reading.
        if (i - start > longest && count === length - 1) break;
        if (i >= textLength) break;
        c = text.charCodeAt(i);
        if (c < 128) {
          kind = ASCII_CLASS[c];
          if (kind === 0) break;
          width = 1;
        } else {
          width = nonAsciiWordCharWidth(text, i, c);
          if (width === 0) break;
          kind = 2;
        }
      }
      if (i - start > longest) {
        id = this.unknownId;
      } else if (needsLowercase && lowercase) {
        id = this.wordId(lowercaseWord(text, start, i, hasSigma, endsWithDottedI));
      } else {
        id = this.wordId(text.slice(start, i));
      }
      out[count] = id;
      count = (count + 1) | 0;
    }
    this.charsRead = i;
    this.filled = count;
    this.scanSteps = steps;
    var pad = this.padId;
    for (; count < length; count = (count + 1) | 0) out[count] = pad;
    return out;
  }

  /** The words of `text` as the rule splits them (no vocabulary, no sequence limit): for tools and tests, not the hot path. */
  words(text: string): string[] {
    const lowered = this.lowercase ? text.toLowerCase() : text;
    return lowered.split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
  }
}
