// Profile: where a prediction's instructions go inside an Azle canister, and what
// the interpreter charges for the loops a kernel is made of. Measured with the
// performance counter inside one message, so no dispatch or Candid is included.
import { candidDecode, IDL, msgArgData, msgReply, performanceCounter, query, update } from 'azle';

import { decodeUtf8 } from '../../canister/utf8.ts';
import { checksumWords } from '../../engine/checksum.ts';
import { decodeUtf8 as decodeUtf8Strict } from '../../engine/utf8.ts';
import { kernels, loadModel, parseModelFile, WordTokenizer, type EngineModel } from '../../engine/index.ts';
import { denseInt8Lanes, LANE_BUCKETS_MIN_INPUTS, laneBitsFor, packLaneKernel, type LaneKernel } from '../../engine/kernels-lanes.ts';
import { Int8VectorIndex } from '../../engine/vector-search.ts';
import { vocabLab } from './vocab-lab.ts';
import { buildTypes, idlHash, Reader, T, Writer, type CType } from '../../canister/candid-wire.ts';
import { quickCut, textPrefix } from '../../canister/predict.ts';
import { fastText, matchPredictRoute } from '../../canister/rest.ts';
import { bodyScanRows } from './scans.ts';
import { encodeHttpResponse, encodePredictOk, JSON_HEADERS, makeWire, predictionJsonBytes } from '../../canister/wire.ts';

const EMPTY_CANDID_REPLY = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0x00, 0x00]);
const Phases = IDL.Vec(IDL.Tuple(IDL.Text, IDL.Float64));

// Azle installs a pure-JS TextDecoder; decoding a model's vocabulary is a real load-time cost.
const vocabBytes = new TextEncoder().encode(Array.from({ length: 2000 }, (_, i) => `word${i}`).join('\n').slice(0, 16_384));
const vocabDecoder = new TextDecoder('utf-8', { fatal: true });

/** What an ASCII fast path would cost: whole runs of bytes turned into a string per call. */
function asciiDecode(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    // A typed array is array-like: apply reads it without copying into an Array first.
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return text;
}

let model: EngineModel | undefined;
/** loadKernels: the same file loaded with each int8 kernel choice. */
const KERNEL_CHOICES = ['auto', 'lanes', 'packed', 'plain'] as const;
/** …then (choices 4, 5, 6) the float convolution kernels forced: LoadOptions.floatKernel. */
const FLOAT_CHOICES = ['loops', 'lanes', 'rows'] as const;
let kernelModels: EngineModel[] = [];
let modelBytes: Uint8Array = new Uint8Array(0);
let loadInstructions = 0;
let parseInstructions = 0;

const counter = (): number => Number(performanceCounter(0));

/** What compiling a 7×7 dense layer costs, in source styles. */
function compileCosts(): [string, number][] {
  const n = 7;
  const names: string[] = [];
  const params: string[] = [];
  for (let k = 0; k < 56; k++) { names.push(`c${k}=c[${k}]`); params.push(`c${k}`); }
  const inputs: string[] = [];
  for (let i = 0; i < n; i++) inputs.push(`x${i}=i[${i}]`);
  const body: string[] = [`var ${inputs.join(',')},s=0;`];
  for (let o = 0; o < n; o++) {
    const terms: string[] = [];
    for (let i = 0; i < n; i++) terms.push(`x${i}*c${o * n + i}`);
    terms.push(`c${49 + o}`);
    body.push(`s=${terms.join('+')};`, `o[${o}]=s<0?0:s;`);
  }
  const inner = `return function(i,o){${body.join('')}};`;
  const a = `var ${names.join(',')};${inner}`;
  const c = new Float64Array(56);
  return [
    [`new Function, var c_k=c[k] style (${a.length} chars)`, cost(() => { (new Function('c', a) as (c: Float64Array) => unknown)(c); })],
    [`new Function, parameters style (${inner.length} + ${params.join(',').length} chars)`, cost(() => { (new Function(...params, inner) as (...c: number[]) => unknown).apply(null, Array.from(c)); })],
    ['new Function, empty body', cost(() => { new Function('c', ''); })],
    [`new Function, inner only as body (${inner.length} chars)`, cost(() => { new Function('c', inner); })],
  ];
}

/** Instructions of `run()`, minus the cost of reading the counter twice. */
function cost(run: () => void): number {
  const empty0 = counter();
  const empty1 = counter();
  const start = counter();
  run();
  return counter() - start - (empty1 - empty0);
}

// Loop bodies a kernel is built from, as plain functions over their parameters (locals,
// as in a kernel; closures would add variable-reference costs).
type Vec = Float32Array | Float64Array | Int8Array | Int32Array | number[];

function emptyLoop(_a: Vec, _b: Vec, n: number): number {
  let i = 0;
  for (; i < n; i++) {
    // nothing
  }
  return i;
}

function floatDot(a: Vec, b: Vec, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

function intDot(a: Vec, b: Vec, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + a[i] * b[i]) | 0;
  return s;
}

function floatDotUnrolled4(a: Vec, b: Vec, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return s0 + s1 + s2 + s3;
}

function floatDotUnrolled8(a: Vec, b: Vec, n: number): number {
  let s = 0;
  let i = 0;
  for (; i + 7 < n; i += 8) {
    s +=
      a[i] * b[i] + a[i + 1] * b[i + 1] + a[i + 2] * b[i + 2] + a[i + 3] * b[i + 3] +
      a[i + 4] * b[i + 4] + a[i + 5] * b[i + 5] + a[i + 6] * b[i + 6] + a[i + 7] * b[i + 7];
  }
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

function intDotUnrolled8(a: Vec, b: Vec, n: number): number {
  let s = 0;
  let i = 0;
  for (; i + 7 < n; i += 8) {
    s =
      (s + a[i] * b[i] + a[i + 1] * b[i + 1] + a[i + 2] * b[i + 2] + a[i + 3] * b[i + 3] +
        a[i + 4] * b[i + 4] + a[i + 5] * b[i + 5] + a[i + 6] * b[i + 6] + a[i + 7] * b[i + 7]) | 0;
  }
  for (; i < n; i++) s = (s + a[i] * b[i]) | 0;
  return s;
}

function loopVariants(n: number): [string, () => number][] {
  const f32a = new Float32Array(n).map((_, i) => (i % 7) / 7);
  const f32b = new Float32Array(n).map((_, i) => (i % 5) / 5);
  const f64a = Float64Array.from(f32a);
  const f64b = Float64Array.from(f32b);
  const i8a = new Int8Array(n).map((_, i) => (i % 255) - 127);
  const i8b = new Int8Array(n).map((_, i) => (i % 13) - 6);
  const i32a = Int32Array.from(i8a);
  const i32b = Int32Array.from(i8b);
  const arrA = Array.from(f32a);
  const arrB = Array.from(f32b);
  return [
    ['empty loop', () => emptyLoop(f32a, f32b, n)],
    ['Float32Array dot', () => floatDot(f32a, f32b, n)],
    ['Float64Array dot', () => floatDot(f64a, f64b, n)],
    ['Array dot', () => floatDot(arrA, arrB, n)],
    ['Int8Array dot (int)', () => intDot(i8a, i8b, n)],
    ['Int32Array dot (int)', () => intDot(i32a, i32b, n)],
    ['Float32Array dot, unrolled ×4', () => floatDotUnrolled4(f32a, f32b, n)],
    ['Float32Array dot, unrolled ×8', () => floatDotUnrolled8(f32a, f32b, n)],
    ['Int8Array dot, unrolled ×8', () => intDotUnrolled8(i8a, i8b, n)],
  ];
}

function checksum16(words: Int32Array, count: number): number {
  var a = 1;
  var b = 0;
  var i = 0;
  var end = (count - (count & 15)) | 0;
  for (i = 0; i < end; i = (i + 16) | 0) {
    a += words[i]; b += a;
    a += words[i + 1]; b += a;
    a += words[i + 2]; b += a;
    a += words[i + 3]; b += a;
    a += words[i + 4]; b += a;
    a += words[i + 5]; b += a;
    a += words[i + 6]; b += a;
    a += words[i + 7]; b += a;
    a += words[i + 8]; b += a;
    a += words[i + 9]; b += a;
    a += words[i + 10]; b += a;
    a += words[i + 11]; b += a;
    a += words[i + 12]; b += a;
    a += words[i + 13]; b += a;
    a += words[i + 14]; b += a;
    a += words[i + 15]; b += a;
    a = a | 0;
    b = b | 0;
  }
  for (; i < count; i = (i + 1) | 0) { a = (a + words[i]) | 0; b = (b + a) | 0; }
  return a ^ b;
}

function checksumInt16(words: Int32Array, count: number): number {
  var a = 1;
  var b = 0;
  var i = 0;
  var end = (count - (count & 15)) | 0;
  for (i = 0; i < end; i = (i + 16) | 0) {
    a = (a + words[i + 0]) | 0; b = (b + a) | 0;
    a = (a + words[i + 1]) | 0; b = (b + a) | 0;
    a = (a + words[i + 2]) | 0; b = (b + a) | 0;
    a = (a + words[i + 3]) | 0; b = (b + a) | 0;
    a = (a + words[i + 4]) | 0; b = (b + a) | 0;
    a = (a + words[i + 5]) | 0; b = (b + a) | 0;
    a = (a + words[i + 6]) | 0; b = (b + a) | 0;
    a = (a + words[i + 7]) | 0; b = (b + a) | 0;
    a = (a + words[i + 8]) | 0; b = (b + a) | 0;
    a = (a + words[i + 9]) | 0; b = (b + a) | 0;
    a = (a + words[i + 10]) | 0; b = (b + a) | 0;
    a = (a + words[i + 11]) | 0; b = (b + a) | 0;
    a = (a + words[i + 12]) | 0; b = (b + a) | 0;
    a = (a + words[i + 13]) | 0; b = (b + a) | 0;
    a = (a + words[i + 14]) | 0; b = (b + a) | 0;
    a = (a + words[i + 15]) | 0; b = (b + a) | 0;
  }
  for (; i < count; i = (i + 1) | 0) { a = (a + words[i]) | 0; b = (b + a) | 0; }
  return a ^ b;
}

function checksumInt8(words: Int32Array, count: number): number {
  var a = 1;
  var b = 0;
  var i = 0;
  var end = (count - (count & 7)) | 0;
  for (i = 0; i < end; i = (i + 8) | 0) {
    a = (a + words[i + 0]) | 0; b = (b + a) | 0;
    a = (a + words[i + 1]) | 0; b = (b + a) | 0;
    a = (a + words[i + 2]) | 0; b = (b + a) | 0;
    a = (a + words[i + 3]) | 0; b = (b + a) | 0;
    a = (a + words[i + 4]) | 0; b = (b + a) | 0;
    a = (a + words[i + 5]) | 0; b = (b + a) | 0;
    a = (a + words[i + 6]) | 0; b = (b + a) | 0;
    a = (a + words[i + 7]) | 0; b = (b + a) | 0;
  }
  for (; i < count; i = (i + 1) | 0) { a = (a + words[i]) | 0; b = (b + a) | 0; }
  return a ^ b;
}

function checksumPlain(words: Int32Array, count: number): number {
  var a = 1;
  var b = 0;
  var i = 0;
  var n = count | 0;
  for (i = 0; i < n; i = (i + 1) | 0) { a = (a + words[i]) | 0; b = (b + a) | 0; }
  return a ^ b;
}

const TWO_32 = 4294967296;
function checksumFloat(words: Int32Array, count: number): number {
  var f = new Float64Array(words.subarray(0, count));
  var a = 1 + TWO_32;
  var b = 0 + TWO_32;
  var i = 0;
  var n = count | 0;
  var end = (n - (n & 15)) | 0;
  var blockEnd = 0;
  while (i < end) {
    blockEnd = end - i > 2048 ? (i + 2048) | 0 : end;
    for (; i < blockEnd; i = (i + 16) | 0) {
      a += f[i + 0]; b += a;
      a += f[i + 1]; b += a;
      a += f[i + 2]; b += a;
      a += f[i + 3]; b += a;
      a += f[i + 4]; b += a;
      a += f[i + 5]; b += a;
      a += f[i + 6]; b += a;
      a += f[i + 7]; b += a;
      a += f[i + 8]; b += a;
      a += f[i + 9]; b += a;
      a += f[i + 10]; b += a;
      a += f[i + 11]; b += a;
      a += f[i + 12]; b += a;
      a += f[i + 13]; b += a;
      a += f[i + 14]; b += a;
      a += f[i + 15]; b += a;
    }
    a = (a % TWO_32) + 2 * TWO_32;
    b = (b % TWO_32) + 2 * TWO_32;
  }
  for (; i < n; i = (i + 1) | 0) { a = (a + words[i]) | 0; b = (b + a) | 0; }
  return (a | 0) ^ (b | 0);
}

interface DenseCase {
  units: number;
  n: number;
  values: Int8Array;
  scales: Float32Array;
  bias: Float32Array;
  packed: unknown;
  lanes: LaneKernel | null;
}
let dense: DenseCase | undefined;

/** vectorSetup / vectorSearch: an int8 vector index filled in the canister (no Candid per item). */
let vectors: Int8VectorIndex | undefined;
let vectorState = 1;
/** The fixed query of vectorSearch (seeded), and the "rising" items drift toward it. */
function vectorQuery(dims: number): Float32Array {
  let state = 99;
  return Float32Array.from({ length: dims }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

// Hooks filled in as the engine grows (kept here so the canister builds at every step).
const checksumOf = (bytes: Uint8Array): void => { checksumWords(bytes, bytes.length - 8); };
const utf8Decode = (bytes: Uint8Array): string => decodeUtf8Strict(bytes);
const packDense = (values: Int8Array, rows: number, cols: number): unknown =>
  kernels.packInt8Kernel(values, rows, cols, kernels.packedInt8LaneScale(cols));
const runPacked = (packed: unknown, input: Float32Array, scales: Float32Array, bias: Float32Array, units: number, n: number, output: Float32Array, quantized: Int8Array): void => {
  kernels.denseInt8Packed(input, 0, 1, n, packed as Float64Array[], kernels.packedInt8LaneScale(n), scales, bias, units, output, 0, 0, quantized, new Float64Array(n));
};

/** Packing alternative: lane BigInts by divide and conquer (leaf BigInts, then left + (right << width)). */
function packColumnsShifts(values: Int8Array, units: number, n: number, bits: number, columns: number): bigint[] {
  const leaves: bigint[] = Array.from({ length: 256 }, (_, v) => BigInt(v));
  const out: bigint[] = [];
  const nodes: bigint[] = new Array<bigint>(units);
  for (var j = 0; j < columns; j = (j + 1) | 0) {
    var count = units;
    for (var i = 0; i < units; i = (i + 1) | 0) nodes[i] = leaves[(values[(i * n + j) | 0] + 128) | 0];
    var width = BigInt(bits);
    while (count > 1) {
      var half = 0;
      for (var k = 0; k + 1 < count; k = (k + 2) | 0) nodes[half++] = nodes[k] + (nodes[k + 1] << width);
      if (count & 1) nodes[half++] = nodes[count - 1];
      count = half;
      width = width * BigInt(2);
    }
    out.push(nodes[0]);
  }
  return out;
}

/** Packing alternative (lane widths that are whole hex digits): a string per lane from a table, joined. */
function packColumnsJoin(values: Int8Array, units: number, n: number, bits: number, columns: number): bigint[] {
  const digits = bits / 4;
  const table = Array.from({ length: 256 }, (_, v) => v.toString(16).padStart(digits, '0'));
  const parts: string[] = new Array<string>(units);
  const out: bigint[] = [];
  for (var j = 0; j < columns; j = (j + 1) | 0) {
    for (var i = 0; i < units; i = (i + 1) | 0) parts[(units - 1 - i) | 0] = table[(values[(i * n + j) | 0] + 128) | 0];
    out.push(BigInt('0x' + parts.join('')));
  }
  return out;
}

/** Building the token → id table natively: JSON.parse of prebuilt texts. */
function jsonExperiments(tokens: string[]): [string, number][] {
  const n = tokens.length;
  const table: Record<string, number> = Object.create(null) as Record<string, number>;
  for (let i = n - 1; i >= 0; i--) table[tokens[i]] = i;
  const objectText = JSON.stringify(table);
  const zeros: Record<string, number> = {};
  for (const t of tokens) zeros[t] = 0;
  const zerosText = JSON.stringify(zeros);
  const arrayText = JSON.stringify(tokens);
  const objectBytes = new TextEncoder().encode(objectText);
  const numbersText = JSON.stringify(tokens.map((_, i) => i));
  let parsed: Record<string, number> = table;
  const sample = tokens.slice(3, 23);
  const latin1 = (b: Uint8Array): string => {
    let t = '';
    for (let i = 0; i < b.length; i += 4096) t += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[]);
    return t;
  };
  return [
    [`JSON.parse object text (${objectText.length} chars, ${n} keys)`, cost(() => { parsed = JSON.parse(objectText) as Record<string, number>; })],
    [`JSON.parse object, all values 0 (${zerosText.length} chars)`, cost(() => { JSON.parse(zerosText); })],
    [`JSON.parse string array (${arrayText.length} chars)`, cost(() => { JSON.parse(arrayText); })],
    [`JSON.parse number array (${numbersText.length} chars)`, cost(() => { JSON.parse(numbersText); })],
    [`fromCharCode.apply of the object bytes (${objectBytes.length})`, cost(() => { latin1(objectBytes); })],
    ['JSON.parse(latin1(object bytes))', cost(() => { JSON.parse(latin1(objectBytes)); })],
    ['20 lookups in the parsed object', cost(() => { for (let i = 0; i < 20; i++) parsed[sample[i]]; })],
    ['20 lookups in the loop-built object', cost(() => { for (let i = 0; i < 20; i++) table[sample[i]]; })],
    ...hashExperiments(tokens, table),
    ...candidExperiments(tokens.join('\n')),
    ['Object.create(null) + loop (no longest)', cost(() => { const t = Object.create(null) as Record<string, number>; for (var i = (n - 1) | 0; i >= 0; i = (i - 1) | 0) t[tokens[i]] = i; })],
    ['{} + loop', cost(() => { const t: Record<string, number> = {}; for (var i = (n - 1) | 0; i >= 0; i = (i - 1) | 0) t[tokens[i]] = i; })],
  ];
}

/** A converter-written hash table (length, first, middle, last code unit) against the object's lookups. */
function hashExperiments(tokens: string[], table: Record<string, number>): [string, number][] {
  const M = 4096;
  const mask = M - 1;
  const hash = (t: string): number => { const n = t.length; return ((((n * 31 + t.charCodeAt(0)) * 31 + t.charCodeAt(n - 1)) * 31 + t.charCodeAt(n >> 1)) & mask); };
  const buckets: number[][] = Array.from({ length: M }, () => []);
  for (let id = 0; id < tokens.length; id++) if (tokens[id].length > 0) buckets[hash(tokens[id])].push(id);
  const start = new Int32Array(M + 1);
  const order = new Int32Array(tokens.length);
  let p = 0;
  for (let h = 0; h < M; h++) { start[h] = p; for (const id of buckets[h]) order[p++] = id; }
  start[M] = p;
  const startArr = Array.from(start);
  const orderArr = Array.from(order);
  const known = tokens.slice(3, 23).map((t) => t.split('').join(''));
  const unknown = known.map((t) => t + 'qz');
  const lookupHash = (words: string[], st: ArrayLike<number>, ord: ArrayLike<number>): number => {
    var sum = 0; var w = ''; var n = 0; var h = 0; var k = 0; var e = 0; var id = -1;
    for (var i = 0; i < 20; i = (i + 1) | 0) {
      w = words[i];
      n = w.length;
      h = (((n * 31 + w.charCodeAt(0)) * 31 + w.charCodeAt(n - 1)) * 31 + w.charCodeAt(n >> 1)) & mask;
      id = -1;
      for (k = st[h], e = st[h + 1]; k < e; k = (k + 1) | 0) if (tokens[ord[k]] === w) { id = ord[k]; break; }
      sum = (sum + id) | 0;
    }
    return sum;
  };
  const lookupObject = (words: string[]): number => {
    var sum = 0; var id: number | undefined = 0;
    for (var i = 0; i < 20; i = (i + 1) | 0) { id = table[words[i]]; sum = (sum + (id === undefined ? -1 : id)) | 0; }
    return sum;
  };
  const empty = (words: string[]): number => { var sum = 0; for (var i = 0; i < 20; i = (i + 1) | 0) sum = (sum + words[i].length) | 0; return sum; };
  return [
    [`hash agrees ${lookupHash(known, start, order)} ${lookupObject(known)} ${lookupHash(unknown, start, order)} ${lookupObject(unknown)}`, 0],
    ['20 loop turns, no lookup', cost(() => { empty(known); })],
    ['20 known, object', cost(() => { lookupObject(known); })],
    ['20 unknown, object', cost(() => { lookupObject(unknown); })],
    ['20 known, hash (Int32Array)', cost(() => { lookupHash(known, start, order); })],
    ['20 unknown, hash (Int32Array)', cost(() => { lookupHash(unknown, start, order); })],
    ['20 known, hash (Array)', cost(() => { lookupHash(known, startArr, orderArr); })],
    ['20 unknown, hash (Array)', cost(() => { lookupHash(unknown, startArr, orderArr); })],
    ['Array.from(Uint32Array 6100)', cost(() => { Array.from(new Uint32Array(6100)); })],
  ];
}

/** Native UTF-8 decoding through Azle's candidDecode (Rust): a Candid text value around the bytes. */
function candidExperiments(vocab: string): [string, number][] {
  const bytes = new TextEncoder().encode(vocab);
  const wrap = (b: Uint8Array): Uint8Array => {
    let n = b.length;
    const leb: number[] = [];
    do { leb.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7; } while (n > 0);
    const out = new Uint8Array(7 + leb.length + b.length);
    out.set([0x44, 0x49, 0x44, 0x4c, 0x00, 0x01, 0x71]);
    out.set(leb, 7);
    out.set(b, 7 + leb.length);
    return out;
  };
  const candid = wrap(bytes);
  const tricky = new TextEncoder().encode('a"b\\c\td\u{1}é€😀\u{7f}\u{85}\u{200b}<PAD>');
  let out = '';
  return [
    [`candidDecode of the vocabulary (${candid.length} bytes)`, cost(() => { out = candidDecode(candid); })],
    [`wrap (copy into Candid bytes)`, cost(() => { wrap(bytes); })],
    [`candidDecode head: ${JSON.stringify(out.slice(0, 40))} tail ${JSON.stringify(out.slice(-10))} length ${out.length} vs ${vocab.length}`, 0],
    [`candidDecode tricky: ${JSON.stringify(candidDecode(wrap(tricky)))}`, 0],
  ];
}

export default class {
  /** The argument is a raw .dcai file (no Candid): loads it as the model to profile. */
  @update([], IDL.Empty, { manual: true })
  load(): void {
    const bytes = msgArgData();
    modelBytes = bytes;
    parseInstructions = cost(() => {
      parseModelFile(bytes);
    });
    loadInstructions = cost(() => {
      model = loadModel(bytes);
    });
    msgReply(EMPTY_CANDID_REPLY);
  }

  /**
   * The argument is a raw .dcai file (no Candid): loads it once per int8 kernel choice
   * (KERNEL_CHOICES) for `kernelCosts`.
   */
  @update([], IDL.Empty, { manual: true })
  loadKernels(): void {
    const bytes = msgArgData();
    kernelModels = [...KERNEL_CHOICES.map((int8Kernel) => loadModel(bytes, { int8Kernel })), ...FLOAT_CHOICES.map((floatKernel) => loadModel(bytes, { floatKernel }))];
    msgReply(EMPTY_CANDID_REPLY);
  }

  /** Instructions of one predictVector (input sin(i)) on the model `loadKernels` made for KERNEL_CHOICES[choice]. */
  @query([IDL.Nat32], Phases)
  kernelCost(choice: number): [string, number][] {
    const m = kernelModels[choice];
    if (m === undefined) throw new Error('call loadKernels first');
    const input = Array.from({ length: m.inputSize }, (_, k) => Math.sin(k));
    const label = choice < KERNEL_CHOICES.length ? KERNEL_CHOICES[choice] : `float ${FLOAT_CHOICES[choice - KERNEL_CHOICES.length]}`;
    return [[label, cost(() => { m.predictVector(input); })]];
  }

  /** Instructions of each step of predicting on `text`, inside the method. */
  @query([IDL.Text], Phases)
  phases(text: string): [string, number][] {
    if (model === undefined) throw new Error('call load first');
    const loaded = model;
    const bytes = new TextEncoder().encode(text);
    let ids = new Int32Array(0);
    return [
      ['read the counter', cost(() => {})],
      ['loadModel (in the load update)', loadInstructions],
      ['of which parseModelFile (checks, metadata, tables)', parseInstructions],
      ['TextDecoder.decode of the text bytes', cost(() => { new TextDecoder().decode(bytes); })],
      ['tokenize', cost(() => { ids = Int32Array.from(loaded.tokenize(text)); })],
      ['predictTokens (layers only)', cost(() => { loaded.predictTokens(ids); })],
      ['predictText (tokenize + layers)', cost(() => { loaded.predictText(text); })],
      ['argmax', cost(() => { loaded.argmax(loaded.predictTokens(ids)); }) - cost(() => { loaded.predictTokens(ids); })],
      ['new TextDecoder()', cost(() => { new TextDecoder('utf-8', { fatal: true }); })],
      ['TextDecoder.decode of 16 KB (a vocabulary)', cost(() => { vocabDecoder.decode(vocabBytes); })],
      ['canister decodeUtf8 of the same 16 KB', cost(() => { decodeUtf8(vocabBytes); })],
      ['String.fromCharCode of the same 16 KB, 4 KB at a time (ASCII only)', cost(() => { asciiDecode(vocabBytes); })],
      ['JSON of 2 scores', cost(() => { JSON.stringify({ label: loaded.labels[0], scores: [0.1, 0.9] }); })],
    ];
  }

  /** loadModel without the checksum (as the canister's commit runs it), and its tokenizer's steps. */
  @query([], Phases)
  commitSteps(): [string, number][] {
    const bytes = modelBytes;
    const file = parseModelFile(bytes, { skipChecksum: true });
    const vocabText = file.metadata.get('tokenizer.vocab') as string;
    const spec = { ...file.tokenizer!, vocabText };
    const tokens = spec.vocab;
    const n = tokens.length;
    return [
      ['loadModel, skipChecksum', cost(() => { loadModel(bytes, { skipChecksum: true }); })],
      ['parseModelFile, skipChecksum', cost(() => { parseModelFile(bytes, { skipChecksum: true }); })],
      ['loadModel, skipChecksum, int8 kernels plain', cost(() => { loadModel(bytes, { skipChecksum: true, packInt8: false }); })],
      ...compileCosts(),

      ['new WordTokenizer with vocabText', cost(() => { new WordTokenizer(spec, 20); })],
      ['loop: ids[token] = id, longest', cost(() => {
        var ids = Object.create(null) as Record<string, number>; var longest = 0; var token = ''; var id = 0;
        for (id = (n - 1) | 0; id >= 0; id = (id - 1) | 0) { token = tokens[id]; ids[token] = id; if (token.length > longest) longest = token.length; }
      })],
      ['ASCII_WORD_LINES on the vocab', cost(() => { /^[A-Za-z0-9_'\n]*$/.test(vocabText); })],
      ...(() => {
        const at = vocabText.indexOf('\n', vocabText.indexOf('\n', vocabText.indexOf('\n') + 1) + 1) + 1;
        const rest = vocabText.slice(at);
        const bytesV = new TextEncoder().encode(vocabText);
        const latin = (): string => { let t = ''; for (let i = 0; i < bytesV.length; i += 4096) t += String.fromCharCode.apply(null, bytesV.subarray(i, i + 4096) as unknown as number[]); return t; };
        const counted = /^(?:[A-Za-z0-9_']{0,71}\n)*[A-Za-z0-9_']{0,71}$/;
        const whole = /^(?:[\0-\t\v-\x7f]{0,71}\n){3}(?:[A-Za-z0-9_']{0,71}\n)*[A-Za-z0-9_']{0,71}$/;
        const wholeStar = /^(?:[\0-\t\v-\x7f]*\n){3}[A-Za-z0-9_'\n]*$/;
        const ids1 = Object.create(null) as Record<string, number>;
        return [
          ['ASCII_WORD_LINES on the rest', cost(() => { /^[A-Za-z0-9_'\n]*$/.test(rest); })],
          [`counted {0,71} on the rest ${counted.test(rest)}`, cost(() => { counted.test(rest); })],
          [`whole counted ${whole.test(vocabText)}`, cost(() => { whole.test(vocabText); })],
          [`whole star ${wholeStar.test(vocabText)}`, cost(() => { wholeStar.test(vocabText); })],
          ['latin1 of the vocab bytes', cost(() => { latin(); })],
          ['vocab.slice(at)', cost(() => { vocabText.slice(at); })],
          ['loop: ids[tokens[id]] = id', cost(() => { var ids = Object.create(null) as Record<string, number>; for (var id = (n - 1) | 0; id >= 0; id = (id - 1) | 0) ids[tokens[id]] = id; })],
          ['loop unrolled x4', cost(() => {
            var ids = Object.create(null) as Record<string, number>; var id = (n - 1) | 0;
            for (; id >= 3; id = (id - 4) | 0) { ids[tokens[id]] = id; ids[tokens[id - 1]] = id - 1; ids[tokens[id - 2]] = id - 2; ids[tokens[id - 3]] = id - 3; }
            for (; id >= 0; id = (id - 1) | 0) ids[tokens[id]] = id;
          })],
          ['loop unrolled x8', cost(() => {
            var ids = Object.create(null) as Record<string, number>; var id = (n - 1) | 0;
            for (; id >= 7; id = (id - 8) | 0) { ids[tokens[id]] = id; ids[tokens[id - 1]] = id - 1; ids[tokens[id - 2]] = id - 2; ids[tokens[id - 3]] = id - 3; ids[tokens[id - 4]] = id - 4; ids[tokens[id - 5]] = id - 5; ids[tokens[id - 6]] = id - 6; ids[tokens[id - 7]] = id - 7; }
            for (; id >= 0; id = (id - 1) | 0) ids[tokens[id]] = id;
          })],
          ['Map unrolled x4', cost(() => {
            var ids = new Map<string, number>(); var id = (n - 1) | 0;
            for (; id >= 3; id = (id - 4) | 0) { ids.set(tokens[id], id); ids.set(tokens[id - 1], id - 1); ids.set(tokens[id - 2], id - 2); ids.set(tokens[id - 3], id - 3); }
          })],
          ['unrolled x8 after add+delete (shape unhashed)', cost(() => {
            var ids = Object.create(null) as Record<string, number>; ids['\u0000'] = 0; delete ids['\u0000']; var id = (n - 1) | 0;
            for (; id >= 7; id = (id - 8) | 0) { ids[tokens[id]] = id; ids[tokens[id - 1]] = id - 1; ids[tokens[id - 2]] = id - 2; ids[tokens[id - 3]] = id - 3; ids[tokens[id - 4]] = id - 4; ids[tokens[id - 5]] = id - 5; ids[tokens[id - 6]] = id - 6; ids[tokens[id - 7]] = id - 7; }
            for (; id >= 0; id = (id - 1) | 0) ids[tokens[id]] = id;
          })],
          ['{} with 1 prop, delete, then x8', cost(() => {
            var ids: Record<string, number> = { a: 1 }; delete ids.a; var id = (n - 1) | 0;
            for (; id >= 7; id = (id - 8) | 0) { ids[tokens[id]] = id; ids[tokens[id - 1]] = id - 1; ids[tokens[id - 2]] = id - 2; ids[tokens[id - 3]] = id - 3; ids[tokens[id - 4]] = id - 4; ids[tokens[id - 5]] = id - 5; ids[tokens[id - 6]] = id - 6; ids[tokens[id - 7]] = id - 7; }
            for (; id >= 0; id = (id - 1) | 0) ids[tokens[id]] = id;
          })],
          ['split 15 KB', cost(() => { vocabText.split('\n'); })],
          ['second object, same keys (atoms exist)', cost(() => { for (var id = (n - 1) | 0; id >= 0; id = (id - 1) | 0) ids1[tokens[id]] = id; })],
        ] as [string, number][];
      })(),
    ];
  }

  /** What building a reply type table costs. */
  @query([], Phases)
  encoderSteps(): [string, number][] {
    const Err: CType = { record: [['code', T.text], ['message', T.text]] };
    const mk = (): CType => ({ variant: [['ok', { record: [['upload_id', T.nat32], ['name', T.text], ['size', T.nat64], ['received', T.nat64], ['sha256', T.text], ['expires_at', T.nat64]] }], ['err', Err]] });
    const t1 = mk();
    const t2 = mk();
    return [
      ['buildTypes UploadStatus (first)', cost(() => { buildTypes([t1]); })],
      ['buildTypes UploadStatus (again, new objects)', cost(() => { buildTypes([t2]); })],
      ['new Uint8Array(32) + DataView', cost(() => { new DataView(new Uint8Array(32).buffer); })],
      ['Uint8Array(8).join', cost(() => { new Uint8Array(8).join(','); })],
      ['[3 items].sort(fn)', cost(() => { [3, 1, 2].sort((a, b) => a - b); })],
      ['idlHash expires_at', cost(() => { idlHash('expires_at'); })],
      ['+name, String(n)', cost(() => { const n = +'expires_at'; String(n); })],
      ['new Writer(32)', cost(() => { new Writer(32); })],
      ['writer leb(hash)', cost(() => { const w = new Writer(32); w.leb(3456789012); })],
      ['writer sleb(-5)', cost(() => { const w = new Writer(32); w.sleb(-5); })],
      ["'vec' in t", cost(() => { const t = { record: [] }; 'vec' in t; })],
      ['new Map + set + get', cost(() => { const m = new Map<string, number>(); m.set('1,2,3', 1); m.get('1,2,3'); })],
    ];
  }

  /** Where loadModel's instructions go, on the file given to `load`. */
  @query([], Phases)
  loadSteps(): [string, number][] {
    const bytes = modelBytes;
    const file = parseModelFile(bytes);
    const vocabText = file.metadata.get('tokenizer.vocab');
    const vocab = typeof vocabText === 'string' ? vocabText : '';
    const vocabUtf8 = new TextEncoder().encode(vocab);
    const spec = file.tokenizer;
    let split: string[] = [];
    return [
      ['parseModelFile', cost(() => { parseModelFile(bytes); })],
      ['loadModel', cost(() => { loadModel(bytes); })],
      [`checksum of ${bytes.length} bytes`, cost(() => { checksumOf(bytes); })],
      [`decode the vocabulary (${vocabUtf8.length} bytes, ${vocab.length} chars)`, cost(() => { utf8Decode(vocabUtf8); })],
      ['split the vocabulary', cost(() => { split = vocab.split('\n'); })],
      [`WordTokenizer (Map of ${split.length} tokens)`, cost(() => { if (spec) new WordTokenizer(spec, 20); })],
    ];
  }

  /**
   * Sets up a units×n int8 Dense layer (synthetic weights) for `dense` and packs it for
   * both kernels; replies each packing's instructions per weight (the lane packing's
   * alternatives on the first columns only).
   */
  @update([IDL.Nat32, IDL.Nat32], Phases)
  denseSetup(units: number, n: number): [string, number][] {
    const values = new Int8Array(units * n);
    let state = 12345;
    const seed = Math.min(values.length, 4093);
    for (let i = 0; i < seed; i++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      values[i] = (state >>> 16) % 255 - 127;
    }
    // Native copies spread the seed over the table (period 4093, prime: rows differ).
    for (let filled = seed; filled < values.length; filled *= 2) values.copyWithin(filled, 0, Math.min(filled, values.length - filled));
    dense = { units, n, values, scales: new Float32Array(units).fill(0.01), bias: new Float32Array(units).fill(0.1), packed: null, lanes: null };
    const weights = units * n;
    const rows: [string, number][] = [];
    const d = dense;
    rows.push(['pack: float64 pairs (packInt8Kernel), per weight', cost(() => { d.packed = packDense(values, units, n); }) / weights]);
    rows.push(['pack: lanes from hex bytes (packLaneKernel), per weight', cost(() => { d.lanes = packLaneKernel(values, units, n); }) / weights]);
    const bits = laneBitsFor(n);
    const sample = Math.min(n, 16);
    const columns = d.lanes?.columns ?? [];
    let shifted: bigint[] = [];
    rows.push([`pack: lanes by shifts (divide and conquer), ${sample} columns, per weight`, cost(() => { shifted = packColumnsShifts(values, units, n, bits, sample); }) / (units * sample)]);
    rows.push(['pack: shifts agree with hex bytes (1 = yes)', shifted.every((c, j) => c === columns[j]) ? 1 : 0]);
    if (bits % 4 === 0) {
      let joined: bigint[] = [];
      rows.push([`pack: lanes from joined hex strings, ${sample} columns, per weight`, cost(() => { joined = packColumnsJoin(values, units, n, bits, sample); }) / (units * sample)]);
      rows.push(['pack: joined strings agree with hex bytes (1 = yes)', joined.every((c, j) => c === columns[j]) ? 1 : 0]);
    }
    // a layout the converter could write: each column's lane digits as ASCII hex in the file
    const prepared = columns.slice(0, sample).map((c) => Uint8Array.from(c.toString(16), (ch) => ch.charCodeAt(0)));
    let parsed: bigint[] = [];
    rows.push([`pack: lanes from prepared hex text (a layout the converter could write), ${sample} columns, per weight`, cost(() => {
      parsed = prepared.map((hex) => {
        let text = '';
        for (let at = 0; at < hex.length; at += 4096) text += String.fromCharCode.apply(null, hex.subarray(at, at + 4096) as unknown as number[]);
        return BigInt('0x' + text);
      });
    }) / (units * sample)]);
    rows.push(['pack: prepared hex text agrees with hex bytes (1 = yes)', parsed.every((c, j) => c === columns[j]) ? 1 : 0]);
    const textBytes = new Uint8Array(Math.ceil((units * bits) / 4)).fill(97);
    rows.push(['String.fromCharCode.apply of one column\'s hex (4 KB blocks), per weight', cost(() => { for (let at = 0; at < textBytes.length; at += 4096) String.fromCharCode.apply(null, textBytes.subarray(at, at + 4096) as unknown as number[]); }) / units]);
    const text = '0x' + 'a'.repeat(Math.ceil((units * bits) / 4));
    const limbs = Math.ceil((units * bits) / 32);
    rows.push([`BigInt('0x…') of one column (${limbs} limbs), per limb`, cost(() => { BigInt(text); }) / limbs]);
    return rows;
  }

  /**
   * Instructions per multiply-add of the int8 Dense kernels on the layer `denseSetup`
   * made, the whole layer each (quantization, kernel, extraction, scale and bias): mode 0
   * plain, 1 packed, 2 plain + packed + lanes + a bit-identity check, 3 lanes only.
   */
  @query([IDL.Nat32], Phases)
  dense(mode: number): [string, number][] {
    if (dense === undefined) throw new Error('call denseSetup first');
    const { units, n, values, scales, bias, packed, lanes } = dense;
    const input = new Float32Array(n);
    for (let i = 0; i < n; i++) input[i] = Math.sin(i);
    const output = new Float32Array(units);
    const quantized = new Int8Array(n);
    const buckets: bigint[] = new Array<bigint>(128);
    const macs = units * n;
    const rows: [string, number][] = [];
    if (mode === 0 || mode === 2) rows.push(['denseInt8 (plain integer)', cost(() => { kernels.denseInt8(input, 0, 1, n, values, scales, bias, units, output, 0, 0, quantized); }) / macs]);
    if ((mode === 1 || mode === 2) && packed) rows.push(['denseInt8Packed', cost(() => { runPacked(packed, input, scales, bias, units, n, output, quantized); }) / macs]);
    if ((mode === 2 || mode === 3) && lanes) {
      rows.push([`denseInt8Lanes, multiply-add per column, L=${lanes.laneBits}`, cost(() => { denseInt8Lanes(input, 0, 1, lanes, scales, bias, output, 0, 0, quantized, null); }) / macs]);
      rows.push([`denseInt8Lanes, buckets, L=${lanes.laneBits}`, cost(() => { denseInt8Lanes(input, 0, 1, lanes, scales, bias, output, 0, 0, quantized, buckets); }) / macs]);
      rows.push([`(buckets from ${LANE_BUCKETS_MIN_INPUTS} inputs in loadModel)`, 0]);
    }
    if (mode === 2 && packed && lanes) {
      const plain = new Float32Array(units);
      kernels.denseInt8(input, 0, 1, n, values, scales, bias, units, plain, 0, 0, quantized);
      let same = 1;
      runPacked(packed, input, scales, bias, units, n, output, quantized);
      for (let o = 0; o < units; o++) if (!Object.is(plain[o], output[o])) same = 0;
      for (const b of [null, buckets]) {
        denseInt8Lanes(input, 0, 1, lanes, scales, bias, output, 0, 0, quantized, b);
        for (let o = 0; o < units; o++) if (!Object.is(plain[o], output[o])) same = 0;
      }
      rows.push(['packed and lane outputs bit-identical to plain (1 = yes)', same]);
    }
    return rows;
  }

  /** Where a lane-kernel row's instructions go, on the layer `denseSetup` made (buckets). */
  @query([], Phases)
  laneSteps(): [string, number][] {
    if (dense === undefined || dense.lanes === null) throw new Error('call denseSetup first');
    const { n, lanes } = dense;
    const input = new Float32Array(n);
    for (let i = 0; i < n; i++) input[i] = Math.sin(i);
    const quantized = new Int8Array(n);
    kernels.quantizeRowInt8(input, 0, n, quantized);
    const columns = lanes.columns;
    const buckets: bigint[] = new Array<bigint>(128).fill(BigInt(0));
    let acc = BigInt(0);
    const zero = BigInt(0);
    return [
      ['quantizeRowInt8', cost(() => { kernels.quantizeRowInt8(input, 0, n, quantized); })],
      ['bucket adds (all columns)', cost(() => {
        for (var j = 0; j < n; j = (j + 1) | 0) { var q = quantized[j]; if (q > 0) buckets[q] = buckets[q] + columns[j]; else if (q < 0) buckets[-q] = buckets[-q] - columns[j]; }
      })],
      ['empty loop with the same branches', cost(() => {
        for (var j = 0; j < n; j = (j + 1) | 0) { var q = quantized[j]; if (q > 0) buckets[q] = buckets[q]; else if (q < 0) buckets[-q] = buckets[-q]; }
      })],
      ['one column add, per limb', cost(() => { acc = columns[0] + columns[1]; }) / (lanes.units * lanes.laneBits / 32)],
      ['127 bucket multiply-adds', cost(() => { acc = zero; for (var a = 1; a < 128; a = (a + 1) | 0) acc = acc + BigInt(a) * buckets[a]; })],
      ['toString(16)', cost(() => { acc.toString(16); })],
      [`columns: ${n}, limbs per column: ${Math.ceil(lanes.units * lanes.laneBits / 32)}`, 0],
    ];
  }

  /**
   * Appends `count` vectors of `dims` to the profile's int8 vector index (a new index when
   * dims changes): mode 0 random, mode 1 rising (each item closer to vectorSearch's query
   * than the last: every block is read, every item enters the top k). Replies the
   * instructions per item added (Int8VectorIndex.set: quantize, lanes, norms).
   */
  @update([IDL.Nat32, IDL.Nat32, IDL.Nat32], Phases)
  vectorSetup(count: number, dims: number, mode: number): [string, number][] {
    if (vectors === undefined || vectors.dims !== dims) vectors = new Int8VectorIndex(dims);
    const index = vectors;
    const query = vectorQuery(dims);
    const v = new Float32Array(dims);
    const start = index.count;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const t = (start + i + 1) / (start + count + 1);
      for (let d = 0; d < dims; d++) {
        vectorState = (Math.imul(vectorState, 1664525) + 1013904223) >>> 0;
        const r = vectorState / 2 ** 32 - 0.5;
        v[d] = mode === 1 ? t * query[d] + (1 - t) * 0.01 * r : r;
      }
      total += cost(() => { index.set(index.count, v); });
    }
    const commit = cost(() => { index.commit(); });
    return [['set, per item', total / count], ['commit (lanes), per item', commit / count], ['items', index.count]];
  }

  /** Instructions of one top-k search on vectorSetup's index, and the blocks it read. */
  @query([IDL.Nat32], Phases)
  vectorSearch(k: number): [string, number][] {
    if (vectors === undefined) throw new Error('call vectorSetup first');
    const index = vectors;
    const query = vectorQuery(index.dims);
    const instructions = cost(() => { index.search(query, k); });
    return [
      [`search top ${k} over ${index.count} items`, instructions],
      ['per item', instructions / index.count],
      ['blocks', index.blocks.length],
    ];
  }

  /** Alternatives for load-time steps, on the loaded file's vocabulary. */
  @query([], Phases)
  experiments(): [string, number][] {
    const file = parseModelFile(modelBytes);
    const vocabText = file.metadata.get('tokenizer.vocab');
    const vocab = typeof vocabText === 'string' ? vocabText : '';
    const bytes = new TextEncoder().encode(vocab);
    const block = bytes.subarray(0, 4096);
    const latin1 = String.fromCharCode.apply(null, block as unknown as number[]);
    const tokens = vocab.split('\n');
    const n = tokens.length;
    const words = new Int32Array(modelBytes.buffer, modelBytes.byteOffset, modelBytes.length >>> 2);
    return [
      ['fromCharCode.apply 4 KB', cost(() => { String.fromCharCode.apply(null, block as unknown as number[]); })],
      ['/[\\x80-\\xff]/.test 4 KB', cost(() => { /[\x80-\xff]/.test(latin1); })],
      ['/^[\\0-\\x7f]*$/.test 4 KB', cost(() => { /^[\0-\x7f]*$/.test(latin1); })],
      ['escape 4 KB', cost(() => { escape(latin1); })],
      ['decodeURIComponent(escape) 4 KB', cost(() => { decodeURIComponent(escape(latin1)); })],
      ['decodeURIComponent 4 KB (no %)', cost(() => { decodeURIComponent(latin1.replace(/%/g, 'x')); })],
      ['Math.max.apply 4 KB', cost(() => { Math.max.apply(null, block as unknown as number[]); })],
      ['Map: reverse loop, set only', cost(() => {
        const map = new Map<string, number>();
        for (var i = (n - 1) | 0; i >= 0; i = (i - 1) | 0) map.set(tokens[i], i);
      })],
      ['Map: reverse loop, set + longest', cost(() => {
        const map = new Map<string, number>();
        var longest = 0;
        var t = '';
        for (var i = (n - 1) | 0; i >= 0; i = (i - 1) | 0) { t = tokens[i]; map.set(t, i); if (t.length > longest) longest = t.length; }
      })],
      ['object: reverse loop', cost(() => {
        const map: Record<string, number> = Object.create(null) as Record<string, number>;
        for (var i = (n - 1) | 0; i >= 0; i = (i - 1) | 0) map[tokens[i]] = i;
      })],
      ['checksum unrolled x16 (block formula)', cost(() => { checksum16(words, words.length - 2); })],
      ['checksum int, unrolled x16', cost(() => { checksumInt16(words, words.length - 2); })],
      ['checksum int, unrolled x8', cost(() => { checksumInt8(words, words.length - 2); })],
      ['checksum int, var loop', cost(() => { checksumPlain(words, words.length - 2); })],
      ['checksum float64 copy + unrolled x16', cost(() => { checksumFloat(words, words.length - 2); })],
      ['new Float64Array(int32 view)', cost(() => { new Float64Array(words); })],
      [`checksums agree ${checksumFloat(words, words.length - 2)} ${checksumPlain(words, words.length - 2)}`, 0],
      ['anchored regex test 15 KB vocab', cost(() => { /^[\0-\x7f]*$/.test(vocab); })],
      ...jsonExperiments(tokens),
      ['split 15 KB vocab', cost(() => { vocab.split('\n'); })],
    ];
  }

  /** Per-word vocabulary lookups, the object against the alternatives (vocab-lab.ts), on the words of `text` split at spaces. */
  @query([IDL.Text], Phases)
  vocabLab(text: string): [string, number][] {
    if (model === undefined || model.tokenizer === null) throw new Error('call load first');
    const tokenizer = model.tokenizer as unknown as { ids: Record<string, number | undefined>; vocab: string[] };
    return vocabLab(tokenizer.vocab, tokenizer.ids, text.toLowerCase().split(' '), cost);
  }

  /** Pieces of tokenizing `text`, for the tokenizer's design. */
  @query([IDL.Text], Phases)
  tokenizeSteps(text: string): [string, number][] {
    if (model === undefined || model.tokenizer === null) throw new Error('call load first');
    const tokenizer = model.tokenizer;
    const lowered = text.toLowerCase();
    const words = lowered.match(/[\p{L}\p{N}_']+/gu) ?? [];
    const map = new Map<string, number>(words.map((w, i) => [w, i]));
    const out = new Int32Array(20);
    return [
      ['encode (fast path)', cost(() => { tokenizer.encode(text, out); })],
      ['encodeScanning', cost(() => { tokenizer.encodeScanning(text, out); })],
      ['model.tokenize', cost(() => { model?.tokenize(text); })],
      ['toLowerCase', cost(() => { text.toLowerCase(); })],
      ['slice(0, 256)', cost(() => { text.slice(0, 256); })],
      ['indexOf(ς)', cost(() => { lowered.indexOf('\u03c2'); })],
      [`match /[\\p{L}\\p{N}_']+/gu (${words.length} words)`, cost(() => { lowered.match(/[\p{L}\p{N}_']+/gu); })],
      ['match /[a-z0-9_\']+/g', cost(() => { lowered.match(/[a-z0-9_']+/g); })],
      ['split /[^\\p{L}\\p{N}_\']+/u', cost(() => { lowered.split(/[^\p{L}\p{N}_']+/u); })],
      ['split " "', cost(() => { lowered.split(' '); })],
      [`Map.get × ${words.length}`, cost(() => { for (var i = 0; i < words.length; i = (i + 1) | 0) map.get(words[i]); })],
      ['empty loop × words', cost(() => { for (var i = 0; i < words.length; i = (i + 1) | 0); })],
      ['anchored /^[a-z0-9_\' ]*$/ test on the text', cost(() => { /^[a-z0-9_' ]*$/.test(lowered); })],
      ['/^[a-z0-9_\']+$/ test × pieces', cost(() => { const re = /^[a-z0-9_']+$/; const pieces = lowered.split(' '); for (var i = 0; i < pieces.length; i = (i + 1) | 0) re.test(pieces[i]); })],
      ['match on one piece "now!"', cost(() => { 'now!'.match(/[\p{L}\p{N}_']+/gu); })],
      ['split("")', cost(() => { lowered.split(''); })],
      ['charCodeAt loop', cost(() => { for (var i = 0; i < lowered.length; i = (i + 1) | 0) lowered.charCodeAt(i); })],
      ['escape', cost(() => { escape(lowered); })],
      ['replace sep runs /[^\\p{L}\\p{N}_\']+/gu with " "', cost(() => { lowered.replace(/[^\p{L}\p{N}_']+/gu, ' '); })],
      ['replace ascii sep runs /[^a-z0-9_\'\\x80-\\uffff]+/g', cost(() => { lowered.replace(/[^a-z0-9_'\x80-\uffff]+/g, ' '); })],
      ['test /[^\\p{L}\\p{N}_\']/u on "now!"', cost(() => { /[^\p{L}\p{N}_']/u.test('now!'); })],
      ['test /[^a-z0-9_\']/ on "now!"', cost(() => { /[^a-z0-9_']/.test('now!'); })],
      ['Map.get miss "now!"', cost(() => { map.get('now!'); })],
      ['vocab join + ascii test', cost(() => { const v = (model?.tokenizer as unknown as { ids: Map<string, number> }).ids; void v; })],
      ['encodeSplitting', cost(() => { tokenizer.encodeSplitting(text, out); })],
      ['encodeMatching', cost(() => { tokenizer.encodeMatching(text, out); })],
      ['pieceWords("iphone")', cost(() => { (tokenizer as unknown as { pieceWords: (p: string, k: number, m: boolean, o: Int32Array, c: number) => number }).pieceWords('iphone', 0, true, out, 1); })],
      ['pieceWords("now!")', cost(() => { (tokenizer as unknown as { pieceWords: (p: string, k: number, m: boolean, o: Int32Array, c: number) => number }).pieceWords('now!', 0, true, out, 1); })],
      ['split(" ", 28)', cost(() => { lowered.split(' ', 28); })],
      ['split " " + Map.get each', cost(() => { const pieces = lowered.split(' '); for (var i = 0; i < pieces.length; i = (i + 1) | 0) map.get(pieces[i]); })],
    ];
  }

  /** Pieces of the canister's glue around a prediction: `candid` is a predict argument, `http` an http_request argument. */
  @query([IDL.Vec(IDL.Nat8), IDL.Vec(IDL.Nat8)], Phases)
  glue(candid: Uint8Array, http: Uint8Array): [string, number][] {
    if (model === undefined) throw new Error('call load first');
    const m = model;
    const wire = makeWire('spam', 1, 'ab'.repeat(32), m.labels);
    const instructions = (): bigint => performanceCounter(0);
    let r = new Reader(candid);
    r.blob();
    r.pos++;
    const textBytes = r.blob();
    const ref = { bytes: textBytes, start: 0, end: textBytes.length, json: false };
    const text = textPrefix(ref, 20);
    const scores = m.predictText(text).slice();
    const top = [m.argmax(scores)];
    const h = new Reader(http);
    const url = h.blob();
    const method = h.blob();
    const body = h.blob();
    const jsonBody = predictionJsonBytes(wire, scores, 1, 2, top, instructions);
    return [
      ['Reader(candid)', cost(() => { r = new Reader(candid); })],
      ['2 × blob', cost(() => { r = new Reader(candid); r.blob(); r.pos++; r.blob(); }) - cost(() => { r = new Reader(candid); })],
      ['textPrefix (decode)', cost(() => { textPrefix(ref, 20); })],
      ['predictText', cost(() => { m.predictText(text); })],
      ['predictText + slice + argmax', cost(() => { const sc = m.predictText(text).slice(); m.argmax(sc); })],
      ['performanceCounter(0)', cost(() => { performanceCounter(0); })],
      ['encodePredictOk', cost(() => { encodePredictOk(wire, scores, 1, 2, top, instructions); })],
      ['Reader(http)', cost(() => { new Reader(http); })],
      ['http fields', cost(() => { const x = new Reader(http); x.blob(); x.blob(); x.blob(); const n = x.leb(); for (let i = 0; i < n; i++) { x.blob(); x.blob(); } })],
      ['matchPredictRoute', cost(() => { matchPredictRoute(method, url); })],
      [`fastText (${body.length} B body)`, cost(() => { fastText(body); })],
      ['textPrefix of the body text', cost(() => { const f = fastText(body); if (f) textPrefix(f, 20); })],
      ['predictionJsonBytes', cost(() => { predictionJsonBytes(wire, scores, 1, 2, top, instructions); })],
      ['encodeHttpResponse', cost(() => { encodeHttpResponse(200, JSON_HEADERS, jsonBody, false); })],
      ['msgArgData()', cost(() => { msgArgData(); })],
      // The native floor of reading a JSON string: its closing quote found by memchr (Uint8Array indexOf) over the inside.
      [`indexOf(") over the body's string (${body.length - 11} B, memchr)`, cost(() => { body.subarray(9, body.length - 2).indexOf(0x22); })],
    ];
  }

  /**
   * A REST body {"text": "…"} read as the canister reads it (msgArgData, fastText, textPrefix and
   * its quickCut of 19 words: the spam model's), then each native scan of bench/profile/scans.ts
   * over the string's inside.
   */
  @query([IDL.Vec(IDL.Nat8)], Phases)
  bodyScans(body: Uint8Array): [string, number][] {
    const fast = fastText(body);
    if (fast === null) throw new Error('bodyScans takes a body {"text": "…"} without quotes inside the string');
    return [
      ['msgargdata', cost(() => { msgArgData(); })],
      ['fast_text', cost(() => { fastText(body); })],
      ['text_prefix', cost(() => { textPrefix({ ...fast }, 19); })],
      ['quick_cut', cost(() => { quickCut(fast, 19); })],
      // one Uint8Array indexOf call that finds its byte at once (quickCut makes one per word)
      ['indexof_call', cost(() => { body.indexOf(body[fast.start], fast.start); })],
      ...bodyScanRows(body.subarray(fast.start, fast.end), cost),
    ];
  }

  /** The engine's forward pass on `text`, step by step (private members reached through a cast). */
  @query([IDL.Text], Phases)
  engineSteps(text: string): [string, number][] {
    if (model === undefined) throw new Error('call load first');
    const m = model;
    type Inside = { steps: { kind: number }[]; run: () => Float32Array; embeddingPool: (s: unknown) => void; tokens: Int32Array; filled: number };
    const inside = m as unknown as Inside;
    m.predictText(text);
    const bytes = new TextEncoder().encode(text);
    const rows: [string, number][] = [
      ['predictText', cost(() => { m.predictText(text); })],
      ['tokenize', cost(() => { m.tokenize(text); })],
      ['run()', cost(() => { inside.run(); })],
      [`steps: ${inside.steps.map((s) => s.kind).join(',')}`, 0],
      ['embeddingPool(step 0)', cost(() => { inside.embeddingPool(inside.steps[0]); })],
      ['empty call', cost(() => { (() => {})(); })],
      ['Math.max.apply on the text bytes', cost(() => { Math.max.apply(null, bytes as unknown as number[]); })],
      ['fromCharCode.apply on the text bytes', cost(() => { String.fromCharCode.apply(null, bytes as unknown as number[]); })],
      ['/[\x80-\xff]/ test on the text', cost(() => { /[\x80-\xff]/.test(text); })],
      ['encodeURIComponent(text)', cost(() => { encodeURIComponent(text); })],
      ['escape(text)', cost(() => { escape(text); })],
      ['toLowerCase', cost(() => { text.toLowerCase(); })],
      ['bytes.subarray(0, n)', cost(() => { bytes.subarray(0, bytes.length); })],
      ['new Float32Array(2)', cost(() => { new Float32Array(2); })],
      ['Float32Array slice(2)', cost(() => { m.predictText(text).slice(); }) - cost(() => { m.predictText(text); })],
      ['Math.exp', cost(() => { Math.exp(0.5); })],
      ...compileCosts(),
    ];
    return rows;
  }

  /** The engine's UTF-8 decoder on each byte string, inside QuickJS: the text, or null when it throws. */
  @query([IDL.Vec(IDL.Vec(IDL.Nat8))], IDL.Vec(IDL.Opt(IDL.Text)))
  utf8(inputs: Uint8Array[]): ([] | [string])[] {
    return inputs.map((bytes) => {
      try {
        return [decodeUtf8Strict(Uint8Array.from(bytes))];
      } catch {
        return [];
      }
    });
  }

  /** Instructions per element of each loop variant over `n` elements. */
  @query([IDL.Nat32], Phases)
  loops(n: number): [string, number][] {
    return loopVariants(n).map(([name, run]) => [name, cost(() => { run(); }) / n]);
  }
}
