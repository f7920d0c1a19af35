import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LINEAR, RELU, SOFTMAX } from '../engine/activations.ts';
import { denseInt8, denseInt8Packed, packedInt8LaneScale, packInt8Kernel, PACKED_GROUP_ROWS } from '../engine/kernels.ts';

/** Runs both int8 Dense kernels on the same layer; returns [plain, packed] outputs. */
function both(kernel: Int8Array, units: number, n: number, input: Float32Array, rows: number, activation: number): [Float32Array, Float32Array] {
  const scales = Float32Array.from({ length: units }, (_, o) => 0.001 * (1 + (o % 7)));
  const bias = Float32Array.from({ length: units }, (_, o) => (o % 5) * 0.1 - 0.2);
  const plain = new Float32Array(rows * units);
  const packed = new Float32Array(rows * units);
  denseInt8(input, 0, rows, n, kernel, scales, bias, units, plain, 0, activation, new Int8Array(n));
  const laneScale = packedInt8LaneScale(n);
  expect(laneScale).toBeGreaterThan(0);
  denseInt8Packed(input, 0, rows, n, packInt8Kernel(kernel, units, n, laneScale), laneScale, scales, bias, units, packed, 0, activation, new Int8Array(n), new Float64Array(n));
  return [plain, packed];
}

describe('denseInt8Packed (two int8 weights per float64) equals denseInt8 bit for bit', () => {
  it('random layers, any units (padding rows), several input rows, each activation kind', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(LINEAR, RELU, SOFTMAX),
        fc.integer(),
        (units, n, rows, activation, seed) => {
          let state = seed | 1;
          const next = (): number => {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            return state;
          };
          const kernel = Int8Array.from({ length: units * n }, () => next());
          const input = Float32Array.from({ length: rows * n }, () => (next() % 1000) / 100);
          const [plain, packed] = both(kernel, units, n, input, rows, activation);
          expect(Array.from(packed)).toEqual(Array.from(plain));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('extreme values at the largest input size allowed: all weights ±127/−128, inputs at ±max', () => {
    let n = 1;
    while (packedInt8LaneScale(n + 1) > 0) n++;
    expect(n).toBeGreaterThanOrEqual(4096);
    const units = PACKED_GROUP_ROWS + 3;
    for (const [w0, w1, x] of [[127, 127, 1], [-128, -128, 1], [127, -128, -1], [-128, 127, 1], [127, 127, -1]]) {
      // alternate the two lanes' rows between w0 and w1; every input at the same magnitude so it quantizes to ±127
      const kernel = Int8Array.from({ length: units * n }, (_, i) => (Math.floor(i / n) % 2 === 0 ? w0 : w1));
      const input = new Float32Array(n).fill(x * 3.5);
      const [plain, packed] = both(kernel, units, n, input, 1, LINEAR);
      expect(Array.from(packed)).toEqual(Array.from(plain));
    }
    // mixed signs inside one lane, at the size limit
    const kernel = Int8Array.from({ length: units * n }, (_, i) => (i % 3 === 0 ? -128 : 127));
    const input = Float32Array.from({ length: n }, (_, k) => (k % 2 ? 2 : -2));
    const [plain, packed] = both(kernel, units, n, input, 1, LINEAR);
    expect(Array.from(packed)).toEqual(Array.from(plain));
    // one past the limit is refused (the loader then runs denseInt8)
    expect(packedInt8LaneScale(n + 1)).toBe(0);
  });
});

describe('loadModel runs int8 Dense layers packed', () => {
  it('a 64×40 int8 Dense model: packed (default) and unpacked give the same scores', async () => {
    const { writeDenseModel } = await import('../bench/lib/synthetic.ts');
    const { convertTfjsModel } = await import('../bench/lib/models.ts');
    const { buildDir } = await import('../bench/lib/paths.ts');
    const { loadModel } = await import('../engine/index.ts');
    const bytes = convertTfjsModel(await writeDenseModel(`${buildDir}/test/dense-64x40`, 64, 40), 'int8').bytes;
    const packed = loadModel(bytes);
    const plain = loadModel(bytes, { packInt8: false });
    for (let seed = 0; seed < 20; seed++) {
      const input = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.7 + seed) * (seed + 1));
      expect(Array.from(packed.predictVector(input))).toEqual(Array.from(plain.predictVector(input)));
    }
  });
});
