// Merge layers: several inputs in, one output (Keras Add, Subtract, Multiply, Average,
// Maximum, Minimum, Concatenate, Dot), with TF.js's inference semantics. Shapes are
// without the batch dimension; axes in params count from 0 over those shapes (the
// converter turns Keras's batch-inclusive and negative axes into these).
//
//   code 60 add        ≥ 2 inputs   out = x0 + x1 + …           (in input order, float32 per step)
//   code 61 subtract     2 inputs   out = x0 − x1
//   code 62 multiply   ≥ 2 inputs   out = x0 · x1 · …
//   code 63 average    ≥ 2 inputs   out = (x0 + x1 + …) · f32(1/n)
//   code 64 maximum    ≥ 2 inputs   out = max(x0, x1, …)
//   code 65 minimum    ≥ 2 inputs   out = min(x0, x1, …)
//        The elementwise kinds broadcast as TF.js does: shapes aligned at the right, a
//        missing or size-1 dimension repeats; other sizes must be equal.
//   code 66 concatenate ≥ 2 inputs  params [axis]; inputs of one rank, equal except on axis
//   code 67 dot          2 inputs   params [axis0, axis1, normalize (0/1)]; inputs of rank 1
//        or 2; out[p, q] = Σk x0[p, k] · x1[q, k] over axis0 of x0 and axis1 of x1 (p, q the
//        other axes, output shape = x0's other dims then x1's, [1] when both are rank 1);
//        normalize divides each input by sqrt(max(Σk x², 1e-7)) along its axis first.
// No kind has tensors.

import type { ParsedLayer, ParsedTensor } from '../format.ts';
import { expectCounts, fail, intParam, product } from './checks.ts';
import type { LayerKindSpec, PrepareContext, PreparedLayer } from './family.ts';

const ADD = 0;
const SUBTRACT = 1;
const MULTIPLY = 2;
const AVERAGE = 3;
const MAXIMUM = 4;
const MINIMUM = 5;

/** TF.js's output shape of an elementwise op: right-aligned, 1 (or a missing dim) broadcasts. */
export function broadcastShape(shapes: readonly (readonly number[])[], where: string): number[] {
  let out = shapes[0].slice();
  for (let k = 1; k < shapes.length; k++) {
    const [long, short] = out.length >= shapes[k].length ? [out, shapes[k]] : [shapes[k].slice(), out];
    const lead = long.length - short.length;
    const next = long.slice(0, lead);
    for (let i = 0; i < short.length; i++) {
      const a = long[lead + i];
      const b = short[i];
      if (a !== b && a !== 1 && b !== 1) fail('bad_shape', `${where}: input shapes [${shapes.map((s) => `[${s}]`).join(', ')}] cannot be broadcast together`);
      next.push(a === 1 ? b : a);
    }
    out = next;
  }
  return out;
}

/** For an input of `shape` broadcast to `out`: the input offset of each output index, or null when the shapes are equal. */
function broadcastMap(shape: readonly number[], out: readonly number[]): Int32Array | null {
  if (shape.length === out.length && shape.every((dim, i) => dim === out[i])) return null;
  const lead = out.length - shape.length;
  const strides = out.map(() => 0);
  for (let axis = out.length - 1, stride = 1; axis >= lead; axis--) {
    const dim = shape[axis - lead];
    strides[axis] = dim === 1 ? 0 : stride;
    stride *= dim;
  }
  const map = new Int32Array(product(out));
  for (let i = 0; i < map.length; i++) {
    let rest = i;
    let offset = 0;
    for (let axis = out.length - 1; axis >= 0; axis--) {
      offset += (rest % out[axis]) * strides[axis];
      rest = Math.floor(rest / out[axis]);
    }
    map[i] = offset;
  }
  return map;
}

function inputShapes(layer: ParsedLayer): readonly (readonly number[])[] {
  return layer.inputShapes;
}

function elementwise(code: number, name: string, op: number, maxInputs: number): LayerKindSpec {
  return {
    code,
    name,
    inputCount: { min: 2, max: maxInputs },
    outputShape(layer: ParsedLayer, _input: readonly number[], tensors: readonly ParsedTensor[], where: string): number[] {
      expectCounts(layer, tensors, 0, 0, where);
      return broadcastShape(inputShapes(layer), where);
    },
    prepare({ layer }: PrepareContext): PreparedLayer {
      const out = layer.outputShape;
      const size = product(out);
      const maps = inputShapes(layer).map((shape) => broadcastMap(shape, out));
      const scale = Math.fround(1 / maps.length);
      return {
        run(_source: Float32Array, target: Float32Array, sources: readonly Float32Array[]): void {
          var count = sources.length | 0;
          var k = 0;
          copyInput(target, size, sources[0], maps[0]);
          for (k = 1; k < count; k = (k + 1) | 0) combine(op, target, size, sources[k], maps[k]);
          if (op === AVERAGE) scaleValues(target, size, scale);
        },
      };
    },
  };
}

function copyInput(target: Float32Array, size: number, source: Float32Array, map: Int32Array | null): void {
  var n = size | 0;
  var i = 0;
  if (map === null) for (i = 0; i < n; i = (i + 1) | 0) target[i] = source[i];
  else for (i = 0; i < n; i = (i + 1) | 0) target[i] = source[map[i]];
}

function scaleValues(target: Float32Array, size: number, scale: number): void {
  var n = size | 0;
  var i = 0;
  for (i = 0; i < n; i = (i + 1) | 0) target[i] = target[i] * scale;
}

/** target = target (op) source, elementwise; one loop per op so the inner loop has no branch on it. */
function combine(op: number, target: Float32Array, size: number, source: Float32Array, map: Int32Array | null): void {
  var n = size | 0;
  var i = 0;
  var x = 0.0;
  var y = 0.0;
  if (map === null) {
    if (op === ADD || op === AVERAGE) for (i = 0; i < n; i = (i + 1) | 0) target[i] = target[i] + source[i];
    else if (op === SUBTRACT) for (i = 0; i < n; i = (i + 1) | 0) target[i] = target[i] - source[i];
    else if (op === MULTIPLY) for (i = 0; i < n; i = (i + 1) | 0) target[i] = target[i] * source[i];
    else if (op === MAXIMUM) {
      for (i = 0; i < n; i = (i + 1) | 0) {
        x = target[i];
        y = source[i];
        // NaN wins, as tf.maximum
        target[i] = x > y || x !== x ? x : y;
      }
    } else {
      for (i = 0; i < n; i = (i + 1) | 0) {
        x = target[i];
        y = source[i];
        target[i] = x < y || x !== x ? x : y;
      }
    }
    return;
  }
  for (i = 0; i < n; i = (i + 1) | 0) {
    x = target[i];
    y = source[map[i]];
    if (op === ADD || op === AVERAGE) target[i] = x + y;
    else if (op === SUBTRACT) target[i] = x - y;
    else if (op === MULTIPLY) target[i] = x * y;
    else if (op === MAXIMUM) target[i] = x > y || x !== x ? x : y;
    else target[i] = x < y || x !== x ? x : y;
  }
}

export const ADD_KIND = elementwise(60, 'add', ADD, Infinity);
export const SUBTRACT_KIND = elementwise(61, 'subtract', SUBTRACT, 2);
export const MULTIPLY_KIND = elementwise(62, 'multiply', MULTIPLY, Infinity);
export const AVERAGE_KIND = elementwise(63, 'average', AVERAGE, Infinity);
export const MAXIMUM_KIND = elementwise(64, 'maximum', MAXIMUM, Infinity);
export const MINIMUM_KIND = elementwise(65, 'minimum', MINIMUM, Infinity);

export const CONCATENATE: LayerKindSpec = {
  code: 66,
  name: 'concatenate',
  inputCount: { min: 2, max: Infinity },
  outputShape(layer, input, tensors, where) {
    expectCounts(layer, tensors, 0, 1, where);
    const axis = intParam(layer, 0, 0, input.length - 1, 'axis', where);
    const shapes = inputShapes(layer);
    const out = input.slice();
    out[axis] = 0;
    for (const shape of shapes) {
      if (shape.length !== input.length || shape.some((dim, i) => i !== axis && dim !== input[i])) {
        fail('bad_shape', `${where}: inputs [${shapes.map((s) => `[${s}]`).join(', ')}] must match except on axis ${axis}`);
      }
      out[axis] += shape[axis];
    }
    return out;
  },
  prepare({ layer }) {
    const axis = layer.params[0];
    const shapes = inputShapes(layer);
    const outer = product(shapes[0].slice(0, axis));
    const inner = product(shapes[0].slice(axis + 1));
    const blocks = Int32Array.from(shapes, (shape) => shape[axis] * inner);
    return {
      run(_source, target, sources) {
        var count = sources.length | 0;
        var rows = outer | 0;
        var r = 0;
        var k = 0;
        var i = 0;
        var o = 0;
        var block = 0;
        var start = 0;
        var source = sources[0];
        for (r = 0; r < rows; r = (r + 1) | 0) {
          for (k = 0; k < count; k = (k + 1) | 0) {
            source = sources[k];
            block = blocks[k];
            start = (r * block) | 0;
            for (i = 0; i < block; i = (i + 1) | 0) target[(o + i) | 0] = source[(start + i) | 0];
            o = (o + block) | 0;
          }
        }
      },
    };
  },
};

/** Dot's contraction of one input: `other` values (the axis not contracted, 1 for rank 1) and strides. */
interface DotOperand {
  other: number;
  length: number;
  otherStride: number;
  axisStride: number;
}

function dotOperand(shape: readonly number[], axis: number): DotOperand {
  if (shape.length === 1) return { other: 1, length: shape[0], otherStride: 0, axisStride: 1 };
  return axis === 0
    ? { other: shape[1], length: shape[0], otherStride: 1, axisStride: shape[1] }
    : { other: shape[0], length: shape[1], otherStride: shape[1], axisStride: 1 };
}

export const DOT: LayerKindSpec = {
  code: 67,
  name: 'dot',
  inputCount: { min: 2, max: 2 },
  outputShape(layer, _input, tensors, where) {
    expectCounts(layer, tensors, 0, 3, where);
    const [x, y] = inputShapes(layer);
    if (x.length > 2 || y.length > 2) fail('bad_shape', `${where}: dot takes inputs of rank 1 or 2 (as TF.js), got [${x}] and [${y}]`);
    const a = intParam(layer, 0, 0, x.length - 1, 'axis 0', where);
    const b = intParam(layer, 1, 0, y.length - 1, 'axis 1', where);
    intParam(layer, 2, 0, 1, 'normalize', where);
    if (x[a] !== y[b]) fail('bad_shape', `${where}: axis ${a} of [${x}] and axis ${b} of [${y}] differ in size`);
    const out = [...x.filter((_, i) => i !== a), ...y.filter((_, i) => i !== b)];
    return out.length === 0 ? [1] : out;
  },
  prepare({ layer }) {
    const [xShape, yShape] = inputShapes(layer);
    const x = dotOperand(xShape, layer.params[0]);
    const y = dotOperand(yShape, layer.params[1]);
    const normalize = layer.params[2] === 1;
    // normalized copies of the inputs (allocated once)
    const xNormal = new Float32Array(normalize ? product(xShape) : 0);
    const yNormal = new Float32Array(normalize ? product(yShape) : 0);
    return {
      run(_source, target, sources) {
        var xs = sources[0];
        var ys = sources[1];
        if (normalize) {
          l2Normalize(xs, xNormal, x.other, x.length, x.otherStride, x.axisStride);
          l2Normalize(ys, yNormal, y.other, y.length, y.otherStride, y.axisStride);
          xs = xNormal;
          ys = yNormal;
        }
        var p = 0;
        var q = 0;
        var k = 0;
        var o = 0;
        var xo = 0;
        var yo = 0;
        var sum = 0.0;
        var n = x.length | 0;
        var xk = x.axisStride | 0;
        var yk = y.axisStride | 0;
        for (p = 0; p < x.other; p = (p + 1) | 0) {
          for (q = 0; q < y.other; q = (q + 1) | 0) {
            xo = (p * x.otherStride) | 0;
            yo = (q * y.otherStride) | 0;
            sum = 0.0;
            for (k = 0; k < n; k = (k + 1) | 0) {
              sum += xs[xo] * ys[yo];
              xo = (xo + xk) | 0;
              yo = (yo + yk) | 0;
            }
            target[o] = sum;
            o = (o + 1) | 0;
          }
        }
      },
    };
  },
};

/** out = x / sqrt(max(Σ x², 1e-7)) along the axis, for each of `other` vectors (tfjs-layers l2Normalize). */
function l2Normalize(source: Float32Array, out: Float32Array, other: number, length: number, otherStride: number, axisStride: number): void {
  var p = 0;
  var k = 0;
  var at = 0;
  var sum = 0.0;
  var norm = 0.0;
  for (p = 0; p < other; p = (p + 1) | 0) {
    sum = 0.0;
    at = (p * otherStride) | 0;
    for (k = 0; k < length; k = (k + 1) | 0) {
      sum += source[at] * source[at];
      at = (at + axisStride) | 0;
    }
    norm = Math.sqrt(sum > 1e-7 ? sum : 1e-7);
    at = (p * otherStride) | 0;
    for (k = 0; k < length; k = (k + 1) | 0) {
      out[at] = source[at] / norm;
      at = (at + axisStride) | 0;
    }
  }
}

export const MERGE_KINDS: readonly LayerKindSpec[] = [ADD_KIND, SUBTRACT_KIND, MULTIPLY_KIND, AVERAGE_KIND, MAXIMUM_KIND, MINIMUM_KIND, CONCATENATE, DOT];
