// The model registry: uploads, versions and the loaded (active) models.
// Pure logic over two byte maps, so it runs the same in the canister (Azle's
// StableBTreeMap) and in Node tests (a Map). The stable layout, version LAYOUT (2):
//   meta:   "registry"     → {layout, nextId, models: names, uploads: ids} as JSON
//           "model/<name>" → that model's record (its versions) as JSON
//           "upload/<id>"  → an open upload's record (with its SHA-256 state) as JSON
//   chunks: u32 storage id ‖ u32 chunk index (big-endian) → the chunk's bytes
// Layout 1 (earlier builds) kept every model record inside "registry"; restore reads
// it and rewrites it as layout 2. A layout newer than this build's is refused (the
// upgrade traps, so the IC keeps the running build). A write touches one model's
// record: its cost does not grow with the models stored.
// An upload's chunks are written once and never copied: commit turns the upload
// into a version that keeps the same storage id. Every method checks everything
// before it changes anything, so a refused call leaves the state as it was (and
// on the IC a trap would roll the whole message back anyway).

import { DeferredPacking, loadModel as engineLoadModel, inputSpecs, outputSpecs, type LoadOptions, type Model, type TensorSpec } from '../engine/index.ts';
import { BUILD_MESSAGE_BUDGET, MIN_BUILD_BUDGET, ModelBuild, TRIAL_ESTIMATE_FACTOR } from './build.ts';
import { sha256Blocks, sha256Finish, sha256Init, toHex, isSha256Hex } from './sha256.ts';
import { encodeJsonUtf8, encodeUtf8, decodeUtf8 } from './utf8.ts';

export interface BytesMap {
  get(key: Uint8Array): Uint8Array | undefined;
  insert(key: Uint8Array, value: Uint8Array): void;
  remove(key: Uint8Array): void;
}

export type RegistryErrorCode =
  | 'not_found'
  | 'loading'
  | 'bad_request'
  | 'conflict'
  | 'too_large'
  | 'invalid_model'
  | 'mismatch'
  | 'pending'
  | 'too_heavy'
  | 'forbidden';

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
  }
}

export const LIMITS = {
  /** Largest model file (its bytes are one heap buffer while active; commit hashes nothing, so it stays in one message). */
  maxModelBytes: 128 * 1024 * 1024,
  /** All stored bytes: every version's file and every open upload's declared size (stable memory). */
  maxStoredBytes: 4 * 1024 * 1024 * 1024,
  /** The files of the active versions together (each lives in the heap, whose wasm32 limit is 4 GiB, beside what its model builds). */
  maxActiveBytes: 1024 * 1024 * 1024,
  /**
   * The active versions' files and their packed int8 kernels together (4 bytes a weight on the
   * packed kernel, ~3.3 transient on the BigInt lanes: engine/deferred-packing.ts), checked at
   * commit and activate before any packing: the wasm32 heap is 4 GiB, the rest is the runtime's.
   */
  maxHeapBytes: 3 * 1024 * 1024 * 1024,
  /**
   * Largest chunk per append call. Each append hashes its chunk (SHA-256, ~12.6K instructions
   * a byte in QuickJS), so 1 MiB costs ~13B instructions: a third of the 40B update limit.
   */
  maxChunkBytes: 1024 * 1024,
  /** Uploads open at once. */
  maxOpenUploads: 8,
  /** An upload with no begin_upload or append_chunk for this long (canister time) expires: its chunks are freed. */
  uploadIdleSeconds: 24 * 60 * 60,
  /** Versions kept per model name. */
  maxVersions: 64,
  /** Model names held. */
  maxModels: 64,
  /** Largest slice returned by one read. */
  maxReadBytes: 1024 * 1024,
  /** Bytes hashed by one verify call (a multiple of 64): ~7B instructions, a sixth of the update limit. */
  verifySliceBytes: 512 * 1024,
  /**
   * Bytes of an upload hashed by one append or commit at most (a multiple of 64): the chunk
   * just received and the few bytes before it that did not fill a block. More is left for
   * the next call (only an upload begun by an earlier build, which kept no hash, falls behind).
   */
  hashSliceBytes: 1024 * 1024 + 64,
};

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface UploadRecord {
  id: number;
  name: string;
  size: number;
  sha256: string;
  received: number;
  chunks: number[];
  started: string; // ns
  /** Canister time of the last begin_upload or append_chunk (ns): an upload idle for LIMITS.uploadIdleNs expires. */
  touched: string;
  /**
   * The SHA-256 of the bytes received so far, kept between appends (in stable memory, with the
   * record): the eight state words after the whole 64-byte blocks, and the bytes after them
   * (fewer than 64). Absent in uploads begun by an earlier build: then commit hashes the file.
   */
  hash: HashProgress;
  /**
   * The SHA-256 of the whole file (hex), finished by the append that brought its last byte
   * when every block before was hashed by then; commit compares it with the declared one.
   * Absent otherwise (or in uploads of an earlier build): commit finishes the hash itself.
   */
  digest?: string;
}

/** SHA-256 of a file's first `hashed` bytes (a multiple of 64): the eight state words. */
export interface HashProgress {
  h: number[];
  hashed: number;
}

export interface VersionRecord {
  id: number; // storage id
  name: string;
  version: number;
  size: number;
  sha256: string;
  chunks: number[];
  created: string; // ns
  activated: string; // ns, last activation ("0" never)
  verified: boolean;
  /** Result of the last finished verify: the computed hash. */
  computedSha256: string | null;
  /** A verify in progress: bytes hashed and the hash state. */
  verifying: { hashed: number; h: number[] } | null;
  /** What the engine read from the file at commit. */
  summary: ModelSummary;
  /** Instructions one prediction took when commit ran it (absent: committed by an earlier build, not measured). */
  predictInstructions?: number;
  /** Whether that prediction fits a query (QUERY_PREDICT_BUDGET); a query predict on a model that does not answers `too_heavy`. */
  fitsQuery?: boolean;
  /** Committed (or activated) with a build spread over messages (canister/build.ts) whose trial prediction has not run yet. */
  pendingTrial?: boolean;
  /** Heap bytes it holds while active: its file and its packed int8 kernels (absent: committed by an earlier build, its size counts). */
  heapBytes?: number;
}

/** The IC's instruction limit of one query message. */
export const QUERY_INSTRUCTION_LIMIT = 5_000_000_000;
/**
 * What a query spends outside the prediction commit measures: dispatch (~0.1M, the bench's
 * whole-message less in-method counts), reading the argument (a vec float32 is one view of its
 * bytes, as tensor data already was: read value by value it cost ~13K per value, 346M for the
 * bench's 26K-value scaling.dense_rows input; a text is cut to PREDICT_LIMITS.maxReadBytes
 * before tokenizing) and the reply.
 */
export const QUERY_RESERVE = 150_000_000;
/**
 * How much more than the measured prediction a query may take for another input: the kernels
 * do the same work for any values (the lanes skip inputs that quantize to zero, which only makes
 * an input cheaper, and the trial's have few), so the spread stays below this (bench
 * scaling.dense_rows_other_input: 0.9% between two inputs of a 4.4B query).
 */
export const QUERY_MARGIN = 0.03;
/**
 * The largest prediction, measured at commit, answered by queries: (5B − QUERY_RESERVE) ÷
 * (1 + QUERY_MARGIN) ≈ 4.71B. Above it a query predict answers `too_heavy` (never a limit trap).
 */
export const QUERY_PREDICT_BUDGET = Math.floor((QUERY_INSTRUCTION_LIMIT - QUERY_RESERVE) / (1 + QUERY_MARGIN));
/** Instructions a prediction may take in an update (predict_update, http_request_update): the IC's 40B limit less the same room. */
export const UPDATE_PREDICT_BUDGET = 39_000_000_000;
/** The IC's instruction limit of one update message (commit runs its trial prediction inside one). */
const UPDATE_INSTRUCTION_LIMIT = 40_000_000_000;
/**
 * Instructions per multiply-add of the cheapest kernel of each weight kind, measured in the
 * canister (bench scaling): int8 ~107 at best (BigInt lanes, buckets, ≥ 1,024 inputs; 432 on
 * the packed kernel), float32 (float16 decoded) ~1,180 per Dense multiply-add and ~1,060 per
 * embedding add. estimatePredictInstructions multiplies by these, so it stays below what a
 * prediction costs: commit refuses by it only a model that no kernel could run.
 */
export const INSTRUCTIONS_PER_MAC_FLOOR = { int8: 100, float: 1_000 };

/**
 * Multiply-adds of one prediction, from the layer summaries: a layer's parameters times the
 * positions it runs at (its output's size over its last dimension; a recurrent layer runs at
 * every step of the input sequence); an embedding reads one row per token.
 */
export function estimateMultiplyAdds(model: Model): number {
  return layerMultiplyAdds(model).reduce((a, b) => a + b, 0);
}

function layerMultiplyAdds(model: Model): number[] {
  const steps = model.inputShape.length > 0 ? model.inputShape[0] : 1;
  return model.layers.map((layer) => {
    const shape = layer.outputShape;
    const size = shape.reduce((a, b) => a * b, 1);
    if (layer.kind === 'embedding') return size;
    let positions = shape.length > 0 ? size / shape[shape.length - 1] : 1;
    if (/lstm|gru|rnn|recurrent|bidirectional/i.test(layer.kind)) positions = Math.max(positions, steps);
    return layer.parameters * positions;
  });
}

/** A lower bound of one prediction's instructions: each layer's multiply-adds at the floor of its weights' kind (INSTRUCTIONS_PER_MAC_FLOOR). */
export function estimatePredictInstructions(model: Model): number {
  const macs = layerMultiplyAdds(model);
  let total = 0;
  for (let i = 0; i < macs.length; i++) total += macs[i] * (model.layers[i].int8 === true ? INSTRUCTIONS_PER_MAC_FLOOR.int8 : INSTRUCTIONS_PER_MAC_FLOOR.float);
  return total;
}

export interface ModelSummary {
  labels: string[];
  /** What each label means (metadata `model.label_descriptions`), when the file says. */
  labelDescriptions?: string[];
  inputKind: string;
  inputShape: number[];
  /** Each input's and output's name, shape and dtype (absent in records stored before they were kept: see specsOf). */
  inputs?: TensorSpec[];
  outputs?: TensorSpec[];
  /** `embedding` for an embedding model (answers embed, not predict); absent: `scores`. */
  outputKind?: string;
  parameters: number;
}

export interface ModelRecord {
  name: string;
  active: number; // version number
  nextVersion: number;
  versions: VersionRecord[];
}

export interface RegistryState {
  nextId: number;
  models: ModelRecord[];
  uploads: UploadRecord[];
}

/** A model ready to answer: the active version of a name. */
export interface Loaded {
  name: string;
  version: number;
  sha256: string;
  record: VersionRecord;
  bytes: Uint8Array;
  model: Model;
  /** Words the tokenizer can read at most (texts are cut after this many words). */
  words: number;
  /** The name as UTF-8 (models are looked up by the bytes of a request, without decoding). */
  nameBytes: Uint8Array;
  /** What the hot paths precompute for this model (RegistryOptions.prepare), kept with it. */
  prepared?: unknown;
}

export interface VerifyStatus {
  name: string;
  version: number;
  hashed: number;
  total: number;
  done: boolean;
  verified: boolean;
  computedSha256: string | null;
  declaredSha256: string;
}

export interface RegistryOptions {
  now: () => bigint;
  loadModel?: (bytes: Uint8Array, options: LoadOptions) => Model;
  /** Called once per model loaded (commit, activate, restore): precomputes reply parts. */
  prepare?: (l: Loaded) => unknown;
  /** The message's instruction counter (the canister's performance counter): commit measures one prediction with it. */
  instructions?: () => bigint;
  /** Instructions a message may spend building models (default BUILD_MESSAGE_BUDGET; set_build_budget stores another). */
  buildBudget?: number;
}

const STATE_KEY = encodeUtf8('registry');
/** The build budget set by set_build_budget (decimal text), when one was. */
const BUDGET_KEY = encodeUtf8('build_budget');
/** The stable layout this build writes (see the top of this file). */
export const LAYOUT = 2;

function uploadKey(id: number): Uint8Array {
  return encodeUtf8(`upload/${id}`);
}

function modelKey(name: string): Uint8Array {
  return encodeUtf8(`model/${name}`);
}

/** What "registry" holds: layout 2 names the models; layout 1 (no `layout`) held their records. */
interface SavedIndex {
  layout?: number;
  nextId: number;
  models: (string | ModelRecord)[];
  uploads: number[];
}

function chunkKey(id: number, index: number): Uint8Array {
  const k = new Uint8Array(8);
  const v = new DataView(k.buffer);
  v.setUint32(0, id);
  v.setUint32(4, index);
  return k;
}

export class Registry {
  state: RegistryState = { nextId: 1, models: [], uploads: [] };
  readonly loaded = new Map<string, Loaded>();
  /** The loaded models as an array (iterating a Map is slow in QuickJS): the hot paths scan it. */
  private list: Loaded[] = [];
  /** Active versions that failed to load after an upgrade (name → message). */
  readonly loadErrors = new Map<string, string>();
  private readonly meta: BytesMap;
  private readonly chunks: BytesMap;
  private readonly now: () => bigint;
  private readonly load: (bytes: Uint8Array, options: LoadOptions) => Model;
  private readonly prepare?: (l: Loaded) => unknown;
  private readonly counter?: () => bigint;
  private readonly defaultBudget: number;
  /** Builds spread over messages, oldest first (canister/build.ts); loadNext advances the first. */
  private builds: ModelBuild[] = [];

  constructor(meta: BytesMap, chunks: BytesMap, options: RegistryOptions) {
    this.meta = meta;
    this.chunks = chunks;
    this.now = options.now;
    this.load = options.loadModel ?? ((bytes, o) => engineLoadModel(bytes, o));
    this.prepare = options.prepare;
    this.counter = options.instructions;
    this.defaultBudget = options.buildBudget ?? BUILD_MESSAGE_BUDGET;
  }

  /** Instructions a message may spend building models: what set_build_budget stored, else the default. */
  buildBudget(): number {
    const saved = this.meta.get(BUDGET_KEY);
    return saved === undefined ? this.defaultBudget : Number(decodeUtf8(saved));
  }

  /** Sets the build budget (kept in stable memory, so across upgrades); `null` goes back to the default. Returns the budget now in force. */
  setBuildBudget(instructions: number | null): number {
    if (instructions === null) this.meta.remove(BUDGET_KEY);
    else {
      if (!Number.isSafeInteger(instructions) || instructions < MIN_BUILD_BUDGET || instructions > BUILD_MESSAGE_BUDGET) {
        throw new RegistryError('bad_request', `a build budget is ${MIN_BUILD_BUDGET} to ${BUILD_MESSAGE_BUDGET} instructions per message, not ${instructions}`);
      }
      this.meta.insert(BUDGET_KEY, encodeUtf8(String(instructions)));
    }
    return this.buildBudget();
  }

  /**
   * Runs one prediction of a representative input (a full sequence of spread token ids, or
   * values in [-1, 1]) and records its cost in `v` (predictInstructions, fitsQuery; the trial
   * no longer pending); refuses a model whose estimated cost cannot fit even an update, before
   * running it (then `v` is unchanged).
   */
  private measureTrial(v: VersionRecord, model: Model): void {
    const estimate = this.checkPredictionFits(model);
    // (only a refusal says it: the text costs ~0.1M of interpreted work)
    const macs = () => `${estimateMultiplyAdds(model).toExponential(2)} multiply-adds`;
    // the trial runs inside this message, after the load: it must leave the message under its limit
    const spent = Number(this.counter?.() ?? 0n);
    if (spent + estimate > UPDATE_INSTRUCTION_LIMIT) {
      throw new RegistryError(
        'too_heavy',
        `loading took ${(spent / 1e9).toFixed(1)}B instructions and one prediction would take at least ${(estimate / 1e9).toFixed(1)}B (${macs()}): commit cannot measure it within the ${UPDATE_INSTRUCTION_LIMIT / 1e9}B of one message`,
      );
    }
    const vocab = (model as Model & { vocabSize?: number }).vocabSize ?? 0;
    const inputs = model.inputs.map((spec) => {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = spec.dtype === 'int32' ? (vocab > 1 ? 1 + ((i * 7919) % (vocab - 1)) : 0) : Math.sin(i + 1);
      return v;
    });
    const before = this.counter?.() ?? 0n;
    model.predictInputs(inputs);
    const used = Number((this.counter?.() ?? 0n) - before);
    v.predictInstructions = used;
    v.fitsQuery = used <= QUERY_PREDICT_BUDGET;
    delete v.pendingTrial;
  }

  /** Refuses (`too_heavy`) a model whose prediction cannot fit even an update, by its floor estimate; returns the estimate. */
  private checkPredictionFits(model: Model): number {
    const estimate = estimatePredictInstructions(model);
    if (estimate > UPDATE_PREDICT_BUDGET) {
      const macs = `${estimateMultiplyAdds(model).toExponential(2)} multiply-adds`;
      throw new RegistryError(
        'too_heavy',
        `one prediction would take at least ${(estimate / 1e9).toFixed(1)}B instructions (${macs}): over the ${UPDATE_PREDICT_BUDGET / 1e9}B an update may use, so no call could answer it`,
      );
    }
    return estimate;
  }

  /** Active models not loaded yet (after restore): loadNext loads them, one per call. */
  private pending: string[] = [];

  /**
   * Reads the state from stable memory (post_upgrade) without loading any model: the cost
   * does not grow with the models stored. Their active versions are queued; loadNext
   * (a timer, canister/index.ts) loads one per message, and until then they answer `loading`.
   */
  restore(): void {
    const raw = this.meta.get(STATE_KEY);
    this.loaded.clear();
    this.list = [];
    this.loadErrors.clear();
    this.pending = [];
    this.builds = [];
    if (raw === undefined) return;
    const saved = JSON.parse(decodeUtf8(raw)) as SavedIndex;
    const layout = saved.layout ?? 1;
    if (layout > LAYOUT) {
      throw new Error(`the stored registry has layout ${layout}, newer than this build's ${LAYOUT}: install a build that reads it`);
    }
    const uploads: UploadRecord[] = [];
    for (const id of saved.uploads) {
      const u = this.meta.get(uploadKey(id));
      if (u === undefined) continue;
      const record = JSON.parse(decodeUtf8(u)) as UploadRecord;
      // Uploads begun by an earlier build kept no hash: hashed from the start, a slice per append or commit.
      record.hash ??= { h: Array.from(sha256Init()), hashed: 0 };
      record.touched ??= record.started;
      uploads.push(record);
    }
    const models: ModelRecord[] = [];
    for (const entry of saved.models) {
      if (typeof entry !== 'string') models.push(entry); // layout 1: the record itself
      else {
        const m = this.meta.get(modelKey(entry));
        if (m !== undefined) models.push(JSON.parse(decodeUtf8(m)) as ModelRecord);
      }
    }
    this.state = { nextId: saved.nextId, models, uploads };
    if (layout < LAYOUT) {
      for (const m of models) this.saveModel(m);
      for (const u of uploads) this.saveUpload(u);
      this.save();
    }
    for (const m of models) if (m.versions.some((v) => v.version === m.active)) this.pending.push(m.name);
  }

  /**
   * One timer message of loading: advances the build in progress (a few packing steps, up to
   * the build budget), else starts loading the next queued model (one that fits the budget
   * loads whole). Returns whether more is left. A model that fails to load answers its error.
   */
  loadNext(): boolean {
    if (this.builds.length > 0) {
      this.advance(this.builds[0]);
      return this.loading().length > 0;
    }
    const name = this.pending[0];
    if (name === undefined) return false;
    const m = this.state.models.find((x) => x.name === name);
    const v = m?.versions.find((x) => x.version === m.active);
    if (v === undefined) {
      this.pending.shift();
      return this.loading().length > 0;
    }
    let build: ModelBuild;
    try {
      build = this.startBuild(v, this.readAll(v.id, v.chunks, v.size), v.pendingTrial === true, undefined);
    } catch (e) {
      this.pending.shift();
      this.loadErrors.set(name, e instanceof Error ? e.message : String(e));
      return this.loading().length > 0;
    }
    this.builds.push(build);
    this.advance(build);
    return this.loading().length > 0;
  }

  /** Whether a build spread over messages is in progress (its next step waits for a timer). */
  building(): boolean {
    return this.builds.length > 0;
  }

  /** Names of the active models still queued for loading or being built. */
  loading(): readonly string[] {
    if (this.builds.length === 0) return this.pending;
    const out = this.pending.slice();
    for (const b of this.builds) if (!out.includes(b.name)) out.push(b.name);
    return out;
  }

  /** Loads `bytes` as version v with its int8 packing deferred (nothing packed yet). */
  private startBuild(v: VersionRecord, bytes: Uint8Array, measure: boolean, previous: number | null | undefined): ModelBuild {
    const packing = new DeferredPacking();
    // Bytes whose SHA-256 matched need no second whole-file check (the engine's checksum).
    const model = this.load(bytes, { skipChecksum: v.verified, deferPacking: packing });
    return new ModelBuild(v, bytes, model, packing, measure, previous);
  }

  /**
   * Packs what this message's budget allows of a spread build; once packed, runs its trial
   * prediction (when it still owes one: in this message if it leaves room, else in the next)
   * and makes it the loaded model. A failure makes the previous version active again.
   */
  private advance(b: ModelBuild): void {
    const packedNow = !b.packing.done();
    if (!b.pack(this.counter, this.buildBudget())) return;
    if (b.measure) {
      if (packedNow && !this.trialFits(Number(this.counter?.() ?? 0n), b.model)) return; // next message
      try {
        this.measureTrial(b.record, b.model);
      } catch (e) {
        this.buildFailed(b, `its trial prediction failed: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      const m = this.state.models.find((x) => x.name === b.name);
      if (m !== undefined) this.saveModel(m);
    }
    this.builds = this.builds.filter((x) => x !== b);
    if (this.isActive(b.record)) this.setLoaded(this.finishLoaded(b.record, b.bytes, b.model));
    else this.pending = this.pending.filter((n) => n !== b.name);
  }

  /** A spread build that could not finish: the version active before it is active again (or, with none, the name answers the error). */
  private buildFailed(b: ModelBuild, why: string): void {
    this.builds = this.builds.filter((x) => x !== b);
    this.pending = this.pending.filter((n) => n !== b.name);
    const m = this.state.models.find((x) => x.name === b.name);
    const before = b.previous === undefined || b.previous === null ? undefined : m?.versions.find((x) => x.version === b.previous);
    if (m !== undefined && before !== undefined && this.isActive(b.record)) {
      m.active = before.version;
      this.saveModel(m);
      this.loadErrors.delete(b.name);
      if (!this.loaded.has(b.name)) this.pending.push(b.name);
    } else if (this.isActive(b.record)) {
      this.loadErrors.set(b.name, `v${b.record.version} was committed but ${why}`);
    }
  }

  private setLoaded(l: Loaded): void {
    this.loaded.set(l.name, l);
    this.list = [...this.loaded.values()];
    this.loadErrors.delete(l.name);
    this.pending = this.pending.filter((n) => n !== l.name);
    this.builds = this.builds.filter((b) => b.name !== l.name);
  }

  private unload(name: string): void {
    this.loaded.delete(name);
    this.list = [...this.loaded.values()];
    this.loadErrors.delete(name);
    this.pending = this.pending.filter((n) => n !== name);
    this.builds = this.builds.filter((b) => b.name !== name);
  }

  /** Writes the index: the layout, the next id, the model names and which uploads are open (each record has its own key). */
  private save(): void {
    const { nextId, models, uploads } = this.state;
    this.meta.insert(STATE_KEY, encodeJsonUtf8(JSON.stringify({ layout: LAYOUT, nextId, models: models.map((m) => m.name), uploads: uploads.map((u) => u.id) })));
  }

  private saveModel(m: ModelRecord): void {
    this.meta.insert(modelKey(m.name), encodeJsonUtf8(JSON.stringify(m)));
  }

  private saveUpload(u: UploadRecord): void {
    this.meta.insert(uploadKey(u.id), encodeJsonUtf8(JSON.stringify(u)));
  }

  private finishLoaded(v: VersionRecord, bytes: Uint8Array, model: Model): Loaded {
    const l: Loaded = {
      name: v.name,
      version: v.version,
      sha256: v.sha256,
      record: v,
      bytes,
      model,
      words: model.hasTokenizer ? model.inputShape[0] : 0,
      nameBytes: encodeUtf8(v.name),
    };
    if (this.prepare) l.prepared = this.prepare(l);
    return l;
  }

  /** The loaded model whose name has these UTF-8 bytes (no decoding: the hot paths call this). */
  getByBytes(name: Uint8Array): Loaded {
    const n = name.length;
    const list = this.list;
    for (let k = 0; k < list.length; k++) {
      const l = list[k];
      const b = l.nameBytes;
      if (b.length !== n) continue;
      let i = 0;
      while (i < n && b[i] === name[i]) i++;
      if (i === n) return l;
    }
    return this.get(decodeUtf8(name));
  }

  private readAll(id: number, sizes: number[], size: number): Uint8Array {
    if (sizes.length === 1) {
      const only = this.chunks.get(chunkKey(id, 0));
      if (only === undefined || only.length !== size) throw new RegistryError('not_found', `stored bytes of ${id} are missing`);
      return only;
    }
    const out = new Uint8Array(size);
    let p = 0;
    for (let i = 0; i < sizes.length; i++) {
      const c = this.chunks.get(chunkKey(id, i));
      if (c === undefined) throw new RegistryError('not_found', `chunk ${i} of ${id} is missing`);
      out.set(c, p);
      p += c.length;
    }
    return out;
  }

  /** Bytes [from, to) of a stored file, read from its chunks. */
  private readRange(v: VersionRecord, from: number, to: number): Uint8Array {
    const loaded = this.loaded.get(v.name);
    if (loaded !== undefined && loaded.record.id === v.id) return loaded.bytes.subarray(from, to);
    return this.chunkRange(v.id, v.chunks, from, to);
  }

  /** Bytes held in stable memory: every version's file and every open upload's declared size. */
  storedBytes(): number {
    let n = 0;
    for (const m of this.state.models) for (const v of m.versions) n += v.size;
    for (const u of this.state.uploads) n += u.size;
    return n;
  }

  /** Refuses to make a file of `size` bytes the active version of `name` when the active files would then pass LIMITS.maxActiveBytes. */
  private checkActiveBytes(name: string, size: number): void {
    let n = size;
    for (const a of this.activeVersions()) if (a.name !== name) n += a.size;
    if (n > LIMITS.maxActiveBytes) {
      throw new RegistryError('too_large', `the active models would hold ${n} bytes, over the ${LIMITS.maxActiveBytes}-byte total kept in the heap: delete or replace a model first`);
    }
  }

  /** Refuses (`too_large`) to make v active when the active versions' files and packed kernels would pass LIMITS.maxHeapBytes. */
  private checkActiveHeap(v: VersionRecord): void {
    let n = v.heapBytes ?? v.size;
    for (const a of this.activeVersions()) if (a.name !== v.name) n += a.heapBytes ?? a.size;
    if (n > LIMITS.maxHeapBytes) {
      throw new RegistryError(
        'too_large',
        `${v.name} v${v.version} needs ${v.heapBytes ?? v.size} bytes of heap (its file and packed int8 kernels): the active models would hold ${n}, over the ${LIMITS.maxHeapBytes}-byte heap budget; delete or replace a model first`,
      );
    }
  }

  private removeChunks(id: number, count: number): void {
    for (let i = 0; i < count; i++) this.chunks.remove(chunkKey(id, i));
  }

  // ------------------------------------------------------------ uploads

  private upload(id: number): UploadRecord {
    this.expireUploads();
    const u = this.state.uploads.find((x) => x.id === id);
    if (u === undefined) throw new RegistryError('not_found', `no open upload with id ${id} (uploads idle for ${LIMITS.uploadIdleSeconds / 3600} h expire)`);
    return u;
  }

  /** Canister time (ns) at which an upload expires unless a chunk arrives first. */
  expiresAt(u: UploadRecord): bigint {
    return BigInt(u.touched) + BigInt(LIMITS.uploadIdleSeconds) * 1_000_000_000n;
  }

  /** Frees every upload idle for LIMITS.uploadIdleSeconds; returns how many. Runs before any upload is looked up, and from a timer. */
  expireUploads(): number {
    const now = this.now();
    const expired = this.state.uploads.filter((u) => this.expiresAt(u) <= now);
    if (expired.length === 0) return 0;
    for (const u of expired) {
      this.removeChunks(u.id, u.chunks.length);
      this.meta.remove(uploadKey(u.id));
    }
    this.state.uploads = this.state.uploads.filter((u) => !expired.includes(u));
    this.save();
    return expired.length;
  }

  /** Seconds until the next open upload expires (at least 1), or null when none is open. */
  secondsToNextExpiry(): number | null {
    if (this.state.uploads.length === 0) return null;
    const now = this.now();
    let next = this.expiresAt(this.state.uploads[0]);
    for (const u of this.state.uploads) if (this.expiresAt(u) < next) next = this.expiresAt(u);
    return Math.max(1, Math.ceil(Number(next - now) / 1e9));
  }

  /** Starts an upload, or returns the open upload with the same name, size and SHA-256 (to resume it). */
  beginUpload(name: string, size: number, sha256: string): UploadRecord {
    this.expireUploads();
    if (!NAME_RE.test(name)) {
      throw new RegistryError('bad_request', `bad model name ${JSON.stringify(name)}: 1–64 characters of A–Z a–z 0–9 . _ -, starting with a letter or digit`);
    }
    if (!Number.isSafeInteger(size) || size <= 0) throw new RegistryError('bad_request', 'size must be a positive number of bytes (an empty file is not a model)');
    if (size > LIMITS.maxModelBytes) throw new RegistryError('too_large', `size ${size} is over the ${LIMITS.maxModelBytes}-byte limit per file (128 MiB)`);
    if (!isSha256Hex(sha256)) throw new RegistryError('bad_request', 'sha256 must be 64 lowercase hex digits');
    const same = this.state.uploads.find((u) => u.name === name && u.size === size && u.sha256 === sha256);
    if (same !== undefined) {
      same.touched = this.now().toString(); // resuming keeps it alive
      this.saveUpload(same);
      return same;
    }
    const stored = this.storedBytes();
    if (stored + size > LIMITS.maxStoredBytes) {
      throw new RegistryError(
        'too_large',
        `${stored} bytes are stored (versions and open uploads): ${size} more would pass the ${LIMITS.maxStoredBytes}-byte total; delete versions or abort uploads first`,
      );
    }
    if (this.state.uploads.length >= LIMITS.maxOpenUploads) {
      throw new RegistryError('conflict', `${LIMITS.maxOpenUploads} uploads are already open: commit or abort one first`);
    }
    const m = this.state.models.find((x) => x.name === name);
    if (m === undefined && this.state.models.length >= LIMITS.maxModels) throw new RegistryError('conflict', `already ${LIMITS.maxModels} models`);
    if (m !== undefined && m.versions.length >= LIMITS.maxVersions) {
      throw new RegistryError('conflict', `${name} already has ${LIMITS.maxVersions} versions: delete one first`);
    }
    const u: UploadRecord = {
      id: this.state.nextId,
      name,
      size,
      sha256,
      received: 0,
      chunks: [],
      started: this.now().toString(),
      touched: this.now().toString(),
      hash: { h: Array.from(sha256Init()), hashed: 0 },
    };
    this.state.nextId += 1;
    this.state.uploads.push(u);
    this.saveUpload(u);
    this.save();
    return u;
  }

  /** Appends the chunk that starts at `offset`, which must equal the bytes already received. */
  appendChunk(id: number, offset: number, bytes: Uint8Array): UploadRecord {
    const u = this.upload(id);
    if (bytes.length === 0) throw new RegistryError('bad_request', 'empty chunk');
    if (bytes.length > LIMITS.maxChunkBytes) throw new RegistryError('too_large', `chunk of ${bytes.length} bytes is over the ${LIMITS.maxChunkBytes}-byte limit`);
    if (offset !== u.received) {
      throw new RegistryError('conflict', `chunk at offset ${offset} refused: the upload holds ${u.received} bytes, so the next chunk starts at ${u.received}`);
    }
    if (offset + bytes.length > u.size) {
      throw new RegistryError('bad_request', `chunk ends at ${offset + bytes.length}, past the declared size ${u.size}`);
    }
    this.chunks.insert(chunkKey(u.id, u.chunks.length), bytes);
    u.chunks.push(bytes.length);
    u.received += bytes.length;
    u.touched = this.now().toString();
    // The last byte arrived and every block before it is hashed: finish the SHA-256 here (the tail
    // is in this chunk), so commit only compares (a padding block is ~1.1M instructions in QuickJS).
    if (this.hashUpload(u, bytes) && u.received === u.size) {
      const whole = u.size - (u.size & 63);
      const tail = this.chunkRange(u.id, u.chunks, whole, u.size, bytes);
      u.digest = toHex(sha256Finish(new Int32Array(u.hash.h), tail, u.size));
    }
    this.saveUpload(u);
    return u;
  }

  /**
   * Hashes the upload's whole blocks not hashed yet, at most hashSliceBytes; `last` holds
   * the bytes of its last chunk (just received: read without a copy from stable memory).
   * Returns whether every whole block received is hashed.
   */
  private hashUpload(u: UploadRecord, last?: Uint8Array): boolean {
    const whole = u.received - (u.received & 63);
    const from = u.hash.hashed;
    const to = Math.min(whole, from + LIMITS.hashSliceBytes);
    if (to > from) {
      const h = new Int32Array(u.hash.h);
      const bytes = this.chunkRange(u.id, u.chunks, from, to, last);
      sha256Blocks(h, bytes, 0, bytes.length);
      u.hash = { h: Array.from(h), hashed: to };
    }
    return to === whole;
  }

  /** Bytes [from, to) of the chunks of storage id `id` (`last`: the last chunk's bytes, when the caller has them). */
  private chunkRange(id: number, sizes: number[], from: number, to: number, last?: Uint8Array): Uint8Array {
    let start = 0;
    let out: Uint8Array | undefined;
    for (let i = 0; i < sizes.length && start < to; i++) {
      const end = start + sizes[i];
      if (end > from) {
        const c = last !== undefined && i === sizes.length - 1 ? last : this.chunks.get(chunkKey(id, i));
        if (c === undefined) throw new RegistryError('not_found', `chunk ${i} of ${id} is missing`);
        const a = Math.max(from, start);
        const b = Math.min(to, end);
        // one chunk holds the whole range: a view, no copy
        if (out === undefined && a === from && b === to) return c.subarray(a - start, b - start);
        out ??= new Uint8Array(to - from);
        out.set(c.subarray(a - start, b - start), a - from);
      }
      start = end;
    }
    return out ?? new Uint8Array(0);
  }

  status(id: number): UploadRecord {
    return this.upload(id);
  }

  uploads(): UploadRecord[] {
    this.expireUploads();
    return this.state.uploads;
  }

  abort(id: number): void {
    const u = this.upload(id);
    this.removeChunks(u.id, u.chunks.length);
    this.state.uploads = this.state.uploads.filter((x) => x !== u);
    this.meta.remove(uploadKey(u.id));
    this.save();
  }

  /** Validates the complete file with the engine and activates it as the next version of its name. */
  commit(id: number): VersionRecord {
    const u = this.upload(id);
    if (u.received !== u.size) {
      throw new RegistryError('conflict', `upload ${id} holds ${u.received} of ${u.size} bytes: send the rest before committing`);
    }
    const m = this.state.models.find((x) => x.name === u.name);
    if (m !== undefined && m.versions.length >= LIMITS.maxVersions) {
      throw new RegistryError('conflict', `${u.name} already has ${LIMITS.maxVersions} versions: delete one first`);
    }
    if (!this.hashUpload(u)) {
      // Only an upload begun by an earlier build gets here: its bytes are hashed a slice per call.
      this.saveUpload(u);
      throw new RegistryError('pending', `hashing the stored bytes: ${u.hash.hashed} of ${u.size} done; call commit_upload again`);
    }
    const bytes = this.readAll(u.id, u.chunks, u.size);
    const digest = u.digest ?? toHex(sha256Finish(new Int32Array(u.hash.h), bytes.subarray(u.hash.hashed, u.size), u.size));
    if (digest !== u.sha256) {
      throw new RegistryError(
        'mismatch',
        `the ${u.size} bytes received have SHA-256 ${digest}, not the declared ${u.sha256}: nothing was activated; abort_upload(${id}) and upload the file again`,
      );
    }
    const now = this.now().toString();
    this.checkActiveBytes(u.name, u.size);
    const record: VersionRecord = {
      id: u.id,
      name: u.name,
      version: m === undefined ? 1 : m.nextVersion,
      size: u.size,
      sha256: u.sha256,
      chunks: u.chunks,
      created: now,
      activated: now,
      verified: true,
      computedSha256: digest,
      verifying: null,
      summary: { labels: [], inputKind: '', inputShape: [], parameters: 0 },
    };
    let build: ModelBuild;
    try {
      build = this.startBuild(record, bytes, true, m === undefined ? null : m.active);
    } catch (e) {
      this.saveUpload(u); // keeps the hash progress (a refusal changes nothing else)
      throw new RegistryError('invalid_model', `the file is not a valid model: ${e instanceof Error ? e.message : String(e)}`);
    }
    const model = build.model;
    record.heapBytes = u.size + build.packing.bytes();
    let loaded: Loaded | undefined;
    try {
      this.checkActiveHeap(record);
      // refused here, before any packing, when no update could run one prediction
      this.checkPredictionFits(model);
      if (this.fitsThisMessage(build)) {
        build.packing.run();
        loaded = this.finishLoaded(record, bytes, model);
        this.measureTrial(record, model);
      } else record.pendingTrial = true; // packed by timer messages, then measured (canister/build.ts)
    } catch (e) {
      this.saveUpload(u);
      if (e instanceof RegistryError) throw e;
      throw new RegistryError('invalid_model', `the model does not predict: ${e instanceof Error ? e.message : String(e)}`);
    }
    record.summary = {
      labels: model.labels.slice(),
      labelDescriptions: labelDescriptionsOf(model.metadata, model.labels.length),
      inputKind: model.inputKind,
      inputShape: model.inputShape.slice(),
      inputs: inputSpecs(model).map((t) => ({ name: t.name, shape: t.shape.slice(), dtype: t.dtype })),
      outputs: outputSpecs(model).map((t) => ({ name: t.name, shape: t.shape.slice(), dtype: t.dtype })),
      outputKind: (model as { outputKind?: string }).outputKind === 'embedding' ? 'embedding' : undefined,
      parameters: model.parameterCount,
    };
    // Everything checked: apply.
    let target = m;
    if (target === undefined) {
      target = { name: u.name, active: record.version, nextVersion: record.version + 1, versions: [record] };
      this.state.models.push(target);
    } else {
      target.versions.push(record);
      target.active = record.version;
      target.nextVersion = record.version + 1;
    }
    this.state.uploads = this.state.uploads.filter((x) => x !== u);
    this.meta.remove(uploadKey(u.id));
    if (loaded !== undefined) this.setLoaded(loaded);
    else this.startSpread(build);
    this.saveModel(target);
    this.save();
    return record;
  }

  /**
   * Whether a build's packing fits what is left of this message's build budget (by the packers'
   * measured cost per weight), and its trial prediction after it the update limit (its floor
   * estimate times TRIAL_ESTIMATE_FACTOR). Without an instruction counter (Node tests), or with
   * nothing to pack, everything runs at once.
   */
  private fitsThisMessage(b: ModelBuild): boolean {
    if (this.counter === undefined || b.packing.done()) return true;
    const packed = Number(this.counter()) + b.packing.remainingInstructions();
    return packed <= this.buildBudget() && this.trialFits(packed, b.model);
  }

  /** Whether the trial prediction of `model` may run in a message that has spent `spent`. */
  private trialFits(spent: number, model: Model): boolean {
    return spent + TRIAL_ESTIMATE_FACTOR * estimatePredictInstructions(model) <= UPDATE_PREDICT_BUDGET;
  }

  /** Queues a build for the timers (canister/index.ts loadModelsLater); the name's loaded version, if any, answers until it is done. */
  private startSpread(b: ModelBuild): void {
    this.builds = this.builds.filter((x) => x.name !== b.name);
    this.builds.push(b);
  }

  // ------------------------------------------------------------ versions

  private model(name: string): ModelRecord {
    const m = this.state.models.find((x) => x.name === name);
    if (m === undefined) throw new RegistryError('not_found', `no model named ${JSON.stringify(name)}`);
    return m;
  }

  version(name: string, version?: number | null): VersionRecord {
    const m = this.model(name);
    const want = version ?? m.active;
    const v = m.versions.find((x) => x.version === want);
    if (v === undefined) throw new RegistryError('not_found', `${name} has no version ${want}`);
    return v;
  }

  activate(name: string, version: number): VersionRecord {
    const m = this.model(name);
    const v = this.version(name, version);
    this.checkActiveBytes(v.name, v.size);
    let build: ModelBuild;
    const measure = v.pendingTrial === true;
    try {
      build = this.startBuild(v, this.readAll(v.id, v.chunks, v.size), measure, m.active);
      v.heapBytes = v.size + build.packing.bytes();
      this.checkActiveHeap(v);
      if (this.fitsThisMessage(build)) {
        build.packing.run();
        if (measure) this.measureTrial(v, build.model);
      }
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      throw new RegistryError('invalid_model', `${name} v${version} does not load: ${e instanceof Error ? e.message : String(e)}`);
    }
    m.active = v.version;
    v.activated = this.now().toString();
    if (build.packing.done() && v.pendingTrial !== true) this.setLoaded(this.finishLoaded(v, build.bytes, build.model));
    else this.startSpread(build);
    this.saveModel(m);
    return v;
  }

  /** Deletes one version (not the active one), or the whole model when version is null. Returns the versions deleted. */
  remove(name: string, version: number | null): number {
    const m = this.model(name);
    if (version === null) {
      for (const v of m.versions) this.removeChunks(v.id, v.chunks.length);
      this.state.models = this.state.models.filter((x) => x !== m);
      this.unload(name);
      this.meta.remove(modelKey(name));
      this.save();
      return m.versions.length;
    }
    const v = this.version(name, version);
    if (v.version === m.active) {
      throw new RegistryError('conflict', `${name} v${version} is active: activate another version first, or delete the whole model`);
    }
    this.removeChunks(v.id, v.chunks.length);
    m.versions = m.versions.filter((x) => x !== v);
    this.saveModel(m);
    return 1;
  }

  /** Bytes [offset, offset + length) of a stored version, so anyone can recompute its hash. */
  read(name: string, version: number, offset: number, length: number): Uint8Array {
    const v = this.version(name, version);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > v.size) throw new RegistryError('bad_request', `offset ${offset} is outside the file (${v.size} bytes)`);
    if (!Number.isSafeInteger(length) || length < 0) throw new RegistryError('bad_request', 'bad length');
    if (length > LIMITS.maxReadBytes) throw new RegistryError('too_large', `read at most ${LIMITS.maxReadBytes} bytes per call`);
    return this.readRange(v, offset, Math.min(v.size, offset + length)).slice();
  }

  /**
   * The SHA-256 check of a stored version. Versions committed by this build were checked as
   * their chunks arrived (verified at commit): their status is answered as is. A version
   * committed by an earlier build is hashed here, a slice per call, when `mayHash` (controllers).
   */
  verify(name: string, version: number, mayHash = true): VerifyStatus {
    const v = this.version(name, version);
    const status = (): VerifyStatus => ({
      name: v.name,
      version: v.version,
      hashed: v.verifying?.hashed ?? v.size,
      total: v.size,
      done: v.verifying === null,
      verified: v.verified,
      computedSha256: v.computedSha256,
      declaredSha256: v.sha256,
    });
    if (v.verifying === null && v.computedSha256 !== null) return status();
    if (!mayHash) throw new RegistryError('forbidden', `${name} v${version} was committed by an earlier build and is not hashed yet: only a controller may run verify on it`);
    const progress = v.verifying ?? { hashed: 0, h: Array.from(sha256Init()) };
    const h = new Int32Array(progress.h);
    const from = progress.hashed;
    const fullEnd = v.size - (v.size & 63);
    const to = Math.min(fullEnd, from + LIMITS.verifySliceBytes);
    const slice = this.readRange(v, from, to);
    sha256Blocks(h, slice, 0, slice.length);
    if (to === fullEnd) {
      const tail = this.readRange(v, fullEnd, v.size);
      const digest = toHex(sha256Finish(h, tail, v.size));
      v.computedSha256 = digest;
      v.verified = digest === v.sha256;
      v.verifying = null;
    } else {
      v.verifying = { hashed: to, h: Array.from(h) };
    }
    this.saveModel(this.model(v.name));
    return status();
  }

  /** Every version of every model (or of one name). */
  versions(name?: string): VersionRecord[] {
    const out: VersionRecord[] = [];
    for (const m of this.state.models) if (name === undefined || m.name === name) out.push(...m.versions);
    if (name !== undefined && out.length === 0) this.model(name);
    return out;
  }

  isActive(v: VersionRecord): boolean {
    const m = this.state.models.find((x) => x.name === v.name);
    return m !== undefined && m.active === v.version && m.versions.includes(v);
  }

  /** The active version of every model (loaded or still loading), in the order they were first committed. */
  activeVersions(): VersionRecord[] {
    const out: VersionRecord[] = [];
    for (const m of this.state.models) {
      const v = m.versions.find((x) => x.version === m.active);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** The loaded active model of a name (`loading` while a restore has not loaded it yet). */
  get(name: string): Loaded {
    const l = this.loaded.get(name);
    if (l !== undefined) return l;
    const err = this.loadErrors.get(name);
    if (err !== undefined) throw new RegistryError('invalid_model', `${name} failed to load: ${err}`);
    const building = this.builds.find((b) => b.name === name);
    if (building !== undefined) throw new RegistryError('loading', `${building.progress()}: try again in a few seconds`);
    if (this.pending.includes(name)) {
      const ahead = this.pending.indexOf(name);
      throw new RegistryError('loading', `${name} is loading after an upgrade (one model per message, ${ahead} ahead of it): try again in a few seconds`);
    }
    throw new RegistryError('not_found', `no model named ${JSON.stringify(name)}`);
  }
}

/** `model.label_descriptions` when it is a string array of one entry per label (docs/FORMAT.md), else none. */
function labelDescriptionsOf(metadata: ReadonlyMap<string, unknown>, labels: number): string[] | undefined {
  const value = metadata.get('model.label_descriptions');
  if (!Array.isArray(value) || value.length !== labels || !value.every((d) => typeof d === 'string')) return undefined;
  return value.slice() as string[];
}
