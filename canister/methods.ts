// The manual-mode (hot) methods as plain functions from argument bytes to reply
// bytes, so Node tests run them without wasm. canister/index.ts calls them with
// msgArgData() and passes the result to msgReply().

import { InputError } from '../engine/index.ts';
import { CandidError, Encoder, idlHash, Reader, T, type CType } from './candid-wire.ts';
import { PredictError, PREDICT_LIMITS, runPrediction, type PredictInput, type TextRef } from './predict.ts';
import { Registry, RegistryError, type UploadRecord } from './registry.ts';
import { handleRest, MAX_BODY_BYTES } from './rest.ts';
import { encodeUtf8 } from './utf8.ts';

// ---------------------------------------------------------------- reply types (mirror canister/types.ts)

const Err: CType = { record: [['code', T.text], ['message', T.text]] };
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
const UploadStatus: CType = {
  record: [
    ['upload_id', T.nat32],
    ['name', T.text],
    ['size', T.nat64],
    ['received', T.nat64],
    ['sha256', T.text],
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

const predictReply = new Encoder([{ variant: [['ok', PredictOk], ['err', Err]] }]);
const uploadReply = new Encoder([{ variant: [['ok', UploadStatus], ['err', Err]] }]);
const httpReply = new Encoder([HttpResponse]);

export function errorCode(e: unknown): { code: string; message: string } {
  if (e instanceof RegistryError || e instanceof PredictError || e instanceof InputError) return { code: e.code, message: e.message };
  if (e instanceof CandidError) return { code: 'bad_argument', message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

// ---------------------------------------------------------------- predict

const H_TEXT = idlHash('text');
const H_TEXTS = idlHash('texts');
const H_TOKENS = idlHash('tokens');
const H_TOKENS_BATCH = idlHash('tokens_batch');
const H_VECTOR = idlHash('vector');
const H_VECTOR_BATCH = idlHash('vector_batch');
const MAX_VALUES = 65536;

function textRef(r: Reader, t: number, what: string): TextRef {
  const b = r.bytesOf(t, what);
  return { bytes: b, start: 0, end: b.length, json: false };
}

function batchLength(r: Reader, t: number, what: string): number {
  const n = r.vecLength(t, what);
  if (n > PREDICT_LIMITS.maxBatch) throw new PredictError('too_large', `batch of ${n} items is over the limit of ${PREDICT_LIMITS.maxBatch}`);
  return n;
}

/** Reads the `Input` variant. */
export function readInput(r: Reader, t: number): PredictInput {
  const { hash, type } = r.variant(t, 'input');
  switch (hash) {
    case H_TEXT:
      return { text: textRef(r, type, 'text') };
    case H_TEXTS: {
      const n = batchLength(r, type, 'texts');
      const e = r.elem(type);
      const texts: TextRef[] = new Array(n);
      for (let i = 0; i < n; i++) texts[i] = textRef(r, e, 'texts');
      return { texts };
    }
    case H_TOKENS:
      return { tokens: r.numbers(type, 'tokens', MAX_VALUES, true) };
    case H_VECTOR:
      return { vector: r.numbers(type, 'vector', MAX_VALUES, false) };
    case H_TOKENS_BATCH:
    case H_VECTOR_BATCH: {
      const ints = hash === H_TOKENS_BATCH;
      const n = batchLength(r, type, 'batch');
      const e = r.elem(type);
      const items: number[][] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = r.numbers(e, 'batch item', MAX_VALUES, ints);
      return ints ? { tokensBatch: items } : { vectorBatch: items };
    }
    default:
      throw new CandidError('input: unknown variant tag');
  }
}

/** predict / predict_update: `(text, Input) -> (PredictResult)`. */
export function predictMethod(reg: Registry, arg: Uint8Array, instructions: () => bigint): Uint8Array {
  try {
    const r = new Reader(arg);
    r.expectArgs(2, 'predict');
    const name = r.text(r.args[0], 'model name', 256);
    const l = reg.get(name);
    const o = runPrediction(l, readInput(r, r.args[1]));
    const labels = l.model.labels;
    const predictions = new Array(o.count);
    for (let i = 0; i < o.count; i++) {
      predictions[i] = { label: labels[o.top[i]], scores: o.scores.subarray(i * o.outputs, (i + 1) * o.outputs) };
    }
    return predictReply.encode(
      [{ ok: { model: l.name, version: l.version, sha256: l.sha256, labels, predictions, instructions: instructions() } }],
      64 + o.scores.length * 4 + o.count * 16,
    );
  } catch (e) {
    return predictReply.encode([{ err: errorCode(e) }]);
  }
}

// ---------------------------------------------------------------- uploads

export function uploadStatus(u: UploadRecord) {
  return { upload_id: u.id, name: u.name, size: u.size, received: u.received, sha256: u.sha256 };
}

export const NOT_CONTROLLER = {
  code: 'forbidden',
  message: 'only a controller of the canister may call this method',
};

/** append_chunk: `(nat32 upload_id, nat64 offset, blob) -> (UploadResult)`; the blob is stored without a copy in JS. */
export function appendChunkMethod(reg: Registry, arg: Uint8Array, isController: boolean): Uint8Array {
  try {
    if (!isController) return uploadReply.encode([{ err: NOT_CONTROLLER }]);
    const r = new Reader(arg);
    r.expectArgs(3, 'append_chunk');
    const id = r.int(r.args[0], 'upload_id');
    const offset = r.int(r.args[1], 'offset');
    const bytes = r.bytesOf(r.args[2], 'chunk');
    return uploadReply.encode([{ ok: uploadStatus(reg.appendChunk(id, offset, bytes)) }]);
  } catch (e) {
    return uploadReply.encode([{ err: errorCode(e) }]);
  }
}

// ---------------------------------------------------------------- http

const H_METHOD = idlHash('method');
const H_URL = idlHash('url');
const H_BODY = idlHash('body');

/** http_request / http_request_update: `(HttpRequest) -> (HttpResponse)`; headers are skipped unread. */
export function httpMethod(reg: Registry, arg: Uint8Array, update: boolean, instructions: () => bigint): Uint8Array {
  let method = '';
  let url = '';
  let body: Uint8Array = new Uint8Array(0);
  try {
    const r = new Reader(arg);
    r.expectArgs(1, 'http_request');
    r.record(r.args[0], 'request', (hash, type) => {
      if (hash === H_METHOD) method = r.text(type, 'method', 16);
      else if (hash === H_URL) url = r.text(type, 'url', 8192);
      else if (hash === H_BODY) body = r.bytesOf(type, 'body');
      else return false;
      return true;
    });
  } catch (e) {
    const message = JSON.stringify(e instanceof Error ? e.message : String(e));
    return httpReply.encode([
      {
        status_code: 400,
        headers: [{ 0: 'content-type', 1: 'application/json' }],
        body: encodeUtf8(`{"error":{"code":"bad_request","message":${message}},"status":400}`),
        upgrade: null,
      },
    ]);
  }
  const res = handleRest(reg, { method, url, body }, update, instructions);
  const headers = res.headers.map(([k, v]) => ({ 0: k, 1: v }));
  return httpReply.encode([{ status_code: res.status, headers, body: res.body, upgrade: res.upgrade ? true : null }], res.body.length + 128);
}

export { MAX_BODY_BYTES };
