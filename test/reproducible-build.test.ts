// Reproducible canister builds (issue 13): `npm run build:canister` in two copies of this
// checkout, in folders of different path lengths, built in parallel, gives the same wasm
// (sha256) as this checkout's build, and the same instructions for a fixed predict.

import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, lastCall } from '../host/index.ts';
import { REPO_ROOT } from '../host/instrument.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { defaultModel } from '../scripts/lib/models.ts';

const run = promisify(execFile);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const scratch = mkdtempSync(join(tmpdir(), 'decentai-repro-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of this checkout's files (tracked and new, as git sees them) at `dir`, sharing its installed node_modules. */
function copyCheckout(dir: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      cpSync(join(REPO_ROOT, f), join(dir, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted in the work tree, not yet committed
    }
  }
  // Hard links: a real node_modules folder of its own (as after `npm ci`), in no time; a symlink across file systems.
  try {
    execFileSync('cp', ['-al', join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules')]);
  } catch {
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
}

/** `npm run build:canister` in `dir`: the sha256 it prints and the wasm it wrote. */
async function buildIn(dir: string): Promise<{ printed: string; wasm: Uint8Array }> {
  const { stdout } = await run('npm', ['run', '--silent', 'build:canister'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  const printed = /^sha256 ([0-9a-f]{64})$/m.exec(stdout)?.[1];
  if (!printed) throw new Error(`build:canister printed no sha256 in ${dir}:\n${stdout}`);
  return { printed, wasm: new Uint8Array(readFileSync(join(dir, '.azle', 'decentai', 'decentai.wasm'))) };
}

/** Instructions of a fixed predict (the default model, one short text) on a fresh host. */
async function predictInstructions(wasm: Uint8Array): Promise<bigint> {
  const host = await Host.create();
  const canister = await host.install(wasm);
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  await uploadModel(admin, 'default', defaultModel().bytes);
  const reply = await admin.predict('default', { text: new TextEncoder().encode('check out my channel') });
  expect('ok' in reply).toBe(true);
  return lastCall(admin as never)!.instructions;
}

describe('reproducible canister build', () => {
  it('gives the same wasm and the same instructions in folders of different path lengths', async () => {
    const t0 = Date.now();
    const short = join(scratch, 'a');
    const long = join(scratch, 'a-much-longer-folder-name', 'nested', 'b');
    copyCheckout(short);
    copyCheckout(long);
    const [a, b, here] = await Promise.all([buildIn(short), buildIn(long), buildAzleCanister('decentai')]);
    expect(a.printed).toBe(sha256(a.wasm));
    expect(b.printed).toBe(sha256(b.wasm));
    expect(b.printed).toBe(a.printed);
    expect(sha256(here.wasm)).toBe(a.printed);
    // Nothing of either folder is in the wasm.
    for (const dir of [short, long, REPO_ROOT]) expect(Buffer.from(a.wasm).includes(dir)).toBe(false);
    const [ia, ib] = [await predictInstructions(a.wasm), await predictInstructions(b.wasm)];
    expect(ia).toBeGreaterThan(0n);
    expect(ib).toBe(ia);
    console.log(`reproducible build: sha256 ${a.printed}, predict ${ia} instructions in both, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 240_000);
});
