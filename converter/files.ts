// File-system front end of the converter: reads model.json, its shards, vocab and labels.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConvertError, convertModel, type ConvertResult, type Quantization } from './convert.ts';

export interface ConvertFilesOptions {
  /** Vocabulary file; default: `vocab` or `vocab.txt` beside model.json, if present. */
  vocab?: string;
  /** Labels file; default: `labels.txt` beside model.json, if present. */
  labels?: string;
  /** What each label means, one line per label; default: `label-descriptions.txt` beside model.json, if present. */
  labelDescriptions?: string;
  quantize?: Quantization;
  /** Model name; default: the name of model.json's directory. */
  name?: string;
  /** Size of variable-length (None) input dimensions; default DEFAULT_MAX_LENGTH. */
  maxLength?: number;
  /** ConvertOptions.vocabTable. */
  vocabTable?: 'auto' | 'on' | 'off';
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new ConvertError(`cannot read ${what} '${path}': ${reason}`);
  }
}

function beside(directory: string, names: string[]): string | undefined {
  return names.map((name) => resolve(directory, name)).find((path) => existsSync(path) && statSync(path).isFile());
}

/** A model.json, or a directory holding one (as npm start --model takes). */
export function modelJsonPathOf(path: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) return path;
  const json = join(path, 'model.json');
  if (!existsSync(json)) throw new ConvertError(`${path} is a directory without a model.json`);
  return json;
}

/** The parsed model.json; a binary file is named as such, never echoed (its bytes would garble the terminal). */
function parseModelJson(path: string, bytes: Buffer): unknown {
  if (bytes.subarray(0, 4).toString('latin1') === 'DCAI') throw new ConvertError(`${path} is already a converted decentAI model file (.dcai): upload or predict with it as it is`);
  const text = bytes.toString('utf8');
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) throw new ConvertError(`${path} is a binary file, not a TF.js model.json`);
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConvertError(`${path} is not valid JSON: ${reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}`);
  }
}

export function convertFiles(modelPath: string, opts: ConvertFilesOptions = {}): ConvertResult {
  const modelJsonPath = modelJsonPathOf(modelPath);
  const modelJsonBytes = readFile(modelJsonPath, 'model.json');
  const modelJson = parseModelJson(modelJsonPath, modelJsonBytes);
  const directory = dirname(resolve(modelJsonPath));
  const vocabPath = opts.vocab ?? beside(directory, ['vocab', 'vocab.txt']);
  const labelsPath = opts.labels ?? beside(directory, ['labels.txt']);
  const descriptionsPath = opts.labelDescriptions ?? beside(directory, ['label-descriptions.txt']);
  return convertModel(
    {
      modelJson,
      readWeightFile: (path) => readFile(resolve(directory, path), 'weight file'),
      vocabText: vocabPath === undefined ? undefined : readFile(vocabPath, 'vocab').toString('utf8'),
      labelsText: labelsPath === undefined ? undefined : readFile(labelsPath, 'labels').toString('utf8'),
      labelDescriptionsText: descriptionsPath === undefined ? undefined : readFile(descriptionsPath, 'label descriptions').toString('utf8'),
      modelJsonBytes: modelJsonBytes.length,
    },
    { quantize: opts.quantize, name: opts.name ?? basename(directory), source: basename(modelJsonPath), maxLength: opts.maxLength, vocabTable: opts.vocabTable },
  );
}
