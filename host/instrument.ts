/**
 * Turns a canister wasm into the module the host runs: `ic-wasm instrument` for IC-style
 * instruction counts, then the host's own rewrite (see wasm-rewrite.ts). Results are cached on
 * disk by content hash (ic-wasm takes a few hundred ms; the rewrite about as long) and the compiled
 * WebAssembly.Module is cached in memory.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wasm, type WasmModule } from './wasm-api.ts';
import { countGlobals, rewriteInstrumentedWasm, type RewriteResult } from './wasm-rewrite.ts';

/** Bump when the rewrite changes, so stale cache entries are not reused. */
const REWRITE_VERSION = 3;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_DIR = join(REPO_ROOT, '.cache', 'host');

export interface PreparedModule {
  module: WasmModule;
  meta: Omit<RewriteResult, 'wasm'>;
  hash: string;
}

const compiled = new Map<string, PreparedModule>();

export function icWasmPath(): string {
  const require = createRequire(import.meta.url);
  try {
    const pkg = require.resolve('@icp-sdk/ic-wasm-linux-x64/package.json');
    const bin = join(dirname(pkg), 'bin', 'ic-wasm');
    if (existsSync(bin)) return bin;
  } catch {
    /* fall through */
  }
  throw new Error('ic-wasm not found: expected the @icp-sdk/ic-wasm-linux-x64 package in node_modules (run npm install)');
}

function icWasmVersion(): string {
  return execFileSync(icWasmPath(), ['--version'], { encoding: 'utf8' }).trim();
}

let cachedIcWasmVersion: string | undefined;

function runIcWasmInstrument(wasm: Uint8Array): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'host-instrument-'));
  try {
    const input = join(dir, 'in.wasm');
    const output = join(dir, 'out.wasm');
    writeFileSync(input, wasm);
    // --heap-trace keeps ic-wasm's trace out of stable memory (which Azle owns); its memory
    // maximum is dropped by the rewrite, and tracing is switched off by the host after init.
    execFileSync(icWasmPath(), [input, '-o', output, 'instrument', '--heap-trace'], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(output);
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ic-wasm instrument failed${stderr ? `: ${stderr.split('\n')[0]}` : ''}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Keeps the newest cached modules only: every rebuild of a canister adds one. */
const CACHE_KEEP = 16;
function pruneCache(): void {
  const wasmFiles = readdirSync(CACHE_DIR)
    .filter((f) => f.endsWith('.wasm'))
    .map((f) => ({ f, mtime: statSync(join(CACHE_DIR, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { f } of wasmFiles.slice(CACHE_KEEP)) {
    rmSync(join(CACHE_DIR, f), { force: true });
    rmSync(join(CACHE_DIR, f.replace(/\.wasm$/, '.json')), { force: true });
  }
}

export function prepareModule(wasm: Uint8Array, instrument: boolean): PreparedModule {
  cachedIcWasmVersion ??= instrument ? icWasmVersion() : 'none';
  const hash = createHash('sha256')
    .update(wasm)
    .update(`|${instrument ? cachedIcWasmVersion : 'plain'}|rewrite-v${REWRITE_VERSION}`)
    .digest('hex');
  const hit = compiled.get(hash);
  if (hit) return hit;

  const wasmFile = join(CACHE_DIR, `${hash}.wasm`);
  const metaFile = join(CACHE_DIR, `${hash}.json`);
  let cached: { bytes: Uint8Array; meta: Omit<RewriteResult, 'wasm'> } | undefined;
  try {
    if (existsSync(wasmFile) && existsSync(metaFile)) {
      cached = { bytes: readFileSync(wasmFile), meta: JSON.parse(readFileSync(metaFile, 'utf8')) as Omit<RewriteResult, 'wasm'> };
    }
  } catch {
    cached = undefined; // pruned or half-written by another process: rebuild
  }
  let bytes: Uint8Array;
  let meta: Omit<RewriteResult, 'wasm'>;
  if (cached) {
    ({ bytes, meta } = cached);
  } else {
    const instrumented = instrument ? runIcWasmInstrument(wasm) : wasm;
    const { wasm: rewritten, ...rest } = rewriteInstrumentedWasm(instrumented, {
      originalGlobalCount: countGlobals(wasm),
      instrumented: instrument,
    });
    bytes = rewritten;
    meta = rest;
    try {
      mkdirSync(CACHE_DIR, { recursive: true });
      const tmp = `${wasmFile}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, wasmFile);
      const tmpMeta = `${metaFile}.${process.pid}.tmp`;
      writeFileSync(tmpMeta, JSON.stringify(meta));
      renameSync(tmpMeta, metaFile);
      pruneCache();
    } catch {
      /* the cache is an optimisation only */
    }
  }
  const prepared: PreparedModule = { module: new Wasm.Module(bytes), meta, hash };
  compiled.set(hash, prepared);
  return prepared;
}
