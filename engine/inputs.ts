// Prediction inputs as callers give them (Candid, REST, CLIs): one or several
// tensors, each a flat row-major array with an optional shape and name, bound to
// a model's inputs with every shape checked and a batch split off a leading axis.
// Plain code, run once per request (not per value): the values themselves are
// never copied here, only sliced (typed arrays: views).

import type { Model, TensorSpec } from './api.ts';
import { InputError } from './errors.ts';

/** A tensor as a caller gives it: row-major values, its shape when given (else flat), the input's name when given. */
export interface GivenTensor {
  name?: string;
  shape?: readonly number[];
  values: ArrayLike<number>;
}

/** The given tensors bound to the model's inputs: items[i][k] holds item i's values for input k (in the model's order). */
export interface BoundInputs {
  count: number;
  items: ArrayLike<number>[][];
}

/** The model's inputs (Model.inputs; a model file without them has its one input). */
export function inputSpecs(model: Model): readonly TensorSpec[] {
  if (model.inputs.length > 0) return model.inputs;
  return [{ name: 'input', shape: model.inputShape, dtype: model.inputKind === 'tokens' ? 'int32' : 'float32' }];
}

/** The model's outputs (Model.outputs, else one output of outputSize scores). */
export function outputSpecs(model: Model): readonly TensorSpec[] {
  if (model.outputs.length > 0) return model.outputs;
  return [{ name: 'output', shape: [model.outputSize], dtype: 'float32' }];
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function size(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

function sameShape(a: readonly number[], b: readonly number[], from: number): boolean {
  if (a.length - from !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[from + i] !== b[i]) return false;
  return true;
}

/**
 * Nested arrays of numbers (JSON) flattened row-major, with the shape they form. A ragged
 * array, a non-number leaf or more than `maxValues` values is an InputError naming where.
 */
export function flattenNested(value: unknown, what: string, maxValues: number): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (shape.length > 8) throw new InputError('wrong_shape', `${what}: nested more than 8 levels deep`);
    probe = probe.length > 0 ? probe[0] : undefined;
  }
  if (shape.length === 0) throw new InputError('wrong_kind', `${what} must be an array of numbers (or nested arrays)`);
  const total = size(shape);
  if (total > maxValues) throw new InputError('wrong_length', `${what}: ${total} values is over the limit of ${maxValues}`);
  const values = new Array<number>(total);
  let p = 0;
  const last = shape.length - 1;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new InputError('wrong_shape', `${what}${path}: ragged nested arrays (expected ${Array.isArray(v) ? `${shape[depth]} items` : 'an array'} at depth ${depth}, as the first one has)`);
    }
    if (depth < last) {
      for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
      return;
    }
    // the innermost arrays: numbers, read in a loop (no call per value)
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'number') throw new InputError('wrong_kind', `${what}${path}[${i}]: expected a number, got ${x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x}`);
      values[p++] = x;
    }
  };
  walk(value, 0, '');
  return { shape, values };
}

function slice(values: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  const typed = values as Float32Array;
  return typeof typed.subarray === 'function' ? typed.subarray(start, end) : Array.prototype.slice.call(values, start, end);
}

/** How many items of `spec` a tensor of `shape` holds (1 or a batch), or −1 when the shape does not fit. */
function itemsOf(spec: TensorSpec, shape: readonly number[], shorterSequences: boolean): number {
  const s = spec.shape;
  const itemSize = size(s);
  if (sameShape(shape, s, 0)) return 1;
  if (shape.length === s.length + 1 && sameShape(shape, s, 1)) return shape[0];
  if (s.length > 1 && shape.length === 1 && shape[0] === itemSize) return 1;
  if (s.length > 1 && shape.length === 2 && shape[1] === itemSize) return shape[0];
  if (shorterSequences && s.length === 1) {
    if (shape.length === 1 && shape[0] <= s[0]) return 1;
    if (shape.length === 2 && shape[1] <= s[0]) return shape[0];
  }
  return -1;
}

function expected(spec: TensorSpec, shorterSequences: boolean): string {
  const s = spec.shape;
  const flat = s.length > 1 ? `, or ${size(s)} flat values` : '';
  const shorter = shorterSequences && s.length === 1 ? ` (up to ${s[0]} token ids; shorter is padded)` : '';
  return `shape ${shapeText(s)}${shorter} ${spec.dtype} (or [N,${s.join(',')}] for a batch of N${flat})`;
}

/**
 * Binds the given tensors to the model's inputs: by name when they are named (every
 * input once), else in the model's order. Each tensor's shape is the model input's
 * shape (one item), or that shape with a leading batch axis N; a flat array of the
 * input's size is one item. Token-id inputs of single-input models may be shorter
 * (padded by the engine). Every input must hold the same number of items, at most maxBatch.
 */
export function bindInputs(model: Model, given: readonly GivenTensor[], maxBatch: number): BoundInputs {
  const specs = inputSpecs(model);
  const shorter = specs.length === 1 && model.inputKind === 'tokens';
  const names = specs.map((s) => `'${s.name}'`).join(', ');
  if (given.length === 0) throw new InputError('wrong_kind', `no input tensor given: the model takes ${specs.length === 1 ? 'one input' : `inputs ${names}`}`);
  const named = given.filter((t) => t.name !== undefined).length;
  if (named !== 0 && named !== given.length) throw new InputError('wrong_kind', 'name every input tensor or none');
  if (given.length !== specs.length) {
    throw new InputError('wrong_kind', `got ${given.length} input tensors; the model takes ${specs.length}: ${names}`);
  }
  const ordered: GivenTensor[] = new Array(specs.length);
  for (let k = 0; k < specs.length; k++) {
    const t = named === 0 ? given[k] : given.find((g) => g.name === specs[k].name);
    if (t === undefined) {
      const unknown = given.find((g) => !specs.some((s) => s.name === g.name));
      throw new InputError('wrong_kind', unknown !== undefined ? `the model has no input '${unknown.name}': its inputs are ${names}` : `input '${specs[k].name}' is missing`);
    }
    ordered[k] = t;
  }
  let count = -1;
  for (let k = 0; k < specs.length; k++) {
    const t = ordered[k];
    const spec = specs[k];
    const shape = t.shape !== undefined && t.shape.length > 0 ? t.shape : [t.values.length];
    const what = specs.length === 1 ? 'input' : `input '${spec.name}'`;
    const n = itemsOf(spec, shape, shorter);
    if (n < 0) throw new InputError('wrong_shape', `${what}: expected ${expected(spec, shorter)}; got shape ${shapeText(shape)}`);
    if (size(shape) !== t.values.length) {
      throw new InputError('wrong_length', `${what}: shape ${shapeText(shape)} needs ${size(shape)} values; got ${t.values.length}`);
    }
    if (n === 0) throw new InputError('wrong_length', `${what}: empty batch`);
    if (n > maxBatch) throw new InputError('wrong_length', `${what}: batch of ${n} items is over the limit of ${maxBatch}`);
    if (count >= 0 && n !== count) throw new InputError('wrong_shape', `${what} holds ${n} items, the first input ${count}: every input needs the same batch size`);
    count = n;
  }
  const items: ArrayLike<number>[][] = new Array(count);
  for (let i = 0; i < count; i++) {
    const row: ArrayLike<number>[] = new Array(specs.length);
    for (let k = 0; k < specs.length; k++) {
      const values = ordered[k].values;
      const per = values.length / count;
      row[k] = count === 1 ? values : slice(values, i * per, (i + 1) * per);
    }
    items[i] = row;
  }
  return { count, items };
}

/** Scores of every bound item, item i at [i*outputSize, (i+1)*outputSize) of `out` (allocated when not given). */
export function predictBound(model: Model, bound: BoundInputs, out?: Float32Array): Float32Array {
  const width = model.outputSize;
  const result = out ?? new Float32Array(bound.count * width);
  // one input: predictTokens (shorter sequences padded, non-integer ids refused) or predictVector; several: predictInputs
  const several = inputSpecs(model).length > 1;
  for (let i = 0; i < bound.count; i++) {
    const row = bound.items[i];
    const scores = several
      ? model.predictInputs(row)
      : model.inputKind === 'tokens'
        ? model.predictTokens(row[0])
        : model.predictVector(row[0]);
    result.set(scores, i * width);
  }
  return result;
}

/**
 * Raw values (a file or a request body of little-endian numbers) as tensors: with a shape,
 * one tensor of it (models of one input); without, whole items of the input (several: a
 * batch), or for a model of several inputs one item of each, concatenated in its order.
 * `bytesPer` (4 for float32, 1 for uint8) only words the error.
 */
export function rawTensors(model: Model, values: ArrayLike<number>, shape: readonly number[] | undefined, dtype: string, bytesPer: number): GivenTensor[] {
  const specs = inputSpecs(model);
  const described = specs.map((s) => `${s.name} ${shapeText(s.shape)}`).join(', ');
  if (shape !== undefined) {
    if (specs.length > 1) throw new InputError('wrong_shape', `a shape is for a model of one input; this one takes ${described}: send one item of each, concatenated in that order`);
    return [{ shape, values }];
  }
  const sizes = specs.map((s) => size(s.shape));
  const itemValues = sizes.reduce((a, b) => a + b, 0);
  if (specs.length === 1) {
    const n = values.length / itemValues;
    if (values.length === 0 || !Number.isInteger(n)) {
      throw new InputError('wrong_length', `the model takes ${dtype} input of shape ${shapeText(specs[0].shape)}: ${itemValues} values (${itemValues * bytesPer} bytes) per item; got ${values.length * bytesPer} bytes`);
    }
    return [{ shape: n === 1 ? specs[0].shape : [n, ...specs[0].shape], values }];
  }
  if (values.length !== itemValues) {
    throw new InputError('wrong_length', `the model takes ${described}: ${itemValues} ${dtype} values (${itemValues * bytesPer} bytes) concatenated in that order; got ${values.length * bytesPer} bytes`);
  }
  const tensors: GivenTensor[] = [];
  let at = 0;
  for (let k = 0; k < specs.length; k++) {
    tensors.push({ shape: specs[k].shape, values: slice(values, at, at + sizes[k]) });
    at += sizes[k];
  }
  return tensors;
}

/** The output of a batch of `count` rows of `size` values: the caller's buffer (checked long enough) or a new one. */
export function batchOutput(count: number, size: number, out: Float32Array | undefined): Float32Array {
  var needed = count * size;
  if (out === undefined) return new Float32Array(needed);
  if (out.length < needed) throw new InputError('wrong_length', `output buffer of ${out.length} is shorter than ${count} × ${size}`);
  return out;
}
