// Embeddings and vector search, in Candid and REST: thin glue over the engine's embedding
// models (engine/embedding-model.ts) and canister/collections.ts.
//
// Candid (canister/types.ts):
//   embed(model, texts) / embed_update            vectors, dims, model sha256 and version, instructions
//   similarity(model, pairs) / similarity_update  cosine of each text pair
//   list_collections()                            collections and their sizes
//   search(collection, {text | vector, k})        top-k by cosine, exact (a query; search_update beyond a query's scan)
//   create_collection(name, model), drop_collection(name),
//   add_items(collection, items), delete_items(collection, ids)   controllers only (updates)
// REST (through http_request; `?verified=true` answers from http_request_update):
//   POST /models/{name}/embed        {"text":…} or {"texts":[…]}
//   POST /models/{name}/similarity   {"pairs":[["a","b"],…]} or {"a":…,"b":…}
//   GET  /collections, GET /collections/{c}
//   POST /collections/{c}/search     {"text":…,"k":…} or {"vector":[…],"k":…}

import { InputError } from '../engine/index.ts';
import { cosine, StaticEmbeddingModel } from '../engine/embedding-model.ts';
import { CandidError, Encoder, idlHash, Reader, T, type CType } from './candid-wire.ts';
import { CollectionError, Collections, COLLECTION_LIMITS, type Hit, type NewItem } from './collections.ts';
import { decodeJsonString, PredictError } from './predict.ts';
import { RegistryError, type Loaded, type Registry } from './registry.ts';
import { errorResponse, MAX_BODY_BYTES, parseJsonBytes, type RestResponse } from './rest.ts';
import { JSON_HEADERS, VERIFIED_JSON_HEADERS } from './wire.ts';
import { encodeUtf8 } from './utf8.ts';

/** What these methods need from the system (a subset of methods.ts's Ctx, plus the collections). */
export interface EmbedCtx {
  reg: Registry;
  isController: () => boolean;
  instructions: () => bigint;
  collections?: Collections;
}

export const EMBED_LIMITS = { maxTexts: 64, maxPairs: 64, maxTextBytes: 65536 };

function collectionsOf(ctx: EmbedCtx): Collections {
  if (ctx.collections === undefined) throw new CollectionError('not_found', 'this canister keeps no collections');
  return ctx.collections;
}

/** The embedding model behind a loaded model, or a clear refusal. */
export function embeddingModel(l: Loaded): StaticEmbeddingModel {
  if (!(l.model instanceof StaticEmbeddingModel)) throw new PredictError('bad_input', `model '${l.name}' is not an embedding model (it answers predict)`);
  return l.model;
}

function checkTexts(texts: readonly string[], max: number, what: string): void {
  if (texts.length === 0) throw new PredictError('bad_input', `give at least one ${what}`);
  if (texts.length > max) throw new PredictError('too_large', `${texts.length} ${what}s is over the limit of ${max}`);
}

export function embedTexts(l: Loaded, texts: readonly string[]): Float32Array[] {
  checkTexts(texts, EMBED_LIMITS.maxTexts, 'text');
  const model = embeddingModel(l);
  return texts.map((text) => model.embed(text).slice());
}

export function similarities(l: Loaded, pairs: readonly [string, string][]): number[] {
  checkTexts(pairs.map((p) => p[0]), EMBED_LIMITS.maxPairs, 'pair');
  const model = embeddingModel(l);
  return pairs.map(([a, b]) => {
    const first = model.embed(a).slice();
    return cosine(first, model.embed(b));
  });
}

/** Embeds items that came with a text and no vector, with the collection's model (all checks before any change). */
function itemsWithVectors(ctx: EmbedCtx, collection: string, items: { id: string; text: string | null; vector: number[] | null; metadata: string | null }[]): NewItem[] {
  const { model } = collectionsOf(ctx).binding(collection);
  let embedder: StaticEmbeddingModel | null = null;
  return items.map((item) => {
    if (item.vector !== null) return { id: item.id, vector: item.vector, text: item.text, metadata: item.metadata };
    if (item.text === null) throw new CollectionError('bad_input', `item '${item.id}': give a text (embedded here) or a vector`);
    embedder ??= embeddingModel(ctx.reg.get(model));
    return { id: item.id, vector: embedder.embed(item.text).slice(), text: item.text, metadata: item.metadata };
  });
}

function searchQuery(ctx: EmbedCtx, collection: string, query: { text: string | null; vector: number[] | null; k: number }, update: boolean): Hit[] {
  const collections = collectionsOf(ctx);
  const { model } = collections.binding(collection);
  let vector: ArrayLike<number>;
  if (query.vector !== null) vector = query.vector;
  else if (query.text !== null) vector = embeddingModel(ctx.reg.get(model)).embed(query.text);
  else throw new CollectionError('bad_input', 'give a "text" or a "vector" to search with');
  return collections.search(collection, vector, query.k, update);
}

// ---------------------------------------------------------------- Candid

const Err: CType = { record: [['code', T.text], ['message', T.text]] };
const ok = (t: CType): CType => ({ variant: [['ok', t], ['err', Err]] });
const EmbedOkT: CType = {
  record: [['model', T.text], ['version', T.nat32], ['sha256', T.text], ['dims', T.nat32], ['vectors', { vec: { vec: T.float32 } }], ['instructions', T.nat64]],
};
const SimilarityOkT: CType = {
  record: [['model', T.text], ['version', T.nat32], ['sha256', T.text], ['similarities', { vec: T.float32 }], ['instructions', T.nat64]],
};
const CollectionInfoT: CType = { record: [['name', T.text], ['model', T.text], ['dims', T.nat32], ['count', T.nat32], ['created_at', T.nat64]] };
const HitT: CType = { record: [['id', T.text], ['score', T.float32], ['text', { opt: T.text }], ['metadata', { opt: T.text }]] };
const SearchOkT: CType = { record: [['collection', T.text], ['model', T.text], ['hits', { vec: HitT }], ['instructions', T.nat64]] };

const lazy = (types: () => CType[]) => {
  let e: Encoder | undefined;
  return () => (e ??= new Encoder(types()));
};
const encoders = {
  embed: lazy(() => [ok(EmbedOkT)]),
  similarity: lazy(() => [ok(SimilarityOkT)]),
  collection: lazy(() => [ok(CollectionInfoT)]),
  collections: lazy(() => [{ vec: CollectionInfoT }]),
  search: lazy(() => [ok(SearchOkT)]),
  count: lazy(() => [ok(T.nat32)]),
};

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof CollectionError || e instanceof RegistryError || e instanceof PredictError || e instanceof InputError) return { code: e.code, message: e.message };
  if (e instanceof CandidError) return { code: 'bad_argument', message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

function candid(name: keyof typeof encoders, admin: boolean, body: (ctx: EmbedCtx, r: Reader) => unknown) {
  return (ctx: EmbedCtx, arg: Uint8Array): Uint8Array => {
    const enc = encoders[name]();
    try {
      if (admin && !ctx.isController()) return enc.encode([{ err: { code: 'forbidden', message: 'only a controller of the canister may call this method' } }]);
      return enc.encode([{ ok: body(ctx, new Reader(arg)) }]);
    } catch (e) {
      return enc.encode([{ err: errorOf(e) }]);
    }
  };
}

function argAt(r: Reader, i: number, what: string): number {
  if (r.args.length <= i) throw new CandidError(`missing argument ${i + 1} (${what})`);
  return r.args[i];
}

function texts(r: Reader, t: number, what: string, max: number): string[] {
  const n = r.vecLength(t, what);
  if (n > max) throw new PredictError('too_large', `${what}: ${n} items is over the limit of ${max}`);
  const e = r.elem(t);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.text(e, what, EMBED_LIMITS.maxTextBytes));
  return out;
}

function optText(r: Reader, t: number, what: string, max: number): string | null {
  return r.optPresent(t, what) ? r.text(r.elem(t), what, max) : null;
}

function optVector(r: Reader, t: number, what: string): number[] | null {
  return r.optPresent(t, what) ? r.numbers(r.elem(t), what, 4096, false) : null;
}

const H = { id: idlHash('id'), text: idlHash('text'), vector: idlHash('vector'), metadata: idlHash('metadata'), k: idlHash('k') };

function modelAnswer(l: Loaded) {
  return { model: l.name, version: l.version, sha256: l.sha256 };
}

export const embed = candid('embed', false, (ctx, r) => {
  const l = ctx.reg.get(r.text(argAt(r, 0, 'model'), 'model', 256));
  const vectors = embedTexts(l, texts(r, argAt(r, 1, 'texts'), 'texts', EMBED_LIMITS.maxTexts));
  return { ...modelAnswer(l), dims: embeddingModel(l).dims, vectors, instructions: ctx.instructions() };
});

export const similarity = candid('similarity', false, (ctx, r) => {
  const l = ctx.reg.get(r.text(argAt(r, 0, 'model'), 'model', 256));
  const t = argAt(r, 1, 'pairs');
  const n = r.vecLength(t, 'pairs');
  if (n > EMBED_LIMITS.maxPairs) throw new PredictError('too_large', `pairs: ${n} items is over the limit of ${EMBED_LIMITS.maxPairs}`);
  const pairs: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const pair: [string, string] = ['', ''];
    r.record(r.elem(t), 'pair', (hash, type) => {
      if (hash !== 0 && hash !== 1) return false;
      pair[hash] = r.text(type, 'pair text', EMBED_LIMITS.maxTextBytes);
      return true;
    });
    pairs.push(pair);
  }
  return { ...modelAnswer(l), similarities: Float32Array.from(similarities(l, pairs)), instructions: ctx.instructions() };
});

function collectionInfo(info: { name: string; model: string; dims: number; count: number; created: string }) {
  return { name: info.name, model: info.model, dims: info.dims, count: info.count, created_at: BigInt(info.created) };
}

export const list_collections = (ctx: EmbedCtx): Uint8Array => {
  try {
    return encoders.collections().encode([collectionsOf(ctx).list().map(collectionInfo)]);
  } catch {
    return encoders.collections().encode([[]]);
  }
};

export const create_collection = candid('collection', true, (ctx, r) => {
  const name = r.text(argAt(r, 0, 'name'), 'name', 256);
  const model = r.text(argAt(r, 1, 'model'), 'model', 256);
  const dims = embeddingModel(ctx.reg.get(model)).dims;
  return collectionInfo(collectionsOf(ctx).create(name, model, dims));
});

export const drop_collection = candid('count', true, (ctx, r) => collectionsOf(ctx).drop(r.text(argAt(r, 0, 'name'), 'name', 256)));

export const add_items = candid('count', true, (ctx, r) => {
  const collection = r.text(argAt(r, 0, 'collection'), 'collection', 256);
  const t = argAt(r, 1, 'items');
  const n = r.vecLength(t, 'items');
  if (n > COLLECTION_LIMITS.maxItemsPerCall) throw new CollectionError('too_large', `${n} items in one call is over the limit of ${COLLECTION_LIMITS.maxItemsPerCall}`);
  const items: { id: string; text: string | null; vector: number[] | null; metadata: string | null }[] = [];
  for (let i = 0; i < n; i++) {
    const item = { id: '', text: null as string | null, vector: null as number[] | null, metadata: null as string | null };
    r.record(r.elem(t), 'item', (hash, type) => {
      if (hash === H.id) item.id = r.text(type, 'id', COLLECTION_LIMITS.maxIdBytes);
      else if (hash === H.text) item.text = optText(r, type, 'text', COLLECTION_LIMITS.maxTextBytes);
      else if (hash === H.vector) item.vector = optVector(r, type, 'vector');
      else if (hash === H.metadata) item.metadata = optText(r, type, 'metadata', COLLECTION_LIMITS.maxMetadataBytes);
      else return false;
      return true;
    });
    items.push(item);
  }
  return collectionsOf(ctx).add(collection, itemsWithVectors(ctx, collection, items));
});

export const delete_items = candid('count', true, (ctx, r) => {
  const collection = r.text(argAt(r, 0, 'collection'), 'collection', 256);
  return collectionsOf(ctx).remove(collection, texts(r, argAt(r, 1, 'ids'), 'ids', COLLECTION_LIMITS.maxItemsPerCall));
});

const searchMethod = (update: boolean) => candid('search', false, (ctx, r) => {
  const collection = r.text(argAt(r, 0, 'collection'), 'collection', 256);
  const query = { text: null as string | null, vector: null as number[] | null, k: 10 };
  r.record(argAt(r, 1, 'query'), 'query', (hash, type) => {
    if (hash === H.text) query.text = optText(r, type, 'text', EMBED_LIMITS.maxTextBytes);
    else if (hash === H.vector) query.vector = optVector(r, type, 'vector');
    else if (hash === H.k) query.k = r.int(type, 'k');
    else return false;
    return true;
  });
  const hits = searchQuery(ctx, collection, query, update);
  return { collection, model: collectionsOf(ctx).binding(collection).model, hits, instructions: ctx.instructions() };
});
export const search = searchMethod(false);
export const search_update = searchMethod(true);

// ---------------------------------------------------------------- REST

type JValue = ReturnType<typeof parseJsonBytes>;
type TextRefLike = { bytes: Uint8Array; start: number; end: number; json: true };

function isTextRef(v: JValue | undefined): v is TextRefLike {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'json' in v && (v as unknown as TextRefLike).json === true;
}

function jsonText(v: JValue | undefined, what: string): string {
  if (!isTextRef(v)) throw new PredictError('bad_input', `${what} must be a string`);
  if (v.end - v.start > EMBED_LIMITS.maxTextBytes) throw new PredictError('too_large', `${what} is over ${EMBED_LIMITS.maxTextBytes} bytes`);
  return decodeJsonString(v.bytes, v.start, v.end);
}

function jsonBody(body: Uint8Array): { [key: string]: JValue } {
  if (body.length > MAX_BODY_BYTES) throw new PredictError('too_large', `body of ${body.length} bytes is over the limit of ${MAX_BODY_BYTES}`);
  let v: JValue;
  try {
    v = parseJsonBytes(body);
  } catch (e) {
    if (e instanceof PredictError) throw e;
    throw new PredictError('bad_json', e instanceof Error ? e.message : String(e));
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || isTextRef(v)) throw new PredictError('bad_input', 'the body must be a JSON object');
  return v as { [key: string]: JValue };
}

const STATUS: Record<string, number> = { bad_json: 400, bad_input: 400, bad_request: 400, not_found: 404, too_large: 413, conflict: 409, forbidden: 403, invalid_model: 503 };

function answer(status: number, text: string, verified: boolean): RestResponse {
  return { status, headers: verified ? VERIFIED_JSON_HEADERS : JSON_HEADERS, body: encodeUtf8(text), upgrade: false };
}

function floats(values: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) parts.push(String(values[i]));
  return `[${parts.join(',')}]`;
}

function hitsJson(hits: Hit[]): string {
  return `[${hits.map((h) => `{"id":${JSON.stringify(h.id)},"score":${h.score},"text":${JSON.stringify(h.text)},"metadata":${h.metadata ?? 'null'}}`).join(',')}]`;
}

function jsonVector(v: JValue | undefined): number[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new PredictError('bad_input', '"vector" must be an array of numbers');
  return v as number[];
}

/**
 * Answers the embedding and collection routes, or null for any other path (rest.ts answers
 * those). `parts`: the path's segments; `verified`: ?verified=true; `update`: in http_request_update.
 */
export function embedRest(ctx: EmbedCtx, method: string, url: string, body: Uint8Array, update: boolean): RestResponse | null {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const verified = /(^|&)verified=(true|1)(&|$)/.test(q < 0 ? '' : url.slice(q + 1));
  const parts = path.split('/').filter((p) => p.length > 0);
  const modelRoute = parts.length === 3 && parts[0] === 'models' && (parts[2] === 'embed' || parts[2] === 'similarity');
  const collectionRoute = parts[0] === 'collections' && (parts.length <= 2 || (parts.length === 3 && parts[2] === 'search'));
  if (!modelRoute && !collectionRoute) return null;
  const m = method.toUpperCase();
  try {
    const post = modelRoute || parts.length === 3;
    if (post && m !== 'POST') return errorResponse(405, 'method_not_allowed', `${m} is not allowed on ${path}: use POST`, [['allow', 'POST']]);
    if (!post && m !== 'GET' && m !== 'HEAD') return errorResponse(405, 'method_not_allowed', `${m} is not allowed on ${path}`, [['allow', 'GET']]);
    if (post && verified && !update) return { status: 200, headers: [], body: new Uint8Array(0), upgrade: true };
    const name = parts.length > 1 ? decodeURIComponent(parts[1]) : '';
    if (modelRoute) {
      const l = ctx.reg.get(name);
      const b = jsonBody(body);
      const head = `"model":${JSON.stringify(l.name)},"version":${l.version},"sha256":"${l.sha256}"`;
      if (parts[2] === 'embed') {
        const list = 'texts' in b ? b.texts : 'text' in b ? [b.text] : undefined;
        if (!Array.isArray(list)) throw new PredictError('bad_input', 'give "text" (a string) or "texts" (an array of strings)');
        const vectors = embedTexts(l, list.map((t, i) => jsonText(t, `"texts"[${i}]`)));
        return answer(200, `{${head},"dims":${embeddingModel(l).dims},"vectors":[${vectors.map(floats).join(',')}],"instructions":${ctx.instructions()},"verified":${update}}`, update);
      }
      let pairs: [string, string][];
      if (Array.isArray(b.pairs)) {
        pairs = b.pairs.map((p, i) => {
          if (!Array.isArray(p) || p.length !== 2) throw new PredictError('bad_input', `"pairs"[${i}] must be [text, text]`);
          return [jsonText(p[0], `"pairs"[${i}][0]`), jsonText(p[1], `"pairs"[${i}][1]`)];
        });
      } else if ('a' in b && 'b' in b) pairs = [[jsonText(b.a, '"a"'), jsonText(b.b, '"b"')]];
      else throw new PredictError('bad_input', 'give "pairs" ([[text, text], …]) or "a" and "b"');
      return answer(200, `{${head},"similarities":${floats(similarities(l, pairs))},"instructions":${ctx.instructions()},"verified":${update}}`, update);
    }
    const collections = collectionsOf(ctx);
    if (parts.length === 1) {
      const list = collections.list().map((c) => `{"name":${JSON.stringify(c.name)},"model":${JSON.stringify(c.model)},"dims":${c.dims},"count":${c.count}}`);
      return answer(200, `{"collections":[${list.join(',')}]}`, false);
    }
    if (parts.length === 2) {
      const c = collections.info(name);
      return answer(200, `{"name":${JSON.stringify(c.name)},"model":${JSON.stringify(c.model)},"dims":${c.dims},"count":${c.count},"max_items":${Math.floor(COLLECTION_LIMITS.maxItemValues / c.dims)}}`, false);
    }
    const b = jsonBody(body);
    const k = b.k === undefined ? 10 : b.k;
    if (typeof k !== 'number') throw new PredictError('bad_input', '"k" must be a number');
    const hits = searchQuery(ctx, name, { text: b.text === undefined ? null : jsonText(b.text, '"text"'), vector: jsonVector(b.vector), k }, update);
    return answer(200, `{"collection":${JSON.stringify(name)},"model":${JSON.stringify(collections.binding(name).model)},"hits":${hitsJson(hits)},"instructions":${ctx.instructions()},"verified":${update}}`, update);
  } catch (e) {
    if (e instanceof URIError) return errorResponse(400, 'bad_request', 'bad percent-encoding in the path');
    const { code, message } = errorOf(e);
    return errorResponse(STATUS[code] ?? (code === 'internal' ? 500 : 400), code, message);
  }
}
