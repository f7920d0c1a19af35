// The install argument (opt text: the wasm's sha256) and where the canister repeats it: GET /api and GET /models.

import { IDL } from '@dfinity/candid';
import { describe, expect, it } from 'vitest';
import { moduleHashFromArg } from '../canister/module-hash.ts';
import { handleRest } from '../canister/rest.ts';
import { newRegistry } from './canister-helpers.ts';

const HASH = 'c0ffee'.repeat(10) + '0123';
const arg = (v: [] | [string]) => new Uint8Array(IDL.encode([IDL.Opt(IDL.Text)], [v]));
const get = (url: string, hash?: string) => JSON.parse(new TextDecoder().decode(handleRest(newRegistry().reg, { method: 'GET', url, body: new Uint8Array() }, false, () => 0n, hash).body));

describe('module hash', () => {
  it('reads the install argument as @dfinity/candid encodes it', () => {
    expect(moduleHashFromArg(arg([HASH]))).toBe(HASH);
    expect(moduleHashFromArg(arg([]))).toBeUndefined();
    expect(moduleHashFromArg(new Uint8Array(IDL.encode([], [])))).toBeUndefined();
    expect(moduleHashFromArg(new Uint8Array())).toBeUndefined();
  });

  it('refuses anything else with a message that says what is expected', () => {
    for (const bad of [arg([HASH.toUpperCase()]), arg([HASH.slice(1)]), arg([HASH + '0']), arg(['x'.repeat(64)]), new Uint8Array(IDL.encode([IDL.Text], [HASH])), new Uint8Array([1, 2, 3])]) {
      expect(() => moduleHashFromArg(bad)).toThrow(/\(opt text\).*64 lowercase hex digits/);
    }
  });

  it('is in GET /api and GET /models, null when the installer did not say it', () => {
    expect(get('/api', HASH)).toMatchObject({ service: 'decentai', module_hash: HASH });
    expect(get('/models', HASH)).toEqual({ module_hash: HASH, models: [] });
    expect(get('/api').module_hash).toBeNull();
    expect(get('/models').module_hash).toBeNull();
  });
});
