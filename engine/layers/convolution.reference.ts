// Plain reference of engine/layers/convolution.ts's kernels, for the tests: N-D loops
// over the unpadded input with explicit bounds checks, in doubles.

/** Row-major index of `position` in `dims`. */
export function indexOf(position: readonly number[], dims: readonly number[]): number {
  let index = 0;
  for (let a = 0; a < dims.length; a++) index = index * dims[a] + position[a];
  return index;
}

/** Every position of `dims`, row-major. */
export function positions(dims: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const dim of dims) out = out.flatMap((prefix) => Array.from({ length: dim }, (_, i) => [...prefix, i]));
  return out;
}

/**
 * Grouped convolution as engine/layers/convolution.ts documents it: input [...spatial, inC],
 * kernel [outC, ...k, inC/groups] (float values), params stride/dilation/padBefore/padAfter × r.
 */
export function referenceConvolution(
  input: Float32Array,
  inputShape: readonly number[],
  kernel: Float32Array,
  kernelShape: readonly number[],
  bias: Float32Array | null,
  params: readonly number[],
): { output: Float32Array; shape: number[] } {
  const rank = inputShape.length - 1;
  const at = (group: number): number[] => params.slice(group * rank, group * rank + rank);
  const [strides, dilations, padBefore, padAfter] = [at(0), at(1), at(2), at(3)];
  const inDims = inputShape.slice(0, rank);
  const inC = inputShape[rank];
  const outC = kernelShape[0];
  const kDims = kernelShape.slice(1, rank + 1);
  const groupIn = kernelShape[rank + 1];
  const groupOut = outC / (inC / groupIn);
  const outDims = inDims.map((n, a) => Math.floor((n + padBefore[a] + padAfter[a] - dilations[a] * (kDims[a] - 1) - 1) / strides[a]) + 1);
  const output = new Float32Array(outDims.reduce((x, y) => x * y, 1) * outC);
  const taps = positions(kDims);
  for (const out of positions(outDims)) {
    for (let o = 0; o < outC; o++) {
      const firstChannel = Math.floor(o / groupOut) * groupIn;
      let sum = 0;
      for (const tap of taps) {
        const source = out.map((q, a) => q * strides[a] + tap[a] * dilations[a] - padBefore[a]);
        if (source.some((s, a) => s < 0 || s >= inDims[a])) continue;
        const x = indexOf(source, inDims) * inC + firstChannel;
        const w = (o * taps.length + indexOf(tap, kDims)) * groupIn;
        for (let i = 0; i < groupIn; i++) sum += input[x + i] * kernel[w + i];
      }
      output[indexOf(out, outDims) * outC + o] = sum + (bias ? bias[o] : 0);
    }
  }
  return { output, shape: [...outDims, outC] };
}

/** Transposed 2-D convolution: kernel [outC, kh, kw, inC], params stride × 2, dilation × 2, cropBefore × 2, outSize × 2. */
export function referenceConvolutionTranspose(
  input: Float32Array,
  inputShape: readonly number[],
  kernel: Float32Array,
  kernelShape: readonly number[],
  bias: Float32Array | null,
  params: readonly number[],
): { output: Float32Array; shape: number[] } {
  const [H, W, C] = inputShape;
  const [outC, kh, kw] = kernelShape;
  const [sh, sw, dh, dw, top, left, OH, OW] = params;
  const output = new Float32Array(OH * OW * outC);
  for (let y = 0; y < OH; y++) {
    for (let x = 0; x < OW; x++) {
      for (let o = 0; o < outC; o++) {
        let sum = 0;
        // output (y, x) gathers input (iy, ix) through tap (a, b) where iy·sh + a·dh = y + top
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const ny = y + top - a * dh;
            const nx = x + left - b * dw;
            if (ny < 0 || nx < 0 || ny % sh !== 0 || nx % sw !== 0) continue;
            const iy = ny / sh;
            const ix = nx / sw;
            if (iy >= H || ix >= W) continue;
            for (let i = 0; i < C; i++) sum += input[(iy * W + ix) * C + i] * kernel[((o * kh + a) * kw + b) * C + i];
          }
        }
        output[(y * OW + x) * outC + o] = sum + (bias ? bias[o] : 0);
      }
    }
  }
  return { output, shape: [OH, OW, outC] };
}
