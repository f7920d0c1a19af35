/**
 * `azle build NAME`, reproducibly: the same commit gives the same wasm in any folder, for any user.
 *
 * This is Azle 0.33's own build command (node_modules/azle/src/stable/build/commands/build/index.ts,
 * runCommand), calling its own steps, with one difference: the "wasm data" Azle embeds beside the
 * JavaScript (a passive data segment, read at init) is canonical. Azle writes there the absolute path
 * of .azle/NAME/main.js (only the name QuickJS gives the module, seen in stack traces) and the values
 * of AZLE_LOG_ACTIONS, AZLE_RECORD_ACTIONS and AZLE_RECORD_BENCHMARKS when they are set in the
 * environment; so the same commit built in three folders gave three wasm files. Here the module name
 * is the path relative to the project (`.azle/NAME/main.js`) and only AZLE_VERSION is embedded.
 * One addition: a canister may carry generated text files in that wasm data as environment variables
 * (EMBEDDED_FILES), which Azle gives to JavaScript as process.env at init, copied natively; the
 * decentai canister's core travels so (host/generate-core.ts), instead of a string literal QuickJS
 * would parse at every init and post_upgrade.
 * The rest is already independent of the folder: esbuild names inputs relative to the working
 * directory (the project root), and the template comes from the npm package (see templateSha256).
 *
 *   tsx scripts/azle-build.ts NAME        # → .azle/NAME/NAME.wasm, NAME.did, main.js
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { CORE_ENV, CORE_SOURCE } from '../host/generate-core.ts';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..');
/** Generated text files embedded as environment variables of the wasm data, by the canister's main (dfx.json): [variable, file]. */
const EMBEDDED_FILES: Record<string, [string, string][]> = {
  'canister/index.ts': [[CORE_ENV, CORE_SOURCE]],
};
const AZLE = join(REPO, 'node_modules', 'azle');
const TEMPLATE = join(AZLE, 'dist', 'canister_templates', 'stable.wasm');
/** The Azle release this driver mirrors: another one may build differently, so it is refused. */
const AZLE_VERSION = '0.33.0';

/** The sha256 of Azle's prebuilt canister template (from the npm package; not rebuilt here). */
export function templateSha256(): string {
  return createHash('sha256').update(readFileSync(TEMPLATE)).digest('hex');
}

interface AzleSteps {
  compile: (main: string) => Promise<string>;
  getCandidAndMethodMeta: (gen: string | undefined, candidPath: string, js: string, io: 'pipe', data: WasmData) => Promise<{ candid: string; methodMeta: unknown }>;
  getWasmBinary: (io: 'pipe', js: string, data: WasmData, methodMeta?: unknown) => Promise<Uint8Array>;
}
interface WasmData {
  envVars: [string, string][];
  mainJsPath: string;
}

async function azleSteps(): Promise<AzleSteps> {
  const version = (JSON.parse(readFileSync(join(AZLE, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== AZLE_VERSION) throw new Error(`scripts/azle-build.ts mirrors azle ${AZLE_VERSION}'s build; node_modules has ${version} (run npm ci)`);
  const step = (file: string) => import(pathToFileURL(join(AZLE, 'src/stable/build/commands/build', file)).href);
  const [js, meta, wasm] = await Promise.all([step('javascript.ts'), step('candid_and_method_meta/index.ts'), step('wasm_binary/index.ts')]);
  return { compile: js.compile, getCandidAndMethodMeta: meta.getCandidAndMethodMeta, getWasmBinary: wasm.getWasmBinary };
}

/** Builds canister `name` (dfx.json) into .azle/NAME/; returns the wasm's path and sha256. */
export async function azleBuild(name: string): Promise<{ wasmPath: string; sha256: string }> {
  const dfx = JSON.parse(readFileSync(join(REPO, 'dfx.json'), 'utf8')) as { canisters?: Record<string, { type?: string; main?: string; custom?: { candid_gen?: string; experimental?: boolean; env?: string[] } }> };
  const config = dfx.canisters?.[name];
  if (config?.type !== 'azle' || !config.main) throw new Error(`canister "${name}" is not an azle canister with a "main" in dfx.json`);
  if (config.custom?.experimental || config.custom?.env?.length) throw new Error(`canister "${name}": experimental mode and custom env are not reproducible here`);
  // Azle reads these from the environment: pin them so that nothing of the machine enters the wasm.
  process.env.AZLE_DFX_ROOT = REPO;
  for (const v of ['AZLE_CANISTER_BACKTRACES', 'AZLE_DEV_TEMPLATE', 'AZLE_LOG_ACTIONS', 'AZLE_RECORD_ACTIONS', 'AZLE_RECORD_BENCHMARKS']) delete process.env[v];
  if (!existsSync(TEMPLATE)) throw new Error(`no Azle template at ${TEMPLATE} (run npm ci)`);
  process.chdir(REPO); // esbuild names inputs relative to it

  const azle = await azleSteps();
  const outDir = join(REPO, '.azle', name);
  const candidPath = process.env.CANISTER_CANDID_PATH ?? join(outDir, `${name}.did`);
  const wasmPath = join(outDir, `${name}.wasm`);
  const embedded = (EMBEDDED_FILES[config.main.replace(/^\.\//, '')] ?? []).map(([variable, file]): [string, string] => {
    const path = join(REPO, file);
    if (!existsSync(path)) throw new Error(`canister "${name}" embeds ${file}, which is missing (host/generate-core.ts writes it: npm run build:canister)`);
    return [variable, readFileSync(path, 'utf8')];
  });
  const wasmData: WasmData = { envVars: [['AZLE_VERSION', AZLE_VERSION], ...embedded], mainJsPath: `.azle/${name}/main.js` };

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const js = await azle.compile(config.main);
  await writeFile(join(outDir, 'main.js'), js);
  const { candid, methodMeta } = await azle.getCandidAndMethodMeta(config.custom?.candid_gen, candidPath, js, 'pipe', wasmData);
  await writeFile(candidPath, candid);
  const wasm = await azle.getWasmBinary('pipe', js, wasmData, methodMeta);
  await writeFile(wasmPath, wasm);
  return { wasmPath, sha256: createHash('sha256').update(wasm).digest('hex') };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  if (!name || name.startsWith('-')) {
    console.error('usage: tsx scripts/azle-build.ts NAME   (a canister of dfx.json)');
    process.exit(2);
  }
  try {
    const { wasmPath, sha256 } = await azleBuild(name);
    console.log(`${wasmPath}\nsha256 ${sha256}`);
  } catch (e) {
    console.error(`azle build ${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
