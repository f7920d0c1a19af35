// Keras activation layers → engine/layers/activation.ts. The plain cases are stored as
// the core `activation` kind (ReLU without options → relu, max_value 6 → relu6,
// ELU alpha 1 → elu, Softmax on the last axis → softmax); the rest carry their params.

import { ConvertError, describe } from '../config.ts';
import type { ConvertContext, LayerConverter } from './family.ts';

function numberOption(context: ConvertContext, keys: readonly string[], fallback: number): number {
  const { config } = context.layer;
  const key = keys.find((name) => config[name] !== undefined && config[name] !== null);
  const value = key === undefined ? fallback : config[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConvertError(`${context.where}: ${key} ${describe(value)} is not a finite number`);
  return value;
}

function relu(context: ConvertContext): number[] {
  const { config } = context.layer;
  const maxValue = config.max_value === undefined || config.max_value === null ? null : numberOption(context, ['max_value'], 0);
  if (maxValue !== null && maxValue < 0) throw new ConvertError(`${context.where}: max_value ${maxValue} must be ≥ 0`);
  const slope = numberOption(context, ['negative_slope'], 0);
  const threshold = numberOption(context, ['threshold'], 0);
  if (slope === 0 && threshold === 0 && (maxValue === null || maxValue === 6)) context.store('activation', maxValue === null ? 'relu' : 'relu6');
  else context.store('relu_layer', 'linear', [maxValue ?? -1, slope, threshold]);
  return context.input.slice();
}

function softmax(context: ConvertContext): number[] {
  const axis = context.layer.config.axis ?? -1;
  const last = context.input.length;
  const axes = Array.isArray(axis) ? axis : [axis];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== last)) throw new ConvertError(`${context.where}: only axis -1 (the last axis) is supported, got axis ${describe(axis)}`);
  context.store('activation', 'softmax');
  return context.input.slice();
}

function elu(context: ConvertContext): number[] {
  const alpha = numberOption(context, ['alpha'], 1);
  if (alpha === 1) context.store('activation', 'elu');
  else context.store('elu_layer', 'linear', [alpha]);
  return context.input.slice();
}

function prelu(context: ConvertContext): number[] {
  const { config } = context.layer;
  const { input } = context;
  const shared = config.shared_axes === undefined || config.shared_axes === null ? [] : Array.isArray(config.shared_axes) ? config.shared_axes : [config.shared_axes];
  if (!shared.every((axis) => Number.isInteger(axis) && axis >= 1 && axis <= input.length)) {
    throw new ConvertError(`${context.where}: shared_axes ${describe(config.shared_axes)} must name axes 1..${input.length}`);
  }
  const stored = input.map((dim, i) => (shared.includes(i + 1) ? 1 : dim));
  // stored at Keras's shape (1 on the shared axes); the engine broadcasts it
  context.addTensor('alpha', stored, context.weight('alpha', stored), 'vector');
  context.store('prelu', 'linear');
  return input.slice();
}

export const ACTIVATION_CONVERTERS: readonly LayerConverter[] = [
  { classNames: ['ReLU'], convert: relu },
  { classNames: ['Softmax'], convert: softmax },
  { classNames: ['ELU'], convert: elu },
  { classNames: ['PReLU'], convert: prelu },
  {
    classNames: ['LeakyReLU'],
    convert(context) {
      // Keras 2 and TF.js name it alpha, Keras 3 negative_slope; the default is 0.3 in all three
      context.store('leaky_relu', 'linear', [numberOption(context, ['negative_slope', 'alpha'], 0.3)]);
      return context.input.slice();
    },
  },
  {
    classNames: ['ThresholdedReLU'],
    convert(context) {
      context.store('thresholded_relu', 'linear', [numberOption(context, ['theta'], 1)]);
      return context.input.slice();
    },
  },
];

/** Layers that are the identity at inference: noise and dropout used only in training. */
export const IDENTITY_CONVERTERS: readonly LayerConverter[] = [
  {
    classNames: ['SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization'],
    convert: (context) => context.input.slice(),
  },
];


