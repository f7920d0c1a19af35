// Plain references of engine/layers/merge.ts's kernels, for the tests: values are
// row-major arrays of the given shapes (no batch dimension), in doubles.

import { product } from './checks.ts';

export type MergeOp = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

function broadcastShapeOf(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((shape) => shape.length));
  const padded = shapes.map((shape) => [...new Array<number>(rank - shape.length).fill(1), ...shape]);
  return Array.from({ length: rank }, (_, axis) => Math.max(...padded.map((shape) => shape[axis])));
}

/** The value of `values` (shape `shape`) at output coordinates `at`, right-aligned, size-1 axes repeated. */
function valueAt(values: readonly number[], shape: readonly number[], at: readonly number[]): number {
  const lead = at.length - shape.length;
  let offset = 0;
  for (let axis = 0; axis < shape.length; axis++) offset = offset * shape[axis] + (shape[axis] === 1 ? 0 : at[lead + axis]);
  return values[offset];
}

function coordinates(index: number, shape: readonly number[]): number[] {
  const at = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    at[axis] = index % shape[axis];
    index = Math.floor(index / shape[axis]);
  }
  return at;
}

export function elementwiseReference(op: MergeOp, inputs: readonly (readonly number[])[], shapes: readonly (readonly number[])[]): { shape: number[]; values: number[] } {
  const shape = broadcastShapeOf(shapes);
  const values = Array.from({ length: product(shape) }, (_, i) => {
    const at = coordinates(i, shape);
    const xs = inputs.map((input, k) => valueAt(input, shapes[k], at));
    switch (op) {
      case 'add':
        return xs.reduce((a, b) => a + b);
      case 'subtract':
        return xs[0] - xs[1];
      case 'multiply':
        return xs.reduce((a, b) => a * b);
      case 'average':
        return xs.reduce((a, b) => a + b) / xs.length;
      case 'maximum':
        return Math.max(...xs);
      case 'minimum':
        return Math.min(...xs);
    }
  });
  return { shape, values };
}

export function concatenateReference(inputs: readonly (readonly number[])[], shapes: readonly (readonly number[])[], axis: number): { shape: number[]; values: number[] } {
  const shape = shapes[0].slice();
  shape[axis] = shapes.reduce((sum, s) => sum + s[axis], 0);
  const values = Array.from({ length: product(shape) }, (_, i) => {
    const at = coordinates(i, shape);
    let k = 0;
    while (at[axis] >= shapes[k][axis]) at[axis] -= shapes[k++][axis];
    return valueAt(inputs[k], shapes[k], at);
  });
  return { shape, values };
}

export function dotReference(
  x: readonly number[],
  xShape: readonly number[],
  y: readonly number[],
  yShape: readonly number[],
  axes: readonly [number, number],
  normalize: boolean,
): { shape: number[]; values: number[] } {
  const normalized = (values: readonly number[], shape: readonly number[], axis: number): number[] =>
    values.map((value, i) => {
      const at = coordinates(i, shape);
      let sum = 0;
      for (let k = 0; k < shape[axis]; k++) {
        at[axis] = k;
        const v = valueAt(values, shape, at);
        sum += v * v;
      }
      return value / Math.sqrt(Math.max(sum, 1e-7));
    });
  const xs = normalize ? normalized(x, xShape, axes[0]) : x;
  const ys = normalize ? normalized(y, yShape, axes[1]) : y;
  const xOther = xShape.filter((_, i) => i !== axes[0]);
  const yOther = yShape.filter((_, i) => i !== axes[1]);
  const shape = [...xOther, ...yOther];
  const values: number[] = [];
  for (let p = 0; p < product(xOther); p++) {
    for (let q = 0; q < product(yOther); q++) {
      let sum = 0;
      for (let k = 0; k < xShape[axes[0]]; k++) {
        const xAt = xOther.length ? [p] : [];
        xAt.splice(axes[0], 0, k);
        const yAt = yOther.length ? [q] : [];
        yAt.splice(axes[1], 0, k);
        sum += valueAt(xs, xShape, xAt) * valueAt(ys, yShape, yAt);
      }
      values.push(sum);
    }
  }
  return { shape: shape.length === 0 ? [1] : shape, values };
}
