// Convolution kernels chosen at load by engine/layers/convolution.ts for float kernels of
// one group (float32/float16 files, int8 ones dequantized), beside its convolve:
// - convolveFixed: lowered onto BigInt lanes (engine/kernels-lanes-fixed.ts): per output
//   row, each position's patch [kd, kh, kw, C] is copied into `patches` (im2col of one
//   row), then the row's patches go through the lane matrix [outC, kd·kh·kw·C] at once;
//   where fixedConvolutionWins. Error bound: the kernel's (kernels-lanes-fixed.ts).
// - convolveRows9: loops over the same im2col rows for patches of ≤ 9 values (3×3×1 first
//   layers): the patch in locals, one expression per output channel, instead of convolve's
//   loop turn per short run of taps (runs of 3 for a 3×3×1 kernel).
// Both are checked against convolution.reference.ts by the convolution tests.

import { LINEAR } from '../activations.ts';
import { fixedLanesRows, prepareFixedLanes, type FixedLanes } from '../kernels-lanes-fixed.ts';
import type { Geometry } from './convolution.ts';

/** Fewest output channels (lanes per column) and patch values for the fixed-point lanes. */
export const FIXED_CONV_MIN_CHANNELS = 16;
export const FIXED_CONV_MIN_PATCH = 32;
/** Most weights packed at load (packing costs a few thousand instructions per weight). */
export const FIXED_CONV_MAX_WEIGHTS = 1_000_000;

/** Whether a float convolution of one group with this matrix shape runs on the fixed-point lanes by default. */
export function fixedConvolutionWins(outChannels: number, patch: number): boolean {
  return outChannels >= FIXED_CONV_MIN_CHANNELS && patch >= FIXED_CONV_MIN_PATCH && outChannels * patch <= FIXED_CONV_MAX_WEIGHTS;
}

export interface FixedConvolution {
  lanes: FixedLanes;
  /** One output row's patches: outW × patch. */
  patches: Float32Array;
}

/** The float kernel [outC, kd, kh, kw, inC] as lanes, with its scratch; null when the lanes cannot hold it. */
export function prepareFixedConvolution(kernel: Float32Array, g: Geometry): FixedConvolution | null {
  const patch = kernel.length / g.outChannels;
  const lanes = prepareFixedLanes(kernel, g.outChannels, patch);
  return lanes === null ? null : { lanes, patches: new Float32Array(g.outDims[2] * patch) };
}

/**
 * Copies the patches of output row (od, oh) of the padded input [PD, PH, PW, C] into `patches`
 * (outW patches of kd·kh·kw·C values, `stride` ≥ that apart; the gaps are left as they are).
 */
export function im2colRow(input: Float32Array, PH: number, PW: number, C: number, g: Geometry, od: number, oh: number, patches: Float32Array, stride: number): void {
  var kd = g.kernelDims[0] | 0;
  var kh = g.kernelDims[1] | 0;
  var kw = g.kernelDims[2] | 0;
  var sw = g.strides[2] | 0;
  var dd = g.dilations[0] | 0;
  var dh = g.dilations[1] | 0;
  var dw = g.dilations[2] | 0;
  var OW = g.outDims[2] | 0;
  var rowStride = (PW * C) | 0;
  var planeStride = (PH * rowStride) | 0;
  // taps along the width: one contiguous run of kw·C values when undilated
  var runLength = dw === 1 ? (kw * C) | 0 : C | 0;
  var runs = dw === 1 ? 1 : kw;
  var runStep = (dw * C) | 0;
  var start = (od * g.strides[0] * planeStride + oh * g.strides[1] * rowStride) | 0;
  var ow = 0;
  var a = 0;
  var b = 0;
  var r = 0;
  var i = 0;
  var x = 0;
  var xRow = 0;
  var xPlane = 0;
  var w = 0;
  var patch = (kd * kh * kw * C) | 0;
  var gap = (stride - patch) | 0;
  for (ow = 0; ow < OW; ow = (ow + 1) | 0) {
    xPlane = (start + ow * sw * C) | 0;
    for (a = 0; a < kd; a = (a + 1) | 0) {
      xRow = xPlane;
      for (b = 0; b < kh; b = (b + 1) | 0) {
        x = xRow;
        for (r = 0; r < runs; r = (r + 1) | 0) {
          for (i = 0; i < runLength; i = (i + 1) | 0) patches[(w + i) | 0] = input[(x + i) | 0];
          w = (w + runLength) | 0;
          x = (x + runStep) | 0;
        }
        xRow = (xRow + dh * rowStride) | 0;
      }
      xPlane = (xPlane + dd * planeStride) | 0;
    }
    w = (w + gap) | 0;
  }
}

/** Convolution of the padded input [PD, PH, PW, C] into [OD, OH, OW, outC] on the lanes (linear: the runner applies the activation). */
export function convolveFixed(input: Float32Array, PH: number, PW: number, C: number, f: FixedConvolution, bias: Float32Array, g: Geometry, output: Float32Array): void {
  var OD = g.outDims[0] | 0;
  var OH = g.outDims[1] | 0;
  var OW = g.outDims[2] | 0;
  var step = (OW * g.outChannels) | 0;
  var p = 0;
  for (var od = 0; od < OD; od = (od + 1) | 0) {
    for (var oh = 0; oh < OH; oh = (oh + 1) | 0) {
      im2colRow(input, PH, PW, C, g, od, oh, f.patches, f.lanes.inputSize);
      fixedLanesRows(f.lanes, f.patches, 0, OW, bias, output, p, LINEAR);
      p = (p + step) | 0;
    }
  }
}

/**
 * convolveRows9 by default from this many output channels, for patches of ≤ 9 values (measured
 * in the canister, bench/profile/conv.ts, instructions per multiply-add, convolve → rows9):
 * 32 × 3×3×1 4,104 → 1,353; 8 × 3×3×1 4,166 → 1,825.
 */
export const ROWS9_MIN_CHANNELS = 4;
export const ROWS9_MAX_PATCH = 9;

/** The kernel [outC][patch ≤ 9] with each row padded to 9 values (zeros past the patch) for convolveRows9. */
export function padKernelRows9(kernel: Float32Array, outChannels: number): Float32Array {
  const patch = kernel.length / outChannels;
  const padded = new Float32Array(outChannels * 9);
  for (let o = 0; o < outChannels; o++) padded.set(kernel.subarray(o * patch, (o + 1) * patch), o * 9);
  return padded;
}

/**
 * Convolution of the padded input into [OD, OH, OW, outC] for patches of ≤ 9 values (3×3×1, 1×9, 3×3 depth 1 …): each position's patch
 * (zero-padded to 9 in `patches`, stride 9) is read once into locals, then every output
 * channel is one expression of 9 products with its padded kernel row.
 */
export function convolveRows9(input: Float32Array, PH: number, PW: number, C: number, kernel9: Float32Array, bias: Float32Array, g: Geometry, patches: Float32Array, output: Float32Array): void {
  var OD = g.outDims[0] | 0;
  var OH = g.outDims[1] | 0;
  var OW = g.outDims[2] | 0;
  var outC = g.outChannels | 0;
  var od = 0;
  var oh = 0;
  var ow = 0;
  var o = 0;
  var x = 0;
  var w = 0;
  var p = 0;
  var x0 = 0.0, x1 = 0.0, x2 = 0.0, x3 = 0.0, x4 = 0.0, x5 = 0.0, x6 = 0.0, x7 = 0.0, x8 = 0.0;
  for (od = 0; od < OD; od = (od + 1) | 0) {
    for (oh = 0; oh < OH; oh = (oh + 1) | 0) {
      im2colRow(input, PH, PW, C, g, od, oh, patches, 9);
      x = 0;
      for (ow = 0; ow < OW; ow = (ow + 1) | 0) {
        x0 = patches[x];
        x1 = patches[x + 1];
        x2 = patches[x + 2];
        x3 = patches[x + 3];
        x4 = patches[x + 4];
        x5 = patches[x + 5];
        x6 = patches[x + 6];
        x7 = patches[x + 7];
        x8 = patches[x + 8];
        w = 0;
        for (o = 0; o < outC; o = (o + 1) | 0) {
          output[p] = bias[o] + x0 * kernel9[w] + x1 * kernel9[w + 1] + x2 * kernel9[w + 2] + x3 * kernel9[w + 3] + x4 * kernel9[w + 4] + x5 * kernel9[w + 5] + x6 * kernel9[w + 6] + x7 * kernel9[w + 7] + x8 * kernel9[w + 8];
          p = (p + 1) | 0;
          w = (w + 9) | 0;
        }
        x = (x + 9) | 0;
      }
    }
  }
}
