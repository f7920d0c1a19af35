// A float32 matrix × vector kernel on BigInt lanes, for float models (the convolution's
// im2col rows, engine/layers/convolution-kernels.ts): the interpreter's per-bytecode cost is
// paid per input column, libbf does the multiply-adds of a whole column of lanes at once.
//
// Fixed point, wide lanes (the int8 lane kernel's scheme, kernels-lanes.ts, at 64 bits):
// at load each row o of the float kernel [units][n] gets a scale sw[o] = max_k |w[o][k]| / Q
// and integer weights W[o][k] = round(w[o][k] / sw[o]) ∈ [−Q, Q], Q = 2^q − 1 with q the
// largest value keeping n·Q² < 2^62 (q = 26 up to n = 1,023, 25 up to 4,095, …). Column k
// becomes C_k = Σ_o (W[o][k] + Q)·2^(64·o) (unsigned lanes, built from hex text). Per row
// of input, x is quantized to X[k] = round(x[k] / sx) ∈ [−Q, Q], sx = max_k |x[k]| / Q,
// the accumulator starts at (2^62 − Q·Σ_k X[k])·Σ_o 2^(64·o), every column with X[k] ≠ 0
// adds X[k]·C_k, and lane o ends at 2^62 + Σ_k W[o][k]·X[k] ∈ (0, 2^63): exact, read back
// from one toString(16) (two parseInt of 8 digits per lane), then
//   output[o] = (Σ_k W[o][k]·X[k]) · sx · sw[o] + bias[o].
// Error against the float sums Σ_k w[o][k]·x[k] (from the two roundings only), per output:
//   |Δ| ≤ (sx / 2)·Σ_k |w[o][k]| + (sw[o] / 2)·Σ_k |x[k]| + n·sx·sw[o] / 4
// i.e. about 2^−q (1.5e-8 at q = 26) of Σ_k max|w[o]|·max|x|: float32-grade (a float32
// value carries 24 bits). The plain sums are in kernels-lanes-fixed.reference.ts.
//
// Allocates per call only BigInt and string primitives (libbf writes each result anew).

import { LINEAR, RELU, activateRows } from './activations.ts';
import { laneOnes } from './kernels-lanes.ts';

/** A float matrix packed into one BigInt per input column (prepareFixedLanes). */
export interface FixedLanes {
  units: number;
  inputSize: number;
  /** Largest |integer| of a weight or an input: 2^q − 1. */
  limit: number;
  /** columns[k] = Σ_o (W[o][k] + limit)·2^(64·o). */
  columns: bigint[];
  /** Σ_o 2^(64·o). */
  ones: bigint;
  /** Per row: max |w[o][k]| / limit (0 for an all-zero row), and limit / max |w[o][k]| (0 likewise): W = round(w · inverse). */
  scales: Float64Array;
  inverses: Float64Array;
  /** limit as a BigInt, and 2^62. */
  limitBig: bigint;
  half: bigint;
}

/** Most inputs the 64-bit lanes hold with a useful precision (q ≥ 20). */
export const FIXED_LANES_MAX_INPUTS = 1 << 21;

/** The largest q with n·(2^q − 1)² < 2^62, or 0 when n is too large (q < 20). */
export function fixedLaneBits(inputSize: number): number {
  var q = 26;
  while (q >= 20 && inputSize * (2 ** q - 1) * (2 ** q - 1) >= 2 ** 62) q--;
  return q >= 20 ? q : 0;
}

const ZERO_DIGITS = '00000000';
const ZERO = BigInt(0);

/** Packs a float kernel [units][inputSize] (row o = output o), or null when inputSize is too large for the lanes. */
export function prepareFixedLanes(kernel: Float32Array, units: number, inputSize: number): FixedLanes | null {
  const n = inputSize | 0;
  const q = fixedLaneBits(n);
  if (q === 0 || units < 1 || n < 1) return null;
  const limit = 2 ** q - 1;
  const scales = new Float64Array(units);
  const inverse = new Float64Array(units);
  for (let o = 0; o < units; o++) {
    let high = 0;
    for (let k = 0; k < n; k++) high = Math.max(high, Math.abs(kernel[o * n + k]));
    scales[o] = high / limit;
    inverse[o] = high > 0 ? limit / high : 0;
  }
  const columns: bigint[] = new Array<bigint>(n);
  const parts: string[] = new Array<string>(units);
  for (let k = 0; k < n; k++) {
    // lane o is digits [16·(units − 1 − o), +16) of the text: 8 zero digits, then 8 of W + limit (< 2^28)
    for (let o = 0; o < units; o++) {
      const integer = Math.max(-limit, Math.min(limit, Math.round(kernel[o * n + k] * inverse[o]))) + limit;
      const digits = integer.toString(16);
      parts[units - 1 - o] = ZERO_DIGITS + ZERO_DIGITS.substring(digits.length) + digits;
    }
    columns[k] = BigInt('0x' + parts.join(''));
  }
  return { units, inputSize: n, limit, columns, ones: laneOnes(units, 64), scales, inverses: inverse, limitBig: BigInt(limit), half: BigInt(2 ** 62) };
}

/**
 * The exact integer sums Σ_k W[o][k]·X[k] of `rows` rows of input (inputSize values each,
 * from inputOffset) into output (units values each, from outputOffset), times sx·sw[o],
 * plus bias, with the activation (a code of activations.ts).
 */
export function fixedLanesRows(
  m: FixedLanes,
  input: Float32Array,
  inputOffset: number,
  rows: number,
  bias: Float32Array,
  output: Float32Array,
  outputOffset: number,
  activation: number,
): void {
  var n = m.inputSize | 0;
  var unitCount = m.units | 0;
  var limit = m.limit;
  var columns = m.columns;
  var scales = m.scales;
  var relu = activation === RELU;
  var rowCount = rows | 0;
  var r = 0;
  var k = 0;
  var o = 0;
  var x = 0;
  var end = 0;
  var at = 0;
  var value = 0.0;
  var high = 0.0;
  var inverse = 0.0;
  var inputScale = 0.0;
  var integer = 0;
  var total = 0;
  var sum = 0.0;
  var acc = ZERO;
  var hex = '';
  var out = outputOffset | 0;
  var rowStart = inputOffset | 0;
  for (r = 0; r < rowCount; r = (r + 1) | 0) {
    high = 0.0;
    end = (rowStart + n) | 0;
    for (x = rowStart; x < end; x = (x + 1) | 0) {
      value = input[x];
      if (value > high) high = value;
      else if (-value > high) high = -value;
    }
    // an all-zero row: every integer 0, every lane 2^62, every output its bias
    inverse = high > 0 ? limit / high : 0;
    inputScale = high / limit;
    acc = ZERO;
    total = 0;
    at = 0;
    for (k = rowStart; k < end; k = (k + 1) | 0) {
      integer = Math.round(input[k] * inverse);
      if (integer !== 0) {
        acc = acc + BigInt(integer) * columns[at];
        total = total + integer;
      }
      at = (at + 1) | 0;
    }
    // lanes carry W + limit: remove limit·ΣX from every lane, add 2^62
    acc = acc + (m.half - m.limitBig * BigInt(total)) * m.ones;
    hex = acc.toString(16);
    at = hex.length | 0;
    for (o = 0; o < unitCount; o = (o + 1) | 0) {
      // lane o: digits [at − 16, at); high word minus 2^30 (the 2^62 bias), low word
      sum = ((at > 8 ? parseInt(hex.substring(at - 16, at - 8), 16) : 0) - 1073741824) * 4294967296 + (at > 0 ? parseInt(hex.substring(at - 8, at), 16) : 0);
      sum = sum * inputScale * scales[o] + bias[o];
      output[(out + o) | 0] = relu && sum < 0 ? 0 : sum;
      at = (at - 16) | 0;
    }
    out = (out + unitCount) | 0;
    rowStart = (rowStart + n) | 0;
  }
  if (activation !== LINEAR && !relu) activateRows(activation, output, outputOffset, rowCount, unitCount);
}
