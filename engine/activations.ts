// Activation functions with TF.js's exact formulas (tfjs-backend-cpu kernels),
// applied in place over a range of a Float32Array.
//
// Written for an interpreter (QuickJS in the canister): one switch per call,
// never per element; `var` loop variables and `| 0` integer bounds.

import { ACTIVATIONS } from './format.ts';

/**
 * Activation names indexed by code: the model file's activation table, defined
 * once in format.ts (the codes below must match its order; a test checks them).
 */
// A re-export (a live binding), not a copy: format.ts loads the layer families, which load this
// module while format.ts is still being evaluated.
export { ACTIVATIONS as ACTIVATION_NAMES } from './format.ts';

export type { ActivationName } from './format.ts';

export const LINEAR = 0;
export const RELU = 1;
export const RELU6 = 2;
export const ELU = 3;
export const SELU = 4;
export const SIGMOID = 5;
export const HARD_SIGMOID = 6;
export const TANH = 7;
export const SOFTMAX = 8;
export const SOFTPLUS = 9;
export const SOFTSIGN = 10;
export const SWISH = 11;
export const GELU = 12;

/** The code of an activation name, or -1 when unknown. */
export function activationCode(name: string): number {
  return (ACTIVATIONS as readonly string[]).indexOf(name);
}

// tfjs-core selu_util.ts
export const SELU_SCALE = 1.0507009873554804934193349852946;
export const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;

// tfjs-backend-cpu Softplus: outside these bounds softplus(x) equals x or exp(x) within float32 epsilon.
const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2.0;

// Abramowitz & Stegun 7.1.26, the approximation tfjs-core's erf kernel uses
// (|error| ≤ 1.5e-7); the same constants keep us bit-close to TF.js's gelu.
const ERF_P = 0.3275911;
const ERF_A1 = 0.254829592;
const ERF_A2 = -0.284496736;
const ERF_A3 = 1.421413741;
const ERF_A4 = -1.453152027;
const ERF_A5 = 1.061405429;

export function erf(x: number): number {
  var v = x < 0 ? -x : x;
  var t = 1.0 / (1.0 + ERF_P * v);
  var y = 1.0 - ((((ERF_A5 * t + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t * Math.exp(-v * v);
  return x < 0 ? -y : x > 0 ? y : 0;
}

export function softplus(x: number): number {
  if (x < SOFTPLUS_THRESHOLD) return Math.exp(x);
  if (x > -SOFTPLUS_THRESHOLD) return x;
  return Math.log(1.0 + Math.exp(x));
}

/** softmax over data[offset, offset + length), with max subtraction so exp never overflows. */
export function softmaxInPlace(data: Float32Array, offset: number, length: number): void {
  var start = offset | 0;
  var end = (offset + length) | 0;
  var i = start;
  var max = -Infinity;
  for (i = start; i < end; i = (i + 1) | 0) if (data[i] > max) max = data[i];
  var sum = 0.0;
  for (i = start; i < end; i = (i + 1) | 0) {
    var e = Math.exp(data[i] - max);
    data[i] = e;
    sum += e;
  }
  var inverse = 1.0 / sum;
  for (i = start; i < end; i = (i + 1) | 0) data[i] = data[i] * inverse;
}

/**
 * Applies an activation in place to `rows` rows of `rowLength` values starting at `offset`.
 * Element-wise activations ignore the row structure; softmax normalizes each row (the last axis).
 */
export function activateRows(code: number, data: Float32Array, offset: number, rows: number, rowLength: number): void {
  if (code === SOFTMAX) {
    var r = 0;
    var rowCount = rows | 0;
    var width = rowLength | 0;
    for (r = 0; r < rowCount; r = (r + 1) | 0) softmaxInPlace(data, (offset + r * width) | 0, width);
    return;
  }
  activateElements(code, data, offset, rows * rowLength);
}

/** Applies an element-wise activation in place to data[offset, offset + length). Softmax treats the range as one row. */
export function activateElements(code: number, data: Float32Array, offset: number, length: number): void {
  var start = offset | 0;
  var end = (offset + length) | 0;
  var i = start;
  var x = 0.0;
  switch (code) {
    case LINEAR:
      return;
    case RELU:
      for (i = start; i < end; i = (i + 1) | 0) if (data[i] < 0) data[i] = 0;
      return;
    case RELU6:
      for (i = start; i < end; i = (i + 1) | 0) {
        x = data[i];
        data[i] = x > 6 ? 6 : x > 0 ? x : 0;
      }
      return;
    case ELU:
      for (i = start; i < end; i = (i + 1) | 0) {
        x = data[i];
        if (x < 0) data[i] = Math.exp(x) - 1;
      }
      return;
    case SELU:
      for (i = start; i < end; i = (i + 1) | 0) {
        x = data[i];
        data[i] = x >= 0 ? SELU_SCALE * x : SELU_SCALE_ALPHA * (Math.exp(x) - 1);
      }
      return;
    case SIGMOID:
      for (i = start; i < end; i = (i + 1) | 0) data[i] = 1 / (1 + Math.exp(-data[i]));
      return;
    case HARD_SIGMOID:
      for (i = start; i < end; i = (i + 1) | 0) {
        x = 0.2 * data[i] + 0.5;
        data[i] = x > 1 ? 1 : x > 0 ? x : 0;
      }
      return;
    case TANH:
      for (i = start; i < end; i = (i + 1) | 0) data[i] = Math.tanh(data[i]);
      return;
    case SOFTMAX:
      softmaxInPlace(data, start, (end - start) | 0);
      return;
    case SOFTPLUS:
      for (i = start; i < end; i = (i + 1) | 0) data[i] = softplus(data[i]);
      return;
    case SOFTSIGN:
      for (i = start; i < end; i = (i + 1) | 0) {
        x = data[i];
        data[i] = x / (1 + (x < 0 ? -x : x));
      }
      return;
    case SWISH:
      for (i = start; i < end; i = (i + 1) | 0) {
        x = data[i];
        data[i] = x / (1 + Math.exp(-x));
      }
      return;
    case GELU:
      for (i = start; i < end; i = (i + 1) | 0) {
        x = data[i];
        data[i] = 0.5 * x * (1 + erf(x * Math.SQRT1_2));
      }
      return;
    default:
      throw new RangeError(`unknown activation code ${code}`);
  }
}
