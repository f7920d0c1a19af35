// Candid reply types and the hot paths' reply writers: type tables built once,
// per-model reply parts built when a model loads (Wire), replies written by
// copying bytes. Shared by methods.ts (Candid) and rest.ts (JSON).

import { buildTypes, Encoder, Reader, T, Writer, type CType } from './candid-wire.ts';
import type { Loaded } from './registry.ts';
import { encodeUtf8 } from './utf8.ts';

export const JSON_HEADERS: [string, string][] = [
  ['content-type', 'application/json'],
  ['access-control-allow-origin', '*'],
];

// ---------------------------------------------------------------- types

const Err: CType = { record: [['code', T.text], ['message', T.text]] };
const ok = (t: CType): CType => ({ variant: [['ok', t], ['err', Err]] });
const ModelInfo: CType = {
  record: [
    ['name', T.text],
    ['version', T.nat32],
    ['active', T.bool],
    ['labels', { vec: T.text }],
    ['input_kind', T.text],
    ['input_shape', { vec: T.nat32 }],
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
  record: [['upload_id', T.nat32], ['name', T.text], ['size', T.nat64], ['received', T.nat64], ['sha256', T.text]],
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
export const InputT: CType = {
  variant: [
    ['text', { vec: T.nat8 }],
    ['texts', { vec: { vec: T.nat8 } }],
    ['tokens', { vec: T.int32 }],
    ['tokens_batch', { vec: { vec: T.int32 } }],
    ['vector', { vec: T.float32 }],
    ['vector_batch', { vec: { vec: T.float32 } }],
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
  return {
    jsonPrefixBytes: encodeUtf8(jsonPrefix),
    jsonTopBytes: jsonTop.map(encodeUtf8),
    jsonKeyBytes: jsonKeys.map(encodeUtf8),
    prefix: w.finish().slice(),
    labels: labelBlobs,
    labelsVec: lw.finish().slice(),
    version,
  };
}

/** RegistryOptions.prepare: the wire parts of a model, made when it is loaded. */
export const prepare = (l: Loaded): Wire => makeWire(l.name, l.version, l.sha256, l.model.labels);

export function wireOf(l: Loaded): Wire {
  return (l.prepared as Wire | undefined) ?? prepare(l);
}

/**
 * The `ok` reply of a prediction, written straight (the hot path): the same bytes as
 * the generic encoder without walking the type. Fields in hash order: variant ok = 0;
 * PredictOk: model, sha256, predictions, labels, instructions, version;
 * Prediction: scores, label.
 */
export function encodePredictOk(wire: Wire, scores: Float32Array, count: number, outputs: number, top: number[], instructions: () => bigint): Uint8Array {
  const w = new Writer(wire.prefix.length + wire.labelsVec.length + 32 + count * (outputs * 4 + 24));
  w.bytes(wire.prefix);
  w.leb(count);
  for (let i = 0; i < count; i++) {
    w.leb(outputs);
    w.bytes(new Uint8Array(scores.buffer, scores.byteOffset + i * outputs * 4, outputs * 4));
    w.bytes(wire.labels[top[i]]);
  }
  w.bytes(wire.labelsVec);
  w.reserve(12);
  w.view.setBigUint64(w.pos, instructions(), true);
  w.pos += 8;
  w.view.setUint32(w.pos, wire.version, true);
  w.pos += 4;
  return w.finish();
}

const HTTP_HEADER = buildTypes([HttpResponse]).header;

let lastHeaders: [string, string][] | null = null;
let lastHeaderBytes = new Uint8Array(0);

/** A header list as Candid `vec record { text; text }` (the last list is cached: responses share theirs). */
function headerBytes(headers: [string, string][]): Uint8Array {
  const w = new Writer(128);
  w.leb(headers.length);
  for (let i = 0; i < headers.length; i++) {
    w.blob(encodeUtf8(headers[i][0]));
    w.blob(encodeUtf8(headers[i][1]));
  }
  lastHeaders = headers;
  lastHeaderBytes = w.finish().slice();
  return lastHeaderBytes;
}
headerBytes(JSON_HEADERS);

/** An HttpResponse written straight: body, headers, upgrade, status_code (hash order). */
export function encodeHttpResponse(status: number, headers: [string, string][], body: Uint8Array, upgrade: boolean): Uint8Array {
  const w = new Writer(HTTP_HEADER.length + body.length + 160);
  w.bytes(HTTP_HEADER);
  w.blob(body);
  w.bytes(headers === lastHeaders ? lastHeaderBytes : headerBytes(headers));
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
const COMMA = 0x2c;

/** The JSON answer of a prediction, written as bytes from the model's precomputed pieces. */
export function predictionJsonBytes(wire: Wire, scores: Float32Array, count: number, outputs: number, top: number[], instructions: () => bigint): Uint8Array {
  const w = new Writer(wire.jsonPrefixBytes.length + 64 + count * (48 + outputs * 40));
  w.bytes(wire.jsonPrefixBytes);
  for (let i = 0; i < count; i++) {
    if (i > 0) w.byte(COMMA);
    w.bytes(wire.jsonTopBytes[top[i]]);
    for (let j = 0; j < outputs; j++) {
      if (j > 0) w.byte(COMMA);
      w.bytes(wire.jsonKeyBytes[j]);
      // 17 significant digits: the same double as String() gives (so the same float32), at a third of the cost.
      writeAscii(w, scores[i * outputs + j].toPrecision(17));
    }
    w.bytes(CLOSE_ITEM);
  }
  writeAscii(w, '],"instructions":' + instructions() + '}');
  return w.finish();
}
