// Normalization family (Keras Normalization, LayerNormalization, Rescaling; the core
// `batch_normalization` kind 7 stays in engine/format.ts). The per-axis layers view
// their input as [outer, P, inner]: P = the product of the input axes [a, b), the
// block the layer's vectors run along, inner = the product of the axes after it.
//
//   code 80 normalization        tensors mean, variance, each of shape input[a..b) ([1] when a = b)
//                                params [a, b, invert]
//                                y = (x − mean[p]) / max(√variance[p], 1e-7)   (Keras's epsilon)
//                                invert: y = mean[p] + x · max(√variance[p], 1e-7)
//   code 81 layer_normalization  tensors gamma, beta, each of shape input[a..b)
//                                params [a, b, epsilon]; for each (outer, inner) position
//                                mean μ and variance σ² over the block,
//                                y = (x − μ) / √(σ² + epsilon) · gamma[p] + beta[p]
//   code 82 rescaling            tensors scale, offset, each [P] with P = 1 or the last dim
//                                y = x · scale[i mod P] + offset[i mod P]
//   code 83 scale_shift          tensors scale, shift, each of shape input[a..b); params [a, b]
//                                y = x · scale[p] + shift[p]: a BatchNormalization on an axis
//                                other than the last (channels_first), folded by the converter
// Vectors are float32 or float16 (decoded at load). Every kind keeps the input shape.

import type { ParsedLayer, ParsedTensor } from '../format.ts';
import { tensorFloat32 } from '../format.ts';
import { expectCounts, expectDType, expectShape, fail, intParam, product } from './checks.ts';
import type { LayerKindSpec, PreparedLayer } from './family.ts';

/** Keras's backend epsilon, the floor of Normalization's standard deviation. */
export const NORMALIZATION_EPSILON = 1e-7;

interface Block {
  outer: number;
  size: number;
  inner: number;
}

/** Checks params a, b (the axes block) and the vectors' shape; returns the [outer, P, inner] view. */
function axesBlock(layer: ParsedLayer, input: readonly number[], vectors: readonly ParsedTensor[], where: string): Block {
  const a = intParam(layer, 0, 0, input.length, 'first axis', where);
  const b = intParam(layer, 1, a, input.length, 'end axis', where);
  const dims = input.slice(a, b);
  for (const vector of vectors) {
    expectShape(vector, dims.length === 0 ? [1] : dims, where);
    expectDType(vector, null, where);
  }
  return { outer: product(input.slice(0, a)), size: product(dims), inner: product(input.slice(b)) };
}

function blockOf(layer: ParsedLayer): Block {
  const input = layer.inputShape;
  const [a, b] = layer.params;
  return { outer: product(input.slice(0, a)), size: product(input.slice(a, b)), inner: product(input.slice(b)) };
}

export const NORMALIZATION: LayerKindSpec = {
  code: 80,
  name: 'normalization',
  outputShape(layer, input, tensors, where) {
    const vectors = expectCounts(layer, tensors, 2, 3, where);
    axesBlock(layer, input, vectors, where);
    intParam(layer, 2, 0, 1, 'invert', where);
    return input.slice();
  },
  prepare({ file, layer }): PreparedLayer {
    const { outer, size, inner } = blockOf(layer);
    const invert = layer.params[2] === 1;
    const mean = tensorFloat32(file, layer.tensors[0]);
    const variance = tensorFloat32(file, layer.tensors[1]);
    // the denominator as Keras computes it, once at load
    const deviation = new Float32Array(size);
    for (let p = 0; p < size; p++) deviation[p] = Math.max(Math.sqrt(variance[p]), NORMALIZATION_EPSILON);
    return {
      run(source, target) {
        var O = outer | 0;
        var P = size | 0;
        var I = inner | 0;
        var o = 0, p = 0, j = 0, t = 0;
        var m = 0.0, d = 0.0;
        for (o = 0; o < O; o = (o + 1) | 0) {
          for (p = 0; p < P; p = (p + 1) | 0) {
            m = mean[p];
            d = deviation[p];
            if (invert) {
              for (j = 0; j < I; j = (j + 1) | 0) {
                target[t] = m + source[t] * d;
                t = (t + 1) | 0;
              }
            } else {
              for (j = 0; j < I; j = (j + 1) | 0) {
                target[t] = (source[t] - m) / d;
                t = (t + 1) | 0;
              }
            }
          }
        }
      },
    };
  },
};

export const LAYER_NORMALIZATION: LayerKindSpec = {
  code: 81,
  name: 'layer_normalization',
  outputShape(layer, input, tensors, where) {
    const vectors = expectCounts(layer, tensors, 2, 3, where);
    axesBlock(layer, input, vectors, where);
    if (layer.params[0] === layer.params[1]) fail('bad_layer', `${where}: normalizes over no axis`);
    if (!Number.isFinite(layer.params[2]) || layer.params[2] < 0) fail('bad_layer', `${where}: epsilon ${layer.params[2]} must be finite and ≥ 0`);
    return input.slice();
  },
  prepare({ file, layer }): PreparedLayer {
    const { outer, size, inner } = blockOf(layer);
    const epsilon = layer.params[2];
    const gamma = tensorFloat32(file, layer.tensors[0]);
    const beta = tensorFloat32(file, layer.tensors[1]);
    return {
      run(source, target) {
        var O = outer | 0;
        var P = size | 0;
        var I = inner | 0;
        var o = 0, p = 0, j = 0, at = 0, base = 0;
        var sum = 0.0, mean = 0.0, diff = 0.0, scale = 0.0;
        for (o = 0; o < O; o = (o + 1) | 0) {
          base = (o * P * I) | 0;
          for (j = 0; j < I; j = (j + 1) | 0) {
            // two passes over the block (as TF's moments): the mean, then the mean squared deviation
            sum = 0.0;
            for (p = 0, at = (base + j) | 0; p < P; p = (p + 1) | 0, at = (at + I) | 0) sum += source[at];
            mean = sum / P;
            sum = 0.0;
            for (p = 0, at = (base + j) | 0; p < P; p = (p + 1) | 0, at = (at + I) | 0) {
              diff = source[at] - mean;
              sum += diff * diff;
            }
            scale = 1 / Math.sqrt(sum / P + epsilon);
            for (p = 0, at = (base + j) | 0; p < P; p = (p + 1) | 0, at = (at + I) | 0) target[at] = (source[at] - mean) * scale * gamma[p] + beta[p];
          }
        }
      },
    };
  },
};

export const RESCALING: LayerKindSpec = {
  code: 82,
  name: 'rescaling',
  outputShape(layer, input, tensors, where) {
    const vectors = expectCounts(layer, tensors, 2, 0, where);
    const width = vectors[0].size;
    if (width !== 1 && width !== input[input.length - 1]) fail('bad_shape', `${where}: scale has ${width} values; it must have 1 or ${input[input.length - 1]} (the last dim)`);
    for (const vector of vectors) {
      expectShape(vector, [width], where);
      expectDType(vector, null, where);
    }
    return input.slice();
  },
  prepare({ file, layer }): PreparedLayer {
    const scale = tensorFloat32(file, layer.tensors[0]);
    const offset = tensorFloat32(file, layer.tensors[1]);
    const count = product(layer.inputShape);
    const width = scale.length;
    return {
      run(source, target) {
        var n = count | 0;
        var P = width | 0;
        var i = 0, p = 0;
        for (i = 0; i < n; i = (i + 1) | 0) {
          target[i] = source[i] * scale[p] + offset[p];
          p = (p + 1) | 0;
          if (p === P) p = 0;
        }
      },
    };
  },
};

export const SCALE_SHIFT: LayerKindSpec = {
  code: 83,
  name: 'scale_shift',
  outputShape(layer, input, tensors, where) {
    axesBlock(layer, input, expectCounts(layer, tensors, 2, 2, where), where);
    return input.slice();
  },
  prepare({ file, layer }): PreparedLayer {
    const { outer, size, inner } = blockOf(layer);
    const scale = tensorFloat32(file, layer.tensors[0]);
    const shift = tensorFloat32(file, layer.tensors[1]);
    return {
      run(source, target) {
        var O = outer | 0;
        var P = size | 0;
        var I = inner | 0;
        var o = 0, p = 0, j = 0, t = 0;
        var k = 0.0, c = 0.0;
        for (o = 0; o < O; o = (o + 1) | 0) {
          for (p = 0; p < P; p = (p + 1) | 0) {
            k = scale[p];
            c = shift[p];
            for (j = 0; j < I; j = (j + 1) | 0) {
              target[t] = source[t] * k + c;
              t = (t + 1) | 0;
            }
          }
        }
      },
    };
  },
};

export const NORMALIZATION_KINDS: readonly LayerKindSpec[] = [NORMALIZATION, LAYER_NORMALIZATION, RESCALING, SCALE_SHIFT];
