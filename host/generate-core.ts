/**
 * Generates canister/core.generated.js and the core's source beside it (CORE_SOURCE): the canister's
 * core (engine, registry, wire) bundled and minified into a text the Azle glue evaluates on first
 * need (see canister/core.ts), plus the
 * replies the glue answers alone while the registry was never written, and the HTTP certification
 * of the build (host/http-certification.ts: the certified data and the constant header parts). host/build.ts calls it
 * before it hashes and builds; scripts/build-canister.ts (`npm run build:canister`, dfx.json) too.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { httpCertification } from './http-certification.ts';
import { buildPage } from './page-build.ts';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..');

/** The generated module, relative to the repo root (gitignored). */
export const CORE_GENERATED = 'canister/core.generated.js';
/**
 * The core's source (a function body returning its exports), relative to the repo root (gitignored).
 * It is not in the module above: scripts/azle-build.ts embeds it in Azle's wasm data as the
 * environment variable CORE_ENV, which Azle hands to JavaScript as process.env natively at init.
 * As a string literal of the module, QuickJS parsed it at every init and post_upgrade (~92
 * instructions a byte: 18.8M for 203 KB); as an environment variable it costs ~35-40 a byte
 * (7.1M; Rust's JSON decoding of the wasm data, the WASI environment's copies, the JS string).
 */
export const CORE_SOURCE = 'canister/core.generated.source.txt';
/** The environment variable that carries the core's source into the canister (canister/index.ts reads it). */
export const CORE_ENV = 'DECENTAI_CORE';

/** Bundles `entry` (minified, no imports left) into a function body that returns the module's exports. */
async function functionBody(cwd: string, entry: string): Promise<string> {
  const global = '__decentaiCore';
  const result = await build({
    entryPoints: [join(cwd, entry)],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    globalName: global,
    platform: 'neutral',
    target: 'es2024', // what Azle's own bundle targets
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: cwd,
  });
  return `${result.outputFiles[0].text.trim()}\nreturn ${global};`;
}

/** What list_models / model_versions and list_uploads answer while the registry was never written. */
async function emptyReplies(): Promise<{ models: Uint8Array; uploads: Uint8Array }> {
  const M = await import('../canister/methods.ts');
  const { Registry } = await import('../canister/registry.ts');
  const map = () => {
    const m = new Map<string, Uint8Array>();
    const k = (b: Uint8Array) => Buffer.from(b).toString('hex');
    return { get: (b: Uint8Array) => m.get(k(b)), insert: (b: Uint8Array, v: Uint8Array) => void m.set(k(b), v), remove: (b: Uint8Array) => void m.delete(k(b)) };
  };
  const ctx = { reg: new Registry(map(), map(), { now: () => 0n }), isController: () => true, instructions: () => 0n };
  const noArgs = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]);
  // model_versions ("x"): an unknown name answers the same empty list.
  const oneText = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 1, 0x71, 1, 0x78]);
  const models = M.list_models(ctx, noArgs);
  const versions = M.model_versions(ctx, oneText);
  const uploads = M.list_uploads(ctx, noArgs);
  const refused = M.list_uploads({ ...ctx, isController: () => false }, noArgs);
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(models, versions) || !same(uploads, refused)) throw new Error('generate-core: the empty replies differ per argument or caller; the glue cannot answer them alone');
  return { models, uploads };
}

function writeIfChanged(path: string, text: string): void {
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
}

/** Writes canister/core.generated.js and the core's source when their content changed; returns the module's path. */
export async function generateCore(cwd: string = REPO): Promise<string> {
  await buildPage(cwd); // canister/page.generated.ts, which the core's page.ts imports
  const [core, types, empty, certification] = await Promise.all([
    functionBody(cwd, 'canister/core.ts'),
    functionBody(cwd, 'canister/types.ts'),
    emptyReplies(),
    import('../canister/page.ts').then(({ pageAssets }) => httpCertification(pageAssets())),
  ]);
  const { certifiedData, ...constants } = certification;
  // Bytes as a string literal turned into bytes when the module loads: parsing a literal costs a
  // fraction of an array of numbers (~170 instructions a byte against ~850), at every init.
  const latin1 = (b: Uint8Array) =>
    '"' + Array.from(b, (x) => (x >= 0x20 && x < 0x7f && x !== 0x22 && x !== 0x5c ? String.fromCharCode(x) : `\\x${x.toString(16).padStart(2, '0')}`)).join('') + '"';
  const bytes = (b: Uint8Array) => `bytes(${latin1(b)})`;
  const text =
    `// Generated by host/generate-core.ts from canister/core.ts and canister/types.ts: do not edit.\n` +
    `const bytes=s=>Uint8Array.from(s,c=>c.charCodeAt(0));\n` +
    // The core travels beside the module (CORE_SOURCE); its digest here makes a changed core a changed build (host/build.ts hashes the module graph).
    `export const CORE_SHA256 = ${JSON.stringify(createHash('sha256').update(core).digest('hex'))};\n` +
    `export const TYPES = ${JSON.stringify(types)};\n` +
    `export const EMPTY_MODELS = ${bytes(empty.models)};\n` +
    `export const EMPTY_UPLOADS = ${bytes(empty.uploads)};\n` +
    `export const CERTIFIED_DATA = ${bytes(certifiedData)};\n` +
    `export const CERTIFICATION = ${JSON.stringify(constants)};\n`;
  // WASI passes environment variables as NUL-terminated strings: a NUL would cut the core short.
  if (core.includes('\0')) throw new Error('generate-core: the bundled core contains a NUL character; it cannot travel as an environment variable');
  writeIfChanged(join(cwd, CORE_SOURCE), core);
  const path = join(cwd, CORE_GENERATED);
  writeIfChanged(path, text);
  return path;
}
