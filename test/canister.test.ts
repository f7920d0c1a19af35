// The real canister wasm on the in-process host: uploads, predictions (bit for bit
// against the engine in Node), access control, upload faults, verification, upgrades.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, lastCall, type Canister } from '../host/index.ts';
import { idlFactory, type DecentAIService, type ModelInfo } from '../canister/types.ts';
import { sha256Hex, uploadModel, UploadError } from '../client/upload.ts';
import { loadModel, type Model } from '../engine/index.ts';
import { defaultModel, sharedSpamModel } from '../scripts/lib/models.ts';
import { convertFiles } from '../converter/files.ts';
import { Principal } from '@dfinity/principal';

type Actor = DecentAIService & { [k: symbol]: unknown };

const STRANGER = Principal.fromText('2vxsx-fae'); // anonymous
const enc = (s: string) => new TextEncoder().encode(s);
const TEXTS = [
  'check out my channel',
  'Subscribe to my channel for FREE iPhones!!! http://spam.example',
  'I love this song, it reminds me of summer',
  '',
  'Ünïcödé wörds — and émojis 😀 straße İstanbul ΑΣ',
  'word '.repeat(10_000),
];

let wasm: Uint8Array;
let candid: string;
let host: Host;
let canister: Canister;
let admin: Actor;
let anyone: Actor;
const models: Record<string, { bytes: Uint8Array; model: Model }> = {};

function unwrap<T>(r: { ok: T } | { err: { code: string; message: string } }): T {
  if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
  return r.ok;
}

async function errCode(p: Promise<{ ok: unknown } | { err: { code: string } }>): Promise<string> {
  const r = await p;
  return 'err' in r ? r.err.code : 'ok';
}

async function snapshot(a: Actor) {
  const list = await a.list_models();
  const preds: unknown[] = [];
  for (const m of list) {
    const p = unwrap(await a.predict(m.name, { texts: TEXTS.slice(0, 5).map(enc) }));
    preds.push({ ...p, instructions: 0n, predictions: p.predictions.map((x) => ({ label: x.label, scores: Array.from(x.scores) })) });
  }
  const versions = [];
  for (const m of list) versions.push(...(await a.model_versions(m.name)));
  return { list, versions, preds };
}

beforeAll(async () => {
  ({ wasm, candid } = await buildAzleCanister('decentai'));
  host = await Host.create();
  canister = await host.install(wasm);
  admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER }) as unknown as Actor;
  anyone = createActor<DecentAIService>(canister, idlFactory, { caller: STRANGER }) as unknown as Actor;
  const d = defaultModel();
  models.default = { bytes: d.bytes, model: loadModel(d.bytes) };
  const spam = sharedSpamModel();
  if (spam) models['spam-detection'] = { bytes: spam.bytes, model: loadModel(spam.bytes) };
});

describe('canister on the host', () => {
  it('has the committed Candid interface (canister/decentai.did)', () => {
    expect(readFileSync('canister/decentai.did', 'utf8').trim()).toBe(candid.trim());
  });

  it('installs with a small init', () => {
    console.log(`init: ${canister.lastInitInstructions} instructions`);
    expect(canister.lastInitInstructions).toBeLessThan(1_300_000_000n);
  });

  it('uploads the default model (and the spam model) and predicts bit for bit like the engine in Node', async () => {
    for (const [name, { bytes, model }] of Object.entries(models)) {
      const appends: bigint[] = [];
      const r = await uploadModel(admin, name, bytes, {
        afterChunk: () => void appends.push(lastCall(admin as never)!.instructions),
      });
      expect(r.model).toMatchObject({ name, version: 1, active: true, verified: true, sha256: createHash('sha256').update(bytes).digest('hex') });
      const perByte = Number(appends[0]) / bytes.length;
      console.log(`${name}: ${bytes.length} bytes, append (stored and hashed) ${perByte.toFixed(1)} instructions/byte`);
      expect(perByte).toBeLessThan(14_500);
      for (const text of TEXTS) {
        const q = unwrap(await anyone.predict(name, { text: enc(text) }));
        const u = unwrap(await anyone.predict_update(name, { text: enc(text) }));
        const want = Array.from(model.predictText(text));
        expect(Array.from(q.predictions[0].scores)).toEqual(want);
        expect(Array.from(u.predictions[0].scores)).toEqual(want);
        expect(q.predictions[0].label).toBe(model.labels[model.argmax(want)]);
        expect(q).toMatchObject({ model: name, version: 1, sha256: r.sha256 });
        expect(q.instructions).toBeGreaterThan(0n);
      }
      const batch = unwrap(await anyone.predict(name, { texts: TEXTS.map(enc) }));
      expect(batch.predictions.map((p) => Array.from(p.scores))).toEqual(TEXTS.map((t) => Array.from(model.predictText(t))));
      const ids = Array.from(model.tokenize('check out my channel'));
      const tok = unwrap(await anyone.predict(name, { tokens: ids }));
      expect(Array.from(tok.predictions[0].scores)).toEqual(Array.from(model.predictTokens(ids)));
      const tb = unwrap(await anyone.predict(name, { tokens_batch: [ids, ids.slice(0, 3)] }));
      expect(tb.predictions.map((p) => Array.from(p.scores))).toEqual([Array.from(model.predictTokens(ids)), Array.from(model.predictTokens(ids.slice(0, 3)))]);
      expect(await errCode(anyone.predict(name, { vector: [1, 2] }))).toBe('wrong_kind');
      expect(await errCode(anyone.predict(name, { tokens: [1_000_000] }))).toBe('bad_token');
    }
  });

  it('loads a vocabulary table file (--vocab-table on) without decoding the vocabulary, predicting bit for bit like the engine in Node', async () => {
    const dir = sharedSpamModel() ? '../shared/models/spam-detection' : 'models/default';
    const tabled = convertFiles(`${dir}/model.json`, { quantize: 'int8', vocabTable: 'on' }).bytes;
    const plain = convertFiles(`${dir}/model.json`, { quantize: 'int8' }).bytes;
    const model = loadModel(tabled);
    expect(model.tokenizer!.wordTokens).toBe(true);
    const commitOf = async (name: string, file: Uint8Array): Promise<number> => {
      await uploadModel(admin, name, file);
      return Number(canister.messageLog.filter((m) => m.method === 'commit_upload').at(-1)!.instructions);
    };
    // twice each, the least of each: one commit of a few pays a collector pause (~9M) that is no work of its own
    const plainCommits = [await commitOf('vocab-plain', plain)];
    const tableCommits = [await commitOf('vocab-table', tabled), await commitOf('vocab-table-2', tabled)];
    plainCommits.push(await commitOf('vocab-plain-2', plain));
    const withTable = Math.min(...tableCommits);
    const without = Math.min(...plainCommits);
    // QuickJS's parseInt(word, 36) finds the same ids as Node's: the same scores as the engine here and as the plain file there
    for (const text of [...TEXTS, 'win a free iphone now click here to claim your prize 0800 information', "don't 007 x_y ABC zzzzzzzzzz"]) {
      const q = unwrap(await anyone.predict('vocab-table', { text: enc(text) }));
      const p = unwrap(await anyone.predict('vocab-plain', { text: enc(text) }));
      expect(Array.from(q.predictions[0].scores)).toEqual(Array.from(model.predictText(text)));
      expect(Array.from(q.predictions[0].scores)).toEqual(Array.from(p.predictions[0].scores));
    }
    console.log(`vocabulary table: commit ${withTable} vs ${without} without (${tabled.length} vs ${plain.length} bytes; least of two each)`);
    expect(withTable).toBeLessThan(without);
  });

  it('decodes a float16 file natively (Float16Array) at commit, bit for bit like the engine in Node, for a small fraction of the loop it replaces', async () => {
    const bytes = convertFiles('models/default/model.json', { quantize: 'float16' }).bytes;
    const f32 = convertFiles('models/default/model.json', { quantize: 'float32' }).bytes;
    const model = loadModel(bytes); // Node 20 has no Float16Array: the engine's own loop (float16ToFloat32)
    const commitOf = async (name: string, file: Uint8Array): Promise<number> => {
      await uploadModel(admin, name, file);
      const commit = canister.messageLog.filter((m) => m.method === 'commit_upload').at(-1);
      return Number(commit!.instructions);
    };
    const half = await commitOf('default-f16', bytes);
    const full = await commitOf('default-f32', f32);
    for (const text of TEXTS) {
      const q = unwrap(await anyone.predict('default-f16', { text: enc(text) }));
      expect(Array.from(q.predictions[0].scores)).toEqual(Array.from(model.predictText(text)));
    }
    // The loop cost ~6,300 instructions per value in the canister, the native conversion ~350.
    const values = (f32.length - bytes.length) / 2;
    console.log(`float16 commit ${half} vs float32 ${full}: ${((half - full) / values).toFixed(0)} instructions more per value`);
    expect((half - full) / values).toBeLessThan(1_000);
  });

  it('measures the hot paths', async () => {
    const name = models['spam-detection'] ? 'spam-detection' : 'default';
    await anyone.predict(name, { text: enc('check out my channel') });
    console.log(`${name}: Candid predict, short text: ${lastCall(anyone as never)!.instructions} instructions`);
    const info = unwrap(await anyone.model_info(name, []));
    const before = lastCall(anyone as never)!.instructions;
    expect(before).toBeGreaterThan(0n);
    expect(info.name).toBe(name);
  });

  it('refuses a pathological input with an error, far under the query limit, never a trap', async () => {
    const name = Object.keys(models)[0];
    const cases: [string, unknown][] = [
      ['300 KB without a separator', { text: enc('日'.repeat(100_000)) }],
      ['a batch of long words', { texts: Array.from({ length: 40 }, () => enc('x'.repeat(30_000))) }],
      ['too many token ids', { tokens: Array.from({ length: 100_000 }, () => 1) }],
      ['too many items', { texts: Array.from({ length: 65 }, () => enc('a')) }],
    ];
    for (const [what, input] of cases) {
      const r = await anyone.predict(name, input as never);
      expect(['too_large', 'bad_argument'], what).toContain('err' in r ? r.err.code : 'ok');
      expect(lastCall(anyone as never)!.instructions, what).toBeLessThan(1_000_000_000n);
    }
    // Separators only hold no words: read natively as the empty text (issue 10), answered, far under the limit.
    const r = await anyone.predict(name, { text: enc('!'.repeat(1_000_000)) });
    expect('ok' in r).toBe(true);
    expect(lastCall(anyone as never)!.instructions).toBeLessThan(1_000_000_000n);
  });

  it('refuses non-controllers on every admin method, with a clear error', async () => {
    const forbidden = 'forbidden';
    expect(await errCode(anyone.begin_upload('x', 10n, '0'.repeat(64)))).toBe(forbidden);
    expect(await errCode(anyone.append_chunk(1, 0n, new Uint8Array(4)))).toBe(forbidden);
    expect(await errCode(anyone.upload_status(1))).toBe(forbidden);
    expect(await errCode(anyone.commit_upload(1))).toBe(forbidden);
    expect(await errCode(anyone.abort_upload(1))).toBe(forbidden);
    expect(await errCode(anyone.activate('default', 1))).toBe(forbidden);
    expect(await errCode(anyone.delete_model('default', []))).toBe(forbidden);
    expect(await anyone.list_uploads()).toEqual([]);
    const r = await anyone.delete_model('default', []);
    expect('err' in r && r.err.message).toMatch(/controller/);
  });

  it('refuses every upload fault and leaves the active model unchanged', async () => {
    const before = await snapshot(admin);
    const bytes = models.default.bytes;
    const sha = sha256Hex(bytes);
    const begin = async (size = bytes.length, digest = sha) => unwrap(await admin.begin_upload('default', BigInt(size), digest)).upload_id;
    const id = await begin();
    const chunk = (from: number, to: number) => bytes.subarray(from, to);
    unwrap(await admin.append_chunk(id, 0n, chunk(0, 1000)));
    expect(await errCode(admin.append_chunk(id, 2000n, chunk(2000, 3000)))).toBe('conflict'); // gap
    expect(await errCode(admin.append_chunk(id, 500n, chunk(500, 1500)))).toBe('conflict'); // overlap
    expect(await errCode(admin.append_chunk(id, BigInt(bytes.length + 10), chunk(0, 10)))).toBe('conflict'); // past the end
    expect(await errCode(admin.append_chunk(id, 1000n, new Uint8Array(bytes.length)))).toBe('bad_request'); // chunk past the declared size
    expect(await errCode(admin.begin_upload('big', 128n * 1024n * 1024n + 1n, sha))).toBe('too_large'); // over 128 MiB
    expect(await errCode(admin.begin_upload('empty', 0n, sha))).toBe('bad_request'); // empty file
    expect(await errCode(admin.commit_upload(id))).toBe('conflict'); // incomplete
    expect(await errCode(admin.commit_upload(9999))).toBe('not_found'); // unknown upload id
    expect(await errCode(admin.append_chunk(9999, 0n, chunk(0, 10)))).toBe('not_found');
    // Abort mid-way.
    unwrap(await admin.abort_upload(id));
    expect(await errCode(admin.append_chunk(id, 1000n, chunk(1000, 2000)))).toBe('not_found');
    expect(await errCode(admin.commit_upload(id))).toBe('not_found');
    // A complete upload whose SHA-256 matches but that fails the engine's validation (not a model file).
    const bad = bytes.slice();
    bad[0] ^= 0xff;
    const badId = unwrap(await admin.begin_upload('default', BigInt(bad.length), sha256Hex(bad))).upload_id;
    unwrap(await admin.append_chunk(badId, 0n, bad));
    const c = await admin.commit_upload(badId);
    expect('err' in c && c.err.code).toBe('invalid_model');
    expect('err' in c && c.err.message).toMatch(/magic/i);
    unwrap(await admin.abort_upload(badId));
    // Chunk after commit, double commit.
    const okId = await begin();
    unwrap(await admin.append_chunk(okId, 0n, bytes));
    const committed = unwrap(await admin.commit_upload(okId));
    expect(committed.version).toBe(2);
    expect(await errCode(admin.append_chunk(okId, BigInt(bytes.length), chunk(0, 10)))).toBe('not_found');
    expect(await errCode(admin.commit_upload(okId))).toBe('not_found');
    // Back to version 1: everything as before.
    unwrap(await admin.activate('default', 1));
    unwrap(await admin.delete_model('default', [2]));
    const noTime = (x: Awaited<ReturnType<typeof snapshot>>) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'activated_at' ? undefined : typeof v === 'bigint' ? v.toString() : v)));
    expect(noTime(await snapshot(admin))).toEqual(noTime(before));
  });

  it('resumes an interrupted upload', async () => {
    const bytes = models.default.bytes;
    let stops = 0;
    await expect(
      uploadModel(admin, 'resumed', bytes, {
        chunkSize: 32 * 1024,
        afterChunk: (sent) => {
          if (sent >= 64 * 1024 && stops++ === 0) throw new Error('connection lost');
        },
      }),
    ).rejects.toThrow('connection lost');
    const r = await uploadModel(admin, 'resumed', bytes, { chunkSize: 32 * 1024 });
    expect(r.resumedFrom).toBe(64 * 1024);
    expect(r.model).toMatchObject({ name: 'resumed', version: 1, verified: true });
    const back = unwrap(await anyone.read_model('resumed', 1, 0n, bytes.length));
    expect(createHash('sha256').update(new Uint8Array(back)).digest('hex')).toBe(r.sha256);
  });

  it('never activates a SHA-256 mismatch; a match is verified at commit, and verify is cheap for anyone', async () => {
    const before = await snapshot(anyone);
    const bytes = models.default.bytes;
    const wrong = '0'.repeat(64);
    const id = unwrap(await admin.begin_upload('liar', BigInt(bytes.length), wrong)).upload_id;
    unwrap(await admin.append_chunk(id, 0n, bytes));
    const c = await admin.commit_upload(id);
    const actual = createHash('sha256').update(bytes).digest('hex');
    expect('err' in c && c.err.code).toBe('mismatch');
    expect('err' in c && c.err.message).toContain(actual);
    expect(await errCode(anyone.model_info('liar', []))).toBe('not_found');
    expect(await errCode(anyone.predict('liar', { text: enc('hello') }))).toBe('not_found');
    unwrap(await admin.abort_upload(id));
    expect(await snapshot(anyone)).toEqual(before);
    const v = unwrap(await anyone.verify('default', 1));
    expect(v).toMatchObject({ done: true, verified: true, computed_sha256: [actual] });
    console.log(`verify of a version checked at commit: ${lastCall(anyone as never)!.instructions} instructions`);
    expect(lastCall(anyone as never)!.instructions).toBeLessThan(20_000_000n);
  });

  it('keeps models, versions, predictions and an unfinished upload (with its hash) across three upgrades', async () => {
    const bytes = models.default.bytes;
    const id = unwrap(await admin.begin_upload('unfinished', BigInt(bytes.length), sha256Hex(bytes))).upload_id;
    unwrap(await admin.append_chunk(id, 0n, bytes.subarray(0, 1000)));
    const before = await snapshot(anyone);
    expect(before.list.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const r = await canister.upgrade(wasm);
      expect(r.status).toBe('replied');
      expect(await snapshot(anyone)).toEqual(before);
    }
    const resumed = await uploadModel(admin, 'unfinished', bytes);
    expect(resumed.resumedFrom).toBe(1000);
    expect(resumed.verify).toBeUndefined(); // checked at commit: no verify call
    expect(resumed.model).toMatchObject({ name: 'unfinished', version: 1, verified: true });
  });
});

export type { ModelInfo, UploadError };

// The lazy core (canister/index.ts): init close to an empty Azle canister's; the core is
// compiled by the first update (and kept), or by post_upgrade when something is stored.
describe('canister: lazy core', () => {
  it('inits within 1.05× an empty Azle canister, answers the empty lists without the core, loads it on the first update', async () => {
    const hello = await host.install((await buildAzleCanister('hello')).wasm);
    const fresh = await host.install(wasm);
    const ratio = Number(fresh.lastInitInstructions) / Number(hello.lastInitInstructions);
    console.log(`init: decentai ${fresh.lastInitInstructions}, hello ${hello.lastInitInstructions} (${ratio.toFixed(3)}×)`);
    expect(ratio).toBeLessThanOrEqual(1.05);
    const a = createActor<DecentAIService>(fresh, idlFactory, { caller: DEFAULT_CONTROLLER }) as unknown as Actor;
    expect(await a.list_models()).toEqual([]);
    expect(lastCall(a as never)!.instructions).toBeLessThan(1_000_000);
    expect(await a.model_versions('x')).toEqual([]);
    expect(await a.list_uploads()).toEqual([]);
    // A query that needs the core compiles it for that call only (its state is discarded).
    expect(await errCode(a.model_info('x', []))).toBe('not_found');
    expect(lastCall(a as never)!.instructions).toBeGreaterThan(50_000_000);
    expect(await errCode(a.model_info('x', []))).toBe('not_found');
    expect(lastCall(a as never)!.instructions).toBeGreaterThan(50_000_000);
    // An update loads it once and keeps it.
    const d = models.default.bytes;
    unwrap(await a.begin_upload('lazy', BigInt(d.length), sha256Hex(d)));
    expect(lastCall(a as never)!.instructions).toBeGreaterThan(50_000_000);
    expect((await a.list_uploads()).map((u) => u.name)).toEqual(['lazy']);
    expect(await errCode(a.model_info('x', []))).toBe('not_found');
    expect(lastCall(a as never)!.instructions).toBeLessThan(10_000_000);
    // An upgrade of a written registry loads it in post_upgrade; an untouched one does not.
    const up = await fresh.upgrade(wasm);
    expect(up.status).toBe('replied');
    expect((await a.list_uploads()).map((u) => u.name)).toEqual(['lazy']);
    const untouched = await host.install(wasm);
    const up2 = await untouched.upgrade(wasm);
    expect(Number(up2.instructions)).toBeLessThan(Number(up.instructions) - 50_000_000);
  });
});
