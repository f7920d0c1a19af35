// Vector search over int8 vectors on BigInt lanes (engine/vector-search.ts): the top k
// identical to a plain brute force over the same int8 vectors, through adds, replaces and
// removals; lanes kept incrementally equal to a fresh packing; the ranking against float32
// cosine measured.
import { describe, expect, it } from 'vitest';

import { quantizeRowInt8 } from '../engine/kernels.ts';
import { packLaneKernel } from '../engine/kernels-lanes.ts';
import { Int8VectorIndex } from '../engine/vector-search.ts';
import { searchInt8Reference } from '../engine/vector-search.reference.ts';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

function unit(random: () => number, dims: number): Float32Array {
  const v = Float32Array.from({ length: dims }, random);
  let sum = 0;
  for (const x of v) sum += x * x;
  for (let d = 0; d < dims; d++) v[d] /= Math.sqrt(sum);
  return v;
}

function quantized(v: Float32Array): Int8Array {
  const q = new Int8Array(v.length);
  quantizeRowInt8(v, 0, v.length, q);
  return q;
}

function expectSameAsReference(index: Int8VectorIndex, query: Float32Array, k: number): void {
  const got = index.search(query, k);
  const want = searchInt8Reference(index.values, index.count, index.dims, quantized(query), k);
  expect(got).toEqual(want);
}

describe('Int8VectorIndex: exact top-k against the plain brute force over the same int8 vectors', () => {
  it('random collections through adds, replaces and removals; ties to the lower slot; k past the count', () => {
    const random = seeded(5);
    // eager: changes per block taken into the lanes at once before the block is packed anew (0: always packed anew)
    for (const [dims, blockItems, steps, eager] of [[4, 4, 60, 2], [64, 256, 1500, 96], [64, 256, 1500, 0], [64, 16, 700, 3], [16, 8, 400, 96], [16, 8, 400, 1], [3, 256, 50, 96], [600, 32, 120, 5], [64, 1024, 2500, 96]] as const) {
      const index = new Int8VectorIndex(dims, blockItems, eager);
      const kept: Float32Array[] = [];
      for (let step = 0; step < steps; step++) {
        const r = random();
        if (r < -0.3 && kept.length > 0) {
          const slot = Math.floor((random() + 0.5) * kept.length);
          index.removeSwap(slot);
          kept[slot] = kept[kept.length - 1];
          kept.pop();
        } else if (r < -0.2 && kept.length > 0) {
          const slot = Math.floor((random() + 0.5) * kept.length);
          kept[slot] = unit(random, dims);
          index.set(slot, kept[slot]);
        } else {
          // a duplicate now and then: equal keys
          kept.push(r > 0.4 && kept.length > 0 ? kept[Math.floor((random() + 0.5) * kept.length)] : unit(random, dims));
          index.set(kept.length - 1, kept[kept.length - 1]);
        }
        // lanes brought up to date now and then (a call's end)
        if (random() < -0.4) index.commit();
        if (random() > 0.49 && kept.length > 0) expectSameAsReference(index, unit(random, dims), 5);
      }
      index.commit();
      expect(index.count).toBe(kept.length);
      kept.forEach((v, slot) => expect(index.values.subarray(slot * dims, (slot + 1) * dims)).toEqual(quantized(v)));
      expect(index.values.subarray(kept.length * dims).every((v) => v === 0)).toBe(true);
      // the lanes kept through the changes equal a fresh packing (an upgrade's restore), and packLaneKernel's of each block
      index.blocks.forEach((lanes, b) => expect(lanes).toEqual(packLaneKernel(index.values.subarray(b * blockItems * dims, (b + 1) * blockItems * dims), blockItems, dims)));
      const rebuilt = new Int8VectorIndex(dims, blockItems);
      kept.forEach((v, slot) => rebuilt.set(slot, v));
      rebuilt.commit();
      expect(rebuilt.blocks).toEqual(index.blocks);
      expect(rebuilt.blockNorms).toEqual(index.blockNorms);
      for (const k of [1, 3, 10, 100, kept.length + 5]) {
        for (let trial = 0; trial < 4; trial++) {
          const query = trial === 0 && kept.length > 0 ? kept[0] : unit(random, dims);
          expectSameAsReference(index, query, k);
          expectSameAsReference(rebuilt, query, k);
        }
      }
    }
  });

  it('adversarial orders: every item better than the last (no block skipped), all items equal (all ties)', () => {
    const dims = 64;
    const random = seeded(9);
    const query = unit(random, dims);
    const rising = new Int8VectorIndex(dims, 32);
    // items drifting toward the query: keys rise along the slots
    for (let i = 0; i < 500; i++) {
      const t = i / 500;
      const v = Float32Array.from({ length: dims }, (_, d) => t * query[d] + (1 - t) * (d === i % dims ? 1 : 0));
      rising.set(i, unit(() => 0, dims).map((_, d) => v[d]));
    }
    expectSameAsReference(rising, query, 10);
    const same = new Int8VectorIndex(dims, 32);
    const v = unit(random, dims);
    for (let i = 0; i < 300; i++) same.set(i, v);
    expectSameAsReference(same, query, 10);
    expect(same.search(query, 10).slots).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('against float32 cosine: the ranking differs only among near-equal scores (figures printed)', () => {
    const random = seeded(21);
    const dims = 64;
    const count = 10_000;
    const index = new Int8VectorIndex(dims);
    const floats: Float32Array[] = [];
    for (let i = 0; i < count; i++) {
      floats.push(unit(random, dims));
      index.set(i, floats[i]);
    }
    let overlap = 0;
    let worstGap = 0;
    let maxScoreError = 0;
    const queries = 50;
    const k = 10;
    for (let trial = 0; trial < queries; trial++) {
      const query = unit(random, dims);
      const cos = floats.map((v) => v.reduce((s, x, d) => s + x * query[d], 0));
      const order = cos.map((c, slot) => ({ c, slot })).sort((a, b) => b.c - a.c);
      const want = new Set(order.slice(0, k).map((o) => o.slot));
      const got = index.search(query, k);
      overlap += got.slots.filter((s) => want.has(s)).length;
      // an item the float ranking puts in the top k but int8 misses is within a hair of the k-th
      for (const slot of got.slots) worstGap = Math.max(worstGap, order[k - 1].c - cos[slot]);
      got.slots.forEach((slot, i) => (maxScoreError = Math.max(maxScoreError, Math.abs(got.scores[i] - cos[slot]))));
    }
    const recall = overlap / (queries * k);
    console.log(`int8 vs float32 cosine, ${count} random unit vectors of ${dims} dims, ${queries} queries: recall@${k} ${recall.toFixed(3)}, largest float-cosine gap of an int8 hit below the float k-th ${worstGap.toExponential(2)}, largest |int8 score − float cosine| ${maxScoreError.toExponential(2)}`);
    expect(recall).toBeGreaterThan(0.9);
    expect(worstGap).toBeLessThan(0.02);
    expect(maxScoreError).toBeLessThan(0.01);
  });
});
