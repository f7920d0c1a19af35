// The engine's compute kernels: THE hot path in the canister.
//
// Written for QuickJS, where every bytecode costs IC instructions. Measured there:
// `let` loop variables, post-increment `i++` and float-typed loop bounds are what
// make loops slow, so every loop uses `var` variables, `i = (i + 1) | 0` and `| 0`
// integer bounds; locals are hoisted; dot products are unrolled ×16 with a
// remainder loop; weights are read contiguously (Dense kernels are stored
// transposed, row `o` = the weights of output `o`); bias and activation are fused
// into the Dense output loop. No kernel allocates. kernels-reference.ts holds the
// plain versions the tests compare these against.

import { RELU, LINEAR, activateRows } from './activations.ts';

/** Largest input size for which an int8 dot product (|q·w| ≤ 127·127 per term) cannot overflow int32. */
export const INT8_MAX_INPUT_SIZE = Math.floor(0x7fffffff / (127 * 127));

/**
 * Dense layer over `rows` input rows of `inputSize` values (a rank>1 input applies
 * the layer per row of its last axis): output = activation(input · kernelᵀ + bias).
 * `kernel` is transposed, [units][inputSize] row-major.
 */
export function denseFloat32(
  input: Float32Array,
  inputOffset: number,
  rows: number,
  inputSize: number,
  kernel: Float32Array,
  bias: Float32Array,
  units: number,
  output: Float32Array,
  outputOffset: number,
  activation: number,
): void {
  var rowCount = rows | 0;
  var n = inputSize | 0;
  var unitCount = units | 0;
  var unrolledEnd = (n - (n & 15)) | 0;
  var relu = activation === RELU;
  var r = 0;
  var o = 0;
  var k = 0;
  var x = 0;
  var w = 0;
  var sum = 0.0;
  var rowStart = inputOffset | 0;
  var out = outputOffset | 0;
  for (r = 0; r < rowCount; r = (r + 1) | 0) {
    for (o = 0; o < unitCount; o = (o + 1) | 0) {
      sum = 0.0;
      x = rowStart;
      w = (o * n) | 0;
      for (k = 0; k < unrolledEnd; k = (k + 16) | 0) {
        sum =
          sum +
          input[x] * kernel[w] +
          input[x + 1] * kernel[w + 1] +
          input[x + 2] * kernel[w + 2] +
          input[x + 3] * kernel[w + 3] +
          input[x + 4] * kernel[w + 4] +
          input[x + 5] * kernel[w + 5] +
          input[x + 6] * kernel[w + 6] +
          input[x + 7] * kernel[w + 7] +
          input[x + 8] * kernel[w + 8] +
          input[x + 9] * kernel[w + 9] +
          input[x + 10] * kernel[w + 10] +
          input[x + 11] * kernel[w + 11] +
          input[x + 12] * kernel[w + 12] +
          input[x + 13] * kernel[w + 13] +
          input[x + 14] * kernel[w + 14] +
          input[x + 15] * kernel[w + 15];
        x = (x + 16) | 0;
        w = (w + 16) | 0;
      }
      for (; k < n; k = (k + 1) | 0) {
        sum = sum + input[x] * kernel[w];
        x = (x + 1) | 0;
        w = (w + 1) | 0;
      }
      sum = sum + bias[o];
      output[out] = relu && sum < 0 ? 0 : sum;
      out = (out + 1) | 0;
    }
    rowStart = (rowStart + n) | 0;
  }
  if (activation !== LINEAR && !relu) activateRows(activation, output, outputOffset, rowCount, unitCount);
}

/**
 * Quantizes input[offset, offset + size) to int8 with one symmetric scale
 * (maxAbs / 127), writing into `quantized` from index 0. Returns the scale
 * (0 for an all-zero row).
 */
export function quantizeRowInt8(input: Float32Array, offset: number, size: number, quantized: Int8Array): number {
  var start = offset | 0;
  var n = size | 0;
  var unrolledEnd = (n - (n & 7)) | 0;
  var i = 0;
  var x = start;
  var value = 0.0;
  var high = 0.0;
  var low = 0.0;
  // both loops unrolled ×8: a loop iteration costs as much as several loads in QuickJS
  for (i = 0; i < unrolledEnd; i = (i + 8) | 0) {
    value = input[x];
    if (value > high) high = value;
    if (value < low) low = value;
    value = input[x + 1];
    if (value > high) high = value;
    if (value < low) low = value;
    value = input[x + 2];
    if (value > high) high = value;
    if (value < low) low = value;
    value = input[x + 3];
    if (value > high) high = value;
    if (value < low) low = value;
    value = input[x + 4];
    if (value > high) high = value;
    if (value < low) low = value;
    value = input[x + 5];
    if (value > high) high = value;
    if (value < low) low = value;
    value = input[x + 6];
    if (value > high) high = value;
    if (value < low) low = value;
    value = input[x + 7];
    if (value > high) high = value;
    if (value < low) low = value;
    x = (x + 8) | 0;
  }
  for (; i < n; i = (i + 1) | 0) {
    value = input[x];
    if (value > high) high = value;
    if (value < low) low = value;
    x = (x + 1) | 0;
  }
  var maxAbs = -low > high ? -low : high;
  if (maxAbs === 0) {
    quantized.fill(0, 0, n);
    return 0;
  }
  var inverseScale = 127 / maxAbs;
  x = start;
  // round half away from zero without a Math.round call
  for (i = 0; i < unrolledEnd; i = (i + 8) | 0) {
    value = input[x] * inverseScale;
    quantized[i] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    value = input[x + 1] * inverseScale;
    quantized[i + 1] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    value = input[x + 2] * inverseScale;
    quantized[i + 2] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    value = input[x + 3] * inverseScale;
    quantized[i + 3] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    value = input[x + 4] * inverseScale;
    quantized[i + 4] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    value = input[x + 5] * inverseScale;
    quantized[i + 5] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    value = input[x + 6] * inverseScale;
    quantized[i + 6] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    value = input[x + 7] * inverseScale;
    quantized[i + 7] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    x = (x + 8) | 0;
  }
  for (; i < n; i = (i + 1) | 0) {
    value = input[x] * inverseScale;
    quantized[i] = value >= 0 ? (value + 0.5) | 0 : -((0.5 - value) | 0);
    x = (x + 1) | 0;
  }
  return maxAbs / 127;
}

/**
 * Dense layer with an int8 kernel (value = q × rowScale[o]): each input row is
 * quantized to int8 (one scale per row) into `quantized` (length ≥ inputSize),
 * dot products run on integers, and each output costs one float multiply:
 * acc × inputScale × rowScale[o]. Requires inputSize ≤ INT8_MAX_INPUT_SIZE.
 *
 * Error against the same layer with the kernel dequantized to float, per output:
 * |Δ| ≤ (inputScale / 2) · Σ_k |q[o][k] · rowScale[o]| (input rounding only).
 */
export function denseInt8(
  input: Float32Array,
  inputOffset: number,
  rows: number,
  inputSize: number,
  kernel: Int8Array,
  rowScales: Float32Array,
  bias: Float32Array,
  units: number,
  output: Float32Array,
  outputOffset: number,
  activation: number,
  quantized: Int8Array,
): void {
  var rowCount = rows | 0;
  var n = inputSize | 0;
  var unitCount = units | 0;
  var unrolledEnd = (n - (n & 15)) | 0;
  var relu = activation === RELU;
  var r = 0;
  var o = 0;
  var k = 0;
  var w = 0;
  var acc = 0;
  var sum = 0.0;
  var inputScale = 0.0;
  var rowStart = inputOffset | 0;
  var out = outputOffset | 0;
  for (r = 0; r < rowCount; r = (r + 1) | 0) {
    inputScale = quantizeRowInt8(input, rowStart, n, quantized);
    for (o = 0; o < unitCount; o = (o + 1) | 0) {
      acc = 0;
      w = (o * n) | 0;
      for (k = 0; k < unrolledEnd; k = (k + 16) | 0) {
        acc =
          (acc +
            quantized[k] * kernel[w] +
            quantized[k + 1] * kernel[w + 1] +
            quantized[k + 2] * kernel[w + 2] +
            quantized[k + 3] * kernel[w + 3] +
            quantized[k + 4] * kernel[w + 4] +
            quantized[k + 5] * kernel[w + 5] +
            quantized[k + 6] * kernel[w + 6] +
            quantized[k + 7] * kernel[w + 7] +
            quantized[k + 8] * kernel[w + 8] +
            quantized[k + 9] * kernel[w + 9] +
            quantized[k + 10] * kernel[w + 10] +
            quantized[k + 11] * kernel[w + 11] +
            quantized[k + 12] * kernel[w + 12] +
            quantized[k + 13] * kernel[w + 13] +
            quantized[k + 14] * kernel[w + 14] +
            quantized[k + 15] * kernel[w + 15]) |
          0;
        w = (w + 16) | 0;
      }
      for (; k < n; k = (k + 1) | 0) {
        acc = (acc + quantized[k] * kernel[w]) | 0;
        w = (w + 1) | 0;
      }
      sum = acc * inputScale * rowScales[o] + bias[o];
      output[out] = relu && sum < 0 ? 0 : sum;
      out = (out + 1) | 0;
    }
    rowStart = (rowStart + n) | 0;
  }
  if (activation !== LINEAR && !relu) activateRows(activation, output, outputOffset, rowCount, unitCount);
}

/** Embedding lookup: output[t][d] = table[ids[t]][d] for t < count. Ids must be valid (checked by the caller). */
export function embeddingGather(
  ids: Int32Array,
  count: number,
  table: Float32Array,
  dim: number,
  output: Float32Array,
  outputOffset: number,
): void {
  var steps = count | 0;
  var width = dim | 0;
  var t = 0;
  var d = 0;
  var source = 0;
  var out = outputOffset | 0;
  for (t = 0; t < steps; t = (t + 1) | 0) {
    source = (ids[t] * width) | 0;
    for (d = 0; d < width; d = (d + 1) | 0) {
      output[out] = table[(source + d) | 0];
      out = (out + 1) | 0;
    }
  }
}

/** Embedding lookup from an int8_cols table (value = q × columnScales[d]). Ids must be valid. */
export function embeddingGatherInt8Cols(
  ids: Int32Array,
  count: number,
  table: Int8Array,
  columnScales: Float32Array,
  dim: number,
  output: Float32Array,
  outputOffset: number,
): void {
  var steps = count | 0;
  var width = dim | 0;
  var t = 0;
  var d = 0;
  var source = 0;
  var out = outputOffset | 0;
  for (t = 0; t < steps; t = (t + 1) | 0) {
    source = (ids[t] * width) | 0;
    for (d = 0; d < width; d = (d + 1) | 0) {
      output[out] = table[(source + d) | 0] * columnScales[d];
      out = (out + 1) | 0;
    }
  }
}

/**
 * Embedding followed by GlobalAveragePooling1D without materializing [count, dim]:
 * output[d] = mean over ALL positions t (padding included, as TF.js does without
 * a mask) of table[ids[t]][d]. Sums in double precision per channel; `rowOffsets`
 * is scratch of length ≥ count.
 */
export function embeddingAveragePool(
  ids: Int32Array,
  count: number,
  table: Float32Array,
  dim: number,
  output: Float32Array,
  outputOffset: number,
  rowOffsets: Int32Array,
): void {
  var steps = count | 0;
  var width = dim | 0;
  var t = 0;
  var d = 0;
  var sum = 0.0;
  for (t = 0; t < steps; t = (t + 1) | 0) rowOffsets[t] = (ids[t] * width) | 0;
  for (d = 0; d < width; d = (d + 1) | 0) {
    sum = 0.0;
    for (t = 0; t < steps; t = (t + 1) | 0) sum = sum + table[(rowOffsets[t] + d) | 0];
    output[(outputOffset + d) | 0] = sum / steps;
  }
}

/**
 * embeddingAveragePool over an int8_cols table (value = q × columnScales[d]): the
 * raw q of each column are summed as integers over the positions, and the sum is
 * scaled once, by columnScales[d] / count. Exact up to that one multiply:
 * |sum| ≤ 127 · count ≤ 127 · 2²⁴ < 2³¹, so `| 0` never wraps. `rowOffsets` is
 * scratch of length ≥ count.
 */
export function embeddingAveragePoolInt8Cols(
  ids: Int32Array,
  count: number,
  table: Int8Array,
  columnScales: Float32Array,
  dim: number,
  output: Float32Array,
  outputOffset: number,
  rowOffsets: Int32Array,
): void {
  var steps = count | 0;
  var width = dim | 0;
  var t = 0;
  var d = 0;
  var sum = 0;
  for (t = 0; t < steps; t = (t + 1) | 0) rowOffsets[t] = (ids[t] * width) | 0;
  for (d = 0; d < width; d = (d + 1) | 0) {
    sum = 0;
    for (t = 0; t < steps; t = (t + 1) | 0) sum = (sum + table[(rowOffsets[t] + d) | 0]) | 0;
    output[(outputOffset + d) | 0] = sum * (columnScales[d] / steps);
  }
}

/** GlobalAveragePooling1D: [steps, channels] → [channels], mean over steps. */
export function globalAveragePool(
  input: Float32Array,
  inputOffset: number,
  steps: number,
  channels: number,
  output: Float32Array,
  outputOffset: number,
): void {
  var stepCount = steps | 0;
  var width = channels | 0;
  var t = 0;
  var c = 0;
  var index = 0;
  var sum = 0.0;
  for (c = 0; c < width; c = (c + 1) | 0) {
    sum = 0.0;
    index = (inputOffset + c) | 0;
    for (t = 0; t < stepCount; t = (t + 1) | 0) {
      sum = sum + input[index];
      index = (index + width) | 0;
    }
    output[(outputOffset + c) | 0] = sum / stepCount;
  }
}

/** GlobalMaxPooling1D: [steps, channels] → [channels], max over steps. */
export function globalMaxPool(
  input: Float32Array,
  inputOffset: number,
  steps: number,
  channels: number,
  output: Float32Array,
  outputOffset: number,
): void {
  var stepCount = steps | 0;
  var width = channels | 0;
  var t = 0;
  var c = 0;
  var index = 0;
  var max = 0.0;
  var value = 0.0;
  for (c = 0; c < width; c = (c + 1) | 0) {
    index = (inputOffset + c) | 0;
    max = input[index];
    for (t = 1; t < stepCount; t = (t + 1) | 0) {
      index = (index + width) | 0;
      value = input[index];
      if (value > max) max = value;
    }
    output[(outputOffset + c) | 0] = max;
  }
}

/** In-place per-channel affine map over rows of the last axis: x·scale[c] + shift[c] (folded batch normalization). */
export function scaleShiftInPlace(
  data: Float32Array,
  offset: number,
  rows: number,
  channels: number,
  scale: Float32Array,
  shift: Float32Array,
): void {
  var rowCount = rows | 0;
  var width = channels | 0;
  var r = 0;
  var c = 0;
  var index = offset | 0;
  for (r = 0; r < rowCount; r = (r + 1) | 0) {
    for (c = 0; c < width; c = (c + 1) | 0) {
      data[index] = data[index] * scale[c] + shift[c];
      index = (index + 1) | 0;
    }
  }
}

/** Folds inference batch normalization into y = x·scale + shift (done once, at load). */
export function foldBatchNormalization(
  gamma: Float32Array,
  beta: Float32Array,
  movingMean: Float32Array,
  movingVariance: Float32Array,
  epsilon: number,
): { scale: Float32Array; shift: Float32Array } {
  const channels = gamma.length;
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = gamma[c] / Math.sqrt(movingVariance[c] + epsilon);
    scale[c] = s;
    shift[c] = beta[c] - movingMean[c] * s;
  }
  return { scale, shift };
}

/** Copies source[sourceOffset, +length) to target[targetOffset, +length). */
export function copyValues(
  source: Float32Array,
  sourceOffset: number,
  target: Float32Array,
  targetOffset: number,
  length: number,
): void {
  var n = length | 0;
  var from = sourceOffset | 0;
  var to = targetOffset | 0;
  var i = 0;
  for (i = 0; i < n; i = (i + 1) | 0) target[(to + i) | 0] = source[(from + i) | 0];
}

// ---- int8 Dense, packed: two int8 weights per float64 (SWAR) --------------------
//
// At load, the int8 kernel is regrouped by 16 output rows into 8 lanes: lane l of
// group g is a Float64Array over the inputs with P[k] = w[16g+2l][k] + w[16g+2l+1][k]·2^S.
// A float64 holds integers exactly below 2^53, so Σ_k x[k]·P[k] = acc[2l] + acc[2l+1]·2^S
// exactly, and both integer sums come back out (|acc| < 2^(S−1)). Each quantized
// input value is read once per 16 outputs, each lane is indexed by the input's own
// index (no offset arithmetic), and all operands are doubles (the interpreter's fast
// path): a multiply-add costs well under half of denseInt8's. Memory: 4 bytes per
// weight, 4× the int8 tensor (rows are padded with zeros to a multiple of 16).

/** Output rows per packed group (8 float64 lanes of 2 rows each). */
export const PACKED_GROUP_ROWS = 16;
const PACKED_LANES = 8;
/** Largest |x·w| of one term: x in [−127, 127] (quantizeRowInt8), w in [−128, 127]. */
const MAX_TERM = 127 * 128;
const NO_LANE: Float64Array = new Float64Array(0);

/**
 * The lane weight 2^S for an input size n, or 0 when the packed sums would not be
 * exact (n·MAX_TERM must be < 2^(S−1) and n·MAX_TERM·(1 + 2^S) ≤ 2^53 − 1; n ≤ 4,096 fits).
 */
export function packedInt8LaneScale(inputSize: number): number {
  var bound = inputSize * MAX_TERM;
  var scale = 2;
  while (bound >= scale / 2) scale *= 2;
  return bound * (1 + scale) <= Number.MAX_SAFE_INTEGER ? scale : 0;
}

/**
 * Regroups an int8 kernel [units][inputSize] for denseInt8Packed: lanes[8g + l][k] =
 * w[16g+2l][k] + w[16g+2l+1][k]·laneScale (rows past `units` are zero). Runs at load
 * (~1,000 instructions per weight in the canister).
 */
export function packInt8Kernel(kernel: Int8Array, units: number, inputSize: number, laneScale: number): Float64Array[] {
  var lanes = packedInt8Lanes(units, inputSize);
  packInt8Lanes(kernel, units, inputSize, laneScale, lanes, 0, lanes.length);
  return lanes;
}

/** The zeroed lanes packInt8Kernel fills: one Float64Array of inputSize per 2 rows (8 per group), views of one buffer. */
export function packedInt8Lanes(units: number, inputSize: number): Float64Array[] {
  var lanes: Float64Array[] = [];
  fillPackedInt8Lanes(lanes, units, inputSize);
  return lanes;
}

/** Lanes packInt8Kernel fills for this shape. */
export function packedInt8LaneCount(units: number): number {
  return (((units + PACKED_GROUP_ROWS - 1) / PACKED_GROUP_ROWS) | 0) * PACKED_LANES;
}

/** Appends packedInt8Lanes' zeroed lanes to `lanes` (a deferred build allocates them at its first step, into the array the model holds). */
export function fillPackedInt8Lanes(lanes: Float64Array[], units: number, inputSize: number): void {
  var n = inputSize | 0;
  var count = packedInt8LaneCount(units);
  var storage = new Float64Array(count * n);
  for (var l = 0; l < count; l = (l + 1) | 0) lanes.push(storage.subarray(l * n, l * n + n));
}

/** Fills lanes [from, to) of packedInt8Lanes (packInt8Kernel in steps: a build spread over messages, canister/build.ts). */
export function packInt8Lanes(kernel: Int8Array, units: number, inputSize: number, laneScale: number, lanes: Float64Array[], from: number, to: number): void {
  var n = inputSize | 0;
  var high = new Float64Array(n);
  // a double read from a Float64Array stays a double (a literal 2^S would be an int: int × double is slow)
  var scale = new Float64Array([laneScale])[0];
  var lane: Float64Array = NO_LANE;
  var l = 0;
  var k = 0;
  var row = 0;
  for (l = from | 0; l < to; l = (l + 1) | 0) {
    lane = lanes[l];
    row = (l * 2) | 0;
    // native int8 → float64 conversions of the two rows
    if (row < units) lane.set(kernel.subarray(row * n, row * n + n));
    if (row + 1 < units) {
      high.set(kernel.subarray((row + 1) * n, (row + 1) * n + n));
      for (k = 0; k < n; k = (k + 1) | 0) lane[k] = lane[k] + high[k] * scale;
    }
  }
}

/** Writes outputs o and o + 1 from one lane; returns the next output index. */
function unpackLane(
  lane: number,
  laneScale: number,
  inverseLane: number,
  inputScale: number,
  rowScales: Float32Array,
  bias: Float32Array,
  unitCount: number,
  relu: boolean,
  output: Float32Array,
  out: number,
  o: number,
): number {
  // lane = low + high·2^S with |low| < 2^(S−1): the rounded quotient is `high`, exactly
  var high = Math.round(lane * inverseLane);
  var low = lane - high * laneScale;
  var sum = low * inputScale * rowScales[o] + bias[o];
  output[(out + o) | 0] = relu && sum < 0 ? 0 : sum;
  o = (o + 1) | 0;
  if (o < unitCount) {
    sum = high * inputScale * rowScales[o] + bias[o];
    output[(out + o) | 0] = relu && sum < 0 ? 0 : sum;
    o = (o + 1) | 0;
  }
  return o;
}

/**
 * denseInt8 on a kernel packed by packInt8Kernel: the same integer sums (so the
 * same outputs, bit for bit). `quantized` (Int8Array) and `quantizedFloat`
 * (Float64Array) are scratch of length ≥ inputSize.
 */
export function denseInt8Packed(
  input: Float32Array,
  inputOffset: number,
  rows: number,
  inputSize: number,
  lanes: readonly Float64Array[],
  laneScale: number,
  rowScales: Float32Array,
  bias: Float32Array,
  units: number,
  output: Float32Array,
  outputOffset: number,
  activation: number,
  quantized: Int8Array,
  quantizedFloat: Float64Array,
): void {
  var rowCount = rows | 0;
  var n = inputSize | 0;
  var unitCount = units | 0;
  var laneCount = lanes.length | 0;
  var relu = activation === RELU;
  var inverseLane = 1 / laneScale;
  var r = 0;
  var b = 0;
  var k = 0;
  var o = 0;
  var x = 0.0;
  var s0 = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  var s3 = 0.0;
  var s4 = 0.0;
  var s5 = 0.0;
  var s6 = 0.0;
  var s7 = 0.0;
  var p0: Float64Array = NO_LANE;
  var p1: Float64Array = NO_LANE;
  var p2: Float64Array = NO_LANE;
  var p3: Float64Array = NO_LANE;
  var p4: Float64Array = NO_LANE;
  var p5: Float64Array = NO_LANE;
  var p6: Float64Array = NO_LANE;
  var p7: Float64Array = NO_LANE;
  var inputScale = 0.0;
  var rowStart = inputOffset | 0;
  var out = outputOffset | 0;
  for (r = 0; r < rowCount; r = (r + 1) | 0) {
    inputScale = quantizeRowInt8(input, rowStart, n, quantized);
    // native int8 → float64 copy (the whole scratch: no subarray view allocated per row)
    if (quantized.length <= quantizedFloat.length) quantizedFloat.set(quantized);
    else for (k = 0; k < n; k = (k + 1) | 0) quantizedFloat[k] = quantized[k];
    o = 0;
    for (b = 0; b < laneCount; b = (b + 8) | 0) {
      p0 = lanes[(b + 0) | 0];
      p1 = lanes[(b + 1) | 0];
      p2 = lanes[(b + 2) | 0];
      p3 = lanes[(b + 3) | 0];
      p4 = lanes[(b + 4) | 0];
      p5 = lanes[(b + 5) | 0];
      p6 = lanes[(b + 6) | 0];
      p7 = lanes[(b + 7) | 0];
      // -0 is a double in the interpreter (0 would be an int, and int + double leaves the fast path)
      s0 = -0;
      s1 = -0;
      s2 = -0;
      s3 = -0;
      s4 = -0;
      s5 = -0;
      s6 = -0;
      s7 = -0;
      for (k = 0; k < n; k = (k + 1) | 0) {
        x = quantizedFloat[k];
        s0 += x * p0[k];
        s1 += x * p1[k];
        s2 += x * p2[k];
        s3 += x * p3[k];
        s4 += x * p4[k];
        s5 += x * p5[k];
        s6 += x * p6[k];
        s7 += x * p7[k];
      }
      if (o < unitCount) o = unpackLane(s0, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
      if (o < unitCount) o = unpackLane(s1, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
      if (o < unitCount) o = unpackLane(s2, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
      if (o < unitCount) o = unpackLane(s3, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
      if (o < unitCount) o = unpackLane(s4, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
      if (o < unitCount) o = unpackLane(s5, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
      if (o < unitCount) o = unpackLane(s6, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
      if (o < unitCount) o = unpackLane(s7, laneScale, inverseLane, inputScale, rowScales, bias, unitCount, relu, output, out, o);
    }
    out = (out + unitCount) | 0;
    rowStart = (rowStart + n) | 0;
  }
  if (activation !== LINEAR && !relu) activateRows(activation, output, outputOffset, rowCount, unitCount);
}
