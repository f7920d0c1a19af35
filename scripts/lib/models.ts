// Model files for npm start, the upload CLI and tests: converted files as they
// are, model.json files converted on the fly.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertFiles, modelJsonPathOf } from '../../converter/files.ts';
import { convertStaticEmbedding, isStaticEmbeddingFolder } from '../../converter/static-embedding.ts';
import { loadModel } from '../../engine/index.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_MODEL_DIR = join(REPO_ROOT, 'models', 'default');
/** The real spam model, when the shared models checkout sits beside the repository. */
export const SHARED_SPAM_DIR = resolve(REPO_ROOT, '..', 'shared', 'models', 'spam-detection');

export interface ModelSource {
  name: string;
  path: string;
  bytes: Uint8Array;
  /** How the bytes were obtained. */
  how: 'file' | 'converted';
}

/** A model's bytes from a converted file, a model.json (converted), a directory holding a model.json, or a static embedding folder (converted). */
export function readModel(name: string, path: string): ModelSource {
  if (!existsSync(path)) throw new Error(`no such file: ${path}`);
  // a model2vec / sentence-transformers StaticEmbedding folder: an embedding model
  if (statSync(path).isDirectory() && !existsSync(join(path, 'model.json')) && isStaticEmbeddingFolder(path)) {
    return { name, path: resolve(path), bytes: convertStaticEmbedding(resolve(path), { name }).bytes, how: 'converted' };
  }
  const p = resolve(modelJsonPathOf(path));
  if (p.endsWith('.json')) return { name, path: p, bytes: convertFiles(p, { name }).bytes, how: 'converted' };
  return { name, path: p, bytes: new Uint8Array(readFileSync(p)), how: 'file' };
}

/**
 * The default model: models/default/default.dcai, or (when that file is missing or
 * no longer loads with this engine) models/default/model.json converted on the fly.
 */
export function defaultModel(warn: (message: string) => void = () => {}): ModelSource {
  const file = join(DEFAULT_MODEL_DIR, 'default.dcai');
  if (existsSync(file)) {
    const bytes = new Uint8Array(readFileSync(file));
    try {
      loadModel(bytes);
      return { name: 'default', path: file, bytes, how: 'file' };
    } catch (e) {
      warn(`models/default/default.dcai does not load (${e instanceof Error ? e.message : String(e)}): converting models/default/model.json instead`);
    }
  }
  return readModel('default', join(DEFAULT_MODEL_DIR, 'model.json'));
}

/**
 * The shared spam model, converted, or undefined when ../shared is absent. Its labels.txt says
 * `false` / `true` (is it spam?); served with the default model's `ham` / `spam` and their
 * descriptions, which mean the same outputs in the same order.
 */
export function sharedSpamModel(): ModelSource | undefined {
  const json = join(SHARED_SPAM_DIR, 'model.json');
  if (!existsSync(json)) return undefined;
  const bytes = convertFiles(json, {
    name: 'spam-detection',
    labels: join(DEFAULT_MODEL_DIR, 'labels.txt'),
    labelDescriptions: join(DEFAULT_MODEL_DIR, 'label-descriptions.txt'),
  }).bytes;
  return { name: 'spam-detection', path: json, bytes, how: 'converted' };
}
