// Convolution family: Conv1D, Conv2D, Conv3D (and, through the converter,
// DepthwiseConv2D and SeparableConv2D as grouped convolutions), Conv2DTranspose.
// Data is channels_last and row-major: [steps, C], [H, W, C] or [D, H, W, C].
//
// conv_1d (8), conv_2d (9), conv_3d (10), spatial rank r = 1, 2, 3:
//   tensors: kernel [outC, k₁..k_r, inC / groups] (the output channel first, so int8 keeps one
//            scale per output channel as a row scale), optional bias [outC]
//   params:  stride × r, dilation × r, padBefore × r, padAfter × r (explicit zero padding:
//            the converter resolves 'same', 'valid' and 'causal')
//   groups = inC / kernel's last dim; output channel o reads input channels
//            [g·inC/groups, (g+1)·inC/groups) with g = ⌊o / (outC/groups)⌋. A depthwise
//            convolution is the case inC/groups = 1, output channel c·multiplier + m.
//   output:  [out₁..out_r, outC], outᵢ = ⌊(inᵢ + padBeforeᵢ + padAfterᵢ − dilationᵢ·(kᵢ−1) − 1) / strideᵢ⌋ + 1 ≥ 1
// conv_2d_transpose (11): the transpose (gradient) of a conv_2d
//   tensors: kernel [outC, kh, kw, inC], optional bias [outC]
//   params:  stride × 2, dilation × 2, cropBefore × 2, outSize × 2
//   output:  [outSize₁, outSize₂, outC]: the uncropped scatter has (inᵢ − 1)·strideᵢ + dilationᵢ·(kᵢ−1) + 1
//            values per axis; output index y reads its index y + cropBefore (zero beyond it)
//
// Kernels: the input is copied once into a zero-padded scratch (allocated at prepare) so
// the inner loops have no bounds checks. float32 / float16 (and int8 with LoadOptions.int8
// 'float') kernels are float32 at load and run convolve. An int8 kernel run on integers with
// one group is lowered onto the int8 matrix kernel (convolveLowered: each output position's
// patch quantized to int8, then BigInt lanes, packed or plain by shape, kernels-int8.ts, with
// its error bound); grouped ones (depthwise) run convolve on the i8 values with the row scale
// applied once per output.

import { LINEAR } from '../activations.ts';
import { ModelFormatError } from '../errors.ts';
import { int8MatrixFits, int8MatrixRows, prepareInt8Matrix, type Int8KernelChoice, type Int8Matrix } from '../kernels-int8.ts';
import { laneKernelWins } from '../kernels-lanes.ts';
import { tensorFloat32, tensorInt8, type ParsedTensor } from '../format.ts';
import { expectCounts, expectDType, expectShape, fail, lift } from './checks.ts';
import type { LayerKindSpec, PrepareContext, PreparedLayer } from './family.ts';
import { convolveFixed, convolveRows9, fixedConvolutionWins, im2colRow, padKernelRows9, prepareFixedConvolution, ROWS9_MAX_PATCH, ROWS9_MIN_CHANNELS, type FixedConvolution } from './convolution-kernels.ts';

/** Largest stride, dilation, padding or kernel size a file may give (keeps index math far below 2³¹). */
const MAX_WINDOW = 1 << 16;

export type KernelValues = Float32Array | Int8Array;

/** A spatial geometry of rank ≤ 3, canonicalized to 3 axes (depth, height, width) with leading 1s. */
export interface Geometry {
  inDims: number[];
  inChannels: number;
  kernelDims: number[];
  strides: number[];
  dilations: number[];
  padBefore: number[];
  padAfter: number[];
  outDims: number[];
  outChannels: number;
  groups: number;
}

function readWindowParams(params: readonly number[], rank: number, count: number, layerWhere: string, names: readonly string[]): number[][] {
  const groups: number[][] = [];
  for (let g = 0; g < count; g++) {
    const values: number[] = [];
    for (let a = 0; a < rank; a++) {
      const value = params[g * rank + a];
      const min = g < 2 ? 1 : 0;
      if (!Number.isInteger(value) || value < min || value > MAX_WINDOW) fail('bad_layer', `${layerWhere}: ${names[g]} ${value} must be an integer in [${min}, ${MAX_WINDOW}]`);
      values.push(value);
    }
    groups.push(values);
  }
  return groups;
}

function convolutionGeometry(rank: number, layerParams: readonly number[], input: readonly number[], kernel: ParsedTensor, where: string): Geometry {
  if (input.length !== rank + 1) fail('bad_shape', `${where}: needs an input of rank ${rank + 1} (spatial × ${rank}, channels), got [${input}]`);
  if (kernel.shape.length !== rank + 2) fail('bad_shape', `${where}: kernel must have rank ${rank + 2} [outC, k × ${rank}, inC/groups], not [${kernel.shape}]`);
  const [strides, dilations, padBefore, padAfter] = readWindowParams(layerParams, rank, 4, where, ['stride', 'dilation', 'padBefore', 'padAfter']);
  const inChannels = input[rank];
  const outChannels = kernel.shape[0];
  const groupChannels = kernel.shape[rank + 1];
  const groups = inChannels / groupChannels;
  if (!Number.isInteger(groups) || outChannels % groups !== 0) {
    fail('bad_shape', `${where}: kernel [${kernel.shape}] does not split ${inChannels} input channels and ${outChannels} output channels into equal groups`);
  }
  const kernelDims = kernel.shape.slice(1, rank + 1);
  const outDims: number[] = [];
  for (let a = 0; a < rank; a++) {
    if (kernelDims[a] > MAX_WINDOW) fail('bad_shape', `${where}: kernel size ${kernelDims[a]} is above ${MAX_WINDOW}`);
    const span = dilations[a] * (kernelDims[a] - 1) + 1;
    const padded = input[a] + padBefore[a] + padAfter[a];
    if (padded < span) fail('bad_shape', `${where}: padded input size ${padded} on axis ${a} is smaller than the kernel's span ${span}`);
    outDims.push(Math.floor((padded - span) / strides[a]) + 1);
  }
  return {
    inDims: lift(input.slice(0, rank), 1),
    inChannels,
    kernelDims: lift(kernelDims, 1),
    strides: lift(strides, 1),
    dilations: lift(dilations, 1),
    padBefore: lift(padBefore, 0),
    padAfter: lift(padAfter, 0),
    outDims: lift(outDims, 1),
    outChannels,
    groups,
  };
}

function checkBias(tensors: readonly ParsedTensor[], outChannels: number, where: string): void {
  if (tensors.length > 1) {
    expectShape(tensors[1], [outChannels], where);
    expectDType(tensors[1], null, where);
  }
}

/** The kernel's values for the engine: i8 values and row scales, or float32 with unit scales. */
function kernelValues(context: PrepareContext): { values: KernelValues; scales: Float32Array } {
  const { file, layer } = context;
  const index = layer.tensors[0];
  const tensor = file.tensors[index];
  if (tensor.dtype === 'int8' && context.integerInt8) {
    const view = tensorInt8(file, index);
    return { values: view.values, scales: view.scales };
  }
  return { values: tensorFloat32(file, index), scales: new Float32Array(tensor.shape[0]).fill(1) };
}

function biasValues(context: PrepareContext, outChannels: number): Float32Array {
  const { file, layer } = context;
  return layer.tensors.length > 1 ? tensorFloat32(file, layer.tensors[1]) : new Float32Array(outChannels);
}

/**
 * Copies `source` (dims × channels) into the zero-padded `padded` (allocated with the padded
 * dims); the borders are never written, so they stay zero across predictions.
 */
export function padInto(source: Float32Array, padded: Float32Array, inDims: readonly number[], channels: number, padBefore: readonly number[], padAfter: readonly number[]): void {
  var D = inDims[0] | 0;
  var H = inDims[1] | 0;
  var W = inDims[2] | 0;
  var C = channels | 0;
  var PH = (H + padBefore[1] + padAfter[1]) | 0;
  var PW = (W + padBefore[2] + padAfter[2]) | 0;
  var top = padBefore[1] | 0;
  var front = padBefore[0] | 0;
  var left = padBefore[2] | 0;
  var run = (W * C) | 0;
  var d = 0;
  var h = 0;
  var i = 0;
  var from = 0;
  var to = 0;
  for (d = 0; d < D; d = (d + 1) | 0) {
    for (h = 0; h < H; h = (h + 1) | 0) {
      from = ((d * H + h) * run) | 0;
      to = ((((d + front) * PH + h + top) * PW + left) * C) | 0;
      for (i = 0; i < run; i = (i + 1) | 0) padded[(to + i) | 0] = source[(from + i) | 0];
    }
  }
}

/**
 * Grouped convolution over a padded input [PD, PH, PW, C] into [OD, OH, OW, outC]:
 * output = Σ input · kernel · scale[o] + bias[o]. `geometry` dims are the padded ones.
 */
export function convolve(
  input: Float32Array,
  PH: number,
  PW: number,
  C: number,
  kernel: KernelValues,
  scales: Float32Array,
  bias: Float32Array,
  g: Geometry,
  output: Float32Array,
): void {
  var kd = g.kernelDims[0] | 0;
  var kh = g.kernelDims[1] | 0;
  var kw = g.kernelDims[2] | 0;
  var sd = g.strides[0] | 0;
  var sh = g.strides[1] | 0;
  var sw = g.strides[2] | 0;
  var dd = g.dilations[0] | 0;
  var dh = g.dilations[1] | 0;
  var dw = g.dilations[2] | 0;
  var OD = g.outDims[0] | 0;
  var OH = g.outDims[1] | 0;
  var OW = g.outDims[2] | 0;
  var outC = g.outChannels | 0;
  var groupIn = (C / g.groups) | 0;
  var groupOut = (outC / g.groups) | 0;
  var rowStride = (PW * C) | 0;
  var planeStride = (PH * rowStride) | 0;
  // taps along the width: one contiguous run of kw·groupIn values when whole-channel and undilated
  var merged = dw === 1 && groupIn === C;
  var runLength = merged ? (kw * C) | 0 : groupIn;
  var runs = merged ? 1 : kw;
  var runStep = (dw * C) | 0;
  var unrolledEnd = (runLength - (runLength & 3)) | 0;
  var od = 0;
  var oh = 0;
  var ow = 0;
  var o = 0;
  var a = 0;
  var b = 0;
  var r = 0;
  var i = 0;
  var x = 0;
  var xRow = 0;
  var xPlane = 0;
  var base = 0;
  var w = 0;
  var p = 0;
  var sum = 0.0;
  for (od = 0; od < OD; od = (od + 1) | 0) {
    for (oh = 0; oh < OH; oh = (oh + 1) | 0) {
      for (ow = 0; ow < OW; ow = (ow + 1) | 0) {
        base = (od * sd * planeStride + oh * sh * rowStride + ow * sw * C) | 0;
        w = 0;
        for (o = 0; o < outC; o = (o + 1) | 0) {
          sum = 0.0;
          xPlane = (base + ((o / groupOut) | 0) * groupIn) | 0;
          for (a = 0; a < kd; a = (a + 1) | 0) {
            xRow = xPlane;
            for (b = 0; b < kh; b = (b + 1) | 0) {
              x = xRow;
              for (r = 0; r < runs; r = (r + 1) | 0) {
                for (i = 0; i < unrolledEnd; i = (i + 4) | 0) {
                  sum = sum + input[x + i] * kernel[w] + input[x + i + 1] * kernel[w + 1] + input[x + i + 2] * kernel[w + 2] + input[x + i + 3] * kernel[w + 3];
                  w = (w + 4) | 0;
                }
                for (; i < runLength; i = (i + 1) | 0) {
                  sum = sum + input[x + i] * kernel[w];
                  w = (w + 1) | 0;
                }
                x = (x + runStep) | 0;
              }
              xRow = (xRow + dh * rowStride) | 0;
            }
            xPlane = (xPlane + dd * planeStride) | 0;
          }
          output[p] = sum * scales[o] + bias[o];
          p = (p + 1) | 0;
        }
      }
    }
  }
}

function convolutionKind(code: number, name: string, rank: number): LayerKindSpec {
  return {
    code,
    name,
    outputShape(layer, input, tensors, where) {
      const [kernel, ...rest] = expectCounts(layer, tensors, [1, 2], 4 * rank, where);
      expectDType(kernel, 'int8', where);
      const geometry = convolutionGeometry(rank, layer.params, input, kernel, where);
      checkBias([kernel, ...rest], geometry.outChannels, where);
      return [...geometry.outDims.slice(3 - rank), geometry.outChannels];
    },
    prepare(context): PreparedLayer {
      const { layer, file } = context;
      const geometry = convolutionGeometry(rank, layer.params, layer.inputShape, file.tensors[layer.tensors[0]], name);
      const bias = biasValues(context, geometry.outChannels);
      const { inDims, padBefore, padAfter, inChannels } = geometry;
      const PD = inDims[0] + padBefore[0] + padAfter[0];
      const PH = inDims[1] + padBefore[1] + padAfter[1];
      const PW = inDims[2] + padBefore[2] + padAfter[2];
      const needsPadding = padBefore.some((pad) => pad > 0) || padAfter.some((pad) => pad > 0);
      if (PD * PH * PW * inChannels > (1 << 26)) throw new ModelFormatError('bad_shape', `${name} '${layer.name}': padded input [${PD}, ${PH}, ${PW}, ${inChannels}] is too large`);
      const padded = needsPadding ? new Float32Array(PD * PH * PW * inChannels) : new Float32Array(0);
      const lowered = loweredMatrix(context, geometry);
      if (lowered !== null) {
        const patches = new Float32Array(geometry.outDims[2] * lowered.inputSize);
        const scratch = { quantized: new Int8Array(lowered.inputSize), quantizedFloat: new Float64Array(lowered.inputSize) };
        return {
          run(source, target) {
            if (needsPadding) padInto(source, padded, inDims, inChannels, padBefore, padAfter);
            convolveLowered(needsPadding ? padded : source, PH, PW, inChannels, lowered, bias, geometry, patches, target, scratch.quantized, scratch.quantizedFloat);
          },
        };
      }
      const { values, scales } = kernelValues(context);
      const fixed = fixedLowering(context, geometry, values);
      if (fixed !== null) {
        return {
          run(source, target) {
            if (needsPadding) padInto(source, padded, inDims, inChannels, padBefore, padAfter);
            convolveFixed(needsPadding ? padded : source, PH, PW, inChannels, fixed, bias, geometry, target);
          },
        };
      }
      const patch = values.length / geometry.outChannels;
      const choice = context.floatKernel ?? 'auto';
      if (values instanceof Float32Array && geometry.groups === 1 && patch <= ROWS9_MAX_PATCH && (choice === 'rows' || (choice === 'auto' && geometry.outChannels >= ROWS9_MIN_CHANNELS))) {
        const kernel9 = padKernelRows9(values, geometry.outChannels);
        const patches9 = new Float32Array(geometry.outDims[2] * 9);
        return {
          run(source, target) {
            if (needsPadding) padInto(source, padded, inDims, inChannels, padBefore, padAfter);
            convolveRows9(needsPadding ? padded : source, PH, PW, inChannels, kernel9, bias, geometry, patches9, target);
          },
        };
      }
      return {
        run(source, target) {
          if (needsPadding) {
            padInto(source, padded, inDims, inChannels, padBefore, padAfter);
            convolve(padded, PH, PW, inChannels, values, scales, bias, geometry, target);
          } else {
            convolve(source, PH, PW, inChannels, values, scales, bias, geometry, target);
          }
        },
      };
    },
  };
}

/** Fewest output channels and patch values (kd·kh·kw·inC) for the lowering on BigInt lanes. */
export const CONV_LANES_MIN_CHANNELS = 32;
export const CONV_LANES_MIN_PATCH = 64;
/** Fewest output channels for the packed int8 kernel (rows padded to 16); plain denseInt8 below. */
export const CONV_PACKED_MIN_CHANNELS = 8;

/**
 * The int8 kernel a lowered convolution runs by default, measured in the canister (bench/profile
 * kernelCost, conv2d_* rows, instructions per multiply-add): 64 filters × 3×3×32: lanes 364,
 * packed 567, plain 1,220 (convolve on the int8 values: 1,755); 32 × 3×3×16: lanes 625, packed
 * 711; 32 × 3×3×1: packed 1,537, lanes 1,734, plain 2,988 (convolve: 4,344); 8 × 3×3×1: packed
 * 3,005, plain 3,899.
 */
export function convolutionKernelChoice(outChannels: number, patch: number): Int8KernelChoice {
  if (outChannels >= CONV_LANES_MIN_CHANNELS && patch >= CONV_LANES_MIN_PATCH && laneKernelWins(outChannels, patch)) return 'lanes';
  return outChannels >= CONV_PACKED_MIN_CHANNELS ? 'packed' : 'plain';
}

/**
 * The kernel as an int8 matrix [outC, kd·kh·kw·inC] (row = output channel, the stored layout)
 * on the kernel convolutionKernelChoice picks (or LoadOptions.int8Kernel forces), for an int8
 * file run on integers with one group; else null (convolve on the stored values).
 */
function loweredMatrix(context: PrepareContext, g: Geometry): Int8Matrix | null {
  const { file, layer } = context;
  const tensor = file.tensors[layer.tensors[0]];
  const patch = tensor.size / g.outChannels;
  if (tensor.dtype !== 'int8' || !context.integerInt8 || g.groups !== 1 || !int8MatrixFits(patch)) return null;
  const view = tensorInt8(file, layer.tensors[0]);
  const forced = context.int8Kernel ?? 'auto';
  return prepareInt8Matrix(view.values, view.scales, g.outChannels, patch, forced === 'auto' ? convolutionKernelChoice(g.outChannels, patch) : forced);
}

/**
 * A float kernel (float32/float16 files, int8 ones dequantized) of one group on the
 * fixed-point BigInt lanes (convolution-kernels.ts) where fixedConvolutionWins or
 * LoadOptions.floatKernel 'lanes' asks; else null (convolve).
 */
function fixedLowering(context: PrepareContext, g: Geometry, values: KernelValues): FixedConvolution | null {
  if (!(values instanceof Float32Array) || g.groups !== 1) return null;
  const choice = context.floatKernel ?? 'auto';
  const patch = values.length / g.outChannels;
  if (choice === 'loops' || choice === 'rows' || (choice === 'auto' && !fixedConvolutionWins(g.outChannels, patch))) return null;
  return prepareFixedConvolution(values, g);
}

/**
 * convolve lowered onto the int8 matrix kernel (one group): per output row, each position's
 * patch [kd, kh, kw, C] is copied into `patches` (im2col of one row, im2colRow), then the row's patches
 * go through the matrix at once, each quantized to int8 on its own (error bound: kernels-int8.ts).
 */
export function convolveLowered(
  input: Float32Array,
  PH: number,
  PW: number,
  C: number,
  matrix: Int8Matrix,
  bias: Float32Array,
  g: Geometry,
  patches: Float32Array,
  output: Float32Array,
  quantized: Int8Array,
  quantizedFloat: Float64Array,
): void {
  var OD = g.outDims[0] | 0;
  var OH = g.outDims[1] | 0;
  var OW = g.outDims[2] | 0;
  var step = (OW * g.outChannels) | 0;
  var p = 0;
  for (var od = 0; od < OD; od = (od + 1) | 0) {
    for (var oh = 0; oh < OH; oh = (oh + 1) | 0) {
      im2colRow(input, PH, PW, C, g, od, oh, patches, matrix.inputSize);
      int8MatrixRows(matrix, patches, 0, OW, bias, output, p, LINEAR, quantized, quantizedFloat);
      p = (p + step) | 0;
    }
  }
}

interface TransposeGeometry {
  inH: number;
  inW: number;
  inChannels: number;
  kh: number;
  kw: number;
  strides: number[];
  dilations: number[];
  cropBefore: number[];
  /** Uncropped output size. */
  fullH: number;
  fullW: number;
  outH: number;
  outW: number;
  outChannels: number;
}

function transposeGeometry(params: readonly number[], input: readonly number[], kernel: ParsedTensor, where: string): TransposeGeometry {
  if (input.length !== 3) fail('bad_shape', `${where}: needs an input of rank 3 [H, W, C], got [${input}]`);
  if (kernel.shape.length !== 4 || kernel.shape[3] !== input[2]) fail('bad_shape', `${where}: kernel must be [outC, kh, kw, ${input[2]}], not [${kernel.shape}]`);
  const [strides, dilations, cropBefore, outSize] = readWindowParams(params, 2, 4, where, ['stride', 'dilation', 'cropBefore', 'outSize']);
  const [outChannels, kh, kw] = kernel.shape;
  if (kh > MAX_WINDOW || kw > MAX_WINDOW) fail('bad_shape', `${where}: kernel [${kernel.shape}] is larger than ${MAX_WINDOW}`);
  const [outH, outW] = outSize;
  if (outH < 1 || outW < 1) fail('bad_shape', `${where}: output size [${outSize}] must be ≥ 1`);
  // the scatter buffer covers both the natural extent and the (possibly larger) cropped window
  const fullH = Math.max((input[0] - 1) * strides[0] + dilations[0] * (kh - 1) + 1, cropBefore[0] + outH);
  const fullW = Math.max((input[1] - 1) * strides[1] + dilations[1] * (kw - 1) + 1, cropBefore[1] + outW);
  return { inH: input[0], inW: input[1], inChannels: input[2], kh, kw, strides, dilations, cropBefore, fullH, fullW, outH, outW, outChannels };
}

/**
 * Transposed convolution: every input pixel scatters input · kernel into the uncropped
 * output [fullH, fullW, outC] (`full`, zeroed here), then the crop window is copied out
 * with scale and bias.
 */
export function convolveTranspose(
  input: Float32Array,
  kernel: KernelValues,
  scales: Float32Array,
  bias: Float32Array,
  g: TransposeGeometry,
  full: Float32Array,
  output: Float32Array,
): void {
  var H = g.inH | 0;
  var W = g.inW | 0;
  var C = g.inChannels | 0;
  var kh = g.kh | 0;
  var kw = g.kw | 0;
  var sh = g.strides[0] | 0;
  var sw = g.strides[1] | 0;
  var dh = g.dilations[0] | 0;
  var dw = g.dilations[1] | 0;
  var FW = g.fullW | 0;
  var outC = g.outChannels | 0;
  var taps = (kh * kw * C) | 0;
  var size = full.length | 0;
  var y = 0;
  var x = 0;
  var a = 0;
  var b = 0;
  var o = 0;
  var i = 0;
  var at = 0;
  var src = 0;
  var w = 0;
  var sum = 0.0;
  for (i = 0; i < size; i = (i + 1) | 0) full[i] = 0.0;
  for (y = 0; y < H; y = (y + 1) | 0) {
    for (x = 0; x < W; x = (x + 1) | 0) {
      src = ((y * W + x) * C) | 0;
      for (a = 0; a < kh; a = (a + 1) | 0) {
        for (b = 0; b < kw; b = (b + 1) | 0) {
          at = (((y * sh + a * dh) * FW + x * sw + b * dw) * outC) | 0;
          w = ((a * kw + b) * C) | 0;
          for (o = 0; o < outC; o = (o + 1) | 0) {
            sum = 0.0;
            for (i = 0; i < C; i = (i + 1) | 0) sum = sum + input[src + i] * kernel[w + i];
            full[at + o] = full[at + o] + sum;
            w = (w + taps) | 0;
          }
        }
      }
    }
  }
  var OH = g.outH | 0;
  var OW = g.outW | 0;
  var top = g.cropBefore[0] | 0;
  var left = g.cropBefore[1] | 0;
  var p = 0;
  for (y = 0; y < OH; y = (y + 1) | 0) {
    for (x = 0; x < OW; x = (x + 1) | 0) {
      at = (((y + top) * FW + x + left) * outC) | 0;
      for (o = 0; o < outC; o = (o + 1) | 0) {
        output[p] = full[at + o] * scales[o] + bias[o];
        p = (p + 1) | 0;
      }
    }
  }
}

const conv2dTranspose: LayerKindSpec = {
  code: 11,
  name: 'conv_2d_transpose',
  outputShape(layer, input, tensors, where) {
    const [kernel, ...rest] = expectCounts(layer, tensors, [1, 2], 8, where);
    expectDType(kernel, 'int8', where);
    const g = transposeGeometry(layer.params, input, kernel, where);
    checkBias([kernel, ...rest], g.outChannels, where);
    if (g.fullH * g.fullW * g.outChannels > 1 << 24) fail('bad_shape', `${where}: uncropped output [${g.fullH}, ${g.fullW}, ${g.outChannels}] is too large`);
    return [g.outH, g.outW, g.outChannels];
  },
  prepare(context) {
    const { layer, file } = context;
    const g = transposeGeometry(layer.params, layer.inputShape, file.tensors[layer.tensors[0]], layer.name);
    const { values, scales } = kernelValues(context);
    const bias = biasValues(context, g.outChannels);
    const full = new Float32Array(g.fullH * g.fullW * g.outChannels);
    return { run: (source, target) => convolveTranspose(source, values, scales, bias, g, full, target) };
  },
};

export const CONVOLUTION_KINDS: readonly LayerKindSpec[] = [
  convolutionKind(8, 'conv_1d', 1),
  convolutionKind(9, 'conv_2d', 2),
  convolutionKind(10, 'conv_3d', 3),
  conv2dTranspose,
];
