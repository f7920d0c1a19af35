// Chunked, resumable, hash-checked model upload against any actor-like object
// (an @dfinity/agent Actor for a real replica, or the in-process host's actor in
// tests). The canister checks the order of chunks and hashes them as they arrive;
// commit activates the file only when its SHA-256 equals the one computed here
// (and the engine validates it). A canister built before that check answers
// commit with `verified = false`: then the on-chain `verify` hashes the stored bytes.

import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';
import type { DecentAIService, ModelInfo, Result, UploadStatus, VerifyStatus } from '../canister/types.ts';

export type UploadActor = Pick<
  DecentAIService,
  'begin_upload' | 'append_chunk' | 'upload_status' | 'commit_upload' | 'abort_upload' | 'verify'
>;

/**
 * Largest chunk the canister takes (its LIMITS.maxChunkBytes), and the default: 1 MiB, which
 * the canister hashes in ~13B instructions, about a third of the 40B update limit.
 */
export const MAX_CHUNK_BYTES = 1024 * 1024;

export interface UploadProgress {
  phase: 'upload' | 'commit' | 'verify' | 'done';
  sent: number;
  total: number;
  /** Bytes the canister already held when the upload started (a resumed upload). */
  resumedFrom: number;
}

export interface UploadOptions {
  chunkSize?: number;
  /** Require the on-chain SHA-256 to match (default true): checked at commit, or by `verify` on an older canister. */
  verify?: boolean;
  /** Retries of one call after a transport error (default 3). */
  retries?: number;
  onProgress?: (p: UploadProgress) => void;
  /** Called between chunks (tests use it to interrupt an upload). */
  afterChunk?: (sent: number) => void | Promise<void>;
}

export interface UploadResult {
  model: ModelInfo;
  sha256: string;
  uploadId: number;
  resumedFrom: number;
  chunks: number;
  verify?: VerifyStatus;
}

export class UploadError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'UploadError';
    this.code = code;
  }
}

function unwrap<T>(r: Result<T>, what: string): T {
  if ('ok' in r) return r.ok;
  throw new UploadError(r.err.code, `${what}: ${r.err.message}`);
}

async function retry<T>(retries: number, f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (e instanceof UploadError || attempt >= retries) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/** Uploads `bytes` as the next version of `name`, resuming an interrupted upload of the same file. */
export async function uploadModel(actor: UploadActor, name: string, bytes: Uint8Array, options: UploadOptions = {}): Promise<UploadResult> {
  const chunkSize = Math.min(options.chunkSize ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES);
  const retries = options.retries ?? 3;
  if (bytes.length === 0) throw new UploadError('bad_request', 'the file is empty');
  const digest = sha256Hex(bytes);
  let status: UploadStatus = unwrap(await retry(retries, () => actor.begin_upload(name, BigInt(bytes.length), digest)), 'begin_upload');
  const id = status.upload_id;
  const resumedFrom = Number(status.received);
  const progress = (phase: UploadProgress['phase'], sent: number) => options.onProgress?.({ phase, sent, total: bytes.length, resumedFrom });
  let sent = resumedFrom;
  let chunks = 0;
  progress('upload', sent);
  while (sent < bytes.length) {
    const chunk = bytes.subarray(sent, Math.min(bytes.length, sent + chunkSize));
    const r = await retry(retries, () => actor.append_chunk(id, BigInt(sent), chunk));
    if ('err' in r) {
      if (r.err.code !== 'conflict') throw new UploadError(r.err.code, `append_chunk at ${sent}: ${r.err.message}`);
      // Another attempt landed first (a retried call that did arrive): continue from what the canister holds.
      status = unwrap(await retry(retries, () => actor.upload_status(id)), 'upload_status');
      sent = Number(status.received);
      continue;
    }
    status = r.ok;
    sent = Number(status.received);
    chunks++;
    progress('upload', sent);
    await options.afterChunk?.(sent);
  }
  progress('commit', sent);
  let committed = await retry(retries, () => actor.commit_upload(id));
  // `pending`: the canister is still hashing bytes stored before an upgrade, a slice per call.
  while ('err' in committed && committed.err.code === 'pending') committed = await retry(retries, () => actor.commit_upload(id));
  const model = unwrap(committed, 'commit_upload');
  const result: UploadResult = { model, sha256: digest, uploadId: id, resumedFrom, chunks };
  const checkedAtCommit = model.verified && model.computed_sha256[0] === digest;
  if ((options.verify ?? true) && !checkedAtCommit) {
    progress('verify', sent);
    let v: VerifyStatus;
    do v = unwrap(await retry(retries, () => actor.verify(model.name, model.version)), 'verify');
    while (!v.done);
    result.verify = v;
    if (!v.verified) {
      throw new UploadError('mismatch', `on-chain SHA-256 ${v.computed_sha256[0] ?? '?'} differs from the uploaded file's ${digest}`);
    }
    result.model = { ...model, verified: true };
  }
  progress('done', sent);
  return result;
}

/** A one-line text progress bar. */
export function progressBar(p: UploadProgress, width = 30): string {
  const frac = p.total === 0 ? 1 : p.sent / p.total;
  const filled = Math.round(frac * width);
  const pct = (frac * 100).toFixed(1).padStart(5);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${p.sent}/${p.total} bytes ${p.phase}`;
}
