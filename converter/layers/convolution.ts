// Keras convolutions → engine/layers/convolution.ts's kinds. Kernels are stored with
// the output channel first ([outC, ...k, inC/groups]) so int8 keeps a scale per
// output channel; 'same' and 'causal' padding become explicit zero padding.

import { ConvertError, activationOf, describe, positiveInt, type Json } from '../config.ts';
import type { ConvertContext, LayerConverter } from './family.ts';

/** An int or a list of `rank` ints (Keras writes both), each ≥ 1. */
export function axisInts(value: unknown, rank: number, fallback: number, where: string, what: string): number[] {
  if (value === undefined || value === null) return new Array<number>(rank).fill(fallback);
  const list = Array.isArray(value) ? value : new Array<unknown>(rank).fill(value);
  if (list.length !== rank) throw new ConvertError(`${where}: ${what} ${describe(value)} must have ${rank} values`);
  return list.map((item) => positiveInt(item, where, what));
}

export function channelsLast(config: Json, where: string): void {
  const format = config.data_format;
  if (format !== undefined && format !== null && format !== 'channels_last') {
    throw new ConvertError(`${where}: data_format ${describe(format)} must be channels_last or channels_first`);
  }
}

/**
 * data_format channels_first: the engine's kernels read channels last, so the mapping runs on
 * the input with its channels axis moved last, between two permute entries (TF.js itself
 * transposes around its channels-last ops the same way).
 */
export function withChannelsFirst(converter: LayerConverter): LayerConverter {
  return {
    ...converter,
    convert(context) {
      const { config } = context.layer;
      if (config.data_format !== 'channels_first') return converter.convert(context);
      const rank = context.input.length;
      const toLast = [...context.input.keys()].slice(1).concat(0);
      const moved = toLast.map((axis) => context.input[axis]);
      if (rank > 1) context.store('permute', 'linear', toLast);
      const layer = { ...context.layer, config: { ...config, data_format: 'channels_last' } };
      const output = converter.convert({ ...context, layer, input: moved, inputs: [moved] });
      if (output.length === 1) return output;
      const toFirst = [output.length - 1, ...output.keys()].slice(0, output.length);
      context.store('permute', 'linear', toFirst);
      return toFirst.map((axis) => output[axis]);
    },
  };
}

/**
 * Explicit [before, after] zero padding per axis for Keras padding 'valid', 'same' or 'causal'
 * (TF's rule). With `crop3d` (3-D layers): TF.js's 3-D 'same' ops (conv3d, maxPool3d, avgPool3d)
 * do not clamp a negative pad to zero as Keras and TF.js's 2-D ops do; they start the windows
 * −⌊pad/2⌋ values later. To match TF.js such axes get no padding and a cropping entry stored
 * before the layer; `cropped` is the input dims after it.
 */
export function paddingOf(
  padding: unknown,
  input: readonly number[],
  spans: readonly number[],
  strides: readonly number[],
  causalAllowed: boolean,
  where: string,
  crop3d?: ConvertContext,
): { before: number[]; after: number[]; cropped: number[] } {
  const mode = padding ?? 'valid';
  const before: number[] = [];
  const after: number[] = [];
  const crop = input.map(() => 0);
  spans.forEach((span, a) => {
    if (mode === 'valid') {
      if (input[a] < span) throw new ConvertError(`${where}: input size ${input[a]} on axis ${a} is smaller than the window ${span} (padding 'valid')`);
      before.push(0);
      after.push(0);
    } else if (mode === 'same') {
      const out = Math.ceil(input[a] / strides[a]);
      const total = (out - 1) * strides[a] + span - input[a];
      if (total < 0 && crop3d && input.length === 3) crop[a] = -Math.floor(total / 2);
      before.push(Math.floor(Math.max(total, 0) / 2));
      after.push(Math.max(total, 0) - Math.floor(Math.max(total, 0) / 2));
    } else if (mode === 'causal' && causalAllowed) {
      before.push(span - 1);
      after.push(0);
    } else {
      throw new ConvertError(`${where}: padding ${describe(padding)} is not supported; use 'valid', 'same'${causalAllowed ? " or 'causal'" : ''}`);
    }
  });
  if (crop3d && crop.some((c) => c > 0)) crop3d.store('cropping', 'linear', [...crop, 0, 0, 0]);
  return { before, after, cropped: input.map((n, a) => n - crop[a]) };
}

/** Keras [k..., inC/groups, outC] → [outC, k..., inC/groups]: the last axis moves first. */
export function outputChannelFirst(values: Float32Array, outC: number): Float32Array {
  const rest = values.length / outC;
  const out = new Float32Array(values.length);
  for (let i = 0; i < rest; i++) for (let o = 0; o < outC; o++) out[o * rest + i] = values[i * outC + o];
  return out;
}

function spatialInput(context: ConvertContext, rank: number): { dims: number[]; channels: number } {
  const { input, where } = context;
  if (input.length !== rank + 1) throw new ConvertError(`${where} needs an input of rank ${rank + 1} (spatial × ${rank}, channels), got [${input}]`);
  return { dims: input.slice(0, rank), channels: input[rank] };
}

function outputDims(dims: readonly number[], spans: readonly number[], strides: readonly number[], before: readonly number[], after: readonly number[]): number[] {
  return dims.map((n, a) => Math.floor((n + before[a] + after[a] - spans[a]) / strides[a]) + 1);
}

function convolution(rank: 1 | 2 | 3, classNames: string[]): LayerConverter {
  const kind = `conv_${rank}d`;
  return {
    classNames,
    convert(context) {
      const { layer, where } = context;
      const { config } = layer;
      channelsLast(config, where);
      const { dims, channels } = spatialInput(context, rank);
      const filters = positiveInt(config.filters, where, 'filters');
      const kernelSize = axisInts(config.kernel_size, rank, 1, where, 'kernel_size');
      const strides = axisInts(config.strides, rank, 1, where, 'strides');
      const dilations = axisInts(config.dilation_rate, rank, 1, where, 'dilation_rate');
      if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) throw new ConvertError(`${where}: strides > 1 together with dilation_rate > 1 is not supported (TF.js refuses it too)`);
      const groups = config.groups === undefined || config.groups === null ? 1 : positiveInt(config.groups, where, 'groups');
      if (channels % groups !== 0 || filters % groups !== 0) throw new ConvertError(`${where}: groups ${groups} must divide the ${channels} input channels and the ${filters} filters`);
      const spans = kernelSize.map((k, a) => dilations[a] * (k - 1) + 1);
      const { before, after, cropped } = paddingOf(config.padding, dims, spans, strides, rank === 1, where, context);
      const kernel = context.weight('kernel', [...kernelSize, channels / groups, filters]);
      context.addTensor('kernel', [filters, ...kernelSize, channels / groups], outputChannelFirst(kernel, filters), 'kernel');
      if (config.use_bias !== false) context.addTensor('bias', [filters], context.weight('bias', [filters]), 'vector');
      context.store(kind, activationOf(config.activation, where), [...strides, ...dilations, ...before, ...after]);
      return [...outputDims(cropped, spans, strides, before, after), filters];
    },
  };
}

/** A depthwise kernel [kh, kw, C, multiplier] stored as grouped conv [C·multiplier, kh, kw, 1]. */
function storeDepthwise(context: ConvertContext, kernelSize: number[], channels: number, multiplier: number): void {
  const kernel = context.weight('depthwise_kernel', [...kernelSize, channels, multiplier]);
  context.addTensor('depthwise_kernel', [channels * multiplier, ...kernelSize, 1], outputChannelFirst(kernel, channels * multiplier), 'kernel');
}

function depthwise(separable: boolean, classNames: string[]): LayerConverter {
  return {
    classNames,
    convert(context) {
      const { layer, where } = context;
      const { config } = layer;
      channelsLast(config, where);
      const { dims, channels } = spatialInput(context, 2);
      const multiplier = config.depth_multiplier === undefined ? 1 : positiveInt(config.depth_multiplier, where, 'depth_multiplier');
      const kernelSize = axisInts(config.kernel_size, 2, 1, where, 'kernel_size');
      const strides = axisInts(config.strides, 2, 1, where, 'strides');
      const dilations = axisInts(config.dilation_rate, 2, 1, where, 'dilation_rate');
      if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) throw new ConvertError(`${where}: strides > 1 together with dilation_rate > 1 is not supported (TF.js refuses it too)`);
      // TF.js's DepthwiseConv2D drops dilation_rate where Keras applies it: refused rather than guessed
      if (!separable && dilations.some((d) => d > 1)) throw new ConvertError(`${where}: dilation_rate ${describe(config.dilation_rate)} is not supported for DepthwiseConv2D (TF.js ignores it, Keras applies it)`);
      const spans = kernelSize.map((k, a) => dilations[a] * (k - 1) + 1);
      const { before, after } = paddingOf(config.padding, dims, spans, strides, false, where);
      const params = [...strides, ...dilations, ...before, ...after];
      const out = outputDims(dims, spans, strides, before, after);
      const activation = activationOf(config.activation, where);
      const depthChannels = channels * multiplier;
      storeDepthwise(context, kernelSize, channels, multiplier);
      if (!separable) {
        if (config.use_bias !== false) context.addTensor('bias', [depthChannels], context.weight('bias', [depthChannels]), 'vector');
        context.store('conv_2d', activation, params);
        return [...out, depthChannels];
      }
      // SeparableConv2D = depthwise (no bias, linear) then a 1×1 pointwise convolution
      context.store('conv_2d', 'linear', params);
      const filters = positiveInt(config.filters, where, 'filters');
      const pointwise = context.weight('pointwise_kernel', [1, 1, depthChannels, filters]);
      context.addTensor('pointwise_kernel', [filters, 1, 1, depthChannels], outputChannelFirst(pointwise, filters), 'kernel');
      if (config.use_bias !== false) context.addTensor('bias', [filters], context.weight('bias', [filters]), 'vector');
      context.store('conv_2d', activation, [1, 1, 1, 1, 0, 0, 0, 0]);
      return [...out, filters];
    },
  };
}

/**
 * Conv2DTranspose's output size per axis. TF.js's deconvLength: in·stride ('same') or
 * in·stride + max(k − stride, 0) ('valid'). TF.js ignores Keras's output_padding; Keras sizes
 * the output (in − 1)·stride + k − 2·pad + output_padding, pad = ⌊k/2⌋ ('same') or 0 ('valid'),
 * and TF's op then crops by the forward conv's 'same' padding for that size. Where the two
 * sizes agree (FSRCNN's 9×9 stride 2 'same' with output_padding 1) Keras and TF.js compute the
 * same values, so output_padding is accepted; elsewhere they disagree and it is refused.
 */
export function transposeOutputSize(outputPadding: unknown, dims: readonly number[], kernelSize: readonly number[], strides: readonly number[], padding: 'valid' | 'same', where: string): number[] {
  const tfjsSize = dims.map((n, a) => (padding === 'same' ? n * strides[a] : n * strides[a] + Math.max(kernelSize[a] - strides[a], 0)));
  if (outputPadding === undefined || outputPadding === null) return tfjsSize;
  const list = Array.isArray(outputPadding) ? outputPadding : [outputPadding, outputPadding];
  if (list.length !== 2 || list.some((p) => !Number.isInteger(p) || (p as number) < 0)) throw new ConvertError(`${where}: output_padding ${describe(outputPadding)} must be one or two integers ≥ 0`);
  const extra = list as number[];
  extra.forEach((p, a) => {
    if (p >= strides[a]) throw new ConvertError(`${where}: output_padding ${describe(outputPadding)} must be below the strides ${describe(strides)} (Keras's rule)`);
  });
  const kerasSize = dims.map((n, a) => (n - 1) * strides[a] + kernelSize[a] - 2 * (padding === 'same' ? Math.floor(kernelSize[a] / 2) : 0) + extra[a]);
  if (kerasSize.some((n, a) => n !== tfjsSize[a])) {
    throw new ConvertError(`${where}: output_padding ${describe(outputPadding)} is not supported here: Keras's output [${kerasSize}] differs from TF.js's [${tfjsSize}] (TF.js ignores output_padding)`);
  }
  return kerasSize;
}

const conv2dTranspose: LayerConverter = {
  classNames: ['Conv2DTranspose', 'Convolution2DTranspose'],
  convert(context) {
    const { layer, where } = context;
    const { config } = layer;
    channelsLast(config, where);
    const { dims, channels } = spatialInput(context, 2);
    const filters = positiveInt(config.filters, where, 'filters');
    const kernelSize = axisInts(config.kernel_size, 2, 1, where, 'kernel_size');
    const strides = axisInts(config.strides, 2, 1, where, 'strides');
    const dilations = axisInts(config.dilation_rate, 2, 1, where, 'dilation_rate');
    if (dilations.some((d) => d > 1)) throw new ConvertError(`${where}: dilation_rate ${describe(config.dilation_rate)} is not supported for Conv2DTranspose (TF.js ignores it)`);
    const padding = config.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') throw new ConvertError(`${where}: padding ${describe(padding)} is not supported; use 'valid' or 'same'`);
    const outSize = transposeOutputSize(config.output_padding, dims, kernelSize, strides, padding, where);
    // the crop is the 'same' padding of the forward conv that maps outSize back to the input (TF's rule)
    const cropBefore = dims.map((n, a) => (padding === 'same' ? Math.floor(Math.max((n - 1) * strides[a] + kernelSize[a] - outSize[a], 0) / 2) : 0));
    // Keras [kh, kw, filters, inC] → [filters, kh, kw, inC]
    const kernel = context.weight('kernel', [...kernelSize, filters, channels]);
    const [kh, kw] = kernelSize;
    const stored = new Float32Array(kernel.length);
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let o = 0; o < filters; o++) for (let i = 0; i < channels; i++) {
      stored[((o * kh + a) * kw + b) * channels + i] = kernel[((a * kw + b) * filters + o) * channels + i];
    }
    context.addTensor('kernel', [filters, kh, kw, channels], stored, 'kernel');
    if (config.use_bias !== false) context.addTensor('bias', [filters], context.weight('bias', [filters]), 'vector');
    context.store('conv_2d_transpose', activationOf(config.activation, where), [...strides, ...dilations, ...cropBefore, ...outSize]);
    return [...outSize, filters];
  },
};

export const CONVOLUTION_CONVERTERS: readonly LayerConverter[] = [
  convolution(1, ['Conv1D', 'Convolution1D']),
  convolution(2, ['Conv2D', 'Convolution2D']),
  convolution(3, ['Conv3D', 'Convolution3D']),
  depthwise(false, ['DepthwiseConv2D']),
  depthwise(true, ['SeparableConv2D', 'SeparableConvolution2D']),
  conv2dTranspose,
].map(withChannelsFirst);
