// loadModel: from a model file to a ready-to-run Model, llama2.c style.
//
// At load: parse and validate the file, turn the layers into a flat plan of
// steps (weights are views into the file's one buffer; int8 tensors stay int8,
// float16 is decoded to float32, batch normalization is folded to scale/shift),
// and allocate every buffer a prediction needs. A prediction then only
// validates its input, runs the steps top to bottom and returns the output
// buffer: it allocates nothing.

import type { InputKind, LayerSummary, MetadataValue, Model, TensorSpec } from './api.ts';
import { ACTIVATION_NAMES, LINEAR, RELU, SOFTMAX, activateRows, softmaxInPlace } from './activations.ts';
import { InputError } from './errors.ts';
import { parseModelFile, tensorFloat32, tensorInt8, tensorInt8Cols, type ParsedLayer, type ParsedModelFile } from './format.ts';
import {
  INT8_MAX_INPUT_SIZE,
  copyValues,
  denseFloat32,
  denseInt8,
  denseInt8Packed,
  embeddingAveragePool,
  embeddingAveragePoolInt8Cols,
  embeddingGather,
  embeddingGatherInt8Cols,
  foldBatchNormalization,
  globalAveragePool,
  globalMaxPool,
  packInt8Kernel,
  packedInt8LaneScale,
  PACKED_GROUP_ROWS,
  scaleShiftInPlace,
} from './kernels.ts';
import { product } from './layers/checks.ts';
import type { PreparedLayer } from './layers/family.ts';
import { familyKindByName } from './layers/index.ts';
import { denseInt8Lanes, laneBucketsFor, laneKernelWins, packLaneKernel, type LaneKernel } from './kernels-lanes.ts';
import { WordTokenizer } from './tokenizer.ts';

/** The Model contract plus what the engine exposes to tools and tests. */
export interface EngineModel extends Model {
  /** Rows of the embedding table (token ids must be below it); 0 for vector models. */
  readonly vocabSize: number;
  readonly tokenizer: WordTokenizer | null;
}

export interface LoadOptions {
  /**
   * How int8 tensors run: 'integer' (default) keeps them int8, runs Dense layers
   * with integer dot products over a dynamically quantized input and sums embedding
   * rows as integers when average pooling follows; 'float' dequantizes
   * them to float32 at load (more memory, no input quantization error).
   */
  int8?: 'integer' | 'float';
  /**
   * With int8 'integer': Dense layers of ≥ 16 units (and ≤ 4,096 inputs) run the packed
   * kernel (two int8 weights per float64, same integer sums, ~2.5× fewer instructions
   * per multiply-add in the canister) at 4 bytes per weight and a one-off packing at
   * load. Default true; false keeps only the int8 tensor.
   */
  packInt8?: boolean;
  /**
   * With int8 'integer', which int8 Dense kernel runs: 'auto' (default) picks by shape
   * (kernels-lanes.ts laneKernelWins: BigInt lanes from 32 units, the packed kernel from
   * 16, denseInt8 below); 'lanes', 'packed' and 'plain' force one where the shape allows
   * it (else the next of lanes → packed → plain). All give the same integer sums.
   */
  int8Kernel?: 'auto' | 'lanes' | 'packed' | 'plain';
  /**
   * Skip the file's checksum (a whole-file pass, ~260 instructions a byte in the canister):
   * for bytes already proven intact, e.g. by a matching SHA-256 (canister/registry.ts).
   */
  skipChecksum?: boolean;
}

// Step kinds of the plan.
const EMBEDDING = 0;
const EMBEDDING_INT8_COLS = 1;
const EMBEDDING_AVERAGE_POOL = 2;
const EMBEDDING_AVERAGE_POOL_INT8_COLS = 3;
const AVERAGE_POOL = 4;
const MAX_POOL = 5;
const DENSE = 6;
const DENSE_INT8 = 7;
const SCALE_SHIFT = 8;
const ACTIVATION = 9;
const COPY = 10;
const DENSE_INT8_PACKED = 11;
/** A float32 Dense layer of ≤ SMALL_DENSE_INPUTS inputs: inputs held in locals, weights padded to 8 per unit (float64). */
const DENSE_SMALL = 12;

/** A layer of a family (engine/layers/): its prepared kernel runs source → target. */
const LAYER = 13;
/** An int8 Dense layer on BigInt lanes (kernels-lanes.ts). */
const DENSE_INT8_LANES = 14;

/** Widest input of a DENSE_SMALL step. */
const SMALL_DENSE_INPUTS = 8;

const NO_FLOATS = new Float32Array(0);
const NO_INT8 = new Int8Array(0);
const NO_LANES: Float64Array[] = [];
const NO_DOUBLES = new Float64Array(0);

/**
 * One step of the forward pass. Every step has the same fields (one object shape
 * for the interpreter); a step uses those its kind needs.
 */
interface Step {
  kind: number;
  source: Float32Array;
  target: Float32Array;
  /** Rows of the input's last axis (steps for pooling, positions for an embedding). */
  rows: number;
  /** Values per input row (embedding: none). */
  inputSize: number;
  /** Values per output row: Dense units, embedding dim, channels. */
  outputSize: number;
  activation: number;
  /** Dense kernel (transposed), embedding table or batch-norm scale. */
  weights: Float32Array;
  /** int8 Dense kernel or embedding table. */
  weightsInt8: Int8Array;
  /** Scales of an int8 tensor: per row (Dense kernel) or per column (embedding table). */
  scales: Float32Array;
  /** Dense bias or batch-norm shift. */
  bias: Float32Array;
  /** Packed int8 Dense kernel (packInt8Kernel) and its lane weight 2^S. */
  lanes: Float64Array[];
  laneScale: number;
  /** DENSE_INT8_LANES: the kernel as BigInt lanes and its bucket scratch (or null). */
  laneKernel: LaneKernel | null;
  laneBuckets: bigint[] | null;
  /** DENSE_SMALL: the kernel as [units][8] float64 (zero-padded) and the bias as float64. */
  weights64: Float64Array;
  bias64: Float64Array;
  /** DENSE_SMALL of one row: the layer as straight-line code (compileDenseSmall), or NOT_COMPILED. */
  compiled: CompiledDense;
  /** LAYER: the family's prepared kernel. */
  prepared: PreparedLayer;
}

type CompiledDense = (input: Float32Array, output: Float32Array) => void;
const NOT_COMPILED: CompiledDense = () => undefined;
const NOT_PREPARED: PreparedLayer = { run: () => undefined };

function newStep(kind: number, source: Float32Array, target: Float32Array): Step {
  return {
    kind,
    source,
    target,
    rows: 1,
    inputSize: 0,
    outputSize: 0,
    activation: LINEAR,
    weights: NO_FLOATS,
    weightsInt8: NO_INT8,
    scales: NO_FLOATS,
    bias: NO_FLOATS,
    lanes: NO_LANES,
    laneScale: 0,
    weights64: NO_DOUBLES,
    bias64: NO_DOUBLES,
    compiled: NOT_COMPILED,
    laneKernel: null,
    laneBuckets: null,
    prepared: NOT_PREPARED,
  };
}

/** DENSE_SMALL layers of one row with at most this many weights are compiled (compileDenseSmall). */
const COMPILED_DENSE_MAX_WEIGHTS = 256;

/**
 * A one-row DENSE_SMALL layer as straight-line code: in QuickJS a closure variable is one
 * bytecode where a typed-array read is five. Each weight and bias is a parameter of the
 * enclosing function (bound to its value when made: no numbers in the source, which QuickJS
 * parses slowly; compiling costs ~2K instructions per character, so the source is terse),
 * each unit computed as denseSmall computes it (x0·w0 + … + x(n−1)·w(n−1) + bias, left to
 * right, in doubles; ReLU fused) and written to the output; softmax stays a separate pass.
 * Made once at load; NOT_COMPILED when the layer does not qualify or the host forbids
 * compiling code.
 */
function compileDenseSmall(step: Step): CompiledDense {
  const n = step.inputSize;
  const units = step.outputSize;
  const activation = step.activation;
  if (step.rows !== 1 || n < 1 || n * units > COMPILED_DENSE_MAX_WEIGHTS) return NOT_COMPILED;
  if (activation !== LINEAR && activation !== RELU && activation !== SOFTMAX) return NOT_COMPILED;
  // parameter k: c<k>, weight of input i in unit o at k = o * n + i, bias of unit o at k = units * n + o
  const names: string[] = [];
  const values: number[] = [];
  for (let k = 0; k < units * n; k++) {
    names.push('c' + k);
    values.push(step.weights[k]);
  }
  for (let o = 0; o < units; o++) {
    names.push('c' + (units * n + o));
    values.push(step.bias[o]);
  }
  let body = 'var s=0';
  for (let i = 0; i < n; i++) body += ',x' + i + '=i[' + i + ']';
  body += ';';
  for (let o = 0; o < units; o++) {
    body += 's=';
    for (let i = 0; i < n; i++) body += 'x' + i + '*c' + (o * n + i) + '+';
    body += 'c' + (units * n + o) + (activation === RELU ? ';o[' + o + ']=s<0?0:s;' : ';o[' + o + ']=s;');
  }
  try {
    names.push('return function(i,o){' + body + '}');
    const make = Function.apply(null, names) as (...c: number[]) => CompiledDense;
    return make.apply(null, values);
  } catch {
    return NOT_COMPILED;
  }
}

/** Rows of the last axis and the last axis's length. */
function rowsOf(shape: readonly number[]): { rows: number; width: number } {
  const width = shape[shape.length - 1];
  return { rows: product(shape) / width, width };
}

class LoadedModel implements EngineModel {
  readonly name: string;
  readonly labels: readonly string[];
  readonly inputKind: InputKind;
  readonly inputShape: readonly number[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly parameterCount: number;
  readonly byteLength: number;
  readonly layers: readonly LayerSummary[];
  readonly metadata: ReadonlyMap<string, MetadataValue>;
  readonly hasTokenizer: boolean;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Rows of the embedding table (token ids must be below it); 0 for vector models. */
  readonly vocabSize: number;
  readonly tokenizer: WordTokenizer | null;

  private readonly steps: Step[];
  private readonly tokens: Int32Array;
  /** Where a vector input is copied before the first step. */
  private readonly inputBuffer: Float32Array;
  private readonly output: Float32Array;
  private readonly padId: number;
  // Kernel scratch: int8 input quantization, per-position row offsets.
  private readonly quantized: Int8Array;
  private readonly quantizedFloat: Float64Array;
  private readonly rowOffsets: Int32Array;
  /**
   * Positions of `tokens` before the padding tail the input was filled with: positions
   * [filled, inputSize) hold the pad id, so fused pooling adds the pad row once × their count.
   */
  private filled = 0;

  constructor(file: ParsedModelFile, options: LoadOptions) {
    this.name = file.name;
    this.labels = file.labels;
    this.inputKind = file.inputKind;
    this.inputShape = file.inputShape;
    this.inputSize = product(file.inputShape);
    this.outputSize = file.labels.length;
    this.parameterCount = file.parameterCount;
    this.byteLength = file.bytes.length;
    this.metadata = file.metadata;
    this.hasTokenizer = file.tokenizer !== null;
    const vocabText = file.metadata.get('tokenizer.vocab');
    this.tokenizer = file.tokenizer
      ? new WordTokenizer(typeof vocabText === 'string' ? { ...file.tokenizer, vocabText } : file.tokenizer, this.inputSize)
      : null;
    this.padId = file.tokenizer ? file.tokenizer.padId : 0;
    this.vocabSize = file.inputKind === 'tokens' ? file.tensors[file.layers[0].tensors[0]].shape[0] : 0;
    const last = file.layers[file.layers.length - 1];
    this.inputs = [{ name: 'input', shape: file.inputShape.slice(), dtype: file.inputKind === 'tokens' ? 'int32' : 'float32' }];
    this.outputs = [{ name: last.name, shape: last.outputShape.slice(), dtype: 'float32' }];
    this.layers = file.layers.map((layer) => ({
      name: layer.name,
      kind: layer.kind,
      activation: layer.activation,
      outputShape: layer.outputShape.slice(),
      parameters: layer.tensors.reduce((sum, index) => sum + file.tensors[index].size, 0),
    }));

    // Two ping-pong buffers hold every intermediate result; the input is copied into the first.
    let largest = this.inputSize;
    let widestInput = 0;
    for (const layer of file.layers) {
      largest = Math.max(largest, product(layer.outputShape));
      widestInput = Math.max(widestInput, layer.inputShape[layer.inputShape.length - 1]);
    }
    const buffers = [new Float32Array(largest), new Float32Array(largest)];
    this.inputBuffer = buffers[0];
    this.output = new Float32Array(this.outputSize);
    this.tokens = new Int32Array(file.inputKind === 'tokens' ? this.inputSize : 0);
    this.quantized = new Int8Array(widestInput);
    this.quantizedFloat = new Float64Array(widestInput);
    this.rowOffsets = new Int32Array(this.tokens.length);
    this.steps = buildPlan(file, options, buffers, this.output, this.tokens);
  }

  // ---- the forward pass -------------------------------------------------

  /** Runs the plan on the input already in `tokens` / `inputBuffer`; returns the output buffer. */
  private run(): Float32Array {
    var steps = this.steps;
    var count = steps.length | 0;
    var s = 0;
    var kind = 0;
    for (s = 0; s < count; s = (s + 1) | 0) {
      var step = steps[s];
      kind = step.kind;
      // The spam-sized hot steps inline (a call costs thousands of instructions in QuickJS).
      if (kind === EMBEDDING_AVERAGE_POOL || kind === EMBEDDING_AVERAGE_POOL_INT8_COLS) {
        this.embeddingPool(step);
        continue;
      }
      if (kind === DENSE_SMALL) {
        if (step.compiled !== NOT_COMPILED) {
          step.compiled(step.source, step.target);
          if (step.activation === SOFTMAX) softmaxInPlace(step.target, 0, step.outputSize);
        } else denseSmall(step);
        continue;
      }
      switch (kind) {
        case EMBEDDING:
          embeddingGather(this.tokens, step.rows, step.weights, step.outputSize, step.target, 0);
          break;
        case EMBEDDING_INT8_COLS:
          embeddingGatherInt8Cols(this.tokens, step.rows, step.weightsInt8, step.scales, step.outputSize, step.target, 0);
          break;
        case EMBEDDING_AVERAGE_POOL:
          embeddingAveragePool(this.tokens, step.rows, step.weights, step.outputSize, step.target, 0, this.rowOffsets);
          break;
        case EMBEDDING_AVERAGE_POOL_INT8_COLS:
          embeddingAveragePoolInt8Cols(this.tokens, step.rows, step.weightsInt8, step.scales, step.outputSize, step.target, 0, this.rowOffsets);
          break;
        case AVERAGE_POOL:
          globalAveragePool(step.source, 0, step.rows, step.outputSize, step.target, 0);
          break;
        case MAX_POOL:
          globalMaxPool(step.source, 0, step.rows, step.outputSize, step.target, 0);
          break;
        case DENSE:
          denseFloat32(step.source, 0, step.rows, step.inputSize, step.weights, step.bias, step.outputSize, step.target, 0, step.activation);
          break;
        case DENSE_INT8:
          denseInt8(
            step.source, 0, step.rows, step.inputSize, step.weightsInt8, step.scales, step.bias, step.outputSize, step.target, 0,
            step.activation, this.quantized,
          );
          break;
        case DENSE_INT8_LANES:
          if (step.laneKernel !== null) {
            denseInt8Lanes(
              step.source, 0, step.rows, step.laneKernel, step.scales, step.bias, step.target, 0, step.activation, this.quantized,
              step.laneBuckets,
            );
          }
          break;
        case DENSE_INT8_PACKED:
          denseInt8Packed(
            step.source, 0, step.rows, step.inputSize, step.lanes, step.laneScale, step.scales, step.bias, step.outputSize, step.target, 0,
            step.activation, this.quantized, this.quantizedFloat,
          );
          break;
        case SCALE_SHIFT:
          scaleShiftInPlace(step.target, 0, step.rows, step.outputSize, step.weights, step.bias);
          break;
        case ACTIVATION:
          activateRows(step.activation, step.target, 0, step.rows, step.outputSize);
          break;
        case COPY:
          copyValues(step.source, 0, step.target, 0, step.outputSize);
          break;
        case LAYER:
          step.prepared.run(step.source, step.target);
          break;
      }
    }
    return this.output;
  }

  /**
   * Embedding + GlobalAveragePooling1D, fused: output[d] = mean over all positions of
   * table[ids[t]][d]. Positions [filled, rows) hold the pad id: its row is added once ×
   * their count. 8 channels at a time in locals (double sums; int8_cols: integer sums,
   * scaled once by columnScales[d] / rows, as embeddingAveragePoolInt8Cols).
   */
  private embeddingPool(step: Step): void {
    var int8 = step.kind === EMBEDDING_AVERAGE_POOL_INT8_COLS;
    var ids = this.tokens;
    var positions = step.rows | 0;
    var used = this.filled | 0;
    if (used > positions) used = positions;
    var padCount = (positions - used) | 0;
    var width = step.outputSize | 0;
    var table: Float32Array | Int8Array = int8 ? step.weightsInt8 : step.weights;
    // reads past the table's end (a partial group of channels on the last row) give undefined: NaN in unused sums
    var target = step.target;
    var scales = step.scales;
    var padRow = (this.padId * width) | 0;
    var d = 0;
    var t = 0;
    var base = 0;
    var last = 0;
    var a0 = -0;
    var a1 = -0;
    var a2 = -0;
    var a3 = -0;
    var a4 = -0;
    var a5 = -0;
    var a6 = -0;
    var a7 = -0;
    for (d = 0; d < width; d = (d + 8) | 0) {
      base = (padRow + d) | 0;
      // the pad row × its count first (exact for integers; one rounding for floats)
      a0 = table[base] * padCount;
      a1 = table[(base + 1) | 0] * padCount;
      a2 = table[(base + 2) | 0] * padCount;
      a3 = table[(base + 3) | 0] * padCount;
      a4 = table[(base + 4) | 0] * padCount;
      a5 = table[(base + 5) | 0] * padCount;
      a6 = table[(base + 6) | 0] * padCount;
      a7 = table[(base + 7) | 0] * padCount;
      // (no `| 0` on the indices: in QuickJS small integers stay integers, and each `| 0` is two more bytecodes)
      for (t = 0; t < used; t++) {
        base = ids[t] * width + d;
        a0 += table[base];
        a1 += table[base + 1];
        a2 += table[base + 2];
        a3 += table[base + 3];
        a4 += table[base + 4];
        a5 += table[base + 5];
        a6 += table[base + 6];
        a7 += table[base + 7];
      }
      last = (width - d) | 0;
      if (int8) {
        target[d] = a0 * (scales[d] / positions);
        if (last > 1) target[(d + 1) | 0] = a1 * (scales[(d + 1) | 0] / positions);
        if (last > 2) target[(d + 2) | 0] = a2 * (scales[(d + 2) | 0] / positions);
        if (last > 3) target[(d + 3) | 0] = a3 * (scales[(d + 3) | 0] / positions);
        if (last > 4) target[(d + 4) | 0] = a4 * (scales[(d + 4) | 0] / positions);
        if (last > 5) target[(d + 5) | 0] = a5 * (scales[(d + 5) | 0] / positions);
        if (last > 6) target[(d + 6) | 0] = a6 * (scales[(d + 6) | 0] / positions);
        if (last > 7) target[(d + 7) | 0] = a7 * (scales[(d + 7) | 0] / positions);
      } else {
        target[d] = a0 / positions;
        if (last > 1) target[(d + 1) | 0] = a1 / positions;
        if (last > 2) target[(d + 2) | 0] = a2 / positions;
        if (last > 3) target[(d + 3) | 0] = a3 / positions;
        if (last > 4) target[(d + 4) | 0] = a4 / positions;
        if (last > 5) target[(d + 5) | 0] = a5 / positions;
        if (last > 6) target[(d + 6) | 0] = a6 / positions;
        if (last > 7) target[(d + 7) | 0] = a7 / positions;
      }
    }
  }

  // ---- single predictions ------------------------------------------------

  predictTokens(ids: ArrayLike<number>): Float32Array {
    if (this.inputKind !== 'tokens') throw new InputError('wrong_kind', `model '${this.name}' takes a vector of ${this.inputSize} floats, not token ids`);
    var length = this.inputSize | 0;
    var given = ids.length | 0;
    if (given > length) throw new InputError('wrong_length', `got ${given} token ids; the sequence length is ${length}`);
    var vocabSize = this.vocabSize;
    var tokens = this.tokens;
    var i = 0;
    var id = 0;
    for (i = 0; i < given; i = (i + 1) | 0) {
      id = ids[i];
      if ((id | 0) !== id || id < 0 || id >= vocabSize) {
        throw new InputError('bad_token', `token id ${String(ids[i])} at position ${i} is not an integer in [0, ${vocabSize})`);
      }
      tokens[i] = id;
    }
    this.filled = given;
    var pad = this.padId;
    for (; i < length; i = (i + 1) | 0) tokens[i] = pad;
    return this.run();
  }

  predictInputs(inputs: readonly ArrayLike<number>[]): Float32Array {
    var specs = this.inputs;
    if ((inputs.length | 0) !== specs.length) throw new InputError('wrong_length', `got ${inputs.length} inputs; model '${this.name}' takes ${specs.length} (${specs.map((spec) => spec.name).join(', ')})`);
    var input = inputs[0];
    var length = this.inputSize | 0;
    if ((input.length | 0) !== length) throw new InputError('wrong_length', `input '${specs[0].name}': got ${input.length} values; it takes ${length} ([${specs[0].shape}])`);
    if (this.inputKind === 'vector') return this.predictVector(input);
    var tokens = this.tokens;
    var vocabSize = this.vocabSize;
    var i = 0;
    var value = 0.0;
    var id = 0;
    for (i = 0; i < length; i = (i + 1) | 0) {
      value = input[i];
      // int32 inputs are truncated toward zero, as TF.js casts them
      id = value < 0 ? Math.ceil(value) : Math.floor(value);
      if (!(id >= 0 && id < vocabSize)) throw new InputError('bad_token', `token id ${String(value)} at position ${i} is not in [0, ${vocabSize})`);
      tokens[i] = id;
    }
    this.filled = length;
    return this.run();
  }

  predictVector(input: ArrayLike<number>): Float32Array {
    if (this.inputKind !== 'vector') throw new InputError('wrong_kind', `model '${this.name}' takes token ids or text, not a vector`);
    var length = this.inputSize | 0;
    if ((input.length | 0) !== length) throw new InputError('wrong_length', `got ${input.length} values; the model takes ${length}`);
    var buffer = this.inputBuffer;
    var i = 0;
    var value = 0.0;
    for (i = 0; i < length; i = (i + 1) | 0) {
      buffer[i] = input[i];
      value = buffer[i];
      // x − x is 0 only for finite numbers (NaN and ±Infinity give NaN); also catches values that overflow float32
      if (value - value !== 0) throw new InputError('bad_value', `value ${String(input[i])} at index ${i} is not a finite float32`);
    }
    return this.run();
  }

  predictText(text: string): Float32Array {
    var tokenizer = this.tokenizer;
    // the checks of tokenize, without its call (a call costs thousands of instructions in QuickJS)
    if (tokenizer === null || this.inputKind !== 'tokens' || typeof text !== 'string') this.tokenize(text, this.tokens);
    else if (tokenizer.wordTokens) tokenizer.encodeSplitting(text, this.tokens);
    else tokenizer.encode(text, this.tokens);
    // tokenize checked that the tokenizer exists
    this.filled = (this.tokenizer as WordTokenizer).filled;
    return this.run();
  }

  tokenize(text: string, out?: Int32Array): Int32Array {
    var tokenizer = this.tokenizer;
    if (this.inputKind !== 'tokens') throw new InputError('wrong_kind', `model '${this.name}' takes a vector, not text`);
    if (tokenizer === null) throw new InputError('no_tokenizer', `model '${this.name}' has no tokenizer: give token ids instead of text`);
    if (typeof text !== 'string') throw new InputError('bad_value', `text must be a string, not ${typeof text}`);
    var target = out === undefined ? this.tokens : out;
    if (target.length < this.inputSize) throw new InputError('wrong_length', `token buffer of ${target.length} is shorter than the sequence length ${this.inputSize}`);
    return tokenizer.encode(text, target);
  }

  // ---- batches: the single path, writing into `out` ------------------------

  private batchOutput(count: number, out: Float32Array | undefined): Float32Array {
    var needed = count * this.outputSize;
    if (out === undefined) return new Float32Array(needed);
    if (out.length < needed) throw new InputError('wrong_length', `output buffer of ${out.length} is shorter than ${count} × ${this.outputSize}`);
    return out;
  }

  predictTexts(texts: readonly string[], out?: Float32Array): Float32Array {
    var count = texts.length | 0;
    var result = this.batchOutput(count, out);
    var i = 0;
    for (i = 0; i < count; i = (i + 1) | 0) copyValues(this.predictText(texts[i]), 0, result, i * this.outputSize, this.outputSize);
    return result;
  }

  predictTokensBatch(batch: readonly ArrayLike<number>[], out?: Float32Array): Float32Array {
    var count = batch.length | 0;
    var result = this.batchOutput(count, out);
    var i = 0;
    for (i = 0; i < count; i = (i + 1) | 0) copyValues(this.predictTokens(batch[i]), 0, result, i * this.outputSize, this.outputSize);
    return result;
  }

  predictVectorBatch(batch: readonly ArrayLike<number>[], out?: Float32Array): Float32Array {
    var count = batch.length | 0;
    var result = this.batchOutput(count, out);
    var i = 0;
    for (i = 0; i < count; i = (i + 1) | 0) copyValues(this.predictVector(batch[i]), 0, result, i * this.outputSize, this.outputSize);
    return result;
  }

  argmax(scores: ArrayLike<number>): number {
    var n = scores.length | 0;
    var best = 0;
    var i = 0;
    for (i = 1; i < n; i = (i + 1) | 0) if (scores[i] > scores[best]) best = i;
    return best;
  }
}

/**
 * A float32 Dense layer of ≤ 8 inputs (DENSE_SMALL), as denseFloat32 with the row's
 * inputs in locals and each unit's weights read from one zero-padded group of 8 float64;
 * bias, ReLU and softmax fused.
 */
function denseSmall(step: Step): void {
  var input = step.source;
  var output = step.target;
  var weights = step.weights64;
  var bias = step.bias64;
  var rowCount = step.rows | 0;
  var n = step.inputSize | 0;
  var units = step.outputSize | 0;
  var activation = step.activation;
  var relu = activation === RELU;
  var r = 0;
  var o = 0;
  var w = 0;
  var x = 0;
  var out = 0;
  var sum = 0.0;
  var x0 = 0.0;
  var x1 = 0.0;
  var x2 = 0.0;
  var x3 = 0.0;
  var x4 = 0.0;
  var x5 = 0.0;
  var x6 = 0.0;
  var x7 = 0.0;
  for (r = 0; r < rowCount; r++) {
    // inputs past n are multiplied by zero weights: any finite value will do
    x0 = input[x];
    x1 = n > 1 ? input[x + 1] : 0;
    x2 = n > 2 ? input[x + 2] : 0;
    x3 = n > 3 ? input[x + 3] : 0;
    x4 = n > 4 ? input[x + 4] : 0;
    x5 = n > 5 ? input[x + 5] : 0;
    x6 = n > 6 ? input[x + 6] : 0;
    x7 = n > 7 ? input[x + 7] : 0;
    w = 0;
    for (o = 0; o < units; o++) {
      sum =
        x0 * weights[w] +
        x1 * weights[w + 1] +
        x2 * weights[w + 2] +
        x3 * weights[w + 3] +
        x4 * weights[w + 4] +
        x5 * weights[w + 5] +
        x6 * weights[w + 6] +
        x7 * weights[w + 7] +
        bias[o];
      output[out++] = relu && sum < 0 ? 0 : sum;
      w += 8;
    }
    x += n;
  }
  if (activation === SOFTMAX && rowCount === 1) softmaxInPlace(output, 0, units);
  else if (activation !== LINEAR && !relu) activateRows(activation, output, 0, rowCount, units);
}

/**
 * Turns the layers into steps. Data flows through two ping-pong buffers; the
 * last step that writes a new array writes straight into `output`, and in-place
 * steps (batch normalization, activations) act on wherever the data is.
 */
function buildPlan(file: ParsedModelFile, options: LoadOptions, buffers: Float32Array[], output: Float32Array, tokens: Int32Array): Step[] {
  const integerInt8 = (options.int8 ?? 'integer') === 'integer';
  // the masks of the recurrent family (engine/layers/recurrent.ts): one flag per step
  const stepMask = new Uint8Array(Math.max(1, ...file.layers.map((layer) => layer.inputShape[0] ?? 1)));
  const layers = file.layers;
  const steps: Step[] = [];

  // Layers that write a new array (all but flatten, activation and batch normalization);
  // an embedding directly followed by average pooling is one fused step.
  const fusedPooling = (i: number): boolean =>
    layers[i].kind === 'embedding' && layers[i].activation === 'linear' && i + 1 < layers.length && layers[i + 1].kind === 'global_average_pooling_1d';
  const writes = (layer: ParsedLayer): boolean => layer.kind !== 'flatten' && layer.kind !== 'activation' && layer.kind !== 'batch_normalization';
  let lastWriter = -1;
  for (let i = 0; i < layers.length; i++) if (writes(layers[i])) lastWriter = i;

  let current = buffers[0];
  const nextTarget = (layerIndex: number): Float32Array => (layerIndex === lastWriter ? output : current === buffers[0] ? buffers[1] : buffers[0]);
  const activationStep = (layer: ParsedLayer): void => {
    const code = ACTIVATION_NAMES.indexOf(layer.activation);
    if (code === LINEAR) return;
    const step = newStep(ACTIVATION, current, current);
    const { rows, width } = rowsOf(layer.outputShape);
    step.rows = rows;
    step.outputSize = width;
    step.activation = code;
    steps.push(step);
  };

  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const tensors = layer.tensors;
    switch (layer.kind) {
      case 'embedding': {
        const table = file.tensors[tensors[0]];
        // the reader allows int8_cols (column scales), never int8 (row scales), for an embedding
        const int8 = table.dtype === 'int8_cols' && integerInt8;
        const fused = fusedPooling(i);
        // with fusion the pooling layer is the writer
        const target = nextTarget(fused ? i + 1 : i);
        const step = newStep(fused ? (int8 ? EMBEDDING_AVERAGE_POOL_INT8_COLS : EMBEDDING_AVERAGE_POOL) : int8 ? EMBEDDING_INT8_COLS : EMBEDDING, NO_FLOATS, target);
        step.rows = layer.inputShape[0];
        step.outputSize = table.shape[1];
        if (int8) {
          const quantized = tensorInt8Cols(file, tensors[0]);
          step.weightsInt8 = quantized.values;
          step.scales = quantized.scales;
        } else {
          step.weights = tensorFloat32(file, tensors[0]);
        }
        steps.push(step);
        current = target;
        if (fused) {
          i++;
          activationStep(layers[i]);
        } else {
          activationStep(layer);
        }
        break;
      }
      case 'global_average_pooling_1d':
      case 'global_max_pooling_1d': {
        const target = nextTarget(i);
        const step = newStep(layer.kind === 'global_average_pooling_1d' ? AVERAGE_POOL : MAX_POOL, current, target);
        step.rows = layer.inputShape[0];
        step.outputSize = layer.inputShape[1];
        steps.push(step);
        current = target;
        activationStep(layer);
        break;
      }
      case 'flatten':
        // row-major data is already flat
        activationStep(layer);
        break;
      case 'dense': {
        const kernel = file.tensors[tensors[0]];
        const { rows, width } = rowsOf(layer.inputShape);
        const units = kernel.shape[0];
        const int8 = kernel.dtype === 'int8' && integerInt8 && width <= INT8_MAX_INPUT_SIZE;
        const quantized = int8 ? tensorInt8(file, tensors[0]) : null;
        // int8 kernel: lanes → packed → plain, by shape (options.int8Kernel forces one where it can run)
        const choice = (options.packInt8 ?? true) ? (options.int8Kernel ?? 'auto') : 'plain';
        const laneKernel =
          quantized !== null && (choice === 'lanes' || (choice === 'auto' && laneKernelWins(units, width))) ? packLaneKernel(quantized.values, units, width) : null;
        const packed = int8 && laneKernel === null && choice !== 'plain' && (choice !== 'auto' || units >= PACKED_GROUP_ROWS);
        const laneScale = packed ? packedInt8LaneScale(width) : 0;
        const target = nextTarget(i);
        const small = !int8 && width <= SMALL_DENSE_INPUTS;
        const step = newStep(
          laneKernel !== null ? DENSE_INT8_LANES : laneScale > 0 ? DENSE_INT8_PACKED : int8 ? DENSE_INT8 : small ? DENSE_SMALL : DENSE,
          current,
          target,
        );
        step.rows = rows;
        step.inputSize = width;
        step.outputSize = units;
        step.activation = ACTIVATION_NAMES.indexOf(layer.activation);
        if (quantized !== null) {
          step.weightsInt8 = quantized.values;
          step.scales = quantized.scales;
          if (laneKernel !== null) {
            step.laneKernel = laneKernel;
            step.laneBuckets = laneBucketsFor(width);
          }
          if (laneScale > 0) {
            step.lanes = packInt8Kernel(quantized.values, units, width, laneScale);
            step.laneScale = laneScale;
          }
        } else {
          step.weights = tensorFloat32(file, tensors[0]);
        }
        step.bias = tensors.length > 1 ? tensorFloat32(file, tensors[1]) : new Float32Array(units);
        if (small) {
          step.weights64 = new Float64Array(units * SMALL_DENSE_INPUTS);
          for (let o = 0; o < units; o++) step.weights64.set(step.weights.subarray(o * width, o * width + width), o * SMALL_DENSE_INPUTS);
          step.bias64 = Float64Array.from(step.bias);
          step.compiled = compileDenseSmall(step);
        }
        steps.push(step);
        current = target;
        break;
      }
      case 'activation':
        activationStep(layer);
        break;
      case 'batch_normalization': {
        const { scale, shift } = foldBatchNormalization(
          tensorFloat32(file, tensors[0]),
          tensorFloat32(file, tensors[1]),
          tensorFloat32(file, tensors[2]),
          tensorFloat32(file, tensors[3]),
          layer.params[0],
        );
        const { rows, width } = rowsOf(layer.inputShape);
        const step = newStep(SCALE_SHIFT, current, current);
        step.rows = rows;
        step.outputSize = width;
        step.weights = scale;
        step.bias = shift;
        steps.push(step);
        activationStep(layer);
        break;
      }
      default: {
        // a family kind (engine/layers/); the reader let only known kinds through
        const spec = familyKindByName(layer.kind);
        if (!spec) throw new Error(`layer kind '${layer.kind}' has no kernel`);
        const target = nextTarget(i);
        const step = newStep(LAYER, current, target);
        step.prepared = spec.prepare({ file, layer, integerInt8, int8Kernel: (options.packInt8 ?? true) ? options.int8Kernel : 'plain', tokens, stepMask });
        step.outputSize = product(layer.outputShape);
        steps.push(step);
        current = target;
        if (step.prepared.fusedActivation !== true) activationStep(layer);
      }
    }
  }
  if (current !== output) {
    const step = newStep(COPY, current, output);
    step.outputSize = output.length;
    steps.push(step);
  }
  return steps;
}

/** Parses, validates and prepares a model file. Throws ModelFormatError for a defective file. */
export function loadModel(bytes: Uint8Array, options: LoadOptions = {}): EngineModel {
  return new LoadedModel(parseModelFile(bytes, { skipChecksum: options.skipChecksum }), options);
}
