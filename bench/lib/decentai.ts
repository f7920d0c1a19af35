// Raw, measured calls to the decentai canister's Candid interface (canister/types.ts):
// uploads, commit, verification and predictions. Raw calls rather than the client's
// actor, because the bench needs each message's instructions.
import { createHash } from 'node:crypto';

import { IDL } from '@dfinity/candid';

import { makeTypes, type CanisterError, type Tensor, type ModelInfo, type PredictOk, type Result, type UploadStatus, type VerifyStatus } from '../../canister/types.ts';
import { MAX_CHUNK_BYTES } from '../../client/upload.ts';
import { DEFAULT_CONTROLLER, type Canister } from '../../host/index.ts';
import { candidArgs, measureQuery, measureUpdate } from './calls.ts';

export const types = makeTypes(IDL);

/** The canister's largest chunk per append, as the project's uploader sends it. */
export const CHUNK_BYTES = MAX_CHUNK_BYTES;

function unwrap<T>(result: Result<T>, what: string): T {
  if ('err' in result) {
    const err: CanisterError = result.err;
    throw new Error(`${what}: ${err.code}: ${err.message}`);
  }
  return result.ok;
}

export interface UploadFigures {
  begin: number;
  /** Instructions and bytes of each append_chunk. */
  appends: { instructions: number; bytes: number }[];
  commit: number;
  model: ModelInfo;
}

export async function uploadModel(canister: Canister, name: string, bytes: Uint8Array, chunkBytes = CHUNK_BYTES): Promise<UploadFigures> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const begin = await measureUpdate(canister, 'begin_upload', candidArgs([IDL.Text, IDL.Nat64, IDL.Text], [name, BigInt(bytes.length), sha256]), DEFAULT_CONTROLLER);
  const upload = unwrap(IDL.decode([types.UploadResult], begin.reply)[0] as unknown as Result<UploadStatus>, 'begin_upload');
  const appends: UploadFigures['appends'] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + chunkBytes));
    const arg = candidArgs([IDL.Nat32, IDL.Nat64, IDL.Vec(IDL.Nat8)], [upload.upload_id, BigInt(offset), chunk]);
    const append = await measureUpdate(canister, 'append_chunk', arg, DEFAULT_CONTROLLER);
    unwrap(IDL.decode([types.UploadResult], append.reply)[0] as unknown as Result<UploadStatus>, 'append_chunk');
    appends.push({ instructions: append.instructions, bytes: chunk.length });
  }
  const commit = await measureUpdate(canister, 'commit_upload', candidArgs([IDL.Nat32], [upload.upload_id]), DEFAULT_CONTROLLER);
  const model = unwrap(IDL.decode([types.ModelResult], commit.reply)[0] as unknown as Result<ModelInfo>, 'commit_upload');
  return { begin: begin.instructions, appends, commit: commit.instructions, model };
}

export interface VerifyFigures {
  calls: number;
  instructions: number;
  bytes: number;
  verified: boolean;
}

/** Calls verify until the canister has hashed the whole file; sums the instructions. */
export async function verifyModel(canister: Canister, name: string, version: number): Promise<VerifyFigures> {
  let instructions = 0;
  for (let calls = 1; calls < 10_000; calls++) {
    const { instructions: spent, reply } = await measureUpdate(canister, 'verify', candidArgs([IDL.Text, IDL.Nat32], [name, version]));
    instructions += spent;
    const status = unwrap(IDL.decode([types.VerifyResult], reply)[0] as unknown as Result<VerifyStatus>, 'verify');
    if (status.done) return { calls, instructions, bytes: Number(status.total), verified: status.verified };
  }
  throw new Error('verify did not finish in 10,000 calls');
}

export type PredictInputValue =
  | { text: Uint8Array }
  | { texts: Uint8Array[] }
  | { tokens: Int32Array }
  | { tokens_batch: Int32Array[] }
  | { vector: number[] }
  | { vector_batch: number[][] }
  | { tensor: Tensor }
  | { tensors: Tensor[] };

export interface PredictFigures {
  instructions: number;
  /** The canister's own performance-counter reading, reported in the reply. */
  methodInstructions: number;
  ok: PredictOk;
}

export async function predict(canister: Canister, kind: 'query' | 'update', model: string, input: PredictInputValue): Promise<PredictFigures> {
  const arg = candidArgs([IDL.Text, types.Input], [model, input]);
  const { instructions, reply } = kind === 'query' ? await measureQuery(canister, 'predict', arg) : await measureUpdate(canister, 'predict_update', arg);
  const ok = unwrap(IDL.decode([types.PredictResult], reply)[0] as unknown as Result<PredictOk>, `predict ${model}`);
  return { instructions, methodInstructions: Number(ok.instructions), ok };
}
