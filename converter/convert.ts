// Converts a TF.js layers model (model.json + weight shards + vocab + labels) into
// one decentAI model file (docs/FORMAT.md). Pure: all file access goes through
// ConvertInput.readWeightFile, so tests and the CLI share this code.

import type { DType } from '../engine/api.ts';
import { ModelFormatError } from '../engine/errors.ts';
import { float16ToFloat32, float32ToFloat16 } from '../engine/float16.ts';
import { ACTIVATIONS, MAX_ACTIVATION_VALUES, parseModelFile, VOCAB_REST_KEY, VOCAB_TABLE_KEY, type ActivationName, type LayerKindName } from '../engine/format.ts';
import { vocabTableWords } from '../engine/vocab-table.ts';
import { ConvertError, activationOf, describe, isDim, isObject, positiveInt, snakeCaseKeys, type Json, type KerasLayer } from './config.ts';
import { NO_MASK, type StepMask } from './layers/family.ts';
import { familyConverter, FAMILY_CLASS_NAMES } from './layers/index.ts';
import { MASK_TOKENS } from '../engine/layers/recurrent.ts';
import { refusedLayer } from './layers/refused.ts';
import { writeModelFile, type LayerEntry, type MetadataEntry, type TensorEntry } from './writer.ts';

export { ConvertError };

export const CONVERTER_NAME = 'decentai-converter 0.1.0';


export type Quantization = 'float32' | 'float16' | 'int8';

export interface ConvertInput {
  /** The parsed model.json. */
  modelJson: unknown;
  /** Bytes of a weight shard, by its path as written in the manifest. */
  readWeightFile(path: string): Uint8Array;
  vocabText?: string;
  labelsText?: string;
  /** One line per label, in label order: what each label means (`model.label_descriptions`). */
  labelDescriptionsText?: string;
  /** Size of the model.json file, for the summary's ratio (default: its compact JSON size). */
  modelJsonBytes?: number;
}

export interface ConvertOptions {
  quantize?: Quantization;
  /** general.name; default: the model config's name. */
  name?: string;
  /** File name recorded in general.source; default "model.json". */
  source?: string;
  /** Size given to variable-length (None) input dimensions; default DEFAULT_MAX_LENGTH. */
  maxLength?: number;
  /**
   * Also write the vocabulary as a table (`tokenizer.vocab_table`, engine/vocab-table.ts): 'auto'
   * (the default) from VOCAB_TABLE_MIN_TOKENS tokens on. The table saves ~5,200 instructions per
   * token at load (no object, no decoding) and costs ~22 bytes per token and ~3,500 instructions
   * per known word the tokenizer looks up (a parseInt and a probe instead of one property read).
   */
  vocabTable?: 'auto' | 'on' | 'off';
}

/**
 * Vocabularies from this size on get a table by default: below it, the file's size and the
 * predictions weigh more than the load (the spam model's 2,003 tokens: the table would grow
 * its int8 file from 30 KB to 77 KB and a prediction by ~3,500 instructions a known word, and
 * save ~10.4M instructions at commit; docs/FORMAT.md).
 */
export const VOCAB_TABLE_MIN_TOKENS = 10_000;

/** Default size of a variable-length (None) input dimension: the file stores fixed shapes. */
export const DEFAULT_MAX_LENGTH = 128;

export interface LayerReport {
  name: string;
  className: string;
  outputShape: number[];
  parameters: number;
}

export interface ConvertSummary {
  name: string;
  layers: LayerReport[];
  parameters: number;
  /** Size of the written file. */
  bytes: number;
  /** Size of the inputs: model.json, its weight shards, vocab and labels. */
  sourceBytes: number;
  /** bytes / sourceBytes. */
  ratio: number;
  quantize: Quantization;
}

export interface ConvertResult {
  bytes: Uint8Array;
  summary: ConvertSummary;
}

export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Embedding',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'Dense',
  'Dropout',
  'Activation',
] as const;

const CLASS_ALIASES: Record<string, string> = { GlobalAvgPool1D: 'GlobalAveragePooling1D', GlobalMaxPool1D: 'GlobalMaxPooling1D' };


/** A decoded weight from the manifest. */
interface Weight {
  name: string;
  shape: number[];
  values: Float32Array;
}

export function convertModel(input: ConvertInput, options: ConvertOptions = {}): ConvertResult {
  const quantize = options.quantize ?? 'float32';
  if (!['float32', 'float16', 'int8'].includes(quantize)) throw new ConvertError(`unknown quantization '${quantize}'; use float32, float16 or int8`);
  const root = input.modelJson;
  if (!isObject(root)) throw new ConvertError('model.json must be a JSON object');
  const { modelConfig, graph } = readTopology(root);
  const manifest = readWeights(root.weightsManifest, input.readWeightFile);
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new ConvertError(`max length ${describe(options.maxLength)} must be a positive integer`);
  const model = buildLayers(graph, manifest.weights, quantize, maxLength);
  const name = options.name ?? (typeof modelConfig.name === 'string' && modelConfig.name ? modelConfig.name : 'model');

  const outputSize = model.outputSize;
  const labels = input.labelsText === undefined ? Array.from({ length: outputSize }, (_, i) => String(i)) : parseLines(input.labelsText);
  if (labels.length !== outputSize) throw new ConvertError(`labels has ${labels.length} labels but the model has ${outputSize} outputs`);

  const origin = [root.format, root.generatedBy, root.convertedBy].filter((part) => typeof part === 'string').join('; ');
  const metadata: MetadataEntry[] = [
    { key: 'general.name', type: 'string', value: name },
    { key: 'general.source', type: 'string', value: `${options.source ?? 'model.json'}${origin ? ` (${origin})` : ''}` },
    { key: 'general.converter', type: 'string', value: CONVERTER_NAME },
    { key: 'model.labels', type: 'string[]', value: labels },
    ...labelDescriptions(input.labelDescriptionsText, labels),
    { key: 'input.kind', type: 'string', value: model.inputKind },
    // a chain (version 1 or 2) declares its one input here; a graph (version 3) in input entries, its outputs here
    model.outputEntries === null
      ? { key: 'input.shape', type: 'u32[]', value: model.inputShape }
      : { key: 'model.outputs', type: 'u32[]', value: model.outputEntries },
  ];
  if (input.vocabText !== undefined) {
    if (model.inputKind !== 'tokens') throw new ConvertError('a vocab was given but the model does not start with an Embedding (its input is a vector)');
    const vocabTable = options.vocabTable ?? 'auto';
    if (vocabTable !== 'auto' && vocabTable !== 'on' && vocabTable !== 'off') throw new ConvertError(`vocab table ${describe(vocabTable)} must be auto, on or off`);
    metadata.push(...tokenizerMetadata(input.vocabText, model.vocabLimit, vocabTable));
  }

  const bytes = writeModelFile({ metadata, layers: model.entries, tensors: model.tensors });
  try {
    parseModelFile(bytes); // the reader's checks are the last word on what the engine accepts
  } catch (error) {
    if (error instanceof ModelFormatError) throw new ConvertError(`the converted model does not validate: ${error.message}`);
    throw error;
  }
  const textBytes = (text: string | undefined): number => (text === undefined ? 0 : new TextEncoder().encode(text).length);
  const sourceBytes = (input.modelJsonBytes ?? textBytes(JSON.stringify(root))) + manifest.bytes + textBytes(input.vocabText) + textBytes(input.labelsText) + textBytes(input.labelDescriptionsText);
  const parameters = model.tensors.reduce((sum, tensor) => sum + tensor.shape.reduce((x, y) => x * y, 1), 0);
  return {
    bytes,
    summary: { name, layers: model.reports, parameters, bytes: bytes.length, sourceBytes, ratio: bytes.length / sourceBytes, quantize },
  };
}

/** Lines of a text file without the trailing empty ones. */
function labelDescriptions(text: string | undefined, labels: readonly string[]): MetadataEntry[] {
  if (text === undefined) return [];
  const lines = parseLines(text);
  if (lines.length !== labels.length) throw new ConvertError(`label descriptions has ${lines.length} lines but there are ${labels.length} labels (one line per label, in label order)`);
  return [{ key: 'model.label_descriptions', type: 'string[]', value: lines }];
}

function parseLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function tokenizerMetadata(vocabText: string, embeddingRows: number, vocabTable: 'auto' | 'on' | 'off'): MetadataEntry[] {
  const lines = parseLines(vocabText);
  const vocab: string[] = new Array<string>(lines.length);
  lines.forEach((line, lineIndex) => {
    // `s`: a stray \r is read into the token, to be refused below with a clear message
    const match = /^(.*)[ \t](\d+)$/s.exec(line);
    if (!match) throw new ConvertError(`vocab line ${lineIndex + 1}: expected "token index", got ${describe(line)}`);
    const id = Number(match[2]);
    if (id >= lines.length) throw new ConvertError(`vocab line ${lineIndex + 1}: index ${id} is outside 0..${lines.length - 1} (indices must be dense)`);
    if (vocab[id] !== undefined) throw new ConvertError(`vocab line ${lineIndex + 1}: index ${id} is used twice`);
    const token = match[1];
    if (token === '') throw new ConvertError(`vocab line ${lineIndex + 1}: empty token`);
    // the file stores the vocabulary as one string, tokens separated by "\n"
    if (/[\r\n]/.test(token)) throw new ConvertError(`vocab line ${lineIndex + 1}: token ${describe(token)} contains a line break (\\r or \\n)`);
    vocab[id] = token;
  });
  if (vocab.length === 0) throw new ConvertError('vocab is empty');
  if (vocab.length > embeddingRows) throw new ConvertError(`vocab has ${vocab.length} tokens but the Embedding has input_dim ${embeddingRows}`);
  const special = (token: string, fallback: number): number => {
    const id = vocab.indexOf(token);
    if (id >= 0) return id;
    if (fallback >= vocab.length) throw new ConvertError(`vocab has no ${token} and the default id ${fallback} is outside it`);
    return fallback;
  };
  const table = vocabTable === 'on' || (vocabTable === 'auto' && vocab.length >= VOCAB_TABLE_MIN_TOKENS);
  const entries: MetadataEntry[] = [
    { key: 'tokenizer.kind', type: 'string', value: 'words' },
    { key: 'tokenizer.vocab', type: 'string', value: vocab.join('\n') },
    { key: 'tokenizer.pad_id', type: 'u32', value: special('<PAD>', 0) },
    { key: 'tokenizer.start_id', type: 'u32', value: special('<START>', 1) },
    { key: 'tokenizer.unknown_id', type: 'u32', value: special('<UNKNOWN>', 2) },
    { key: 'tokenizer.lowercase', type: 'bool', value: true },
  ];
  if (table) {
    // the same vocabulary as a table (engine/vocab-table.ts): readers that know it load without decoding tokenizer.vocab
    entries.push(
      { key: VOCAB_REST_KEY, type: 'string', value: vocabTableWords(vocab, 0).rest.join('\n') },
      { key: VOCAB_TABLE_KEY, type: 'placed u32[]', value: (elementsOffset) => vocabTableWords(vocab, elementsOffset).words },
    );
  }
  return entries;
}

// ---------------------------------------------------------------------------
// Topology: the Keras model as a graph of layer nodes, nested models inlined

/** Output `index` of graph node `node`. */
interface NodeRef {
  node: number;
  index: number;
}

interface GraphNode {
  layer: KerasLayer;
  /** What the layer reads, in order; none for an input. */
  inputs: NodeRef[];
  /** Inputs: the layer declaring the shape (an InputLayer, or a Sequential's first layer) and build_input_shape. */
  declared?: { layer: KerasLayer; buildInputShape: unknown };
}

interface KerasGraph {
  /** Topologically ordered: a node reads only earlier nodes. */
  nodes: GraphNode[];
  outputs: NodeRef[];
}

export const NESTED_MODELS = ['Sequential', 'Model', 'Functional'];

function readTopology(root: Json): { modelConfig: Json; graph: KerasGraph } {
  // TF.js reads camelCase keys as snake_case ones (a hand-edited model.json may use either)
  const topology = snakeCaseKeys(root.modelTopology);
  if (!isObject(topology)) throw new ConvertError('model.json has no modelTopology object (is this a TF.js layers model?)');
  // tensorflowjs_converter nests the Keras config in model_config; tfjs model.save does not.
  const model = isObject(topology.model_config) ? topology.model_config : topology;
  const nodes: GraphNode[] = [];
  const outputs = expandModel(nodes, model.class_name, model.config, null, 'model');
  return { modelConfig: isObject(model.config) ? model.config : {}, graph: { nodes, outputs } };
}

function addNode(nodes: GraphNode[], node: GraphNode): NodeRef {
  nodes.push(node);
  return { node: nodes.length - 1, index: 0 };
}

/**
 * Adds a (possibly nested) model's layers to `nodes` and returns its outputs. `given`: the
 * tensors a nested model is applied to; null for the outer model, whose InputLayers
 * become the model inputs.
 */
function expandModel(nodes: GraphNode[], className: unknown, config: unknown, given: NodeRef[] | null, where: string): NodeRef[] {
  if (className === 'Sequential') {
    // Keras 2.0 wrote the layer list as the config itself.
    const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    if (!Array.isArray(list)) throw new ConvertError(`${where}: Sequential model has no config.layers list`);
    return [expandSequential(nodes, list.map(readLayer), isObject(config) ? config.build_input_shape : undefined, given, where)];
  }
  if (className === 'Model' || className === 'Functional') {
    if (!isObject(config) || !Array.isArray(config.layers)) throw new ConvertError(`${where}: ${className} model has no config.layers list`);
    return expandFunctional(nodes, config, given, where);
  }
  throw new ConvertError(`model class ${describe(className)} is not supported; supported: Sequential, Model/Functional`);
}

function expandSequential(nodes: GraphNode[], layers: KerasLayer[], buildInputShape: unknown, given: NodeRef[] | null, where: string): NodeRef {
  if (given !== null && given.length !== 1) throw new ConvertError(`${where}: a Sequential model takes one input, it is given ${given.length}`);
  let current: NodeRef | null = given === null ? null : given[0];
  layers.forEach((layer, index) => {
    if (layer.className === 'InputLayer') {
      if (index !== 0) throw new ConvertError(`layer '${layer.name}' (InputLayer) must be the first layer`);
      // a nested Sequential's InputLayer stands for the tensor it is applied to
      if (current === null) current = addNode(nodes, { layer, inputs: [], declared: { layer, buildInputShape } });
      return;
    }
    if (NESTED_MODELS.includes(layer.className)) {
      const outputs = expandModel(nodes, layer.className, layer.config, current === null ? null : [current], `layer '${layer.name}' (${layer.className})`);
      if (outputs.length !== 1) throw new ConvertError(`layer '${layer.name}' (${layer.className}) has ${outputs.length} outputs; in a Sequential model it must have one`);
      current = outputs[0];
      return;
    }
    // no InputLayer: the first layer declares the input (as TF.js names it, `<layer>_input`)
    if (current === null) {
      current = addNode(nodes, { layer: { className: 'InputLayer', name: `${layer.name}_input`, config: { dtype: layer.config.dtype } }, inputs: [], declared: { layer, buildInputShape } });
    }
    current = addNode(nodes, { layer, inputs: [current] });
  });
  if (current === null) throw new ConvertError('the model has no layers to convert');
  return current;
}

/** An inbound tensor: layer name and output index (node indices are not needed: shared layers are refused). */
interface InboundRef {
  name: string;
  index: number;
}

function expandFunctional(nodes: GraphNode[], config: Json, given: NodeRef[] | null, where: string): NodeRef[] {
  const entries = config.layers as unknown[];
  const byName = new Map<string, { layer: KerasLayer; inbound: InboundRef[] }>();
  entries.forEach((entry, index) => {
    const layer = readLayer(entry, index);
    if (byName.has(layer.name)) throw new ConvertError(`functional model has two layers named '${layer.name}'`);
    byName.set(layer.name, { layer, inbound: inboundTensors(entry, layer.name) });
  });
  const inputNames = endpoints(config.input_layers, 'input_layers').map((ref) => ref.name);
  if (given !== null && given.length !== inputNames.length) {
    throw new ConvertError(`${where}: the nested model has ${inputNames.length} inputs but is given ${given.length}`);
  }
  const resolved = new Map<string, NodeRef[]>();
  const visiting = new Set<string>();
  // depth first from the outputs: every node is added after the nodes it reads
  const resolve = (name: string): NodeRef[] => {
    const done = resolved.get(name);
    if (done) return done;
    const node = byName.get(name);
    if (!node) throw new ConvertError(`functional model refers to an unknown layer '${name}'`);
    if (visiting.has(name)) throw new ConvertError(`functional model has a cycle through layer '${name}'`);
    visiting.add(name);
    const { layer } = node;
    let refs: NodeRef[];
    const inputIndex = inputNames.indexOf(name);
    if (inputIndex >= 0) {
      refs = [given === null ? addNode(nodes, { layer, inputs: [], declared: { layer, buildInputShape: undefined } }) : given[inputIndex]];
    } else {
      if (layer.className === 'InputLayer') throw new ConvertError(`InputLayer '${name}' is not listed in input_layers`);
      if (node.inbound.length === 0) throw new ConvertError(`layer '${name}' (${layer.className}) reads nothing`);
      const sources = node.inbound.map((ref) => {
        const outputs = resolve(ref.name);
        const source = outputs[ref.index];
        if (!source) throw new ConvertError(`layer '${name}' reads output ${ref.index} of '${ref.name}', which has ${outputs.length}`);
        return source;
      });
      refs = NESTED_MODELS.includes(layer.className)
        ? expandModel(nodes, layer.className, layer.config, sources, `layer '${name}' (${layer.className})`)
        : [addNode(nodes, { layer, inputs: sources })];
    }
    visiting.delete(name);
    resolved.set(name, refs);
    return refs;
  };
  // inputs first, in input_layers order (a model input nothing reads is still an input)
  for (const name of inputNames) resolve(name);
  return endpoints(config.output_layers, 'output_layers').map((ref) => {
    const outputs = resolve(ref.name);
    if (!outputs[ref.index]) throw new ConvertError(`output_layers names output ${ref.index} of '${ref.name}', which has ${outputs.length}`);
    return outputs[ref.index];
  });
}

function readLayer(value: unknown, index: number): KerasLayer {
  if (!isObject(value) || typeof value.class_name !== 'string' || !isObject(value.config)) {
    throw new ConvertError(`layer ${index} is not an object with class_name and config`);
  }
  const name = typeof value.config.name === 'string' ? value.config.name : typeof value.name === 'string' ? value.name : `layer_${index}`;
  return { className: CLASS_ALIASES[value.class_name] ?? value.class_name, name, config: value.config };
}

/** The layers named by input_layers/output_layers: [["name", 0, 0], …] or Keras 3's ["name", 0, 0] for one. */
function endpoints(value: unknown, what: string): InboundRef[] {
  const list = Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => Array.isArray(item) && typeof item[0] === 'string')) {
    throw new ConvertError(`functional model's ${what} must list layers as [name, node, tensor], got ${describe(value)}`);
  }
  return (list as unknown[][]).map((item) => ({ name: item[0] as string, index: typeof item[2] === 'number' ? item[2] : 0 }));
}

/** The tensors feeding a Functional layer, in order (Keras 2 node lists or Keras 3 keras_history). */
function inboundTensors(entry: unknown, name: string): InboundRef[] {
  const nodes = isObject(entry) ? entry.inbound_nodes : undefined;
  if (nodes === undefined) return [];
  if (!Array.isArray(nodes)) throw new ConvertError(`layer '${name}': inbound_nodes is not a list`);
  if (nodes.length > 1) throw new ConvertError(`layer '${name}' is applied ${nodes.length} times; shared layers are not supported`);
  if (nodes.length === 0) return [];
  const node: unknown = nodes[0];
  const refs: InboundRef[] = [];
  if (Array.isArray(node)) {
    for (const inbound of node) {
      if (!Array.isArray(inbound) || typeof inbound[0] !== 'string') throw new ConvertError(`layer '${name}': malformed inbound node ${describe(inbound)}`);
      refs.push({ name: inbound[0], index: typeof inbound[2] === 'number' ? inbound[2] : 0 });
    }
  } else if (isObject(node)) {
    collectHistory(node.args, refs);
  } else {
    throw new ConvertError(`layer '${name}': malformed inbound node ${describe(node)}`);
  }
  return refs;
}

function collectHistory(value: unknown, refs: InboundRef[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectHistory(item, refs);
  } else if (isObject(value)) {
    const history = isObject(value.config) ? value.config.keras_history : undefined;
    if (value.class_name === '__keras_tensor__' && Array.isArray(history) && typeof history[0] === 'string') {
      refs.push({ name: history[0], index: typeof history[2] === 'number' ? history[2] : 0 });
    }
  }
}

// ---------------------------------------------------------------------------
// Weights

function readWeights(manifest: unknown, readWeightFile: (path: string) => Uint8Array): { weights: Map<string, Weight>; bytes: number } {
  if (!Array.isArray(manifest)) throw new ConvertError('model.json has no weightsManifest list');
  const weights = new Map<string, Weight>();
  let totalBytes = 0;
  manifest.forEach((group: unknown, groupIndex) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ConvertError(`weightsManifest[${groupIndex}] must have "paths" and "weights" lists`);
    }
    const paths = group.paths.map((path: unknown) => {
      if (typeof path !== 'string') throw new ConvertError(`weightsManifest[${groupIndex}].paths has a non-string entry ${describe(path)}`);
      return path;
    });
    const shards = paths.map((path) => readShard(readWeightFile, path));
    const data = concat(shards);
    totalBytes += data.length;
    const specs = group.weights.map((spec: unknown, index) => weightSpec(spec, `weightsManifest[${groupIndex}].weights[${index}]`));
    const needed = specs.reduce((sum, spec) => sum + spec.byteLength, 0);
    if (needed > data.length) {
      throw new ConvertError(`weight group ${groupIndex} (${paths.join(', ')}): shards hold ${data.length} bytes but the manifest needs ${needed} (short or missing shard?)`);
    }
    let offset = 0;
    for (const spec of specs) {
      if (weights.has(spec.name)) throw new ConvertError(`weight '${spec.name}' appears twice in weightsManifest`);
      weights.set(spec.name, { name: spec.name, shape: spec.shape, values: spec.decode(data.subarray(offset, offset + spec.byteLength)) });
      offset += spec.byteLength;
    }
  });
  return { weights, bytes: totalBytes };
}

function readShard(readWeightFile: (path: string) => Uint8Array, path: string): Uint8Array {
  try {
    return readWeightFile(path);
  } catch (error) {
    if (error instanceof ConvertError) throw error;
    throw new ConvertError(`cannot read weight file '${path}': ${error instanceof Error ? error.message : String(error)}`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A fresh ArrayBuffer holding exactly `bytes` (a Node Buffer's .buffer is a shared pool). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

interface WeightSpec {
  name: string;
  shape: number[];
  byteLength: number;
  decode(bytes: Uint8Array): Float32Array;
}

/** Reads a manifest entry: float32/int32, optionally quantized as tensorflowjs_converter writes it. */
function weightSpec(spec: unknown, where: string): WeightSpec {
  if (!isObject(spec) || typeof spec.name !== 'string') throw new ConvertError(`${where} has no name`);
  const name = spec.name;
  const shape = spec.shape;
  if (!Array.isArray(shape) || !shape.every(isDim)) throw new ConvertError(`weight '${name}': shape ${describe(shape)} is not a list of sizes`);
  const size = shape.reduce((x: number, y: number) => x * y, 1);
  const dtype = spec.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') throw new ConvertError(`weight '${name}': dtype ${describe(dtype)} is not supported (float32 or int32)`);
  const quantization = spec.quantization;
  if (quantization === undefined || quantization === null) {
    return {
      name,
      shape,
      byteLength: size * 4,
      decode: (bytes) => (dtype === 'float32' ? new Float32Array(ownBuffer(bytes)) : Float32Array.from(new Int32Array(ownBuffer(bytes)))),
    };
  }
  if (!isObject(quantization)) throw new ConvertError(`weight '${name}': quantization must be an object`);
  const qtype = quantization.dtype;
  const integral = (quantization.original_dtype ?? dtype) === 'int32';
  if (qtype === 'float16') {
    return {
      name,
      shape,
      byteLength: size * 2,
      decode: (bytes) => Float32Array.from(new Uint16Array(ownBuffer(bytes)), float16ToFloat32),
    };
  }
  if (qtype !== 'uint8' && qtype !== 'uint16') throw new ConvertError(`weight '${name}': quantization dtype ${describe(qtype)} is not supported (uint8, uint16, float16)`);
  const { min, scale } = quantization;
  if (typeof min !== 'number' || typeof scale !== 'number') throw new ConvertError(`weight '${name}': ${qtype} quantization needs numeric min and scale`);
  const width = qtype === 'uint8' ? 1 : 2;
  return {
    name,
    shape,
    byteLength: size * width,
    decode: (bytes) => {
      const quantized = width === 1 ? bytes : new Uint16Array(ownBuffer(bytes));
      return Float32Array.from(quantized, (q) => (integral ? Math.round(q * scale + min) : q * scale + min));
    },
  };
}

// ---------------------------------------------------------------------------
// Layers

interface BuiltModel {
  inputKind: 'tokens' | 'vector';
  /** The first input's shape. */
  inputShape: number[];
  /** Values of all outputs together (one label each). */
  outputSize: number;
  /** Embedding rows: the largest vocabulary a tokenizer may have. */
  vocabLimit: number;
  entries: LayerEntry[];
  /** Graphs: the table entries of the outputs; null for a chain (written as version 1 or 2). */
  outputEntries: number[] | null;
  tensors: TensorEntry[];
  reports: LayerReport[];
}

/** A value of the graph as stored: the table entry holding it and its shape. */
interface StoredValue {
  entry: number;
  shape: number[];
  /** The step mask TF.js carries with it (Embedding mask_zero, Masking) to the recurrent layers. */
  mask: StepMask;
}

function buildLayers(graph: KerasGraph, weights: Map<string, Weight>, quantize: Quantization, maxLength: number): BuiltModel {
  const entries: LayerEntry[] = [];
  const tensors: TensorEntry[] = [];
  const reports: LayerReport[] = [];
  /** The stored value of each graph node (an identity layer's is its input's). */
  const values: StoredValue[] = [];
  const inputEntries: number[] = [];
  // an Embedding mask_zero mask is read from the model's token ids: a tokens model only
  let maskedTokens = false;
  const unscopedOwners = new Map<string, string>();

  graph.nodes.forEach((node) => {
    // a LeakyReLU activation (not an activation code: it has a slope) is stored as a leaky_relu entry after the layer
    const slope = leakySlope(node.layer.config.activation, `layer '${node.layer.name}' (${node.layer.className})`);
    const layer = slope === null ? node.layer : { ...node.layer, config: { ...node.layer.config, activation: 'linear' } };
    const where = `layer '${layer.name}' (${layer.className})`;
    if (node.declared) {
      const shape = declaredInputShape(node.declared.layer, node.declared.buildInputShape, maxLength);
      const dtype = layer.config.dtype === 'int32' ? 1 : 0;
      inputEntries.push(entries.length);
      values.push({ entry: entries.length, shape, mask: NO_MASK });
      entries.push({ name: layer.name, kind: 'input', activation: 'linear', tensors: [], params: [dtype, ...shape], inputs: [] });
      return;
    }
    const { config } = layer;
    const family = familyConverter(layer.className);
    const refusal = refusedLayer(layer.className);
    if (refusal !== undefined) throw new ConvertError(`${where} is not supported: ${refusal}`);
    if (!family && !(SUPPORTED_LAYERS as readonly string[]).includes(layer.className)) {
      throw new ConvertError(`${where} is not supported (a custom or unknown layer class); supported: ${[...SUPPORTED_LAYERS, ...FAMILY_CLASS_NAMES, ...NESTED_MODELS].join(', ')}`);
    }
    if (layer.className === 'InputLayer') throw new ConvertError(`${where} must be the first layer`);
    const sources = node.inputs.map((ref) => values[ref.node]);
    let mask = sources[0].mask;
    const input: number[] = sources[0].shape;
    const last = input[input.length - 1];
    const weight = (param: string, expected: readonly number[]): Float32Array => findWeight(weights, layer, param, expected, unscopedOwners);
    const stored: number[] = [];
    const tensorsBefore = tensors.length;
    const entriesBefore = entries.length;
    // Quantization applies to kernels (int8: a scale per row = per output channel), embedding
    // tables (int8_cols: a scale per column = per output channel) and, in float16 files, vectors
    // (biases, PReLU alpha, normalization gamma/beta); int8 files keep vectors float32 (a scale per
    // output channel of a vector is one scale per value), and statistics (moving mean/variance,
    // Normalization mean/variance, Rescaling constants) stay float32 in every file (docs/FORMAT.md).
    const addTensor = (param: string, tensorShape: readonly number[], values: Float32Array, kind: 'kernel' | 'embedding' | 'vector' | 'statistic'): void => {
      const dtype: DType =
        kind === 'statistic' ? 'float32' : kind === 'vector' ? (quantize === 'float16' ? 'float16' : 'float32') : quantize === 'int8' && kind === 'embedding' ? 'int8_cols' : quantize;
      stored.push(tensors.length);
      tensors.push(encodeTensor(`${layer.name}/${param}`, tensorShape.slice(), values, dtype));
    };
    // the layer's first entry reads its inputs, each further one the entry before it
    let reads = sources.map((source) => source.entry);
    const store = (kind: LayerKindName, activation: ActivationName, params: readonly number[] = []): void => {
      entries.push({ name: layer.name, kind, activation, tensors: stored.splice(0), params: params.slice(), inputs: reads });
      reads = [entries.length - 1];
    };
    let output = input;

    if (family) {
      const arity = family.inputCount ?? { min: 1, max: 1 };
      if (sources.length < arity.min || sources.length > arity.max) {
        throw new ConvertError(`${where} reads ${sources.length} inputs; it takes ${arity.min === arity.max ? arity.min : `at least ${arity.min}`}`);
      }
      output = family.convert({
        layer,
        where,
        input,
        inputs: sources.map((source) => source.shape),
        weight,
        hasWeight: (param) => hasWeight(weights, layer, param),
        weightParams: () => weightParams(weights, layer),
        addTensor,
        store,
        mask,
        // only merge layers read several inputs; they combine the masks as TF.js (converter/layers/merge.ts)
        masks: sources.map((source) => source.mask),
        setMask: (next) => (mask = next),
      });
    } else {
      if (sources.length !== 1) throw new ConvertError(`${where} reads ${sources.length} inputs; it takes one`);
      switch (layer.className) {
        case 'Embedding': {
          if (!inputEntries.includes(sources[0].entry)) throw new ConvertError(`${where} must read a model input (token ids) directly`);
          if (input.length !== 1) throw new ConvertError(`${where} needs a 1-D input of token ids, got shape [${input}]`);
          mask = config.mask_zero === true ? { mode: MASK_TOKENS, steps: input[0] } : NO_MASK;
          if (config.mask_zero === true) maskedTokens = true;
          const inputDim = positiveInt(config.input_dim, where, 'input_dim');
          const outputDim = positiveInt(config.output_dim, where, 'output_dim');
          addTensor('embeddings', [inputDim, outputDim], weight('embeddings', [inputDim, outputDim]), 'embedding');
          store('embedding', 'linear');
          output = [...input, outputDim];
          break;
        }
        case 'Dense': {
          const units = positiveInt(config.units, where, 'units');
          const activation = activationOf(config.activation, where);
          const kernel = weight('kernel', [last, units]);
          addTensor('kernel', [units, last], transpose(kernel, last, units), 'kernel');
          if (config.use_bias !== false) addTensor('bias', [units], weight('bias', [units]), 'vector');
          store('dense', activation);
          output = [...input.slice(0, -1), units];
          break;
        }
        case 'Activation':
          store('activation', activationOf(config.activation, where));
          break;
        case 'GlobalAveragePooling1D':
        case 'GlobalMaxPooling1D': {
          if (config.data_format !== undefined && config.data_format !== 'channels_last') throw new ConvertError(`${where}: only data_format channels_last is supported`);
          if (config.keepdims === true) throw new ConvertError(`${where}: keepdims true is not supported (TF.js has no such option)`);
          if (input.length !== 2) throw new ConvertError(`${where} needs a [steps, channels] input, got [${input}]`);
          if (mask.mode !== 0) throw new ConvertError(`${where}: receives a step mask (Embedding mask_zero or Masking), which TF.js pooling ignores and Keras does not, so no single answer would be right`);
          store(layer.className === 'GlobalAveragePooling1D' ? 'global_average_pooling_1d' : 'global_max_pooling_1d', 'linear');
          output = [last];
          break;
        }
        case 'Dropout':
          break;
      }
    }
    if (slope !== null) {
      if (entries.length === entriesBefore) throw new ConvertError(`${where}: a LeakyReLU activation on a layer that stores nothing is not supported`);
      store('leaky_relu', 'linear', [slope]);
    }
    checkSize(output, `${where}: output shape`);
    const parameters = tensors.slice(tensorsBefore).reduce((sum, tensor) => sum + tensor.shape.reduce((x, y) => x * y, 1), 0);
    reports.push({ name: layer.name, className: layer.className, outputShape: output, parameters });
    // an identity stores nothing: its value is its input's
    values.push({ entry: entries.length > entriesBefore ? entries.length - 1 : sources[0].entry, shape: output, mask });
  });

  checkStaleMasks(graph, values);
  const outputEntries = graph.outputs.map((ref) => values[ref.node].entry);
  outputEntries.forEach((entry, k) => {
    if (inputEntries.includes(entry)) throw new ConvertError(`model output ${k} is a model input itself; there is nothing to compute`);
    if (outputEntries.indexOf(entry) !== k) throw new ConvertError(`model outputs ${outputEntries.indexOf(entry)} and ${k} are the same tensor; list it once`);
  });
  if (entries.length === inputEntries.length) throw new ConvertError('the model has no layers to convert');
  const built = (outputSize: number): BuiltModel => {
    const model = finishEntries(entries, inputEntries, outputEntries, tensors, reports, outputSize);
    if (maskedTokens && model.inputKind !== 'tokens') throw new ConvertError('Embedding mask_zero is supported only in a model of one token-id input read only by embeddings');
    return model;
  };
  const outputSize = graph.outputs.reduce((sum, ref) => sum + values[ref.node].shape.reduce((x, y) => x * y, 1), 0);
  return built(outputSize);
}

const MASK_READERS = ['LSTM', 'GRU', 'SimpleRNN', 'Bidirectional'];

/**
 * TF.js's executor (tfjs-layers engine/executor.js execute) hands a layer the mask of its first
 * input when any input has one, and otherwise the last mask it handed any layer: it never resets
 * it. So a recurrent layer receiving no mask runs masked in TF.js after any layer that received
 * one (in the executor's order), where Keras runs it unmasked: refused, unless every layer that
 * received a mask runs after it (reads its output).
 */
function checkStaleMasks(graph: KerasGraph, values: readonly StoredValue[]): void {
  const receivesMask = (node: KerasGraph['nodes'][number]): boolean => node.inputs.some((ref) => values[ref.node].mask.mode !== 0);
  const maskedReaders = graph.nodes.flatMap((node, i) => (receivesMask(node) ? [i] : []));
  if (maskedReaders.length === 0) return;
  graph.nodes.forEach((node, r) => {
    if (!MASK_READERS.includes(node.layer.className) || receivesMask(node)) return;
    const after = new Set<number>([r]);
    graph.nodes.forEach((other, k) => {
      if (k > r && other.inputs.some((ref) => after.has(ref.node))) after.add(k);
    });
    const earlier = maskedReaders.find((k) => !after.has(k));
    if (earlier === undefined) return;
    const source = graph.nodes[earlier].layer;
    throw new ConvertError(
      `layer '${node.layer.name}' (${node.layer.className}): receives no mask, but TF.js would hand it the one layer '${source.name}' (${source.className}) received (its executor keeps the last mask it passed on), where Keras runs it unmasked: no single answer would be right`,
    );
  });
}

/**
 * The slope of a LeakyReLU given as a layer's activation, or null for any other activation:
 * Keras 2 serializes it as {class_name: 'LeakyReLU', config: {alpha}} (default 0.3), which
 * TF.js runs. Keras 3's string 'leaky_relu' (negative slope 0.2) TF.js cannot load: refused.
 */
function leakySlope(activation: unknown, where: string): number | null {
  if (typeof activation === 'string') {
    if (/^leaky_?relu$/i.test(activation)) {
      throw new ConvertError(`${where}: activation '${activation}' (Keras 3's leaky_relu function) is not supported: TF.js cannot load it either; use a LeakyReLU layer`);
    }
    return null;
  }
  if (!isObject(activation) || activation.class_name !== 'LeakyReLU') return null;
  const config = isObject(activation.config) ? activation.config : {};
  const value = config.alpha ?? config.negative_slope ?? 0.3;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConvertError(`activation LeakyReLU: alpha ${describe(value)} is not a finite number`);
  return value;
}

/**
 * Decides how the table is written: a chain (one float input or one tokens input, each
 * entry reading the one before, the last one the output) as version 1 or 2 without
 * input entries, as before graphs existed; anything else as a version 3 graph.
 */
function finishEntries(
  entries: LayerEntry[],
  inputEntries: number[],
  outputEntries: number[],
  tensors: TensorEntry[],
  reports: LayerReport[],
  outputSize: number,
): BuiltModel {
  // the embeddings reading an input directly; a model whose one input only embeddings read takes tokens
  const readers = entries.filter((entry) => entry.inputs?.some((read) => inputEntries.includes(read)));
  const tokens = inputEntries.length === 1 && readers.every((entry) => entry.kind === 'embedding');
  const embeddingRows = readers.filter((entry) => entry.kind === 'embedding').map((entry) => tensors[entry.tensors[0]].shape[0]);
  const vocabLimit = tokens ? Math.min(...embeddingRows) : 0;
  const firstInput = entries[inputEntries[0]];
  const inputShape = firstInput.params.slice(1);
  if (tokens) firstInput.params[0] = 1; // token ids are int32
  const chain =
    inputEntries.length === 1 &&
    inputEntries[0] === 0 &&
    (tokens || firstInput.params[0] === 0) &&
    outputEntries.length === 1 &&
    outputEntries[0] === entries.length - 1 &&
    entries.every((entry, i) => i === 0 || (entry.inputs?.length === 1 && entry.inputs[0] === i - 1));
  if (chain) {
    const layers = entries.slice(1).map(({ name, kind, activation, tensors: used, params }) => ({ name, kind, activation, tensors: used, params }));
    return { inputKind: tokens ? 'tokens' : 'vector', inputShape, outputSize, vocabLimit, entries: layers, outputEntries: null, tensors, reports };
  }
  return { inputKind: tokens ? 'tokens' : 'vector', inputShape, outputSize, vocabLimit, entries, outputEntries, tensors, reports };
}

/** Input shape (without batch) declared on the first layer, else Sequential's build_input_shape. */
function declaredInputShape(layer: KerasLayer, buildInputShape: unknown, maxLength: number): number[] {
  const { config } = layer;
  let shape: unknown;
  if (Array.isArray(config.batch_input_shape)) shape = config.batch_input_shape.slice(1);
  else if (Array.isArray(config.batch_shape)) shape = config.batch_shape.slice(1);
  else if (Array.isArray(config.input_shape)) shape = config.input_shape;
  else if (layer.className === 'Embedding' && config.input_length !== undefined && config.input_length !== null) shape = [config.input_length];
  else if (Array.isArray(buildInputShape)) shape = buildInputShape.slice(1);
  else throw new ConvertError(`cannot tell the input shape: give layer '${layer.name}' a batch_input_shape (or start the model with an InputLayer)`);
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((dim) => dim === null || (isDim(dim) && dim > 0))) {
    throw new ConvertError(`input shape ${describe(shape)} of layer '${layer.name}' must be positive sizes or null (variable length)`);
  }
  // a variable-length (None) dimension is stored as the maximum length (--max-length); inputs may not exceed it
  const fixed = (shape as (number | null)[]).map((dim) => dim ?? maxLength);
  checkSize(fixed, `input shape of layer '${layer.name}'`);
  return fixed;
}

function checkSize(shape: number[], what: string): void {
  const size = shape.reduce((x, y) => x * y, 1);
  if (size > MAX_ACTIVATION_VALUES) throw new ConvertError(`${what} [${shape}] has ${size} values; the engine's limit is ${MAX_ACTIVATION_VALUES}`);
}


function hasWeight(weights: Map<string, Weight>, layer: KerasLayer, param: string): boolean {
  const exact = `${layer.name}/${param}`;
  return [...weights.values()].some((weight) => {
    const name = weight.name.replace(/:0$/, '');
    return name === exact || name.endsWith(`/${exact}`);
  });
}

function weightParams(weights: Map<string, Weight>, layer: KerasLayer): string[] {
  const scope = `${layer.name}/`;
  const params: string[] = [];
  for (const weight of weights.values()) {
    const name = weight.name.replace(/:0$/, '');
    const at = name.startsWith(scope) ? 0 : name.indexOf(`/${scope}`) + 1;
    if (at > 0 || name.startsWith(scope)) params.push(name.slice(at + scope.length));
  }
  return params;
}

/**
 * A weight named just `param` (tensorflowjs_converter writes Keras 2's Normalization weights
 * as "mean", "variance", "count"), used by at most one layer: `owners` records who took it.
 */
function unscopedWeight(weights: Map<string, Weight>, layer: KerasLayer, param: string, where: string, owners: Map<string, string>): Weight | undefined {
  const weight = [...weights.values()].find((candidate) => candidate.name.replace(/:0$/, '') === param);
  if (!weight) return undefined;
  const owner = owners.get(weight.name);
  if (owner !== undefined && owner !== layer.name) throw new ConvertError(`${where}: weight '${weight.name}' names no layer and layer '${owner}' already uses it; cannot tell whose it is`);
  owners.set(weight.name, layer.name);
  return weight;
}

/** The layer's weight `param`, named `layer/param` with or without a scope prefix (and ":0"), else just `param` (unscopedWeight). */
function findWeight(weights: Map<string, Weight>, layer: KerasLayer, param: string, expected: readonly number[], unscopedOwners: Map<string, string>): Float32Array {
  const exact = `${layer.name}/${param}`;
  const matches = [...weights.values()].filter((weight) => {
    const name = weight.name.replace(/:0$/, '');
    return name === exact || name.endsWith(`/${exact}`);
  });
  const exactMatch = matches.find((weight) => weight.name.replace(/:0$/, '') === exact);
  const where = `layer '${layer.name}' (${layer.className})`;
  const weight = exactMatch ?? (matches.length === 1 ? matches[0] : matches.length === 0 ? unscopedWeight(weights, layer, param, where, unscopedOwners) : undefined);
  if (!weight) {
    if (matches.length > 1) throw new ConvertError(`${where}: weight '${param}' is ambiguous: ${matches.map((match) => `'${match.name}'`).join(', ')}`);
    throw new ConvertError(`${where}: weight '${exact}' is missing from weightsManifest`);
  }
  if (weight.shape.length !== expected.length || weight.shape.some((dim, i) => dim !== expected[i])) {
    throw new ConvertError(`${where}: weight '${weight.name}' has shape [${weight.shape}], expected [${expected}]`);
  }
  return weight.values;
}

/** A [rows, cols] row-major matrix transposed to [cols, rows]. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) out[c * rows + r] = values[r * cols + c];
  return out;
}

/** Encodes values in `dtype` as FORMAT.md lays them out. */
function encodeTensor(name: string, shape: number[], values: Float32Array, dtype: DType): TensorEntry {
  if (dtype === 'float32') return { name, dtype, shape, data: new Uint8Array(values.slice().buffer) };
  if (dtype === 'float16') {
    const halves = new Uint16Array(values.length);
    for (let i = 0; i < values.length; ++i) {
      halves[i] = float32ToFloat16(values[i]);
      if ((halves[i] & 0x7c00) === 0x7c00 && Number.isFinite(values[i])) {
        throw new ConvertError(`weight '${name}' has value ${values[i]}, beyond float16's range (±65504); use float32 or int8`);
      }
    }
    return { name, dtype, shape, data: new Uint8Array(halves.buffer) };
  }
  const rows = shape[0];
  const cols = values.length / rows;
  const perColumn = dtype === 'int8_cols';
  const scaleCount = perColumn ? cols : rows;
  const data = new Uint8Array(scaleCount * 4 + values.length);
  const scales = new Float32Array(data.buffer, 0, scaleCount);
  const quantized = new Int8Array(data.buffer, scaleCount * 4);
  const maxAbs = new Float64Array(scaleCount);
  const channelOf = (i: number): number => (perColumn ? i % cols : Math.floor(i / cols));
  for (let i = 0; i < values.length; ++i) {
    // NaN never compares greater: check finiteness on its own
    if (!Number.isFinite(values[i])) throw new ConvertError(`weight '${name}' ${perColumn ? 'column' : 'row'} ${channelOf(i)} has a non-finite value; int8 cannot store it`);
    maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)], Math.abs(values[i]));
  }
  for (let channel = 0; channel < scaleCount; ++channel) scales[channel] = Math.fround(maxAbs[channel] / 127);
  for (let i = 0; i < values.length; ++i) {
    const scale = scales[channelOf(i)];
    quantized[i] = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(values[i] / scale)));
  }
  return { name, dtype, shape, data };
}
