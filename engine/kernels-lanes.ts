// int8 Dense on BigInt lanes: the interpreter's per-bytecode cost is paid per column,
// and libbf (native, 32-bit limbs on wasm32) does the multiply-adds of a whole column.
//
// At load, column j of the int8 kernel (row i = output i, stored transposed) becomes one
// BigInt C_j = Σ_i (w_ij + 128)·2^(L·i): unsigned lanes of L bits, built from hex text
// (packLaneKernel). A prediction quantizes the input to int8 (quantizeRowInt8), adds
// x_j·C_j for every column into one accumulator that starts at (B − 128·Σ_j x_j)·Σ_i 2^(L·i)
// with B = 2^(L−1), so lane i ends at B + Σ_j w_ij·x_j, which is in [0, 2^L) while
// |Σ_j w_ij·x_j| < B. One toString(16) (toString(32) for 25-bit lanes) of the accumulator and one parseInt per two lanes
// (L ≤ 26; one lane per parseInt at L = 28) read the exact integer sums back; they are
// those of denseInt8, so the outputs are denseInt8's bit for bit.
//
// "Buckets" (large inputs): columns are first summed per |x_j| (one BigInt add each,
// cheaper than a multiply-add), then one multiply-add per distinct |x_j| (≤ 127).
//
// Unlike the other kernels this one allocates per prediction: BigInt and string primitives
// (libbf writes every result anew), no objects or typed arrays.
//
// Measured in the canister (bench/profile dense, the profile section of npm run bench and
// its dense_int8_mac_* targets). kernels-lanes.reference.ts holds the plain integer sums.

import { LINEAR, RELU, activateRows } from './activations.ts';
import { quantizeRowInt8 } from './kernels.ts';

/** An int8 kernel packed into one BigInt per input column (packLaneKernel). */
export interface LaneKernel {
  /** Bits per lane (24, 26 or 28). */
  laneBits: number;
  units: number;
  inputSize: number;
  /** columns[j] = Σ_i (w_ij + 128)·2^(laneBits·i). */
  columns: bigint[];
  /** Σ_i 2^(laneBits·i). */
  ones: bigint;
  /** Hex digits per parseInt (laneBits/2 for two lanes, laneBits/4 for one). */
  chunkDigits: number;
  /** Lanes per parseInt: 2, or 1 at 28 bits (two would pass 2^53). */
  chunkLanes: number;
  /** Digits of the read-out: 16, or 32 for 25-bit lanes (5 digits each). */
  radix: number;
}

/** The lane widths used, narrowest first: more bits per lane means more limbs per column. */
// 25 bits (read out in base 32, 5 bits a digit) saves 1/26 of the limbs from 521 to 1,040 inputs
const LANE_WIDTHS = [24, 25, 26, 28];
const MAX_INPUT = 127;
/** From this many inputs buckets beat the per-column multiply-add (measured in the canister: 137 vs 153 per multiply-add at 512², 323 vs 324 at 64×512). */
export const LANE_BUCKETS_MIN_INPUTS = 512;
/**
 * Fewest units for which the lane kernel beats denseInt8Packed (measured in the canister,
 * bench/profile dense: 677 vs 711 instructions per multiply-add at 32×64, 952 vs 817 at 16×256).
 */
export const LANE_MIN_UNITS = 32;
/**
 * Below this many units, fewest inputs for the lanes: each column's fixed BigInt cost is then
 * shared by few lanes (bench/profile kernelCost: an LSTM(8)'s 32×8 gate matrices, 2,189
 * instructions per multiply-add on lanes vs 1,957 packed; LSTM(16), 64×16: 1,091 vs 1,156).
 */
export const LANE_NARROW_UNITS = 64;
export const LANE_NARROW_MIN_INPUTS = 32;
/**
 * Most weights packed into lanes by default: packing costs ~5,900 instructions per weight
 * (packLaneKernel, 1536²: ~1,400 of it String.fromCharCode.apply, ~1,050 BigInt('0x…'), the
 * rest the digit stores), and a load must stay far under the 40B update limit (2.5M weights ≈ 15B).
 */
export const LANE_MAX_WEIGHTS = 2_500_000;

/** Whether the lane kernel is the cheapest int8 Dense kernel for this shape (the loader's default). */
export function laneKernelWins(units: number, inputSize: number): boolean {
  return (
    units >= LANE_MIN_UNITS &&
    (units >= LANE_NARROW_UNITS || inputSize >= LANE_NARROW_MIN_INPUTS) &&
    units * inputSize <= LANE_MAX_WEIGHTS &&
    laneBitsFor(inputSize, 128) > 0
  );
}

/** The bucket scratch for a lane kernel of this input size, or null for the per-column multiply-add. */
export function laneBucketsFor(inputSize: number): bigint[] | null {
  return inputSize >= LANE_BUCKETS_MIN_INPUTS ? new Array<bigint>(128) : null;
}

/**
 * The narrowest lane width that keeps every integer sum exact for `inputSize` inputs
 * whose weights have |w| ≤ maxAbsWeight (127 from the converter, 128 at worst):
 * inputSize·127·maxAbsWeight < 2^(L−1). With 127: L = 24 up to 520 inputs, 25 up to 1,040,
 * 26 up to 2,080, 28 up to 8,321; 0 above (no lane kernel).
 */
export function laneBitsFor(inputSize: number, maxAbsWeight = 127): number {
  const bound = inputSize * MAX_INPUT * maxAbsWeight;
  for (const bits of LANE_WIDTHS) if (bound < 2 ** (bits - 1)) return bits;
  return 0;
}

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const ZERO_CHAR = 48;
/** Characters per String.fromCharCode.apply (QuickJS copies the arguments onto its stack). */
const TEXT_BLOCK = 4096;
/** The BigInts −128 … 127, indexed by value + 128 (no BigInt(number) per column). */
const SMALL: bigint[] = Array.from({ length: 256 }, (_, v) => BigInt(v - 128));

/** The Latin-1 string of text[0, length) (native, in blocks). */
function textOf(text: Uint8Array, length: number): string {
  if (length <= TEXT_BLOCK) return String.fromCharCode.apply(null, text.subarray(0, length) as unknown as number[]);
  var parts: string[] = [];
  for (var start = 0; start < length; start = (start + TEXT_BLOCK) | 0) {
    parts.push(String.fromCharCode.apply(null, text.subarray(start, Math.min(length, start + TEXT_BLOCK)) as unknown as number[]));
  }
  return parts.join('');
}

/** packLaneKernel's digit tables (the same for every kernel): built on first use. */
let digitTables: { high: Uint16Array; low: Uint16Array; both: Uint32Array } | null = null;

/**
 * Per (bit shift mod 4, digit parity) class c and byte v, the two 16-bit words of hex text
 * holding v << (c >> 1) (the low and high word, and both as one 32-bit word).
 */
function laneDigitTables(): { high: Uint16Array; low: Uint16Array; both: Uint32Array } {
  if (digitTables !== null) return digitTables;
  var highWords = new Uint16Array(8 * 256);
  var lowWords = new Uint16Array(8 * 256);
  var bothWords = new Uint32Array(8 * 256);
  for (var c = 0; c < 8; c = (c + 1) | 0) {
    for (var v = 0; v < 256; v = (v + 1) | 0) {
      var u = v << (c >> 1);
      var d0 = HEX_DIGITS[u & 15];
      var d1 = HEX_DIGITS[(u >> 4) & 15];
      var d2 = HEX_DIGITS[u >> 8];
      // little-endian words: the lower address (the more significant digit) in the low byte
      if (c & 1) {
        highWords[(c << 8) | v] = ZERO_CHAR | (d2 << 8);
        lowWords[(c << 8) | v] = d1 | (d0 << 8);
      } else {
        highWords[(c << 8) | v] = d2 | (d1 << 8);
        lowWords[(c << 8) | v] = d0 | (ZERO_CHAR << 8);
      }
      bothWords[(c << 8) | v] = (highWords[(c << 8) | v] | (lowWords[(c << 8) | v] << 16)) >>> 0;
    }
  }
  digitTables = { high: highWords, low: lowWords, both: bothWords };
  return digitTables;
}

/**
 * Packs an int8 kernel [units][inputSize] (row o = output o) into lane BigInts, or
 * returns null when no lane width keeps the sums exact. Every column is written as hex
 * text into one buffer (a column per `digits` bytes): lane by lane, so the kernel is read in
 * order and the lane's place and digit tables are loop constants; per weight one 32-bit store
 * (lanes whose digits start on an even word) or two 16-bit stores, from tables of the lane's
 * digits (its 8 bits shifted by its bit offset mod 4). Each column's text then becomes a
 * string (String.fromCharCode.apply) parsed by one BigInt('0x…'). Measured in the canister
 * (bench/profile denseSetup rows), per weight.
 */
export function packLaneKernel(kernel: Int8Array, units: number, inputSize: number): LaneKernel | null {
  var packing = beginLanePacking(kernel, units, inputSize);
  if (packing === null) return null;
  packLaneRows(packing, 0, packing.kernel.units);
  packLaneColumns(packing, 0, packing.kernel.inputSize);
  return packing.kernel;
}

/**
 * packLaneKernel in steps (a build spread over messages, canister/build.ts): the hex text of
 * every column, filled a range of lanes (rows) at a time by packLaneRows, then parsed a range
 * of columns at a time by packLaneColumns into `kernel.columns` (empty until then: the kernel
 * answers nothing before every column is parsed).
 */
export interface LanePacking {
  kernel: LaneKernel;
  source: Int8Array;
  /** The columns' hex text, digits × inputSize bytes: allocated by the first packLaneRows (a deferred build allocates nothing at load). */
  text: Uint8Array;
  /** Hex digits per column (a multiple of 4). */
  digits: number;
}

const NO_TEXT = new Uint8Array(0);

/** Heap bytes a lane packing holds at most: the hex text, and the BigInt columns (half a byte a digit) it becomes. */
export function lanePackingBytes(packing: LanePacking): number {
  return Math.ceil(packing.digits * packing.kernel.inputSize * 1.5);
}

/** The text buffer and the (empty) kernel of a lane packing, or null when no lane width keeps the sums exact. */
export function beginLanePacking(kernel: Int8Array, units: number, inputSize: number): LanePacking | null {
  var n = inputSize | 0;
  var unitCount = units | 0;
  // a -128 weight (allowed by the format, never written by the converter) widens the bound
  var bits = laneBitsFor(n, kernel.indexOf(-128) >= 0 ? 128 : 127);
  if (bits === 0 || unitCount < 1 || n < 1) return null;
  // a multiple of 4 digits (whole 32-bit words per column), one spare leading digit at least:
  // every lane's digits lie in two aligned 16-bit words of its column (its own zero digits fill the rest)
  var digits = ((Math.ceil((unitCount * bits) / 4) + 4) & ~3) | 0;
  var two = bits === 28 ? 1 : 2;
  var radix = bits === 25 ? 32 : 16;
  return {
    kernel: {
      laneBits: bits,
      units: unitCount,
      inputSize: n,
      columns: new Array<bigint>(n),
      ones: laneOnes(unitCount, bits),
      chunkDigits: (two * bits) / (radix === 32 ? 5 : 4),
      chunkLanes: two,
      radix,
    },
    source: kernel,
    text: NO_TEXT,
    digits,
  };
}

/** Writes the hex digits of lanes (rows) [from, to) into every column's text. */
export function packLaneRows(packing: LanePacking, from: number, to: number): void {
  if (packing.text.length === 0) {
    packing.text = new Uint8Array(packing.digits * packing.kernel.inputSize);
    packing.text.fill(ZERO_CHAR);
  }
  var kernel = packing.source;
  var n = packing.kernel.inputSize | 0;
  var bits = packing.kernel.laneBits | 0;
  var digits = packing.digits | 0;
  var words = new Uint16Array(packing.text.buffer);
  var pairs = new Uint32Array(packing.text.buffer);
  var columnWords = (digits >> 1) | 0;
  var columnPairs = (digits >> 2) | 0;
  var last = (digits - 1) | 0;
  var tables = laneDigitTables();
  var highWords = tables.high;
  var lowWords = tables.low;
  var bothWords = tables.both;
  var i = 0;
  var w = 0;
  var k = 0;
  var at = 0;
  var table = 0;
  var end = to | 0;
  for (i = from | 0; i < end; i = (i + 1) | 0) {
    at = last - ((i * bits) >> 2); // the lane's lowest digit (from the left) in its column
    k = (at >> 1) - 1; // its first word
    // the table of its bit shift mod 4 and digit parity, offset by 128 for the weight's sign
    table = (((((i * bits) & 3) << 1) | (at & 1)) << 8) + 128;
    w = Math.imul(i, n);
    var rowEnd = (w + n) | 0;
    if ((k & 1) === 0) {
      for (k = k >> 1; w < rowEnd; w = (w + 1) | 0) {
        pairs[k] = bothWords[(table + kernel[w]) | 0];
        k = (k + columnPairs) | 0;
      }
    } else {
      for (; w < rowEnd; w = (w + 1) | 0) {
        var t = (table + kernel[w]) | 0;
        words[k] = highWords[t];
        words[(k + 1) | 0] = lowWords[t];
        k = (k + columnWords) | 0;
      }
    }
  }
}

/** Parses the text of columns [from, to) into their BigInts (after packLaneRows wrote every lane). */
export function packLaneColumns(packing: LanePacking, from: number, to: number): void {
  var columns = packing.kernel.columns;
  var text = packing.text;
  var digits = packing.digits | 0;
  var end = to | 0;
  for (var j = from | 0; j < end; j = (j + 1) | 0) columns[j] = BigInt('0x' + textOf(text.subarray(Math.imul(j, digits)), digits));
  if (end >= packing.kernel.inputSize) packing.text = NO_TEXT; // every column parsed: the text is garbage
}

/** Σ_i 2^(bits·i) for i < count, by doubling (O(log count) BigInt operations). */
export function laneOnes(count: number, bits: number): bigint {
  let result = BigInt(0);
  let block = BigInt(1); // Σ over `size` lanes
  let size = 1;
  let filled = 0;
  const width = BigInt(bits);
  for (let remaining = count; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      result = result + (block << (width * BigInt(filled)));
      filled += size;
    }
    block = block + (block << (width * BigInt(size)));
    size *= 2;
  }
  return result;
}

/**
 * The exact integer sums Σ_j w_ij·quantized[j] of a packed kernel into sums[0, units).
 * `buckets` (length ≥ 128, any contents) selects the bucketed accumulation; null the
 * per-column multiply-add.
 */
export function laneIntegerSums(lanes: LaneKernel, quantized: Int8Array, sums: Int32Array, buckets: bigint[] | null): void {
  readLaneSums(laneAccumulatorValue(lanes, quantized, buckets).toString(lanes.radix), lanes, 2 ** (lanes.laneBits - 1), sums);
}

/**
 * The accumulator of laneIntegerSums: lane i (bits [L·i, L·i + L)) holds
 * 2^(L−1) + Σ_j w_ij·quantized[j], in [0, 2^L).
 */
export function laneAccumulatorValue(lanes: LaneKernel, quantized: Int8Array, buckets: bigint[] | null): bigint {
  var n = lanes.inputSize | 0;
  var columns = lanes.columns;
  var zero = SMALL[128];
  var acc = zero;
  var bucket = zero;
  var total = 0;
  var q = 0;
  var j = 0;
  if (buckets === null) {
    for (j = 0; j < n; j = (j + 1) | 0) {
      q = quantized[j];
      if (q !== 0) {
        acc = acc + SMALL[(q + 128) | 0] * columns[j];
        total = (total + q) | 0;
      }
    }
  } else {
    for (j = 0; j < 128; j = (j + 1) | 0) buckets[j] = zero;
    for (j = 0; j < n; j = (j + 1) | 0) {
      q = quantized[j];
      // an empty bucket takes the column itself: no add (and its copy) for the first one
      if (q > 0) {
        bucket = buckets[q];
        buckets[q] = bucket === zero ? columns[j] : bucket + columns[j];
        total = (total + q) | 0;
      } else if (q < 0) {
        bucket = buckets[-q];
        buckets[-q] = bucket === zero ? -columns[j] : bucket - columns[j];
        total = (total + q) | 0;
      }
    }
    for (j = 1; j < 128; j = (j + 1) | 0) if (buckets[j] !== zero) acc = acc + SMALL[(j + 128) | 0] * buckets[j];
  }
  var bits = lanes.laneBits | 0;
  var half = 2 ** (bits - 1);
  // lanes carry w + 128: remove 128·Σx from every lane and add the bias B = 2^(L−1)
  return acc + BigInt(half - 128 * total) * lanes.ones;
}

/**
 * Reads the lanes of `hex` (laneAccumulatorValue's in lanes.radix, least significant last)
 * into sums, minus `half` (2^(L−1)): laneIntegerSums's read-out, for callers that test the
 * accumulator first (vector search).
 */
export function readLaneSums(hex: string, lanes: LaneKernel, half: number, sums: Int32Array): void {
  var unitCount = lanes.units | 0;
  var digits = lanes.chunkDigits | 0;
  var laneScale = 2 ** lanes.laneBits;
  var pairs = lanes.chunkLanes === 2;
  var radix = lanes.radix | 0;
  var end = hex.length | 0;
  var o = 0;
  var chunk = 0;
  var high = 0;
  while (o < unitCount) {
    // substring clamps a negative start to 0: the top lane's leading zero digits are not printed
    chunk = end > 0 ? parseInt(hex.substring(end - digits, end), radix) : 0;
    if (pairs) {
      high = Math.floor(chunk / laneScale);
      sums[o] = chunk - high * laneScale - half;
      if (((o + 1) | 0) < unitCount) sums[(o + 1) | 0] = high - half;
      o = (o + 2) | 0;
    } else {
      sums[o] = chunk - half;
      o = (o + 1) | 0;
    }
    end = (end - digits) | 0;
  }
}

/**
 * denseInt8 on a lane-packed kernel: the same integer sums, so the same outputs bit
 * for bit. Scratch: `quantized` (length ≥ inputSize) and `buckets` (length ≥ 128) or
 * null (see laneIntegerSums).
 *
 * Error against the layer with the kernel dequantized to float, per output (from the
 * input rounding only): |Δ| ≤ (inputScale / 2) · Σ_k |q[o][k] · rowScale[o]|.
 */
export function denseInt8Lanes(
  input: Float32Array,
  inputOffset: number,
  rows: number,
  lanes: LaneKernel,
  rowScales: Float32Array,
  bias: Float32Array,
  output: Float32Array,
  outputOffset: number,
  activation: number,
  quantized: Int8Array,
  buckets: bigint[] | null,
): void {
  var rowCount = rows | 0;
  var n = lanes.inputSize | 0;
  var unitCount = lanes.units | 0;
  var relu = activation === RELU;
  var digits = lanes.chunkDigits | 0;
  var laneScale = 2 ** lanes.laneBits;
  var half = 2 ** (lanes.laneBits - 1);
  var pairs = lanes.chunkLanes === 2;
  var radix = lanes.radix | 0;
  var r = 0;
  var o = 0;
  var end = 0;
  var chunk = 0;
  var high = 0;
  var sum = 0.0;
  var inputScale = 0.0;
  var hex = '';
  var rowStart = inputOffset | 0;
  var out = outputOffset | 0;
  for (r = 0; r < rowCount; r = (r + 1) | 0) {
    inputScale = quantizeRowInt8(input, rowStart, n, quantized);
    hex = laneAccumulatorValue(lanes, quantized, buckets).toString(lanes.radix);
    // readLanes fused with scale, bias and relu (no round trip through `sums`)
    end = hex.length | 0;
    o = 0;
    while (o < unitCount) {
      chunk = end > 0 ? parseInt(hex.substring(end - digits, end), radix) : 0;
      if (pairs) {
        high = Math.floor(chunk / laneScale);
        sum = (chunk - high * laneScale - half) * inputScale * rowScales[o] + bias[o];
        output[(out + o) | 0] = relu && sum < 0 ? 0 : sum;
        o = (o + 1) | 0;
        if (o < unitCount) {
          sum = (high - half) * inputScale * rowScales[o] + bias[o];
          output[(out + o) | 0] = relu && sum < 0 ? 0 : sum;
          o = (o + 1) | 0;
        }
      } else {
        sum = (chunk - half) * inputScale * rowScales[o] + bias[o];
        output[(out + o) | 0] = relu && sum < 0 ? 0 : sum;
        o = (o + 1) | 0;
      }
      end = (end - digits) | 0;
    }
    out = (out + unitCount) | 0;
    rowStart = (rowStart + n) | 0;
  }
  if (activation !== LINEAR && !relu) activateRows(activation, output, outputOffset, rowCount, unitCount);
}
