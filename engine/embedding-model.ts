// Static embedding models (model2vec, sentence-transformers StaticEmbedding): a Hugging
// Face tokenizer, one embedding table, the mean of the text's token rows (no padding),
// L2-normalized when the file says so. Exactly model2vec's `encode`: the text cut to
// `embedding.max_chars` code points, tokenized without special tokens, unknown ids dropped
// (`embedding.drop_unknown`), the first `input.shape[0]` ids kept; no ids: a zero vector.
//
// The file (docs/FORMAT.md, "Embedding models"): `model.output` = "embedding", layers
// Embedding [vocab, dims] then GlobalAveragePooling1D, `tokenizer.kind` = "huggingface".

import type { InputKind, LayerSummary, MetadataValue, TensorSpec } from './api.ts';
import type { EngineModel } from './model.ts';
import type { WordTokenizer } from './tokenizer.ts';
import { InputError, ModelFormatError } from './errors.ts';
import { HfTokenizer, TokenizerConfigError } from './hf-tokenizer.ts';
import { batchOutput } from './inputs.ts';
import { tensorFloat32, tensorInt8Cols, type ParsedModelFile } from './format.ts';

/** The vector of one token-id list: mean of the rows, then L2 normalization; the plain version the tests compare with. */
export function meanPoolReference(table: Float32Array, dims: number, ids: ArrayLike<number>, normalize: boolean): Float64Array {
  const out = new Float64Array(dims);
  for (let t = 0; t < ids.length; t++) for (let d = 0; d < dims; d++) out[d] += table[ids[t] * dims + d];
  if (ids.length > 0) for (let d = 0; d < dims; d++) out[d] /= ids.length;
  if (normalize) {
    let sum = 0;
    for (let d = 0; d < dims; d++) sum += out[d] * out[d];
    const norm = Math.max(Math.sqrt(sum), 1e-12);
    for (let d = 0; d < dims; d++) out[d] /= norm;
  }
  return out;
}

export class StaticEmbeddingModel implements EngineModel {
  readonly name: string;
  readonly labels: readonly string[];
  readonly inputKind: InputKind = 'tokens';
  readonly inputShape: readonly number[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly parameterCount: number;
  readonly byteLength: number;
  readonly layers: readonly LayerSummary[];
  readonly metadata: ReadonlyMap<string, MetadataValue>;
  readonly hasTokenizer = true;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** What the output means: an embedding vector, not one score per label. */
  readonly outputKind = 'embedding';
  readonly dims: number;
  readonly vocabSize: number;
  readonly normalize: boolean;
  readonly maxChars: number;
  readonly dropUnknown: boolean;
  readonly hfTokenizer: HfTokenizer;
  /** No `words` tokenizer (the text goes through hfTokenizer). */
  readonly tokenizer: WordTokenizer | null = null;
  /** Ids of the last text embedded (after dropping unknowns and cutting). */
  tokenCount = 0;

  private readonly table: Float32Array | null;
  private readonly quantized: Int8Array | null;
  private readonly scales: Float32Array | null;
  private readonly ids: Int32Array;
  private readonly sums: Float64Array;
  private readonly output: Float32Array;

  constructor(file: ParsedModelFile, tokenizerJson: string) {
    const fail = (message: string): never => {
      throw new ModelFormatError('bad_metadata', message);
    };
    this.name = file.name;
    this.labels = file.labels;
    this.inputShape = file.inputShape;
    this.inputSize = file.inputShape[0];
    this.metadata = file.metadata;
    this.byteLength = file.bytes.length;
    this.parameterCount = file.parameterCount;
    const layers = file.layers;
    if (layers.length !== 2 || layers[0].kind !== 'embedding' || layers[1].kind !== 'global_average_pooling_1d') {
      fail(`an embedding model's layers are an embedding then global_average_pooling_1d, not ${layers.map((l) => l.kind).join(', ')}`);
    }
    const tableIndex = layers[0].tensors[0];
    const tensor = file.tensors[tableIndex];
    this.vocabSize = tensor.shape[0];
    this.dims = tensor.shape[1];
    this.outputSize = this.dims;
    this.layers = layers.map((layer) => ({ name: layer.name, kind: layer.kind, activation: layer.activation, outputShape: layer.outputShape.slice(), parameters: layer.tensors.reduce((s, i) => s + file.tensors[i].size, 0) }));
    this.inputs = [{ name: 'text', shape: [this.inputSize], dtype: 'int32' }];
    this.outputs = [{ name: 'embedding', shape: [this.dims], dtype: 'float32' }];
    const flag = (key: string, fallback: boolean): boolean => {
      const value = file.metadata.get(key);
      if (value === undefined) return fallback;
      if (typeof value !== 'boolean') fail(`metadata '${key}' must be a bool`);
      return value as boolean;
    };
    this.normalize = flag('embedding.normalize', false);
    this.dropUnknown = flag('embedding.drop_unknown', false);
    const maxChars = file.metadata.get('embedding.max_chars');
    if (maxChars !== undefined && (typeof maxChars !== 'number' || !Number.isInteger(maxChars) || maxChars < 1)) fail("metadata 'embedding.max_chars' must be a u32 ≥ 1");
    this.maxChars = typeof maxChars === 'number' ? maxChars : 0;
    let tokenizer: HfTokenizer | null = null;
    try {
      tokenizer = new HfTokenizer(JSON.parse(tokenizerJson));
    } catch (error) {
      if (error instanceof TokenizerConfigError) fail(`tokenizer.huggingface: ${error.message}`);
      fail(`tokenizer.huggingface is not a valid tokenizer.json: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.hfTokenizer = tokenizer as HfTokenizer;
    if (this.hfTokenizer.vocabSize > this.vocabSize) fail(`the tokenizer has ${this.hfTokenizer.vocabSize} ids but the embedding has only ${this.vocabSize} rows`);
    if (tensor.dtype === 'int8_cols') {
      const view = tensorInt8Cols(file, tableIndex);
      this.quantized = view.values;
      this.scales = view.scales;
      this.table = null;
    } else {
      this.table = tensorFloat32(file, tableIndex);
      this.quantized = null;
      this.scales = null;
    }
    this.ids = new Int32Array(this.inputSize);
    this.sums = new Float64Array(this.dims);
    this.output = new Float32Array(this.dims);
  }

  /** The text as model2vec reads it: at most maxChars code points. */
  private cut(text: string): string {
    var max = this.maxChars;
    if (max === 0 || text.length <= max) return text;
    var i = 0;
    var n = 0;
    var c = 0;
    while (i < text.length && n < max) {
      c = text.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
      n++;
    }
    return text.slice(0, i);
  }

  /** Token ids of a text (no special tokens, unknowns dropped as the file says), written into `out` (default: the model's buffer); the count is tokenCount. */
  tokenize(text: string, out?: Int32Array): Int32Array {
    if (typeof text !== 'string') throw new InputError('bad_input', `text must be a string, not ${typeof text}`);
    const target = out ?? this.ids;
    this.tokenCount = this.hfTokenizer.encodeIds(this.cut(text), target, Math.min(target.length, this.inputSize), false, this.dropUnknown);
    return target;
  }

  /** The embedding of one text, in the model's own buffer (copy it before the next call). */
  embed(text: string): Float32Array {
    this.tokenize(text, this.ids);
    return this.pool(this.ids, this.tokenCount);
  }

  predictText(text: string): Float32Array {
    return this.embed(text);
  }

  /** The mean of the rows of ids[0, count), normalized as the file says. */
  private pool(ids: ArrayLike<number>, count: number): Float32Array {
    var dims = this.dims | 0;
    var sums = this.sums;
    var out = this.output;
    var table = this.table;
    var quantized = this.quantized;
    var t = 0;
    var d = 0;
    var row = 0;
    for (d = 0; d < dims; d = (d + 1) | 0) sums[d] = 0;
    if (table !== null) {
      for (t = 0; t < count; t = (t + 1) | 0) {
        row = (ids[t] * dims) | 0;
        for (d = 0; d < dims; d = (d + 1) | 0) sums[d] += table[row + d];
      }
    } else if (quantized !== null) {
      // integer sums per column, one scale per column at the end (exact)
      var scales = this.scales as Float32Array;
      for (t = 0; t < count; t = (t + 1) | 0) {
        row = (ids[t] * dims) | 0;
        for (d = 0; d < dims; d = (d + 1) | 0) sums[d] += quantized[row + d];
      }
      for (d = 0; d < dims; d = (d + 1) | 0) sums[d] *= scales[d];
    }
    var scale = count > 0 ? 1 / count : 0;
    var squares = 0;
    for (d = 0; d < dims; d = (d + 1) | 0) {
      sums[d] *= scale;
      squares += sums[d] * sums[d];
    }
    if (this.normalize) {
      var norm = Math.sqrt(squares);
      var inverse = 1 / (norm > 1e-12 ? norm : 1e-12);
      for (d = 0; d < dims; d = (d + 1) | 0) out[d] = sums[d] * inverse;
    } else for (d = 0; d < dims; d = (d + 1) | 0) out[d] = sums[d];
    return out;
  }

  /** The embedding of given token ids (each below vocabSize, at most inputSize of them): their mean, no padding. */
  predictTokens(ids: ArrayLike<number>): Float32Array {
    if (ids.length > this.inputSize) throw new InputError('wrong_length', `${ids.length} token ids is more than the model's ${this.inputSize}`);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new InputError('bad_token', `token id ${String(id)} at index ${i} is outside the vocabulary of ${this.vocabSize}`);
    }
    return this.pool(ids, ids.length);
  }

  predictInputs(inputs: readonly ArrayLike<number>[]): Float32Array {
    if (inputs.length !== 1) throw new InputError('wrong_length', `model '${this.name}' takes 1 input, not ${inputs.length}`);
    return this.predictTokens(inputs[0]);
  }

  predictVector(): Float32Array {
    throw new InputError('wrong_kind', `model '${this.name}' embeds text (or token ids), not a vector`);
  }

  predictTexts(texts: readonly string[], out?: Float32Array): Float32Array {
    const target = batchOutput(texts.length, this.dims, out);
    texts.forEach((text, i) => target.set(this.embed(text), i * this.dims));
    return target;
  }

  predictTokensBatch(batch: readonly ArrayLike<number>[], out?: Float32Array): Float32Array {
    const target = batchOutput(batch.length, this.dims, out);
    batch.forEach((ids, i) => target.set(this.predictTokens(ids), i * this.dims));
    return target;
  }

  predictVectorBatch(): Float32Array {
    return this.predictVector();
  }

  argmax(scores: ArrayLike<number>): number {
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
    return best;
  }
}

/** Cosine similarity of two vectors (0 when either is all zeros). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  var dot = 0;
  var na = 0;
  var nb = 0;
  var n = a.length | 0;
  for (var i = 0; i < n; i = (i + 1) | 0) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
