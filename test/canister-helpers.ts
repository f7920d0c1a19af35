// Shared by the canister tests: an in-memory BytesMap (what StableBTreeMap is in the canister).

import type { BytesMap } from '../canister/registry.ts';

export function memoryMap(): BytesMap & { size: () => number } {
  const m = new Map<string, Uint8Array>();
  const key = (k: Uint8Array) => Buffer.from(k).toString('hex');
  return {
    get: (k) => {
      const v = m.get(key(k));
      return v === undefined ? undefined : v.slice();
    },
    insert: (k, v) => {
      m.set(key(k), v.slice());
    },
    remove: (k) => {
      m.delete(key(k));
    },
    size: () => m.size,
  };
}

import { IDL } from '@dfinity/candid';
import * as M from '../canister/methods.ts';
import { Registry } from '../canister/registry.ts';
import type { Collections } from '../canister/collections.ts';
import { prepare } from '../canister/wire.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';

const service = idlFactory({ IDL }) as unknown as { _fields: [string, IDL.FuncClass][] };

/**
 * The canister's methods run in Node, behind @dfinity/candid: every argument is
 * encoded and every reply decoded with the .did's types, exactly as an agent does.
 */
export function nodeActor(reg: Registry, options: { controller?: boolean; instructions?: () => bigint; collections?: Collections } = {}): DecentAIService {
  const ctx: M.Ctx = { reg, isController: () => options.controller ?? true, instructions: options.instructions ?? (() => 0n), collections: options.collections };
  const impl: Record<string, (c: M.Ctx, a: Uint8Array) => Uint8Array> = {
    ...(M as unknown as Record<string, (c: M.Ctx, a: Uint8Array) => Uint8Array>),
    predict_update: (c, a) => M.predict(c, a, true),
    http_request: (c, a) => M.http(c, a, false),
    http_request_update: (c, a) => M.http(c, a, true),
    embed_update: M.embed,
    similarity_update: M.similarity,
  };
  const actor: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, func] of service._fields) {
    actor[name] = async (...args: unknown[]) => {
      const reply = impl[name](ctx, new Uint8Array(IDL.encode(func.argTypes, args)));
      return IDL.decode(func.retTypes, reply)[0];
    };
  }
  return actor as unknown as DecentAIService;
}

export function newRegistry(now = () => 1_700_000_000_000_000_000n) {
  const meta = memoryMap();
  const chunks = memoryMap();
  return { reg: new Registry(meta, chunks, { now, prepare }), meta, chunks, reopen: () => new Registry(meta, chunks, { now, prepare }) };
}
