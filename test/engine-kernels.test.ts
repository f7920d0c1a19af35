// The fast kernels (engine/kernels.ts, engine/activations.ts) against the plain
// reference kernels and against TF.js's own ops.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as activations from '../engine/activations.ts';
import { ACTIVATION_NAMES, activateRows, activationCode, erf } from '../engine/activations.ts';
import { ACTIVATIONS } from '../engine/format.ts';
import {
  INT8_MAX_INPUT_SIZE,
  denseFloat32,
  denseInt8,
  embeddingAveragePool,
  embeddingAveragePoolInt8Cols,
  embeddingGather,
  embeddingGatherInt8Cols,
  foldBatchNormalization,
  globalAveragePool,
  globalMaxPool,
  quantizeRowInt8,
  scaleShiftInPlace,
} from '../engine/kernels.ts';
import {
  activationReference,
  batchNormalizationReference,
  dequantizeInt8ColsReference,
  dequantizeInt8Reference,
  denseReference,
  embeddingReference,
  globalAveragePoolReference,
  globalMaxPoolReference,
} from '../engine/kernels-reference.ts';

/** |a − b| ≤ tolerance · max(1, |b|) element-wise. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const bound = tolerance * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
      throw new Error(`index ${i}: ${actual[i]} vs expected ${expected[i]} (bound ${bound})`);
    }
  }
}

const floats = (n: number, scale = 2) => fc.float32Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -scale, max: scale });

function randomInt8(n: number, seed: number): Int8Array {
  const values = new Int8Array(n);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state % 255) - 127;
  }
  return values;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fast kernels equal the reference kernels', () => {
  it('dense float32, every activation, rank>1 inputs, unrolled and remainder lengths', () => {
    const shape = fc.record({ rows: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 70 }), units: fc.integer({ min: 1, max: 9 }), act: fc.integer({ min: 0, max: 12 }) });
    fc.assert(
      fc.property(
        shape.chain(({ rows, n, units, act }) => fc.tuple(fc.constant({ rows, n, units, act }), floats(rows * n), floats(units * n), floats(units))),
        ([{ rows, n, units, act }, input, kernel, bias]) => {
          const output = new Float32Array(rows * units + 3);
          denseFloat32(input, 0, rows, n, kernel, bias, units, output, 3, act);
          expectClose(output.subarray(3), denseReference(input, rows, n, kernel, bias, units, act), 1e-5);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('dense int8 is within its stated bound of the dequantized float path', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 8 }), fc.integer(), fc.integer({ min: 0, max: 1 }), (n, units, seed, relu) => {
        const input = new Float32Array(n).map((_, i) => Math.sin(seed + i * 1.7) * 3);
        const values = randomInt8(units * n, seed);
        const scales = new Float32Array(units).map((_, o) => 0.001 + Math.abs(Math.cos(seed + o)) * 0.05);
        const bias = new Float32Array(units).map((_, o) => Math.sin(o + seed));
        const output = new Float32Array(units);
        denseInt8(input, 0, 1, n, values, scales, bias, units, output, 0, relu, new Int8Array(n));
        const dequantized = dequantizeInt8Reference(values, scales, units, n);
        const expected = denseReference(input, 1, n, dequantized, bias, units, 0);
        const inputScale = Math.max(...Array.from(input, Math.abs)) / 127;
        for (let o = 0; o < units; o++) {
          // Stated bound: |Δ| ≤ (inputScale / 2) · Σ_k |ŵ[o][k]| (+ float rounding)
          let l1 = 0;
          for (let k = 0; k < n; k++) l1 += Math.abs(dequantized[o * n + k]);
          const bound = (inputScale / 2) * l1 + 1e-5 * (1 + Math.abs(expected[o]));
          const want = relu ? Math.max(0, expected[o]) : expected[o];
          expect(Math.abs(output[o] - want)).toBeLessThanOrEqual(bound);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('quantizeRowInt8 rounds to nearest within [-127, 127] and handles all-zero rows', () => {
    const q = new Int8Array(4);
    expect(quantizeRowInt8(new Float32Array([0, 0, 0, 0]), 0, 4, q)).toBe(0);
    expect(Array.from(q)).toEqual([0, 0, 0, 0]);
    const scale = quantizeRowInt8(new Float32Array([9, 2, 1, -2, 0.5, -1.27]), 2, 4, q);
    expect(scale).toBeCloseTo(2 / 127, 7);
    expect(Array.from(q)).toEqual([64, -127, 32, -81]);
    expect(INT8_MAX_INPUT_SIZE).toBe(133144);
  });

  it('embedding gather and fused average pooling (float32 and int8)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 25 }), fc.integer(), (rowsInTable, dim, steps, seed) => {
        const table = new Float32Array(rowsInTable * dim).map((_, i) => Math.sin(seed + i));
        const ids = new Int32Array(steps).map((_, t) => Math.abs(seed * 31 + t * 7) % rowsInTable);
        const gathered = new Float32Array(steps * dim);
        embeddingGather(ids, steps, table, dim, gathered, 0);
        expect(Array.from(gathered)).toEqual(Array.from(embeddingReference(ids, table, dim)));
        const pooled = new Float32Array(dim + 1);
        embeddingAveragePool(ids, steps, table, dim, pooled, 1, new Int32Array(steps));
        expectClose(pooled.subarray(1), globalAveragePoolReference(embeddingReference(ids, table, dim), steps, dim), 1e-6);

        // int8_cols: one scale per column (output channel)
        const values = randomInt8(rowsInTable * dim, seed);
        const scales = new Float32Array(dim).map((_, d) => 0.01 * (d + 1));
        const dequantized = dequantizeInt8ColsReference(values, scales, rowsInTable, dim);
        embeddingGatherInt8Cols(ids, steps, values, scales, dim, gathered, 0);
        expectClose(gathered, embeddingReference(ids, dequantized, dim), 1e-6);
        embeddingAveragePoolInt8Cols(ids, steps, values, scales, dim, pooled, 0, new Int32Array(steps));
        expectClose(pooled.subarray(0, dim), globalAveragePoolReference(embeddingReference(ids, dequantized, dim), steps, dim), 1e-6);
      }),
      { numRuns: 300 },
    );
  });

  it('int8_cols average pooling sums integers: exact at the extremes, no int32 wrap at 2^24 positions', () => {
    const table = Int8Array.from([127, -127, -127, 127]); // 2 rows × 2 columns
    const scales = Float32Array.from([0.5, 0.25]);
    const steps = 1 << 24; // MAX_ACTIVATION_VALUES: the longest sequence a file can declare
    const ids = new Int32Array(steps); // all row 0: column sums 127·2²⁴ and −127·2²⁴
    const pooled = new Float32Array(2);
    embeddingAveragePoolInt8Cols(ids, steps, table, scales, 2, pooled, 0, new Int32Array(steps));
    expect(Array.from(pooled)).toEqual([127 * 0.5, -127 * 0.25]);
    ids.fill(1, 0, 3);
    embeddingAveragePoolInt8Cols(ids, 4, table, scales, 2, pooled, 0, new Int32Array(4));
    expect(Array.from(pooled)).toEqual([Math.fround((-127 * 3 + 127) * 0.5 / 4), Math.fround((127 * 3 - 127) * 0.25 / 4)]);
  });

  it('activation codes match the file format table (one list, format.ts)', () => {
    expect(ACTIVATION_NAMES).toBe(ACTIVATIONS);
    const codes: Record<string, number> = {
      linear: activations.LINEAR, relu: activations.RELU, relu6: activations.RELU6, elu: activations.ELU, selu: activations.SELU,
      sigmoid: activations.SIGMOID, hard_sigmoid: activations.HARD_SIGMOID, tanh: activations.TANH, softmax: activations.SOFTMAX,
      softplus: activations.SOFTPLUS, softsign: activations.SOFTSIGN, swish: activations.SWISH, gelu: activations.GELU,
    };
    expect(Object.keys(codes)).toEqual([...ACTIVATIONS]);
    ACTIVATIONS.forEach((name, code) => expect(codes[name]).toBe(code));
  });

  it('global average and max pooling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 12 }), fc.integer(), (steps, channels, seed) => {
        const input = new Float32Array(steps * channels).map((_, i) => Math.sin(seed + i * 0.3) * 5);
        const output = new Float32Array(channels);
        globalAveragePool(input, 0, steps, channels, output, 0);
        expectClose(output, globalAveragePoolReference(input, steps, channels), 1e-6);
        globalMaxPool(input, 0, steps, channels, output, 0);
        expect(Array.from(output)).toEqual(Array.from(globalMaxPoolReference(input, steps, channels)));
      }),
    );
  });

  it('folded batch normalization equals the unfolded formula', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 10 }), fc.integer(), (rows, channels, seed) => {
        const r = (i: number) => Math.sin(seed + i * 12.9898);
        const gamma = new Float32Array(channels).map((_, i) => 0.5 + r(i));
        const beta = new Float32Array(channels).map((_, i) => r(i + 100));
        const mean = new Float32Array(channels).map((_, i) => r(i + 200) * 2);
        const variance = new Float32Array(channels).map((_, i) => 0.1 + Math.abs(r(i + 300)));
        const input = new Float32Array(rows * channels).map((_, i) => r(i + 400) * 3);
        const expected = batchNormalizationReference(input, channels, gamma, beta, mean, variance, 1e-3);
        const { scale, shift } = foldBatchNormalization(gamma, beta, mean, variance, 1e-3);
        scaleShiftInPlace(input, 0, rows, channels, scale, shift);
        expectClose(input, expected, 1e-5);
      }),
    );
  });

  it('every activation equals its reference definition (softmax per row)', () => {
    for (let code = 0; code < ACTIVATION_NAMES.length; code++) {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 10 }), fc.integer(), (rows, width, seed) => {
          const input = new Float32Array(rows * width).map((_, i) => Math.sin(seed + i * 0.77) * 12);
          const data = input.slice();
          activateRows(code, data, 0, rows, width);
          expectClose(data, activationReference(code, input, width), 1e-6);
        }),
        { numRuns: 50 },
      );
    }
  });
});

describe('activations match TF.js ops', () => {
  const layersActivation = (name: string, x: tf.Tensor): tf.Tensor => {
    const layer = tf.layers.activation({ activation: (name === 'hard_sigmoid' ? 'hardSigmoid' : name) as never });
    return layer.apply(x) as tf.Tensor;
  };

  it.each(ACTIVATION_NAMES.map((name) => [name]))('%s', (name) => {
    const values = new Float32Array(4 * 25).map((_, i) => (i - 50) * 0.37 + (i % 3) * 0.01);
    values[0] = 30;
    values[1] = -30;
    values[2] = 0;
    const x = tf.tensor2d(values, [4, 25]);
    const expected = layersActivation(name, x).dataSync();
    const data = values.slice();
    activateRows(activationCode(name), data, 0, 4, 25);
    expectClose(data, expected as Float32Array, 1e-6);
  });

  it('erf is within 1.5e-7 of tf.erf and of reference values', () => {
    const xs = new Float32Array(401).map((_, i) => (i - 200) / 50);
    const expected = tf.erf(tf.tensor1d(xs)).dataSync();
    xs.forEach((x, i) => expect(Math.abs(erf(x) - expected[i])).toBeLessThanOrEqual(1.5e-7));
    expect(Math.abs(erf(0.5) - 0.5204998778130465)).toBeLessThanOrEqual(1.5e-7);
    expect(Math.abs(erf(-1.5) + 0.9661051464753108)).toBeLessThanOrEqual(1.5e-7);
    expect(erf(0)).toBe(0);
  });
});
