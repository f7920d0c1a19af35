import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { LINEAR, RELU, SOFTMAX } from '../engine/activations.ts';
import { denseInt8, quantizeRowInt8 } from '../engine/kernels.ts';
import { denseInt8Lanes, laneBitsFor, laneIntegerSums, packLaneKernel, type LaneKernel } from '../engine/kernels-lanes.ts';
import { laneIntegerSumsReference } from '../engine/kernels-lanes.reference.ts';
import { dequantizeInt8Reference } from '../engine/kernels-reference.ts';

function xorshift(seed: number): () => number {
  let state = seed | 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state;
  };
}

function pack(kernel: Int8Array, units: number, n: number): LaneKernel {
  const lanes = packLaneKernel(kernel, units, n);
  if (lanes === null) throw new Error(`no lane width for ${units}×${n}`);
  return lanes;
}

/** The lane kernel's integer sums, both accumulation variants, against the plain sums. */
function expectExactSums(kernel: Int8Array, units: number, n: number, quantized: Int8Array): void {
  const lanes = pack(kernel, units, n);
  const want = Array.from(laneIntegerSumsReference(kernel, units, n, quantized));
  for (const buckets of [null, new Array<bigint>(128)]) {
    const sums = new Int32Array(units);
    laneIntegerSums(lanes, quantized, sums, buckets);
    expect(Array.from(sums)).toEqual(want);
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('lane width', () => {
  it('is the narrowest exact one: 24 up to 520 inputs, 26 up to 2,080, 28 up to 8,321, none above', () => {
    expect([1, 520, 521, 1040, 1041, 2080, 2081, 8321, 8322].map((n) => laneBitsFor(n))).toEqual([24, 24, 25, 25, 26, 26, 28, 28, 0]);
    // a −128 weight: n·127·128 < 2^(L−1)
    expect([516, 517, 1032, 1033, 2064, 2065, 8256, 8257].map((n) => laneBitsFor(n, 128))).toEqual([24, 25, 25, 26, 26, 28, 28, 0]);
    expect(packLaneKernel(new Int8Array(8322), 1, 8322)).toBeNull();
  });
});

describe('laneIntegerSums equals the plain integer sums exactly', () => {
  it('random kernels and inputs, any shape (1 unit, odd units, 1 input, zeros in the input)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 67 }), fc.integer({ min: 1, max: 300 }), fc.integer(), (units, n, seed) => {
        const next = xorshift(seed);
        const kernel = Int8Array.from({ length: units * n }, () => Math.max(-127, next() % 128));
        const quantized = Int8Array.from({ length: n }, () => (next() % 5 === 0 ? 0 : next() % 128));
        expectExactSums(kernel, units, n, quantized);
      }),
      { numRuns: 200 },
    );
  });

  it('at each lane width boundary: all weights and inputs at ±127 (the largest |sum| allowed)', () => {
    for (const n of [520, 521, 1040, 1041, 2080, 2081]) {
      const units = 5;
      for (const [w, x] of [[127, 127], [-127, 127], [127, -127], [-127, -127]]) {
        // rows alternate sign, so lanes at +bound and −bound sit next to each other
        const kernel = Int8Array.from({ length: units * n }, (_, i) => (Math.floor(i / n) % 2 === 0 ? w : -w));
        expectExactSums(kernel, units, n, new Int8Array(n).fill(x));
      }
    }
  });

  it('28-bit lanes (one per parseInt) at 8,321 inputs, and −128 weights', () => {
    const n = 8321;
    const units = 3;
    const kernel = Int8Array.from({ length: units * n }, (_, i) => (i % 2 ? 127 : -127));
    expect(pack(kernel, units, n).laneBits).toBe(28);
    expectExactSums(kernel, units, n, new Int8Array(n).fill(127));
    const withMin = Int8Array.from({ length: 4 * 516 }, (_, i) => (i < 516 ? -128 : 127));
    expect(pack(withMin, 4, 516).laneBits).toBe(24);
    expectExactSums(withMin, 4, 516, new Int8Array(516).fill(-127));
    expectExactSums(withMin, 4, 516, new Int8Array(516).fill(127));
  });

  it('random kernels with 26-bit lanes, buckets and per-column agree', () => {
    const next = xorshift(99);
    const units = 33;
    const n = 1500;
    const kernel = Int8Array.from({ length: units * n }, () => Math.max(-127, next() % 128));
    expectExactSums(kernel, units, n, Int8Array.from({ length: n }, () => Math.max(-127, next() % 128)));
  });
});

describe('denseInt8Lanes', () => {
  it('equals denseInt8 bit for bit (several rows, each activation kind)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(LINEAR, RELU, SOFTMAX),
        fc.boolean(),
        fc.integer(),
        (units, n, rows, activation, buckets, seed) => {
          const next = xorshift(seed);
          const kernel = Int8Array.from({ length: units * n }, () => Math.max(-127, next() % 128));
          const scales = Float32Array.from({ length: units }, (_, o) => 0.001 * (1 + (o % 7)));
          const bias = Float32Array.from({ length: units }, (_, o) => (o % 5) * 0.1 - 0.2);
          const input = Float32Array.from({ length: rows * n }, () => (next() % 1000) / 100);
          const plain = new Float32Array(rows * units);
          const lanes = new Float32Array(rows * units);
          denseInt8(input, 0, rows, n, kernel, scales, bias, units, plain, 0, activation, new Int8Array(n));
          denseInt8Lanes(input, 0, rows, pack(kernel, units, n), scales, bias, lanes, 0, activation, new Int8Array(n), buckets ? [] : null);
          expect(Array.from(lanes)).toEqual(Array.from(plain));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is within the stated bound of float32 (dequantized kernel) and of @tensorflow/tfjs', () => {
    for (const [units, n] of [[16, 64], [64, 600], [10, 2100]]) {
      const next = xorshift(units * 7919 + n);
      const kernel = Int8Array.from({ length: units * n }, () => Math.max(-127, next() % 128));
      const scales = Float32Array.from({ length: units }, (_, o) => 0.0005 * (1 + (o % 5)));
      const bias = Float32Array.from({ length: units }, (_, o) => o * 0.01);
      const input = Float32Array.from({ length: n }, () => (next() % 10_000) / 1000);
      const output = new Float32Array(units);
      const quantized = new Int8Array(n);
      denseInt8Lanes(input, 0, 1, pack(kernel, units, n), scales, bias, output, 0, LINEAR, quantized, new Array<bigint>(128));
      const inputScale = quantizeRowInt8(input, 0, n, new Int8Array(n));
      const dequantized = dequantizeInt8Reference(kernel, scales, units, n);
      // TF.js: x · Wᵀ + b with the dequantized kernel, float32
      const tfjs = tf.tidy(() => tf.matMul(tf.tensor2d(input, [1, n]), tf.tensor2d(dequantized, [units, n]), false, true).add(tf.tensor1d(bias)).dataSync());
      for (let o = 0; o < units; o++) {
        let exact = bias[o];
        let l1 = 0;
        for (let k = 0; k < n; k++) {
          exact += input[k] * dequantized[o * n + k];
          l1 += Math.abs(dequantized[o * n + k]);
        }
        // stated bound (input rounding) plus float32 rounding of the reference sums
        const bound = (inputScale / 2) * l1 + 1e-5 * (1 + Math.abs(exact)) * Math.sqrt(n);
        expect(Math.abs(output[o] - exact)).toBeLessThanOrEqual(bound);
        expect(Math.abs(output[o] - tfjs[o])).toBeLessThanOrEqual(bound);
      }
    }
  });
});

describe('loadModel picks the int8 Dense kernel by shape; int8Kernel forces each', () => {
  it('lanes, packed and plain give the same scores (64×40 and 600×48 int8 Dense models)', async () => {
    const { writeDenseModel } = await import('../bench/lib/synthetic.ts');
    const { convertTfjsModel } = await import('../bench/lib/models.ts');
    const { buildDir } = await import('../bench/lib/paths.ts');
    const { loadModel } = await import('../engine/index.ts');
    for (const [inputs, units] of [[64, 40], [600, 48]]) {
      const bytes = convertTfjsModel(await writeDenseModel(`${buildDir}/test/dense-${inputs}x${units}`, inputs, units), 'int8').bytes;
      const models = (['auto', 'lanes', 'packed', 'plain'] as const).map((int8Kernel) => loadModel(bytes, { int8Kernel }));
      // which kernel each plan holds (private: the steps' kernel fields)
      const kernelOf = (model: unknown): string => {
        const [step] = (model as { steps: { laneKernel: unknown; lanes: unknown[] }[] }).steps;
        return step.laneKernel !== null ? 'lanes' : step.lanes.length > 0 ? 'packed' : 'plain';
      };
      expect(models.map(kernelOf)).toEqual(['lanes', 'lanes', 'packed', 'plain']);
      for (let seed = 0; seed < 5; seed++) {
        const input = Float32Array.from({ length: inputs }, (_, i) => Math.sin(i * 0.7 + seed) * (seed + 1));
        const [auto, ...forced] = models.map((model) => Array.from(model.predictVector(input)));
        for (const scores of forced) expect(scores).toEqual(auto);
      }
    }
  });
});
