// Plain, obviously-correct versions of the kernels in kernels.ts, straight from
// the definitions. Not used for predictions: the tests check the fast kernels
// against these. Each returns a new array.

import { ACTIVATION_NAMES, SELU_SCALE, SELU_SCALE_ALPHA, erf, softplus } from './activations.ts';

/** y[r][o] = Σ_k x[r][k] · kernelT[o][k] + bias[o], then the activation per row. */
export function denseReference(
  input: ArrayLike<number>,
  rows: number,
  inputSize: number,
  kernelTransposed: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  units: number,
  activation: number,
): Float32Array {
  const output = new Float32Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < units; o++) {
      let sum = 0;
      for (let k = 0; k < inputSize; k++) sum += input[r * inputSize + k] * kernelTransposed[o * inputSize + k];
      output[r * units + o] = sum + (bias ? bias[o] : 0);
    }
  }
  return activationReference(activation, output, units);
}

/** Dequantizes an int8 tensor: value[r][c] = q[r][c] · scale[r]. */
export function dequantizeInt8Reference(values: Int8Array, scales: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const output = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) output[r * cols + c] = values[r * cols + c] * scales[r];
  return output;
}

/** Dequantizes an int8_cols tensor: value[r][c] = q[r][c] · scale[c]. */
export function dequantizeInt8ColsReference(values: Int8Array, scales: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const output = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) output[r * cols + c] = values[r * cols + c] * scales[c];
  return output;
}

export function embeddingReference(ids: ArrayLike<number>, table: ArrayLike<number>, dim: number): Float32Array {
  const output = new Float32Array(ids.length * dim);
  for (let t = 0; t < ids.length; t++) for (let d = 0; d < dim; d++) output[t * dim + d] = table[ids[t] * dim + d];
  return output;
}

export function globalAveragePoolReference(input: ArrayLike<number>, steps: number, channels: number): Float32Array {
  const output = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let t = 0; t < steps; t++) sum += input[t * channels + c];
    output[c] = sum / steps;
  }
  return output;
}

export function globalMaxPoolReference(input: ArrayLike<number>, steps: number, channels: number): Float32Array {
  const output = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let max = -Infinity;
    for (let t = 0; t < steps; t++) max = Math.max(max, input[t * channels + c]);
    output[c] = max;
  }
  return output;
}

/** Inference batch normalization over the last axis, unfolded: (x − mean)·γ/√(var + ε) + β. */
export function batchNormalizationReference(
  input: ArrayLike<number>,
  channels: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  movingMean: ArrayLike<number>,
  movingVariance: ArrayLike<number>,
  epsilon: number,
): Float32Array {
  const output = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const c = i % channels;
    output[i] = ((input[i] - movingMean[c]) * gamma[c]) / Math.sqrt(movingVariance[c] + epsilon) + beta[c];
  }
  return output;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The activation by its definition, element by element; softmax per row of `rowLength`. */
export function activationReference(code: number, input: ArrayLike<number>, rowLength: number): Float32Array {
  const name = ACTIVATION_NAMES[code];
  const output = Float32Array.from(input);
  if (name === 'softmax') {
    for (let start = 0; start < output.length; start += rowLength) {
      const row = Array.from(output.subarray(start, start + rowLength));
      const max = Math.max(...row);
      const exps = row.map((x) => Math.exp(x - max));
      const total = exps.reduce((a, b) => a + b, 0);
      exps.forEach((e, i) => (output[start + i] = e / total));
    }
    return output;
  }
  const formulas: Record<string, (x: number) => number> = {
    linear: (x: number) => x,
    relu: (x: number) => Math.max(0, x),
    relu6: (x: number) => Math.min(6, Math.max(0, x)),
    elu: (x: number) => (x >= 0 ? x : Math.exp(x) - 1),
    selu: (x: number) => (x >= 0 ? SELU_SCALE * x : SELU_SCALE_ALPHA * (Math.exp(x) - 1)),
    sigmoid,
    hard_sigmoid: (x: number) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
    tanh: Math.tanh,
    softplus,
    softsign: (x: number) => x / (1 + Math.abs(x)),
    swish: (x: number) => x * sigmoid(x),
    gelu: (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  };
  const f = formulas[name];
  for (let i = 0; i < output.length; i++) output[i] = f(output[i]);
  return output;
}
