// Reshape family: layers that move or place values without arithmetic (row-major, no tensors).
//
//   code 70 reshape        params: the output dims (their product = the input's size);
//                          the values are copied unchanged
//   code 71 permute        params: a permutation p of 0..r−1 (r = input rank ≤ MAX_PERMUTE_RANK):
//                          output axis i is input axis p[i]
//   code 72 repeat_vector  params [n]: input [F] → [n, F], the vector n times
//   code 73 category_encoding (below)
//
// Flatten of any rank is the core `flatten` kind (row-major data is already flat);
// Flatten with data_format channels_first is stored as permute (channels last) + flatten.

import { InputError } from '../errors.ts';
import { expectCounts, fail, intParam, product } from './checks.ts';
import type { LayerKindSpec, PreparedLayer } from './family.ts';

/** Largest rank permute runs (Keras inputs have at most 5 axes besides the batch). */
export const MAX_PERMUTE_RANK = 6;

/** Plain copy of `size` values (reshape moves no value). */
function copyRun(size: number): PreparedLayer['run'] {
  return (source, target) => {
    var n = size | 0;
    var i = 0;
    for (i = 0; i < n; i = (i + 1) | 0) target[i] = source[i];
  };
}

export const RESHAPE: LayerKindSpec = {
  code: 70,
  name: 'reshape',
  outputShape(layer, input, tensors, where) {
    expectCounts(layer, tensors, 0, layer.params.length, where);
    if (layer.params.length < 1) fail('bad_layer', `${where}: needs the output dims as params`);
    const output = layer.params.map((_, i) => intParam(layer, i, 1, 2 ** 24, `dim ${i}`, where));
    if (product(output) !== product(input)) fail('bad_shape', `${where}: output [${output}] does not hold the ${product(input)} values of input [${input}]`);
    return output;
  },
  prepare: ({ layer }) => ({ run: copyRun(product(layer.inputShape)) }),
};

/** The permutation of a permute layer, checked against the input rank. */
function permutation(params: readonly number[], rank: number, where: string): number[] {
  if (rank > MAX_PERMUTE_RANK) fail('bad_shape', `${where}: input rank ${rank} is above ${MAX_PERMUTE_RANK}`);
  if (params.length !== rank) fail('bad_layer', `${where}: has ${params.length} params, expected ${rank} (one per input axis)`);
  const seen = new Set<number>();
  for (const axis of params) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank || seen.has(axis)) fail('bad_layer', `${where}: params [${params}] are not a permutation of 0..${rank - 1}`);
    seen.add(axis);
  }
  return params.slice();
}

export const PERMUTE: LayerKindSpec = {
  code: 71,
  name: 'permute',
  outputShape(layer, input, tensors, where) {
    expectCounts(layer, tensors, 0, input.length, where);
    return permutation(layer.params, input.length, where).map((axis) => input[axis]);
  },
  prepare({ layer }) {
    const input = layer.inputShape;
    const order = layer.params;
    // lifted to MAX_PERMUTE_RANK axes with leading size-1 axes; stride[k]: step in the source along output axis k
    const dims: number[] = [];
    const stride: number[] = [];
    for (let k = 0; k < MAX_PERMUTE_RANK - order.length; k++) {
      dims.push(1);
      stride.push(0);
    }
    for (const axis of order) {
      dims.push(input[axis]);
      stride.push(product(input.slice(axis + 1)));
    }
    return {
      run(source, target) {
        var d0 = dims[0] | 0, d1 = dims[1] | 0, d2 = dims[2] | 0, d3 = dims[3] | 0, d4 = dims[4] | 0, d5 = dims[5] | 0;
        var s0 = stride[0] | 0, s1 = stride[1] | 0, s2 = stride[2] | 0, s3 = stride[3] | 0, s4 = stride[4] | 0, s5 = stride[5] | 0;
        var i0 = 0, i1 = 0, i2 = 0, i3 = 0, i4 = 0, i5 = 0;
        var b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, from = 0;
        var t = 0;
        for (i0 = 0; i0 < d0; i0 = (i0 + 1) | 0) {
          b0 = (i0 * s0) | 0;
          for (i1 = 0; i1 < d1; i1 = (i1 + 1) | 0) {
            b1 = (b0 + i1 * s1) | 0;
            for (i2 = 0; i2 < d2; i2 = (i2 + 1) | 0) {
              b2 = (b1 + i2 * s2) | 0;
              for (i3 = 0; i3 < d3; i3 = (i3 + 1) | 0) {
                b3 = (b2 + i3 * s3) | 0;
                for (i4 = 0; i4 < d4; i4 = (i4 + 1) | 0) {
                  b4 = (b3 + i4 * s4) | 0;
                  from = b4;
                  for (i5 = 0; i5 < d5; i5 = (i5 + 1) | 0) {
                    target[t] = source[from];
                    t = (t + 1) | 0;
                    from = (from + s5) | 0;
                  }
                }
              }
            }
          }
        }
      },
    };
  },
};

export const REPEAT_VECTOR: LayerKindSpec = {
  code: 72,
  name: 'repeat_vector',
  outputShape(layer, input, tensors, where) {
    expectCounts(layer, tensors, 0, 1, where);
    if (input.length !== 1) fail('bad_shape', `${where}: needs a vector input [features], got [${input}]`);
    return [intParam(layer, 0, 1, 2 ** 24, 'n', where), input[0]];
  },
  prepare({ layer }) {
    const times = layer.outputShape[0];
    const size = layer.inputShape[0];
    return {
      run(source, target) {
        var n = times | 0;
        var f = size | 0;
        var r = 0;
        var i = 0;
        var t = 0;
        for (r = 0; r < n; r = (r + 1) | 0) {
          for (i = 0; i < f; i = (i + 1) | 0) {
            target[t] = source[i];
            t = (t + 1) | 0;
          }
        }
      },
    };
  },
};

/**
 * code 73 category_encoding  params [numTokens, count]: input [n] of token ids (truncated to
 * integers, as TF.js casts to int32) → [numTokens]: 1 where an id occurs (multi_hot, one_hot),
 * or how often it occurs (count). An id outside [0, numTokens) is an InputError, as in TF.js.
 */
export const CATEGORY_ENCODING: LayerKindSpec = {
  code: 73,
  name: 'category_encoding',
  outputShape(layer, input, tensors, where) {
    expectCounts(layer, tensors, 0, 2, where);
    if (input.length !== 1) fail('bad_shape', `${where}: needs a vector of token ids [n], got [${input}]`);
    intParam(layer, 1, 0, 1, 'count flag', where);
    return [intParam(layer, 0, 1, 2 ** 24, 'numTokens', where)];
  },
  prepare({ layer }) {
    const tokens = layer.outputShape[0];
    const size = layer.inputShape[0];
    const count = layer.params[1] === 1;
    const name = layer.name;
    return {
      run(source, target) {
        var n = size | 0;
        var depth = tokens | 0;
        var i = 0;
        var id = 0;
        for (i = 0; i < depth; i = (i + 1) | 0) target[i] = 0;
        for (i = 0; i < n; i = (i + 1) | 0) {
          id = Math.trunc(source[i]);
          if (!(id >= 0 && id < depth)) throw new InputError('bad_input', `layer '${name}' (CategoryEncoding): input ${i} is ${source[i]}; token ids must be in [0, ${depth})`);
          if (count) target[id] += 1;
          else target[id] = 1;
        }
      },
    };
  },
};

export const RESHAPE_KINDS: readonly LayerKindSpec[] = [RESHAPE, PERMUTE, REPEAT_VECTOR, CATEGORY_ENCODING];
