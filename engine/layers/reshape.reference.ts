// Plain references of engine/layers/reshape.ts's kernels, for the tests.

/** Transposes row-major `input` of `shape`: output axis i is input axis order[i]. */
export function permuteReference(input: readonly number[], shape: readonly number[], order: readonly number[]): number[] {
  const outShape = order.map((axis) => shape[axis]);
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  const size = shape.reduce((a, b) => a * b, 1);
  const output: number[] = [];
  for (let i = 0; i < size; i++) {
    let rest = i;
    let from = 0;
    for (let k = outShape.length - 1; k >= 0; k--) {
      from += (rest % outShape[k]) * strides[order[k]];
      rest = Math.floor(rest / outShape[k]);
    }
    output.push(input[from]);
  }
  return output;
}

export function repeatVectorReference(input: readonly number[], n: number): number[] {
  const output: number[] = [];
  for (let r = 0; r < n; r++) output.push(...input);
  return output;
}
