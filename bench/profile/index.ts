// Profile: where a prediction's instructions go inside an Azle canister, and what
// the interpreter charges for the loops a kernel is made of. Measured with the
// performance counter inside one message, so no dispatch or Candid is included.
import { IDL, msgArgData, msgReply, performanceCounter, query, update } from 'azle';

import { decodeUtf8 } from '../../canister/utf8.ts';
import { loadModel, parseModelFile, type EngineModel } from '../../engine/index.ts';

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
let loadInstructions = 0;
let parseInstructions = 0;

const counter = (): number => Number(performanceCounter(0));

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

export default class {
  /** The argument is a raw .dcai file (no Candid): loads it as the model to profile. */
  @update([], IDL.Empty, { manual: true })
  load(): void {
    const bytes = msgArgData();
    parseInstructions = cost(() => {
      parseModelFile(bytes);
    });
    loadInstructions = cost(() => {
      model = loadModel(bytes);
    });
    msgReply(EMPTY_CANDID_REPLY);
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

  /** Instructions per element of each loop variant over `n` elements. */
  @query([IDL.Nat32], Phases)
  loops(n: number): [string, number][] {
    return loopVariants(n).map(([name, run]) => [name, cost(() => { run(); }) / n]);
  }
}
