// Static embedding models → a decentAI embedding model file (docs/FORMAT.md, "Embedding models").
//
// Reads a model2vec folder (config.json, model.safetensors with `embeddings` — or `0` — and,
// with vocabulary quantization, `mapping` and `weights`, tokenizer.json) or a
// sentence-transformers StaticEmbedding folder (modules.json naming a StaticEmbedding module,
// whose folder holds model.safetensors with `embedding.weight` and tokenizer.json; a
// Normalize module means normalized outputs). Token vectors: row = embeddings[mapping[id]] ·
// weights[id] (without quantization: embeddings[id]), computed in float64 and stored as
// float32, float16 or int8 (one scale per dimension).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { float32ToFloat16 } from '../engine/float16.ts';
import { HfTokenizer, TokenizerConfigError } from '../engine/hf-tokenizer.ts';
import { loadModel } from '../engine/model.ts';
import { ConvertError, CONVERTER_NAME, type Quantization } from './convert.ts';
import { writeModelFile, type MetadataEntry } from './writer.ts';

/** model2vec's default `max_length` of encode: at most this many tokens per text. */
export const DEFAULT_MAX_TOKENS = 512;

export interface StaticEmbeddingOptions {
  quantize?: Quantization;
  name?: string;
  /** Tokens per text (model2vec's max_length, default 512). */
  maxTokens?: number;
}

export interface StaticEmbeddingResult {
  bytes: Uint8Array;
  summary: { name: string; flavour: 'model2vec' | 'sentence-transformers'; vocabSize: number; dims: number; normalize: boolean; quantize: Quantization; vocabQuantized: boolean; maxChars: number; bytes: number };
}

interface SafeTensor {
  dtype: string;
  shape: number[];
  /** Values as float64 (every dtype read exactly). */
  values: Float64Array;
}

/** Parses a .safetensors file: u64 header length, JSON header, data. */
export function readSafetensors(bytes: Uint8Array, path: string): Map<string, SafeTensor> {
  if (bytes.length < 8) throw new ConvertError(`${path}: too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new ConvertError(`${path}: header length ${headerLength} is past the end of the file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new ConvertError(`${path}: the header is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const base = 8 + headerLength;
  const out = new Map<string, SafeTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [from, to] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const data = new DataView(bytes.buffer, bytes.byteOffset + base + from, to - from);
    const sizes: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1 };
    const size = sizes[entry.dtype];
    if (size === undefined) throw new ConvertError(`${path}: tensor '${name}' has dtype ${entry.dtype} (supported: ${Object.keys(sizes).join(', ')})`);
    if (to - from !== count * size || base + to > bytes.length) throw new ConvertError(`${path}: tensor '${name}' (${entry.dtype} [${entry.shape}]) has ${to - from} bytes, expected ${count * size}`);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const at = i * size;
      switch (entry.dtype) {
        case 'F64': values[i] = data.getFloat64(at, true); break;
        case 'F32': values[i] = data.getFloat32(at, true); break;
        case 'F16': values[i] = halfToFloat(data.getUint16(at, true)); break;
        case 'BF16': values[i] = new Float32Array(new Uint32Array([data.getUint16(at, true) << 16]).buffer)[0]; break;
        case 'I64': values[i] = Number(data.getBigInt64(at, true)); break;
        case 'I32': values[i] = data.getInt32(at, true); break;
        case 'I16': values[i] = data.getInt16(at, true); break;
        case 'I8': values[i] = data.getInt8(at); break;
        default: values[i] = data.getUint8(at);
      }
    }
    out.set(name, { dtype: entry.dtype, shape: entry.shape, values });
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function readJson(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConvertError(`cannot read ${what} '${path}'`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConvertError(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Whether `path` is a folder of a static embedding model (model2vec or sentence-transformers StaticEmbedding). */
export function isStaticEmbeddingFolder(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isDirectory()) return false;
  if (existsSync(join(path, 'model.safetensors')) && existsSync(join(path, 'tokenizer.json'))) return true;
  return existsSync(join(path, 'modules.json')) && staticModuleFolder(path) !== null;
}

function staticModuleFolder(folder: string): string | null {
  const modulesPath = join(folder, 'modules.json');
  if (!existsSync(modulesPath)) return null;
  const modules = JSON.parse(readFileSync(modulesPath, 'utf8')) as { type?: string; path?: string }[];
  const module = Array.isArray(modules) ? modules.find((m) => typeof m.type === 'string' && m.type.endsWith('StaticEmbedding')) : undefined;
  return module ? resolve(folder, module.path ?? '.') : null;
}

function hasNormalizeModule(folder: string): boolean {
  const modulesPath = join(folder, 'modules.json');
  if (!existsSync(modulesPath)) return false;
  const modules = JSON.parse(readFileSync(modulesPath, 'utf8')) as { type?: string }[];
  return Array.isArray(modules) && modules.some((m) => typeof m.type === 'string' && m.type.endsWith('.Normalize'));
}

/** The token vectors [vocab, dims] as float64, from model2vec's or StaticEmbedding's tensors. */
export function tokenVectors(tensors: Map<string, SafeTensor>, path: string): { rows: number; dims: number; values: Float64Array; vocabQuantized: boolean } {
  const table = tensors.get('embeddings') ?? tensors.get('0') ?? tensors.get('embedding.weight');
  if (!table) throw new ConvertError(`${path}: no 'embeddings', '0' or 'embedding.weight' tensor (found: ${[...tensors.keys()].join(', ')})`);
  if (table.shape.length !== 2) throw new ConvertError(`${path}: the embedding table has shape [${table.shape}], expected [rows, dims]`);
  const [tableRows, dims] = table.shape;
  const mapping = tensors.get('mapping');
  const weights = tensors.get('weights');
  const rows = mapping ? mapping.values.length : weights ? weights.values.length : tableRows;
  if (weights && weights.values.length !== rows) throw new ConvertError(`${path}: 'weights' has ${weights.values.length} values for ${rows} tokens`);
  const values = new Float64Array(rows * dims);
  for (let id = 0; id < rows; id++) {
    const source = mapping ? mapping.values[id] : id;
    if (!(source >= 0 && source < tableRows)) throw new ConvertError(`${path}: mapping[${id}] = ${source} is outside the ${tableRows} embedding rows`);
    const weight = weights ? weights.values[id] : 1;
    for (let d = 0; d < dims; d++) values[id * dims + d] = table.values[source * dims + d] * weight;
  }
  return { rows, dims, values, vocabQuantized: mapping !== undefined };
}

/** model2vec's median_token_length: int(np.median(len(token) for the vocabulary's tokens)), lengths in code points. */
function medianTokenLength(tokenizer: Record<string, unknown>): number {
  const model = tokenizer.model as { type?: string; vocab?: unknown };
  let tokens: string[] = [];
  if (Array.isArray(model?.vocab)) tokens = (model.vocab as [string, number][]).map((entry) => entry[0]);
  else if (model?.vocab && typeof model.vocab === 'object') tokens = Object.keys(model.vocab);
  const lengths = tokens.map((token) => Array.from(token).length).sort((a, b) => a - b);
  if (lengths.length === 0) return 1;
  const mid = lengths.length >> 1;
  const median = lengths.length % 2 ? lengths[mid] : (lengths[mid - 1] + lengths[mid]) / 2;
  return Math.max(1, Math.floor(median));
}

/** What the engine needs of a tokenizer.json (no decoder, no padding: the engine never pads an embedding's tokens). */
function tokenizerForEngine(tokenizer: Record<string, unknown>): string {
  const { normalizer, pre_tokenizer, post_processor, truncation, added_tokens, model } = tokenizer;
  return JSON.stringify({ version: tokenizer.version, truncation: truncation ?? null, padding: null, added_tokens: added_tokens ?? [], normalizer: normalizer ?? null, pre_tokenizer: pre_tokenizer ?? null, post_processor: post_processor ?? null, model });
}

export function convertStaticEmbedding(folder: string, options: StaticEmbeddingOptions = {}): StaticEmbeddingResult {
  const root = resolve(folder);
  const moduleFolder = existsSync(join(root, 'model.safetensors')) ? root : staticModuleFolder(root);
  if (moduleFolder === null) throw new ConvertError(`${folder}: neither a model2vec folder (model.safetensors, tokenizer.json) nor a sentence-transformers folder with a StaticEmbedding module`);
  const safetensorsPath = join(moduleFolder, 'model.safetensors');
  const tokenizerPath = [join(moduleFolder, 'tokenizer.json'), join(root, 'tokenizer.json')].find((p) => existsSync(p));
  if (!existsSync(safetensorsPath)) throw new ConvertError(`${folder}: no model.safetensors`);
  if (tokenizerPath === undefined) throw new ConvertError(`${folder}: no tokenizer.json`);
  const tensors = readSafetensors(readFileSync(safetensorsPath), safetensorsPath);
  const configPath = join(root, 'config.json');
  const config = existsSync(configPath) ? readJson(configPath, 'config.json') : {};
  const flavour = tensors.has('embedding.weight') ? 'sentence-transformers' : 'model2vec';
  // model2vec: config.normalize (its loaders default to true when absent); sentence-transformers: a Normalize module
  const normalize = typeof config.normalize === 'boolean' ? config.normalize : flavour === 'model2vec' ? true : hasNormalizeModule(root);
  const tokenizerJson = readJson(tokenizerPath, 'tokenizer.json');
  let tokenizer: HfTokenizer;
  try {
    tokenizer = new HfTokenizer(tokenizerJson);
  } catch (error) {
    if (error instanceof TokenizerConfigError) throw new ConvertError(`${tokenizerPath}: ${error.message}`);
    throw error;
  }
  const { rows, dims, values, vocabQuantized } = tokenVectors(tensors, safetensorsPath);
  if (tokenizer.vocabSize > rows) throw new ConvertError(`${folder}: the tokenizer has ${tokenizer.vocabSize} ids but the model has ${rows} token vectors`);
  const quantize = options.quantize ?? 'float32';
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const maxChars = maxTokens * medianTokenLength(tokenizerJson);
  const name = options.name ?? basename(root);

  let tensorData: Uint8Array;
  let dtype: 'float32' | 'float16' | 'int8_cols';
  if (quantize === 'float32') {
    dtype = 'float32';
    tensorData = new Uint8Array(Float32Array.from(values).buffer);
  } else if (quantize === 'float16') {
    dtype = 'float16';
    const halves = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) {
      if (!(Math.abs(values[i]) <= 65504)) throw new ConvertError(`${folder}: value ${values[i]} is outside float16's range`);
      halves[i] = float32ToFloat16(values[i]);
    }
    tensorData = new Uint8Array(halves.buffer);
  } else {
    // one scale per dimension (column): scale = maxabs / 127, q = round(v / scale)
    dtype = 'int8_cols';
    const scales = new Float32Array(dims);
    for (let d = 0; d < dims; d++) {
      let max = 0;
      for (let id = 0; id < rows; id++) max = Math.max(max, Math.abs(values[id * dims + d]));
      scales[d] = max / 127;
    }
    const q = new Int8Array(rows * dims);
    for (let i = 0; i < q.length; i++) {
      const scale = scales[i % dims];
      q[i] = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
    }
    tensorData = new Uint8Array(4 * dims + q.length);
    tensorData.set(new Uint8Array(scales.buffer), 0);
    tensorData.set(new Uint8Array(q.buffer), 4 * dims);
  }

  const metadata: MetadataEntry[] = [
    { key: 'general.name', type: 'string', value: name },
    { key: 'general.source', type: 'string', value: `${flavour} static embedding (${basename(safetensorsPath)}, ${basename(tokenizerPath)})` },
    { key: 'general.converter', type: 'string', value: CONVERTER_NAME },
    { key: 'model.labels', type: 'string[]', value: Array.from({ length: dims }, (_, d) => String(d)) },
    { key: 'model.output', type: 'string', value: 'embedding' },
    { key: 'input.kind', type: 'string', value: 'tokens' },
    { key: 'input.shape', type: 'u32[]', value: [maxTokens] },
    { key: 'tokenizer.kind', type: 'string', value: 'huggingface' },
    { key: 'tokenizer.huggingface', type: 'string', value: tokenizerForEngine(tokenizerJson) },
    { key: 'embedding.normalize', type: 'bool', value: normalize },
    { key: 'embedding.max_chars', type: 'u32', value: maxChars },
    { key: 'embedding.drop_unknown', type: 'bool', value: true },
  ];
  const bytes = writeModelFile({
    metadata,
    layers: [
      { name: 'embedding', kind: 'embedding', activation: 'linear', tensors: [0], params: [] },
      { name: 'mean', kind: 'global_average_pooling_1d', activation: 'linear', tensors: [], params: [] },
    ],
    tensors: [{ name: 'embedding/embeddings', dtype, shape: [rows, dims], data: tensorData }],
  });
  loadModel(bytes); // the engine reads back what was written
  return { bytes, summary: { name, flavour, vocabSize: rows, dims, normalize, quantize, vocabQuantized, maxChars, bytes: bytes.length } };
}
