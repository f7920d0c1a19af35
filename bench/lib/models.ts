// Model files on disk: TF.js directories (model.json, shards, vocab, labels.txt) and
// their decentAI conversions.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { ConvertResult, Quantization } from '../../converter/convert.ts';
import { convertFiles } from '../../converter/files.ts';

export const QUANTIZATIONS: readonly Quantization[] = ['float32', 'float16', 'int8'];

interface TfjsModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

/** Converts the TF.js model at `modelJsonPath` exactly as `npm run convert` does (vocab and labels.txt beside it). */
export function convertTfjsModel(modelJsonPath: string, quantize: Quantization): ConvertResult {
  return convertFiles(modelJsonPath, { quantize });
}

export interface TfjsFileSizes {
  modelJson: number;
  shards: number;
  vocab: number;
  labels: number;
  /** Everything the TF.js model needs to predict on text: what one .dcai file replaces. */
  total: number;
}

export function tfjsFileSizes(dir: string): TfjsFileSizes {
  const size = (name: string): number => (existsSync(join(dir, name)) ? statSync(join(dir, name)).size : 0);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as TfjsModelJson;
  const shards = json.weightsManifest.flatMap((group) => group.paths).reduce((n, path) => n + size(path), 0);
  const sizes = { modelJson: size('model.json'), shards, vocab: size('vocab'), labels: size('labels.txt') };
  return { ...sizes, total: sizes.modelJson + sizes.shards + sizes.vocab + sizes.labels };
}

/** What tf.io.fromMemory needs, read from a TF.js model directory. */
export function tfjsArtifacts(dir: string): {
  modelTopology: object;
  weightSpecs: TfjsModelJson['weightsManifest'][number]['weights'];
  weightData: ArrayBuffer;
} {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as TfjsModelJson;
  const shards = json.weightsManifest.flatMap((group) => group.paths).map((path) => readFileSync(join(dir, path)));
  const weights = new Uint8Array(Buffer.concat(shards));
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  };
}

/** The model directories to measure: the spam model when present, and the default model. */
export function modelDirs(spamModelDir: string | null, defaultModelDir: string): { name: string; dir: string }[] {
  const dirs: { name: string; dir: string }[] = [];
  if (spamModelDir) dirs.push({ name: 'spam', dir: spamModelDir });
  if (existsSync(join(defaultModelDir, 'model.json'))) dirs.push({ name: 'default', dir: defaultModelDir });
  return dirs;
}
