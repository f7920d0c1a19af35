// Vector collections: named sets of items (id, vector, optional text and JSON metadata)
// bound to an embedding model, searched by exact brute-force cosine similarity.
//
// Stable layout (its own stable memory, COLLECTIONS_MEMORY_ID, apart from the registry's):
//   "collections"            JSON {layout: 1, nextId, collections: [{id, name, model, dims, created}]}
//   "item/<cid>/<slot>"      u32 JSON length, the item's JSON {id, text, metadata}, zero padding
//                            to 4 bytes, then dims float32 (the unit-length vector)
// Slots are dense 0…count−1: a delete moves the last item into the freed slot, so a
// search scans one contiguous Float32Array. Everything is read back into the heap on
// first use (post_upgrade restores it; a query sees what the last update left).
//
// Limits (measured on the host: ~83K instructions per 64-dim vector scanned in the canister, ~1.3K
// per value): a query scans at most COLLECTION_LIMITS.maxQueryValues values (items × dims: 45,000
// items of 64 dims, ~3.7B instructions, inside the 5B query limit); a larger collection is
// refused in a query (`too_large`, naming search_update) and searched in an update
// (search_update, ?verified=true) up to maxItemValues (250,000 items of 64 dims, ~21B of the 40B
// update limit); adds beyond that are refused. Never a search that traps.

import type { BytesMap } from './registry.ts';
import { decodeUtf8, encodeUtf8 } from './utf8.ts';

export const COLLECTIONS_MEMORY_ID = 5;
export const COLLECTIONS_LAYOUT = 1;

export const COLLECTION_LIMITS = {
  /** Vector values (items × dims) per collection: 250,000 items of 64 dims (searched in an update beyond maxQueryValues). */
  maxItemValues: 16_000_000,
  /** Vector values one query scans: 45,000 items of 64 dims. */
  maxQueryValues: 2_880_000,
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
  constructor(readonly stored: StoredCollection) {
    this.vectors = new Float32Array(stored.dims * 16);
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
  var row = 0;
  var s = 0;
  var dot = 0.0;
  var i = 0;
  var r = 0;
  // eight multiply-adds per loop turn (QuickJS pays per bytecode: fewer counter updates and tests)
  var dims8 = dims - (dims % 8);
  for (s = 0; s < count; s = (s + 1) | 0) {
    dot = 0.0;
    row = (s * dims) | 0;
    for (d = 0; d < dims8; d = (d + 8) | 0) {
      r = row + d;
      // one addition at a time, in index order: the same sums as the plain reference, bit for bit
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

  /** Adds items, replacing those whose id exists. Returns the collection's new count. */
  add(name: string, items: readonly NewItem[]): number {
    this.check(name, items);
    const c = this.get(name);
    const dims = c.stored.dims;
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
    }
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
      c.ids.pop();
      c.texts.pop();
      c.metadata.pop();
      this.store.remove(itemKey(c.stored.id, last));
      c.count = last;
      removed++;
    }
    return removed;
  }

  /** The top k items by cosine similarity to a query vector (exact). */
  search(name: string, query: ArrayLike<number>, k: number, update = false): Hit[] {
    const c = this.get(name);
    if (!update && c.count * c.stored.dims > COLLECTION_LIMITS.maxQueryValues) {
      throw new CollectionError('too_large', `collection '${name}' holds ${c.count} vectors of ${c.stored.dims} dims, more than one query can scan (${Math.floor(COLLECTION_LIMITS.maxQueryValues / c.stored.dims)}): search it in an update (search_update, or ?verified=true)`);
    }
    if (!Number.isInteger(k) || k < 1 || k > COLLECTION_LIMITS.maxK) throw new CollectionError('bad_input', `k must be 1–${COLLECTION_LIMITS.maxK}, not ${k}`);
    const unit = unitVector(query, c.stored.dims, 'the query vector');
    const { slots, scores } = searchVectors(c.vectors, c.count, c.stored.dims, unit, k);
    return slots.map((slot, i) => ({ id: c.ids[slot], score: scores[i], text: c.texts[slot], metadata: c.metadata[slot] }));
  }

  /** Vectors of a collection, for tests (a copy). */
  vectorsOf(name: string): { vectors: Float32Array; ids: string[] } {
    const c = this.get(name);
    return { vectors: c.vectors.slice(0, c.count * c.stored.dims), ids: c.ids.slice() };
  }
}
