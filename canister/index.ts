// decentAI inference canister (Azle stable mode): thin glue over registry.ts
// (models in stable memory), methods.ts (hand-coded Candid for the hot paths)
// and rest.ts (the REST API). Predictions, REST and chunk appends are manual
// methods: they read the raw argument and reply raw Candid, skipping Azle's
// ~1.2M-instruction Candid layer. Admin and metadata methods use Azle's Candid.

import {
  IDL,
  init,
  isController,
  msgArgData,
  msgCaller,
  msgReply,
  performanceCounter,
  postUpgrade,
  query,
  StableBTreeMap,
  time,
  update,
} from 'azle';

import { appendChunkMethod, errorCode, httpMethod, NOT_CONTROLLER, predictMethod, uploadStatus } from './methods.ts';
import { Registry, type BytesMap, type VersionRecord, type VerifyStatus } from './registry.ts';
import { makeTypes } from './types.ts';

const t = makeTypes(IDL as any);

const bytes = { toBytes: (b: Uint8Array): Uint8Array => b, fromBytes: (b: Uint8Array): Uint8Array => b };

function stableMap(memoryId: number): BytesMap {
  const map = new StableBTreeMap<Uint8Array, Uint8Array>(memoryId, bytes, bytes);
  return {
    get: (k) => map.get(k),
    insert: (k, v) => {
      map.insert(k, v);
    },
    remove: (k) => {
      map.remove(k);
    },
  };
}

const instructions = (): bigint => performanceCounter(0);

function modelInfo(reg: Registry, v: VersionRecord) {
  return {
    name: v.name,
    version: v.version,
    active: reg.isActive(v),
    labels: v.summary.labels,
    input_kind: v.summary.inputKind,
    input_shape: v.summary.inputShape,
    parameters: BigInt(v.summary.parameters),
    bytes: BigInt(v.size),
    sha256: v.sha256,
    created_at: BigInt(v.created),
    activated_at: BigInt(v.activated),
    verified: v.verified,
    computed_sha256: v.computedSha256 === null ? [] : [v.computedSha256],
  };
}

function verifyInfo(s: VerifyStatus) {
  return {
    name: s.name,
    version: s.version,
    hashed: BigInt(s.hashed),
    total: BigInt(s.total),
    done: s.done,
    verified: s.verified,
    computed_sha256: s.computedSha256 === null ? [] : [s.computedSha256],
    declared_sha256: s.declaredSha256,
  };
}

/** Runs f, answering {ok} or {err}; refuses callers that are not controllers when `admin`. */
function result<T>(admin: boolean, f: () => T): { ok: T } | { err: { code: string; message: string } } {
  if (admin && !isController(msgCaller())) return { err: NOT_CONTROLLER };
  try {
    return { ok: f() };
  } catch (e) {
    return { err: errorCode(e) };
  }
}

export default class {
  registry = new Registry(stableMap(0), stableMap(1), { now: time });

  @init([])
  init(): void {}

  @postUpgrade([])
  postUpgrade(): void {
    this.registry.restore();
  }

  // ------------------------------------------------------------ uploads (controllers)

  @update([IDL.Text, IDL.Nat64, IDL.Text], t.UploadResult)
  begin_upload(name: string, size: bigint, sha256: string) {
    return result(true, () => uploadStatus(this.registry.beginUpload(name, Number(size), sha256)));
  }

  @update([IDL.Nat32, IDL.Nat64, IDL.Vec(IDL.Nat8)], t.UploadResult, { manual: true })
  append_chunk(): void {
    msgReply(appendChunkMethod(this.registry, msgArgData(), isController(msgCaller())));
  }

  @query([IDL.Nat32], t.UploadResult)
  upload_status(id: number) {
    return result(true, () => uploadStatus(this.registry.status(id)));
  }

  @query([], IDL.Vec(t.UploadStatus))
  list_uploads() {
    if (!isController(msgCaller())) return [];
    return this.registry.uploads().map(uploadStatus);
  }

  @update([IDL.Nat32], t.ModelResult)
  commit_upload(id: number) {
    return result(true, () => modelInfo(this.registry, this.registry.commit(id)));
  }

  @update([IDL.Nat32], t.UnitResult)
  abort_upload(id: number) {
    return result(true, () => {
      this.registry.abort(id);
      return null;
    });
  }

  @update([IDL.Text, IDL.Nat32], t.ModelResult)
  activate(name: string, version: number) {
    return result(true, () => modelInfo(this.registry, this.registry.activate(name, version)));
  }

  @update([IDL.Text, IDL.Opt(IDL.Nat32)], t.CountResult)
  delete_model(name: string, version: [] | [number]) {
    return result(true, () => this.registry.remove(name, version.length === 0 ? null : version[0]));
  }

  // ------------------------------------------------------------ models and identity (anyone)

  @query([], IDL.Vec(t.ModelInfo))
  list_models() {
    return [...this.registry.loaded.values()].map((l) => modelInfo(this.registry, l.record));
  }

  @query([IDL.Text], IDL.Vec(t.ModelInfo))
  model_versions(name: string) {
    const r = result(false, () => this.registry.versions(name));
    return 'ok' in r ? r.ok.map((v) => modelInfo(this.registry, v)) : [];
  }

  @query([IDL.Text, IDL.Opt(IDL.Nat32)], t.ModelResult)
  model_info(name: string, version: [] | [number]) {
    return result(false, () => modelInfo(this.registry, this.registry.version(name, version.length === 0 ? null : version[0])));
  }

  @query([IDL.Text, IDL.Nat32, IDL.Nat64, IDL.Nat32], t.BlobResult)
  read_model(name: string, version: number, offset: bigint, length: number) {
    return result(false, () => this.registry.read(name, version, Number(offset), length));
  }

  @update([IDL.Text, IDL.Nat32], t.VerifyResult)
  verify(name: string, version: number) {
    return result(false, () => verifyInfo(this.registry.verify(name, version)));
  }

  // ------------------------------------------------------------ predictions (anyone)

  @query([IDL.Text, t.Input], t.PredictResult, { manual: true })
  predict(): void {
    msgReply(predictMethod(this.registry, msgArgData(), instructions));
  }

  @update([IDL.Text, t.Input], t.PredictResult, { manual: true })
  predict_update(): void {
    msgReply(predictMethod(this.registry, msgArgData(), instructions));
  }

  @query([t.HttpRequest], t.HttpResponse, { manual: true })
  http_request(): void {
    msgReply(httpMethod(this.registry, msgArgData(), false, instructions));
  }

  @update([t.HttpRequest], t.HttpResponse, { manual: true })
  http_request_update(): void {
    msgReply(httpMethod(this.registry, msgArgData(), true, instructions));
  }
}
