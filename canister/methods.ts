// Every canister method as a plain function from argument bytes to reply bytes
// (hand-coded Candid, candid-wire.ts), so Node tests run them without wasm and
// canister/index.ts is one line per method: msgReply(METHOD(ctx, msgArgData())).
// The types here mirror canister/types.ts; test/canister-wire.test.ts checks
// every reply against @dfinity/candid with those types.

import { inputSpecs, InputError, type GivenTensor, type Model } from '../engine/index.ts';
import { CandidError, idlHash, Reader, SKIP_UNITS, T } from './candid-wire.ts';
import { collectCyclesIfDue } from './collector.ts';
import { certificationHeaders, certifyModels, uncertifyModels, type Certifier } from './certification.ts';
import { isPageAsset } from './page.ts';
import { E, encodeHttpResponse, encodePredictOk, encodePredictOne, HTTP_KNOWN, JSON_HEADERS, PREDICT_ARGS, PREDICT_KNOWN, wireOf, type EncoderName } from './wire.ts';
import { PredictError, PREDICT_LIMITS, runPrediction, SHORT_TEXT_BYTES, tensorSpecsOf, type PredictInput, type TextRef } from './predict.ts';
import { QUERY_PREDICT_BUDGET, Registry, RegistryError, type Loaded, type UploadRecord, type VersionRecord, type VerifyStatus } from './registry.ts';
import { errorResponse, handleRest, matchPredictRoute, restPredict } from './rest.ts';
import { decodeUtf8 } from './utf8.ts';
import type { Collections } from './collections.ts';
import { embedRest } from './embed.ts';

/** What a method needs from the system. */
export interface Ctx {
  reg: Registry;
  isController: () => boolean;
  instructions: () => bigint;
  /** The sha256 of the installed wasm, when its installer said it (canister/module-hash.ts). */
  moduleHash?: () => string | undefined;
  /** HTTP certification of http_request answers (certification.ts); absent in Node tests without a build. */
  certifier?: Certifier;
  /** Vector collections (canister/collections.ts), in their own stable memory. */
  collections?: Collections;
  /** ic0.certified_data_set, a timer and the build's certified data, for GET /models's certification (absent in Node tests). */
  certify?: { set: (data: Uint8Array) => void; later: (seconds: number, run: () => void) => unknown; root: Uint8Array };
}

/** Whether a timer will certify GET /models (modelsChanged). */
let certifyArmed = false;

/**
 * After the models changed (commit, activation, deletion, a verify finished, an upgrade): GET
 * /models's entry is dropped in this message (the certified data goes back to the build's, no
 * hashing), and a timer message right after certifies the new answer (and keeps the queries'
 * ModelInfo encoders built). Returns `value`.
 */
export function modelsChanged<T>(ctx: Ctx, value?: T): T {
  const s = ctx.certify;
  if (s !== undefined) {
    if (uncertifyModelsAnswer(ctx)) s.set(s.root);
    if (!certifyArmed) {
      certifyArmed = true;
      s.later(0, () => {
        certifyArmed = false;
        const root = certifyModelsAnswer(ctx);
        if (root !== undefined) s.set(root);
        // The queries' ModelInfo encoders, kept by this update: built in a query (whose state is
        // discarded), they cost every list_models and model_versions ~3M.
        E.get('models');
        E.get('model');
      });
    }
  }
  return value as T;
}

// Embeddings and vector search (canister/embed.ts).
export { add_items, create_collection, delete_items, drop_collection, embed, list_collections, search, search_update, similarity } from './embed.ts';

export function errorCode(e: unknown): { code: string; message: string } {
  if (e instanceof RegistryError || e instanceof PredictError || e instanceof InputError) return { code: e.code, message: e.message };
  if (e instanceof CandidError) return { code: 'bad_argument', message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

export const NOT_CONTROLLER = { code: 'forbidden', message: 'only a controller of the canister may call this method' };

/** A method answering `variant { ok; err }`: decode errors and refusals become `err`, never a trap. */
function method(name: EncoderName, admin: boolean, body: (ctx: Ctx, r: Reader) => unknown) {
  return (ctx: Ctx, arg: Uint8Array): Uint8Array => {
    const enc = E.get(name);
    try {
      if (admin && !ctx.isController()) return enc.encode([{ err: NOT_CONTROLLER }]);
      return enc.encode([{ ok: body(ctx, new Reader(arg)) }]);
    } catch (e) {
      return enc.encode([{ err: errorCode(e) }]);
    }
  };
}

/** A method answering a plain vec (a bad argument or a refusal answers an empty list). */
function listMethod(name: EncoderName, admin: boolean, body: (ctx: Ctx, r: Reader) => unknown[]) {
  return (ctx: Ctx, arg: Uint8Array): Uint8Array => {
    const enc = E.get(name);
    try {
      if (admin && !ctx.isController()) return enc.encode([[]]);
      return enc.encode([body(ctx, new Reader(arg))]);
    } catch {
      return enc.encode([[]]);
    }
  };
}

/** Argument i, checked to be there. */
function arg(r: Reader, i: number, what: string): number {
  if (r.args.length <= i) throw new CandidError(`missing argument ${i + 1} (${what})`);
  return r.args[i];
}
const text = (r: Reader, i: number, what: string) => r.text(arg(r, i, what), what, 256);
const int = (r: Reader, i: number, what: string) => r.int(arg(r, i, what), what);
/** An `opt nat32` argument (absent counts as null). */
function optInt(r: Reader, i: number, what: string): number | null {
  if (r.args.length <= i) return null;
  const t = r.args[i];
  if (r.kind(t) === T.null) return null;
  return r.optPresent(t, what) ? r.int(r.elem(t), what) : null;
}

// ---------------------------------------------------------------- values

export function uploadStatus(reg: Registry, u: UploadRecord) {
  return { upload_id: u.id, name: u.name, size: u.size, received: u.received, sha256: u.sha256, expires_at: reg.expiresAt(u) };
}

export function modelInfo(reg: Registry, v: VersionRecord) {
  const { inputs, outputs } = tensorSpecsOf(v.summary);
  return {
    name: v.name,
    version: v.version,
    active: reg.isActive(v),
    labels: v.summary.labels,
    input_kind: v.summary.inputKind,
    input_shape: v.summary.inputShape,
    inputs,
    outputs,
    parameters: v.summary.parameters,
    bytes: v.size,
    sha256: v.sha256,
    created_at: BigInt(v.created),
    activated_at: BigInt(v.activated),
    verified: v.verified,
    computed_sha256: v.computedSha256,
  };
}

function verifyInfo(s: VerifyStatus) {
  return {
    name: s.name,
    version: s.version,
    hashed: s.hashed,
    total: s.total,
    done: s.done,
    verified: s.verified,
    computed_sha256: s.computedSha256,
    declared_sha256: s.declaredSha256,
  };
}

// ---------------------------------------------------------------- uploads and administration (controllers)

export const begin_upload = method('upload', true, ({ reg }, r) =>
  uploadStatus(reg, reg.beginUpload(text(r, 0, 'name'), int(r, 1, 'size'), text(r, 2, 'sha256'))),
);

/**
 * `(nat32 upload_id, nat64 offset, blob)`: the blob is a view of the argument, stored without a copy in JS.
 * The chunk that completes an upload also readies the commit's one-time work (readyForCommit).
 */
export const append_chunk = method('upload', true, ({ reg }, r) => {
  const u = reg.appendChunk(int(r, 0, 'upload_id'), int(r, 1, 'offset'), r.bytesOf(arg(r, 2, 'chunk'), 'chunk'));
  if (u.received === u.size) readyForCommit();
  return uploadStatus(reg, u);
});

/**
 * Work the commit would otherwise pay that is none of its own, done in the append that completes
 * an upload (hashing its chunk costs ~12.6K instructions a byte, so this adds a few percent at most):
 * the ModelInfo reply encoder (its type table, ~3M, once per wasm instance) and a cycle collection
 * when one is due soon (collector.ts: ~9M, which otherwise fell in the commit's engine load).
 */
function readyForCommit(): void {
  E.get('model');
  collectCyclesIfDue();
}

export const upload_status = method('upload', true, ({ reg }, r) => uploadStatus(reg, reg.status(int(r, 0, 'upload_id'))));

export const list_uploads = listMethod('uploads', true, ({ reg }) => reg.uploads().map((u) => uploadStatus(reg, u)));

export const commit_upload = method('model', true, (ctx, r) => modelInfo(ctx.reg, modelsChanged(ctx, ctx.reg.commit(int(r, 0, 'upload_id')))));

export const abort_upload = method('unit', true, ({ reg }, r) => {
  reg.abort(int(r, 0, 'upload_id'));
  return null;
});

export const activate = method('model', true, (ctx, r) => modelInfo(ctx.reg, modelsChanged(ctx, ctx.reg.activate(text(r, 0, 'name'), int(r, 1, 'version')))));

/** The build budget per message (canister/build.ts): lower for tests or a busy subnet; `null` is the default. */
export const set_build_budget = method('unit', true, ({ reg }, r) => {
  reg.setBuildBudget(optInt(r, 0, 'instructions'));
  return null;
});

export const delete_model = method('count', true, (ctx, r) => modelsChanged(ctx, ctx.reg.remove(text(r, 0, 'name'), optInt(r, 1, 'version'))));

// ---------------------------------------------------------------- models and identity (anyone)

export const list_models = listMethod('models', false, ({ reg }) => reg.activeVersions().map((v) => modelInfo(reg, v)));

export const model_versions = listMethod('models', false, ({ reg }, r) => reg.versions(text(r, 0, 'name')).map((v) => modelInfo(reg, v)));

export const model_info = method('model', false, ({ reg }, r) => modelInfo(reg, reg.version(text(r, 0, 'name'), optInt(r, 1, 'version'))));

export const read_model = method('blob', false, ({ reg }, r) =>
  reg.read(text(r, 0, 'name'), int(r, 1, 'version'), int(r, 2, 'offset'), int(r, 3, 'length')),
);

/** Anyone reads a version's check (done at commit); only controllers may hash a version an earlier build committed. */
export const verify = method('verify', false, (ctx, r) => {
  const name = text(r, 0, 'name');
  const version = int(r, 1, 'version');
  const was = ctx.reg.version(name, version).computedSha256;
  const s = ctx.reg.verify(name, version, ctx.isController());
  // Finished just now: GET /models says "verified".
  return verifyInfo(s.computedSha256 === was ? s : modelsChanged(ctx, s));
});

// ---------------------------------------------------------------- predictions

const H_TEXT = idlHash('text');
const H_TEXTS = idlHash('texts');
const H_TOKENS = idlHash('tokens');
const H_TOKENS_BATCH = idlHash('tokens_batch');
const H_VECTOR = idlHash('vector');
const H_VECTOR_BATCH = idlHash('vector_batch');
const H_TENSOR = idlHash('tensor');
const H_TENSORS = idlHash('tensors');
const H_NAME = idlHash('name');
const H_SHAPE = idlHash('shape');
const H_DATA = idlHash('data');
const H_FLOAT32 = idlHash('float32');
const H_INT32 = idlHash('int32');
const H_FLOAT32_LE = idlHash('float32_le');
const H_UINT8 = idlHash('uint8');
const MAX_VALUES = 65536;

/** Values a `tensor`/`tensors` input may carry: a full batch of every input (blobs and float32/int32 vecs are views, not copied). */
export function tensorValueLimit(model: Model): number {
  let n = 0;
  for (const s of inputSpecs(model)) n += s.shape.reduce((a, b) => a * b, 1);
  return Math.max(n, 1) * PREDICT_LIMITS.maxBatch;
}

/** Little-endian float32 bytes as a Float32Array: a view when aligned, else one native copy. */
function float32Of(b: Uint8Array, what: string): Float32Array {
  if (b.length % 4 !== 0) throw new PredictError('bad_input', `${what}: ${b.length} bytes is not a whole number of float32 values (4 bytes each)`);
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  return new Float32Array(b.slice().buffer);
}

function int32Of(b: Uint8Array): Int32Array {
  if (b.byteOffset % 4 === 0) return new Int32Array(b.buffer, b.byteOffset, b.length / 4);
  return new Int32Array(b.slice().buffer);
}

/** A `vec float32` / `vec int32` read as one view of its bytes (the wire layout is the array's); other numeric vecs value by value. */
function numberVec(r: Reader, t: number, what: string, max: number, ints: boolean): ArrayLike<number> {
  const n = r.vecLength(t, what);
  if (n > max) throw new PredictError('too_large', `${what}: ${n} values is over the limit of ${max}`);
  const e = r.elem(t);
  if (e === (ints ? T.int32 : T.float32)) {
    r.need(n * 4);
    const b = r.bytes.subarray(r.pos, r.pos + n * 4);
    r.pos += n * 4;
    return ints ? int32Of(b) : float32Of(b, what);
  }
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = ints ? r.int(e, what) : r.number(e, what);
  return out;
}

/** `TensorData`: float32 / int32 values, or a blob of little-endian float32 (float32_le) or of uint8 values. */
function readTensorData(r: Reader, t: number, max: number): ArrayLike<number> {
  const { hash, type } = r.variant(t, 'tensor data');
  if (hash === H_FLOAT32) return numberVec(r, type, 'tensor data float32', max, false);
  if (hash === H_INT32) return numberVec(r, type, 'tensor data int32', max, true);
  if (hash === H_FLOAT32_LE || hash === H_UINT8) {
    const b = r.bytesOf(type, 'tensor data');
    const n = hash === H_UINT8 ? b.length : b.length / 4;
    if (n > max) throw new PredictError('too_large', `tensor data: ${Math.floor(n)} values is over the limit of ${max}`);
    return hash === H_UINT8 ? b : float32Of(b, 'tensor data float32_le');
  }
  throw new CandidError('tensor data: unknown variant tag');
}

/** `Tensor`: record { name: opt text; shape: vec nat32; data: TensorData } (an empty shape: the values are flat). */
function readTensor(r: Reader, t: number, max: number): GivenTensor {
  let name: string | undefined;
  let shape: number[] | undefined;
  let values: ArrayLike<number> | undefined;
  r.record(t, 'tensor', (hash, type) => {
    if (hash === H_NAME) {
      if (r.kind(type) === T.text) name = r.text(type, 'tensor name', 256);
      else if (r.kind(type) !== T.null && r.optPresent(type, 'tensor name')) name = r.text(r.elem(type), 'tensor name', 256);
    } else if (hash === H_SHAPE) shape = r.numbers(type, 'tensor shape', 8, true);
    else if (hash === H_DATA) values = readTensorData(r, type, max);
    else return false;
    return true;
  });
  if (values === undefined) throw new CandidError('tensor: missing field data');
  return { name, shape, values };
}

function textRef(r: Reader, t: number, what: string): TextRef {
  const b = r.bytesOf(t, what);
  return { bytes: b, start: 0, end: b.length, json: false };
}

function batchLength(r: Reader, t: number, what: string): number {
  const n = r.vecLength(t, what);
  if (n > PREDICT_LIMITS.maxBatch) throw new PredictError('too_large', `batch of ${n} items is over the limit of ${PREDICT_LIMITS.maxBatch}`);
  return n;
}

/** Reads the `Input` variant; maxValues bounds a vector's values, tensorValues those of all tensors together. */
export function readInput(r: Reader, t: number, maxValues = MAX_VALUES, tensorValues = maxValues * PREDICT_LIMITS.maxBatch): PredictInput {
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
      return { tokens: r.numbers(type, 'tokens', maxValues, true) };
    case H_VECTOR:
      return { vector: numberVec(r, type, 'vector', maxValues, false) };
    case H_TOKENS_BATCH:
    case H_VECTOR_BATCH: {
      const ints = hash === H_TOKENS_BATCH;
      const n = batchLength(r, type, 'batch');
      const e = r.elem(type);
      const items: ArrayLike<number>[] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = ints ? r.numbers(e, 'batch item', maxValues, true) : numberVec(r, e, 'batch item', maxValues, false);
      return ints ? { tokensBatch: items } : { vectorBatch: items };
    }
    case H_TENSOR:
      return { tensors: [readTensor(r, type, tensorValues)] };
    case H_TENSORS: {
      const n = r.vecLength(type, 'tensors');
      if (n > 64) throw new PredictError('too_large', `${n} tensors is over the limit of 64`);
      const e = r.elem(type);
      const tensors: GivenTensor[] = new Array(n);
      let left = tensorValues;
      for (let i = 0; i < n; i++) {
        tensors[i] = readTensor(r, e, left);
        left -= tensors[i].values.length;
      }
      return { tensors };
    }
    default:
      throw new CandidError('input: unknown variant tag');
  }
}

/** PREDICT_ARGS as a string of char codes 0–255 (see predictShort). */
const PREDICT_HEADER = String.fromCharCode.apply(null, PREDICT_ARGS as unknown as number[]);
const PREDICT_HEADER_LENGTH = PREDICT_ARGS.length;
/** Arguments up to this many bytes may take predictShort. */
const SHORT_ARG_BYTES = PREDICT_HEADER_LENGTH + 4 + 256 + 2 + SHORT_TEXT_BYTES;

/**
 * The common short call, `predict("name", variant { text = blob })` with the header
 * @dfinity/candid writes, read straight: the whole argument becomes one string of char
 * codes (natively), compared with the header natively; the name and the text are cut out
 * of it. Only an ASCII name of a loaded model and an ASCII text of at most
 * SHORT_TEXT_BYTES (which textPrefix decodes whole) are taken: then the char codes are
 * the text. Anything else answers undefined, and the general reader runs.
 */
function predictShort(ctx: Ctx, b: Uint8Array): Uint8Array | undefined {
  var s = String.fromCharCode.apply(null, b as unknown as number[]);
  if (!s.startsWith(PREDICT_HEADER)) return undefined;
  var p = PREDICT_HEADER_LENGTH;
  var n = b[p];
  // one-byte LEB128 lengths only (the name ≤ 127 bytes, the text ≤ 127, or two bytes up to SHORT_TEXT_BYTES)
  if (n >= 0x80) return undefined;
  p = p + 1;
  var l = ctx.reg.loaded.get(s.slice(p, p + n));
  // a name of n UTF-16 units that is n UTF-8 bytes is ASCII: its bytes are the argument's
  if (l === undefined || l.nameBytes.length !== n || l.record.fitsQuery === false) return undefined;
  p = p + n;
  if (b[p] !== INPUT_TEXT_INDEX) return undefined;
  n = b[p + 1];
  p = p + 2;
  if (n >= 0x80) {
    var high = b[p];
    if (high >= 0x80) return undefined;
    n = n - 0x80 + high * 0x80;
    p = p + 1;
  }
  if (n > SHORT_TEXT_BYTES || p + n > b.length) return undefined;
  if (n > 0 && Math.max.apply(null, b.subarray(p, p + n) as unknown as number[]) >= 0x80) return undefined;
  var model = l.model;
  var scores = model.predictText(s.slice(p, p + n));
  return encodePredictOne(wireOf(l), scores, model.argmax(scores), ctx.instructions);
}

/** A query predict on a model whose prediction does not fit a query (measured at commit) answers this. */
function tooHeavyForQuery(l: Loaded): RegistryError {
  return new RegistryError(
    'too_heavy',
    `${l.name} v${l.version}: one prediction took ${l.record.predictInstructions} instructions at commit, more than a query may use: call predict_update (REST: ?verified=true, or any predict through http_request_update)`,
  );
}

/** predict / predict_update (`update`): `(text, Input) -> (PredictResult)`. */
export function predict(ctx: Ctx, argBytes: Uint8Array, update = false): Uint8Array {
  try {
    if (argBytes.length <= SHORT_ARG_BYTES) {
      const reply = predictShort(ctx, argBytes);
      if (reply !== undefined) return reply;
    }
    const r = new Reader(argBytes);
    const known = r.known === PREDICT_KNOWN;
    const name = known ? r.blob() : r.bytesOf(arg(r, 0, 'model name'), 'model name');
    if (name.length > 256) throw new CandidError('model name: longer than 256 bytes');
    const l = ctx.reg.getByBytes(name);
    if (!update && l.record.fitsQuery === false) throw tooHeavyForQuery(l);
    let input: PredictInput;
    if (known && r.bytes[r.pos] === INPUT_TEXT_INDEX) {
      // The common case, read straight: variant index of `text` (one LEB byte), then the blob.
      r.pos++;
      const b = r.blob();
      input = { text: { bytes: b, start: 0, end: b.length, json: false } };
    } else input = readInput(r, arg(r, 1, 'input'), l.model.inputSize, tensorValueLimit(l.model));
    const o = runPrediction(l, input, update ? undefined : QUERY_PREDICT_BUDGET);
    return encodePredictOk(wireOf(l), o.scores, o.count, o.outputs, o.top, ctx.instructions);
  } catch (e) {
    return E.get('predict').encode([{ err: errorCode(e) }]);
  }
}

// ---------------------------------------------------------------- http

/** Index of `text` in Input's tags by hash: texts, vector_batch, tokens_batch, text, tokens, vector. */
const INPUT_TEXT_INDEX = 3;

const H_METHOD = idlHash('method');
const H_URL = idlHash('url');
const H_BODY = idlHash('body');

const H_HEADERS = idlHash('headers');
const CONTENT_TYPE = 'content-type';
const OCTET_STREAM = 'application/octet-stream';

/** Whether a header is `content-type: application/octet-stream` (any case, parameters allowed): a raw numeric body. */
function isOctetStream(name: Uint8Array, value: Uint8Array): boolean {
  if (name.length !== CONTENT_TYPE.length || value.length < OCTET_STREAM.length) return false;
  for (let i = 0; i < name.length; i++) if ((name[i] | 0x20) !== CONTENT_TYPE.charCodeAt(i)) return false;
  for (let i = 0; i < OCTET_STREAM.length; i++) {
    const c = value[i];
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== OCTET_STREAM.charCodeAt(i)) return false;
  }
  return value.length === OCTET_STREAM.length || value[OCTET_STREAM.length] === 0x3b || value[OCTET_STREAM.length] === 0x20;
}

/** The headers field read in the general path: whether one says application/octet-stream. */
function readOctetStream(r: Reader, t: number): boolean {
  let octet = false;
  const n = r.vecLength(t, 'headers');
  const e = r.elem(t);
  for (let i = 0; i < n; i++) {
    let name: Uint8Array = EMPTY;
    let value: Uint8Array = EMPTY;
    r.record(e, 'header', (hash, type) => {
      if (hash === 0) name = r.bytesOf(type, 'header name');
      else if (hash === 1) value = r.bytesOf(type, 'header value');
      else return false;
      return true;
    });
    if (isOctetStream(name, value)) octet = true;
  }
  return octet;
}

/** http_request / http_request_update: `(HttpRequest) -> (HttpResponse)`; of the headers only content-type is looked at. */
export function http(ctx: Ctx, argBytes: Uint8Array, update: boolean): Uint8Array {
  let octet = false;
  let method: Uint8Array = EMPTY;
  let url: Uint8Array = EMPTY;
  let body: Uint8Array = EMPTY;
  let res;
  let route: ReturnType<typeof matchPredictRoute> = null;
  try {
    const r = new Reader(argBytes);
    if (r.known === HTTP_KNOWN) {
      // The header @dfinity/candid writes: fields in hash order url, method, body, headers, certificate_version.
      url = r.blob();
      method = r.blob();
      body = r.blob();
      const n = r.leb();
      // Each header read costs like a skipped value (the decoding quota bounds a million empty headers).
      r.charge(n * SKIP_UNITS);
      for (let i = 0; i < n; i++) {
        if (isOctetStream(r.blob(), r.blob())) octet = true;
      }
      if (r.optPresent(r.args[0] >= 0 ? (r.table[r.args[0]] as { types: number[] }).types[4] : 0, 'certificate_version')) r.skip(T.nat16, 0);
    } else r.record(arg(r, 0, 'request'), 'request', (hash, type) => {
      if (hash === H_METHOD) method = r.bytesOf(type, 'method');
      else if (hash === H_URL) url = r.bytesOf(type, 'url');
      else if (hash === H_BODY) body = r.bytesOf(type, 'body');
      else if (hash === H_HEADERS) octet = readOctetStream(r, type);
      else return false;
      return true;
    });
  } catch (e) {
    res = errorResponse(400, 'bad_request', `bad HttpRequest argument: ${errorCode(e).message}`);
  }
  const decoded = res === undefined;
  if (res === undefined) {
    route = method.length > 16 || url.length > 8192 ? null : matchPredictRoute(method, url);
    let l: Loaded | undefined;
    if (route !== null) {
      try {
        l = ctx.reg.getByBytes(route.name);
      } catch {
        l = undefined; // unknown model: handleRest answers the 404
      }
    }
    if (route !== null && l !== undefined) res = restPredict(l, body, route.verified, update, ctx.instructions, octet ? { query: '' } : undefined);
    else if (method.length > 16 || url.length > 8192) res = errorResponse(400, 'bad_request', 'method or url too long');
    else {
      // Decoded once for both routers (UTF-8 decoding is interpreted work).
      const methodText = decodeUtf8(method);
      const urlText = decodeUtf8(url);
      res = embedRest(ctx, methodText, urlText, body, update) ?? handleRest(ctx.reg, { method: methodText, url: urlText, body, octet }, update, ctx.instructions, ctx.moduleHash?.());
    }
  }
  if (ctx.certifier === undefined || update) return encodeHttpResponse(res.status, res.headers, res.body, res.upgrade);
  // The page's files and GET /models (once certified) at their exact path; everything else under
  // the root wildcard. Another answer at an exact path (POST /models: a 405) cannot verify there
  // (the gateway refuses the wildcard where an exact entry exists): it is answered as an update.
  let exactPath: string | null = null;
  if (decoded && route === null && !res.upgrade) {
    const path = requestPath(url);
    if (ctx.certifier.exact.has(path)) {
      if (res.status === 200 && (isPageAsset(res) || (path === '/models' && res.headers === JSON_HEADERS))) exactPath = path;
      else return encodeHttpResponse(200, [], EMPTY, true);
    }
  }
  return encodeHttpResponse(res.status, res.headers, res.body, res.upgrade, certificationHeaders(ctx.certifier, exactPath));
}

/**
 * Certifies what GET /models answers now (canister/certification.ts): the new certified data, or
 * undefined when there is no certifier or the answer is not a plain JSON 200.
 */
export function certifyModelsAnswer(ctx: Ctx): Uint8Array | undefined {
  if (ctx.certifier === undefined) return undefined;
  const res = handleRest(ctx.reg, { method: 'GET', url: '/models', body: EMPTY }, false, ctx.instructions, ctx.moduleHash?.());
  return res.status === 200 && res.headers === JSON_HEADERS ? certifyModels(ctx.certifier, res.body) : undefined;
}

/** Drops GET /models's certification (the models changed): whether the certified data must go back to the build's. */
export const uncertifyModelsAnswer = (ctx: Ctx): boolean => ctx.certifier !== undefined && uncertifyModels(ctx.certifier);

const EMPTY = new Uint8Array(0);

/** The URL's path (before any `?`), for the certification's expr_path. */
function requestPath(url: Uint8Array): string {
  let end = url.indexOf(0x3f);
  if (end < 0) end = url.length;
  return end > 8192 ? '' : decodeUtf8(url.subarray(0, end));
}
