// An upgrade across releases: the canister built from an earlier commit of this repository
// (stable layout 1: every model record inside "registry", uploads without a SHA-256 state,
// versions verified only by `verify`) holds several models, versions and an unfinished
// upload; it is upgraded to this build. Afterwards everything answers as before, the old
// versions keep their `verified` state, and the upload resumes and commits verified.

import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { IDL } from '@dfinity/candid';
import { describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host } from '../host/index.ts';
import { REPO_ROOT } from '../host/instrument.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { sha256Hex, uploadModel } from '../client/upload.ts';
import { defaultModel } from '../scripts/lib/models.ts';
import { convertTfjsModel } from '../bench/lib/models.ts';

/** main before the lifecycle work of issues 9/10 (layout 1, no hash state, verify after commit). */
const EARLIER = '4274d55d1048421be091d3e4a39256f847d93771';
const enc = (s: string) => new TextEncoder().encode(s);

/** A worktree of EARLIER under .azle/ (ignored by git, kept between runs so its build is cached), or why there is none. */
function earlierWorktree(): string | string[] {
  const dir = join(REPO_ROOT, '.azle', `release-${EARLIER.slice(0, 12)}`);
  if (existsSync(join(dir, 'canister', 'index.ts'))) return dir;
  try {
    execFileSync('git', ['cat-file', '-e', `${EARLIER}^{commit}`], { cwd: REPO_ROOT, stdio: 'ignore' });
    execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, EARLIER], { cwd: REPO_ROOT, stdio: 'ignore' });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    return dir;
  } catch (e) {
    return [`commit ${EARLIER} is not available here (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`];
  }
}

const worktree = earlierWorktree();
if (Array.isArray(worktree)) console.log(`skipping the upgrade across releases: ${worktree[0]}`);

describe.skipIf(Array.isArray(worktree))('upgrade across releases', () => {
  it('a canister built at an earlier commit, with models, versions and an unfinished upload, upgrades with everything intact; the upload resumes', async () => {
    const dir = worktree as string;
    const old = await buildAzleCanister('decentai', { cwd: dir });
    const { wasm } = await buildAzleCanister('decentai');
    // The earlier build's own Candid types (its UploadStatus has no expires_at).
    const oldTypes = (await import(join(dir, 'canister', 'types.ts'))) as { idlFactory: IDL.InterfaceFactory };
    const host = await Host.create();
    const canister = await host.install(old.wasm);
    const before = createActor<DecentAIService>(canister, oldTypes.idlFactory, { caller: DEFAULT_CONTROLLER });
    const a = defaultModel().bytes;
    const b = convertTfjsModel(join(REPO_ROOT, 'models', 'default', 'model.json'), 'int8').bytes;
    await uploadModel(before, 'default', a); // verified by the old verify
    await uploadModel(before, 'default', b, { verify: false }); // v2, not verified
    await uploadModel(before, 'other', b, { verify: false });
    const unfinished = await before.begin_upload('later', BigInt(a.length), sha256Hex(a));
    if (!('ok' in unfinished)) throw new Error(JSON.stringify(unfinished));
    await before.append_chunk(unfinished.ok.upload_id, 0n, a.subarray(0, 50_000));
    const texts = ['check out my channel', 'I love this song', 'Subscribe for FREE iPhones!!!'];
    const answers = async (x: DecentAIService) => {
      const out = [];
      for (const name of ['default', 'other']) {
        const p = await x.predict(name, { texts: texts.map(enc) });
        if (!('ok' in p)) throw new Error(JSON.stringify(p));
        out.push(p.ok.predictions.map((q) => [q.label, Array.from(q.scores)]));
      }
      return out;
    };
    const versions = async (x: DecentAIService) =>
      [...(await x.model_versions('default')), ...(await x.model_versions('other'))].map((v) => ({ ...v, input_shape: Array.from(v.input_shape) }));
    const listBefore = await before.list_models();
    const versionsBefore = await versions(before);
    const answersBefore = await answers(before);
    expect(versionsBefore.map((v) => [v.name, v.version, v.active, v.verified])).toEqual([
      ['default', 1, false, true],
      ['default', 2, true, false],
      ['other', 1, true, false],
    ]);

    const up = await canister.upgrade(wasm);
    expect(up.status).toBe('replied');
    const after = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
    // The new build's records add fields (inputs, outputs): every field the earlier build answered is unchanged.
    const listAfter = await after.list_models();
    expect(listAfter).toMatchObject(listBefore);
    expect(listAfter.every((m) => m.inputs.length === 1 && m.outputs.length === 1)).toBe(true);
    expect(await versions(after)).toMatchObject(versionsBefore);
    expect(await answers(after)).toEqual(answersBefore);
    const open = await after.list_uploads();
    expect(open.map((u) => [u.name, u.received])).toEqual([['later', 50_000n]]);
    expect(open[0].expires_at).toBeGreaterThan(0n);
    // The unfinished upload resumes; the bytes stored before the upgrade are hashed as it goes on.
    const resumed = await uploadModel(after, 'later', a);
    expect(resumed.resumedFrom).toBe(50_000);
    expect(resumed.model).toMatchObject({ name: 'later', version: 1, verified: true, computed_sha256: [sha256Hex(a)] });
    // The old unverified version is hashed by verify (a controller), then verified.
    let v = await after.verify('other', 1);
    while ('ok' in v && !v.ok.done) v = await after.verify('other', 1);
    expect(v).toMatchObject({ ok: { done: true, verified: true } });
  });
});
