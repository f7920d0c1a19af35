// Models built over several messages (issue 9, canister/build.ts): the int8 Dense kernels'
// packing deferred at load (engine/deferred-packing.ts) and run a few steps per message, on the
// host's real Azle build with instruction metering. The canister's build budget is lowered
// (set_build_budget, kept in stable memory) so a small model needs many messages.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, type Canister } from '../host/index.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { uploadModel, sha256Hex } from '../client/upload.ts';
import { DeferredPacking, loadModel, type Model } from '../engine/index.ts';
import { convertFiles } from '../converter/files.ts';
import { writeDenseStackModel, writeRowsDenseModel } from '../bench/lib/synthetic.ts';
import { Principal } from '@dfinity/principal';
import { LIMITS, Registry } from '../canister/registry.ts';
import { prepare } from '../canister/wire.ts';
import { memoryMap, nodeActor } from './canister-helpers.ts';

const DIR = join('/tmp', `decentai-spread-${process.pid}`);
/** 256 → 128 on BigInt lanes (32,768 weights, ~190M instructions to pack), 128 → 24 on the packed kernel, 24 → 8 plain. */
const SIZES = [256, 128, 24, 8];
/** The lowest build budget the canister accepts: the lane packing needs ~20 messages. */
const BUDGET = 10_000_000;
const enc = (s: string) => new TextEncoder().encode(s);
const INPUTS = [0, 1, 2].map((s) => Float32Array.from({ length: SIZES[0] }, (_, i) => Math.sin(i * (0.3 + s) + s)));

let bytes: Uint8Array;
let reference: Model;

function ok<T>(r: { ok: T } | { err: { code: string; message: string } }): T {
  if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
  return r.ok;
}

beforeAll(async () => {
  bytes = convertFiles(await writeDenseStackModel(join(DIR, 'stack'), SIZES), { quantize: 'int8' }).bytes;
  reference = loadModel(bytes, { int8Kernel: 'plain' });
});

describe('engine: packing deferred and run in steps', () => {
  it('gives the same model, bit for bit, as packing at load (lanes and packed kernels)', () => {
    const packing = new DeferredPacking();
    const model = loadModel(bytes, { deferPacking: packing });
    expect(packing.jobs.map((j) => j.weights)).toEqual([256 * 128, 128 * 24]);
    expect(packing.done()).toBe(false);
    let steps = 0;
    while (!packing.run(() => ++steps % 7 === 0));
    expect(steps).toBeGreaterThan(100);
    expect(packing.weights()).toEqual({ packed: 256 * 128 + 128 * 24, total: 256 * 128 + 128 * 24 });
    const whole = loadModel(bytes);
    for (const input of INPUTS) {
      const expected = Array.from(reference.predictVector(input));
      expect(Array.from(model.predictVector(input))).toEqual(expected);
      expect(Array.from(whole.predictVector(input))).toEqual(expected);
    }
  });
});

describe('registry: a spread build whose trial prediction fails', () => {
  it('makes the previous version active again, which kept answering; nothing half-applied', async () => {
    // a counter that moves 1M a read: with a 10M budget, about ten packing steps a message
    let counter = 0n;
    let failTrial = false;
    const reg = new Registry(memoryMap(), memoryMap(), {
      now: () => 1_700_000_000_000_000_000n,
      prepare,
      instructions: () => (counter += 1_000_000n),
      buildBudget: BUDGET,
      loadModel: (b, o) => {
        const m = loadModel(b, o);
        if (failTrial) m.predictInputs = () => { throw new Error('no trial today'); };
        return m;
      },
    });
    const a = nodeActor(reg);
    const message = () => (counter = 0n);
    const commit = async () => {
      message();
      const id = ok(await a.begin_upload('stack', BigInt(bytes.length), sha256Hex(bytes))).upload_id;
      ok(await a.append_chunk(id, 0n, bytes));
      message();
      return ok(await a.commit_upload(id));
    };
    expect(await commit()).toMatchObject({ version: 1, active: true });
    expect(await a.predict_update('stack', { vector: Array.from(INPUTS[0]) })).toMatchObject({ err: { code: 'loading' } });
    let messages = 0;
    while (reg.loading().length > 0) {
      message();
      reg.loadNext();
      messages++;
    }
    expect(messages).toBeGreaterThan(20);
    expect(ok(await a.predict_update('stack', { vector: Array.from(INPUTS[0]) })).version).toBe(1);
    failTrial = true;
    expect(await commit()).toMatchObject({ version: 2, active: true });
    while (reg.loading().length > 0) {
      message();
      reg.loadNext();
      expect(ok(await a.predict_update('stack', { vector: Array.from(INPUTS[0]) })).version).toBe(1);
    }
    expect((await a.model_versions('stack')).map((v) => [v.version, v.active])).toEqual([[1, true], [2, false]]);
    expect(Array.from(ok(await a.predict_update('stack', { vector: Array.from(INPUTS[0]) })).predictions[0].scores)).toEqual(Array.from(reference.predictVector(INPUTS[0])));
  });
});

describe('registry: the heap a build would hold', () => {
  it('refuses at commit, before any packing, a model whose file and packed kernels pass the heap budget', async () => {
    const packing = new DeferredPacking();
    loadModel(bytes, { deferPacking: packing });
    const heap = bytes.length + packing.bytes();
    expect(packing.bytes()).toBeGreaterThan(4 * bytes.length); // lanes' text and BigInts, the packed kernel's float64 pairs
    const saved = LIMITS.maxHeapBytes;
    LIMITS.maxHeapBytes = heap - 1;
    try {
      const reg = new Registry(memoryMap(), memoryMap(), { now: () => 1_700_000_000_000_000_000n, prepare });
      const a = nodeActor(reg);
      const id = ok(await a.begin_upload('stack', BigInt(bytes.length), sha256Hex(bytes))).upload_id;
      ok(await a.append_chunk(id, 0n, bytes));
      const r = await a.commit_upload(id);
      expect(r).toMatchObject({ err: { code: 'too_large' } });
      expect('err' in r && r.err.message).toContain(`needs ${heap} bytes of heap (its file and packed int8 kernels)`);
      expect(await a.list_models()).toEqual([]);
      expect((await a.list_uploads()).map((u) => u.upload_id)).toEqual([id]);
      LIMITS.maxHeapBytes = heap;
      expect(ok(await a.commit_upload(id))).toMatchObject({ version: 1, active: true });
    } finally {
      LIMITS.maxHeapBytes = saved;
    }
  });
});

describe('canister: a build spread over messages', () => {
  let wasm: Uint8Array;
  let host: Host;
  let canister: Canister;
  let admin: DecentAIService;

  beforeAll(async () => {
    ({ wasm } = await buildAzleCanister('decentai'));
    host = await Host.create();
    canister = await host.install(wasm);
    admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  });

  const predictOnce = (name: string, input: Float32Array) => admin.predict_update(name, { vector: Array.from(input) });

  /** Advances the clock a second at a time until `name` answers; the timer messages that ran meanwhile. */
  async function untilReady(name: string): Promise<{ timers: bigint[]; loadingAnswers: number }> {
    const mark = canister.messageLog.at(-1); // the log keeps the last 1,000 messages
    let loadingAnswers = 0;
    for (let second = 0; second < 200; second++) {
      const r = await predictOnce(name, INPUTS[0]);
      if ('ok' in r) break;
      expect(r.err.code).toBe('loading');
      expect(r.err.message).toMatch(/being built over several messages \(\d+% of its 35840 int8 weights packed/);
      loadingAnswers++;
      await host.advanceTime(1_000_000_000n);
    }
    const timers = canister.messageLog.slice(mark === undefined ? 0 : canister.messageLog.lastIndexOf(mark) + 1).filter((m) => m.kind === 'update' && m.method.includes('timer_executor')).map((m) => m.instructions);
    console.log(`${name}: ${timers.length} timer messages (${timers.map((t) => (Number(t) / 1e6).toFixed(1)).join(', ')}M), ${loadingAnswers} loading answers`);
    return { timers, loadingAnswers };
  }

  /**
   * Each build message stops at the budget, one packing step (< 1M here) and Azle's timer
   * dispatch (~0.5M) past it; the first may also pay one-off work (a cycle collection, the digit
   * tables), the last runs the trial prediction (and makes the reply parts).
   */
  function expectBudgeted(timers: bigint[]): void {
    for (const t of timers.slice(0, -1)) expect(Number(t)).toBeLessThan(2 * BUDGET);
    expect(Number(timers.at(-1))).toBeLessThan(5 * BUDGET);
    const within = timers.filter((t) => Number(t) < BUDGET + 1_500_000).length;
    expect(within).toBeGreaterThanOrEqual(timers.length - 2);
  }

  async function expectReference(name: string): Promise<void> {
    for (const input of INPUTS) {
      const p = ok(await predictOnce(name, input));
      expect(Array.from(p.predictions[0].scores)).toEqual(Array.from(reference.predictVector(input)));
    }
  }

  it('only a controller sets the build budget, within its bounds', async () => {
    const stranger = createActor<DecentAIService>(canister, idlFactory, { caller: Principal.fromText('2vxsx-fae') });
    expect(await stranger.set_build_budget([BigInt(BUDGET)])).toMatchObject({ err: { code: 'forbidden' } });
    expect(await admin.set_build_budget([1000n])).toMatchObject({ err: { code: 'bad_request' } });
    expect(await admin.set_build_budget([50_000_000_000n])).toMatchObject({ err: { code: 'bad_request' } });
    ok(await admin.set_build_budget([BigInt(BUDGET)]));
  });

  it('commits, answers loading (REST 503 + Retry-After) until built, then predicts as the plain reference', async () => {
    const upload = await uploadModel(admin, 'stack', bytes);
    expect(upload.model).toMatchObject({ name: 'stack', version: 1, active: true });
    const r = await predictOnce('stack', INPUTS[0]);
    expect(r).toMatchObject({ err: { code: 'loading' } });
    const http = await admin.http_request({ method: 'POST', url: '/models/stack/predict', headers: [], body: enc(JSON.stringify({ vector: Array.from(INPUTS[0]) })), certificate_version: [] });
    expect(http.status_code).toBe(503);
    expect(http.headers).toContainEqual(['retry-after', '2']);
    const { timers, loadingAnswers } = await untilReady('stack');
    expect(loadingAnswers).toBeGreaterThan(3);
    expect(timers.length).toBeGreaterThan(5);
    expectBudgeted(timers);
    await expectReference('stack');
  });

  it('keeps answering with the active version while the next one is built', async () => {
    const id = ok(await admin.begin_upload('stack', BigInt(bytes.length), sha256Hex(bytes))).upload_id;
    ok(await admin.append_chunk(id, 0n, bytes));
    expect(ok(await admin.commit_upload(id))).toMatchObject({ version: 2, active: true });
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(1);
    await host.advanceTime(1_000_000_000n);
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(1);
    for (let second = 0; second < 200 && ok(await predictOnce('stack', INPUTS[0])).version === 1; second++) await host.advanceTime(1_000_000_000n);
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(2);
    await expectReference('stack');
  });

  it('rebuilds over several messages after an upgrade (the budget kept in stable memory)', async () => {
    const result = await canister.upgrade(wasm);
    expect(result.status).toBe('replied');
    expect(await predictOnce('stack', INPUTS[0])).toMatchObject({ err: { code: 'loading' } });
    const { timers, loadingAnswers } = await untilReady('stack');
    expect(loadingAnswers).toBeGreaterThan(3);
    expect(timers.length).toBeGreaterThan(5);
    expectBudgeted(timers);
    await expectReference('stack');
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(2);
  });

  it('an upgrade in the middle of a build starts it again after the upgrade, and it finishes', async () => {
    const id = ok(await admin.begin_upload('stack', BigInt(bytes.length), sha256Hex(bytes))).upload_id;
    ok(await admin.append_chunk(id, 0n, bytes));
    expect(ok(await admin.commit_upload(id))).toMatchObject({ version: 3, active: true });
    await host.advanceTime(3_000_000_000n);
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(2);
    expect((await canister.upgrade(wasm)).status).toBe('replied');
    // the heap's build is gone: the active version (3) is built anew by the upgrade's timers
    const { timers } = await untilReady('stack');
    expect(timers.length).toBeGreaterThan(5);
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(3);
    await expectReference('stack');
  });

  it('activate builds the same way: the loaded version answers until the activated one is built', async () => {
    expect(ok(await admin.activate('stack', 1))).toMatchObject({ version: 1, active: true });
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(3);
    let seconds = 0;
    while (seconds < 200 && ok(await predictOnce('stack', INPUTS[0])).version === 3) {
      await host.advanceTime(1_000_000_000n);
      seconds++;
    }
    expect(seconds).toBeGreaterThan(3);
    expect(ok(await predictOnce('stack', INPUTS[0])).version).toBe(1);
    await expectReference('stack');
  });

  it('refuses at commit, with the reason and before any packing, a model no update could predict', async () => {
    // 4,000 rows × 256 × 400: 410M int8 multiply-adds, ≥ 41B instructions at the kernels' floor
    const heavy = convertFiles(await writeRowsDenseModel(join(DIR, 'heavy'), 4000, 256, 400), { quantize: 'int8' }).bytes;
    const before = await admin.list_models();
    const id = ok(await admin.begin_upload('heavy', BigInt(heavy.length), sha256Hex(heavy))).upload_id;
    for (let at = 0; at < heavy.length; at += 1 << 20) ok(await admin.append_chunk(id, BigInt(at), heavy.subarray(at, at + (1 << 20))));
    const r = await admin.commit_upload(id);
    expect(r).toMatchObject({ err: { code: 'too_heavy' } });
    expect('err' in r && r.err.message).toMatch(/one prediction would take at least 41\.\dB instructions .*over the 39B an update may use/);
    expect(Number(canister.messageLog.at(-1)!.instructions)).toBeLessThan(1_000_000_000);
    expect(await admin.list_models()).toEqual(before);
    expect(await predictOnce('heavy', INPUTS[0])).toMatchObject({ err: { code: 'not_found' } });
    ok(await admin.abort_upload(id));
  });
});
