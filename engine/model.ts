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
import { InputError, ModelFormatError } from './errors.ts';
import { StaticEmbeddingModel } from './embedding-model.ts';
import { parseModelFile, tensorFloat32, tensorInt8, tensorInt8Cols, type ParsedLayer, type ParsedModelFile, type ValueRef } from './format.ts';
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
import { beginLanePacking, denseInt8Lanes, laneBucketsFor, laneKernelWins, packLaneKernel, type LaneKernel } from './kernels-lanes.ts';
import { lanePackingJob, packedPackingJob, type DeferredPacking } from './deferred-packing.ts';
import { WordTokenizer } from './tokenizer.ts';
import { batchOutput } from './inputs.ts';

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
   * Float convolution kernels of one group (float32/float16 files, int8 with int8 'float'):
   * 'auto' (default) picks by shape: fixed-point BigInt lanes (engine/kernels-lanes-fixed.ts,
   * float32-grade error bound) from 16 filters and 32 patch values, else loops over im2col
   * rows for patches of ≤ 9 values (engine/layers/convolution-kernels.ts), else convolve;
   * 'lanes', 'rows' (≤ 9 values) and 'loops' (convolve) force one where they apply.
   */
  floatKernel?: 'auto' | 'lanes' | 'rows' | 'loops';
  /**
   * Skip the file's checksum (a whole-file pass, ~260 instructions a byte in the canister):
   * for bytes already proven intact, e.g. by a matching SHA-256 (canister/registry.ts).
   */
  skipChecksum?: boolean;
  /**
   * Leave the int8 Dense kernels' packing (lanes and float64 pairs) to the caller: their packed
   * forms are allocated, and a job per kernel is queued here (engine/deferred-packing.ts). The
   * model must not predict before deferPacking.done().
   */
  deferPacking?: DeferredPacking;
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
const NO_IDS = new Int32Array(0);
const NO_INT8 = new Int8Array(0);
const NO_SOURCES: Float32Array[] = [];
/** predictInputs' `filled`: every position holds a given id (fused pooling adds no pad rows). */
const ALL_FILLED = 0x7fffffff;
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
  /** LAYER: every input in order (sources[0] is source). */
  sources: Float32Array[];
  /** Embedding steps: the token ids of the model input they read. */
  ids: Int32Array;
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
  /** The file's layer this step computes (named by the non-finite output error). */
  layer: number;
}

type CompiledDense = (input: Float32Array, output: Float32Array) => void;
const NOT_COMPILED: CompiledDense = () => undefined;
const NOT_PREPARED: PreparedLayer = { run: () => undefined };

function newStep(kind: number, source: Float32Array, target: Float32Array): Step {
  return {
    kind,
    source,
    target,
    sources: NO_SOURCES,
    ids: NO_IDS,
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
    layer: -1,
  };
}

/** compileDenseSmall's input locals (SMALL_DENSE_INPUTS of them; not i, o, s, c nor a parameter name). */
const INPUT_NAMES = 'abdefghj';
/** compileDenseSmall's one-letter parameter names (then c<k>: no clash, none is c followed by digits). */
const PARAMETER_NAMES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZklmnpqrtuvwxyz';

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
  // parameter k: PARAMETER_NAMES[k] (one letter) or c<k>, weight of input i in unit o at k = o * n + i,
  // bias of unit o at k = units * n + o; input i: the local INPUT_NAMES[i]. Short names: the
  // source compiles at ~2K instructions a character (the spam model's 7×7 layer: ~780 → ~560)
  const names: string[] = [];
  const values: number[] = [];
  const count = units * n + units;
  for (let k = 0; k < count; k++) names.push(k < PARAMETER_NAMES.length ? PARAMETER_NAMES[k] : 'c' + k);
  for (let k = 0; k < units * n; k++) values.push(step.weights[k]);
  for (let o = 0; o < units; o++) values.push(step.bias[o]);
  let body = 'var s=0';
  for (let i = 0; i < n; i++) body += ',' + INPUT_NAMES[i] + '=i[' + i + ']';
  body += ';';
  for (let o = 0; o < units; o++) {
    body += 's=';
    for (let i = 0; i < n; i++) body += INPUT_NAMES[i] + '*' + names[o * n + i] + '+';
    body += names[units * n + o] + (activation === RELU ? ';o[' + o + ']=s<0?0:s;' : ';o[' + o + ']=s;');
  }
  try {
    names.push('return function(i,o){' + body + '}');
    const make = Function.apply(null, names) as (...c: number[]) => CompiledDense;
    return make.apply(null, values);
  } catch {
    return NOT_COMPILED;
  }
}

/** How many values a step writes to its target (from 0). */
function stepValueCount(step: Step): number {
  switch (step.kind) {
    case EMBEDDING_AVERAGE_POOL:
    case EMBEDDING_AVERAGE_POOL_INT8_COLS:
    case AVERAGE_POOL:
    case MAX_POOL:
    case COPY:
    case LAYER:
      return step.outputSize;
    default:
      return step.rows * step.outputSize;
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
  /** Token ids of a tokens model's input (predictTokens, predictText); else empty. */
  private readonly tokens: Int32Array;
  /** Where a single float input is copied before the first step. */
  private readonly inputBuffer: Float32Array;
  // Per model input: its values as floats (NO_FLOATS when only embeddings read it), its
  // values as token ids (NO_IDS when no embedding reads it), whether it is int32
  // (truncated), and the bound of its ids (the smallest table of the embeddings reading it).
  private readonly inputFloats: Float32Array[];
  private readonly inputIds: Int32Array[];
  private readonly inputIntegral: boolean[];
  private readonly inputVocab: number[];
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
  /** The float inputs of the prediction running (predictInputs, predictVector), or null (token ids: kept in `tokens`). */
  private given: readonly ArrayLike<number>[] | null = null;
  private readonly givenOne: ArrayLike<number>[] = [NO_FLOATS];

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
    // (with a table the vocabulary is not decoded: reading spec.vocab would decode it)
    const vocabText = file.tokenizer !== null && file.tokenizer.table === null ? file.metadata.get('tokenizer.vocab') : undefined;
    this.tokenizer = file.tokenizer
      ? new WordTokenizer(typeof vocabText === 'string' ? { ...file.tokenizer, vocabText } : file.tokenizer, this.inputSize)
      : null;
    this.padId = file.tokenizer ? file.tokenizer.padId : 0;
    this.inputs = file.inputs.map((input) => ({ name: input.name, shape: input.shape.slice(), dtype: input.dtype }));
    this.outputs = file.outputs.map((ref) => {
      const layer = file.layers[ref.index];
      return { name: layer.name, shape: layer.outputShape.slice(), dtype: 'float32' as const };
    });
    this.layers = file.layers.map((layer) => ({
      name: layer.name,
      kind: layer.kind,
      activation: layer.activation,
      outputShape: layer.outputShape.slice(),
      parameters: layer.tensors.reduce((sum, index) => sum + file.tensors[index].size, 0),
      int8: layer.tensors.some((index) => file.tensors[index].dtype !== 'float32' && file.tensors[index].dtype !== 'float16'),
    }));

    // Each input's buffers, by what reads it: embeddings read ids, every other layer floats.
    this.inputFloats = file.inputs.map(() => NO_FLOATS);
    this.inputIds = file.inputs.map(() => NO_IDS);
    this.inputIntegral = file.inputs.map((input) => input.dtype === 'int32');
    this.inputVocab = file.inputs.map(() => ALL_FILLED);
    let widestInput = 0;
    let positions = 0;
    for (const layer of file.layers) {
      widestInput = Math.max(widestInput, layer.inputShape[layer.inputShape.length - 1]);
      layer.sources.forEach((ref, slot) => {
        if (ref.from !== 'input') return;
        const size = product(file.inputs[ref.index].shape);
        if (layer.kind === 'embedding' && slot === 0) {
          if (this.inputIds[ref.index] === NO_IDS) this.inputIds[ref.index] = new Int32Array(size);
          this.inputVocab[ref.index] = Math.min(this.inputVocab[ref.index], file.tensors[layer.tensors[0]].shape[0]);
          positions = Math.max(positions, size);
        } else if (this.inputFloats[ref.index] === NO_FLOATS) {
          this.inputFloats[ref.index] = new Float32Array(size);
        }
      });
    }
    this.vocabSize = file.inputKind === 'tokens' ? this.inputVocab[0] : 0;
    this.tokens = file.inputKind === 'tokens' ? this.inputIds[0] : NO_IDS;
    this.inputBuffer = this.inputFloats[0];
    this.output = new Float32Array(this.outputSize);
    this.quantized = new Int8Array(widestInput);
    this.quantizedFloat = new Float64Array(widestInput);
    this.rowOffsets = new Int32Array(positions);
    this.steps = buildPlan(file, options, this.inputFloats, this.inputIds, this.output, this.tokens);
  }

  // ---- the forward pass -------------------------------------------------

  /**
   * Runs the plan on the input already in `tokens` / `inputBuffer`; returns the output buffer.
   * A non-finite output (a value overflowing float32 inside the model) throws
   * InputError('non_finite_output') naming the first layer whose values are not finite.
   */
  private run(first?: number, last?: number): Float32Array {
    var steps = this.steps;
    var count = (last === undefined ? steps.length : last) | 0;
    var s = 0;
    var kind = 0;
    for (s = (first === undefined ? 0 : first) | 0; s < count; s = (s + 1) | 0) {
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
          embeddingGather(step.ids, step.rows, step.weights, step.outputSize, step.target, 0);
          break;
        case EMBEDDING_INT8_COLS:
          embeddingGatherInt8Cols(step.ids, step.rows, step.weightsInt8, step.scales, step.outputSize, step.target, 0);
          break;
        case EMBEDDING_AVERAGE_POOL:
          embeddingAveragePool(step.ids, step.rows, step.weights, step.outputSize, step.target, 0, this.rowOffsets);
          break;
        case EMBEDDING_AVERAGE_POOL_INT8_COLS:
          embeddingAveragePoolInt8Cols(step.ids, step.rows, step.weightsInt8, step.scales, step.outputSize, step.target, 0, this.rowOffsets);
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
          step.prepared.run(step.source, step.target, step.sources);
          break;
      }
    }
    var output = this.output;
    if (last !== undefined) return output; // one step of nonFiniteOutput's run
    var n = output.length | 0;
    var i = 0;
    var sum = 0.0;
    // x − x is 0 only for finite numbers: one pass over the output, nothing per layer
    for (i = 0; i < n; i = (i + 1) | 0) sum += output[i] - output[i];
    if (sum !== 0) this.nonFiniteOutput();
    return output;
  }

  /** Runs the plan again one step at a time to find the first layer that wrote a non-finite value; throws. */
  private nonFiniteOutput(): never {
    // the inputs are put back first: an in-place first step (an activation, batch normalization) may have changed them
    var given = this.given;
    if (given !== null) for (var k = 0; k < given.length; k++) this.fillInput(k, given[k]);
    var steps = this.steps;
    for (var s = 0; s < steps.length; s++) {
      var step = steps[s];
      this.run(s, s + 1);
      var written = stepValueCount(step);
      for (var i = 0; i < written; i++) {
        var value = step.target[i];
        if (value - value !== 0) {
          var layer = this.layers[step.layer];
          throw new InputError(
            'non_finite_output',
            `the model's output is not finite for this input: layer '${layer.name}' (${layer.kind}) gave ${String(value)} at index ${i} (a value overflowed float32 inside the model, or its weights are not finite)`,
          );
        }
      }
    }
    throw new InputError('non_finite_output', "the model's output is not finite for this input");
  }

  /**
   * Embedding + GlobalAveragePooling1D, fused: output[d] = mean over all positions of
   * table[ids[t]][d]. Positions [filled, rows) hold the pad id: its row is added once ×
   * their count. 8 channels at a time in locals (double sums; int8_cols: integer sums,
   * scaled once by columnScales[d] / rows, as embeddingAveragePoolInt8Cols).
   */
  private embeddingPool(step: Step): void {
    var int8 = step.kind === EMBEDDING_AVERAGE_POOL_INT8_COLS;
    var ids = step.ids;
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
    this.given = null;
    var pad = this.padId;
    for (; i < length; i = (i + 1) | 0) tokens[i] = pad;
    return this.run();
  }

  predictInputs(inputs: readonly ArrayLike<number>[]): Float32Array {
    var count = this.inputs.length | 0;
    var k = 0;
    if ((inputs.length | 0) !== count) {
      throw new InputError('wrong_length', `got ${inputs.length} inputs; model '${this.name}' takes ${count} (${this.inputs.map((spec) => spec.name).join(', ')})`);
    }
    for (k = 0; k < count; k = (k + 1) | 0) this.fillInput(k, inputs[k]);
    this.filled = ALL_FILLED;
    this.given = inputs;
    return this.run();
  }

  /** Copies input `k` into its buffers: floats checked finite, int32 truncated toward zero (as TF.js casts), ids checked against the vocabulary. */
  private fillInput(k: number, values: ArrayLike<number>): void {
    var spec = this.inputs[k];
    var floats = this.inputFloats[k];
    var ids = this.inputIds[k];
    var integral = this.inputIntegral[k];
    var vocab = this.inputVocab[k];
    var length = (floats !== NO_FLOATS ? floats.length : ids.length) | 0;
    if ((values.length | 0) !== length) throw new InputError('wrong_length', `input '${spec.name}': got ${values.length} values; it takes ${length} ([${spec.shape}])`);
    var i = 0;
    var value = 0.0;
    var whole = 0.0;
    for (i = 0; i < length; i = (i + 1) | 0) {
      value = values[i];
      // x − x is 0 only for finite numbers (NaN and ±Infinity give NaN)
      if (value - value !== 0 || (!integral && Math.fround(value) - Math.fround(value) !== 0)) {
        throw new InputError('bad_input', `input '${spec.name}': value ${String(values[i])} at index ${i} is not a finite ${spec.dtype}`);
      }
      whole = value < 0 ? Math.ceil(value) : Math.floor(value);
      if (integral && (whole < -2147483648 || whole > 2147483647)) throw new InputError('bad_input', `input '${spec.name}': value ${String(values[i])} at index ${i} is outside int32`);
      if (floats !== NO_FLOATS) floats[i] = integral ? whole : value;
      if (ids !== NO_IDS) {
        if (!(whole >= 0 && whole < vocab)) throw new InputError('bad_token', `input '${spec.name}': token id ${String(values[i])} at position ${i} is not in [0, ${vocab})`);
        ids[i] = whole;
      }
    }
  }

  predictVector(input: ArrayLike<number>): Float32Array {
    if (this.inputKind !== 'vector') throw new InputError('wrong_kind', `model '${this.name}' takes token ids or text, not a vector`);
    if (this.inputs.length !== 1) throw new InputError('wrong_kind', `model '${this.name}' takes ${this.inputs.length} inputs (${this.inputs.map((spec) => spec.name).join(', ')}): use predictInputs`);
    var length = this.inputSize | 0;
    if ((input.length | 0) !== length) throw new InputError('wrong_length', `got ${input.length} values; the model takes ${length}`);
    var buffer = this.inputBuffer;
    this.givenOne[0] = input;
    this.given = this.givenOne;
    if (this.inputIntegral[0] || this.inputIds[0] !== NO_IDS || buffer === NO_FLOATS) {
      this.fillInput(0, input);
      this.filled = ALL_FILLED;
      return this.run();
    }
    var i = 0;
    var value = 0.0;
    for (i = 0; i < length; i = (i + 1) | 0) {
      buffer[i] = input[i];
      value = buffer[i];
      // x − x is 0 only for finite numbers (NaN and ±Infinity give NaN); also catches values that overflow float32
      if (value - value !== 0) throw new InputError('bad_input', `value ${String(input[i])} at index ${i} is not a finite float32`);
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
    this.given = null;
    return this.run();
  }

  tokenize(text: string, out?: Int32Array): Int32Array {
    var tokenizer = this.tokenizer;
    if (this.inputKind !== 'tokens') throw new InputError('wrong_kind', `model '${this.name}' takes a vector, not text`);
    if (tokenizer === null) throw new InputError('no_tokenizer', `model '${this.name}' has no tokenizer: give token ids instead of text`);
    if (typeof text !== 'string') throw new InputError('bad_input', `text must be a string, not ${typeof text}`);
    var target = out === undefined ? this.tokens : out;
    if (target.length < this.inputSize) throw new InputError('wrong_length', `token buffer of ${target.length} is shorter than the sequence length ${this.inputSize}`);
    return tokenizer.encode(text, target);
  }

  // ---- batches: the single path, writing into `out` ------------------------

  predictTexts(texts: readonly string[], out?: Float32Array): Float32Array {
    var count = texts.length | 0;
    var result = batchOutput(count, this.outputSize, out);
    var i = 0;
    for (i = 0; i < count; i = (i + 1) | 0) copyValues(this.predictText(texts[i]), 0, result, i * this.outputSize, this.outputSize);
    return result;
  }

  predictTokensBatch(batch: readonly ArrayLike<number>[], out?: Float32Array): Float32Array {
    var count = batch.length | 0;
    var result = batchOutput(count, this.outputSize, out);
    var i = 0;
    for (i = 0; i < count; i = (i + 1) | 0) copyValues(this.predictTokens(batch[i]), 0, result, i * this.outputSize, this.outputSize);
    return result;
  }

  predictVectorBatch(batch: readonly ArrayLike<number>[], out?: Float32Array): Float32Array {
    var count = batch.length | 0;
    var result = batchOutput(count, this.outputSize, out);
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
 * The plan's float buffers: fixed arrays (model inputs, output views) and slots that
 * values share by liveness (a slot is reused once its last read is planned, and grows to
 * the largest value it holds; a chain needs two). Arrays are made once planning is done.
 */
class BufferPlan {
  private readonly sizes: number[] = [];
  private readonly fixed: (Float32Array | null)[] = [];
  /** Reads still to be planned, per buffer. */
  readonly pending: number[] = [];
  private readonly free: number[] = [];

  fixedBuffer(array: Float32Array, reads: number): number {
    this.sizes.push(array.length);
    this.fixed.push(array);
    this.pending.push(reads);
    return this.sizes.length - 1;
  }

  /** A slot for a value of `size` read `reads` times: the smallest free slot that fits, else the largest free one (grown), else a new one. */
  slot(size: number, reads: number): number {
    let best = -1;
    for (const handle of this.free) {
      const fits = this.sizes[handle] >= size;
      const bestFits = best >= 0 && this.sizes[best] >= size;
      if (best < 0 || (fits && (!bestFits || this.sizes[handle] < this.sizes[best])) || (!fits && !bestFits && this.sizes[handle] > this.sizes[best])) best = handle;
    }
    if (best < 0) {
      this.sizes.push(size);
      this.fixed.push(null);
      this.pending.push(reads);
      return this.sizes.length - 1;
    }
    this.free.splice(this.free.indexOf(best), 1);
    this.sizes[best] = Math.max(this.sizes[best], size);
    this.pending[best] = reads;
    return best;
  }

  /** One planned read of `handle`; a slot with no reads left is free. */
  read(handle: number): void {
    this.pending[handle]--;
    if (this.pending[handle] === 0 && this.fixed[handle] === null) this.free.push(handle);
  }

  arrays(): Float32Array[] {
    return this.sizes.map((size, handle) => this.fixed[handle] ?? new Float32Array(size));
  }
}

/** A step and the buffers it uses, as handles of the BufferPlan (-1: none). */
interface PlannedStep {
  step: Step;
  source: number;
  target: number;
  sources: number[];
}

/** Kinds that change values where they are (or, flatten, not at all): they run in place on their input's buffer when nothing else reads it later. */
const IN_PLACE_KINDS = ['flatten', 'activation', 'batch_normalization'];

/**
 * Turns the layers into steps, top to bottom in file order. Each value (a model input
 * or a layer's output) lives in a buffer: an input's own array, a model output's view
 * of `output` (a layer whose value reaches an output only through in-place layers
 * writes straight into it), or a shared slot. In-place steps (batch normalization,
 * activations) act on their input's buffer when it is its last read, else on a copy.
 */
function buildPlan(file: ParsedModelFile, options: LoadOptions, inputFloats: Float32Array[], inputIds: Int32Array[], output: Float32Array, tokens: Int32Array): Step[] {
  const integerInt8 = (options.int8 ?? 'integer') === 'integer';
  // the masks of the recurrent family (engine/layers/recurrent.ts): one flag per step
  const stepMask = new Uint8Array(Math.max(1, ...file.layers.map((layer) => layer.inputShape[0] ?? 1)));
  const layers = file.layers;
  const planned: PlannedStep[] = [];
  const buffers = new BufferPlan();

  // Reads of each value: by layers (embeddings read an input's ids, not its floats) and by the outputs.
  const layerReads = layers.map(() => 0);
  const inputReads = file.inputs.map(() => 0);
  const consumers: number[][] = layers.map(() => []);
  layers.forEach((layer, j) => {
    layer.sources.forEach((ref, slot) => {
      if (ref.from === 'layer') {
        layerReads[ref.index]++;
        consumers[ref.index].push(j);
      } else if (!(layer.kind === 'embedding' && slot === 0)) inputReads[ref.index]++;
    });
  });
  const outputOf = layers.map(() => -1);
  file.outputs.forEach((ref, k) => {
    layerReads[ref.index]++;
    outputOf[ref.index] = k;
  });

  const inputHandles = inputFloats.map((floats, i) => (floats === NO_FLOATS ? -1 : buffers.fixedBuffer(floats, inputReads[i])));
  let offset = 0;
  const views = file.outputs.map((ref) => {
    const size = product(layers[ref.index].outputShape);
    const view = file.outputs.length === 1 ? output : output.subarray(offset, offset + size);
    offset += size;
    return { handle: buffers.fixedBuffer(view, 0), taken: false, size };
  });
  const layerHandles = layers.map(() => -1);
  const handleOf = (ref: ValueRef): number => (ref.from === 'input' ? inputHandles[ref.index] : layerHandles[ref.index]);

  const inPlace = (layer: ParsedLayer): boolean => IN_PLACE_KINDS.includes(layer.kind);
  /** The output a layer's value reaches through single-reader in-place layers only, or -1. */
  const pinnedOutput = (j: number): number => {
    for (let v = j; ; ) {
      if (outputOf[v] >= 0) return outputOf[v];
      if (layerReads[v] !== 1 || !inPlace(layers[consumers[v][0]])) return -1;
      v = consumers[v][0];
    }
  };
  /** The buffer a writing layer's value goes to: its output view when pinned to one, else a slot. */
  const targetFor = (j: number): number => {
    const pinned = pinnedOutput(j);
    if (pinned >= 0 && !views[pinned].taken) {
      views[pinned].taken = true;
      buffers.pending[views[pinned].handle] += layerReads[j];
      return views[pinned].handle;
    }
    return buffers.slot(product(layers[j].outputShape), layerReads[j]);
  };
  /** The layer being planned: its steps carry it (the non-finite output error names it). */
  let current = 0;
  const push = (step: Step, source: number, target: number, sources: number[] = []): void => {
    step.layer = current;
    planned.push({ step, source, target, sources });
  };
  const activationStep = (layer: ParsedLayer, target: number): void => {
    const code = ACTIVATION_NAMES.indexOf(layer.activation);
    if (code === LINEAR) return;
    const step = newStep(ACTIVATION, NO_FLOATS, NO_FLOATS);
    const { rows, width } = rowsOf(layer.outputShape);
    step.rows = rows;
    step.outputSize = width;
    step.activation = code;
    push(step, target, target);
  };

  const fused = layers.map(() => false);
  for (let j = 0; j < layers.length; j++) {
    if (fused[j]) continue;
    current = j;
    const layer = layers[j];
    const tensors = layer.tensors;
    if (inPlace(layer)) {
      // in place on the input's buffer when this is its last read, else on a copy
      const source = handleOf(layer.sources[0]);
      if (layer.kind === 'flatten' && layer.activation === 'linear') {
        // row-major data is already flat
        layerHandles[j] = source;
        buffers.pending[source] += layerReads[j];
        buffers.read(source);
        continue;
      }
      let target = source;
      if (buffers.pending[source] === 1) {
        buffers.pending[source] += layerReads[j];
      } else {
        target = targetFor(j);
        const copy = newStep(COPY, NO_FLOATS, NO_FLOATS);
        copy.outputSize = product(layer.inputShape);
        push(copy, source, target);
      }
      buffers.read(source);
      layerHandles[j] = target;
      if (layer.kind === 'batch_normalization') {
        const { scale, shift } = foldBatchNormalization(
          tensorFloat32(file, tensors[0]),
          tensorFloat32(file, tensors[1]),
          tensorFloat32(file, tensors[2]),
          tensorFloat32(file, tensors[3]),
          layer.params[0],
        );
        const { rows, width } = rowsOf(layer.inputShape);
        const step = newStep(SCALE_SHIFT, NO_FLOATS, NO_FLOATS);
        step.rows = rows;
        step.outputSize = width;
        step.weights = scale;
        step.bias = shift;
        push(step, target, target);
      }
      activationStep(layer, target);
      continue;
    }

    switch (layer.kind) {
      case 'embedding': {
        const table = file.tensors[tensors[0]];
        // the reader allows int8_cols (column scales), never int8 (row scales), for an embedding
        const int8 = table.dtype === 'int8_cols' && integerInt8;
        // an embedding whose one reader is average pooling is one fused step (the pooling layer's value)
        const pool = layerReads[j] === 1 && outputOf[j] < 0 && layer.activation === 'linear' ? consumers[j][0] : -1;
        const fuse = pool >= 0 && layers[pool].kind === 'global_average_pooling_1d';
        const valueLayer = fuse ? pool : j;
        const target = targetFor(valueLayer);
        const step = newStep(fuse ? (int8 ? EMBEDDING_AVERAGE_POOL_INT8_COLS : EMBEDDING_AVERAGE_POOL) : int8 ? EMBEDDING_INT8_COLS : EMBEDDING, NO_FLOATS, NO_FLOATS);
        step.ids = inputIds[layer.sources[0].index];
        step.rows = layer.inputShape[0];
        step.outputSize = table.shape[1];
        if (int8) {
          const quantized = tensorInt8Cols(file, tensors[0]);
          step.weightsInt8 = quantized.values;
          step.scales = quantized.scales;
        } else {
          step.weights = tensorFloat32(file, tensors[0]);
        }
        push(step, -1, target);
        layerHandles[valueLayer] = target;
        if (fuse) fused[pool] = true;
        activationStep(layers[valueLayer], target);
        break;
      }
      case 'global_average_pooling_1d':
      case 'global_max_pooling_1d': {
        const source = handleOf(layer.sources[0]);
        const target = targetFor(j);
        const step = newStep(layer.kind === 'global_average_pooling_1d' ? AVERAGE_POOL : MAX_POOL, NO_FLOATS, NO_FLOATS);
        step.rows = layer.inputShape[0];
        step.outputSize = layer.inputShape[1];
        push(step, source, target);
        buffers.read(source);
        layerHandles[j] = target;
        activationStep(layer, target);
        break;
      }
      case 'dense': {
        const source = handleOf(layer.sources[0]);
        const kernel = file.tensors[tensors[0]];
        const { rows, width } = rowsOf(layer.inputShape);
        const units = kernel.shape[0];
        const int8 = kernel.dtype === 'int8' && integerInt8 && width <= INT8_MAX_INPUT_SIZE;
        const quantized = int8 ? tensorInt8(file, tensors[0]) : null;
        // int8 kernel: lanes → packed → plain, by shape (options.int8Kernel forces one where it can run)
        const choice = (options.packInt8 ?? true) ? (options.int8Kernel ?? 'auto') : 'plain';
        const wantLanes = quantized !== null && (choice === 'lanes' || (choice === 'auto' && laneKernelWins(units, width)));
        const deferred = options.deferPacking;
        const lanePacking = wantLanes && quantized !== null && deferred !== undefined ? beginLanePacking(quantized.values, units, width) : null;
        if (lanePacking !== null) deferred?.add(lanePackingJob(lanePacking));
        const laneKernel = lanePacking !== null ? lanePacking.kernel : wantLanes && quantized !== null && deferred === undefined ? packLaneKernel(quantized.values, units, width) : null;
        const packed = int8 && laneKernel === null && choice !== 'plain' && (choice !== 'auto' || units >= PACKED_GROUP_ROWS);
        const laneScale = packed ? packedInt8LaneScale(width) : 0;
        const target = targetFor(j);
        const small = !int8 && width <= SMALL_DENSE_INPUTS;
        const step = newStep(
          laneKernel !== null ? DENSE_INT8_LANES : laneScale > 0 ? DENSE_INT8_PACKED : int8 ? DENSE_INT8 : small ? DENSE_SMALL : DENSE,
          NO_FLOATS,
          NO_FLOATS,
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
            if (deferred !== undefined) {
              step.lanes = []; // filled by the job's first step
              deferred.add(packedPackingJob(quantized.values, units, width, laneScale, step.lanes));
            } else step.lanes = packInt8Kernel(quantized.values, units, width, laneScale);
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
        push(step, source, target);
        buffers.read(source);
        layerHandles[j] = target;
        break;
      }
      default: {
        // a family kind (engine/layers/); the reader let only known kinds through
        const spec = familyKindByName(layer.kind);
        if (!spec) throw new Error(`layer kind '${layer.kind}' has no kernel`);
        const sources = layer.sources.map(handleOf);
        const target = targetFor(j);
        const step = newStep(LAYER, NO_FLOATS, NO_FLOATS);
        step.prepared = spec.prepare({ file, layer, integerInt8, int8Kernel: (options.packInt8 ?? true) ? options.int8Kernel : 'plain', floatKernel: options.floatKernel, tokens, stepMask });
        step.outputSize = product(layer.outputShape);
        push(step, sources[0], target, sources);
        for (const source of sources) buffers.read(source);
        layerHandles[j] = target;
        if (step.prepared.fusedActivation !== true) activationStep(layer, target);
      }
    }
  }
  // outputs not written in place are copied into their views
  file.outputs.forEach((ref, k) => {
    const source = layerHandles[ref.index];
    current = ref.index;
    if (source !== views[k].handle) {
      const copy = newStep(COPY, NO_FLOATS, NO_FLOATS);
      copy.outputSize = views[k].size;
      push(copy, source, views[k].handle);
    }
    buffers.read(source);
  });

  const arrays = buffers.arrays();
  return planned.map(({ step, source, target, sources }) => {
    step.source = source < 0 ? NO_FLOATS : arrays[source];
    step.target = arrays[target];
    if (sources.length > 0) step.sources = sources.map((handle) => arrays[handle]);
    return step;
  });
}

/** Parses, validates and prepares a model file. Throws ModelFormatError for a defective file. */
export function loadModel(bytes: Uint8Array, options: LoadOptions = {}): EngineModel {
  const file = parseModelFile(bytes, { skipChecksum: options.skipChecksum });
  // an embedding model (model.output 'embedding'): tokenizer, table, mean pooling (engine/embedding-model.ts)
  if (file.outputKind === 'embedding') {
    if (file.huggingfaceTokenizer === null) throw new ModelFormatError('bad_metadata', "an embedding model needs tokenizer.kind 'huggingface'");
    return new StaticEmbeddingModel(file, file.huggingfaceTokenizer);
  }
  return new LoadedModel(file, options);
}
