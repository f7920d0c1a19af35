// Generates the TF.js baseline canister's two modules into bench/build/tfjs-baseline/
// and builds the canister:
// - tfjs.js: full @tensorflow/tfjs bundled with esbuild, its Node-only `require`s
//   (util, crypto via seedrandom, fs, string_decoder, node-fetch, worker_threads)
//   stubbed, because Azle stable mode refuses to bundle them; a banner makes the
//   globals TF.js probes at load time safe, and a minimal platform is registered.
// - model.js: the model's topology, weights as base64, vocabulary and labels.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { build } from 'esbuild';

import { buildAzleCanister, type BuiltCanister } from '../../host/index.ts';
import { buildDir, repoRoot } from '../lib/paths.ts';

const outDir = join(buildDir, 'tfjs-baseline');

// Runs before any TF.js module. Azle stable mode defines these globals as getters that
// throw, and TF.js reads them with `typeof` at load: remove the getters. TF.js also
// wants `global` and measures strings with `new Blob([s]).size`.
const banner = `
for (const name of ['window', 'self', 'global', 'Buffer', 'fetch', 'URL', 'WebAssembly', 'setTimeout', 'clearTimeout']) {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
  if (descriptor !== undefined && descriptor.get !== undefined) delete globalThis[name];
}
globalThis.global = globalThis;
if (typeof globalThis.Blob === 'undefined') {
  globalThis.Blob = class Blob {
    constructor(parts) {
      this.size = parts.reduce((n, part) => n + (typeof part === 'string' ? new TextEncoder().encode(part).length : part.byteLength), 0);
    }
  };
}
`;

// No browser or Node platform is detected inside a canister: register the least TF.js needs.
const entry = `
import * as tf from '@tensorflow/tfjs';
tf.setPlatform('azle', {
  fetch: () => { throw new Error('no fetch in a canister'); },
  now: () => Date.now(),
  encode: (text) => new TextEncoder().encode(text),
  decode: (bytes, encoding) => new TextDecoder(encoding).decode(bytes),
  isTypedArray: (a) => a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray,
});
export * from '@tensorflow/tfjs';
`;

const nodeOnlyModules = /^(util|crypto|fs|string_decoder|node-fetch|worker_threads)$/;

async function bundleTfjs(): Promise<void> {
  await build({
    stdin: { contents: entry, resolveDir: repoRoot },
    outfile: join(outDir, 'tfjs.js'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    banner: { js: banner },
    logLevel: 'silent',
    plugins: [
      {
        name: 'stub-node-only-modules',
        setup(builder) {
          builder.onResolve({ filter: nodeOnlyModules }, (args) => ({ path: args.path, namespace: 'stub' }));
          builder.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
        },
      },
    ],
  });
}

interface WeightsManifest {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
}

async function writeModelModule(modelDir: string): Promise<void> {
  const modelJson = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: WeightsManifest[];
  };
  const shards = await Promise.all(
    modelJson.weightsManifest.flatMap((group) => group.paths).map((path) => readFile(join(modelDir, path))),
  );
  const weightsBase64 = Buffer.concat(shards).toString('base64');
  const vocab: string[] = [];
  for (const line of (await readFile(join(modelDir, 'vocab'), 'utf8')).split('\n')) {
    const match = /^(.*) (\d+)$/.exec(line);
    if (match) vocab[Number(match[2])] = match[1];
  }
  const labels = (await readFile(join(modelDir, 'labels.txt'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const inputShape = findInputShape(modelJson.modelTopology);
  const source = [
    `export const modelJson = ${JSON.stringify({ modelTopology: modelJson.modelTopology, weightsManifest: modelJson.weightsManifest })};`,
    `export const weightsBase64 = ${JSON.stringify(weightsBase64)};`,
    `export const vocab = ${JSON.stringify(Array.from(vocab, (word) => word ?? ''))};`,
    `export const labels = ${JSON.stringify(labels)};`,
    `export const sequenceLength = ${inputShape};`,
    `export const padId = ${vocab.indexOf('<PAD>')};`,
    `export const startId = ${vocab.indexOf('<START>')};`,
    `export const unknownId = ${vocab.indexOf('<UNKNOWN>')};`,
  ].join('\n');
  await writeFile(join(outDir, 'model.js'), source + '\n');
}

function findInputShape(topology: object): number {
  const match = /"batch_input_shape":\s*\[\s*null\s*,\s*(\d+)\s*\]/.exec(JSON.stringify(topology));
  if (!match) throw new Error('TF.js baseline: the model has no [null, n] batch_input_shape');
  return Number(match[1]);
}

/** Generates the modules for the model in `modelDir` (TF.js files + vocab + labels.txt) and builds the canister. */
export async function buildTfjsBaseline(modelDir: string): Promise<BuiltCanister> {
  await mkdir(outDir, { recursive: true });
  await Promise.all([bundleTfjs(), writeModelModule(modelDir)]);
  return buildAzleCanister('tfjs_baseline');
}
