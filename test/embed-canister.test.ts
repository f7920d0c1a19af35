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

describe('search through the int8 index (collections.ts searchIndexed): the float brute force, bit for bit', () => {
  const vectorOf = (random: () => number, dims: number) => Array.from({ length: dims }, random);
  /** Each hit of collections.search equal to the plain brute force over the float vectors: ids, order and scores. */
  function expectBruteForce(collections: Collections, name: string, query: Float32Array, k: number, update = false): void {
    const { vectors, ids } = collections.vectorsOf(name);
    // the query as search() takes it: scaled to unit length (again) in float32
    const want = searchVectorsReference(vectors, ids.length, query.length, unitVector(query, query.length, 'q'), k);
    const got = collections.search(name, query, k, update);
    expect(got.map((h) => h.id)).toEqual(want.slots.map((s) => ids[s]));
    expect(got.map((h) => h.score)).toEqual(want.scores);
  }

  it('random collections through adds, replaces and deletes; an upgrade searches floats until indexNext fills the index', () => {
    const random = seeded(11);
    const store = memoryMap();
    const collections = new Collections(store, () => 1n);
    for (const [name, dims] of [['a', 64], ['b', 16], ['c', 3]] as const) collections.create(name, 'm', dims);
    let next = 0;
    // no float scan allowed in a query: every search below is proved by the index's candidates
    const saved = COLLECTION_LIMITS.maxQueryValues;
    COLLECTION_LIMITS.maxQueryValues = 0;
    try {
      for (let round = 0; round < 12; round++) {
        for (const [name, dims] of [['a', 64], ['b', 16], ['c', 3]] as const) {
          const count = collections.info(name).count;
          const adds = Array.from({ length: round === 3 || round === 4 ? 990 : 1 + Math.floor((random() + 0.5) * 200) }, () => ({ id: `i${next++}`, vector: vectorOf(random, dims) }));
          // replace a few existing ids, duplicate a vector (ties)
          if (count > 10) adds.push({ id: collections.vectorsOf(name).ids[count - 5], vector: vectorOf(random, dims) }, { id: `dup${round}`, vector: Array.from(collections.vectorsOf(name).vectors.subarray(0, dims)) });
          collections.add(name, adds);
          const ids = collections.vectorsOf(name).ids;
          collections.remove(name, Array.from({ length: 20 }, () => ids[Math.floor((random() + 0.5) * ids.length)]));
          for (const k of [1, 10, 100]) expectBruteForce(collections, name, unitVector(vectorOf(random, dims), dims, 'q'), k);
          // the query equal to an item: its own score first
          expectBruteForce(collections, name, collections.vectorsOf(name).vectors.slice(0, dims), 5);
        }
      }
    } finally {
      COLLECTION_LIMITS.maxQueryValues = saved;
    }
    // an upgrade's heap: everything read back, the index empty (float scans) until the timers' indexNext calls
    const reopened = new Collections(store, () => 1n);
    const query = unitVector(vectorOf(random, 64), 64, 'q');
    expectBruteForce(reopened, 'a', query, 10);
    let messages = 0;
    while (reopened.indexNext(1)) messages++;
    expect(messages).toBeGreaterThan(0);
    for (const [name, dims] of [['a', 64], ['b', 16], ['c', 3]] as const) expectBruteForce(reopened, name, unitVector(vectorOf(random, dims), dims, 'q'), 10);
    // changes between two timer messages (index half filled) stay consistent
    const half = new Collections(store, () => 1n);
    half.indexNext(1);
    const ids = half.vectorsOf('a').ids;
    half.remove('a', [ids[3], ids[ids.length - 1], ids[1500]]);
    half.add('a', [{ id: ids[7], vector: vectorOf(random, 64) }, { id: 'late', vector: vectorOf(random, 64) }]);
    while (half.indexNext(1));
    for (let trial = 0; trial < 5; trial++) expectBruteForce(half, 'a', unitVector(vectorOf(random, 64), 64, 'q'), 10);
  });

  it('items too alike to prove the top k from their int8 copies: the floats are scanned (an update), a query beyond the float scan refuses', () => {
    const random = seeded(12);
    const collections = new Collections(memoryMap(), () => 1n);
    collections.create('near', 'm', 64);
    const base = vectorOf(random, 64);
    // 3,000 vectors within ~1e-4 of each other: their int8 copies are nearly all equal
    collections.add('near', Array.from({ length: 1000 }, (_, i) => ({ id: `n${i}`, vector: base.map((x) => x + random() * 1e-4) })));
    collections.add('near', Array.from({ length: 1000 }, (_, i) => ({ id: `m${i}`, vector: base.map((x) => x + random() * 1e-4) })));
    collections.add('near', Array.from({ length: 1000 }, (_, i) => ({ id: `o${i}`, vector: base.map((x) => x + random() * 1e-4) })));
    const query = unitVector(base.map((x) => x + random() * 1e-2), 64, 'q');
    expectBruteForce(collections, 'near', query, 10);
    const saved = COLLECTION_LIMITS.maxQueryValues;
    COLLECTION_LIMITS.maxQueryValues = 64 * 100;
    try {
      expect(() => collections.search('near', query, 10)).toThrow(/search_update/);
      expectBruteForce(collections, 'near', query, 10, true);
    } finally {
      COLLECTION_LIMITS.maxQueryValues = saved;
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
    const saved = [COLLECTION_LIMITS.maxQueryValues, COLLECTION_LIMITS.maxIndexedQueryValues];
    COLLECTION_LIMITS.maxQueryValues = 64 * 100;
    COLLECTION_LIMITS.maxIndexedQueryValues = 64 * 100;
    try {
      expect(await stranger.search('docs', { text: [], vector: [Array.from(query)], k: 20 })).toMatchObject({ err: { code: 'too_large' } });
      const viaUpdate = unwrap(await stranger.search_update('docs', { text: [], vector: [Array.from(query)], k: 20 }));
      expect(viaUpdate.hits.map((h) => h.id)).toEqual(got.hits.map((h) => h.id));
    } finally {
      [COLLECTION_LIMITS.maxQueryValues, COLLECTION_LIMITS.maxIndexedQueryValues] = saved;
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

  it('a collection of 2,500 given vectors (three index blocks): the canister\'s top k equal the brute force in Node, scores bit for bit (as float32), before and after an upgrade (index rebuilt by timers)', async () => {
    unwrap(await admin.create_collection('random', 'm2v'));
    const random = seeded(21);
    const given = Array.from({ length: 2500 }, () => Array.from({ length: 64 }, random));
    for (let at = 0; at < given.length; at += 1000) {
      unwrap(await admin.add_items('random', given.slice(at, at + 1000).map((v, i) => ({ id: `r${at + i}`, text: [] as [], vector: [v] as [number[]], metadata: [] as [] }))));
    }
    // a few changes after: one item at a time goes into the lanes at once
    unwrap(await admin.add_items('random', [{ id: 'r7', text: [], vector: [given[8]], metadata: [] }]));
    unwrap(await admin.delete_items('random', ['r100', 'r2499']));
    const ids = given.map((_, i) => `r${i}`);
    // as the canister takes them: Candid float32 values, scaled to unit length in float32
    const vectors = given.map((v) => unitVector(Float32Array.from(v), 64, 'v'));
    vectors[7] = vectors[8];
    for (const gone of [100, 2499]) {
      // the last item moves into the freed slot
      const last = ids.length - 1;
      ids[gone] = ids[last];
      vectors[gone] = vectors[last];
      ids.pop();
      vectors.pop();
    }
    const flat = new Float32Array(ids.length * 64);
    vectors.forEach((v, i) => flat.set(v, i * 64));
    const queries = Array.from({ length: 4 }, () => Array.from({ length: 64 }, random));
    const check = async () => {
      for (const [i, query] of queries.entries()) {
        const k = [1, 10, 50, 100][i];
        const want = searchVectorsReference(flat, ids.length, 64, unitVector(Float32Array.from(query), 64, 'q'), k);
        const got = unwrap(await anyone.search('random', { text: [], vector: [query], k }));
        expect(got.hits.map((h) => h.id)).toEqual(want.slots.map((s) => ids[s]));
        // the reply carries float32 scores
        expect(got.hits.map((h) => h.score)).toEqual(want.scores.map(Math.fround));
      }
    };
    await check();
    await canister.upgrade(wasm);
    await check();
  }, 600_000);
});
