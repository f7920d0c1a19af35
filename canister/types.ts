// The canister's Candid interface (canister/decentai.did) as IDL and TypeScript
// types, for the canister itself and for clients (@dfinity/agent actors).
// `makeTypes` takes the IDL namespace as an argument, like a generated
// idlFactory, so the canister passes Azle's and clients pass @dfinity/candid's.

import type { IDL as IDLNamespace } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';

type IDLLike = typeof IDLNamespace;

export function makeTypes(IDL: IDLLike) {
  const Error = IDL.Record({ code: IDL.Text, message: IDL.Text });
  const TensorSpec = IDL.Record({ name: IDL.Text, shape: IDL.Vec(IDL.Nat32), dtype: IDL.Text });
  const ModelInfo = IDL.Record({
    name: IDL.Text,
    version: IDL.Nat32,
    active: IDL.Bool,
    labels: IDL.Vec(IDL.Text),
    input_kind: IDL.Text,
    input_shape: IDL.Vec(IDL.Nat32),
    inputs: IDL.Vec(TensorSpec),
    outputs: IDL.Vec(TensorSpec),
    parameters: IDL.Nat64,
    bytes: IDL.Nat64,
    sha256: IDL.Text,
    created_at: IDL.Nat64,
    activated_at: IDL.Nat64,
    verified: IDL.Bool,
    computed_sha256: IDL.Opt(IDL.Text),
  });
  const UploadStatus = IDL.Record({
    upload_id: IDL.Nat32,
    name: IDL.Text,
    size: IDL.Nat64,
    received: IDL.Nat64,
    sha256: IDL.Text,
    /** Canister time (ns) at which the upload expires unless a chunk arrives (an idle upload is freed after 24 h). */
    expires_at: IDL.Nat64,
  });
  const VerifyStatus = IDL.Record({
    name: IDL.Text,
    version: IDL.Nat32,
    hashed: IDL.Nat64,
    total: IDL.Nat64,
    done: IDL.Bool,
    verified: IDL.Bool,
    computed_sha256: IDL.Opt(IDL.Text),
    declared_sha256: IDL.Text,
  });
  // A tensor: row-major values with their shape (an empty shape: flat), named for a model of several inputs.
  // float32_le is a blob of little-endian float32, uint8 a blob of byte values (large inputs without per-value encoding).
  const TensorData = IDL.Variant({
    float32: IDL.Vec(IDL.Float32),
    int32: IDL.Vec(IDL.Int32),
    float32_le: IDL.Vec(IDL.Nat8),
    uint8: IDL.Vec(IDL.Nat8),
  });
  const Tensor = IDL.Record({ name: IDL.Opt(IDL.Text), shape: IDL.Vec(IDL.Nat32), data: TensorData });
  const Input = IDL.Variant({
    text: IDL.Vec(IDL.Nat8),
    texts: IDL.Vec(IDL.Vec(IDL.Nat8)),
    tokens: IDL.Vec(IDL.Int32),
    tokens_batch: IDL.Vec(IDL.Vec(IDL.Int32)),
    vector: IDL.Vec(IDL.Float32),
    vector_batch: IDL.Vec(IDL.Vec(IDL.Float32)),
    tensor: Tensor,
    tensors: IDL.Vec(Tensor),
  });
  const Prediction = IDL.Record({ label: IDL.Text, scores: IDL.Vec(IDL.Float32) });
  const PredictOk = IDL.Record({
    model: IDL.Text,
    version: IDL.Nat32,
    sha256: IDL.Text,
    labels: IDL.Vec(IDL.Text),
    predictions: IDL.Vec(Prediction),
    instructions: IDL.Nat64,
  });
  const PredictResult = IDL.Variant({ ok: PredictOk, err: Error });
  const HeaderField = IDL.Tuple(IDL.Text, IDL.Text);
  const HttpRequest = IDL.Record({
    method: IDL.Text,
    url: IDL.Text,
    headers: IDL.Vec(HeaderField),
    body: IDL.Vec(IDL.Nat8),
    certificate_version: IDL.Opt(IDL.Nat16),
  });
  const HttpResponse = IDL.Record({
    status_code: IDL.Nat16,
    headers: IDL.Vec(HeaderField),
    body: IDL.Vec(IDL.Nat8),
    upgrade: IDL.Opt(IDL.Bool),
  });
  const result = (ok: any) => IDL.Variant({ ok, err: Error });
  const EmbedOk = IDL.Record({ model: IDL.Text, version: IDL.Nat32, sha256: IDL.Text, dims: IDL.Nat32, vectors: IDL.Vec(IDL.Vec(IDL.Float32)), instructions: IDL.Nat64 });
  const SimilarityOk = IDL.Record({ model: IDL.Text, version: IDL.Nat32, sha256: IDL.Text, similarities: IDL.Vec(IDL.Float32), instructions: IDL.Nat64 });
  const CollectionInfo = IDL.Record({ name: IDL.Text, model: IDL.Text, dims: IDL.Nat32, count: IDL.Nat32, created_at: IDL.Nat64 });
  const Hit = IDL.Record({ id: IDL.Text, score: IDL.Float32, text: IDL.Opt(IDL.Text), metadata: IDL.Opt(IDL.Text) });
  const SearchOk = IDL.Record({ collection: IDL.Text, model: IDL.Text, hits: IDL.Vec(Hit), instructions: IDL.Nat64 });
  const SearchQuery = IDL.Record({ text: IDL.Opt(IDL.Text), vector: IDL.Opt(IDL.Vec(IDL.Float32)), k: IDL.Nat32 });
  const NewItem = IDL.Record({ id: IDL.Text, text: IDL.Opt(IDL.Text), vector: IDL.Opt(IDL.Vec(IDL.Float32)), metadata: IDL.Opt(IDL.Text) });
  return {
    CollectionInfo,
    SearchQuery,
    NewItem,
    EmbedResult: result(EmbedOk),
    SimilarityResult: result(SimilarityOk),
    SearchResult: result(SearchOk),
    CollectionResult: result(CollectionInfo),
    Error,
    TensorSpec,
    ModelInfo,
    UploadStatus,
    VerifyStatus,
    TensorData,
    Tensor,
    Input,
    Prediction,
    PredictOk,
    PredictResult,
    HeaderField,
    HttpRequest,
    HttpResponse,
    UploadResult: result(UploadStatus),
    ModelResult: result(ModelInfo),
    VerifyResult: result(VerifyStatus),
    BlobResult: result(IDL.Vec(IDL.Nat8)),
    CountResult: result(IDL.Nat32),
    UnitResult: result(IDL.Null),
  };
}

/** The service, in the shape @dfinity/agent's Actor.createActor expects. */
export const idlFactory: IDLNamespace.InterfaceFactory = ({ IDL }) => {
  const t = makeTypes(IDL as unknown as IDLLike);
  return IDL.Service({
    // Uploads and administration (controllers only).
    begin_upload: IDL.Func([IDL.Text, IDL.Nat64, IDL.Text], [t.UploadResult], []),
    append_chunk: IDL.Func([IDL.Nat32, IDL.Nat64, IDL.Vec(IDL.Nat8)], [t.UploadResult], []),
    upload_status: IDL.Func([IDL.Nat32], [t.UploadResult], ['query']),
    list_uploads: IDL.Func([], [IDL.Vec(t.UploadStatus)], ['query']),
    commit_upload: IDL.Func([IDL.Nat32], [t.ModelResult], []),
    abort_upload: IDL.Func([IDL.Nat32], [t.UnitResult], []),
    activate: IDL.Func([IDL.Text, IDL.Nat32], [t.ModelResult], []),
    delete_model: IDL.Func([IDL.Text, IDL.Opt(IDL.Nat32)], [t.CountResult], []),
    set_build_budget: IDL.Func([IDL.Opt(IDL.Nat64)], [t.UnitResult], []),
    // Models, identity and verification (anyone).
    list_models: IDL.Func([], [IDL.Vec(t.ModelInfo)], ['query']),
    model_versions: IDL.Func([IDL.Text], [IDL.Vec(t.ModelInfo)], ['query']),
    model_info: IDL.Func([IDL.Text, IDL.Opt(IDL.Nat32)], [t.ModelResult], ['query']),
    read_model: IDL.Func([IDL.Text, IDL.Nat32, IDL.Nat64, IDL.Nat32], [t.BlobResult], ['query']),
    verify: IDL.Func([IDL.Text, IDL.Nat32], [t.VerifyResult], []),
    // Predictions: a query (one node answers) or an update (the subnet agrees).
    predict: IDL.Func([IDL.Text, t.Input], [t.PredictResult], ['query']),
    predict_update: IDL.Func([IDL.Text, t.Input], [t.PredictResult], []),
    // Embeddings and vector search (canister/embed.ts).
    embed: IDL.Func([IDL.Text, IDL.Vec(IDL.Text)], [t.EmbedResult], ['query']),
    embed_update: IDL.Func([IDL.Text, IDL.Vec(IDL.Text)], [t.EmbedResult], []),
    similarity: IDL.Func([IDL.Text, IDL.Vec(IDL.Tuple(IDL.Text, IDL.Text))], [t.SimilarityResult], ['query']),
    similarity_update: IDL.Func([IDL.Text, IDL.Vec(IDL.Tuple(IDL.Text, IDL.Text))], [t.SimilarityResult], []),
    list_collections: IDL.Func([], [IDL.Vec(t.CollectionInfo)], ['query']),
    search: IDL.Func([IDL.Text, t.SearchQuery], [t.SearchResult], ['query']),
    search_update: IDL.Func([IDL.Text, t.SearchQuery], [t.SearchResult], []),
    create_collection: IDL.Func([IDL.Text, IDL.Text], [t.CollectionResult], []),
    drop_collection: IDL.Func([IDL.Text], [t.CountResult], []),
    add_items: IDL.Func([IDL.Text, IDL.Vec(t.NewItem)], [t.CountResult], []),
    delete_items: IDL.Func([IDL.Text, IDL.Vec(IDL.Text)], [t.CountResult], []),
    // REST through the HTTP gateway.
    http_request: IDL.Func([t.HttpRequest], [t.HttpResponse], ['query']),
    http_request_update: IDL.Func([t.HttpRequest], [t.HttpResponse], []),
  });
};

// ---------------------------------------------------------------- TypeScript types

export interface CanisterError {
  code: string;
  message: string;
}
export type Result<T> = { ok: T } | { err: CanisterError };

/** A model input or output: its name, shape (without the batch axis) and dtype ('float32' or 'int32'). */
export interface TensorSpec {
  name: string;
  shape: Uint32Array | number[];
  dtype: string;
}

export interface ModelInfo {
  name: string;
  version: number;
  active: boolean;
  labels: string[];
  input_kind: string;
  input_shape: Uint32Array | number[];
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  parameters: bigint;
  bytes: bigint;
  sha256: string;
  created_at: bigint;
  activated_at: bigint;
  verified: boolean;
  computed_sha256: [] | [string];
}

export interface UploadStatus {
  upload_id: number;
  name: string;
  size: bigint;
  received: bigint;
  sha256: string;
  /** Canister time (ns) at which the upload expires unless a chunk arrives. */
  expires_at: bigint;
}

export interface VerifyStatus {
  name: string;
  version: number;
  hashed: bigint;
  total: bigint;
  done: boolean;
  verified: boolean;
  computed_sha256: [] | [string];
  declared_sha256: string;
}

/** `float32` takes a plain array (@dfinity/candid encodes no Float32Array): for large inputs send `float32_le`. */
export type TensorData =
  | { float32: number[] }
  | { int32: Int32Array | number[] }
  | { float32_le: Uint8Array | number[] }
  | { uint8: Uint8Array | number[] };

/** One input tensor; shape [] means flat, a leading extra axis is a batch. */
export interface Tensor {
  name: [] | [string];
  shape: Uint32Array | number[];
  data: TensorData;
}

export type Input =
  | { text: Uint8Array | number[] }
  | { texts: (Uint8Array | number[])[] }
  | { tokens: Int32Array | number[] }
  | { tokens_batch: (Int32Array | number[])[] }
  | { vector: Float32Array | number[] }
  | { vector_batch: (Float32Array | number[])[] }
  | { tensor: Tensor }
  | { tensors: Tensor[] };

export interface Prediction {
  label: string;
  scores: Float32Array | number[];
}

export interface PredictOk {
  model: string;
  version: number;
  sha256: string;
  labels: string[];
  predictions: Prediction[];
  instructions: bigint;
}

export type HeaderField = [string, string];

export interface HttpRequest {
  method: string;
  url: string;
  headers: HeaderField[];
  body: Uint8Array | number[];
  certificate_version: [] | [number];
}

export interface HttpResponse {
  status_code: number;
  headers: HeaderField[];
  body: Uint8Array | number[];
  upgrade: [] | [boolean];
}

/** The canister as an actor (what Actor.createActor(idlFactory, …) returns). */
export interface DecentAIService {
  begin_upload(name: string, size: bigint, sha256: string): Promise<Result<UploadStatus>>;
  append_chunk(uploadId: number, offset: bigint, bytes: Uint8Array | number[]): Promise<Result<UploadStatus>>;
  upload_status(uploadId: number): Promise<Result<UploadStatus>>;
  list_uploads(): Promise<UploadStatus[]>;
  commit_upload(uploadId: number): Promise<Result<ModelInfo>>;
  abort_upload(uploadId: number): Promise<Result<null>>;
  activate(name: string, version: number): Promise<Result<ModelInfo>>;
  delete_model(name: string, version: [] | [number]): Promise<Result<number>>;
  /** Instructions a message may spend building models (canister/build.ts); none: the default. */
  set_build_budget(instructions: [] | [bigint]): Promise<Result<null>>;
  list_models(): Promise<ModelInfo[]>;
  model_versions(name: string): Promise<ModelInfo[]>;
  model_info(name: string, version: [] | [number]): Promise<Result<ModelInfo>>;
  read_model(name: string, version: number, offset: bigint, length: number): Promise<Result<Uint8Array | number[]>>;
  verify(name: string, version: number): Promise<Result<VerifyStatus>>;
  predict(model: string, input: Input): Promise<Result<PredictOk>>;
  predict_update(model: string, input: Input): Promise<Result<PredictOk>>;
  http_request(request: HttpRequest): Promise<HttpResponse>;
  http_request_update(request: HttpRequest): Promise<HttpResponse>;
  embed(model: string, texts: string[]): Promise<Result<EmbedOk>>;
  embed_update(model: string, texts: string[]): Promise<Result<EmbedOk>>;
  similarity(model: string, pairs: [string, string][]): Promise<Result<SimilarityOk>>;
  similarity_update(model: string, pairs: [string, string][]): Promise<Result<SimilarityOk>>;
  list_collections(): Promise<CollectionInfo[]>;
  search(collection: string, query: SearchQuery): Promise<Result<SearchOk>>;
  search_update(collection: string, query: SearchQuery): Promise<Result<SearchOk>>;
  create_collection(name: string, model: string): Promise<Result<CollectionInfo>>;
  drop_collection(name: string): Promise<Result<number>>;
  add_items(collection: string, items: NewItem[]): Promise<Result<number>>;
  delete_items(collection: string, ids: string[]): Promise<Result<number>>;
}

export interface EmbedOk {
  model: string;
  version: number;
  sha256: string;
  dims: number;
  vectors: (Float32Array | number[])[];
  instructions: bigint;
}
export interface SimilarityOk {
  model: string;
  version: number;
  sha256: string;
  similarities: Float32Array | number[];
  instructions: bigint;
}
export interface CollectionInfo {
  name: string;
  model: string;
  dims: number;
  count: number;
  created_at: bigint;
}
export interface SearchQuery {
  text: [] | [string];
  vector: [] | [number[] | Float32Array];
  k: number;
}
export interface NewItem {
  id: string;
  text: [] | [string];
  vector: [] | [number[] | Float32Array];
  metadata: [] | [string];
}
export interface SearchOk {
  collection: string;
  model: string;
  hits: { id: string; score: number; text: [] | [string]; metadata: [] | [string] }[];
  instructions: bigint;
}

export type { Principal };
