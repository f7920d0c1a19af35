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

/** Bilinear up-sampling of [H, W, C] by [sizeH, sizeW] as TF.js's resizeBilinear (alignCorners, halfPixelCenters false). */
export function referenceUpSamplingBilinear(input: Float32Array, inputShape: readonly number[], size: readonly number[]): { output: Float32Array; shape: number[] } {
  const [H, W, C] = inputShape;
  const [OH, OW] = [H * size[0], W * size[1]];
  const at = (y: number, x: number, c: number): number => input[(y * W + x) * C + c];
  const output = new Float32Array(OH * OW * C);
  for (let r = 0; r < OH; r++) {
    const y = (H / OH) * r;
    const y0 = Math.max(0, Math.floor(y));
    const y1 = Math.min(H - 1, Math.ceil(y));
    for (let q = 0; q < OW; q++) {
      const x = (W / OW) * q;
      const x0 = Math.max(0, Math.floor(x));
      const x1 = Math.min(W - 1, Math.ceil(x));
      for (let c = 0; c < C; c++) {
        const top = at(y0, x0, c) + (at(y0, x1, c) - at(y0, x0, c)) * (x - x0);
        const bottom = at(y1, x0, c) + (at(y1, x1, c) - at(y1, x0, c)) * (x - x0);
        output[(r * OW + q) * C + c] = top + (bottom - top) * (y - y0);
      }
    }
  }
  return { output, shape: [OH, OW, C] };
}
