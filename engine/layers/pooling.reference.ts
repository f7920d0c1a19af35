// Plain reference of engine/layers/pooling.ts's kernels, for the tests.

import { indexOf, positions } from './convolution.reference.ts';

/** Max or average pooling, params pool/stride/padBefore/padAfter × r; padding is never in a window. */
export function referencePool(input: Float32Array, inputShape: readonly number[], params: readonly number[], average: boolean): { output: Float32Array; shape: number[] } {
  const rank = inputShape.length - 1;
  const at = (group: number): number[] => params.slice(group * rank, group * rank + rank);
  const [poolSize, strides, padBefore, padAfter] = [at(0), at(1), at(2), at(3)];
  const inDims = inputShape.slice(0, rank);
  const C = inputShape[rank];
  const outDims = inDims.map((n, a) => Math.floor((n + padBefore[a] + padAfter[a] - poolSize[a]) / strides[a]) + 1);
  const output = new Float32Array(outDims.reduce((x, y) => x * y, 1) * C);
  for (const out of positions(outDims)) {
    for (let c = 0; c < C; c++) {
      let best = -Infinity;
      let sum = 0;
      let count = 0;
      for (const tap of positions(poolSize)) {
        const source = out.map((q, a) => q * strides[a] + tap[a] - padBefore[a]);
        if (source.some((s, a) => s < 0 || s >= inDims[a])) continue;
        const v = input[indexOf(source, inDims) * C + c];
        best = Math.max(best, v);
        sum += v;
        count++;
      }
      output[indexOf(out, outDims) * C + c] = average ? sum / count : best;
    }
  }
  return { output, shape: [...outDims, C] };
}

/** Global max or average over every spatial position. */
export function referenceGlobalPool(input: Float32Array, inputShape: readonly number[], average: boolean): Float32Array {
  const C = inputShape[inputShape.length - 1];
  const n = input.length / C;
  const output = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let best = -Infinity;
    let sum = 0;
    for (let r = 0; r < n; r++) {
      best = Math.max(best, input[r * C + c]);
      sum += input[r * C + c];
    }
    output[c] = average ? sum / n : best;
  }
  return output;
}
