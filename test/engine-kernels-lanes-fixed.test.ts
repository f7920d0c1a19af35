import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LINEAR, RELU } from '../engine/activations.ts';
import { fixedLaneBits, fixedLanesRows, prepareFixedLanes, type FixedLanes } from '../engine/kernels-lanes-fixed.ts';
import { referenceFixedLanesRow } from '../engine/kernels-lanes-fixed.reference.ts';

function pack(kernel: Float32Array, units: number, n: number): FixedLanes {
  const lanes = prepareFixedLanes(kernel, units, n);
  if (lanes === null) throw new Error(`no lanes for ${units}×${n}`);
  return lanes;
}

const shape = fc.record({ units: fc.integer({ min: 1, max: 80 }), n: fc.integer({ min: 1, max: 600 }), rows: fc.integer({ min: 1, max: 3 }), seed: fc.integer(), zeros: fc.double({ min: 0, max: 0.9, noNaN: true }), magnitude: fc.constantFrom(1e-3, 1, 255) });

function values(length: number, seed: number, zeros: number, magnitude: number): Float32Array {
  let state = seed | 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return Float32Array.from({ length }, () => (next() < zeros ? 0 : (next() * 2 - 1) * magnitude));
}

describe('fixed-point BigInt lanes (kernels-lanes-fixed.ts)', () => {
  it('lane widths: n·(2^q − 1)² < 2^62, the largest such q, none below 20', () => {
    for (const n of [1, 9, 288, 1023, 1024, 4095, 4096, 100_000, 1 << 21]) {
      const q = fixedLaneBits(n);
      expect(q).toBeGreaterThanOrEqual(20);
      expect(n * (2 ** q - 1) ** 2).toBeLessThan(2 ** 62);
      if (q < 26) expect(n * (2 ** (q + 1) - 1) ** 2).toBeGreaterThanOrEqual(2 ** 62);
    }
    expect(fixedLaneBits(288)).toBe(26);
    expect(fixedLaneBits(1 << 23)).toBe(0);
    expect(prepareFixedLanes(new Float32Array(1 << 23), 1, 1 << 23)).toBeNull();
  });

  it('equals the plain fixed-point sums, and stays within the stated bound of the float sums', () => {
    fc.assert(
      fc.property(shape, ({ units, n, rows, seed, zeros, magnitude }) => {
        const kernel = values(units * n, seed, zeros / 2, 1 / Math.sqrt(n));
        const input = values(rows * n, seed ^ 0x5bd1e995, zeros, magnitude);
        const bias = values(units, seed + 7, 0, 0.1);
        const lanes = pack(kernel, units, n);
        const output = new Float32Array(rows * units + 2).fill(42);
        fixedLanesRows(lanes, input, 0, rows, bias, output, 1, LINEAR);
        expect(output[0]).toBe(42);
        expect(output[rows * units + 1]).toBe(42);
        for (let r = 0; r < rows; r++) {
          const row = input.subarray(r * n, (r + 1) * n);
          const want = referenceFixedLanesRow(lanes, kernel, row, bias);
          let high = 0;
          let sumX = 0;
          for (const x of row) {
            high = Math.max(high, Math.abs(x));
            sumX += Math.abs(x);
          }
          const sx = high / lanes.limit;
          for (let o = 0; o < units; o++) {
            const got = output[1 + r * units + o];
            expect(got).toBe(Math.fround(want[o]));
            let exact = bias[o];
            let sumW = 0;
            for (let k = 0; k < n; k++) {
              exact += kernel[o * n + k] * row[k];
              sumW += Math.abs(kernel[o * n + k]);
            }
            const bound = (sx / 2) * sumW + (lanes.scales[o] / 2) * sumX + (n * sx * lanes.scales[o]) / 4;
            // + the float32 rounding of the stored output
            expect(Math.abs(got - exact)).toBeLessThanOrEqual(bound * 1.0001 + Math.abs(exact) * 2 ** -23 + 1e-30);
          }
        }
      }),
      { numRuns: 120 },
    );
  });

  it('an all-zero input row gives the bias; relu clamps; a zero kernel row gives its bias', () => {
    const units = 40;
    const n = 50;
    const kernel = values(units * n, 3, 0, 1);
    kernel.fill(0, 0, n); // row 0 all zero
    const bias = Float32Array.from({ length: units }, (_, o) => (o % 2 === 0 ? 0.5 : -0.5));
    const lanes = pack(kernel, units, n);
    const output = new Float32Array(2 * units);
    const input = new Float32Array(2 * n);
    input.set(values(n, 9, 0, 2), n);
    fixedLanesRows(lanes, input, 0, 2, bias, output, 0, RELU);
    for (let o = 0; o < units; o++) expect(output[o]).toBe(Math.max(0, bias[o]));
    expect(output[units]).toBe(0.5);
    const want = referenceFixedLanesRow(lanes, kernel, input.subarray(n), bias);
    for (let o = 1; o < units; o++) expect(output[units + o]).toBe(Math.fround(Math.max(0, want[o])));
  });
});
