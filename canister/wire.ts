// Candid reply types and the hot paths' reply writers: type tables built once,
// per-model reply parts built when a model loads (Wire), replies written by
// copying bytes. Shared by methods.ts (Candid) and rest.ts (JSON).

import { buildTypes, Encoder, Reader, T, Writer, type CType } from './candid-wire.ts';
import type { Loaded } from './registry.ts';
import { encodeJsonUtf8, encodeUtf8 } from './utf8.ts';

export const JSON_HEADERS: [string, string][] = [
  ['content-type', 'application/json'],
  ['access-control-allow-origin', '*'],
];

/** A prediction answered by http_request_update (the subnet agreed): says so in a header a page may read. */
export const VERIFIED_JSON_HEADERS: [string, string][] = JSON_HEADERS.concat([
  ['x-decentai-verified', 'true'],
  ['access-control-expose-headers', 'x-decentai-verified'],
]);

// ---------------------------------------------------------------- types

const Err: CType = { record: [['code', T.text], ['message', T.text]] };
const ok = (t: CType): CType => ({ variant: [['ok', t], ['err', Err]] });
const TensorSpecT: CType = { record: [['name', T.text], ['shape', { vec: T.nat32 }], ['dtype', T.text]] };
const ModelInfo: CType = {
  record: [
    ['name', T.text],
    ['version', T.nat32],
    ['active', T.bool],
    ['labels', { vec: T.text }],
    ['input_kind', T.text],
    ['input_shape', { vec: T.nat32 }],
    ['inputs', { vec: TensorSpecT }],
    ['outputs', { vec: TensorSpecT }],
    ['parameters', T.nat64],
    ['bytes', T.nat64],
    ['sha256', T.text],
    ['created_at', T.nat64],
    ['activated_at', T.nat64],
    ['verified', T.bool],
    ['computed_sha256', { opt: T.text }],
  ],
};
const UploadStatus: CType = {
  record: [['upload_id', T.nat32], ['name', T.text], ['size', T.nat64], ['received', T.nat64], ['sha256', T.text], ['expires_at', T.nat64]],
};
const VerifyStatusT: CType = {
  record: [
    ['name', T.text],
    ['version', T.nat32],
    ['hashed', T.nat64],
    ['total', T.nat64],
    ['done', T.bool],
    ['verified', T.bool],
    ['computed_sha256', { opt: T.text }],
    ['declared_sha256', T.text],
  ],
};
const PredictOk: CType = {
  record: [
    ['model', T.text],
    ['version', T.nat32],
    ['sha256', T.text],
    ['labels', { vec: T.text }],
    ['predictions', { vec: { record: [['label', T.text], ['scores', { vec: T.float32 }]] } }],
    ['instructions', T.nat64],
  ],
};
const HeaderField: CType = { record: [['0', T.text], ['1', T.text]] };
const HttpResponse: CType = {
  record: [
    ['status_code', T.nat16],
    ['headers', { vec: HeaderField }],
    ['body', { vec: T.nat8 }],
    ['upgrade', { opt: T.bool }],
  ],
};

/** `Input` and `HttpRequest`, as arguments: their headers (as @dfinity/candid writes them) are parsed at start-up. */
const TensorT: CType = {
  record: [
    ['name', { opt: T.text }],
    ['shape', { vec: T.nat32 }],
    ['data', { variant: [['float32', { vec: T.float32 }], ['int32', { vec: T.int32 }], ['float32_le', { vec: T.nat8 }], ['uint8', { vec: T.nat8 }]] }],
  ],
};
export const InputT: CType = {
  variant: [
    ['text', { vec: T.nat8 }],
    ['texts', { vec: { vec: T.nat8 } }],
    ['tokens', { vec: T.int32 }],
    ['tokens_batch', { vec: { vec: T.int32 } }],
    ['vector', { vec: T.float32 }],
    ['vector_batch', { vec: { vec: T.float32 } }],
    ['tensor', TensorT],
    ['tensors', { vec: TensorT }],
  ],
};
export const HttpRequestT: CType = {
  record: [
    ['method', T.text],
    ['url', T.text],
    ['headers', { vec: HeaderField }],
    ['body', { vec: T.nat8 }],
    ['certificate_version', { opt: T.nat16 }],
  ],
};
export const PREDICT_ARGS = buildTypes([T.text, InputT]).header;
export const HTTP_ARGS = buildTypes([HttpRequestT]).header;
export const PREDICT_KNOWN = Reader.know(PREDICT_ARGS);
export const HTTP_KNOWN = Reader.know(HTTP_ARGS);

/** Reply encoders, built on first use (the hot paths' replies are written straight, below). */
const lazy = (types: () => CType[]) => {
  let e: Encoder | undefined;
  return () => (e ??= new Encoder(types()));
};
const enc = {
  predict: lazy(() => [ok(PredictOk)]),
  upload: lazy(() => [ok(UploadStatus)]),
  uploads: lazy(() => [{ vec: UploadStatus }]),
  model: lazy(() => [ok(ModelInfo)]),
  models: lazy(() => [{ vec: ModelInfo }]),
  verify: lazy(() => [ok(VerifyStatusT)]),
  blob: lazy(() => [ok({ vec: T.nat8 })]),
  count: lazy(() => [ok(T.nat32)]),
  unit: lazy(() => [ok(T.null)]),
};
export type EncoderName = keyof typeof enc;
export const E = {
  get: (name: EncoderName): Encoder => enc[name](),
};

const PREDICT_HEADER = E.get('predict').built.header;

function blob(bytes: Uint8Array): Uint8Array {
  const w = new Writer(bytes.length + 5);
  w.blob(bytes);
  return w.finish().slice();
}

/** Reply parts computed once per loaded model, so a prediction only copies bytes. */
export interface Wire {
  /** Header, variant `ok`, then model and sha256 (PredictOk fields in hash order start with them). */
  prefix: Uint8Array;
  /** Each label as Candid text. */
  labels: Uint8Array[];
  /** The `labels` field: count, then every label. */
  labelsVec: Uint8Array;
  version: number;
  /** JSON, UTF-8: `{"model":…,"version":…,"sha256":…,"predictions":[` */
  jsonPrefixBytes: Uint8Array;
  /** JSON, UTF-8: `{"label":…,"scores":{` for each top label. */
  jsonTopBytes: Uint8Array[];
  /** JSON, UTF-8: `"label":` for each label. */
  jsonKeyBytes: Uint8Array[];
  /** The whole `ok` reply of one prediction for each top label, scores and instructions zero (encodePredictOne fills them in). */
  single: Uint8Array[];
}

export function makeWire(name: string, version: number, sha256: string, labels: readonly string[]): Wire {
  const w = new Writer(PREDICT_HEADER.length + 128);
  w.bytes(PREDICT_HEADER);
  w.byte(0);
  w.blob(encodeUtf8(name));
  w.blob(encodeUtf8(sha256));
  const lw = new Writer(64);
  lw.leb(labels.length);
  const labelBlobs = labels.map((label) => blob(encodeUtf8(label)));
  for (const b of labelBlobs) lw.bytes(b);
  const jsonPrefix = `{"model":${JSON.stringify(name)},"version":${version},"sha256":${JSON.stringify(sha256)},"predictions":[`;
  const jsonTop = labels.map((label) => `{"label":${JSON.stringify(label)},"scores":{`);
  const jsonKeys = labels.map((label) => `${JSON.stringify(label)}:`);
  // JSON made of JSON.stringify's pieces: UTF-8 natively (encodeJsonUtf8), ~0.6M less per load for two labels
  const wire: Wire = {
    jsonPrefixBytes: encodeJsonUtf8(jsonPrefix),
    jsonTopBytes: jsonTop.map(encodeJsonUtf8),
    jsonKeyBytes: jsonKeys.map(encodeJsonUtf8),
    prefix: w.finish().slice(),
    labels: labelBlobs,
    labelsVec: lw.finish().slice(),
    version,
    single: [],
  };
  // (made here, at load: a query's state is discarded, so a cache filled by a query would be rebuilt every call)
  const zeros = new Float32Array(labels.length);
  if (labels.length <= SCRATCH_SCORES.length) for (let k = 0; k < labels.length; k++) wire.single.push(encodePredictOk(wire, zeros, 1, labels.length, [k], () => 0n));
  return wire;
}

/** RegistryOptions.prepare: the wire parts of a model, made when it is loaded. */
export const prepare = (l: Loaded): Wire => makeWire(l.name, l.version, l.sha256, l.model.labels);

export function wireOf(l: Loaded): Wire {
  return (l.prepared as Wire | undefined) ?? prepare(l);
}

/** Bytes of an unsigned LEB128 number. */
function lebSize(n: number): number {
  var size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Writes an unsigned LEB128 number at out[p]; returns the next position. */
function putLeb(out: Uint8Array, p: number, n: number): number {
  while (n >= 0x80) {
    out[p++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[p++] = n;
  return p;
}

/** Writes a non-negative integer below 2^53 as 8 little-endian bytes (no BigInt, no DataView). */
function putNat64(out: Uint8Array, p: number, n: number): void {
  var low = n % 4294967296;
  var high = Math.floor(n / 4294967296);
  out[p] = low & 0xff;
  out[p + 1] = (low >>> 8) & 0xff;
  out[p + 2] = (low >>> 16) & 0xff;
  out[p + 3] = low >>> 24;
  out[p + 4] = high & 0xff;
  out[p + 5] = (high >>> 8) & 0xff;
  out[p + 6] = (high >>> 16) & 0xff;
  out[p + 7] = high >>> 24;
}

/**
 * The `ok` reply of a prediction, written straight (the hot path): the same bytes as
 * the generic encoder without walking the type, into one buffer of the exact size.
 * Fields in hash order: variant ok = 0; PredictOk: model, sha256, predictions, labels,
 * instructions, version; Prediction: scores, label.
 */
/** Scratch for encodePredictOne: scores are copied here (natively) and written from its bytes. */
const SCRATCH_SCORES = new Float32Array(256);
const SCRATCH_BYTES = new Uint8Array(SCRATCH_SCORES.buffer);

/**
 * The `ok` reply of one prediction (the same bytes as encodePredictOk with count 1): a
 * copy of the reply made at load for the top label (makeWire), with the scores and the
 * instruction count written in.
 */
export function encodePredictOne(wire: Wire, scores: Float32Array, top: number, instructions: () => bigint): Uint8Array {
  var n = scores.length;
  if (n > SCRATCH_SCORES.length || n !== wire.labels.length) return encodePredictOk(wire, scores, 1, n, [top], instructions);
  var out = wire.single[top].slice();
  SCRATCH_SCORES.set(scores);
  // header, variant and fields up to the predictions, then vec length 1 and the scores' length (one LEB byte each: n ≤ 256 needs two)
  out.set(n === SCRATCH_SCORES.length ? SCRATCH_BYTES : SCRATCH_BYTES.subarray(0, n * 4), wire.prefix.length + 1 + (n < 128 ? 1 : 2));
  putNat64(out, out.length - 12, Number(instructions()));
  return out;
}

export function encodePredictOk(wire: Wire, scores: Float32Array, count: number, outputs: number, top: number[], instructions: () => bigint): Uint8Array {
  var labels = wire.labels;
  var scoreBytes = outputs * 4;
  var size = wire.prefix.length + lebSize(count) + wire.labelsVec.length + 12;
  var i = 0;
  for (i = 0; i < count; i++) size += lebSize(outputs) + scoreBytes + labels[top[i]].length;
  var out = new Uint8Array(size);
  out.set(wire.prefix, 0);
  var p = putLeb(out, wire.prefix.length, count);
  var raw = new Uint8Array(scores.buffer, scores.byteOffset, count * scoreBytes);
  for (i = 0; i < count; i++) {
    p = putLeb(out, p, outputs);
    out.set(count === 1 ? raw : raw.subarray(i * scoreBytes, (i + 1) * scoreBytes), p);
    p += scoreBytes;
    out.set(labels[top[i]], p);
    p += labels[top[i]].length;
  }
  out.set(wire.labelsVec, p);
  p += wire.labelsVec.length;
  putNat64(out, p, Number(instructions()));
  p += 8;
  var version = wire.version;
  out[p] = version & 0xff;
  out[p + 1] = (version >>> 8) & 0xff;
  out[p + 2] = (version >>> 16) & 0xff;
  out[p + 3] = version >>> 24;
  return out;
}

const HTTP_HEADER = buildTypes([HttpResponse]).header;

let lastHeaders: [string, string][] | null = null;
let lastHeaderBytes = new Uint8Array(0);

/** A header list's entries as Candid `record { text; text }`s, without the count (the last list is cached: responses share theirs). */
function headerBytes(headers: [string, string][]): Uint8Array {
  const w = new Writer(128);
  for (let i = 0; i < headers.length; i++) {
    w.blob(encodeUtf8(headers[i][0]));
    w.blob(encodeUtf8(headers[i][1]));
  }
  lastHeaders = headers;
  lastHeaderBytes = w.finish().slice();
  return lastHeaderBytes;
}
headerBytes(JSON_HEADERS);

/**
 * An HttpResponse written straight: body, headers, upgrade, status_code (hash order). `certification`:
 * the two certification header entries (certification.ts) written after the answer's own.
 */
export function encodeHttpResponse(status: number, headers: [string, string][], body: Uint8Array, upgrade: boolean, certification?: Uint8Array | null): Uint8Array {
  const extra = certification ?? null;
  const w = new Writer(HTTP_HEADER.length + body.length + 160 + (extra === null ? 0 : extra.length));
  w.bytes(HTTP_HEADER);
  w.blob(body);
  w.leb(headers.length + (extra === null ? 0 : 2));
  w.bytes(headers === lastHeaders ? lastHeaderBytes : headerBytes(headers));
  if (extra !== null) w.bytes(extra);
  if (upgrade) {
    w.byte(1);
    w.byte(1);
  } else w.byte(0);
  w.reserve(2);
  w.view.setUint16(w.pos, status, true);
  w.pos += 2;
  return w.finish();
}


/** Writes an ASCII string (numbers, punctuation) as bytes. */
export function writeAscii(w: Writer, s: string): void {
  const n = s.length;
  w.reserve(n);
  const buf = w.buf;
  let p = w.pos;
  for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
  w.pos = p;
}

const CLOSE_ITEM = encodeUtf8('}}');
// Whether the answer went through consensus (http_request_update), and the object's close.
const VERIFIED_TRUE = encodeUtf8(',"verified":true}');
const VERIFIED_FALSE = encodeUtf8(',"verified":false}');
const INSTRUCTIONS_KEY = encodeUtf8('],"instructions":');
const COMMA = 0x2c;
/** 10^k for k in [0, 30] (exact up to 10^22; the rest correctly rounded, used only on values ≥ 1e-15). */
const POW10: number[] = [];
for (let k = 0; k <= 30; k++) POW10.push(Number(`1e${k}`));

/** Writes the digits of a non-negative integer below 2^53 at out[p]; returns the next position. */
function putDigits(out: Uint8Array, p: number, n: number): number {
  var digits = 1;
  while (digits < 16 && n >= POW10[digits]) digits++;
  var end = p + digits;
  var q = end;
  while (q > p) {
    q--;
    out[q] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

/**
 * Writes a float32 value as JSON with 9 significant digits (trailing zeros dropped): the
 * decimal is within half a unit of its 9th digit of the value, far closer than half a
 * float32 ulp, so Math.fround(JSON.parse(text)) gives the value back bit for bit.
 * Needs 24 bytes of room. Non-finite values (not JSON) and extreme exponents take String().
 */
function putFloat32(w: Writer, v: number): void {
  var negative = v < 0;
  var a = negative ? -v : v;
  if (!(a >= 1e-15 && a < 1e15)) {
    writeAscii(w, a === 0 ? '0' : String(v));
    return;
  }
  var e = Math.floor(Math.log10(a));
  // m: the 9 significant digits as an integer
  var m = e >= 8 ? Math.round(a / POW10[e - 8]) : Math.round(a * POW10[8 - e]);
  if (m >= 1e9) {
    e++;
    m = e >= 8 ? Math.round(a / POW10[e - 8]) : Math.round(a * POW10[8 - e]);
  } else if (m < 1e8) {
    e--;
    m = e >= 8 ? Math.round(a / POW10[e - 8]) : Math.round(a * POW10[8 - e]);
  }
  var digits = 9;
  while (m % 10 === 0 && digits > 1) {
    m = m / 10;
    digits--;
  }
  w.reserve(32);
  var out = w.buf;
  var p = w.pos;
  if (negative) out[p++] = 0x2d;
  if (e < 0 && e >= -6) {
    // 0.000ddd
    out[p++] = 0x30;
    out[p++] = 0x2e;
    for (var z = -1; z > e; z--) out[p++] = 0x30;
    p = putDigits(out, p, m);
  } else if (e >= 0 && e < digits - 1) {
    // ddd.ddd
    var end = putDigits(out, p, m);
    var dot = p + e + 1;
    out.copyWithin(dot + 1, dot, end);
    out[dot] = 0x2e;
    p = end + 1;
  } else if (e >= 0 && e < 15) {
    // ddd000
    p = putDigits(out, p, m);
    for (var k = digits - 1; k < e; k++) out[p++] = 0x30;
  } else {
    // d.ddde-7
    var first = p;
    p = putDigits(out, p, m);
    if (digits > 1) {
      out.copyWithin(first + 2, first + 1, p);
      out[first + 1] = 0x2e;
      p++;
    }
    out[p++] = 0x65;
    if (e < 0) {
      out[p++] = 0x2d;
      e = -e;
    }
    p = putDigits(out, p, e);
  }
  w.pos = p;
}

/** The JSON answer of a prediction, written as bytes from the model's precomputed pieces. */
export function predictionJsonBytes(wire: Wire, scores: Float32Array, count: number, outputs: number, top: number[], instructions: () => bigint, verified = false): Uint8Array {
  const w = new Writer(wire.jsonPrefixBytes.length + 64 + count * (48 + outputs * 40));
  w.bytes(wire.jsonPrefixBytes);
  for (let i = 0; i < count; i++) {
    if (i > 0) w.byte(COMMA);
    w.bytes(wire.jsonTopBytes[top[i]]);
    for (let j = 0; j < outputs; j++) {
      if (j > 0) w.byte(COMMA);
      w.bytes(wire.jsonKeyBytes[j]);
      putFloat32(w, scores[i * outputs + j]);
    }
    w.bytes(CLOSE_ITEM);
  }
  w.bytes(INSTRUCTIONS_KEY);
  w.reserve(24);
  w.pos = putDigits(w.buf, w.pos, Number(instructions()));
  w.bytes(verified ? VERIFIED_TRUE : VERIFIED_FALSE);
  return w.finish();
}
