// Pooling family and the spatial reshaping layers beside it (channels_last, row-major):
//
// max_pooling_1d/2d/3d (14–16), average_pooling_1d/2d/3d (17–19), spatial rank r:
//   no tensors; params: pool × r, stride × r, padBefore × r, padAfter × r (each pad < pool,
//   so every window holds at least one input value)
//   output [out₁..out_r, C], outᵢ = ⌊(inᵢ + padBeforeᵢ + padAfterᵢ − poolᵢ) / strideᵢ⌋ + 1 ≥ 1.
//   Padding is never part of a window: max over the input values it covers, average
//   divided by their count (TF.js's 'same').
// global_average_pooling_2d/3d, global_max_pooling_2d/3d (20–23): no tensors, no params;
//   input [spatial × r, C] (r = 2, 3) → [C]
// zero_padding (24): params before × r, after × r (r = input rank − 1): zeros around the spatial axes
// cropping (25): params before × r, after × r: drops them
// up_sampling (26): params size × r: nearest-neighbour repeat along each spatial axis
// up_sampling_bilinear (27): params sizeH, sizeW; input [H, W, C] → [H·sizeH, W·sizeW, C]:
//   TF.js's resizeBilinear as UpSampling2D calls it (alignCorners and halfPixelCenters false):
//   output row r reads rows ⌊r·H/OH⌋ and min(H − 1, ⌈r·H/OH⌉) with weight frac, columns alike

import { expectCounts, fail, lift, product } from './checks.ts';
import type { LayerKindSpec, PreparedLayer } from './family.ts';

const MAX_WINDOW = 1 << 16;

function intParams(params: readonly number[], from: number, count: number, min: number, what: string, where: string): number[] {
  const values: number[] = [];
  for (let i = from; i < from + count; i++) {
    const value = params[i];
    if (!Number.isInteger(value) || value < min || value > MAX_WINDOW) fail('bad_layer', `${where}: ${what} ${value} must be an integer in [${min}, ${MAX_WINDOW}]`);
    values.push(value);
  }
  return values;
}

export interface PoolGeometry {
  /** Input dims, lifted to 3 spatial axes. */
  inDims: number[];
  channels: number;
  pool: number[];
  strides: number[];
  padBefore: number[];
  outDims: number[];
}

function poolGeometry(rank: number, params: readonly number[], input: readonly number[], where: string): PoolGeometry {
  if (input.length !== rank + 1) fail('bad_shape', `${where}: needs an input of rank ${rank + 1} (spatial × ${rank}, channels), got [${input}]`);
  const pool = intParams(params, 0, rank, 1, 'pool size', where);
  const strides = intParams(params, rank, rank, 1, 'stride', where);
  const padBefore = intParams(params, 2 * rank, rank, 0, 'padBefore', where);
  const padAfter = intParams(params, 3 * rank, rank, 0, 'padAfter', where);
  const outDims: number[] = [];
  for (let a = 0; a < rank; a++) {
    if (padBefore[a] >= pool[a] || padAfter[a] >= pool[a]) fail('bad_layer', `${where}: padding ${padBefore[a]}/${padAfter[a]} on axis ${a} must be below the pool size ${pool[a]}`);
    const padded = input[a] + padBefore[a] + padAfter[a];
    if (padded < pool[a]) fail('bad_shape', `${where}: padded input size ${padded} on axis ${a} is smaller than the pool size ${pool[a]}`);
    outDims.push(Math.floor((padded - pool[a]) / strides[a]) + 1);
  }
  return { inDims: lift(input.slice(0, rank), 1), channels: input[rank], pool: lift(pool, 1), strides: lift(strides, 1), padBefore: lift(padBefore, 0), outDims: lift(outDims, 1) };
}

/** Max (average = false) or average pooling of [D, H, W, C] into [OD, OH, OW, C], windows clipped to the input. */
export function pool(input: Float32Array, g: PoolGeometry, average: boolean, output: Float32Array): void {
  var D = g.inDims[0] | 0;
  var H = g.inDims[1] | 0;
  var W = g.inDims[2] | 0;
  var C = g.channels | 0;
  var OD = g.outDims[0] | 0;
  var OH = g.outDims[1] | 0;
  var OW = g.outDims[2] | 0;
  var pd = g.pool[0] | 0;
  var ph = g.pool[1] | 0;
  var pw = g.pool[2] | 0;
  var sd = g.strides[0] | 0;
  var sh = g.strides[1] | 0;
  var sw = g.strides[2] | 0;
  var fd = g.padBefore[0] | 0;
  var fh = g.padBefore[1] | 0;
  var fw = g.padBefore[2] | 0;
  var od = 0;
  var oh = 0;
  var ow = 0;
  var d0 = 0;
  var d1 = 0;
  var h0 = 0;
  var h1 = 0;
  var w0 = 0;
  var w1 = 0;
  var d = 0;
  var h = 0;
  var w = 0;
  var c = 0;
  var x = 0;
  var p = 0;
  var v = 0.0;
  var scale = 0.0;
  for (od = 0; od < OD; od = (od + 1) | 0) {
    d0 = (od * sd - fd) | 0;
    d1 = (d0 + pd) | 0;
    if (d0 < 0) d0 = 0;
    if (d1 > D) d1 = D;
    for (oh = 0; oh < OH; oh = (oh + 1) | 0) {
      h0 = (oh * sh - fh) | 0;
      h1 = (h0 + ph) | 0;
      if (h0 < 0) h0 = 0;
      if (h1 > H) h1 = H;
      for (ow = 0; ow < OW; ow = (ow + 1) | 0) {
        w0 = (ow * sw - fw) | 0;
        w1 = (w0 + pw) | 0;
        if (w0 < 0) w0 = 0;
        if (w1 > W) w1 = W;
        // the first window element initializes, the rest accumulate
        x = (((d0 * H + h0) * W + w0) * C) | 0;
        for (c = 0; c < C; c = (c + 1) | 0) output[p + c] = input[x + c];
        for (d = d0; d < d1; d = (d + 1) | 0) {
          for (h = h0; h < h1; h = (h + 1) | 0) {
            for (w = d === d0 && h === h0 ? (w0 + 1) | 0 : w0; w < w1; w = (w + 1) | 0) {
              x = (((d * H + h) * W + w) * C) | 0;
              if (average) {
                for (c = 0; c < C; c = (c + 1) | 0) output[p + c] = output[p + c] + input[x + c];
              } else {
                for (c = 0; c < C; c = (c + 1) | 0) {
                  v = input[x + c];
                  if (v > output[p + c] || v !== v) output[p + c] = v;
                }
              }
            }
          }
        }
        if (average) {
          scale = 1.0 / ((d1 - d0) * (h1 - h0) * (w1 - w0));
          for (c = 0; c < C; c = (c + 1) | 0) output[p + c] = output[p + c] * scale;
        }
        p = (p + C) | 0;
      }
    }
  }
}

function poolKind(code: number, name: string, rank: number, average: boolean): LayerKindSpec {
  return {
    code,
    name,
    outputShape(layer, input, tensors, where) {
      expectCounts(layer, tensors, 0, 4 * rank, where);
      const g = poolGeometry(rank, layer.params, input, where);
      return [...g.outDims.slice(3 - rank), g.channels];
    },
    prepare({ layer }): PreparedLayer {
      const g = poolGeometry(rank, layer.params, layer.inputShape, name);
      return { run: (source, target) => pool(source, g, average, target) };
    },
  };
}

/** Global max or average over `positions` rows of `channels` values. */
export function globalPool(input: Float32Array, positions: number, channels: number, average: boolean, output: Float32Array): void {
  var n = positions | 0;
  var C = channels | 0;
  var r = 0;
  var c = 0;
  var x = 0;
  var v = 0.0;
  for (c = 0; c < C; c = (c + 1) | 0) output[c] = input[c];
  for (r = 1; r < n; r = (r + 1) | 0) {
    x = (r * C) | 0;
    if (average) {
      for (c = 0; c < C; c = (c + 1) | 0) output[c] = output[c] + input[x + c];
    } else {
      for (c = 0; c < C; c = (c + 1) | 0) {
        v = input[x + c];
        if (v > output[c] || v !== v) output[c] = v;
      }
    }
  }
  if (average) {
    v = 1.0 / n;
    for (c = 0; c < C; c = (c + 1) | 0) output[c] = output[c] * v;
  }
}

function globalPoolKind(code: number, name: string, rank: number, average: boolean): LayerKindSpec {
  return {
    code,
    name,
    outputShape(layer, input, tensors, where) {
      expectCounts(layer, tensors, 0, 0, where);
      if (input.length !== rank + 1) fail('bad_shape', `${where}: needs an input of rank ${rank + 1} (spatial × ${rank}, channels), got [${input}]`);
      return [input[rank]];
    },
    prepare({ layer }): PreparedLayer {
      const channels = layer.inputShape[layer.inputShape.length - 1];
      const positions = product(layer.inputShape) / channels;
      return { run: (source, target) => globalPool(source, positions, channels, average, target) };
    },
  };
}

/** A spatial remap: output position (lifted to 3 axes) ← input position, or zero where `from` < 0. */
interface Remap {
  outDims: number[];
  channels: number;
  /** Per axis, the input index each output index reads (−1: zero). */
  from: Int32Array[];
  inDims: number[];
}

/** Writes the output by copying channel runs from the input positions `remap` names. */
export function remapSpatial(input: Float32Array, m: Remap, output: Float32Array): void {
  var OD = m.outDims[0] | 0;
  var OH = m.outDims[1] | 0;
  var OW = m.outDims[2] | 0;
  var H = m.inDims[1] | 0;
  var W = m.inDims[2] | 0;
  var C = m.channels | 0;
  var fromD = m.from[0];
  var fromH = m.from[1];
  var fromW = m.from[2];
  var od = 0;
  var oh = 0;
  var ow = 0;
  var sd = 0;
  var sh = 0;
  var sw = 0;
  var c = 0;
  var x = 0;
  var p = 0;
  for (od = 0; od < OD; od = (od + 1) | 0) {
    sd = fromD[od];
    for (oh = 0; oh < OH; oh = (oh + 1) | 0) {
      sh = fromH[oh];
      for (ow = 0; ow < OW; ow = (ow + 1) | 0) {
        sw = fromW[ow];
        if (sd < 0 || sh < 0 || sw < 0) {
          for (c = 0; c < C; c = (c + 1) | 0) output[p + c] = 0.0;
        } else {
          x = (((sd * H + sh) * W + sw) * C) | 0;
          for (c = 0; c < C; c = (c + 1) | 0) output[p + c] = input[x + c];
        }
        p = (p + C) | 0;
      }
    }
  }
}

type RemapRule = (input: number, a: number, b: number) => { size: number; from: (index: number) => number };

const REMAPS: Record<'zero_padding' | 'cropping' | 'up_sampling', { paramsPerAxis: number; min: number; rule: RemapRule }> = {
  zero_padding: { paramsPerAxis: 2, min: 0, rule: (n, before, after) => ({ size: n + before + after, from: (i) => (i < before || i >= before + n ? -1 : i - before) }) },
  cropping: { paramsPerAxis: 2, min: 0, rule: (n, before, after) => ({ size: n - before - after, from: (i) => i + before }) },
  up_sampling: { paramsPerAxis: 1, min: 1, rule: (n, factor) => ({ size: n * factor, from: (i) => Math.floor(i / factor) }) },
};

function remapOf(name: keyof typeof REMAPS, params: readonly number[], input: readonly number[], where: string): Remap {
  const { paramsPerAxis, min, rule } = REMAPS[name];
  const rank = input.length - 1;
  if (rank < 1 || rank > 3) fail('bad_shape', `${where}: needs an input of rank 2 to 4 (spatial axes, channels), got [${input}]`);
  if (params.length !== paramsPerAxis * rank) fail('bad_layer', `${where}: has ${params.length} params, expected ${paramsPerAxis * rank} for input [${input}]`);
  const values = intParams(params, 0, params.length, min, 'size', where);
  const outDims: number[] = [];
  const from: Int32Array[] = [];
  for (let a = 0; a < rank; a++) {
    const axis = rule(input[a], values[a], paramsPerAxis === 2 ? values[rank + a] : 0);
    if (axis.size < 1) fail('bad_shape', `${where}: axis ${a} of size ${input[a]} would become ${axis.size}`);
    outDims.push(axis.size);
    from.push(Int32Array.from({ length: axis.size }, (_, i) => axis.from(i)));
  }
  while (from.length < 3) from.unshift(new Int32Array(1));
  return { outDims: lift(outDims, 1), channels: input[rank], from, inDims: lift(input.slice(0, rank), 1) };
}

function remapKind(code: number, name: keyof typeof REMAPS): LayerKindSpec {
  return {
    code,
    name,
    outputShape(layer, input, tensors, where) {
      expectCounts(layer, tensors, 0, layer.params.length, where);
      const m = remapOf(name, layer.params, input, where);
      return [...m.outDims.slice(4 - input.length), m.channels];
    },
    prepare({ layer }): PreparedLayer {
      const m = remapOf(name, layer.params, layer.inputShape, name);
      return { run: (source, target) => remapSpatial(source, m, target) };
    },
  };
}

/** Per output index along one axis: the two input indices it blends and the second one's weight. */
interface BilinearAxis {
  low: Int32Array;
  high: Int32Array;
  frac: Float64Array;
}

/** TF.js's source positions (CPU kernel ResizeBilinear, no corner alignment, no half-pixel centres), same double arithmetic. */
function bilinearAxis(inSize: number, outSize: number): BilinearAxis {
  const ratio = inSize / outSize;
  const axis: BilinearAxis = { low: new Int32Array(outSize), high: new Int32Array(outSize), frac: new Float64Array(outSize) };
  for (let i = 0; i < outSize; i++) {
    const source = ratio * i;
    const low = Math.max(0, Math.floor(source));
    axis.low[i] = low;
    axis.high[i] = Math.min(inSize - 1, Math.ceil(source));
    axis.frac[i] = source - low;
  }
  return axis;
}

/** Bilinear resize of [H, W, C] (row stride W·C) to [rows.length, cols.length, C], TF.js's expression order. */
export function resizeBilinear(input: Float32Array, W: number, C: number, rows: BilinearAxis, cols: BilinearAxis, output: Float32Array): void {
  var OH = rows.low.length | 0;
  var OW = cols.low.length | 0;
  var C_ = C | 0;
  var rowStride = (W * C) | 0;
  var r = 0;
  var q = 0;
  var d = 0;
  var top = 0;
  var bottom = 0;
  var tl = 0;
  var tr = 0;
  var bl = 0;
  var br = 0;
  var rowFrac = 0.0;
  var colFrac = 0.0;
  var upper = 0.0;
  var lower = 0.0;
  var p = 0;
  for (r = 0; r < OH; r = (r + 1) | 0) {
    top = (rows.low[r] * rowStride) | 0;
    bottom = (rows.high[r] * rowStride) | 0;
    rowFrac = rows.frac[r];
    for (q = 0; q < OW; q = (q + 1) | 0) {
      colFrac = cols.frac[q];
      tl = (top + cols.low[q] * C_) | 0;
      tr = (top + cols.high[q] * C_) | 0;
      bl = (bottom + cols.low[q] * C_) | 0;
      br = (bottom + cols.high[q] * C_) | 0;
      for (d = 0; d < C_; d = (d + 1) | 0) {
        upper = input[tl + d] + (input[tr + d] - input[tl + d]) * colFrac;
        lower = input[bl + d] + (input[br + d] - input[bl + d]) * colFrac;
        output[p] = upper + (lower - upper) * rowFrac;
        p = (p + 1) | 0;
      }
    }
  }
}

function bilinearShape(params: readonly number[], input: readonly number[], where: string): number[] {
  if (input.length !== 3) fail('bad_shape', `${where}: needs an input of rank 3 (height, width, channels), got [${input}]`);
  if (params.length !== 2) fail('bad_layer', `${where}: has ${params.length} params, expected 2 (size height, size width)`);
  const size = intParams(params, 0, 2, 1, 'size', where);
  return [input[0] * size[0], input[1] * size[1], input[2]];
}

const upSamplingBilinearKind: LayerKindSpec = {
  code: 27,
  name: 'up_sampling_bilinear',
  outputShape(layer, input, tensors, where) {
    expectCounts(layer, tensors, 0, 2, where);
    return bilinearShape(layer.params, input, where);
  },
  prepare({ layer }): PreparedLayer {
    const [H, W, C] = layer.inputShape;
    const [OH, OW] = bilinearShape(layer.params, layer.inputShape, 'up_sampling_bilinear');
    const rows = bilinearAxis(H, OH);
    const cols = bilinearAxis(W, OW);
    return { run: (source, target) => resizeBilinear(source, W, C, rows, cols, target) };
  },
};

export const POOLING_KINDS: readonly LayerKindSpec[] = [
  poolKind(14, 'max_pooling_1d', 1, false),
  poolKind(15, 'max_pooling_2d', 2, false),
  poolKind(16, 'max_pooling_3d', 3, false),
  poolKind(17, 'average_pooling_1d', 1, true),
  poolKind(18, 'average_pooling_2d', 2, true),
  poolKind(19, 'average_pooling_3d', 3, true),
  globalPoolKind(20, 'global_average_pooling_2d', 2, true),
  globalPoolKind(21, 'global_max_pooling_2d', 2, false),
  globalPoolKind(22, 'global_average_pooling_3d', 3, true),
  globalPoolKind(23, 'global_max_pooling_3d', 3, false),
  remapKind(24, 'zero_padding'),
  remapKind(25, 'cropping'),
  remapKind(26, 'up_sampling'),
  upSamplingBilinearKind,
];
