// One int8 matrix × quantized vector kernel for the layer families (the convolution's
// im2col rows, the recurrent gate matmuls): the same three kernels as the int8 Dense
// layer (denseInt8, denseInt8Packed, denseInt8Lanes), chosen once by shape at load.
// All three compute the same integer sums Σ_k w[o][k]·q[k] over the input quantized per
// row to int8 (quantizeRowInt8), so the choice changes instructions, never results:
//   output[o] = Σ_k w[o][k]·q[k] · inputScale · rowScale[o] + bias[o]
// and against the matrix dequantized to float, per output (from the input rounding only):
//   |Δ| ≤ (inputScale / 2) · Σ_k |w[o][k] · rowScale[o]|,  inputScale = max_k |x[k]| / 127.
// Scratch (quantized, quantizedFloat) is the caller's, sized ≥ inputSize; nothing is
// allocated per call but the lane kernel's BigInt and string primitives.

import { denseInt8, denseInt8Packed, INT8_MAX_INPUT_SIZE, packedInt8LaneScale, packInt8Kernel, PACKED_GROUP_ROWS } from './kernels.ts';
import { denseInt8Lanes, laneBucketsFor, laneKernelWins, packLaneKernel, type LaneKernel } from './kernels-lanes.ts';

/** Which int8 kernel: 'auto' by shape (laneKernelWins, then packed from 16 rows), or one forced where the shape allows. */
export type Int8KernelChoice = 'auto' | 'lanes' | 'packed' | 'plain';

export const INT8_PLAIN = 0;
export const INT8_PACKED = 1;
export const INT8_LANES = 2;
export const INT8_KERNEL_NAMES = ['plain', 'packed', 'lanes'] as const;

export interface Int8Matrix {
  kind: number;
  units: number;
  inputSize: number;
  /** [units][inputSize], row = output. */
  values: Int8Array;
  /** Per output row. */
  scales: Float32Array;
  lanes: LaneKernel | null;
  buckets: bigint[] | null;
  packed: Float64Array[];
  laneScale: number;
}

const NO_PACKED: Float64Array[] = [];

/** Whether an int8 matrix of this shape can run on integers at all (sums below 2^31). */
export function int8MatrixFits(inputSize: number): boolean {
  return inputSize <= INT8_MAX_INPUT_SIZE;
}

/** Packs `values` [units][inputSize] for the kernel `choice` picks (lanes → packed → plain). */
export function prepareInt8Matrix(values: Int8Array, scales: Float32Array, units: number, inputSize: number, choice: Int8KernelChoice = 'auto'): Int8Matrix {
  const lanes = choice === 'lanes' || (choice === 'auto' && laneKernelWins(units, inputSize)) ? packLaneKernel(values, units, inputSize) : null;
  const laneScale = lanes === null && (choice === 'packed' || (choice === 'auto' && units >= PACKED_GROUP_ROWS)) ? packedInt8LaneScale(inputSize) : 0;
  return {
    kind: lanes !== null ? INT8_LANES : laneScale > 0 ? INT8_PACKED : INT8_PLAIN,
    units,
    inputSize,
    values,
    scales,
    lanes,
    buckets: lanes !== null ? laneBucketsFor(inputSize) : null,
    packed: laneScale > 0 ? packInt8Kernel(values, units, inputSize, laneScale) : NO_PACKED,
    laneScale,
  };
}

/**
 * `rows` rows of input (inputSize values each, from inputOffset) through the matrix into
 * output (units values each, from outputOffset), with bias and activation (an activation
 * code of activations.ts).
 */
export function int8MatrixRows(
  m: Int8Matrix,
  input: Float32Array,
  inputOffset: number,
  rows: number,
  bias: Float32Array,
  output: Float32Array,
  outputOffset: number,
  activation: number,
  quantized: Int8Array,
  quantizedFloat: Float64Array,
): void {
  if (m.kind === INT8_LANES && m.lanes !== null) {
    denseInt8Lanes(input, inputOffset, rows, m.lanes, m.scales, bias, output, outputOffset, activation, quantized, m.buckets);
  } else if (m.kind === INT8_PACKED) {
    denseInt8Packed(input, inputOffset, rows, m.inputSize, m.packed, m.laneScale, m.scales, bias, m.units, output, outputOffset, activation, quantized, quantizedFloat);
  } else {
    denseInt8(input, inputOffset, rows, m.inputSize, m.values, m.scales, bias, m.units, output, outputOffset, activation, quantized);
  }
}
