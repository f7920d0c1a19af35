// Predictions over a loaded model, shared by the Candid methods and REST.
//
// Texts arrive as bytes (a Candid blob, or a JSON string inside a request body)
// and are never decoded whole: the engine's tokenizer reads at most `words`
// words, so only the prefix of the bytes holding that many words is decoded
// (textPrefix). The cost of a prediction therefore does not grow with the text.

import { bindInputs, predictBound, type GivenTensor, type TensorSpec } from '../engine/index.ts';
import type { Loaded, ModelSummary } from './registry.ts';
import { decodeUtf8, lastDecodeIllFormed } from './utf8.ts';

export const PREDICT_LIMITS = {
  /** Items in one batch. */
  maxBatch: 64,
  /** Bytes of one text (only a prefix is ever decoded, but the whole text must be in the request). */
  maxTextBytes: 1024 * 1024,
  /**
   * Bytes of one text that may be scanned and decoded: the words a model reads must lie
   * within them. A text of ordinary words needs a few hundred; this bound keeps a
   * pathological text (no separators, one giant word) well under the query limit.
   */
  maxReadBytes: 32 * 1024,
  /** The same, summed over a batch. */
  maxBatchReadBytes: 96 * 1024,
};

/** A text as bytes[start, end): raw UTF-8, or the inside of a JSON string literal (with escapes). */
export interface TextRef {
  bytes: Uint8Array;
  start: number;
  end: number;
  json: boolean;
  /** The prefix end, when already known (see prefixEnd). */
  cut?: number;
}

export type PredictInput =
  | { text: TextRef }
  | { texts: TextRef[] }
  | { tokens: ArrayLike<number> }
  | { tokensBatch: ArrayLike<number>[] }
  | { vector: ArrayLike<number> }
  | { vectorBatch: ArrayLike<number>[] }
  /** N-D or several named inputs, a batch on a leading axis (engine/inputs.ts bindInputs checks the shapes). */
  | { tensors: GivenTensor[] };

/** A stored model's inputs and outputs (records committed before they were kept: the one input and output their summary implies). */
export function tensorSpecsOf(m: ModelSummary): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  return {
    inputs: m.inputs ?? (m.inputKind === '' ? [] : [{ name: 'input', shape: m.inputShape, dtype: m.inputKind === 'tokens' ? 'int32' : 'float32' }]),
    outputs: m.outputs ?? (m.inputKind === '' ? [] : [{ name: 'output', shape: [m.labels.length], dtype: 'float32' }]),
  };
}

export class PredictError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PredictError';
    this.code = code;
  }
}

// Byte classes for the prefix scan:
// 0 hard separator: a separator that is neither cased nor case-ignorable, so a cut
//   there changes neither the words before it nor their lowercasing (final sigma);
// 1 ASCII word character [A-Za-z0-9_']: a run holding one is at least one word;
// 2 unknown: a non-ASCII byte (letter, digit or separator; the run goes on);
// 3 soft separator: ends a word but is case-ignorable (. : ^ `): no cut there;
// 4 backslash (an escape in JSON mode);
// 5 a raw quote (JSON mode): the string ends there.
const CLASS_RAW = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (c >= 0x80) CLASS_RAW[c] = 2;
  else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch === '_' || ch === "'") CLASS_RAW[c] = 1;
  else if (ch === '.' || ch === ':' || ch === '^' || ch === '`') CLASS_RAW[c] = 3;
  else CLASS_RAW[c] = 0;
}
const CLASS_JSON = CLASS_RAW.slice();
CLASS_JSON[0x5c] = 4;
CLASS_JSON[0x22] = 5;

/** A sticky regex matching a run of the bytes of classes {0, 3} (separators), as latin1 characters. */
function byteRun(cls: Uint8Array, classes: number[], flags: string): RegExp {
  let set = '';
  for (let c = 0; c < 256; c++) if (classes.indexOf(cls[c]) >= 0) set += '\\x' + (c < 16 ? '0' : '') + c.toString(16);
  return new RegExp(`[${set}]+`, flags);
}
const SEPARATOR_RUN_RAW = byteRun(CLASS_RAW, [0, 3], 'y');
const SEPARATOR_RUN_JSON = byteRun(CLASS_JSON, [0, 3], 'y');
const SOFT_RUN_RAW = byteRun(CLASS_RAW, [3], 'y');
const SOFT_RUN_JSON = byteRun(CLASS_JSON, [3], 'y');
/** Matches a whole latin1 string of separators only (classes 0 and 3). */
const ALL_SEPARATORS_RAW = new RegExp(`^${SEPARATOR_RUN_RAW.source}$`);
const ALL_SEPARATORS_JSON = new RegExp(`^${SEPARATOR_RUN_JSON.source}$`);

/** bytes[start, end) as a string of char codes 0–255, converted natively 4 KiB at a time. */
function latin1(b: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let p = start; p < end; p += 4096) out += String.fromCharCode.apply(null, b.subarray(p, Math.min(end, p + 4096)) as unknown as number[]);
  return out;
}

/**
 * Whether bytes[start, end) are all separators (classes 0 and 3), natively, 32 KiB at a time:
 * a block whose largest byte is below `'` (white space, controls, ! # $ % &) is separators
 * unless it holds a quote (JSON); any other block is tested with a regex over its latin1 string.
 * Measured in the canister: ~180 instructions a byte for spaces, ~450 for other separators.
 */
function allSeparators(b: Uint8Array, start: number, end: number, json: boolean): boolean {
  const re = json ? ALL_SEPARATORS_JSON : ALL_SEPARATORS_RAW;
  for (let p = start; p < end; p += 32768) {
    const block = b.subarray(p, Math.min(end, p + 32768));
    if (block[0] < 0x27 && Math.max.apply(null, block as unknown as number[]) < 0x27 && !(json && block.indexOf(0x22) >= 0)) continue;
    if (!re.test(latin1(block, 0, block.length))) return false;
  }
  return true;
}

/** Separator runs shorter than this are stepped over byte by byte (a regex call costs more). */
const NATIVE_RUN = 4;

/** Set by prefixEnd when it stopped at a raw quote (a JSON string that ends before its words). */
export let stoppedAtQuote = false;

/**
 * End of the shortest prefix of the text that holds at least `words` words and
 * stops at a hard separator (or the text's end). Counting only runs that hold an
 * ASCII word character never overcounts, so the engine reads the same first
 * `words` words from the prefix as from the whole text.
 *
 * Separators cost nothing per byte: a run of NATIVE_RUN or more is jumped with one
 * sticky regex over the bytes as latin1. When the `limit` bytes hold fewer words and
 * everything after them is separators (checked natively), the prefix ends after the
 * last run read: the text of a million spaces is the empty text.
 */
export function prefixEnd(t: TextRef, words: number, limit = Infinity): number {
  const b = t.bytes;
  const json = t.json;
  const cls = json ? CLASS_JSON : CLASS_RAW;
  const end = t.end;
  const stop = Math.min(end, t.start + limit);
  let count = 0;
  let inRun = false;
  let confirmed = false;
  let p = t.start;
  /** End of the last run of word bytes read. */
  let runEnd = t.start;
  /** The bytes [t.start, stop) as latin1, made on the first long separator run. */
  let window: string | undefined;
  let re: RegExp;
  let k = 0;
  stoppedAtQuote = false;
  while (p < stop) {
    const c = cls[b[p]];
    if (c === 5) {
      stoppedAtQuote = true;
      return p;
    }
    if (c === 1) {
      inRun = true;
      confirmed = true;
      p++;
      continue;
    }
    if (c === 2) {
      inRun = true;
      p++;
      continue;
    }
    if (c === 4 && b[p + 1] === 0x75) {
      // \uXXXX: any character.
      inRun = true;
      p += 6;
      continue;
    }
    // A separator (an escape other than \u decodes to one of " \ / \b \f \n \r \t: hard separators).
    if (inRun) {
      if (confirmed) count++;
      inRun = false;
      confirmed = false;
      runEnd = p;
    }
    if (c !== 3 && count >= words) return p;
    p += c === 4 ? 2 : 1;
    // A long run of separators: jumped natively (only soft ones once the words are counted: the cut is at the next hard one).
    for (k = 0; k < NATIVE_RUN && p + k < stop; k++) {
      const n = cls[b[p + k]];
      if (n !== 0 && n !== 3) break;
    }
    if (k === NATIVE_RUN) {
      window ??= latin1(b, t.start, stop);
      re = count < words ? (json ? SEPARATOR_RUN_JSON : SEPARATOR_RUN_RAW) : json ? SOFT_RUN_JSON : SOFT_RUN_RAW;
      re.lastIndex = p - t.start;
      if (re.test(window)) p = t.start + re.lastIndex;
    }
  }
  if (inRun) runEnd = stop;
  if (stop >= end) return end;
  // Fewer words than the model reads within the limit: exact when all the rest is separators.
  return allSeparators(b, stop, end, json) ? runEnd : -1;
}

/** Texts up to this many bytes are decoded whole. */
export const SHORT_TEXT_BYTES = 256;

/** The text the engine needs: the decoded prefix holding its first `words` words. */
export function textPrefix(t: TextRef, words: number): string {
  // A short text is decoded whole (natively, cheaper than scanning it): the engine stops reading once it has its words.
  const limit = PREDICT_LIMITS.maxReadBytes;
  let cut = t.cut ?? t.end;
  if (t.cut === undefined && t.end - t.start > SHORT_TEXT_BYTES) {
    cut = words > 0 ? quickCut(t, words) : -1;
    if (cut < 0 || cut - t.start > limit) cut = words > 0 ? prefixEnd(t, words, limit) : t.end - t.start > limit ? -1 : t.end;
  }
  if (cut < 0 || cut - t.start > limit) {
    throw new PredictError('too_large', `the words the model reads must lie within the first ${limit} bytes of a text (they do not): send a shorter text`);
  }
  illFormed = false;
  const text = t.json ? decodeJsonString(t.bytes, t.start, cut) : decodeUtf8(t.bytes, t.start, cut);
  if (illFormed || lastDecodeIllFormed) throw new PredictError('bad_input', 'the text is not valid UTF-8 (in the words the model reads; bytes past them are not read)');
  return text;
}

/** Whether a decodeJsonString/decodeUtf8 call of textPrefix met ill-formed UTF-8. */
let illFormed = false;

/** Decodes the inside of a JSON string literal (bytes between the quotes). */
export function decodeJsonString(b: Uint8Array, start: number, end: number): string {
  // Search only [start, end): the string may sit in a much longer body.
  const range = b.subarray(start, end);
  const backslash = (from: number): number => {
    const i = range.indexOf(0x5c, from - start);
    return i < 0 ? -1 : i + start;
  };
  let bs = backslash(start);
  if (bs < 0) return decodeUtf8(b, start, end);
  const piece = (from: number, to: number): string => {
    const d = decodeUtf8(b, from, to);
    if (lastDecodeIllFormed) illFormed = true;
    return d;
  };
  let out = '';
  let p = start;
  while (bs >= 0 && bs < end) {
    out += piece(p, bs);
    const e = b[bs + 1];
    switch (e) {
      case 0x22: out += '"'; p = bs + 2; break;
      case 0x5c: out += '\\'; p = bs + 2; break;
      case 0x2f: out += '/'; p = bs + 2; break;
      case 0x62: out += '\b'; p = bs + 2; break;
      case 0x66: out += '\f'; p = bs + 2; break;
      case 0x6e: out += '\n'; p = bs + 2; break;
      case 0x72: out += '\r'; p = bs + 2; break;
      case 0x74: out += '\t'; p = bs + 2; break;
      case 0x75: {
        let code = 0;
        for (let i = 2; i < 6; i++) {
          const h = b[bs + i];
          const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x61 && h <= 0x66 ? h - 0x57 : h >= 0x41 && h <= 0x46 ? h - 0x37 : -1;
          if (d < 0 || bs + i >= end) throw new PredictError('bad_input', 'bad \\u escape in a JSON string');
          code = code * 16 + d;
        }
        out += String.fromCharCode(code);
        p = bs + 6;
        break;
      }
      default:
        throw new PredictError('bad_input', 'bad escape in a JSON string');
    }
    bs = p < end ? backslash(p) : -1;
  }
  return out + piece(p, end);
}

/**
 * A cut found by jumping from space to space natively (indexOf) instead of scanning
 * every byte: a segment between spaces that starts with an ASCII word character holds
 * at least one word, so counting those never overcounts; the cut is the space after
 * the `words`-th such segment (a space is a hard separator). −1 when the text runs
 * out of spaces first, or holds a raw quote before the cut (JSON): the caller scans.
 */
export function quickCut(t: TextRef, words: number): number {
  const b = t.bytes;
  const end = t.end;
  const cls = t.json ? CLASS_JSON : CLASS_RAW;
  let p = t.start;
  const limit = t.start + PREDICT_LIMITS.maxReadBytes;
  let count = 0;
  let empty = 0;
  for (;;) {
    if (cls[b[p]] === 1) count++;
    const sp = b.indexOf(0x20, p);
    if (sp < 0 || sp >= end || sp > limit) return -1;
    // Spaces in a row: prefixEnd jumps such runs natively, this loop would take them one by one.
    if (sp === p && ++empty > 8) return -1;
    if (count >= words) {
      if (t.json && b.subarray(t.start, sp).indexOf(0x22) >= 0) return -1;
      return sp;
    }
    p = sp + 1;
  }
}

export interface Outcome {
  /** Scores of item i at [i * outputs, (i + 1) * outputs). */
  scores: Float32Array;
  count: number;
  outputs: number;
  /** Index of the top label of each item. */
  top: number[];
}

function checkBatch(n: number): void {
  if (n === 0) throw new PredictError('bad_input', 'empty batch');
  if (n > PREDICT_LIMITS.maxBatch) throw new PredictError('too_large', `batch of ${n} items is over the limit of ${PREDICT_LIMITS.maxBatch}`);
}

function checkText(t: TextRef): void {
  if (t.end - t.start > PREDICT_LIMITS.maxTextBytes) throw new PredictError('too_large', `text of ${t.end - t.start} bytes is over the limit of ${PREDICT_LIMITS.maxTextBytes}`);
}

/**
 * In a query (`budget`: registry.ts QUERY_PREDICT_BUDGET), a batch whose items together would
 * pass it, by the prediction measured at commit, is refused before it runs (never a limit trap).
 */
function checkBatchCost(l: Loaded, count: number, budget: number | undefined): void {
  const each = l.record.predictInstructions;
  if (budget === undefined || each === undefined || count * each <= budget) return;
  throw new PredictError(
    'too_heavy',
    `${l.name} v${l.version}: a batch of ${count} would take ~${((count * each) / 1e9).toFixed(2)}B instructions (${each} each, measured at commit), more than a query may use: send at most ${Math.max(1, Math.floor(budget / each))} per query, or call predict_update (REST: through http_request_update)`,
  );
}

/** Runs a prediction; engine input errors (InputError) propagate to the caller. `queryBudget`: see checkBatchCost. */
export function runPrediction(l: Loaded, input: PredictInput, queryBudget?: number): Outcome {
  const model = l.model;
  const outputs = model.outputSize;
  let scores: Float32Array;
  let count = 1;
  if ('text' in input) {
    checkText(input.text);
    scores = model.predictText(textPrefix(input.text, l.words)).slice();
  } else if ('texts' in input) {
    count = input.texts.length;
    checkBatch(count);
    checkBatchCost(l, count, queryBudget);
    const texts = new Array<string>(count);
    let read = 0;
    for (let i = 0; i < count; i++) {
      checkText(input.texts[i]);
      texts[i] = textPrefix(input.texts[i], l.words);
      read += texts[i].length;
      if (read > PREDICT_LIMITS.maxBatchReadBytes) {
        throw new PredictError('too_large', `the texts of this batch need more than ${PREDICT_LIMITS.maxBatchReadBytes} bytes read: send fewer or shorter texts`);
      }
    }
    scores = model.predictTexts(texts, new Float32Array(count * outputs));
  } else if ('tensors' in input) {
    const bound = bindInputs(model, input.tensors, PREDICT_LIMITS.maxBatch);
    count = bound.count;
    checkBatchCost(l, count, queryBudget);
    scores = predictBound(model, bound);
  } else if ('tokens' in input) {
    scores = model.predictTokens(input.tokens).slice();
  } else if ('tokensBatch' in input) {
    count = input.tokensBatch.length;
    checkBatch(count);
    checkBatchCost(l, count, queryBudget);
    scores = model.predictTokensBatch(input.tokensBatch, new Float32Array(count * outputs));
  } else if ('vector' in input) {
    scores = model.predictVector(input.vector).slice();
  } else {
    count = input.vectorBatch.length;
    checkBatch(count);
    checkBatchCost(l, count, queryBudget);
    scores = model.predictVectorBatch(input.vectorBatch, new Float32Array(count * outputs));
  }
  const top = new Array<number>(count);
  for (let i = 0; i < count; i++) top[i] = model.argmax(scores.subarray(i * outputs, (i + 1) * outputs));
  return { scores, count, outputs, top };
}
