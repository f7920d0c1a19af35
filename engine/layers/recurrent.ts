// Recurrent layer family: LSTM, GRU and SimpleRNN, each one direction or
// Bidirectional, with TF.js / Keras inference semantics (tfjs-layers
// layers/recurrent.ts and wrappers.ts). Plain reference: recurrent.reference.ts;
// the converter's mapping: converter/layers/recurrent.ts.
//
// One entry per layer (a Bidirectional wrapper included). Input [steps, inputDim].
//   tensors, per direction (forward, then backward when merged):
//     kernel            [gates·units, inputDim]  float32, float16 or int8 (row = gate unit = output channel)
//     recurrent kernel  [gates·units, units]     float32, float16 or int8
//     bias              [gates·units] (GRU reset_after: [2·gates·units], input bias then recurrent bias)  float32 or float16
//   gates: LSTM 4 (i, f, c, o), GRU 3 (z, r, h), SimpleRNN 1; Keras's order, rows = Keras columns.
//   params: [units, activation, recurrentActivation (activation codes; SimpleRNN: 0),
//            returnSequences 0/1, goBackwards 0/1, merge (0 one direction, 1 concat, 2 sum, 3 mul, 4 ave),
//            resetAfter 0/1 (GRU only), mask (optional, 0 when absent)]
//   mask: 0 none; 1 the steps whose token id is 0 (an Embedding with mask_zero, the model's
//         first layer); 2 the steps a Masking layer before it flagged (its run writes the
//         model's step mask). TF.js semantics (tfjs-layers rnn()): a masked step keeps the state
//         (h, and c for LSTM) and outputs the previous h (zeros before the first kept step);
//         go_backwards and Bidirectional's backward direction read the mask reversed with the input.
// masking (33): TF.js's Masking layer. params [maskValue]; input [steps, features] (any rank ≥ 2:
//   the last axis is the features); a step is kept when any feature ≠ maskValue; output = input
//   on kept steps, 0 on masked ones; the step flags go to the model's step mask.
//   output: [steps, width] with returnSequences, else [width]; width = 2·units for concat, else units.
// The layer's own activation is linear (the cell's activations are params).
// float16 kernels (and int8 with LoadOptions.int8 'float') are decoded to float32 once at
// prepare. int8 kernels run on integers, never dequantized (kernels-int8.ts: one scale per
// gate unit, the input x_t and the state h quantized to int8 per vector, BigInt lanes, packed
// or plain by shape). Per step and gate unit j the pre-activation then differs from the float
// computation with the same (dequantized) weights by at most
//   (s_x / 2)·Σ_k |W_jk| + (s_h / 2)·Σ_k |U_jk| + Σ_k |U_jk|·e_k,  s = max|vector| / 127,
// e the previous step's state error. For a linear SimpleRNN that recursion is the bound on
// the output (test/layers-recurrent.test.ts checks it step by step); LSTM/GRU carry it through
// their gate activations (slopes ≤ 1) and products, bounded there only empirically: within
// 3e-2 · max(1, |b|) of TF.js on the file's weights for bounded cells of ≤ 12 steps.
//
// Per direction: the input projection x·W + b of all steps in one matrix call, then per step
// one product of h with the concatenated recurrent kernels (the fused gates; GRU reset before:
// z and r, then the candidate's (r·h)·U_h), then the gate activations over whole gate blocks
// (activateElements: TF.js's formulas).

import { activateElements, ACTIVATION_NAMES, LINEAR } from '../activations.ts';
import { denseFloat32 } from '../kernels.ts';
import { int8MatrixFits, int8MatrixRows, prepareInt8Matrix, type Int8Matrix } from '../kernels-int8.ts';
import { tensorFloat32, tensorInt8, type ParsedLayer, type ParsedTensor } from '../format.ts';
import { expectCounts, expectDType, expectShape, fail, intParam } from './checks.ts';
import type { LayerKindSpec, PrepareContext, PreparedLayer } from './family.ts';

export const LSTM = 0;
export const GRU = 1;
export const SIMPLE_RNN = 2;
const GATES = [4, 3, 1];
const KIND_NAMES = ['lstm', 'gru', 'simple_rnn'];

export const MERGE_NONE = 0;
export const MERGE_CONCAT = 1;
export const MERGE_SUM = 2;
export const MERGE_MUL = 3;
export const MERGE_AVE = 4;
export const MERGE_MODES = [null, 'concat', 'sum', 'mul', 'ave'] as const;

/** The params of a recurrent entry, decoded. */
export interface RecurrentConfig {
  cell: number;
  units: number;
  activation: number;
  recurrentActivation: number;
  returnSequences: boolean;
  goBackwards: boolean;
  merge: number;
  resetAfter: boolean;
  mask: number;
}

export const PARAM_COUNT = 8;
export const MASK_NONE = 0;
export const MASK_TOKENS = 1;
export const MASK_STEPS = 2;

export function recurrentConfig(cell: number, layer: ParsedLayer, where: string): RecurrentConfig {
  const activations = ACTIVATION_NAMES.length - 1;
  return {
    cell,
    units: intParam(layer, 0, 1, 1 << 16, 'units', where),
    activation: intParam(layer, 1, 0, activations, 'activation', where),
    recurrentActivation: intParam(layer, 2, 0, activations, 'recurrent activation', where),
    returnSequences: intParam(layer, 3, 0, 1, 'returnSequences', where) === 1,
    goBackwards: intParam(layer, 4, 0, 1, 'goBackwards', where) === 1,
    merge: intParam(layer, 5, 0, MERGE_MODES.length - 1, 'merge mode', where),
    resetAfter: intParam(layer, 6, 0, cell === GRU ? 1 : 0, 'resetAfter', where) === 1,
    // files before masking have 7 params
    mask: layer.params.length > 7 ? intParam(layer, 7, 0, MASK_STEPS, 'mask', where) : MASK_NONE,
  };
}

export function recurrentOutputShape(config: RecurrentConfig, steps: number): number[] {
  const width = config.merge === MERGE_CONCAT ? 2 * config.units : config.units;
  return config.returnSequences ? [steps, width] : [width];
}

/** Length of a direction's bias. */
export function biasLength(config: RecurrentConfig): number {
  return GATES[config.cell] * config.units * (config.resetAfter ? 2 : 1);
}

function kindSpec(cell: number, code: number): LayerKindSpec {
  return {
    code,
    name: KIND_NAMES[cell],
    outputShape(layer, input, tensors, where) {
      const all = expectCounts(layer, tensors, [3, 6], [PARAM_COUNT - 1, PARAM_COUNT], where);
      const config = recurrentConfig(cell, layer, where);
      if (input.length !== 2) fail('bad_shape', `${where}: needs an input of rank 2 [steps, features], got [${input}]`);
      if ((all.length === 6) !== (config.merge !== MERGE_NONE)) fail('bad_layer', `${where}: ${all.length} tensors do not match merge mode ${config.merge}`);
      if (layer.activation !== 'linear') fail('bad_layer', `${where}: the layer activation must be linear (the cell's are params)`);
      const rows = GATES[cell] * config.units;
      for (let d = 0; d < all.length; d += 3) {
        checkDirection(all[d], all[d + 1], all[d + 2], rows, input[1], config, where);
      }
      return recurrentOutputShape(config, input[0]);
    },
    prepare: (context) => prepareRecurrent(cell, context),
  };
}

function checkDirection(kernel: ParsedTensor, recurrent: ParsedTensor, bias: ParsedTensor, rows: number, inputDim: number, config: RecurrentConfig, where: string): void {
  expectShape(kernel, [rows, inputDim], where);
  expectDType(kernel, 'int8', where);
  expectShape(recurrent, [rows, config.units], where);
  expectDType(recurrent, 'int8', where);
  expectShape(bias, [biasLength(config)], where);
  expectDType(bias, null, where);
}

const masking: LayerKindSpec = {
  code: 33,
  name: 'masking',
  outputShape(layer, input, tensors, where) {
    expectCounts(layer, tensors, 0, 1, where);
    if (input.length < 2) fail('bad_shape', `${where}: needs an input of rank ≥ 2 [steps, …, features], got [${input}]`);
    if (!Number.isFinite(layer.params[0])) fail('bad_layer', `${where}: mask value ${layer.params[0]} must be finite`);
    return input.slice();
  },
  prepare({ layer, stepMask }) {
    const steps = layer.inputShape[0];
    const width = layer.inputShape.slice(1).reduce((a, b) => a * b, 1);
    const keep = stepMask ?? new Uint8Array(steps);
    if (keep.length < steps) throw new Error(`masking '${layer.name}': the step mask has ${keep.length} steps, not ${steps}`);
    const maskValue = layer.params[0];
    return { run: (source, target) => maskSteps(source, target, steps, width, maskValue, keep) };
  },
};

/** TF.js Masking: keep[t] = any feature of step t ≠ maskValue; target = source on kept steps, else 0. */
export function maskSteps(source: Float32Array, target: Float32Array, steps: number, width: number, maskValue: number, keep: Uint8Array): void {
  var t = 0;
  var i = 0;
  var at = 0;
  var kept = 0;
  for (t = 0; t < steps; t++) {
    at = t * width;
    kept = 0;
    for (i = 0; i < width; i++) {
      if (source[at + i] !== maskValue) {
        kept = 1;
        break;
      }
    }
    keep[t] = kept;
    if (kept === 1) for (i = 0; i < width; i++) target[at + i] = source[at + i];
    else for (i = 0; i < width; i++) target[at + i] = 0;
  }
}

export const RECURRENT_KINDS: readonly LayerKindSpec[] = [kindSpec(LSTM, 30), kindSpec(GRU, 31), kindSpec(SIMPLE_RNN, 32), masking];

/**
 * A gate matrix [rows, inputSize] (row = gate unit): float32 (float32 and float16 files, or int8
 * with LoadOptions.int8 'float': decoded once), or int8 with one scale per row on the int8
 * kernel chosen by shape (kernels-int8.ts: BigInt lanes, packed or plain, over the input
 * quantized to int8 per vector).
 */
interface GateMatrix {
  rows: number;
  inputSize: number;
  float: Float32Array;
  int8: Int8Matrix | null;
}

function gateMatrix(context: PrepareContext, index: number, rowStart: number, rowCount: number): GateMatrix {
  const { file } = context;
  const tensor = file.tensors[index];
  const inputSize = tensor.shape[1];
  if (tensor.dtype === 'int8' && context.integerInt8 && int8MatrixFits(inputSize)) {
    const view = tensorInt8(file, index);
    const values = view.values.subarray(rowStart * inputSize, (rowStart + rowCount) * inputSize);
    const scales = view.scales.subarray(rowStart, rowStart + rowCount);
    return { rows: rowCount, inputSize, float: NO_OUTPUT, int8: prepareInt8Matrix(values, scales, rowCount, inputSize, context.int8Kernel ?? 'auto') };
  }
  return { rows: rowCount, inputSize, float: tensorFloat32(file, index).subarray(rowStart * inputSize, (rowStart + rowCount) * inputSize), int8: null };
}

/** output[outputOffset + o] = matrix row o · input[inputOffset, +inputSize) + bias[o], for `rows` input rows. */
function gateRows(m: GateMatrix, input: Float32Array, inputOffset: number, rows: number, bias: Float32Array, output: Float32Array, outputOffset: number, scratch: Scratch): void {
  if (m.int8 !== null) int8MatrixRows(m.int8, input, inputOffset, rows, bias, output, outputOffset, LINEAR, scratch.quantized, scratch.quantizedFloat);
  else denseFloat32(input, inputOffset, rows, m.inputSize, m.float, bias, m.rows, output, outputOffset, LINEAR);
}

interface Scratch {
  quantized: Int8Array;
  quantizedFloat: Float64Array;
}

/** One direction's weights, state and scratch. */
interface Direction {
  /** Input kernel [rows, inputDim]: projected for all steps at once, before the recurrence. */
  kernel: GateMatrix;
  /** Recurrent kernel [rows, units]; GRU reset before: its z, r rows only (the candidate's in `candidate`). */
  recurrent: GateMatrix;
  candidate: GateMatrix;
  /** Bias of the input projection (GRU reset after: the input bias). */
  inputBias: Float32Array;
  /** Bias of the recurrent product: GRU reset after's recurrent bias, else zeros. */
  recurrentBias: Float32Array;
  /** Reads the input last step first. */
  reverseInput: boolean;
  /** Writes output k at position steps − 1 − k (Bidirectional's backward layer, re-aligned). */
  reverseOutput: boolean;
  /** x·W + b of every step, [steps, rows]. */
  projected: Float32Array;
  /** h·U (+ recurrent bias) of the current step, rows. */
  product: Float32Array;
  /** Hidden state h (the output) and, for LSTM, the carry c. */
  h: Float32Array;
  c: Float32Array;
  /** Gate pre-activations / activations, gates·units. */
  z: Float32Array;
  /** GRU: r·h (reset before); LSTM: act(c). */
  extra: Float32Array;
  /** Where this direction writes: the layer's target (one direction) or its own buffer before merging. */
  out: Float32Array;
  scratch: Scratch;
  /** Step flags (1 = keep) by input step, or null without a mask. */
  keep: Uint8Array | null;
}

function prepareRecurrent(cell: number, context: PrepareContext): PreparedLayer {
  const { file, layer } = context;
  const where = `layer '${layer.name}' (${layer.kind})`;
  const config = recurrentConfig(cell, layer, where);
  const steps = layer.inputShape[0];
  const inputDim = layer.inputShape[1];
  const units = config.units;
  const rows = GATES[cell] * units;
  const merged = config.merge !== MERGE_NONE;
  const outLength = (config.returnSequences ? steps : 1) * units;
  const resetBefore = cell === GRU && !config.resetAfter;
  const keep = stepKeep(config.mask, context, steps, where);
  const tokens = context.tokens ?? NO_TOKENS;
  const directions: Direction[] = [];
  for (let d = 0; d < layer.tensors.length; d += 3) {
    const backward = d > 0;
    const bias = tensorFloat32(file, layer.tensors[d + 2]);
    const recurrentRows = resetBefore ? 2 * units : rows;
    directions.push({
      kernel: gateMatrix(context, layer.tensors[d], 0, rows),
      recurrent: gateMatrix(context, layer.tensors[d + 1], 0, recurrentRows),
      candidate: resetBefore ? gateMatrix(context, layer.tensors[d + 1], 2 * units, units) : NO_MATRIX,
      inputBias: bias.subarray(0, rows),
      recurrentBias: config.resetAfter ? bias.subarray(rows, 2 * rows) : new Float32Array(rows),
      reverseInput: backward ? !config.goBackwards : config.goBackwards,
      reverseOutput: backward && config.returnSequences,
      projected: new Float32Array(steps * rows),
      product: new Float32Array(rows),
      h: new Float32Array(units),
      c: new Float32Array(units),
      z: new Float32Array(rows),
      extra: new Float32Array(units),
      out: merged ? new Float32Array(outLength) : NO_OUTPUT,
      scratch: { quantized: new Int8Array(Math.max(inputDim, units)), quantizedFloat: new Float64Array(Math.max(inputDim, units)) },
      keep,
    });
  }
  const run = cell === LSTM ? lstmDirection : cell === GRU ? gruDirection : simpleRnnDirection;
  const forward = directions[0];
  const backward = merged ? directions[1] : forward;
  return {
    run(source: Float32Array, target: Float32Array): void {
      if (config.mask === MASK_TOKENS && keep !== null) for (let t = 0; t < steps; t++) keep[t] = tokens[t] !== 0 ? 1 : 0;
      if (!merged) {
        forward.out = target;
        project(forward, source, steps);
        run(forward, config, steps);
        return;
      }
      project(forward, source, steps);
      run(forward, config, steps);
      project(backward, source, steps);
      run(backward, config, steps);
      mergeDirections(config.merge, forward.out, backward.out, outLength / units, units, target);
    },
  };
}

const NO_TOKENS = new Int32Array(0);

/** The step flags a recurrent layer reads for its mask param, or null without one. */
function stepKeep(mask: number, context: PrepareContext, steps: number, where: string): Uint8Array | null {
  if (mask === MASK_NONE) return null;
  if (mask === MASK_TOKENS) {
    if ((context.tokens?.length ?? 0) !== steps) fail('bad_layer', `${where}: a token mask (mask_zero) needs a tokens model of ${steps} positions`);
    return new Uint8Array(steps);
  }
  if (context.stepMask === undefined || context.stepMask.length < steps) fail('bad_layer', `${where}: a Masking layer's mask needs the model's step mask of ${steps} steps`);
  return context.stepMask;
}

/** x·W + b for every step (no dependence on the state: one matrix call over all steps). */
function project(direction: Direction, source: Float32Array, steps: number): void {
  gateRows(direction.kernel, source, 0, steps, direction.inputBias, direction.projected, 0, direction.scratch);
}

const NO_OUTPUT = new Float32Array(0);
const NO_MATRIX: GateMatrix = { rows: 0, inputSize: 0, float: NO_OUTPUT, int8: null };

/** Writes the merged rows of a and b (rows × units each) into target. */
function mergeDirections(merge: number, a: Float32Array, b: Float32Array, rowCount: number, units: number, target: Float32Array): void {
  var n = (rowCount * units) | 0;
  var i = 0;
  var r = 0;
  var k = 0;
  var o = 0;
  if (merge === MERGE_CONCAT) {
    for (r = 0; r < rowCount; r++) {
      for (k = 0; k < units; k++) target[o++] = a[i + k];
      for (k = 0; k < units; k++) target[o++] = b[i + k];
      i += units;
    }
  } else if (merge === MERGE_SUM) {
    for (i = 0; i < n; i++) target[i] = a[i] + b[i];
  } else if (merge === MERGE_MUL) {
    for (i = 0; i < n; i++) target[i] = a[i] * b[i];
  } else {
    for (i = 0; i < n; i++) target[i] = (a[i] + b[i]) / 2;
  }
}

/** Copies h to output step k (or to the only output row without returnSequences). */
function writeOutput(direction: Direction, returnSequences: boolean, k: number, steps: number, units: number): void {
  var out = direction.out;
  var h = direction.h;
  var at = returnSequences ? (direction.reverseOutput ? steps - 1 - k : k) * units : 0;
  var j = 0;
  if (!returnSequences && k !== steps - 1) return;
  for (j = 0; j < units; j++) out[at + j] = h[j];
}

/**
 * LSTM (tfjs LSTMCell): z = x·W + b + h·U; i, f, o = recurrentActivation; c = f·c + i·activation(z_c);
 * h = o·activation(c).
 */
function lstmDirection(direction: Direction, config: RecurrentConfig, steps: number): void {
  var units = config.units | 0;
  var rows = (4 * units) | 0;
  var projected = direction.projected;
  var product = direction.product;
  var h = direction.h;
  var c = direction.c;
  var z = direction.z;
  var actC = direction.extra;
  var activation = config.activation;
  var recurrentActivation = config.recurrentActivation;
  var keep = direction.keep;
  var k = 0;
  var t = 0;
  var j = 0;
  var x = 0;
  h.fill(0);
  c.fill(0);
  for (k = 0; k < steps; k++) {
    t = direction.reverseInput ? steps - 1 - k : k;
    // a masked step keeps h and c and repeats the previous output
    if (keep !== null && keep[t] === 0) {
      writeOutput(direction, config.returnSequences, k, steps, units);
      continue;
    }
    x = t * rows;
    // fused gates: one product of h with the concatenated recurrent kernels
    gateRows(direction.recurrent, h, 0, 1, direction.recurrentBias, product, 0, direction.scratch);
    for (j = 0; j < rows; j++) z[j] = projected[x + j] + product[j];
    // one call per gate block: softmax, if used, is over each gate's units
    activateElements(recurrentActivation, z, 0, units);
    activateElements(recurrentActivation, z, units, units);
    activateElements(activation, z, 2 * units, units);
    activateElements(recurrentActivation, z, 3 * units, units);
    for (j = 0; j < units; j++) {
      c[j] = z[units + j] * c[j] + z[j] * z[2 * units + j];
      actC[j] = c[j];
    }
    activateElements(activation, actC, 0, units);
    for (j = 0; j < units; j++) h[j] = z[3 * units + j] * actC[j];
    writeOutput(direction, config.returnSequences, k, steps, units);
  }
}

/**
 * GRU, gates z (update), r (reset), h (candidate). Reset before (tfjs GRUCell, reset_after false):
 * hh = activation(x·W_h + b_h + (r·h)·U_h). Reset after (Keras, reset_after true; tfjs refuses it):
 * hh = activation(x·W_h + b_h + r·(h·U_h + b'_h)), with the recurrent bias b' added to z and r too.
 * h = z·h + (1 − z)·hh.
 */
function gruDirection(direction: Direction, config: RecurrentConfig, steps: number): void {
  var units = config.units | 0;
  var gateRows2 = (2 * units) | 0;
  var rows = (3 * units) | 0;
  var projected = direction.projected;
  var product = direction.product;
  var h = direction.h;
  var z = direction.z;
  var extra = direction.extra;
  var resetAfter = config.resetAfter;
  var activation = config.activation;
  var keep = direction.keep;
  var k = 0;
  var t = 0;
  var j = 0;
  var x = 0;
  var gate = 0.0;
  h.fill(0);
  for (k = 0; k < steps; k++) {
    t = direction.reverseInput ? steps - 1 - k : k;
    if (keep !== null && keep[t] === 0) {
      writeOutput(direction, config.returnSequences, k, steps, units);
      continue;
    }
    x = t * rows;
    // reset after: h·U + b' over all three gates; reset before: over z and r only
    gateRows(direction.recurrent, h, 0, 1, direction.recurrentBias, product, 0, direction.scratch);
    for (j = 0; j < gateRows2; j++) z[j] = projected[x + j] + product[j];
    activateElements(config.recurrentActivation, z, 0, units);
    activateElements(config.recurrentActivation, z, units, units);
    if (resetAfter) {
      for (j = 0; j < units; j++) z[gateRows2 + j] = projected[x + gateRows2 + j] + z[units + j] * product[gateRows2 + j];
    } else {
      for (j = 0; j < units; j++) extra[j] = z[units + j] * h[j];
      gateRows(direction.candidate, extra, 0, 1, direction.recurrentBias, product, gateRows2, direction.scratch);
      for (j = 0; j < units; j++) z[gateRows2 + j] = projected[x + gateRows2 + j] + product[gateRows2 + j];
    }
    activateElements(activation, z, gateRows2, units);
    for (j = 0; j < units; j++) {
      gate = z[j];
      h[j] = gate * h[j] + (1 - gate) * z[gateRows2 + j];
    }
    writeOutput(direction, config.returnSequences, k, steps, units);
  }
}

/** SimpleRNN (tfjs SimpleRNNCell): h = activation(x·W + b + h·U). */
function simpleRnnDirection(direction: Direction, config: RecurrentConfig, steps: number): void {
  var units = config.units | 0;
  var projected = direction.projected;
  var product = direction.product;
  var h = direction.h;
  var z = direction.z;
  var keep = direction.keep;
  var k = 0;
  var t = 0;
  var j = 0;
  var x = 0;
  h.fill(0);
  for (k = 0; k < steps; k++) {
    t = direction.reverseInput ? steps - 1 - k : k;
    if (keep !== null && keep[t] === 0) {
      writeOutput(direction, config.returnSequences, k, steps, units);
      continue;
    }
    x = t * units;
    gateRows(direction.recurrent, h, 0, 1, direction.recurrentBias, product, 0, direction.scratch);
    for (j = 0; j < units; j++) z[j] = projected[x + j] + product[j];
    activateElements(config.activation, z, 0, units);
    for (j = 0; j < units; j++) h[j] = z[j];
    writeOutput(direction, config.returnSequences, k, steps, units);
  }
}
