// Keras BatchNormalization, Normalization, LayerNormalization and Rescaling → the core
// `batch_normalization` kind (last axis) and engine/layers/normalization.ts's kinds. gamma
// and beta follow --quantize float16 (float32 otherwise); the statistics (moving mean and
// variance, Normalization's mean and variance, the folded scale_shift, Rescaling's
// constants) stay float32 whatever --quantize says (family.ts 'statistic').

import { ConvertError, describe } from '../config.ts';
import type { ConvertContext, LayerConverter } from './family.ts';

/**
 * A Keras axis option (an int or a list; negative counts from the end; axis 0 is the batch)
 * as the block [a, b) of input axes (without the batch) it names, which must be adjacent.
 */
function axisBlock(context: ConvertContext, value: unknown, what: string): [number, number] {
  const { input, where } = context;
  const rank = input.length + 1;
  const list = Array.isArray(value) ? value : [value];
  const axes = list.map((axis) => {
    if (typeof axis !== 'number' || !Number.isInteger(axis) || axis >= rank || axis < -rank + 1 || axis === 0) {
      throw new ConvertError(`${where}: ${what} ${describe(value)} must name axes 1..${rank - 1} (or -1..-${rank - 1}) of the input [batch, ${input}]`);
    }
    return (axis < 0 ? axis + rank : axis) - 1;
  });
  const sorted = [...new Set(axes)].sort((x, y) => x - y);
  if (sorted.length !== axes.length) throw new ConvertError(`${where}: ${what} ${describe(value)} names an axis twice`);
  if (sorted.length > 0 && sorted[sorted.length - 1] - sorted[0] !== sorted.length - 1) {
    throw new ConvertError(`${where}: ${what} ${describe(value)} is not supported: the axes must be adjacent`);
  }
  return sorted.length === 0 ? [0, 0] : [sorted[0], sorted[sorted.length - 1] + 1];
}

/** A number or a (nested) list of numbers from the config, flattened; null when absent. */
function configValues(context: ConvertContext, key: string): number[] | null {
  const value = context.layer.config[key];
  if (value === undefined || value === null) return null;
  const flat = Array.isArray(value) ? (value as unknown[]).flat(8) : [value];
  if (flat.length === 0 || !flat.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new ConvertError(`${context.where}: ${key} ${describe(value)} is not a finite number or a list of them`);
  return flat as number[];
}

/** Values for a vector of `size`: one value repeated, or exactly `size` values. */
function broadcast(context: ConvertContext, key: string, values: number[], size: number): Float32Array {
  if (values.length !== 1 && values.length !== size) throw new ConvertError(`${context.where}: ${key} has ${values.length} values; it must have 1 or ${size}`);
  return Float32Array.from({ length: size }, (_, i) => values[values.length === 1 ? 0 : i]);
}

function normalization(context: ConvertContext): number[] {
  const { input, layer } = context;
  const axis = layer.config.axis === undefined ? -1 : layer.config.axis;
  // axis null: one mean and variance for every value
  const [a, b] = axis === null ? [0, 0] : axisBlock(context, axis, 'axis');
  const dims = input.slice(a, b);
  const size = dims.reduce((x, y) => x * y, 1);
  const stored = dims.length === 0 ? [1] : dims;
  const invert = layer.config.invert ?? false;
  if (typeof invert !== 'boolean') throw new ConvertError(`${context.where}: invert ${describe(invert)} is not true or false`);
  const mean = configValues(context, 'mean');
  const variance = configValues(context, 'variance');
  if ((mean === null) !== (variance === null)) throw new ConvertError(`${context.where}: the config gives ${mean === null ? 'variance' : 'mean'} without ${mean === null ? 'mean' : 'variance'}`);
  for (const param of ['mean', 'variance']) {
    // given in the config (Normalization(mean=…, variance=…)), else the adapted weights
    const values = mean !== null && variance !== null ? broadcast(context, param, param === 'mean' ? mean : variance, size) : context.weight(param, dims);
    context.addTensor(param, stored, values, 'statistic');
  }
  context.store('normalization', 'linear', [a, b, invert ? 1 : 0]);
  return input.slice();
}

function booleanOption(context: ConvertContext, key: string, fallback: boolean): boolean {
  const value = context.layer.config[key] ?? fallback;
  if (typeof value !== 'boolean') throw new ConvertError(`${context.where}: ${key} ${describe(value)} is not true or false`);
  return value;
}

function layerNormalization(context: ConvertContext): number[] {
  const { input, layer, where } = context;
  const axis = layer.config.axis ?? -1;
  const [a, b] = axisBlock(context, axis, 'axis');
  if (a === b) throw new ConvertError(`${where}: axis ${describe(axis)} names no axis`);
  if (booleanOption(context, 'rms_scaling', false)) throw new ConvertError(`${where}: rms_scaling true is not supported (TF.js has no such option)`);
  const epsilon = layer.config.epsilon ?? 1e-3;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) throw new ConvertError(`${where}: epsilon ${describe(layer.config.epsilon)} is not a finite number ≥ 0`);
  // gamma and beta have the dims of the axes as listed; their values run in the input's axis order (as TF.js reshapes them)
  const listed = (Array.isArray(axis) ? axis : [axis]).map((item) => {
    const full = (item as number) < 0 ? (item as number) + input.length + 1 : (item as number);
    return input[full - 1];
  });
  const dims = input.slice(a, b);
  const size = dims.reduce((x, y) => x * y, 1);
  const vector = (param: string, present: boolean, fill: number): void => context.addTensor(param, dims, present ? context.weight(param, listed) : new Float32Array(size).fill(fill), 'vector');
  vector('gamma', booleanOption(context, 'scale', true), 1);
  vector('beta', booleanOption(context, 'center', true), 0);
  context.store('layer_normalization', 'linear', [a, b, epsilon]);
  return input.slice();
}

function rescaling(context: ConvertContext): number[] {
  const { input, where } = context;
  const scale = configValues(context, 'scale');
  if (scale === null) throw new ConvertError(`${where}: scale is missing`);
  const offset = configValues(context, 'offset') ?? [0];
  const last = input[input.length - 1];
  const width = Math.max(scale.length, offset.length);
  if (width !== 1 && width !== last) throw new ConvertError(`${where}: scale and offset must be numbers or lists of 1 or ${last} values (the last dim); got ${scale.length} and ${offset.length}`);
  context.addTensor('scale', [width], broadcast(context, 'scale', scale, width), 'statistic');
  context.addTensor('offset', [width], broadcast(context, 'offset', offset, width), 'statistic');
  context.store('rescaling', 'linear');
  return input.slice();
}

/**
 * BatchNormalization at inference (moving mean and variance; momentum, fused, virtual_batch_size
 * and adjustment act only in training): on the last axis the core kind, folded to a scale and
 * shift at load; on other axes (channels_first) folded here to a scale_shift entry.
 */
function batchNormalization(context: ConvertContext): number[] {
  const { input, layer, where } = context;
  if (layer.config.renorm === true) throw new ConvertError(`${where}: renorm true is not supported (TF.js has no such option)`);
  const [a, b] = axisBlock(context, layer.config.axis ?? -1, 'axis');
  if (a === b) throw new ConvertError(`${where}: axis ${describe(layer.config.axis)} names no axis`);
  const epsilon = layer.config.epsilon ?? 1e-3;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) throw new ConvertError(`${where}: epsilon ${describe(layer.config.epsilon)} is not a finite number ≥ 0`);
  const dims = input.slice(a, b);
  const size = dims.reduce((x, y) => x * y, 1);
  const vector = (param: string, present: boolean, fill: number): Float32Array => (present ? context.weight(param, dims) : new Float32Array(size).fill(fill));
  const gamma = vector('gamma', booleanOption(context, 'scale', true), 1);
  const beta = vector('beta', booleanOption(context, 'center', true), 0);
  const mean = vector('moving_mean', true, 0);
  const variance = vector('moving_variance', true, 1);
  if (a === input.length - 1) {
    context.addTensor('gamma', dims, gamma, 'vector');
    context.addTensor('beta', dims, beta, 'vector');
    context.addTensor('moving_mean', dims, mean, 'statistic');
    context.addTensor('moving_variance', dims, variance, 'statistic');
    context.store('batch_normalization', 'linear', [epsilon]);
  } else {
    // as engine/kernels.ts foldBatchNormalization folds the last-axis kind at load
    const scale = new Float32Array(size);
    const shift = new Float32Array(size);
    for (let p = 0; p < size; p++) {
      scale[p] = gamma[p] / Math.sqrt(variance[p] + epsilon);
      shift[p] = beta[p] - mean[p] * scale[p];
    }
    context.addTensor('scale', dims, scale, 'statistic');
    context.addTensor('shift', dims, shift, 'statistic');
    context.store('scale_shift', 'linear', [a, b]);
  }
  return input.slice();
}

export const NORMALIZATION_CONVERTERS: readonly LayerConverter[] = [
  { classNames: ['BatchNormalization'], convert: batchNormalization },
  { classNames: ['Normalization'], convert: normalization },
  { classNames: ['LayerNormalization'], convert: layerNormalization },
  { classNames: ['Rescaling'], convert: rescaling },
];
