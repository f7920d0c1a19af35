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
