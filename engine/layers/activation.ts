// Activation layers (Keras ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU with their
// options). A plain Softmax(axis -1), ELU(alpha 1) or ReLU without options is stored
// by the converter as the core `activation` kind; these kinds carry the parameters.
//
//   code 50 relu_layer        params [maxValue (-1: none), negativeSlope, threshold]
//                             f(x) = min(x, maxValue) for x ≥ threshold, else negativeSlope·(x − threshold)
//   code 51 leaky_relu        params [alpha]            f(x) = x ≥ 0 ? x : alpha·x
//   code 52 prelu             tensor alpha of the input's rank, each dim 1 (a Keras shared axis,
//                             broadcast) or the input's; files before the broadcast store it
//                             expanded to the input shape. f(x) = x ≥ 0 ? x : alpha[i]·x
//   code 53 elu_layer         params [alpha]            f(x) = x > 0 ? x : alpha·(exp(x) − 1)
//   code 54 thresholded_relu  params [theta]            f(x) = x > theta ? x : 0
// Every kind keeps the input shape.

import type { ParsedLayer, ParsedTensor } from '../format.ts';
import { tensorFloat32 } from '../format.ts';
import { expectCounts, expectDType, expectShape, fail } from './checks.ts';
import type { LayerKindSpec, PrepareContext, PreparedLayer } from './family.ts';

function finiteParams(layer: ParsedLayer, where: string): void {
  for (const value of layer.params) if (!Number.isFinite(value)) fail('bad_layer', `${where}: param ${value} is not finite`);
}

function elementwise(code: number, name: string, paramCount: number, run: (params: readonly number[], size: number) => PreparedLayer['run']): LayerKindSpec {
  return {
    code,
    name,
    outputShape(layer: ParsedLayer, input: readonly number[], tensors: readonly ParsedTensor[], where: string): number[] {
      expectCounts(layer, tensors, 0, paramCount, where);
      finiteParams(layer, where);
      return input.slice();
    },
    prepare({ layer }: PrepareContext): PreparedLayer {
      let size = 1;
      for (const dim of layer.inputShape) size *= dim;
      return { run: run(layer.params, size) };
    },
  };
}

export const RELU_LAYER = elementwise(50, 'relu_layer', 3, (params, size) => {
  const maxValue = params[0] < 0 ? Infinity : params[0];
  const slope = params[1];
  const threshold = params[2];
  return (source, target) => {
    var n = size | 0;
    var i = 0;
    var x = 0.0;
    for (i = 0; i < n; i = (i + 1) | 0) {
      x = source[i];
      target[i] = x >= threshold ? (x > maxValue ? maxValue : x) : slope * (x - threshold);
    }
  };
});

export const LEAKY_RELU = elementwise(51, 'leaky_relu', 1, (params, size) => {
  const alpha = params[0];
  return (source, target) => {
    var n = size | 0;
    var i = 0;
    var x = 0.0;
    for (i = 0; i < n; i = (i + 1) | 0) {
      x = source[i];
      target[i] = x < 0 ? alpha * x : x;
    }
  };
});

export const ELU_LAYER = elementwise(53, 'elu_layer', 1, (params, size) => {
  const alpha = params[0];
  return (source, target) => {
    var n = size | 0;
    var i = 0;
    var x = 0.0;
    for (i = 0; i < n; i = (i + 1) | 0) {
      x = source[i];
      target[i] = x > 0 ? x : alpha * (Math.exp(x) - 1);
    }
  };
});

export const THRESHOLDED_RELU = elementwise(54, 'thresholded_relu', 1, (params, size) => {
  const theta = params[0];
  return (source, target) => {
    var n = size | 0;
    var i = 0;
    var x = 0.0;
    for (i = 0; i < n; i = (i + 1) | 0) {
      x = source[i];
      target[i] = x > theta ? x : 0;
    }
  };
});

/**
 * alpha (of shape `alphaShape`, dims 1 or the input's) expanded to `input`'s shape: the value
 * alpha reads for each flat input index.
 */
export function expandBroadcast(alpha: Float32Array, alphaShape: readonly number[], input: readonly number[]): Float32Array {
  const size = input.reduce((x, y) => x * y, 1);
  const full = new Float32Array(size);
  const strides = alphaShape.map((_, axis) => alphaShape.slice(axis + 1).reduce((x, y) => x * y, 1));
  for (let i = 0; i < size; ++i) {
    let rest = i;
    let source = 0;
    for (let axis = input.length - 1; axis >= 0; --axis) {
      const coordinate = rest % input[axis];
      rest = Math.floor(rest / input[axis]);
      if (alphaShape[axis] !== 1) source += coordinate * strides[axis];
    }
    full[i] = alpha[source];
  }
  return full;
}

export const PRELU: LayerKindSpec = {
  code: 52,
  name: 'prelu',
  outputShape(layer, input, tensors, where) {
    const [alpha] = expectCounts(layer, tensors, 1, 0, where);
    if (alpha.shape.length !== input.length || alpha.shape.some((dim, axis) => dim !== 1 && dim !== input[axis])) {
      fail('bad_shape', `${where}: tensor '${alpha.name}' has shape [${alpha.shape}]; each dim must be 1 or the input's [${input}]`);
    }
    expectDType(alpha, null, where);
    return input.slice();
  },
  prepare({ file, layer }) {
    const tensor = file.tensors[layer.tensors[0]];
    const input = layer.inputShape;
    const stored = tensorFloat32(file, layer.tensors[0]);
    // 1s on leading axes only (Keras shared_axes [1, 2] of [H, W, C]): alpha repeats every `period` values
    const firstKept = tensor.shape.findIndex((dim) => dim !== 1);
    const trailing = firstKept === -1 || tensor.shape.slice(firstKept).every((dim, k) => dim === input[firstKept + k]);
    const alpha = trailing ? stored : expandBroadcast(stored, tensor.shape, input);
    const period = alpha.length;
    const size = input.reduce((x, y) => x * y, 1);
    return {
      run(source, target) {
        var n = size | 0;
        var p = period | 0;
        var i = 0;
        var j = 0;
        var x = 0.0;
        for (i = 0; i < n; i = (i + 1) | 0) {
          x = source[i];
          target[i] = x < 0 ? alpha[j] * x : x;
          j = (j + 1) | 0;
          if (j === p) j = 0;
        }
      },
    };
  },
};

export const ACTIVATION_KINDS: readonly LayerKindSpec[] = [RELU_LAYER, LEAKY_RELU, PRELU, ELU_LAYER, THRESHOLDED_RELU];
