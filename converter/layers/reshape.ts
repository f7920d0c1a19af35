// Keras Reshape, Permute, RepeatVector, Flatten and CategoryEncoding → engine/layers/reshape.ts's kinds
// (and the core `flatten`). A Reshape to one axis is stored as `flatten` and a
// Reshape or Permute that changes nothing as no entry: both cost no copy.

import { ConvertError, describe, positiveInt } from '../config.ts';
import { MAX_PERMUTE_RANK } from '../../engine/layers/reshape.ts';
import type { ConvertContext, LayerConverter } from './family.ts';

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((dim, i) => dim === b[i]);

function reshape(context: ConvertContext): number[] {
  const { input, where } = context;
  const target = context.layer.config.target_shape;
  if (!Array.isArray(target) || target.length === 0) throw new ConvertError(`${where}: target_shape ${describe(target)} is not a list of sizes`);
  const size = input.reduce((a, b) => a * b, 1);
  // as TF.js: null or a negative size is the one unknown dim, derived from the input's size
  const unknown = target.flatMap((dim, i) => (dim === null || (typeof dim === 'number' && dim < 0) ? [i] : []));
  if (unknown.length > 1) throw new ConvertError(`${where}: target_shape ${describe(target)} has more than one unknown (-1 or null) dim`);
  const known = target.map((dim, i) => (unknown.includes(i) ? 1 : positiveInt(dim, where, 'target_shape dim')));
  const knownSize = known.reduce((a, b) => a * b, 1);
  if (unknown.length === 1) {
    if (size % knownSize !== 0) throw new ConvertError(`${where}: target_shape ${describe(target)} cannot hold the ${size} values of input [${input}]`);
    known[unknown[0]] = size / knownSize;
  } else if (knownSize !== size) {
    throw new ConvertError(`${where}: target_shape ${describe(target)} holds ${knownSize} values, the input [${input}] ${size}`);
  }
  if (known.length === 1) context.store('flatten', 'linear');
  else if (!sameShape(known, input)) context.store('reshape', 'linear', known);
  return known;
}

/** Stores a permute entry for `order` (0-based input axes) unless it is the identity; returns the output shape. */
function storePermute(context: ConvertContext, order: readonly number[]): number[] {
  if (order.length > MAX_PERMUTE_RANK) throw new ConvertError(`${context.where}: input [${context.input}] has rank ${order.length}; permuting supports up to ${MAX_PERMUTE_RANK}`);
  if (order.some((axis, i) => axis !== i)) context.store('permute', 'linear', order);
  return order.map((axis) => context.input[axis]);
}

function permute(context: ConvertContext): number[] {
  const { input, where } = context;
  const dims = context.layer.config.dims;
  const rank = input.length;
  const valid = Array.isArray(dims) && dims.length === rank && [...dims].sort((a, b) => Number(a) - Number(b)).every((dim, i) => dim === i + 1);
  if (!valid) throw new ConvertError(`${where}: dims ${describe(dims)} must be a permutation of 1..${rank} for input [${input}]`);
  return storePermute(context, (dims as number[]).map((dim) => dim - 1));
}

function repeatVector(context: ConvertContext): number[] {
  const { input, where } = context;
  if (input.length !== 1) throw new ConvertError(`${where} needs a vector input [features], got [${input}]`);
  const n = positiveInt(context.layer.config.n, where, 'n');
  context.store('repeat_vector', 'linear', [n]);
  return [n, input[0]];
}

function flatten(context: ConvertContext): number[] {
  const { input, where } = context;
  const format = context.layer.config.data_format ?? 'channels_last';
  if (format !== 'channels_last' && format !== 'channels_first') throw new ConvertError(`${where}: data_format ${describe(format)} must be channels_last or channels_first`);
  // channels_first: TF.js (and Keras) move the channels axis last before flattening, so
  // the flat order is the channels_last one
  if (format === 'channels_first' && input.length > 1) storePermute(context, [...input.keys()].slice(1).concat(0));
  context.store('flatten', 'linear');
  return [input.reduce((a, b) => a * b, 1)];
}

function categoryEncoding(context: ConvertContext): number[] {
  const { input, layer, where } = context;
  const numTokens = positiveInt(layer.config.num_tokens, where, 'num_tokens');
  const mode = layer.config.output_mode ?? 'multi_hot';
  if (layer.config.sparse === true) throw new ConvertError(`${where}: sparse true is not supported (TF.js has no such option)`);
  if (mode !== 'multi_hot' && mode !== 'one_hot' && mode !== 'count') {
    throw new ConvertError(`${where}: output_mode ${describe(mode)} is not supported; use multi_hot, one_hot or count (tf_idf takes weights TF.js passes at call time)`);
  }
  if (input.length !== 1) throw new ConvertError(`${where} needs a vector input of token ids [n], got [${input}]`);
  // TF.js one-hot encodes one id per example ([1] → [numTokens]) and refuses more
  if (mode === 'one_hot' && input[0] !== 1) throw new ConvertError(`${where}: output_mode one_hot needs one id per example (input [1]), got [${input}]`);
  context.store('category_encoding', 'linear', [numTokens, mode === 'count' ? 1 : 0]);
  return [numTokens];
}

export const RESHAPE_CONVERTERS: readonly LayerConverter[] = [
  { classNames: ['Reshape'], convert: reshape },
  { classNames: ['Permute'], convert: permute },
  { classNames: ['RepeatVector'], convert: repeatVector },
  { classNames: ['Flatten'], convert: flatten },
  { classNames: ['CategoryEncoding'], convert: categoryEncoding },
];
