// Plain references of engine/layers/normalization.ts's kernels (Keras's formulas, in
// doubles), for the tests. `shape` is the input shape, [a, b) the axes the vectors run along.

function view(shape: readonly number[], a: number, b: number): { outer: number; size: number; inner: number } {
  const prod = (dims: readonly number[]) => dims.reduce((x, y) => x * y, 1);
  return { outer: prod(shape.slice(0, a)), size: prod(shape.slice(a, b)), inner: prod(shape.slice(b)) };
}

/** Keras Normalization: (x − mean) / max(√variance, 1e-7), or its inverse. */
export function normalizationReference(input: readonly number[], shape: readonly number[], a: number, b: number, mean: readonly number[], variance: readonly number[], invert = false): number[] {
  const { size, inner } = view(shape, a, b);
  return input.map((x, i) => {
    const p = Math.floor(i / inner) % size;
    const deviation = Math.max(Math.sqrt(variance[p]), 1e-7);
    return invert ? mean[p] + x * deviation : (x - mean[p]) / deviation;
  });
}

/** LayerNormalization over the axes [a, b): (x − μ) / √(σ² + ε) · gamma + beta. */
export function layerNormalizationReference(input: readonly number[], shape: readonly number[], a: number, b: number, epsilon: number, gamma: readonly number[], beta: readonly number[]): number[] {
  const { outer, size, inner } = view(shape, a, b);
  const output = new Array<number>(input.length).fill(0);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (p: number) => (o * size + p) * inner + j;
      let mean = 0;
      for (let p = 0; p < size; p++) mean += input[at(p)] / size;
      let variance = 0;
      for (let p = 0; p < size; p++) variance += (input[at(p)] - mean) ** 2 / size;
      for (let p = 0; p < size; p++) output[at(p)] = ((input[at(p)] - mean) / Math.sqrt(variance + epsilon)) * gamma[p] + beta[p];
    }
  }
  return output;
}

export function rescalingReference(input: readonly number[], scale: readonly number[], offset: readonly number[]): number[] {
  return input.map((x, i) => x * scale[i % scale.length] + offset[i % offset.length]);
}
