// Exact top-k search over int8 vectors on BigInt lanes (kernels-lanes.ts).
//
// Each vector is q8 to int8 with its own scale (quantizeRowInt8: max |v| → 127);
// what ranks items is the cosine of the int8 vectors: key_i = s_i · inv_i with
// s_i = Σ_j v_ij·q_j (exact integers, q the query q8 the same way) and
// inv_i = 1 / ‖v_i‖ (float64, from the integers); the reported score is key_i / ‖q‖.
//
// The items are packed in blocks of `blockItems` lanes (an item is a lane, a dimension a
// column: the lane kernel of the block's [items][dims] int8 matrix), so one x_j·C_j
// multiply-add scores a whole block on dimension j. Before any lane is read a block is
// tested against the k-th best key so far (`worst`) in one BigInt step: with
// W = ⌊worst·(1 − 1e−9)⌋ and n_i = ⌊‖v_i‖⌋ packed in lanes beside the block
// (blockNorms), the accumulator minus W·N has the top bit of lane i set iff
// s_i ≥ W·n_i, which every item that could enter the top k satisfies
// (s_i·inv_i > worst ⇒ s_i > worst·‖v_i‖ ≥ W·n_i). A block with no such lane is skipped
// unread (`& mask` is zero); in the others only the candidate lanes are read (their top
// digit is the only non-zero digit of the masked value in hex, found by lastIndexOf),
// or, for lane widths that are not whole hex digits and while the top k is not full,
// the whole block (readLaneSums); each lane read is compared exactly. So the answer is the
// brute force's over the same int8 vectors, bit for bit: keys descending, ties to the
// lower slot (vector-search.reference.ts).
//
// Changes (set, removeSwap: the last item moves into the freed slot) touch the int8
// values at once. Their lanes follow in one of three ways:
// - lanes past those the block's lanes hold (appends): commit() packs that run of lanes alone
//   (packLaneKernel over the run) and adds it into each column: one BigInt add a column for
//   all the appends of a call (~8M instructions for 64 dims, whatever their number);
// - a lane the block holds, in a block changed in few items: the change goes into its columns
//   at once (C_j += Δ_ij·2^(L·i), one BigInt add per changed value: ~7M an item of 64 dims,
//   up to `eagerItems` a block and commit);
// - a block changed in more (or a bulk fill, set(…, true)) is packed anew by commit()
//   (packLaneKernel, ~8.7K instructions a value: ~0.57B for a block of 1024 items of 64 dims).
// A new block starts as the packing of zeros (every column 128·Σ2^(L·i)). search() commits first.

import { quantizeRowInt8 } from './kernels.ts';
import { laneAccumulatorValue, laneBitsFor, laneBucketsFor, laneOnes, packLaneKernel, readLaneSums, type LaneKernel } from './kernels-lanes.ts';

/**
 * Items per lane block: the fixed cost of a BigInt operation (~12K instructions in the
 * canister) is shared by this many items; a block is the unit of skipping, and only the
 * candidate lanes of a block are read (hex lanes) or the whole block (other widths).
 */
export const SEARCH_BLOCK_ITEMS = 1024;
/** Changed items per block and commit taken into its lanes at once; past this the block is packed anew at commit(). */
export const SEARCH_EAGER_ITEMS = 64;
/** Relative margin under the k-th key for the block test (float rounding of the keys is ~1e−16). */
const THRESHOLD_MARGIN = 1 - 1e-9;

export interface TopK {
  slots: number[];
  /** Cosine of the int8 vectors (key / ‖q‖), best first. */
  scores: number[];
}

/** A copy of `a` in a larger array of its type. */
function grow<T extends Int8Array | Int32Array | Float64Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

/** Inserts (key, slot) in order into the top lists (k small): after equal keys, so a lower slot stays first. */
function insertTop(topKeys: number[], topSlots: number[], key: number, slot: number, k: number): void {
  // binary search for the first key below `key` (keys descending): log2(k) steps, not k
  var low = 0;
  var high = topKeys.length;
  var middle = 0;
  while (low < high) {
    middle = (low + high) >> 1;
    if (topKeys[middle] < key) high = middle;
    else low = (middle + 1) | 0;
  }
  var i = low;
  topKeys.splice(i, 0, key);
  topSlots.splice(i, 0, slot);
  if (topSlots.length > k) {
    topKeys.pop();
    topSlots.pop();
  }
}

/** Every difference of two int8 values, as BigInt (index delta + 255). */
const DELTAS: bigint[] = Array.from({ length: 511 }, (_, i) => BigInt(i - 255));

/** ⌊‖v‖⌋ of an int8 vector. */
function floorSqrtOfSquares(v: Int8Array): number {
  var squares = 0;
  for (var d = 0; d < v.length; d = (d + 1) | 0) squares = (squares + v[d] * v[d]) | 0;
  return floorSqrt(squares);
}

/** Floor of √n for an integer n ≥ 0, exact. */
function floorSqrt(n: number): number {
  var r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

export class Int8VectorIndex {
  count = 0;
  /** [capacity][dims] int8 vectors, capacity a multiple of blockItems; zero beyond count. */
  values: Int8Array;
  /** 1 / ‖v_i‖ of the int8 vector (0 for a zero vector). */
  inv: Float64Array;
  /** ⌊‖v_i‖⌋ of the int8 vector. */
  norms: Int32Array;
  readonly blocks: LaneKernel[] = [];
  /** Per block: Σ_i n_i·2^(L·i), n = 1 in unused lanes. */
  readonly blockNorms: bigint[] = [];
  private readonly laneBits: number;
  private readonly mask: bigint;
  private readonly unused: bigint;
  /** Largest W for which W·n_i cannot borrow across lanes (0: no block test). */
  private readonly maxW: number;
  /** Hex digits per lane when the lanes are whole hex digits (24 or 28 bits): candidate lanes are then read alone; else 0. */
  private readonly hex: number;
  private readonly q8: Int8Array;
  /** Blocks changed since commit(), to pack anew. */
  private readonly dirty = new Set<number>();
  /** Per block: changes taken into its lanes at once since commit() (at eagerItems the block goes to `dirty`). */
  private readonly eager = new Map<number, number>();
  /** Per block: lanes [0, heldLanes[b]) are in its columns; the lanes above hold the packing of zeros. */
  private readonly heldLanes: number[] = [];
  /** Blocks with changes in lanes above heldLanes, written by commit(). */
  private readonly appended = new Set<number>();
  /** A zero block's columns and norm lanes (what packLaneKernel and repack give for zeros). */
  private emptyColumn: bigint | null = null;
  private readonly sums: Int32Array;
  private readonly buckets: bigint[] | null;

  constructor(readonly dims: number, readonly blockItems = SEARCH_BLOCK_ITEMS, readonly eagerItems = SEARCH_EAGER_ITEMS) {
    const bits = laneBitsFor(dims);
    if (bits === 0) throw new Error(`${dims} dims`);
    this.laneBits = bits;
    this.unused = laneOnes(blockItems, bits);
    this.mask = BigInt(2 ** (bits - 1)) * this.unused;
    const headroom = 2 ** (bits - 1) - 1 - dims * 127 * 127;
    // 24 or 28 bits (25 is read in base 32, 26 in neither)
    this.hex = bits % 4 === 0 ? bits / 4 : 0;
    this.maxW = Math.max(0, Math.floor(headroom / (floorSqrt(dims * 127 * 127) + 1)));
    this.values = new Int8Array(dims * blockItems);
    this.inv = new Float64Array(blockItems);
    this.norms = new Int32Array(blockItems);
    this.q8 = new Int8Array(dims);
    this.sums = new Int32Array(blockItems);
    this.buckets = laneBucketsFor(dims);
  }

  private reserve(count: number): void {
    const items = Math.ceil(count / this.blockItems) * this.blockItems;
    if (items <= this.inv.length) return;
    const capacity = Math.max(items, this.inv.length * 2);
    this.values = grow(this.values, capacity * this.dims);
    this.inv = grow(this.inv, capacity);
    this.norms = grow(this.norms, capacity);
  }

  private measure(slot: number): void {
    var values = this.values;
    var end = ((slot + 1) * this.dims) | 0;
    var squares = 0;
    var v = 0;
    for (var at = (slot * this.dims) | 0; at < end; at = (at + 1) | 0) {
      v = values[at];
      squares = (squares + v * v) | 0;
    }
    this.norms[slot] = floorSqrt(squares);
    this.inv[slot] = squares > 0 ? 1 / Math.sqrt(squares) : 0;
  }

  /**
   * Quantizes `vector` (dims float32 values) into slot `slot` (≤ count: replaces, or appends at
   * count). Its lanes follow at once while its block changed in few items, else at commit();
   * `bulk` (many items of one block coming, e.g. a rebuild) sends the block to commit() at once.
   * Returns the quantization scale (max |v| / 127: v ≈ scale · int8).
   */
  set(slot: number, vector: Float32Array, bulk = false): number {
    const appending = slot === this.count;
    const lane = this.beginChange(slot, bulk);
    if (appending) {
      this.reserve(slot + 1);
      this.count++;
    }
    const scale = quantizeRowInt8(vector, 0, this.dims, this.q8);
    // an unused lane's norm lane holds 1 (repack)
    if (lane) this.addToLanes(slot, this.q8, appending ? 1 : this.norms[slot], floorSqrtOfSquares(this.q8));
    this.values.set(this.q8, slot * this.dims);
    this.measure(slot);
    return scale;
  }

  /** Removes slot: the last item moves into it (slots stay dense). */
  removeSwap(slot: number): void {
    const dims = this.dims;
    const last = this.count - 1;
    if (slot !== last && this.beginChange(slot, false)) {
      this.addToLanes(slot, this.values.subarray(last * dims, (last + 1) * dims), this.norms[slot], this.norms[last]);
    }
    if (slot !== last) {
      this.values.copyWithin(slot * dims, last * dims, (last + 1) * dims);
      this.norms[slot] = this.norms[last];
      this.inv[slot] = this.inv[last];
    }
    // the last slot becomes an unused lane: zeros, norm lane 1
    if (this.beginChange(last, false)) this.addToLanes(last, this.zeros(), this.norms[last], 1);
    this.values.fill(0, last * dims, (last + 1) * dims);
    this.norms[last] = 0;
    this.inv[last] = 0;
    this.count = last;
  }

  private zeroValues: Int8Array | null = null;
  private zeros(): Int8Array {
    return (this.zeroValues ??= new Int8Array(this.dims));
  }

  /** Whether slot's change goes into its block's lanes at once (its block packed, few changes so far); else the block waits for commit(). */
  private beginChange(slot: number, bulk: boolean): boolean {
    const b = Math.floor(slot / this.blockItems);
    if (this.dirty.has(b)) return false;
    if (b === this.blocks.length && !bulk) this.addEmptyBlock();
    if (!bulk && b < this.blocks.length && slot - b * this.blockItems >= this.heldLanes[b]) {
      // above the lanes the block holds: commit() writes the run from the values
      this.appended.add(b);
      return false;
    }
    const taken = this.eager.get(b) ?? 0;
    if (bulk || b >= this.blocks.length || taken >= this.eagerItems) {
      this.dirty.add(b);
      return false;
    }
    this.eager.set(b, taken + 1);
    return true;
  }

  /** A block of zeros at the end, as packLaneKernel and repack would give it (the lane layout from a one-lane packing: it depends on dims only). */
  private addEmptyBlock(): void {
    this.emptyColumn ??= BigInt(128) * this.unused;
    const layout = packLaneKernel(this.zeros(), 1, this.dims) as LaneKernel;
    this.blocks.push({ ...layout, units: this.blockItems, ones: this.unused, columns: new Array<bigint>(this.dims).fill(this.emptyColumn) });
    this.blockNorms.push(this.unused);
    this.heldLanes.push(0);
  }

  /** Takes slot's values from its current ones to `next` (and its norm lane from `was` to `now`) into its block's lanes. */
  private addToLanes(slot: number, next: Int8Array, was: number, now: number): void {
    var dims = this.dims | 0;
    var b = Math.floor(slot / this.blockItems);
    var columns = this.blocks[b].columns;
    var values = this.values;
    var at = (slot * dims) | 0;
    var unit = BigInt(1) << BigInt(this.laneBits * (slot - b * this.blockItems));
    var delta = 0;
    for (var j = 0; j < dims; j = (j + 1) | 0) {
      delta = next[j] - values[(at + j) | 0];
      if (delta !== 0) columns[j] = columns[j] + DELTAS[(delta + 255) | 0] * unit;
    }
    if (now !== was) this.blockNorms[b] = this.blockNorms[b] + BigInt(now - was) * unit;
  }

  /** Whether blocks changed since the last commit (search() would pack them first). */
  get pending(): boolean {
    return this.dirty.size > 0;
  }

  /** Packs the blocks sent to commit anew (and drops emptied ones). */
  commit(): void {
    const blockCount = Math.ceil(this.count / this.blockItems);
    this.blocks.length = Math.min(this.blocks.length, blockCount);
    this.blockNorms.length = this.blocks.length;
    this.heldLanes.length = this.blocks.length;
    for (const b of [...this.dirty].sort((x, y) => x - y)) if (b < blockCount) this.repack(b);
    for (const b of this.appended) if (b < this.blocks.length && !this.dirty.has(b)) this.writeRun(b);
    this.dirty.clear();
    this.eager.clear();
    this.appended.clear();
  }

  /** Adds block b's lanes from heldLanes[b] to its last item into its columns and norm lanes (they held zeros). */
  private writeRun(b: number): void {
    const dims = this.dims;
    const B = this.blockItems;
    const from = this.heldLanes[b];
    const to = Math.min(B, this.count - b * B);
    if (to <= from) return;
    const run = packLaneKernel(this.values.subarray((b * B + from) * dims, (b * B + to) * dims), to - from, dims) as LaneKernel;
    const width = BigInt(this.laneBits);
    const shift = width * BigInt(from);
    // the run's columns less the zeros' packing they replace (128 in each of its lanes)
    const zeros = BigInt(128) * laneOnes(to - from, this.laneBits);
    const columns = this.blocks[b].columns;
    for (let j = 0; j < dims; j++) columns[j] = columns[j] + ((run.columns[j] - zeros) << shift);
    let norms = BigInt(0);
    for (let slot = b * B + from; slot < b * B + to; slot++) {
      if (this.norms[slot] !== 1) norms = norms + (BigInt(this.norms[slot] - 1) << (width * BigInt(slot - b * B)));
    }
    this.blockNorms[b] = this.blockNorms[b] + norms;
    this.heldLanes[b] = to;
  }

  /** Packs block b from values (packLaneKernel) and its norm lanes from norms. */
  private repack(b: number): void {
    const dims = this.dims;
    const B = this.blockItems;
    this.blocks[b] = packLaneKernel(this.values.subarray(b * B * dims, (b + 1) * B * dims), B, dims) as LaneKernel;
    const width = BigInt(this.laneBits);
    let norms = this.unused;
    const end = Math.min(this.count, (b + 1) * B);
    for (let slot = b * B; slot < end; slot++) {
      if (this.norms[slot] !== 1) norms = norms + (BigInt(this.norms[slot] - 1) << (width * BigInt(slot - b * B)));
    }
    this.blockNorms[b] = norms;
    this.heldLanes[b] = Math.max(0, Math.min(B, this.count - b * B));
  }

  /**
   * The k best slots by key (s_i·inv_i) for `query` (dims float32 values, not all zero),
   * ties to the lower slot; scores are the keys divided by ‖q‖ (the int8 cosine).
   */
  search(query: Float32Array, k: number): TopK {
    this.commit();
    var q = this.q8;
    quantizeRowInt8(query, 0, this.dims, q);
    var squares = 0;
    var d = 0;
    for (d = 0; d < this.dims; d = (d + 1) | 0) squares += q[d] * q[d];
    var topSlots: number[] = [];
    var topKeys: number[] = [];
    var worst = -Infinity;
    var full = false;
    var blocks = this.blocks;
    var blockNorms = this.blockNorms;
    var inverse = this.inv;
    var sums = this.sums;
    var buckets = this.buckets;
    var mask = this.mask;
    var none = BigInt(0);
    var maxW = this.maxW;
    var B = this.blockItems | 0;
    var count = this.count | 0;
    var blockCount = blocks.length | 0;
    var b = 0;
    var o = 0;
    var end = 0;
    var base = 0;
    var w = 0;
    var i = 0;
    var key = 0.0;
    var acc = none;
    var hexLanes = this.hex > 0;
    var digits = this.hex | 0;
    var half = 2 ** (this.laneBits - 1);
    var candidates = none;
    var marks = '';
    var text = '';
    var at = 0;
    var lane = 0;
    var sum = 0;
    for (b = 0; b < blockCount; b = (b + 1) | 0) {
      acc = laneAccumulatorValue(blocks[b], q, buckets);
      base = (b * B) | 0;
      end = count - base < B ? count - base : B;
      if (full && worst > 0) {
        w = Math.floor(worst * THRESHOLD_MARGIN);
        if (w > maxW) w = maxW;
        if (w >= 1) {
          candidates = (acc - BigInt(w) * blockNorms[b]) & mask;
          if (candidates === none) continue;
          if (hexLanes) {
            // only the candidate lanes: their top digit is 8 in `marks` (all other digits 0), lowest lane last
            marks = candidates.toString(16);
            text = acc.toString(16);
            for (at = marks.lastIndexOf('8'); at >= 0; at = marks.lastIndexOf('8', at - 1)) {
              lane = (((marks.length - at) / digits) | 0) - 1;
              if (lane >= end) break;
              sum = parseInt(text.substring(text.length - digits * (lane + 1), text.length - digits * lane), 16) - half;
              key = sum * inverse[(base + lane) | 0];
              if (key > worst) {
                insertTop(topKeys, topSlots, key, (base + lane) | 0, k);
                worst = topKeys[topKeys.length - 1];
              }
              if (at === 0) break;
            }
            continue;
          }
        }
      }
      readLaneSums(acc.toString(blocks[b].radix), blocks[b], half, sums);
      for (o = 0; o < end; o = (o + 1) | 0) {
        key = sums[o] * inverse[(base + o) | 0];
        if (!full || key > worst) {
          insertTop(topKeys, topSlots, key, (base + o) | 0, k);
          full = topSlots.length >= k;
          worst = topKeys[topKeys.length - 1];
        }
      }
    }
    var inverseQuery = squares > 0 ? 1 / Math.sqrt(squares) : 0;
    var scores: number[] = new Array<number>(topKeys.length);
    for (i = 0; i < topKeys.length; i++) scores[i] = topKeys[i] * inverseQuery;
    return { slots: topSlots, scores };
  }
}
