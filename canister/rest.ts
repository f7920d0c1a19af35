// The REST API served through http_request / http_request_update: routing,
// a minimal JSON reader over the body's bytes (texts stay bytes, see
// predict.ts) and JSON answers.
//
//   GET  /                          the web page (canister/page.ts), /page.css, /page.js
//   GET  /api                       this list of endpoints, as JSON
//   OPTIONS any path                CORS preflight (answers also carry access-control-allow-origin: *)
//   GET  /models                    active models
//   GET  /models/{name}             one model, with all its versions
//   GET  /models/{name}/bytes       the stored file, 1 MiB per answer (?version=V&offset=O)
//   POST /models/{name}/predict     {"text":..} {"texts":[..]} {"tokens":[..]} {"input":[..]}
//                                   (tokens may also be arrays of arrays: a batch); "input" may be
//                                   nested arrays of the input's shape (a leading axis: a batch), flat
//                                   with "shape":[..] beside it, or {"shape":[..],"values":[..]};
//                                   {"inputs":{name: …}} for several inputs, each in those forms
//                                   content-type: application/octet-stream: the body is raw little-endian
//                                   ?dtype=float32 (default) or ?dtype=uint8 values, ?shape=28,28,1
//                                   optional (a leading axis: a batch); several inputs: concatenated in
//                                   the model's order
//   ?verified=true                  answered by http_request_update (the subnet agrees): the answer
//                                   says "verified":true and carries x-decentai-verified: true

import { flattenNested, inputSpecs, InputError, rawTensors, type GivenTensor, type Model } from '../engine/index.ts';
import { PredictError, PREDICT_LIMITS, runPrediction, tensorSpecsOf, type PredictInput, type TextRef } from './predict.ts';
import { QUERY_PREDICT_BUDGET, Registry, RegistryError, type Loaded, type VersionRecord } from './registry.ts';
import { JSON_HEADERS, predictionJsonBytes, VERIFIED_JSON_HEADERS, wireOf } from './wire.ts';
import { decodeUtf8, encodeUtf8 } from './utf8.ts';
import { PAGE_PATHS, pageResponse } from './page.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface RestRequest {
  method: string;
  url: string;
  body: Uint8Array;
  /** The body is raw numbers (content-type: application/octet-stream), read with the query's dtype and shape. */
  octet?: boolean;
}

export interface RestResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  /** Ask the gateway to send the request again as an update (http_request_update). */
  upgrade: boolean;
}


function json(status: number, text: string, extra?: [string, string][]): RestResponse {
  return { status, headers: extra ? JSON_HEADERS.concat(extra) : JSON_HEADERS, body: encodeUtf8(text), upgrade: false };
}

export function errorResponse(status: number, code: string, message: string, extra?: [string, string][]): RestResponse {
  return json(status, `{"error":{"code":${JSON.stringify(code)},"message":${JSON.stringify(message)}},"status":${status}}`, extra);
}

/** The 413 for a body over MAX_BODY_BYTES (npm start's gateway answers the same for bodies the IC would refuse). */
export function bodyTooLarge(size: number): RestResponse {
  return errorResponse(413, 'too_large', `body of ${size} bytes is over the limit of ${MAX_BODY_BYTES}`);
}

// ---------------------------------------------------------------- JSON over bytes

class JsonError extends Error {}

/** A JSON value read from bytes; strings are left as byte ranges (TextRef). */
type JValue = null | boolean | number | TextRef | JValue[] | { [key: string]: JValue };

const MAX_DEPTH = 8;

/** Numbers and strings in one body (each costs a few thousand instructions to read). */
const MAX_JSON_VALUES = 65536;

class JsonReader {
  p = 0;
  values = 0;
  constructor(readonly b: Uint8Array) {}

  ws(): void {
    const b = this.b;
    let p = this.p;
    let c = b[p];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p];
    this.p = p;
  }

  fail(what: string): never {
    throw new JsonError(`bad JSON at byte ${this.p}: ${what}`);
  }

  value(depth: number): JValue {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    if (++this.values > MAX_JSON_VALUES) throw new PredictError('too_large', `more than ${MAX_JSON_VALUES} JSON values in the body`);
    this.ws();
    const c = this.b[this.p];
    if (c === 0x22) return this.string();
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x74) return this.word('true', true);
    if (c === 0x66) return this.word('false', false);
    if (c === 0x6e) return this.word('null', null);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail(c === undefined ? 'unexpected end' : 'unexpected character');
  }

  word<V>(w: string, v: V): V {
    for (let i = 0; i < w.length; i++) if (this.b[this.p + i] !== w.charCodeAt(i)) this.fail(`expected ${w}`);
    this.p += w.length;
    return v;
  }

  number(): number {
    const b = this.b;
    const s = this.p;
    let p = s;
    if (b[p] === 0x2d) p++;
    const d0 = p;
    let v = 0;
    let c = b[p];
    while (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      c = b[++p];
    }
    if (p === d0 || (b[d0] === 0x30 && p - d0 > 1)) this.fail('bad number');
    // A plain integer of up to 15 digits is exact as computed (the common token id).
    if (p - d0 <= 15 && c !== 0x2e && c !== 0x65 && c !== 0x45) {
      this.p = p;
      return b[s] === 0x2d ? -v : v;
    }
    if (b[p] === 0x2e) {
      const f = ++p;
      while (b[p] >= 0x30 && b[p] <= 0x39) p++;
      if (p === f) this.fail('bad number');
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === 0x2b || b[p] === 0x2d) p++;
      const e = p;
      while (b[p] >= 0x30 && b[p] <= 0x39) p++;
      if (p === e) this.fail('bad number');
    }
    this.p = p;
    // Any length: converted 4 KiB at a time (apply takes at most 65,535 arguments).
    let text = '';
    for (let i = s; i < p; i += 4096) text += String.fromCharCode.apply(null, b.subarray(i, Math.min(p, i + 4096)) as unknown as number[]);
    const n = Number(text);
    if (n - n !== 0) throw new PredictError('bad_input', `the number at byte ${s} (${p - s} characters) is not finite as a float64`);
    return n;
  }

  /** A string as a byte range; the closing quote is found natively (indexOf), the content is not read. */
  string(): TextRef {
    const b = this.b;
    const start = this.p + 1;
    let q = start;
    for (;;) {
      q = b.indexOf(0x22, q);
      if (q < 0) this.fail('unterminated string');
      let k = q - 1;
      while (k >= start && b[k] === 0x5c) k--;
      if ((q - 1 - k) % 2 === 0) break;
      q++;
    }
    this.p = q + 1;
    return { bytes: b, start, end: q, json: true };
  }

  array(depth: number): JValue[] {
    this.p++;
    const out: JValue[] = [];
    this.ws();
    if (this.b[this.p] === 0x5d) {
      this.p++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.b[this.p++];
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail('expected , or ]');
    }
  }

  object(depth: number): { [key: string]: JValue } {
    this.p++;
    const out: { [key: string]: JValue } = Object.create(null);
    this.ws();
    if (this.b[this.p] === 0x7d) {
      this.p++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.b[this.p] !== 0x22) this.fail('expected a key');
      const k = this.string();
      if (k.end - k.start > 256) this.fail('key too long');
      const key = decodeUtf8(k.bytes, k.start, k.end);
      if (key in out) this.fail(`duplicate key ${JSON.stringify(key)}`);
      this.ws();
      if (this.b[this.p++] !== 0x3a) this.fail('expected :');
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.b[this.p++];
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail('expected , or }');
    }
  }
}

/** Parses a whole body as JSON; strings stay byte ranges. */
export function parseJsonBytes(body: Uint8Array): JValue {
  const r = new JsonReader(body);
  const v = r.value(0);
  r.ws();
  if (r.p !== body.length) r.fail('trailing characters');
  return v;
}

function isText(v: JValue): v is TextRef {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'json' in v && (v as TextRef).json === true && (v as TextRef).bytes !== undefined;
}

function numbers(v: JValue, what: string): number[] {
  if (!Array.isArray(v)) throw new PredictError('bad_input', `${what} must be an array of numbers`);
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number') throw new PredictError('bad_input', `${what} must be an array of numbers`);
  return v as number[];
}

function skipWs(b: Uint8Array, p: number): number {
  let c = b[p];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p];
  return p;
}

const TEXT_KEY = [0x22, 0x74, 0x65, 0x78, 0x74, 0x22]; // "text"

/**
 * A body of exactly the shape {"text": "…"} whose string holds no quote, read without the
 * general parser (no object, no key decoding): the string's closing quote is the last quote
 * of the body, found from the end, and the first quote after the opening one (found natively)
 * must be that one. Anything else answers null and the general parser reads the body, so both
 * give the same result for the same bytes, whatever the size (test/rest.test.ts fuzzes that).
 */
export function fastText(b: Uint8Array): TextRef | null {
  if (b.length < 10) return null;
  let p = skipWs(b, 0);
  if (b[p] !== 0x7b) return null;
  p = skipWs(b, p + 1);
  for (let i = 0; i < 6; i++) if (b[p + i] !== TEXT_KEY[i]) return null;
  p = skipWs(b, p + 6);
  if (b[p] !== 0x3a) return null;
  p = skipWs(b, p + 1);
  if (b[p] !== 0x22) return null;
  const start = p + 1;
  let e = b.length - 1;
  while (e > start && (b[e] === 0x20 || b[e] === 0x0a || b[e] === 0x0d || b[e] === 0x09)) e--;
  if (b[e] !== 0x7d) return null;
  e--;
  while (e > start && (b[e] === 0x20 || b[e] === 0x0a || b[e] === 0x0d || b[e] === 0x09)) e--;
  if (e < start || b[e] !== 0x22 || b.indexOf(0x22, start) !== e) return null;
  let k = e - 1;
  while (k >= start && b[k] === 0x5c) k--;
  if ((e - 1 - k) % 2 === 1) return null; // an escaped quote: the string is not closed
  return { bytes: b, start, end: e, json: true };
}

const INPUT_KEYS = ['text', 'texts', 'tokens', 'input', 'inputs'];
const ONE_OF = 'one of "text", "texts", "tokens", "input" or "inputs"';

/** Values a JSON tensor input may hold: a full batch of every input of the model (else 65536). */
function valueLimit(model: Model | undefined): number {
  if (model === undefined) return 65536;
  let n = 0;
  for (const s of inputSpecs(model)) n += s.shape.reduce((a, b) => a * b, 1);
  return Math.max(n, 1) * PREDICT_LIMITS.maxBatch;
}

/** A tensor given in JSON: nested arrays, or a flat array with `shape`, or {"shape": [..], "values": [..]}. */
function jsonTensor(x: JValue, shape: JValue | undefined, what: string, max: number, name?: string): GivenTensor {
  if (x !== null && typeof x === 'object' && !Array.isArray(x) && !isText(x)) {
    if (shape !== undefined) throw new PredictError('bad_input', `${what}: give "shape" inside the object or beside the array, not both`);
    const o = x as { [key: string]: JValue };
    if (o.values === undefined) throw new PredictError('bad_input', `${what} must be an array of numbers (or nested arrays), or {"shape":[..],"values":[..]}`);
    return jsonTensor(o.values, o.shape ?? undefined, what, max, name);
  }
  const { shape: nested, values } = flattenNested(x, what, max);
  if (shape === undefined) return { name, shape: nested, values };
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8 || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new PredictError('bad_input', `${what}: "shape" must be an array of 1 to 8 non-negative integers`);
  }
  return { name, shape: shape as number[], values };
}

/** The prediction input of a request body: exactly one of text, texts, tokens, input, inputs. */
export function inputFromBody(body: Uint8Array, _words = 0, model?: Model): PredictInput {
  const fast = fastText(body);
  return fast !== null ? { text: fast } : parsedInput(body, model);
}

/** inputFromBody by the general parser alone (what fastText must agree with). */
export function parsedInput(body: Uint8Array, model?: Model): PredictInput {
  let v: JValue;
  try {
    v = parseJsonBytes(body);
  } catch (e) {
    if (e instanceof JsonError) throw new PredictError('bad_json', e.message);
    throw e;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || isText(v)) {
    throw new PredictError('bad_input', `the body must be a JSON object with ${ONE_OF}`);
  }
  const all = Object.keys(v);
  const unknown = all.filter((k) => !INPUT_KEYS.includes(k) && k !== 'shape');
  if (unknown.length > 0) throw new PredictError('bad_input', `unknown field ${JSON.stringify(unknown[0])}: the body takes exactly ${ONE_OF}`);
  const keys = all.filter((k) => INPUT_KEYS.includes(k));
  if (keys.length !== 1) throw new PredictError('bad_input', `give exactly ${ONE_OF}`);
  const key = keys[0];
  const x = v[key];
  if (key === 'text') {
    if (!isText(x)) throw new PredictError('bad_input', '"text" must be a string');
    return { text: x };
  }
  if (key === 'texts') {
    if (!Array.isArray(x) || !x.every(isText)) throw new PredictError('bad_input', '"texts" must be an array of strings');
    if (x.length > PREDICT_LIMITS.maxBatch) throw new PredictError('too_large', `batch of ${x.length} items is over the limit of ${PREDICT_LIMITS.maxBatch}`);
    return { texts: x as TextRef[] };
  }
  const max = valueLimit(model);
  if (key === 'input') return { tensors: [jsonTensor(x, v.shape, '"input"', max)] };
  if (key === 'inputs') {
    if (x === null || typeof x !== 'object' || Array.isArray(x) || isText(x)) throw new PredictError('bad_input', '"inputs" must be an object: {"name": values, …}');
    const tensors: GivenTensor[] = [];
    let left = max;
    for (const name of Object.keys(x)) {
      const t = jsonTensor((x as { [key: string]: JValue })[name], undefined, `"inputs"."${name}"`, left, name);
      left -= t.values.length;
      tensors.push(t);
    }
    return { tensors };
  }
  if (!Array.isArray(x)) throw new PredictError('bad_input', '"tokens" must be an array');
  const batch = x.length > 0 && Array.isArray(x[0]);
  if (batch) {
    if (x.length > PREDICT_LIMITS.maxBatch) throw new PredictError('too_large', `batch of ${x.length} items is over the limit of ${PREDICT_LIMITS.maxBatch}`);
    return { tokensBatch: x.map((item, i) => numbers(item, `"tokens"[${i}]`)) };
  }
  return { tokens: numbers(x, '"tokens"') };
}

/** The query's value of one parameter (undefined when absent). */
function queryParam(query: string, key: string): string | undefined {
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if ((eq < 0 ? part : part.slice(0, eq)) === key) return eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
  }
  return undefined;
}

/**
 * A raw body (application/octet-stream): little-endian float32 (?dtype=float32, the default)
 * or uint8 (?dtype=uint8) values. ?shape=a,b,c gives its shape (single-input models; a leading
 * axis is a batch); without it the body holds whole items of the model's input, or for a model
 * of several inputs one item of each, concatenated in the model's order.
 */
export function rawInput(model: Model, body: Uint8Array, query: string): PredictInput {
  const dtype = queryParam(query, 'dtype') ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'uint8') throw new PredictError('bad_input', `?dtype=${dtype}: a raw body is float32 (little-endian) or uint8`);
  if (dtype === 'float32' && body.length % 4 !== 0) {
    throw new PredictError('bad_input', `a float32 body is 4 bytes per value (little-endian); ${body.length} bytes is not: send float32 values, or ?dtype=uint8 for bytes`);
  }
  const values: ArrayLike<number> =
    dtype === 'uint8' ? body : body.byteOffset % 4 === 0 ? new Float32Array(body.buffer, body.byteOffset, body.length / 4) : new Float32Array(body.slice().buffer);
  const shapeParam = queryParam(query, 'shape');
  let shape: number[] | undefined;
  if (shapeParam !== undefined) {
    shape = shapeParam.split(',').map(Number);
    if (shape.length > 8 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new PredictError('bad_input', `?shape=${shapeParam}: comma-separated non-negative integers, e.g. ?shape=${inputSpecs(model)[0].shape.join(',')}`);
    }
  }
  return { tensors: rawTensors(model, values, shape, dtype, dtype === 'uint8' ? 1 : 4) };
}

// ---------------------------------------------------------------- answers

/** JSON of a model version's metadata. */
export function versionJson(reg: Registry, v: VersionRecord): string {
  const m = v.summary;
  const specs = tensorSpecsOf(m);
  const parts = [
    `"name":${JSON.stringify(v.name)}`,
    `"version":${v.version}`,
    `"active":${reg.isActive(v)}`,
    `"labels":${JSON.stringify(m.labels)}`,
    `"label_descriptions":${JSON.stringify(m.labelDescriptions ?? null)}`,
    `"input_kind":${JSON.stringify(m.inputKind)}`,
    `"input_shape":${JSON.stringify(m.inputShape)}`,
    `"inputs":${JSON.stringify(specs.inputs)}`,
    `"outputs":${JSON.stringify(specs.outputs)}`,
    `"output_kind":"${m.outputKind ?? 'scores'}"`,
    `"parameters":${m.parameters}`,
  ];
  parts.push(
    `"bytes":${v.size}`,
    `"sha256":"${v.sha256}"`,
    `"created_at":"${new Date(Number(BigInt(v.created) / 1_000_000n)).toISOString()}"`,
    `"activated_at":${v.activated === '0' ? 'null' : `"${new Date(Number(BigInt(v.activated) / 1_000_000n)).toISOString()}"`}`,
    `"verified":${v.verified}`,
  );
  return `{${parts.join(',')}}`;
}

const STATUS_OF: Record<string, number> = {
  bad_json: 400,
  bad_input: 400,
  bad_request: 400,
  not_found: 404,
  too_large: 413,
  invalid_model: 503,
  loading: 503,
  too_heavy: 503,
  conflict: 409,
};

/** Seconds a client should wait before asking again for a model that is `loading` (a few timer messages). */
const LOADING_RETRY_AFTER = '2';

/** The wasm's sha256 the canister was installed from, when its installer said it (module-hash.ts). */
const moduleHashJson = (h: string | undefined) => `"module_hash":${h === undefined ? 'null' : `"${h}"`}`;

/** GET /api: the endpoints, for API clients (GET / is the web page, canister/page.ts). */
const API_ENDPOINTS =
  '["GET / (web page)","GET /api","GET /models","GET /models/{name}","GET /models/{name}/bytes?version=V&offset=O","POST /models/{name}/predict","POST /models/{name}/predict?verified=true","POST /models/{name}/embed","POST /models/{name}/similarity","GET /collections","GET /collections/{c}","POST /collections/{c}/search"]';

/** CORS: any origin may call the API; a preflight (OPTIONS, any path) is answered here. */
function preflight(): RestResponse {
  return {
    status: 204,
    headers: [
      ['access-control-allow-origin', '*'],
      ['access-control-allow-methods', 'GET, HEAD, POST, OPTIONS'],
      ['access-control-allow-headers', 'content-type, accept'],
      ['access-control-max-age', '86400'],
    ],
    body: new Uint8Array(0),
    upgrade: false,
  };
}

/** Answers one HTTP request. `update` is true in http_request_update. */
export function handleRest(reg: Registry, req: RestRequest, update: boolean, instructions: () => bigint, moduleHash?: string): RestResponse {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const verified = /(^|&)verified=(true|1)(&|$)/.test(query);
  const method = req.method.toUpperCase();
  const parts = path.split('/').filter((p) => p.length > 0);
  try {
    if (method === 'OPTIONS') return preflight();
    const page = pageResponse(method, path);
    if (page !== null) return page;
    if (PAGE_PATHS.includes(path)) return errorResponse(405, 'method_not_allowed', `${method} is not allowed on ${path}`, [['allow', 'GET, HEAD']]);
    if (parts.length === 1 && parts[0] === 'api') {
      if (method !== 'GET' && method !== 'HEAD') return errorResponse(405, 'method_not_allowed', `${method} is not allowed on ${path}`, [['allow', 'GET']]);
      return json(200, `{"service":"decentai",${moduleHashJson(moduleHash)},"endpoints":${API_ENDPOINTS}}`);
    }
    if (parts[0] === 'models' && parts.length === 3 && parts[2] === 'bytes') {
      if (method !== 'GET' && method !== 'HEAD') return errorResponse(405, 'method_not_allowed', `${method} is not allowed on ${path}`, [['allow', 'GET']]);
      return modelBytes(reg, decodeURIComponent(parts[1]), query);
    }
    if (parts[0] !== 'models' || parts.length > 3 || (parts.length === 3 && parts[2] !== 'predict')) {
      return errorResponse(404, 'not_found', `no route for ${path}`);
    }
    const name = parts.length > 1 ? decodeURIComponent(parts[1]) : '';
    if (parts.length < 3) {
      if (method !== 'GET' && method !== 'HEAD') return errorResponse(405, 'method_not_allowed', `${method} is not allowed on ${path}`, [['allow', 'GET']]);
      if (parts.length === 1) {
        const list = reg.activeVersions().map((v) => versionJson(reg, v));
        return json(200, `{${moduleHashJson(moduleHash)},"models":[${list.join(',')}]}`);
      }
      const versions = reg.versions(name);
      const active = reg.version(name);
      return json(200, `{"model":${versionJson(reg, active)},"versions":[${versions.map((v) => versionJson(reg, v)).join(',')}]}`);
    }
    if (method !== 'POST') return errorResponse(405, 'method_not_allowed', `${method} is not allowed on ${path}: use POST`, [['allow', 'POST']]);
    return restPredict(reg.get(name), req.body, verified, update, instructions, req.octet === true ? { query } : undefined);
  } catch (e) {
    return caught(e);
  }
}

/** Bytes of a model file served per answer (under the gateway's 2 MiB answer limit). */
export const MODEL_BYTES_SLICE = 1024 * 1024;

/**
 * GET /models/{name}/bytes?version=V&offset=O: up to 1 MiB of the stored file from O (default:
 * the active version, offset 0), for a SHA-256 check off chain: fetch the slices in order,
 * join them, hash, compare with the listed sha256. `x-decentai-size` is the file's size.
 */
function modelBytes(reg: Registry, name: string, query: string): RestResponse {
  const param = (key: string): number | undefined => {
    const m = new RegExp(`(?:^|&)${key}=([^&]*)`).exec(query);
    if (m === null) return undefined;
    if (!/^\d{1,15}$/.test(m[1])) throw new PredictError('bad_request', `${key} must be a non-negative integer`);
    return Number(m[1]);
  };
  const requested = param('version');
  const v = reg.version(name, requested);
  const offset = param('offset') ?? 0;
  const bytes = reg.read(name, v.version, offset, MODEL_BYTES_SLICE);
  return {
    status: 200,
    headers: [
      ['content-type', 'application/octet-stream'],
      ['content-disposition', `attachment; filename="${v.name}-v${v.version}${offset === 0 && bytes.length === v.size ? '' : `-${offset}`}.dcai"`],
      ['x-decentai-size', String(v.size)],
      ['x-decentai-sha256', v.sha256],
      ['access-control-allow-origin', '*'],
      ['access-control-expose-headers', 'x-decentai-size, x-decentai-sha256'],
    ],
    body: bytes,
    upgrade: false,
  };
}

function caught(e: unknown): RestResponse {
  if (e instanceof RegistryError && e.code === 'loading') return errorResponse(503, e.code, e.message, [['retry-after', LOADING_RETRY_AFTER]]);
  if (e instanceof PredictError || e instanceof RegistryError) return errorResponse(STATUS_OF[e.code] ?? 400, e.code, e.message);
  // a non-finite output (overflow inside the model): the input is well-formed, the model cannot answer it
  if (e instanceof InputError) return errorResponse(e.code === 'non_finite_output' ? 422 : 400, e.code, e.message);
  if (e instanceof URIError) return errorResponse(400, 'bad_request', 'bad percent-encoding in the path');
  return errorResponse(500, 'internal', e instanceof Error ? e.message : String(e));
}

/** POST /models/{name}/predict for a loaded model. */
export function restPredict(l: Loaded, body: Uint8Array, verified: boolean, update: boolean, instructions: () => bigint, raw?: { query: string }): RestResponse {
  try {
    if (body.length > MAX_BODY_BYTES) return bodyTooLarge(body.length);
    // Verified answers, and models whose prediction does not fit a query (measured at commit), go to http_request_update.
    if ((verified || l.record.fitsQuery === false) && !update) return { status: 200, headers: [], body: new Uint8Array(0), upgrade: true };
    const input = raw !== undefined ? rawInput(l.model, body, raw.query) : inputFromBody(body, l.words, l.model);
    let o;
    try {
      o = runPrediction(l, input, update ? undefined : QUERY_PREDICT_BUDGET);
    } catch (e) {
      // a batch too heavy for a query: the gateway sends it again as http_request_update
      if (e instanceof PredictError && e.code === 'too_heavy') return { status: 200, headers: [], body: new Uint8Array(0), upgrade: true };
      throw e;
    }
    const answer = predictionJsonBytes(wireOf(l), o.scores, o.count, o.outputs, o.top, instructions, update);
    return { status: 200, headers: update ? VERIFIED_JSON_HEADERS : JSON_HEADERS, body: answer, upgrade: false };
  } catch (e) {
    return caught(e);
  }
}

const MODELS = encodeUtf8('/models/');
const PREDICT = encodeUtf8('/predict');
const VERIFIED = encodeUtf8('verified=true');

/**
 * The hot route read from the request's bytes, without decoding: `POST /models/{name}/predict`
 * with an optional query (only `verified=true` matters). Null for anything else (handleRest decides).
 */
export function matchPredictRoute(method: Uint8Array, url: Uint8Array): { name: Uint8Array; verified: boolean } | null {
  if (method.length !== 4 || method[0] !== 0x50 || method[1] !== 0x4f || method[2] !== 0x53 || method[3] !== 0x54) return null;
  const n = url.length;
  if (n <= MODELS.length + PREDICT.length) return null;
  for (let i = 0; i < MODELS.length; i++) if (url[i] !== MODELS[i]) return null;
  let q = url.indexOf(0x3f);
  if (q < 0) q = n;
  const end = q - PREDICT.length;
  if (end <= MODELS.length) return null;
  for (let i = 0; i < PREDICT.length; i++) if (url[end + i] !== PREDICT[i]) return null;
  for (let i = MODELS.length; i < end; i++) {
    const c = url[i];
    if (c === 0x2f || c === 0x25) return null; // another segment, or percent-encoding: the slow path
  }
  let verified = false;
  if (q < n) {
    const query = url.subarray(q + 1);
    // verified=true as one &-separated parameter.
    for (let i = 0; i + VERIFIED.length <= query.length; i++) {
      if (i > 0 && query[i - 1] !== 0x26) continue;
      let k = 0;
      while (k < VERIFIED.length && query[i + k] === VERIFIED[k]) k++;
      if (k === VERIFIED.length && (i + k === query.length || query[i + k] === 0x26)) verified = true;
    }
    if (!verified) return null; // other parameters: the slow path reads them
  }
  return { name: url.subarray(MODELS.length, end), verified };
}
