/**
 * Builds an Azle canister declared in dfx.json, offline, with `npx azle build`, and caches the
 * result: it rebuilds only when the canister's local source files (its import graph, found with
 * esbuild), its dfx.json entry or the azle version changed. Safe to call from parallel test workers.
 * Canisters with generated sources (the decentai canister's core, host/generate-core.ts) get
 * them generated first, so the hash covers what they generate from.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { generateCore } from './generate-core.ts';
import { REPO_ROOT } from './instrument.ts';

const execFileAsync = promisify(execFile);

export interface BuiltCanister {
  wasm: Uint8Array;
  candid: string;
  wasmPath: string;
}

interface DfxCanister {
  type?: string;
  main?: string;
  candid?: string;
}

function readDfxCanister(cwd: string, name: string): DfxCanister {
  const dfxPath = join(cwd, 'dfx.json');
  if (!existsSync(dfxPath)) throw new Error(`no dfx.json in ${cwd}`);
  const dfx = JSON.parse(readFileSync(dfxPath, 'utf8')) as { canisters?: Record<string, DfxCanister> };
  const entry = dfx.canisters?.[name];
  if (!entry) throw new Error(`canister "${name}" is not declared in ${dfxPath}`);
  if (entry.type !== 'azle' || !entry.main) throw new Error(`canister "${name}" in dfx.json must have type "azle" and a "main"`);
  return entry;
}

/** Source generators to run before a build, by the canister's main (dfx.json). */
const GENERATORS: Record<string, (cwd: string) => Promise<unknown>> = {
  // Another checkout (an earlier release, test/upgrade-across-releases.test.ts) generates with its own
  // generator: what it writes must match its own canister/index.ts.
  'canister/index.ts': (cwd) =>
    cwd === REPO_ROOT ? generateCore(cwd) : execFileAsync('npx', ['tsx', 'scripts/build-canister.ts', '--generate-only'], { cwd, maxBuffer: 16 * 1024 * 1024 }),
};

async function sourceFiles(cwd: string, main: string): Promise<string[]> {
  try {
    const result = await build({
      entryPoints: [resolve(cwd, main)],
      bundle: true,
      write: false,
      metafile: true,
      packages: 'external',
      platform: 'neutral',
      format: 'esm',
      logLevel: 'silent',
      absWorkingDir: cwd,
    });
    return Object.keys(result.metafile.inputs).map((f) => resolve(cwd, f)).sort();
  } catch {
    return [resolve(cwd, main)];
  }
}

async function buildHash(cwd: string, name: string, entry: DfxCanister): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ name, entry }));
  const azlePackage = join(cwd, 'node_modules', 'azle', 'package.json');
  hash.update(existsSync(azlePackage) ? (JSON.parse(readFileSync(azlePackage, 'utf8')) as { version: string }).version : 'no-azle');
  hash.update(readFileSync(join(cwd, 'scripts', 'azle-build.ts'))); // the build itself
  for (const file of await sourceFiles(cwd, entry.main ?? '')) {
    hash.update(file);
    hash.update(existsSync(file) ? readFileSync(file) : 'missing');
  }
  return hash.digest('hex');
}

async function withLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than 5 minutes belongs to a build that died.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 5 * 60_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        /* raced with its owner */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for build lock ${lockDir}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export async function buildAzleCanister(name: string, options: { cwd?: string } = {}): Promise<BuiltCanister> {
  const cwd = resolve(options.cwd ?? REPO_ROOT);
  const entry = readDfxCanister(cwd, name);
  const outDir = join(cwd, '.azle', name);
  const wasmPath = join(outDir, `${name}.wasm`);
  const candidPath = join(outDir, `${name}.did`);
  const stampPath = join(outDir, '.host-build-hash');
  mkdirSync(join(cwd, '.azle'), { recursive: true });

  return withLock(join(cwd, '.azle', `.${name}.host-build-lock`), async () => {
    await GENERATORS[entry.main!.replace(/^\.\//, '')]?.(cwd);
    const hash = await buildHash(cwd, name, entry);
    const fresh = existsSync(wasmPath) && existsSync(candidPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === hash;
    if (!fresh) {
      rmSync(stampPath, { force: true });
      try {
        // `azle build`, reproducibly (the same wasm in any folder): scripts/azle-build.ts.
        await execFileAsync('npx', ['tsx', 'scripts/azle-build.ts', name], {
          cwd,
          env: { ...process.env, CANISTER_CANDID_PATH: candidPath },
          maxBuffer: 64 * 1024 * 1024,
        });
      } catch (error) {
        const e = error as { stderr?: string; stdout?: string; message: string };
        const detail = (e.stderr || e.stdout || e.message).split('\n').filter((l) => l.trim() && !l.includes('npm warn')).slice(-15).join('\n');
        throw new Error(`azle build of canister "${name}" failed:\n${detail}`);
      }
      if (!existsSync(wasmPath)) throw new Error(`azle build of "${name}" produced no ${wasmPath}`);
      writeFileSync(stampPath, hash);
    }
    return { wasm: new Uint8Array(readFileSync(wasmPath)), candid: readFileSync(candidPath, 'utf8'), wasmPath };
  });
}
