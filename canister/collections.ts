// Vector collections: named sets of items (id, vector, optional text and JSON metadata)
// bound to an embedding model, searched by exact cosine similarity: the top k is the brute
// force's over the float vectors, bit for bit (scores and order).
//
// Stable layout (its own stable memory, COLLECTIONS_MEMORY_ID, apart from the registry's):
//   "collections"            JSON {layout: 1, nextId, collections: [{id, name, model, dims, created}]}
//   "item/<cid>/<slot>"      u32 JSON length, the item's JSON {id, text, metadata}, zero padding
//                            to 4 bytes, then dims float32 (the unit-length vector)
// Slots are dense 0…count−1: a delete moves the last item into the freed slot, so a
// search scans one contiguous Float32Array. Everything is read back into the heap on
// first use (post_upgrade restores it; a query sees what the last update left).
//
// Search: an int8 copy of the vectors on BigInt lanes (engine/vector-search.ts, kept in the
// heap only: rebuilt from the floats after an upgrade by timer messages, indexNext) finds
// candidates, the floats rank them, and a bound on the int8 rounding proves no other item
// can enter the top k (searchIndexed); when it cannot, the floats are scanned (or the search
// refused where that would not fit). Measured in the canister, 64 dims, random vectors, top 10:
// ~39M instructions for 1k items, ~121M for 10k, ~856M for 100k, each with the query text's
// embedding (~10M); a float scan costs ~83K an item.
// The index costs adds ~1M an item in calls of many items (each block a call touches packed
// once, ~0.57B a block of 1024), ~30-40M a call of a few appended items (their run of lanes
// added into the block once), ~7M an item replaced or deleted in a call of few.
//
// Limits: a search plans its worst case before any work (int8PassCost, floatScanCost) within a
// budget (4.5B in a query, 35B in an update) and is refused past it (`too_large`, naming
// search_update), never a trap. So one query searches up to ~176,000 items of 64 dims for
// k = 10 (~90,000 for k = 100), or scans 45,000 as floats (maxQueryValues) while the index is
// rebuilt after an upgrade; an update searches a whole collection, up to maxItemValues
// (250,000 items of 64 dims); adds beyond that are refused.

import { quantizeRowInt8 } from '../engine/kernels.ts';
import { laneBitsFor } from '../engine/kernels-lanes.ts';
import { Int8VectorIndex, SEARCH_BLOCK_ITEMS, SEARCH_EAGER_ITEMS } from '../engine/vector-search.ts';
import type { BytesMap } from './registry.ts';
import { decodeUtf8, encodeUtf8 } from './utf8.ts';

export const COLLECTIONS_MEMORY_ID = 5;
/** Index blocks a timer message fills after an upgrade (indexNext). */
export const INDEX_BLOCKS_PER_MESSAGE = 8;
export const COLLECTIONS_LAYOUT = 1;

export const COLLECTION_LIMITS = {
  /** Vector values (items × dims) per collection: 250,000 items of 64 dims (searched in an update beyond maxQueryValues). */
  maxItemValues: 16_000_000,
  /** Vector values one query scans as floats (no index yet, or the candidates proved nothing): 45,000 items of 64 dims. */
  maxQueryValues: 2_880_000,
  /** Vector values one query searches through the int8 index (the budget below decides first: ~176,000 items of 64 dims for k = 10). */
  maxIndexedQueryValues: 16_000_000,
  /** Instructions a query's search may plan for, at its worst (the limit is 5B: the rest for the query's embedding and reply). */
  queryBudget: 4_500_000_000,
  /** The same for an update (the limit is 40B). */
  updateBudget: 35_000_000_000,
  maxK: 100,
  maxIdBytes: 256,
  maxTextBytes: 8192,
  maxMetadataBytes: 4096,
  maxNameBytes: 64,
  maxCollections: 64,
  maxItemsPerCall: 1000,
};

export class CollectionError extends Error {
  constructor(readonly code: 'not_found' | 'bad_input' | 'too_large' | 'conflict' | 'forbidden', message: string) {
    super(message);
    this.name = 'CollectionError';
  }
}

export interface CollectionInfo {
  name: string;
  model: string;
  dims: number;
  count: number;
  created: string;
}

export interface NewItem {
  id: string;
  /** Unit-length (or any non-zero) vector of the collection's dims. */
  vector: ArrayLike<number>;
  text?: string | null;
  /** A JSON text (checked to parse). */
  metadata?: string | null;
}

export interface Hit {
  id: string;
  score: number;
  text: string | null;
  metadata: string | null;
}

interface StoredCollection {
  id: number;
  name: string;
  model: string;
  dims: number;
  created: string;
}

class Collection {
  count = 0;
  vectors: Float32Array;
  ids: string[] = [];
  texts: (string | null)[] = [];
  metadata: (string | null)[] = [];
  slots = new Map<string, number>();
  /**
   * The int8 copy of the vectors on BigInt lanes (engine/vector-search.ts), which finds the
   * candidates the float vectors then rank exactly; null where the dims have no lane width.
   * It holds slots [0, index.count): after an upgrade the timers fill it a few blocks per
   * message (indexNext), and until it holds every slot, packed, searches scan the floats.
   */
  index: Int8VectorIndex | null;
  /** Upper bound of ‖v − v8/‖v8‖‖ over the items the index ever held (an item's int8 rounding, as a unit vector; itemError). */
  maxError = 0;
  constructor(readonly stored: StoredCollection) {
    this.vectors = new Float32Array(stored.dims * 16);
    this.index = laneBitsFor(stored.dims) > 0 ? new Int8VectorIndex(stored.dims) : null;
  }
  /** Whether the index holds every item, packed: searches may use it. */
  indexed(): boolean {
    return this.index !== null && this.index.count === this.count && !this.index.pending;
  }
  /** Puts slot's vector (< count) into the index when the index reaches it (slots past index.count wait for indexNext); `bulk`: many in one block. */
  indexSlot(slot: number, bulk = false): void {
    const index = this.index;
    if (index === null || slot > index.count) return;
    const dims = this.stored.dims;
    const scale = index.set(slot, this.vectors.subarray(slot * dims, (slot + 1) * dims), bulk);
    const error = itemError(dims, scale, index.inv[slot]);
    if (error > this.maxError) this.maxError = error;
  }
  reserve(count: number): void {
    const needed = count * this.stored.dims;
    if (needed <= this.vectors.length) return;
    const grown = new Float32Array(Math.max(needed, this.vectors.length * 2));
    grown.set(this.vectors.subarray(0, this.count * this.stored.dims));
    this.vectors = grown;
  }
}

const META_KEY = encodeUtf8('collections');
const itemKey = (cid: number, slot: number): Uint8Array => encodeUtf8(`item/${cid}/${slot}`);

function byteLength(text: string): number {
  return encodeUtf8(text).length;
}

/**
 * Top k of `scores`-by-dot-product over vectors[0, count·dims) against a unit query:
 * exact brute force, ties to the lower slot. Returns slots and scores, best first.
 */
export function searchVectors(vectors: Float32Array, count: number, dims: number, query: ArrayLike<number>, k: number): { slots: number[]; scores: number[] } {
  var topSlots: number[] = [];
  var topScores: number[] = [];
  var worst = -Infinity;
  var q = new Float64Array(dims);
  var d = 0;
  for (d = 0; d < dims; d++) q[d] = query[d];
  var s = 0;
  var dot = 0.0;
  var i = 0;
  for (s = 0; s < count; s = (s + 1) | 0) {
    // one function for every float score (scoreSlot): candidates re-ranked from the index sum the same way, bit for bit
    dot = scoreSlot(vectors, s, dims, q);
    if (topSlots.length < k || dot > worst) {
      // insert in order (k is small): after equal scores, so a lower slot stays first
      i = topScores.length;
      while (i > 0 && topScores[i - 1] < dot) i--;
      topScores.splice(i, 0, dot);
      topSlots.splice(i, 0, s);
      if (topSlots.length > k) {
        topScores.pop();
        topSlots.pop();
      }
      worst = topSlots.length < k ? -Infinity : topScores[topScores.length - 1];
    }
  }
  return { slots: topSlots, scores: topScores };
}

/** The plain reference the tests compare with: score every item, sort (score descending, then slot). */
export function searchVectorsReference(vectors: Float32Array, count: number, dims: number, query: ArrayLike<number>, k: number): { slots: number[]; scores: number[] } {
  const all: { slot: number; score: number }[] = [];
  for (let s = 0; s < count; s++) {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += vectors[s * dims + d] * query[d];
    all.push({ slot: s, score: dot });
  }
  all.sort((a, b) => b.score - a.score || a.slot - b.slot);
  const top = all.slice(0, k);
  return { slots: top.map((t) => t.slot), scores: top.map((t) => t.score) };
}

/**
 * An upper bound of ‖v − v8/‖v8‖‖ for a unit vector v and v8 = round(v / scale), without a
 * pass over the values (one costs ~6K instructions a value in the canister): with x = v / scale,
 * ‖x − v8‖ ≤ ½√dims (each value rounded by ≤ ½), and by the Dunkl–Williams inequality
 * ‖x/‖x‖ − v8/‖v8‖‖ ≤ 2‖x − v8‖ / (‖x‖ + ‖v8‖); ‖x‖ = 1/scale (‖v‖ = 1 within float32
 * rounding, taken off by 1e−6), ‖v8‖ = 1/inv.
 */
function itemError(dims: number, scale: number, inv: number): number {
  if (!(scale > 0) || !(inv > 0)) return 2;
  return Math.sqrt(dims) / ((1 - 1e-6) / scale + 1 / inv);
}

/** ‖v − v8·inv‖ for the dims values of v (float) and v8 (int8) at their offsets, inv = 1/‖v8‖: how far the int8 vector's direction is from v's. */
function roundingError(v: ArrayLike<number>, at: number, v8: Int8Array, at8: number, dims: number, inv: number): number {
  var sum = 0.0;
  var e = 0.0;
  for (var d = 0; d < dims; d = (d + 1) | 0) {
    e = v[at + d] - v8[at8 + d] * inv;
    sum += e * e;
  }
  return Math.sqrt(sum);
}

/** Float dot product of slot's vector with q, one addition at a time in index order (the plain reference's sums, bit for bit); eight multiply-adds per loop turn, as QuickJS pays per bytecode. */
function scoreSlot(vectors: Float32Array, slot: number, dims: number, q: Float64Array): number {
  var dot = 0.0;
  var row = (slot * dims) | 0;
  var dims8 = dims - (dims % 8);
  var d = 0;
  var r = 0;
  for (d = 0; d < dims8; d = (d + 8) | 0) {
    r = row + d;
    dot += vectors[r] * q[d];
    dot += vectors[r + 1] * q[d + 1];
    dot += vectors[r + 2] * q[d + 2];
    dot += vectors[r + 3] * q[d + 3];
    dot += vectors[r + 4] * q[d + 4];
    dot += vectors[r + 5] * q[d + 5];
    dot += vectors[r + 6] * q[d + 6];
    dot += vectors[r + 7] * q[d + 7];
  }
  for (; d < dims; d = (d + 1) | 0) dot += vectors[row + d] * q[d];
  return dot;
}

/** Margin for rounding in the bound below: the float32 unit vectors' norms are 1 within ~1e−7, keys and dot products err by ~1e−15. */
const BOUND_MARGIN = 1e-6;

/**
 * Worst-case instructions of one int8 pass for the top `wanted` (measured in the canister at 64 dims:
 * items rising toward the query, so no block is skipped and every lane enters the top: 23.3K an item
 * for 36, 47.2K for 216, 83K for 576; the lane kernel ~115 a dimension): random collections cost
 * ~8.5K an item of 64 dims.
 */
function int8PassCost(count: number, dims: number, wanted: number): number {
  return count * (120 * dims + 13_000 + 135 * wanted);
}
/** Candidates the first int8 pass takes for a top k (searchIndexed; search plans its cost with the same count). */
function firstPassCandidates(count: number, k: number): number {
  return Math.min(count, 2 * k + 16);
}
/** Instructions of a float scan (searchVectors: ~83K an item of 64 dims). */
function floatScanCost(count: number, dims: number): number {
  return count * (1_300 * dims + 2_000);
}

/**
 * Exact top k by float dot product, the int8 index finding the candidates: the index's top K by
 * int8 cosine g (K ≥ k) are scored exactly as searchVectors scores them; any other item j has
 * g_j ≤ g_K, and its float score f_j ≤ g_j + maxError·‖q‖ + ‖q − q8/‖q8‖‖ (|⟨v,q⟩ − ⟨v',q'⟩| ≤
 * ‖v − v'‖·‖q‖ + ‖v'‖·‖q − q'‖, v' and q' the int8 vectors as unit vectors). So when the k-th
 * exact score is above that bound, no other item can enter: the answer is the brute force's,
 * scores and order bit for bit. Otherwise one more pass, for as many candidates as the first
 * pass's spread of scores says reach the bound, when that is at most 4× as many and the budget
 * allows; else null (the caller scans the floats, or refuses). `budget` bounds the passes' worst
 * case (int8PassCost); returns what was spent beside the answer.
 */
function searchIndexed(c: Collection, query: Float32Array, k: number, budget: number): { found: { slots: number[]; scores: number[] } | null; spent: number } {
  const index = c.index!;
  const dims = c.stored.dims;
  const q = new Float64Array(dims);
  for (let d = 0; d < dims; d++) q[d] = query[d];
  const q8 = new Int8Array(dims);
  quantizeRowInt8(query, 0, dims, q8);
  let squares = 0;
  let norm = 0;
  for (let d = 0; d < dims; d++) {
    squares += q8[d] * q8[d];
    norm += q[d] * q[d];
  }
  const queryError = roundingError(q, 0, q8, 0, dims, squares > 0 ? 1 / Math.sqrt(squares) : 0);
  const slack = c.maxError * Math.sqrt(norm) + queryError + BOUND_MARGIN;
  let spent = 0;
  let wanted = firstPassCandidates(c.count, k);
  for (let pass = 0; pass < 2; pass++) {
    if (spent + int8PassCost(c.count, dims, wanted) > budget) break;
    spent += int8PassCost(c.count, dims, wanted);
    const top = index.search(query, wanted);
    const ranked = top.slots.map((slot) => ({ slot, score: scoreSlot(c.vectors, slot, dims, q) }));
    ranked.sort((a, b) => b.score - a.score || a.slot - b.slot);
    const best = ranked.slice(0, k);
    const last = top.scores[top.scores.length - 1];
    if (top.slots.length >= c.count || (best.length === k && best[k - 1].score > last + slack)) {
      return { found: { slots: best.map((h) => h.slot), scores: best.map((h) => h.score) }, spent };
    }
    // candidates down to the bound, from the density of the first pass's int8 scores
    const spread = top.scores[0] - last;
    const reach = top.scores[0] - (best.length === k ? best[k - 1].score - slack : -1);
    const estimate = spread > 0 ? Math.ceil((1.5 * wanted * reach) / spread) : Infinity;
    if (!(estimate <= 4 * wanted)) break;
    wanted = Math.min(c.count, Math.max(estimate, wanted + 1));
  }
  return { found: null, spent };
}

/** Scales a vector to unit length (float32); refuses zero and non-finite vectors. */
export function unitVector(vector: ArrayLike<number>, dims: number, what: string): Float32Array {
  if (vector.length !== dims) throw new CollectionError('bad_input', `${what} has ${vector.length} values, the collection's vectors have ${dims}`);
  let sum = 0;
  for (let d = 0; d < dims; d++) {
    const v = vector[d];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new CollectionError('bad_input', `${what}[${d}] is not a finite number`);
    sum += v * v;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) throw new CollectionError('bad_input', `${what} is all zeros (or too large): it has no direction`);
  const out = new Float32Array(dims);
  const inverse = 1 / Math.sqrt(sum);
  for (let d = 0; d < dims; d++) out[d] = vector[d] * inverse;
  return out;
}

export class Collections {
  private loaded = false;
  private nextId = 1;
  private readonly byName = new Map<string, Collection>();

  constructor(private readonly store: BytesMap, private readonly now: () => bigint) {}

  /** Reads every collection back from stable memory (once; post_upgrade calls it). */
  restore(): void {
    if (this.loaded) return;
    this.loaded = true;
    const raw = this.store.get(META_KEY);
    if (raw === undefined) return;
    const meta = JSON.parse(decodeUtf8(raw)) as { layout: number; nextId: number; collections: StoredCollection[] };
    if (meta.layout !== COLLECTIONS_LAYOUT) throw new Error(`collections: stable layout ${meta.layout} is not ${COLLECTIONS_LAYOUT}`);
    this.nextId = meta.nextId;
    for (const stored of meta.collections) {
      const c = new Collection(stored);
      for (let slot = 0; ; slot++) {
        const bytes = this.store.get(itemKey(stored.id, slot));
        if (bytes === undefined) break;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const length = view.getUint32(0, true);
        const item = JSON.parse(decodeUtf8(bytes, 4, 4 + length)) as { id: string; text: string | null; metadata: string | null };
        const at = 4 + ((length + 3) & ~3);
        c.reserve(slot + 1);
        const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
        c.vectors.set(new Float32Array(aligned.buffer, aligned.byteOffset + at, stored.dims), slot * stored.dims);
        c.ids.push(item.id);
        c.texts.push(item.text);
        c.metadata.push(item.metadata);
        c.slots.set(item.id, slot);
        c.count = slot + 1;
      }
      this.byName.set(stored.name, c);
    }
  }

  /**
   * Fills the indexes a few blocks at a time (after an upgrade: the glue's timers call it until
   * it answers false): quantizes and packs up to `blocks` blocks of SEARCH_BLOCK_ITEMS items
   * (~1B instructions each at 64 dims: the quantization ~0.45M an item, the packing ~0.57B). Returns whether blocks remain.
   */
  indexNext(blocks = INDEX_BLOCKS_PER_MESSAGE): boolean {
    this.restore();
    for (const c of this.byName.values()) {
      const index = c.index;
      if (index === null || c.indexed()) continue;
      while (blocks > 0 && index.count < c.count) {
        const end = Math.min(c.count, index.count + SEARCH_BLOCK_ITEMS);
        for (let slot = index.count; slot < end; slot++) c.indexSlot(slot, true);
        index.commit();
        blocks--;
      }
      index.commit();
      if (blocks === 0) return this.unindexed();
    }
    return false;
  }

  /** Whether a collection's index is not complete yet. */
  private unindexed(): boolean {
    for (const c of this.byName.values()) if (c.index !== null && !c.indexed()) return true;
    return false;
  }

  private save(): void {
    const collections = [...this.byName.values()].map((c) => c.stored);
    this.store.insert(META_KEY, encodeUtf8(JSON.stringify({ layout: COLLECTIONS_LAYOUT, nextId: this.nextId, collections })));
  }

  private writeItem(c: Collection, slot: number): void {
    const json = encodeUtf8(JSON.stringify({ id: c.ids[slot], text: c.texts[slot], metadata: c.metadata[slot] }));
    const dims = c.stored.dims;
    const at = 4 + ((json.length + 3) & ~3);
    const bytes = new Uint8Array(at + dims * 4);
    new DataView(bytes.buffer).setUint32(0, json.length, true);
    bytes.set(json, 4);
    bytes.set(new Uint8Array(c.vectors.buffer, c.vectors.byteOffset + slot * dims * 4, dims * 4), at);
    this.store.insert(itemKey(c.stored.id, slot), bytes);
  }

  private get(name: string): Collection {
    this.restore();
    const c = this.byName.get(name);
    if (c === undefined) throw new CollectionError('not_found', `no collection '${name}'`);
    return c;
  }

  info(name: string): CollectionInfo {
    const c = this.get(name);
    return { name, model: c.stored.model, dims: c.stored.dims, count: c.count, created: c.stored.created };
  }

  list(): CollectionInfo[] {
    this.restore();
    return [...this.byName.keys()].map((name) => this.info(name));
  }

  create(name: string, model: string, dims: number): CollectionInfo {
    this.restore();
    if (name.length === 0 || byteLength(name) > COLLECTION_LIMITS.maxNameBytes || !/^[A-Za-z0-9._-]+$/.test(name)) {
      throw new CollectionError('bad_input', `collection name '${name}' must be 1–${COLLECTION_LIMITS.maxNameBytes} characters of A-Z a-z 0-9 . _ -`);
    }
    if (this.byName.has(name)) throw new CollectionError('conflict', `collection '${name}' already exists`);
    if (this.byName.size >= COLLECTION_LIMITS.maxCollections) throw new CollectionError('too_large', `at most ${COLLECTION_LIMITS.maxCollections} collections`);
    const stored: StoredCollection = { id: this.nextId++, name, model, dims, created: String(this.now()) };
    this.byName.set(name, new Collection(stored));
    this.save();
    return this.info(name);
  }

  /** Removes a collection and all its items; returns how many items it held. */
  drop(name: string): number {
    const c = this.get(name);
    for (let slot = 0; slot < c.count; slot++) this.store.remove(itemKey(c.stored.id, slot));
    this.byName.delete(name);
    this.save();
    return c.count;
  }

  /** Model and dims a collection embeds with. */
  binding(name: string): { model: string; dims: number } {
    const c = this.get(name);
    return { model: c.stored.model, dims: c.stored.dims };
  }

  /** Checks a batch of items before any change (all or nothing). */
  check(name: string, items: readonly NewItem[]): void {
    const c = this.get(name);
    if (items.length > COLLECTION_LIMITS.maxItemsPerCall) throw new CollectionError('too_large', `${items.length} items in one call is over the limit of ${COLLECTION_LIMITS.maxItemsPerCall}`);
    const seen = new Set<string>();
    let added = 0;
    for (const [i, item] of items.entries()) {
      if (typeof item.id !== 'string' || item.id.length === 0 || byteLength(item.id) > COLLECTION_LIMITS.maxIdBytes) throw new CollectionError('bad_input', `item ${i}: id must be 1–${COLLECTION_LIMITS.maxIdBytes} bytes`);
      if (seen.has(item.id)) throw new CollectionError('bad_input', `item ${i}: id '${item.id}' appears twice in this call`);
      seen.add(item.id);
      if (!c.slots.has(item.id)) added++;
      if (item.text != null && byteLength(item.text) > COLLECTION_LIMITS.maxTextBytes) throw new CollectionError('too_large', `item '${item.id}': text over ${COLLECTION_LIMITS.maxTextBytes} bytes`);
      if (item.metadata != null) {
        if (byteLength(item.metadata) > COLLECTION_LIMITS.maxMetadataBytes) throw new CollectionError('too_large', `item '${item.id}': metadata over ${COLLECTION_LIMITS.maxMetadataBytes} bytes`);
        try {
          JSON.parse(item.metadata);
        } catch {
          throw new CollectionError('bad_input', `item '${item.id}': metadata is not valid JSON`);
        }
      }
      unitVector(item.vector, c.stored.dims, `item '${item.id}' vector`);
    }
    if ((c.count + added) * c.stored.dims > COLLECTION_LIMITS.maxItemValues) {
      throw new CollectionError('too_large', `collection '${name}' would hold ${c.count + added} items of ${c.stored.dims} dims, over the limit of ${COLLECTION_LIMITS.maxItemValues} values (${Math.floor(COLLECTION_LIMITS.maxItemValues / c.stored.dims)} items)`);
    }
  }

  /** Adds items, replacing those whose id exists (the index's changed blocks packed at the end). Returns the collection's new count. */
  add(name: string, items: readonly NewItem[]): number {
    this.check(name, items);
    const c = this.get(name);
    const dims = c.stored.dims;
    // many items: their blocks packed anew at the end, not each item into the lanes
    const bulk = items.length > SEARCH_EAGER_ITEMS;
    for (const item of items) {
      const vector = unitVector(item.vector, dims, `item '${item.id}' vector`);
      let slot = c.slots.get(item.id);
      if (slot === undefined) {
        slot = c.count++;
        c.reserve(c.count);
        c.ids.push(item.id);
        c.texts.push(null);
        c.metadata.push(null);
        c.slots.set(item.id, slot);
      }
      c.vectors.set(vector, slot * dims);
      c.texts[slot] = item.text ?? null;
      c.metadata[slot] = item.metadata ?? null;
      this.writeItem(c, slot);
      c.indexSlot(slot, bulk);
    }
    c.index?.commit();
    return c.count;
  }

  /** Deletes items by id (unknown ids are skipped). Returns how many were deleted. */
  remove(name: string, ids: readonly string[]): number {
    const c = this.get(name);
    if (ids.length > COLLECTION_LIMITS.maxItemsPerCall) throw new CollectionError('too_large', `${ids.length} ids in one call is over the limit of ${COLLECTION_LIMITS.maxItemsPerCall}`);
    const dims = c.stored.dims;
    let removed = 0;
    for (const id of ids) {
      const slot = c.slots.get(id);
      if (slot === undefined) continue;
      const last = c.count - 1;
      c.slots.delete(id);
      if (slot !== last) {
        // the last item moves into the freed slot
        c.vectors.copyWithin(slot * dims, last * dims, (last + 1) * dims);
        c.ids[slot] = c.ids[last];
        c.texts[slot] = c.texts[last];
        c.metadata[slot] = c.metadata[last];
        c.slots.set(c.ids[slot], slot);
        this.writeItem(c, slot);
      }
      // the index moves its last item the same way when it holds every item; else it takes the moved vector (or not yet, past its count)
      if (c.index !== null && c.index.count === c.count) c.index.removeSwap(slot);
      else if (slot !== last) c.indexSlot(slot);
      c.ids.pop();
      c.texts.pop();
      c.metadata.pop();
      this.store.remove(itemKey(c.stored.id, last));
      c.count = last;
      removed++;
    }
    c.index?.commit();
    return removed;
  }

  /**
   * The top k items by cosine similarity to a query vector, exact (the brute force's answer):
   * through the int8 index when it holds every item (searchIndexed), else a scan of the floats.
   * What a query (or an update) could cost at its worst is planned before the work: past its
   * budget the search is refused (`too_large`, naming search_update), never a trap.
   */
  search(name: string, query: ArrayLike<number>, k: number, update = false): Hit[] {
    const c = this.get(name);
    if (!Number.isInteger(k) || k < 1 || k > COLLECTION_LIMITS.maxK) throw new CollectionError('bad_input', `k must be 1–${COLLECTION_LIMITS.maxK}, not ${k}`);
    const dims = c.stored.dims;
    const values = c.count * dims;
    const indexed = c.indexed();
    const budget = update ? COLLECTION_LIMITS.updateBudget : COLLECTION_LIMITS.queryBudget;
    const tooLarge = (why: string) =>
      new CollectionError('too_large', `collection '${name}' holds ${c.count} vectors of ${dims} dims: ${why}; search it in an update (search_update, or ?verified=true)`);
    if (!update && indexed && (values > COLLECTION_LIMITS.maxIndexedQueryValues || int8PassCost(c.count, dims, firstPassCandidates(c.count, k)) > budget)) {
      throw tooLarge(`more than one query can search for the top ${k}`);
    }
    if (!update && !indexed && (values > COLLECTION_LIMITS.maxQueryValues || floatScanCost(c.count, dims) > budget)) {
      throw tooLarge(`more than one query can scan (${Math.floor(COLLECTION_LIMITS.maxQueryValues / dims)})${c.index !== null ? ' while its int8 index is being rebuilt after an upgrade' : ''}`);
    }
    const unit = unitVector(query, dims, 'the query vector');
    const { found, spent } = indexed ? searchIndexed(c, unit, k, budget) : { found: null, spent: 0 };
    if (found === null && ((!update && values > COLLECTION_LIMITS.maxQueryValues) || spent + floatScanCost(c.count, dims) > budget)) {
      // the candidates could not prove the top k (many items about as close as the k-th), and a float scan would not fit
      throw tooLarge(`too many of them are about as close as the k-th for one ${update ? 'update' : 'query'} to prove the top ${k}`);
    }
    const { slots, scores } = found ?? searchVectors(c.vectors, c.count, dims, unit, k);
    return slots.map((slot, i) => ({ id: c.ids[slot], score: scores[i], text: c.texts[slot], metadata: c.metadata[slot] }));
  }

  /** Vectors of a collection, for tests (a copy). */
  vectorsOf(name: string): { vectors: Float32Array; ids: string[] } {
    const c = this.get(name);
    return { vectors: c.vectors.slice(0, c.count * c.stored.dims), ids: c.ids.slice() };
  }
}
