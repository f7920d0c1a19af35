// Reader for the decentAI model file (docs/FORMAT.md). parseModelFile validates the
// whole file before returning, so the engine can index tensors without checks.
// Runs in Node and in QuickJS: no Node APIs; typed-array views over the file's
// little-endian words (every host we target is little-endian).

import type { DType, InputKind, MetadataValue, ModelFormatErrorCode } from './api.ts';
import { checksumWords } from './checksum.ts';
import { ModelFormatError } from './errors.ts';
import { float16ToFloat32 } from './float16.ts';
import { fail, product } from './layers/checks.ts';
import { familyKindByCode, familyKindByName } from './layers/index.ts';
import { decodeUtf8, decodeUtf8Matching } from './utf8.ts';
import { VOCAB_TABLE_HEADER, VOCAB_TABLE_LAYOUT, type VocabTable } from './vocab-table.ts';

/** Metadata keys of the converter's vocabulary table (FORMAT.md). */
export const VOCAB_TABLE_KEY = 'tokenizer.vocab_table';
export const VOCAB_REST_KEY = 'tokenizer.vocab_rest';

/** The magic `DCAI` read as a little-endian u32. */
export const MAGIC = 0x49414344;
/** Newest version read and written: 3 for graphs (several inputs or outputs, branches, int32 vector inputs). */
export const FORMAT_VERSION = 3;
/** Version of chains with family layer kinds; chains of core kinds only stay version 1. */
export const CHAIN_FAMILY_VERSION = 2;
/** From this version on the layer table is a graph: entries name what they read, inputs are entries of kind 0. */
export const GRAPH_VERSION = 3;
/** Kind code of a model input entry (graph files). */
export const INPUT_KIND_CODE = 0;
/** dtypes of model inputs by code (an input entry's first param). */
export const INPUT_DTYPES = ['float32', 'int32'] as const;
/** Oldest version read. */
export const MIN_FORMAT_VERSION = 1;
export const HEADER_BYTES = 32;
export const CHECKSUM_BYTES = 8;
/** dataOffset and every tensor offset are multiples of this. */
export const DATA_ALIGNMENT = 16;
/** Largest number of values in the input or any layer's output (64 MiB of f32). */
export const MAX_ACTIVATION_VALUES = 1 << 24;

export const VALUE_U32 = 0;
export const VALUE_I32 = 1;
export const VALUE_F32 = 2;
export const VALUE_BOOL = 3;
export const VALUE_STRING = 4;
export const VALUE_ARRAY = 5;

/** Tensor dtypes indexed by code. */
export const DTYPES: readonly DType[] = ['float32', 'float16', 'int8', 'int8_cols'];
/** Bytes per stored value, by dtype code (int8 kinds also store f32 scales, see scaleCount). */
const BYTES_PER_VALUE = [4, 2, 1, 1];
/** Layer kinds indexed by code; code 0 is unused. */
export const LAYER_KINDS = [
  null,
  'embedding',
  'global_average_pooling_1d',
  'global_max_pooling_1d',
  'flatten',
  'dense',
  'activation',
  'batch_normalization',
] as const;
/** Activations indexed by code. */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'gelu',
] as const;

/** A core kind (LAYER_KINDS) or a family kind (engine/layers/index.ts). */
export type CoreLayerKindName = NonNullable<(typeof LAYER_KINDS)[number]>;
export type LayerKindName = string;

/** Code of a layer kind in the layer table, or -1. */
export function layerKindCode(name: string): number {
  if (name === 'input') return INPUT_KIND_CODE;
  const core = (LAYER_KINDS as readonly (string | null)[]).indexOf(name);
  return core > 0 ? core : (familyKindByName(name)?.code ?? -1);
}
export type ActivationName = (typeof ACTIVATIONS)[number];

export interface ParsedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte offset from the start of the file. */
  offset: number;
  byteLength: number;
  /** Number of values (product of shape). */
  size: number;
}

/** What a layer reads or a model output is: model input `index` or the output of layer `index` (ParsedModelFile.layers). */
export interface ValueRef {
  from: 'input' | 'layer';
  index: number;
}

export interface ParsedInput {
  name: string;
  shape: number[];
  dtype: (typeof INPUT_DTYPES)[number];
}

export interface ParsedLayer {
  name: string;
  kind: LayerKindName;
  activation: ActivationName;
  /** Indices into ParsedModelFile.tensors, in the order FORMAT.md lists per kind. */
  tensors: number[];
  params: number[];
  /** What the layer reads, in order (a chain's layer reads the one before it, the first one the input). */
  sources: ValueRef[];
  /** Shape of each source; inputShape is the first one's. */
  inputShapes: number[][];
  inputShape: number[];
  outputShape: number[];
}

export interface TokenizerSpec {
  kind: 'words';
  /**
   * Token of each id: the metadata string `tokenizer.vocab` split at "\n" (at load; with a
   * `tokenizer.vocab_table`, decoded on first use only: the tokenizer reads the table).
   */
  readonly vocab: string[];
  /** Number of ids. */
  vocabSize: number;
  /** `tokenizer.vocab_table` as views of the file (engine/vocab-table.ts), or null: the tokenizer builds its object from `vocab`. */
  table: VocabTable | null;
  /** With a table: the tokens it does not key (`tokenizer.vocab_rest`), of ids table.restIds. */
  rest: string[] | null;
  padId: number;
  startId: number;
  unknownId: number;
  lowercase: boolean;
  /**
   * The reader proved, in the pass that decoded the vocabulary, that the special ids are the
   * leading ones and every later token is ASCII word characters [A-Za-z0-9_'] only (see
   * WordTokenizer.wordTokens): the tokenizer need not check again.
   */
  wordTokensChecked: boolean;
}

export interface ParsedModelFile {
  version: number;
  /** The file's bytes, 4-aligned (a copy when the input was not). */
  bytes: Uint8Array;
  metadata: Map<string, MetadataValue>;
  name: string;
  labels: string[];
  inputKind: InputKind;
  /** The first input's shape. */
  inputShape: number[];
  /** The model's inputs in file order (version 1 and 2 files: one, named 'input'). */
  inputs: ParsedInput[];
  /** The layers whose outputs are the model's outputs, in order (version 1 and 2: the last layer). */
  outputs: ValueRef[];
  tokenizer: TokenizerSpec | null;
  /** `tokenizer.huggingface` (a tokenizer.json, engine/hf-tokenizer.ts) when `tokenizer.kind` is `huggingface`, else null. */
  huggingfaceTokenizer: string | null;
  /** `model.output`: `scores` (one per label, the default) or `embedding` (engine/embedding-model.ts). */
  outputKind: 'scores' | 'embedding';
  /** The computing layers in file order (input entries are in `inputs`); each reads only earlier ones. */
  layers: ParsedLayer[];
  tensors: ParsedTensor[];
  parameterCount: number;
}

/** Type tag of a metadata value: a VALUE_* code, or ARRAY_OF + element code for arrays. */
const ARRAY_OF = 8;


/** Sequential reads of u32 words in [pos, end); every read is bounds-checked. */
class Cursor {
  pos: number;
  /** What is being read, for error messages (e.g. "layer 2 'dense'"). */
  where = 'header';
  /** Error code for a malformed (not truncated) value in the current section. */
  code: ModelFormatErrorCode = 'bad_metadata';
  constructor(
    private readonly bytes: Uint8Array,
    private readonly words: Uint32Array,
    private readonly floats: Float32Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  /** Fails unless `count` more words fit before the end of the section. */
  need(count: number, what: string): void {
    if (count > (this.end - this.pos) >>> 2) {
      fail('truncated', `${this.where}: ${what} needs ${count * 4} bytes but only ${this.end - this.pos} are left before dataOffset ${this.end}`);
    }
  }

  u32(what: string): number {
    this.need(1, what);
    const value = this.words[this.pos >>> 2];
    this.pos += 4;
    return value;
  }

  f32(what: string): number {
    this.need(1, what);
    const value = this.floats[this.pos >>> 2];
    this.pos += 4;
    return value;
  }

  /** A count of following items of at least 4 bytes each, bounded by the bytes left. */
  count(what: string): number {
    const count = this.u32(what);
    this.need(count, `${what} ${count}`);
    return count;
  }

  /** Bounds-checks a string and moves past it without decoding: returns its bytes' [start, end). */
  skipString(what: string): [number, number] {
    const length = this.u32(what);
    const padded = (length + 3) & ~3;
    if (padded > this.end - this.pos || length > padded) {
      fail('truncated', `${this.where}: ${what} of ${length} bytes runs past dataOffset ${this.end}`);
    }
    const start = this.pos;
    this.pos += padded;
    return [start, start + length];
  }

  string(what: string): string {
    const length = this.u32(what); // `what` stays a literal: this runs once per label
    const padded = (length + 3) & ~3;
    if (padded > this.end - this.pos || length > padded) {
      fail('truncated', `${this.where}: ${what} of ${length} bytes runs past dataOffset ${this.end}`);
    }
    let text: string;
    try {
      text = decodeUtf8(this.bytes, this.pos, this.pos + length);
    } catch {
      fail(this.code, `${this.where}: ${what} is not valid UTF-8`);
    }
    this.pos += padded;
    return text;
  }
}

/** Parses and validates a model file; throws ModelFormatError for any defect (skipChecksum: the bytes are known intact). */
export function parseModelFile(input: Uint8Array, options: { skipChecksum?: boolean } = {}): ParsedModelFile {
  const bytes = input.byteOffset & 3 ? input.slice() : input;
  const minimum = HEADER_BYTES + CHECKSUM_BYTES;
  if (bytes.length < minimum) fail('truncated', `file is ${bytes.length} bytes; header and checksum alone need ${minimum}`);
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);

  if (words[0] !== MAGIC) fail('bad_magic', 'not a decentAI model file (magic is not "DCAI")');
  const version = words[1];
  if (version < MIN_FORMAT_VERSION || version > FORMAT_VERSION) fail('bad_version', `version ${version} is not supported (this reader reads ${MIN_FORMAT_VERSION} to ${FORMAT_VERSION})`);
  const fileLength = words[2];
  if (fileLength !== bytes.length) fail('bad_length', `header fileLength ${fileLength} does not match the ${bytes.length} bytes given`);
  if (fileLength & 3) fail('bad_length', `fileLength ${fileLength} is not a multiple of 4`);
  const checked = fileLength - CHECKSUM_BYTES;
  if (options.skipChecksum !== true) {
    const [a, b] = checksumWords(bytes, checked);
    if (a !== words[checked >>> 2] || b !== words[(checked >>> 2) + 1]) fail('bad_checksum', 'checksum mismatch: the file is corrupted');
  }
  const [metadataCount, layerCount, tensorCount, dataOffset, flags] = words.subarray(3, 8);
  if (flags !== 0) fail('bad_version', `flags ${flags} are not supported (must be 0)`);
  if (dataOffset % DATA_ALIGNMENT || dataOffset < HEADER_BYTES || dataOffset > checked) {
    fail('bad_length', `dataOffset ${dataOffset} must be a multiple of ${DATA_ALIGNMENT} in [${HEADER_BYTES}, ${checked}]`);
  }

  const cursor = new Cursor(bytes, words, floats, HEADER_BYTES, dataOffset);
  cursor.need(metadataCount, `metadataCount ${metadataCount}`);
  const metadata = new Map<string, MetadataValue>();
  const valueTypes = new Map<string, number>();
  let vocabRange: [number, number] | null = null;
  let tableRange: [number, number] | null = null;
  for (let i = 0; i < metadataCount; ++i) {
    cursor.where = `metadata entry ${i}`;
    const key = cursor.string('key');
    cursor.where = `metadata '${key}'`;
    if (metadata.has(key)) fail('bad_metadata', `${cursor.where}: duplicate key`);
    let type = cursor.u32('value type');
    let value: MetadataValue;
    if (type === VALUE_ARRAY && key === VOCAB_TABLE_KEY) {
      // viewed below, never read element by element
      const elementType = cursor.u32('array element type');
      if (elementType !== VALUE_U32) fail('bad_metadata', `${cursor.where}: must be a u32 array, not of element type ${elementType}`);
      const count = cursor.count('array count');
      tableRange = [cursor.pos, cursor.pos + 4 * count];
      cursor.pos += 4 * count;
      value = [];
      type = ARRAY_OF + elementType;
    } else if (type === VALUE_ARRAY) {
      const elementType = cursor.u32('array element type');
      if (elementType >= VALUE_ARRAY) fail('bad_metadata', `${cursor.where}: unknown array element type ${elementType}`);
      const count = cursor.count('array count');
      const values: (number | boolean | string)[] = [];
      for (let j = 0; j < count; ++j) values.push(readScalar(cursor, elementType));
      value = values as MetadataValue;
      type = ARRAY_OF + elementType;
    } else if (type === VALUE_STRING && key === 'tokenizer.vocab') {
      // decoded below, once the special ids are known: one native pass decodes and checks it
      vocabRange = cursor.skipString('string value');
      value = '';
    } else {
      if (type > VALUE_ARRAY) fail('bad_metadata', `${cursor.where}: unknown value type ${type}`);
      value = readScalar(cursor, type);
    }
    metadata.set(key, value);
    valueTypes.set(key, type);
  }
  // a lowercasing `words` tokenizer with the converter's table: its vocabulary is not decoded (parseTokenizerTable)
  const tabled = tableRange !== null && metadata.get('tokenizer.kind') === 'words' && metadata.get('tokenizer.lowercase') !== false;
  const wordTokensChecked = vocabRange !== null && !tabled && decodeVocabulary(bytes, vocabRange, metadata);

  if (layerCount < 1) fail('bad_layer', 'the model has no layers');
  cursor.need(layerCount, `layerCount ${layerCount}`);
  const graph = version >= GRAPH_VERSION;
  const entries: TableEntry[] = [];
  cursor.code = 'bad_layer';
  for (let i = 0; i < layerCount; ++i) {
    cursor.where = `layer ${i}`;
    const name = cursor.string('name');
    cursor.where = `layer ${i} '${name}'`;
    const kindCode = cursor.u32('kind');
    // family kinds (codes ≥ 8) exist from version 2 on, input entries (code 0) from version 3
    const kind = graph && kindCode === INPUT_KIND_CODE ? 'input' : (LAYER_KINDS[kindCode] ?? (version >= 2 ? familyKindByCode(kindCode)?.name : undefined));
    if (!kind) fail('bad_layer', `${cursor.where}: unknown layer kind ${kindCode}`);
    const activationCode = cursor.u32('activation');
    const activation = ACTIVATIONS[activationCode];
    if (activation === undefined) fail('bad_layer', `${cursor.where}: unknown activation ${activationCode}`);
    const reads: number[] = [];
    if (graph) {
      for (let j = cursor.count('inputCount'); j > 0; --j) {
        const entry = cursor.u32('input entry');
        const output = cursor.u32('input output index');
        if (entry >= i) fail('bad_layer', `${cursor.where}: reads entry ${entry}, which is not before it`);
        if (output !== 0) fail('bad_layer', `${cursor.where}: reads output ${output} of entry ${entry}; every kind has one output (0)`);
        reads.push(entry);
      }
    }
    const tensors: number[] = [];
    for (let j = cursor.count('tensorCount'); j > 0; --j) tensors.push(cursor.u32('tensor index'));
    const params: number[] = [];
    for (let j = cursor.count('paramCount'); j > 0; --j) params.push(cursor.f32('param'));
    entries.push({ name, kind, activation, tensors, params, reads });
  }

  cursor.need(tensorCount, `tensorCount ${tensorCount}`);
  const tensors: ParsedTensor[] = [];
  cursor.code = 'bad_tensor';
  for (let i = 0; i < tensorCount; ++i) {
    cursor.where = `tensor ${i}`;
    const name = cursor.string('name');
    cursor.where = `tensor ${i} '${name}'`;
    const dtypeCode = cursor.u32('dtype');
    const dtype = DTYPES[dtypeCode];
    if (dtype === undefined) fail('bad_tensor', `${cursor.where}: unknown dtype ${dtypeCode}`);
    const shape: number[] = [];
    const rank = cursor.count('rank');
    if (rank === 0) fail('bad_tensor', `${cursor.where}: rank 0 (scalars are not stored)`);
    let size = 1;
    for (let j = 0; j < rank; ++j) {
      const dim = cursor.u32('dim');
      if (dim === 0) fail('bad_tensor', `${cursor.where}: dimension ${j} is 0`);
      shape.push(dim);
      size *= dim;
    }
    const offset = cursor.u32('offset');
    const byteLength = cursor.u32('byteLength');
    const expected = size * BYTES_PER_VALUE[dtypeCode] + scaleCount(dtype, shape, size) * 4;
    if (byteLength !== expected) {
      fail('bad_tensor', `${cursor.where}: byteLength ${byteLength} does not match ${dtype} [${shape.join(',')}] (${expected} bytes)`);
    }
    if (offset % DATA_ALIGNMENT || offset < dataOffset || offset + byteLength > checked) {
      fail('bad_tensor', `${cursor.where}: bytes [${offset}, ${offset + byteLength}) are not a ${DATA_ALIGNMENT}-aligned range inside the data region [${dataOffset}, ${checked})`);
    }
    tensors.push({ name, dtype, shape, offset, byteLength, size });
  }
  checkNoOverlap(tensors);

  cursor.where = 'metadata';
  const get = (key: string, type: number, typeName: string): MetadataValue => {
    const value = metadata.get(key);
    if (value === undefined) fail('bad_metadata', `missing required metadata '${key}'`);
    if (valueTypes.get(key) !== type) fail('bad_metadata', `metadata '${key}' must be ${typeName}`);
    return value;
  };
  const name = get('general.name', VALUE_STRING, 'a string') as string;
  const labels = get('model.labels', ARRAY_OF + VALUE_STRING, 'a string array') as string[];
  const inputKind = get('input.kind', VALUE_STRING, 'a string') as InputKind;
  if (inputKind !== 'tokens' && inputKind !== 'vector') fail('bad_metadata', `input.kind '${inputKind}' must be 'tokens' or 'vector'`);
  const { inputs, layers, outputs } = graph
    ? readGraph(entries, get('model.outputs', ARRAY_OF + VALUE_U32, 'a u32 array') as number[])
    : readChain(entries, get('input.shape', ARRAY_OF + VALUE_U32, 'a u32 array') as number[], inputKind);
  const inputShape = inputs[0].shape;
  if (inputKind === 'tokens') {
    if (inputs.length !== 1 || inputs[0].dtype !== 'int32') fail('bad_metadata', `a tokens model has one int32 input, not ${inputs.length} (${inputs.map((input) => input.dtype).join(', ')})`);
    if (inputShape.length !== 1) fail('bad_shape', `input.shape [${inputShape}] of a tokens model must have rank 1`);
  }

  let tokenizer: TokenizerSpec | null = null;
  let huggingfaceTokenizer: string | null = null;
  const outputKind = metadata.has('model.output') ? (get('model.output', VALUE_STRING, 'a string') as string) : 'scores';
  if (outputKind !== 'scores' && outputKind !== 'embedding') fail('bad_metadata', `model.output '${outputKind}' must be 'scores' or 'embedding'`);
  if (metadata.get('tokenizer.kind') === 'huggingface') {
    // a Hugging Face tokenizer.json, read by engine/hf-tokenizer.ts at load (embedding models only, for now)
    if (inputKind !== 'tokens') fail('bad_metadata', `a tokenizer needs input.kind 'tokens', not '${inputKind}'`);
    if (outputKind !== 'embedding') fail('bad_metadata', "tokenizer.kind 'huggingface' needs model.output 'embedding'");
    huggingfaceTokenizer = get('tokenizer.huggingface', VALUE_STRING, 'a string (a tokenizer.json)') as string;
  } else if (metadata.has('tokenizer.kind')) {
    const kind = get('tokenizer.kind', VALUE_STRING, 'a string');
    if (kind !== 'words') fail('bad_metadata', `tokenizer.kind '${kind}' is not supported (only 'words' or 'huggingface')`);
    if (inputKind !== 'tokens') fail('bad_metadata', `a tokenizer needs input.kind 'tokens', not '${inputKind}'`);
    const vocabText = get('tokenizer.vocab', VALUE_STRING, 'a string (the tokens joined by "\\n")') as string;
    const lowercase = metadata.has('tokenizer.lowercase') ? (get('tokenizer.lowercase', VALUE_BOOL, 'a bool') as boolean) : true;
    if (tabled && vocabRange !== null && tableRange !== null) {
      if (vocabRange[1] === vocabRange[0]) fail('bad_metadata', 'tokenizer.vocab is empty');
      tokenizer = parseTokenizerTable(bytes, tableRange, vocabRange, metadata, lowercase, (key) => get(key, VALUE_U32, 'a u32') as number);
    } else {
      if (vocabText.length === 0) fail('bad_metadata', 'tokenizer.vocab is empty');
      const vocab = vocabText.split('\n'); // one linear pass; runs at load (in the canister: at commit)
      const id = (key: string): number => tokenIdIn(key, get(key, VALUE_U32, 'a u32') as number, vocab.length);
      tokenizer = {
        kind,
        vocab,
        vocabSize: vocab.length,
        table: null,
        rest: null,
        padId: id('tokenizer.pad_id'),
        startId: id('tokenizer.start_id'),
        unknownId: id('tokenizer.unknown_id'),
        lowercase,
        wordTokensChecked,
      };
    }
  } else {
    for (const key of ['tokenizer.vocab', 'tokenizer.pad_id', 'tokenizer.start_id', 'tokenizer.unknown_id', 'tokenizer.lowercase']) {
      if (metadata.has(key)) fail('bad_metadata', `metadata '${key}' without 'tokenizer.kind'`);
    }
  }

  deriveShapes(layers, tensors, inputs, inputKind, graph);
  checkOutputs(layers, outputs);
  const outputShapes = outputs.map((ref) => layers[ref.index].outputShape);
  const outputSize = outputShapes.reduce((sum, shape) => sum + product(shape), 0);
  if (outputSize !== labels.length) fail('bad_shape', `the model outputs ${outputSize} values (${outputShapes.map((shape) => `[${shape}]`).join(' + ')}) but model.labels has ${labels.length}`);
  // the embeddings reading a tokens input bound the vocabulary
  let embeddingRows = Infinity;
  for (const layer of layers) if (layer.kind === 'embedding' && layer.sources[0].from === 'input') embeddingRows = Math.min(embeddingRows, tensors[layer.tensors[0]].shape[0]);
  if (tokenizer && tokenizer.vocabSize > embeddingRows) {
    fail('bad_metadata', `tokenizer.vocab has ${tokenizer.vocabSize} tokens but the embedding has only ${embeddingRows} rows`);
  }

  let parameterCount = 0;
  for (const tensor of tensors) parameterCount += tensor.size;
  return { version, bytes, metadata, name, labels, inputKind, inputShape, inputs, outputs, tokenizer, huggingfaceTokenizer, outputKind: outputKind as 'scores' | 'embedding', layers, tensors, parameterCount };
}

/** One entry of the layer table as read, before it is resolved into an input or a layer. */
interface TableEntry {
  name: string;
  kind: LayerKindName;
  activation: ActivationName;
  tensors: number[];
  params: number[];
  /** Entries read (graph files only). */
  reads: number[];
}

interface ReadModel {
  inputs: ParsedInput[];
  layers: ParsedLayer[];
  outputs: ValueRef[];
}

function newLayer(entry: TableEntry, sources: ValueRef[]): ParsedLayer {
  const { name, kind, activation, tensors, params } = entry;
  return { name, kind, activation, tensors, params, sources, inputShapes: [], inputShape: [], outputShape: [] };
}

/** Version 1 and 2: one input (input.shape), each layer reads the one before, the last is the output. */
function readChain(entries: TableEntry[], inputShape: number[], inputKind: InputKind): ReadModel {
  checkShapeSize(inputShape, 'input.shape');
  const layers = entries.map((entry, i) => newLayer(entry, [i === 0 ? { from: 'input', index: 0 } : { from: 'layer', index: i - 1 }]));
  return {
    inputs: [{ name: 'input', shape: inputShape, dtype: inputKind === 'tokens' ? 'int32' : 'float32' }],
    layers,
    outputs: [{ from: 'layer', index: layers.length - 1 }],
  };
}

/** Version 3: input entries (kind 0, params [dtype, ...shape]) and layers naming the entries they read; model.outputs. */
function readGraph(entries: TableEntry[], outputEntries: number[]): ReadModel {
  const inputs: ParsedInput[] = [];
  const layers: ParsedLayer[] = [];
  const refs: ValueRef[] = [];
  entries.forEach((entry, i) => {
    const where = `layer ${i} '${entry.name}' (${entry.kind})`;
    if (entry.kind === 'input') {
      if (entry.reads.length > 0 || entry.tensors.length > 0) fail('bad_layer', `${where}: an input reads nothing and has no tensors`);
      if (entry.activation !== 'linear') fail('bad_layer', `${where}: an input has no activation`);
      const [dtypeCode, ...shape] = entry.params;
      const dtype = INPUT_DTYPES[dtypeCode];
      if (dtype === undefined) fail('bad_layer', `${where}: input dtype ${dtypeCode} is not 0 (float32) or 1 (int32)`);
      if (!shape.every((dim) => Number.isInteger(dim))) fail('bad_shape', `${where}: input shape [${shape}] is not integers`);
      checkShapeSize(shape, `${where}: input shape`);
      if (inputs.some((input) => input.name === entry.name)) fail('bad_layer', `${where}: two inputs are named '${entry.name}'`);
      refs.push({ from: 'input', index: inputs.length });
      inputs.push({ name: entry.name, shape, dtype });
      return;
    }
    if (entry.reads.length === 0) fail('bad_layer', `${where}: reads no entry`);
    refs.push({ from: 'layer', index: layers.length });
    layers.push(newLayer(entry, entry.reads.map((read) => refs[read])));
  });
  if (inputs.length === 0) fail('bad_layer', 'the model has no input entry');
  if (layers.length === 0) fail('bad_layer', 'the model has no layers');
  if (outputEntries.length === 0) fail('bad_metadata', 'model.outputs is empty');
  const outputs = outputEntries.map((entry) => {
    if (entry >= entries.length || refs[entry].from !== 'layer') fail('bad_metadata', `model.outputs: entry ${entry} is not a layer of the table`);
    return refs[entry];
  });
  if (new Set(outputEntries).size !== outputEntries.length) fail('bad_metadata', `model.outputs [${outputEntries}] lists an entry twice`);
  return { inputs, layers, outputs };
}

/** Every layer must lead to an output (the forward pass runs every layer). */
function checkOutputs(layers: ParsedLayer[], outputs: ValueRef[]): void {
  const used = layers.map(() => false);
  for (const ref of outputs) used[ref.index] = true;
  for (let i = layers.length - 1; i >= 0; i--) {
    if (!used[i]) fail('bad_layer', `layer '${layers[i].name}' (${layers[i].kind}) leads to no model output`);
    for (const source of layers[i].sources) if (source.from === 'layer') used[source.index] = true;
  }
}

/**
 * Decodes `tokenizer.vocab` (bytes[range]) into the metadata map. When the special ids
 * (pad, start, unknown: u32 values already read) are the first `lead` ids, one anchored
 * native pass over the Latin-1 string of the bytes both proves the text ASCII (so that string
 * is its UTF-8 decoding) and checks the tokenizer's wordTokens rule: the first `lead` lines
 * any ASCII, every later one ASCII word characters. Returns whether that pass matched;
 * otherwise the text is decoded strictly (ill-formed UTF-8: bad_metadata) and the tokenizer
 * checks its tokens itself. ~390 instructions per byte in the canister instead of ~610
 * (decodeUtf8, then the tokenizer's own pass).
 */
function decodeVocabulary(bytes: Uint8Array, range: [number, number], metadata: Map<string, MetadataValue>): boolean {
  const specials = ['tokenizer.pad_id', 'tokenizer.start_id', 'tokenizer.unknown_id'].map((key) => metadata.get(key));
  let lead = 0;
  while (specials.indexOf(lead) >= 0) lead++;
  const leading = lead > 0 && specials.every((id) => typeof id === 'number' && id < lead);
  let decoded: { text: string; matched: boolean };
  try {
    decoded = leading
      ? decodeUtf8Matching(bytes, range[0], range[1], new RegExp(`^(?:[\\0-\\t\\v-\\x7f]*\\n){${lead}}[A-Za-z0-9_'\\n]*$`, 'y'))
      : { text: decodeUtf8(bytes, range[0], range[1]), matched: false };
  } catch {
    fail('bad_metadata', `metadata 'tokenizer.vocab': string value is not valid UTF-8`);
  }
  metadata.set('tokenizer.vocab', decoded.text);
  return decoded.matched;
}

/** A special token id of metadata `key` (pad, start, unknown), refused outside the vocabulary. */
function tokenIdIn(key: string, value: number, vocabSize: number): number {
  if (value >= vocabSize) fail('bad_metadata', `${key} ${value} is outside the vocabulary of ${vocabSize} tokens`);
  return value;
}

/** Rest tokens made of ASCII word characters, one a line, none empty (one anchored native pass). */
const WORD_LINES = /^[A-Za-z0-9_']+(?:\n[A-Za-z0-9_']+)*$/y;
/** Bytes per Math.max.apply call (QuickJS copies the arguments onto its stack). */
const MAX_BLOCK = 4096;

/** Whether every value of `values` is below `limit` (native: Math.max over blocks). */
function allBelow(values: Uint32Array, limit: number): boolean {
  for (let at = 0; at < values.length; at += MAX_BLOCK) {
    if (Math.max.apply(null, values.subarray(at, at + MAX_BLOCK) as unknown as number[]) >= limit) return false;
  }
  return true;
}

/**
 * The `words` tokenizer from `tokenizer.vocab_table` (engine/vocab-table.ts) and
 * `tokenizer.vocab_rest`: typed-array views of the file and the few rest tokens decoded;
 * `tokenizer.vocab` itself (bytes[vocabRange]) is decoded only when `vocab` is first read.
 * Checks: the layout and counts, every id below the vocabulary size (two native passes),
 * the rest's line count, and (for the split fast path) the rest tokens but the special ones
 * ASCII word characters. The keys need no check: a word matches a key only as its base-36 numeral.
 */
function parseTokenizerTable(
  bytes: Uint8Array,
  tableRange: [number, number],
  vocabRange: [number, number],
  metadata: Map<string, MetadataValue>,
  lowercase: boolean,
  u32: (key: string) => number,
): TokenizerSpec {
  const where = `metadata '${VOCAB_TABLE_KEY}'`;
  const [start, end] = tableRange;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + start, (end - start) >>> 2);
  if (words.length < VOCAB_TABLE_HEADER) fail('bad_metadata', `${where}: ${words.length} values, the header alone has ${VOCAB_TABLE_HEADER}`);
  const [layout, vocabSize, slotCount, restCount, keysAt] = words;
  if (layout !== VOCAB_TABLE_LAYOUT) fail('bad_metadata', `${where}: layout ${layout} is not supported (only ${VOCAB_TABLE_LAYOUT})`);
  if (vocabSize < 1 || slotCount < 1 || restCount > vocabSize) fail('bad_metadata', `${where}: vocabulary ${vocabSize}, ${slotCount} slots, ${restCount} rest tokens`);
  if (keysAt !== VOCAB_TABLE_HEADER && keysAt !== VOCAB_TABLE_HEADER + 1) fail('bad_metadata', `${where}: keys at ${keysAt}, not ${VOCAB_TABLE_HEADER} or ${VOCAB_TABLE_HEADER + 1}`);
  const expected = keysAt + 3 * slotCount + restCount;
  if (words.length !== expected) fail('bad_metadata', `${where}: ${words.length} values, the header says ${expected}`);
  const keysByte = bytes.byteOffset + start + 4 * keysAt;
  // a view when the keys are 8-aligned in memory (the writer aligns them in the file), else one copy of the keys
  const keys = keysByte % 8 === 0 ? new Float64Array(bytes.buffer, keysByte, slotCount) : new Float64Array(bytes.slice(start + 4 * keysAt, start + 4 * keysAt + 8 * slotCount).buffer);
  const slotIds = words.subarray(keysAt + 2 * slotCount, keysAt + 3 * slotCount);
  const restIds = words.subarray(keysAt + 3 * slotCount);
  if (!allBelow(slotIds, vocabSize) || !allBelow(restIds, vocabSize)) fail('bad_metadata', `${where}: a token id is outside the vocabulary of ${vocabSize} tokens`);
  const restText = metadata.get(VOCAB_REST_KEY);
  if (typeof restText !== 'string') fail('bad_metadata', `metadata '${VOCAB_REST_KEY}' (a string) is required with ${where}`);
  const rest = restCount === 0 ? [] : restText.split('\n');
  if (rest.length !== restCount) fail('bad_metadata', `metadata '${VOCAB_REST_KEY}' has ${rest.length} tokens, ${where} says ${restCount}`);
  const id = (key: string): number => tokenIdIn(key, u32(key), vocabSize);
  const padId = id('tokenizer.pad_id');
  const startId = id('tokenizer.start_id');
  const unknownId = id('tokenizer.unknown_id');
  // the split fast path: rest tokens but the special ones ASCII word characters (keyed tokens are, by their form)
  let lead = 0;
  while (lead < restCount && (restIds[lead] === padId || restIds[lead] === startId || restIds[lead] === unknownId)) lead++;
  let wordTokensChecked: boolean;
  if (lead === restCount) wordTokensChecked = true;
  else if (rest.slice(lead).some((_, i) => restIds[lead + i] === padId || restIds[lead + i] === startId || restIds[lead + i] === unknownId)) wordTokensChecked = false;
  else {
    let at = 0;
    for (let i = 0; i < lead; i++) at += rest[i].length + 1;
    WORD_LINES.lastIndex = 0;
    wordTokensChecked = WORD_LINES.test(at === 0 ? restText : restText.slice(at));
  }
  const table: VocabTable = { vocabSize, slotCount, keys, slotIds, restIds };
  let vocab: string[] | null = null;
  return {
    kind: 'words',
    get vocab(): string[] {
      if (vocab === null) {
        let text: string;
        try {
          text = decodeUtf8(bytes, vocabRange[0], vocabRange[1]);
        } catch {
          fail('bad_metadata', `metadata 'tokenizer.vocab': string value is not valid UTF-8`);
        }
        vocab = text.split('\n');
        metadata.set('tokenizer.vocab', text);
      }
      return vocab;
    },
    vocabSize,
    table,
    rest,
    padId,
    startId,
    unknownId,
    lowercase,
    wordTokensChecked,
  };
}

function readScalar(cursor: Cursor, type: number): number | boolean | string {
  switch (type) {
    case VALUE_U32:
      return cursor.u32('u32 value');
    case VALUE_I32:
      return cursor.u32('i32 value') | 0;
    case VALUE_F32:
      return cursor.f32('f32 value');
    case VALUE_BOOL: {
      const value = cursor.u32('bool value');
      if (value > 1) fail('bad_metadata', `${cursor.where}: bool value ${value} is not 0 or 1`);
      return value === 1;
    }
    default:
      return cursor.string('string value');
  }
}

function checkNoOverlap(tensors: ParsedTensor[]): void {
  const byOffset = tensors.map((_, index) => index).sort((x, y) => tensors[x].offset - tensors[y].offset);
  for (let i = 1; i < byOffset.length; ++i) {
    const previous = tensors[byOffset[i - 1]];
    const current = tensors[byOffset[i]];
    if (previous.offset + previous.byteLength > current.offset) {
      fail('bad_tensor', `tensor ${byOffset[i]} '${current.name}' at ${current.offset} overlaps tensor ${byOffset[i - 1]} '${previous.name}' [${previous.offset}, ${previous.offset + previous.byteLength})`);
    }
  }
}

/** Number of f32 scales before the values: one per row (int8), one per column (int8_cols), none for floats. */
function scaleCount(dtype: DType, shape: readonly number[], size: number): number {
  if (dtype === 'int8') return shape[0];
  if (dtype === 'int8_cols') return size / shape[0];
  return 0;
}

function checkShapeSize(shape: readonly number[], what: string): void {
  if (shape.length === 0) fail('bad_shape', `${what} is empty`);
  for (const dim of shape) if (dim < 1) fail('bad_shape', `${what} [${shape}] has a dimension < 1`);
  const size = product(shape);
  if (size > MAX_ACTIVATION_VALUES) fail('bad_shape', `${what} [${shape}] has ${size} values (limit ${MAX_ACTIVATION_VALUES})`);
}

/** Derives each layer's input and output shapes from the inputs' and checks its tensors and input count. */
function deriveShapes(layers: ParsedLayer[], tensors: ParsedTensor[], inputs: ParsedInput[], inputKind: InputKind, graph: boolean): void {
  // graph files count input entries in the table index of a message
  let entryOffset = graph ? inputs.length : 0;
  layers.forEach((layer, index) => {
    const where = `layer ${index + entryOffset} '${layer.name}' (${layer.kind})`;
    const shapeOf = (ref: ValueRef): number[] => (ref.from === 'input' ? inputs[ref.index].shape : layers[ref.index].outputShape);
    layer.inputShapes = layer.sources.map(shapeOf);
    const shape = layer.inputShapes[0];
    const spec = familyKindByName(layer.kind);
    const arity = spec?.inputCount ?? { min: 1, max: 1 };
    const count = layer.sources.length;
    if (count < arity.min || count > arity.max) {
      fail('bad_layer', `${where}: reads ${count} inputs, expected ${arity.min === arity.max ? arity.min : `${arity.min} to ${arity.max === Infinity ? 'any number' : arity.max}`}`);
    }
    const readsInput = layer.sources[0].from === 'input';
    if (graph && readsInput && inputKind === 'tokens' && layer.kind !== 'embedding') fail('bad_layer', `${where}: only embeddings read the input of a tokens model`);
    const expect = (tensorCount: number | readonly number[], paramCount: number): ParsedTensor[] => {
      const counts = typeof tensorCount === 'number' ? [tensorCount] : tensorCount;
      if (!counts.includes(layer.tensors.length)) fail('bad_layer', `${where}: has ${layer.tensors.length} tensors, expected ${counts.join(' or ')}`);
      if (layer.params.length !== paramCount) fail('bad_layer', `${where}: has ${layer.params.length} params, expected ${paramCount}`);
      return layer.tensors.map((tensorIndex) => {
        if (tensorIndex >= tensors.length) fail('bad_layer', `${where}: tensor index ${tensorIndex} is not below tensorCount ${tensors.length}`);
        return tensors[tensorIndex];
      });
    };
    // int8 (row scales) only as a Dense kernel, int8_cols (column scales) only as an embedding table.
    const expectDType = (tensor: ParsedTensor, quantized: 'int8' | 'int8_cols' | null): void => {
      if ((tensor.dtype === 'int8' || tensor.dtype === 'int8_cols') && tensor.dtype !== quantized) {
        const allowed = quantized === null ? 'float32 or float16' : `float32, float16 or ${quantized}`;
        fail('bad_tensor', `${where}: tensor '${tensor.name}' is ${tensor.dtype}; here it must be ${allowed}`);
      }
    };
    const expectShape = (tensor: ParsedTensor, wanted: readonly number[]): void => {
      if (tensor.shape.length !== wanted.length || tensor.shape.some((dim, i) => dim !== wanted[i])) {
        fail('bad_shape', `${where}: tensor '${tensor.name}' has shape [${tensor.shape}], expected [${wanted}]`);
      }
    };
    if (!graph && index === 0 && inputKind === 'tokens' && layer.kind !== 'embedding') fail('bad_layer', `${where}: a tokens model must start with an embedding`);
    const last = shape[shape.length - 1];
    let output: number[];
    switch (layer.kind) {
      case 'embedding': {
        if (!graph && (index !== 0 || inputKind !== 'tokens')) fail('bad_layer', `${where}: an embedding must be the first layer of a tokens model`);
        if (graph && (!readsInput || inputs[layer.sources[0].index].shape.length !== 1)) fail('bad_layer', `${where}: an embedding reads a model input of rank 1 directly`);
        const [table] = expect(1, 0);
        if (table.shape.length !== 2) fail('bad_shape', `${where}: embeddings must have rank 2, not [${table.shape}]`);
        expectDType(table, 'int8_cols');
        output = [...shape, table.shape[1]];
        break;
      }
      case 'global_average_pooling_1d':
      case 'global_max_pooling_1d':
        expect(0, 0);
        if (shape.length !== 2) fail('bad_shape', `${where}: needs an input of rank 2 [steps, channels], got [${shape}]`);
        output = [last];
        break;
      case 'flatten':
        expect(0, 0);
        output = [product(shape)];
        break;
      case 'dense': {
        const [kernel, bias] = expect([1, 2], 0);
        const units = kernel.shape[0];
        expectShape(kernel, [units, last]);
        expectDType(kernel, 'int8');
        if (bias) {
          expectShape(bias, [units]);
          expectDType(bias, null);
        }
        output = [...shape.slice(0, -1), units];
        break;
      }
      case 'activation':
        expect(0, 0);
        output = shape;
        break;
      case 'batch_normalization': {
        for (const vector of expect(4, 1)) {
          expectShape(vector, [last]);
          expectDType(vector, null);
        }
        if (!Number.isFinite(layer.params[0]) || layer.params[0] < 0) fail('bad_layer', `${where}: epsilon ${layer.params[0]} must be finite and ≥ 0`);
        output = shape;
        break;
      }
      default: {
        // a family kind (engine/layers/): the reader only lets known kinds through
        if (!spec) fail('bad_layer', `${where}: unknown layer kind`);
        output = spec.outputShape(layer, shape, tensors, where);
      }
    }
    checkShapeSize(output, `${where}: output shape`);
    layer.inputShape = shape;
    layer.outputShape = output;
  });
}

/**
 * The runtime's own Float16Array where it has one (the canister's QuickJS-ng, Node ≥ 24): a
 * float32 copy of a float16 tensor is then one native conversion, ~350 instructions a value
 * in the canister against ~6,300 for the loop over float16ToFloat32 (both exact), so a
 * 128 MiB float16 file decodes in ~24B instructions, inside one 40B message, instead of ~420B.
 */
const NativeFloat16 = (globalThis as { Float16Array?: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayLike<number> }).Float16Array;

/** Values of tensor `index` as float32: a view for float32, a decoded copy otherwise. */
export function tensorFloat32(file: ParsedModelFile, index: number): Float32Array {
  const tensor = file.tensors[index];
  const start = file.bytes.byteOffset + tensor.offset;
  if (tensor.dtype === 'float32') return new Float32Array(file.bytes.buffer, start, tensor.size);
  if (tensor.dtype === 'float16' && NativeFloat16 !== undefined) return new Float32Array(new NativeFloat16(file.bytes.buffer, start, tensor.size));
  const out = new Float32Array(tensor.size);
  if (tensor.dtype === 'float16') {
    const halves = new Uint16Array(file.bytes.buffer, start, tensor.size);
    for (let i = 0; i < out.length; ++i) out[i] = float16ToFloat32(halves[i]);
    return out;
  }
  if (tensor.dtype === 'int8_cols') {
    const { scales, values, rows, cols } = tensorInt8Cols(file, index);
    for (let row = 0, i = 0; row < rows; ++row) for (let col = 0; col < cols; ++col, ++i) out[i] = values[i] * scales[col];
    return out;
  }
  const { scales, values, cols } = tensorInt8(file, index);
  for (let row = 0, i = 0; row < scales.length; ++row) {
    const scale = scales[row];
    for (let end = i + cols; i < end; ++i) out[i] = values[i] * scale;
  }
  return out;
}

export interface Int8TensorView {
  /** One scale per row (int8) or per column (int8_cols). */
  scales: Float32Array;
  /** rows × cols quantized values, row-major. */
  values: Int8Array;
  rows: number;
  cols: number;
}

/** Views of an int8 tensor: one scale per row, then rows × cols values (value = q × scale[row]). */
export function tensorInt8(file: ParsedModelFile, index: number): Int8TensorView {
  return int8View(file, index, 'int8');
}

/** Views of an int8_cols tensor: one scale per column, then rows × cols values (value = q × scale[col]). */
export function tensorInt8Cols(file: ParsedModelFile, index: number): Int8TensorView {
  return int8View(file, index, 'int8_cols');
}

function int8View(file: ParsedModelFile, index: number, dtype: 'int8' | 'int8_cols'): Int8TensorView {
  const tensor = file.tensors[index];
  if (tensor.dtype !== dtype) throw new ModelFormatError('bad_tensor', `tensor ${index} '${tensor.name}' is ${tensor.dtype}, not ${dtype}`);
  const rows = tensor.shape[0];
  const cols = tensor.size / rows;
  const scaleCount = dtype === 'int8' ? rows : cols;
  const start = file.bytes.byteOffset + tensor.offset;
  return {
    scales: new Float32Array(file.bytes.buffer, start, scaleCount),
    values: new Int8Array(file.bytes.buffer, start + scaleCount * 4, tensor.size),
    rows,
    cols,
  };
}
