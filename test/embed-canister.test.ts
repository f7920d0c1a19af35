// Embeddings and vector search in the canister: the real m2v model uploaded to the canister
// wasm on the host (Candid embed/similarity, query and verified update, REST), collections
// (search top-k identical to brute force in Node, kept across upgrades, strangers refused,
// bounds refused cleanly), and the same methods in Node (nodeActor) on random collections.

import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Principal } from '@dfinity/principal';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, type Canister } from '../host/index.ts';
import { idlFactory, type DecentAIService, type HttpResponse, type Result } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { loadModel } from '../engine/index.ts';
import { cosine, type StaticEmbeddingModel } from '../engine/embedding-model.ts';
import { convertStaticEmbedding } from '../converter/static-embedding.ts';
import { Collections, COLLECTION_LIMITS, searchVectors, searchVectorsReference, unitVector } from '../canister/collections.ts';
import { memoryMap, newRegistry, nodeActor } from './canister-helpers.ts';

const M2V = '../shared/models/m2v-bge-base-64d-vq128';
const present = existsSync(`${M2V}/model.safetensors`);
if (!present) console.warn(`embedding canister tests skipped: ${M2V} not found`);
const STRANGER = Principal.fromText('2vxsx-fae');

function unwrap<T>(r: Result<T>): T {
  if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
  return r.ok;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

describe('search: exact top-k (collections.ts) against a plain brute force', () => {
  it('gives the same slots and scores on random collections, ties to the lower slot', () => {
    const random = seeded(7);
    for (const [count, dims, k] of [[1, 4, 1], [50, 8, 5], [1000, 64, 10], [3000, 16, 100], [200, 3, 200]] as const) {
      const vectors = new Float32Array(count * dims);
      for (let i = 0; i < count; i++) vectors.set(unitVector(Array.from({ length: dims }, random), dims, 'v'), i * dims);
      // duplicated rows make ties
      if (count > 10) vectors.copyWithin(5 * dims, 2 * dims, 3 * dims);
      for (let trial = 0; trial < 5; trial++) {
        const query = unitVector(Array.from({ length: dims }, random), dims, 'q');
        expect(searchVectors(vectors, count, dims, query, k)).toEqual(searchVectorsReference(vectors, count, dims, query, k));
      }
    }
  });
});

describe('collections through Candid in Node (nodeActor)', () => {
  it('adds, replaces, deletes, searches; strangers refused; bounds refused without a change', async () => {
    const { reg } = newRegistry();
    const store = memoryMap();
    const collections = new Collections(store, () => 1n);
    const admin = nodeActor(reg, { collections });
    const stranger = nodeActor(reg, { collections, controller: false });
    // a collection needs an embedding model: a tiny one converted from the m2v folder when present
    if (!present) return;
    const bytes = convertStaticEmbedding(M2V, { quantize: 'int8' }).bytes;
    const model = loadModel(bytes) as unknown as StaticEmbeddingModel;
    await uploadModel(admin, 'm2v', bytes);
    unwrap(await admin.create_collection('docs', 'm2v'));
    expect(await stranger.create_collection('x', 'm2v')).toMatchObject({ err: { code: 'forbidden' } });
    const random = seeded(3);
    const items = Array.from({ length: 300 }, (_, i) => ({ id: `v${i}`, text: [] as [] | [string], vector: [Array.from({ length: 64 }, random)] as [number[]], metadata: [JSON.stringify({ i })] as [string] }));
    expect(unwrap(await admin.add_items('docs', items))).toBe(300);
    expect(await stranger.add_items('docs', items.slice(0, 1))).toMatchObject({ err: { code: 'forbidden' } });
    expect(await stranger.delete_items('docs', ['v1'])).toMatchObject({ err: { code: 'forbidden' } });
    // texts embedded on chain
    expect(unwrap(await admin.add_items('docs', [{ id: 'cat', text: ['the cat sat on the mat'], vector: [], metadata: [] }]))).toBe(301);
    const hit = unwrap(await stranger.search('docs', { text: ['the cat sat on the mat'], vector: [], k: 1 }));
    expect(hit.hits[0]).toMatchObject({ id: 'cat', text: ['the cat sat on the mat'] });
    expect(hit.hits[0].score).toBeCloseTo(1, 5);
    expect(cosine(model.embed('the cat sat on the mat').slice(), model.embed('the cat sat on the mat'))).toBeCloseTo(1, 6);
    // replace and delete
    unwrap(await admin.add_items('docs', [{ id: 'v0', text: [], vector: [items[1].vector[0]], metadata: [] }]));
    expect(unwrap(await admin.delete_items('docs', ['v5', 'v6', 'nope']))).toBe(2);
    const { vectors, ids } = collections.vectorsOf('docs');
    const query = unitVector(Array.from({ length: 64 }, random), 64, 'q');
    const expected = searchVectorsReference(vectors, ids.length, 64, query, 20);
    const got = unwrap(await stranger.search('docs', { text: [], vector: [Array.from(query)], k: 20 }));
    expect(got.hits.map((h) => h.id)).toEqual(expected.slots.map((s) => ids[s]));
    expect(ids).not.toContain('v5');
    // bounds: each refused with a clear code, nothing changed
    const before = collections.info('docs').count;
    expect(await admin.add_items('docs', [{ id: 'bad', text: [], vector: [[1, 2, 3]], metadata: [] }])).toMatchObject({ err: { code: 'bad_input' } });
    expect(await admin.add_items('docs', [{ id: 'ok1', text: [], vector: [items[0].vector[0]], metadata: [] }, { id: 'bad', text: [], vector: [], metadata: [] }])).toMatchObject({ err: { code: 'bad_input' } });
    expect(await admin.add_items('docs', [{ id: 'm', text: [], vector: [items[0].vector[0]], metadata: ['{not json'] }])).toMatchObject({ err: { code: 'bad_input' } });
    expect(await stranger.search('docs', { text: [], vector: [Array.from(query)], k: COLLECTION_LIMITS.maxK + 1 })).toMatchObject({ err: { code: 'bad_input' } });
    expect(await stranger.search('nope', { text: ['x'], vector: [], k: 3 })).toMatchObject({ err: { code: 'not_found' } });
    expect(collections.info('docs').count).toBe(before);
    // beyond what one query scans: the query refuses (naming search_update), the update answers the same top-k
    const saved = COLLECTION_LIMITS.maxQueryValues;
    COLLECTION_LIMITS.maxQueryValues = 64 * 100;
    try {
      expect(await stranger.search('docs', { text: [], vector: [Array.from(query)], k: 20 })).toMatchObject({ err: { code: 'too_large' } });
      const viaUpdate = unwrap(await stranger.search_update('docs', { text: [], vector: [Array.from(query)], k: 20 }));
      expect(viaUpdate.hits.map((h) => h.id)).toEqual(got.hits.map((h) => h.id));
    } finally {
      COLLECTION_LIMITS.maxQueryValues = saved;
    }
    expect(collections.vectorsOf('docs').ids).not.toContain('ok1');
    // a reopened store (an upgrade's heap) reads the same collection back
    const reopened = new Collections(store, () => 1n);
    expect(reopened.vectorsOf('docs')).toEqual(collections.vectorsOf('docs'));
  });
});

describe.skipIf(!present)('embeddings and collections in the canister wasm on the host', () => {
  let canister: Canister;
  let wasm: Uint8Array;
  let admin: DecentAIService;
  let anyone: DecentAIService;
  let model: StaticEmbeddingModel;
  let bytes: Uint8Array;

  beforeAll(async () => {
    ({ wasm } = await buildAzleCanister('decentai'));
    const host = await Host.create();
    canister = await host.install(wasm);
    admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER }) as unknown as DecentAIService;
    anyone = createActor<DecentAIService>(canister, idlFactory, { caller: STRANGER }) as unknown as DecentAIService;
    bytes = convertStaticEmbedding(M2V).bytes;
    model = loadModel(bytes) as unknown as StaticEmbeddingModel;
    await uploadModel(admin, 'm2v', bytes);
  }, 600_000);

  const http = async (method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const request = { method, url, headers: [], body: new TextEncoder().encode(body === undefined ? '' : JSON.stringify(body)), certificate_version: [] as [] };
    let r: HttpResponse = await anyone.http_request(request);
    if (r.upgrade.length > 0 && r.upgrade[0]) r = await anyone.http_request_update(request);
    return { status: r.status_code, json: JSON.parse(new TextDecoder().decode(r.body as Uint8Array)) };
  };

  it('embed (query and verified update) and similarity equal the engine in Node; REST the same', async () => {
    const texts = ['The quick brown fox', 'Hello, world!', '', 'Ünïcödé 😀 你好'];
    for (const call of [anyone.embed, anyone.embed_update]) {
      const r = unwrap(await call(`m2v`, texts));
      expect(r).toMatchObject({ model: 'm2v', version: 1, dims: 64 });
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.instructions).toBeGreaterThan(0n);
      r.vectors.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(model.embed(texts[i]))));
    }
    const one = unwrap(await anyone.embed('m2v', ['a short sentence to embed']));
    console.log(`embed of a short sentence: ${one.instructions} instructions`);
    const s = unwrap(await anyone.similarity('m2v', [['city', 'town'], ['city', 'banana']]));
    expect(Array.from(s.similarities)).toEqual([Math.fround(cosine(model.embed('city').slice(), model.embed('town'))), Math.fround(cosine(model.embed('city').slice(), model.embed('banana')))]);
    const rest = await http('POST', '/models/m2v/embed', { texts });
    expect(rest.status).toBe(200);
    expect((rest.json.vectors as number[][]).map((v) => v.map(Math.fround))).toEqual(texts.map((t) => Array.from(model.embed(t))));
    const verified = await http('POST', '/models/m2v/embed?verified=true', { text: 'hello' });
    expect(verified.json).toMatchObject({ verified: true, dims: 64 });
    const sim = await http('POST', '/models/m2v/similarity', { a: 'city', b: 'town' });
    expect(sim.json.similarities).toHaveLength(1);
    expect((await http('POST', '/models/m2v/embed', { text: 5 })).status).toBe(400);
    expect((await http('POST', '/models/nope/embed', { text: 'x' })).status).toBe(404);
    expect((await anyone.embed('m2v', Array.from({ length: 65 }, () => 'x'))) as unknown).toMatchObject({ err: { code: 'too_large' } });
  }, 600_000);

  it('collections: controllers add (embedded on chain), anyone searches over REST and Candid; kept across an upgrade', async () => {
    unwrap(await admin.create_collection('notes', 'm2v'));
    expect(await anyone.create_collection('mine', 'm2v')).toMatchObject({ err: { code: 'forbidden' } });
    const docs = ['the cat sat on the mat', 'stock markets fell sharply today', 'a recipe for tomato soup', 'the dog chased the ball', 'interest rates and inflation'];
    expect(unwrap(await admin.add_items('notes', docs.map((text, i) => ({ id: `d${i}`, text: [text] as [string], vector: [] as [], metadata: [JSON.stringify({ n: i })] as [string] }))))).toBe(5);
    expect(await anyone.add_items('notes', [{ id: 'x', text: ['x'], vector: [], metadata: [] }])).toMatchObject({ err: { code: 'forbidden' } });
    expect(await anyone.delete_items('notes', ['d0'])).toMatchObject({ err: { code: 'forbidden' } });
    const query = 'the cat sat on the mat';
    const q = model.embed(query).slice();
    const expected = docs.map((d, i) => ({ id: `d${i}`, score: cosine(q, model.embed(d)) })).sort((a, b) => b.score - a.score).map((h) => h.id);
    const r = await http('POST', '/collections/notes/search', { text: query, k: 3 });
    expect(r.status).toBe(200);
    const hits = r.json.hits as { id: string; score: number; metadata: unknown }[];
    expect(hits.map((h) => h.id)).toEqual(expected.slice(0, 3));
    expect(hits[0]).toMatchObject({ id: 'd0', metadata: { n: 0 } });
    const c = unwrap(await anyone.search('notes', { text: [query], vector: [], k: 5 }));
    expect(c.hits.map((h) => h.id)).toEqual(expected);
    expect((await http('POST', '/collections/notes/search', { text: query, k: 1000 })).status).toBe(400);
    expect((await http('POST', '/collections/none/search', { text: query })).status).toBe(404);
    expect((await http('GET', '/collections')).json).toMatchObject({ collections: [{ name: 'notes', model: 'm2v', dims: 64, count: 5 }] });
    unwrap(await admin.delete_items('notes', ['d4']));
    await canister.upgrade(wasm);
    const after = unwrap(await anyone.search('notes', { text: [query], vector: [], k: 5 }));
    expect(after.hits.map((h) => h.id)).toEqual(expected.filter((id) => id !== 'd4'));
    expect(await anyone.list_collections()).toMatchObject([{ name: 'notes', count: 4 }]);
  }, 600_000);
});
