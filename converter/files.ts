// File-system front end of the converter: reads model.json, its shards, vocab and labels.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConvertError, convertModel, type ConvertResult, type Quantization } from './convert.ts';

export interface ConvertFilesOptions {
  /** Vocabulary file; default: `vocab` or `vocab.txt` beside model.json, if present. */
  vocab?: string;
  /** Labels file; default: `labels.txt` beside model.json, if present. */
  labels?: string;
  quantize?: Quantization;
  /** Model name; default: the name of model.json's directory. */
  name?: string;
  /** Size of variable-length (None) input dimensions; default DEFAULT_MAX_LENGTH. */
  maxLength?: number;
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

export function convertFiles(modelJsonPath: string, opts: ConvertFilesOptions = {}): ConvertResult {
  const modelJsonBytes = readFile(modelJsonPath, 'model.json');
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(modelJsonBytes.toString('utf8'));
  } catch (error) {
    throw new ConvertError(`${modelJsonPath} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const directory = dirname(resolve(modelJsonPath));
  const vocabPath = opts.vocab ?? beside(directory, ['vocab', 'vocab.txt']);
  const labelsPath = opts.labels ?? beside(directory, ['labels.txt']);
  return convertModel(
    {
      modelJson,
      readWeightFile: (path) => readFile(resolve(directory, path), 'weight file'),
      vocabText: vocabPath === undefined ? undefined : readFile(vocabPath, 'vocab').toString('utf8'),
      labelsText: labelsPath === undefined ? undefined : readFile(labelsPath, 'labels').toString('utf8'),
      modelJsonBytes: modelJsonBytes.length,
    },
    { quantize: opts.quantize, name: opts.name ?? basename(directory), source: basename(modelJsonPath), maxLength: opts.maxLength },
  );
}
