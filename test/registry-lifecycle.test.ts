// The registry's model lifecycle in Node (no wasm): SHA-256 kept between appends and across a
// reload (an upgrade), nothing activated unless its bytes match the declared SHA-256, uploads
// and versions left by an earlier build (no hash state) finished by slices.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { estimateMultiplyAdds, estimatePredictInstructions, LIMITS, QUERY_INSTRUCTION_LIMIT, QUERY_MARGIN, QUERY_PREDICT_BUDGET, QUERY_RESERVE, Registry } from '../canister/registry.ts';
import { prepare } from '../canister/wire.ts';
import { loadModel } from '../engine/index.ts';
import { defaultModel } from '../scripts/lib/models.ts';
import { memoryMap, newRegistry, nodeActor } from './canister-helpers.ts';

const bytes = defaultModel().bytes;
const digest = createHash('sha256').update(bytes).digest('hex');
const enc = (s: string) => new TextEncoder().encode(s);

function ok<T>(r: { ok: T } | { err: { code: string; message: string } }): T {
  if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
  return r.ok;
}

/** Rewrites stored JSON records the way an earlier build wrote them (`edit` changes the parsed record). */
function rewrite(meta: ReturnType<typeof newRegistry>['meta'], key: string, edit: (record: Record<string, unknown>) => void): void {
  const k = enc(key);
  const record = JSON.parse(new TextDecoder().decode(meta.get(k)!)) as Record<string, unknown>;
  edit(record);
  meta.insert(k, enc(JSON.stringify(record)));
}

async function withSlice<T>(bytesPerCall: number, f: () => Promise<T>): Promise<T> {
  const saved = LIMITS.hashSliceBytes;
  LIMITS.hashSliceBytes = bytesPerCall;
  try {
    return await f();
  } finally {
    LIMITS.hashSliceBytes = saved;
  }
}

describe('registry: verify before activate', () => {
  it('hashes chunks of any size as they arrive, keeps the state across a reload, and commits verified with no extra call', async () => {
    const { reg, reopen } = newRegistry();
    let current = reg;
    let a = nodeActor(reg);
    const id = ok(await a.begin_upload('m', BigInt(bytes.length), digest)).upload_id;
    const cuts = [0, 1, 63, 64, 200, 4_097, 50_000, bytes.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      if (i === 4) {
        current = reopen();
        current.restore(); // an upgrade mid-upload: the hash state is read back from stable memory
        a = nodeActor(current);
      }
      ok(await a.append_chunk(id, BigInt(cuts[i]), bytes.subarray(cuts[i], cuts[i + 1])));
    }
    const info = ok(await a.commit_upload(id));
    expect(info).toMatchObject({ name: 'm', version: 1, active: true, verified: true, computed_sha256: [digest] });
    const p = ok(await a.predict('m', { text: enc('check out my channel') }));
    expect(Array.from(p.predictions[0].scores)).toEqual(Array.from(loadModel(bytes).predictText('check out my channel')));
    // verify answers the check made at commit, for anyone, without hashing again
    expect(ok(await nodeActor(current, { controller: false }).verify('m', 1))).toMatchObject({ done: true, verified: true, computed_sha256: [digest] });
  });

  it('finishes the SHA-256 in the append that brings the last byte, so commit only compares (issue 9)', async () => {
    const { reg, meta, reopen } = newRegistry();
    const a = nodeActor(reg);
    const id = ok(await a.begin_upload('m', BigInt(bytes.length), digest)).upload_id;
    const record = () => JSON.parse(new TextDecoder().decode(meta.get(new TextEncoder().encode(`upload/${id}`))!)) as { digest?: string };
    // a last chunk shorter than the tail after the last whole block: the tail is read from two chunks
    const cut = bytes.length - (bytes.length & 63) - 5;
    ok(await a.append_chunk(id, 0n, bytes.subarray(0, cut)));
    expect(record().digest).toBeUndefined();
    ok(await a.append_chunk(id, BigInt(cut), bytes.subarray(cut)));
    expect(record().digest).toBe(createHash('sha256').update(bytes).digest('hex'));
    // kept in stable memory across an upgrade; commit compares it with the declared digest
    const after = reopen();
    after.restore();
    expect(ok(await nodeActor(after).commit_upload(id))).toMatchObject({ verified: true, computed_sha256: [digest] });
    // the stored digest is what commit compares: one that disagrees with the declared digest is refused
    const second = newRegistry();
    const b = nodeActor(second.reg);
    const id2 = ok(await b.begin_upload('m', BigInt(bytes.length), digest)).upload_id;
    ok(await b.append_chunk(id2, 0n, bytes));
    rewrite(second.meta, `upload/${id2}`, (u) => (u.digest = '1'.repeat(64)));
    const reopened = second.reopen();
    reopened.restore();
    const refused = await nodeActor(reopened).commit_upload(id2);
    expect(refused).toMatchObject({ err: { code: 'mismatch' } });
    expect('err' in refused && refused.err.message).toContain('1'.repeat(64));
  });

  it('never activates bytes that do not match the declared SHA-256', async () => {
    const { reg, chunks } = newRegistry();
    const a = nodeActor(reg);
    const good = ok(await a.begin_upload('m', BigInt(bytes.length), digest)).upload_id;
    ok(await a.append_chunk(good, 0n, bytes));
    ok(await a.commit_upload(good));
    const before = await a.list_models();
    // Right size, wrong declared digest: the file itself is a valid model.
    const wrong = '0'.repeat(64);
    const id = ok(await a.begin_upload('m', BigInt(bytes.length), wrong)).upload_id;
    ok(await a.append_chunk(id, 0n, bytes));
    const r = await a.commit_upload(id);
    expect(r).toMatchObject({ err: { code: 'mismatch' } });
    expect('err' in r && r.err.message).toContain(digest);
    // One byte changed in transit, declared digest of the original.
    const flipped = bytes.slice();
    flipped[bytes.length >> 1] ^= 1;
    const id2 = ok(await a.begin_upload('other', BigInt(bytes.length), digest)).upload_id;
    ok(await a.append_chunk(id2, 0n, flipped));
    expect(await a.commit_upload(id2)).toMatchObject({ err: { code: 'mismatch' } });
    expect(await a.list_models()).toEqual(before);
    expect(await a.model_versions('m')).toHaveLength(1);
    expect(await a.model_info('other', [])).toMatchObject({ err: { code: 'not_found' } });
    // The refused uploads stay until aborted, which frees their chunks.
    expect((await a.list_uploads()).map((u) => u.upload_id)).toEqual([id, id2]);
    const stored = chunks.size();
    ok(await a.abort_upload(id));
    ok(await a.abort_upload(id2));
    expect(chunks.size()).toBe(stored - 2);
  });

  it('an upload begun by an earlier build (no hash state) resumes; commit answers pending until its bytes are hashed', async () => {
    await withSlice(16 * 1024, async () => {
      const { reg, meta, reopen } = newRegistry();
      const a = nodeActor(reg);
      const id = ok(await a.begin_upload('m', BigInt(bytes.length), digest)).upload_id;
      ok(await a.append_chunk(id, 0n, bytes.subarray(0, 70_000)));
      rewrite(meta, `upload/${id}`, (u) => delete u.hash);
      const again = reopen();
      again.restore();
      const b = nodeActor(again);
      ok(await b.append_chunk(id, 70_000n, bytes.subarray(70_000)));
      let calls = 0;
      let r = await b.commit_upload(id);
      while ('err' in r && r.err.code === 'pending') {
        expect(r.err.message).toMatch(/call commit_upload again/);
        calls++;
        r = await b.commit_upload(id);
      }
      expect(calls).toBeGreaterThan(0);
      expect(ok(r)).toMatchObject({ verified: true, computed_sha256: [digest] });
    });
  });

  it('a version committed by an earlier build (unverified) is hashed by verify for controllers only', async () => {
    const { reg, meta, reopen } = newRegistry();
    const a = nodeActor(reg);
    const id = ok(await a.begin_upload('m', BigInt(bytes.length), digest)).upload_id;
    ok(await a.append_chunk(id, 0n, bytes));
    ok(await a.commit_upload(id));
    rewrite(meta, 'model/m', (m) => {
      const v = (m.versions as Record<string, unknown>[])[0];
      v.verified = false;
      v.computedSha256 = null;
    });
    const again = reopen();
    again.restore();
    expect(await nodeActor(again, { controller: false }).verify('m', 1)).toMatchObject({ err: { code: 'forbidden' } });
    const admin = nodeActor(again);
    let v = ok(await admin.verify('m', 1));
    while (!v.done) v = ok(await admin.verify('m', 1));
    expect(v).toMatchObject({ verified: true, computed_sha256: [digest] });
    expect(ok(await nodeActor(again, { controller: false }).verify('m', 1))).toMatchObject({ done: true, verified: true });
  });
});

describe('registry: restore without loading, layouts', () => {
  async function stored(names: string[]) {
    const r = newRegistry();
    const a = nodeActor(r.reg);
    for (const name of names) {
      const id = ok(await a.begin_upload(name, BigInt(bytes.length), digest)).upload_id;
      ok(await a.append_chunk(id, 0n, bytes));
      ok(await a.commit_upload(id));
    }
    return r;
  }

  it('restore loads nothing; each model answers loading (REST 503 + Retry-After) until loadNext loads it, one per call', async () => {
    const { reopen } = await stored(['a', 'b', 'c']);
    const loads: number[] = [];
    const again = reopen();
    again.restore();
    expect(again.loading()).toEqual(['a', 'b', 'c']);
    const a = nodeActor(again);
    expect((await a.list_models()).map((m) => [m.name, m.active])).toEqual([['a', true], ['b', true], ['c', true]]);
    const r = await a.predict('b', { text: enc('hello') });
    expect(r).toMatchObject({ err: { code: 'loading' } });
    const http = await a.http_request({ method: 'POST', url: '/models/b/predict', headers: [], body: enc('{"text":"hello"}'), certificate_version: [] });
    expect(http.status_code).toBe(503);
    expect(http.headers).toContainEqual(['retry-after', '2']);
    expect(JSON.parse(new TextDecoder().decode(new Uint8Array(http.body))).error.code).toBe('loading');
    while (again.loadNext()) loads.push(again.loading().length);
    expect(loads).toEqual([2, 1]);
    expect(ok(await a.predict('b', { text: enc('hello') })).predictions).toHaveLength(1);
  });

  it('reads layout 1 (every record in "registry") and rewrites it as layout 2; refuses a newer layout', async () => {
    const { meta, reopen } = await stored(['a', 'b']);
    // What an earlier build wrote: the model records inside the index, no per-model keys.
    const models = ['a', 'b'].map((n) => JSON.parse(new TextDecoder().decode(meta.get(enc(`model/${n}`))!)));
    rewrite(meta, 'registry', (s) => {
      delete s.layout;
      s.models = models;
    });
    for (const n of ['a', 'b']) meta.remove(enc(`model/${n}`));
    const again = reopen();
    again.restore();
    while (again.loadNext());
    expect((await nodeActor(again).list_models()).map((m) => m.name)).toEqual(['a', 'b']);
    expect(JSON.parse(new TextDecoder().decode(meta.get(enc('registry'))!))).toMatchObject({ layout: 2, models: ['a', 'b'] });
    expect(meta.get(enc('model/a'))).toBeDefined();
    rewrite(meta, 'registry', (s) => void (s.layout = 99));
    expect(() => reopen().restore()).toThrow(/layout 99, newer than this build's 2/);
  });
});

describe('registry: uploads expire', () => {
  it('an upload idle for 24 h of canister time is freed (chunks and record); a chunk or a resumed begin keeps it alive', async () => {
    let now = 1_700_000_000_000_000_000n;
    const hour = 3_600_000_000_000n;
    const { reg, chunks } = newRegistry(() => now);
    const a = nodeActor(reg);
    const idle = ok(await a.begin_upload('idle', BigInt(bytes.length), digest));
    expect(idle.expires_at).toBe(now + 24n * hour);
    ok(await a.append_chunk(idle.upload_id, 0n, bytes.subarray(0, 1000)));
    const busy = ok(await a.begin_upload('busy', BigInt(bytes.length), digest)).upload_id;
    now += 20n * hour;
    ok(await a.append_chunk(busy, 0n, bytes.subarray(0, 1000)));
    now += 5n * hour; // idle: 25 h since its last chunk; busy: 5 h
    expect((await a.list_uploads()).map((u) => u.name)).toEqual(['busy']);
    expect(chunks.size()).toBe(1);
    const gone = await a.append_chunk(idle.upload_id, 1000n, bytes.subarray(1000, 2000));
    expect(gone).toMatchObject({ err: { code: 'not_found' } });
    expect('err' in gone && gone.err.message).toMatch(/expire/);
    now += 18n * hour; // busy: 23 h since its last chunk
    expect(ok(await a.begin_upload('busy', BigInt(bytes.length), digest))).toMatchObject({ upload_id: busy, received: 1000n, expires_at: now + 24n * hour });
    expect(reg.secondsToNextExpiry()).toBe(24 * 3600);
  });
});

/**
 * A registry whose every prediction advances its instruction counter by `each` (as a model that
 * heavy would), with the default model committed under `name`.
 */
async function committedCosting(name: string, each: bigint): Promise<{ reg: Registry; a: ReturnType<typeof nodeActor> }> {
  let counter = 0n;
  const reg = new Registry(memoryMap(), memoryMap(), {
    now: () => 1n,
    prepare,
    instructions: () => counter,
    loadModel: (b, o) => {
      const m = loadModel(b, o);
      const run = m.predictInputs.bind(m);
      m.predictInputs = (inputs) => ((counter += each), run(inputs));
      return m;
    },
  });
  const a = nodeActor(reg);
  const id = ok(await a.begin_upload(name, BigInt(bytes.length), digest)).upload_id;
  ok(await a.append_chunk(id, 0n, bytes));
  ok(await a.commit_upload(id));
  return { reg, a };
}

describe('registry: every committed model can answer', () => {
  it('commit measures one prediction; a model over the query budget answers too_heavy to a query, and predict_update / REST (upgraded) answer it', async () => {
    // The counter jumps by 4.8B during a prediction: as a model heavier than a query may run
    // (4.8B × (1 + QUERY_MARGIN) + QUERY_RESERVE passes the 5B query limit).
    const { reg, a } = await committedCosting('heavy', 4_800_000_000n);
    expect(reg.version('heavy')).toMatchObject({ predictInstructions: 4_800_000_000, fitsQuery: false });
    const q = await a.predict('heavy', { text: enc('check out my channel') });
    expect(q).toMatchObject({ err: { code: 'too_heavy' } });
    expect('err' in q && q.err.message).toMatch(/predict_update/);
    expect(ok(await a.predict_update('heavy', { text: enc('check out my channel') })).predictions).toHaveLength(1);
    const req = { method: 'POST', url: '/models/heavy/predict', headers: [], body: enc('{"text":"hello"}'), certificate_version: [] as [] };
    expect((await a.http_request(req)).upgrade).toEqual([true]);
    const u = await a.http_request_update(req);
    expect(u.status_code).toBe(200);
  });

  it('a prediction measured under the query budget answers queries: 4.6B × (1 + margin) + reserve ≤ 5B', async () => {
    expect(QUERY_PREDICT_BUDGET).toBe(Math.floor((QUERY_INSTRUCTION_LIMIT - QUERY_RESERVE) / (1 + QUERY_MARGIN)));
    expect(QUERY_PREDICT_BUDGET * (1 + QUERY_MARGIN) + QUERY_RESERVE).toBeLessThanOrEqual(5_000_000_000);
    const { reg, a } = await committedCosting('near', 4_600_000_000n);
    expect(reg.version('near')).toMatchObject({ predictInstructions: 4_600_000_000, fitsQuery: true });
    expect(ok(await a.predict('near', { text: enc('check out my channel') })).predictions).toHaveLength(1);
  });

  it('a query batch whose items together would pass the query budget answers too_heavy (REST: upgraded), before it runs', async () => {
    const { reg, a } = await committedCosting('b', 1_000_000_000n);
    expect(reg.version('b')).toMatchObject({ predictInstructions: 1_000_000_000, fitsQuery: true });
    const texts = (n: number) => ({ texts: Array.from({ length: n }, () => enc('check out my channel')) });
    // 4 × 1B fits the ~4.71B budget, 5 × 1B does not
    expect(ok(await a.predict('b', texts(4))).predictions).toHaveLength(4);
    const q = await a.predict('b', texts(5));
    expect(q).toMatchObject({ err: { code: 'too_heavy' } });
    expect('err' in q && q.err.message).toMatch(/batch of 5 .*at most 4 per query.*predict_update/);
    expect(ok(await a.predict_update('b', texts(5))).predictions).toHaveLength(5);
    const body = enc(JSON.stringify({ texts: Array.from({ length: 5 }, () => 'check out my channel') }));
    const req = { method: 'POST', url: '/models/b/predict', headers: [], body, certificate_version: [] as [] };
    expect((await a.http_request(req)).upgrade).toEqual([true]);
    expect((await a.http_request_update(req)).status_code).toBe(200);
  });

  it('refuses at commit a model whose trial prediction would pass the commit message\'s 40B after its load', async () => {
    let counter = 0n;
    const reg = new Registry(memoryMap(), memoryMap(), {
      now: () => 1n,
      instructions: () => counter,
      // a load that took all but 10K of the 40B (as packing a huge layer would): no room left for the trial
      loadModel: (b, o) => ((counter += 39_999_990_000n), loadModel(b, o)),
    });
    const a = nodeActor(reg);
    const id = ok(await a.begin_upload('late', BigInt(bytes.length), digest)).upload_id;
    ok(await a.append_chunk(id, 0n, bytes));
    const c = await a.commit_upload(id);
    expect(c).toMatchObject({ err: { code: 'too_heavy' } });
    expect('err' in c && c.err.message).toMatch(/cannot measure it within the 40B/);
    expect(await a.list_models()).toEqual([]);
  });

  it('refuses at commit a model whose estimated prediction cannot fit even an update', async () => {
    const { reg } = newRegistry();
    const spam = loadModel(bytes);
    expect(estimateMultiplyAdds(spam)).toBeGreaterThan(0);
    // float32 weights at the float floor (1,000 per multiply-add), not the int8 one
    expect(estimatePredictInstructions(spam)).toBe(estimateMultiplyAdds(spam) * 1_000);
    const heavy = new Registry(memoryMap(), memoryMap(), {
      now: () => 1n,
      loadModel: (b, o) => {
        const m = loadModel(b, o);
        // Layers as a 1024×1024 convolution over 64→64 channels would report them.
        Object.defineProperty(m, 'layers', { value: [{ name: 'c', kind: 'conv2d', activation: 'linear', outputShape: [1024, 1024, 64], parameters: 36_928 }] });
        return m;
      },
    });
    for (const r of [reg, heavy]) {
      const a = nodeActor(r);
      const id = ok(await a.begin_upload('m', BigInt(bytes.length), digest)).upload_id;
      ok(await a.append_chunk(id, 0n, bytes));
      const c = await a.commit_upload(id);
      if (r === reg) expect('ok' in c).toBe(true);
      else {
        expect(c).toMatchObject({ err: { code: 'too_heavy' } });
        expect('err' in c && c.err.message).toMatch(/update may use/);
        expect(await a.list_models()).toEqual([]);
      }
    }
  });
});
