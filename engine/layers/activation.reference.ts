// Plain references of engine/layers/activation.ts's kernels, for the tests.

export function reluLayerReference(input: readonly number[], maxValue: number | null, negativeSlope: number, threshold: number): number[] {
  return input.map((x) => (x >= threshold ? Math.min(x, maxValue ?? Infinity) : negativeSlope * (x - threshold)));
}

export function leakyReluReference(input: readonly number[], alpha: number): number[] {
  return input.map((x) => (x < 0 ? alpha * x : x));
}

export function preluReference(input: readonly number[], alpha: readonly number[]): number[] {
  return input.map((x, i) => (x < 0 ? alpha[i] * x : x));
}

export function eluReference(input: readonly number[], alpha: number): number[] {
  return input.map((x) => (x > 0 ? x : alpha * Math.expm1(x)));
}

export function thresholdedReluReference(input: readonly number[], theta: number): number[] {
  return input.map((x) => (x > theta ? x : 0));
}
