/** The byte-level rewrite applied after `ic-wasm instrument`, on a tiny hand-assembled module. */
import { describe, expect, it } from 'vitest';
import { countGlobals, rewriteInstrumentedWasm } from '../host/wasm-rewrite.ts';
import { Wasm, type WasmGlobal, type WasmMemory } from '../host/wasm-api.ts';

const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
const name = (s: string): number[] => [s.length, ...Buffer.from(s)];

/**
 * Like an instrumented canister: global 0 is the module's own (a stack pointer), global 1 is the
 * i64 instruction counter ic-wasm adds; `run(n)` loops n times, adding 10 to the counter each time.
 * Memory has a maximum of 2 pages; the table holds `run`.
 */
function instrumentedLikeModule(): Uint8Array {
  const body = [0x00, 0x03, 0x40, 0x23, 0x01, 0x42, 0x0a, 0x7c, 0x24, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x0b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(4, [1, 0x70, 0x00, 1]),
    ...section(5, [1, 0x01, 1, 2]),
    ...section(6, [2, 0x7f, 1, 0x41, 0, 0x0b, 0x7e, 1, 0x42, 0, 0x0b]),
    ...section(7, [2, ...name('run'), 0, 0, ...name('memory'), 2, 0]),
    ...section(9, [1, 0x00, 0x41, 0, 0x0b, 1, 0]),
    ...section(10, [1, body.length, ...body]),
  ]);
}

describe('rewriteInstrumentedWasm', () => {
  const original = instrumentedLikeModule();
  const rewritten = rewriteInstrumentedWasm(original, { originalGlobalCount: 1, instrumented: true });
  const instance = new Wasm.Instance(new Wasm.Module(rewritten.wasm), {});
  const exports = instance.exports;
  const counter = exports[rewritten.counterExport!] as WasmGlobal;
  const limit = exports[rewritten.limitExport] as WasmGlobal;
  const run = exports.run as (n: number) => void;

  it('finds the counter and exports every mutable global, the limit and the table', () => {
    expect(countGlobals(original)).toBe(2);
    expect(rewritten.counterExport).toBe('__host_global_1');
    expect(rewritten.mutableGlobalExports).toEqual(['__host_global_0', '__host_global_1', '__host_instruction_limit']);
    expect(exports.__host_table).toBeDefined();
  });

  it('leaves the counting alone while under the limit', () => {
    run(5);
    expect(counter.value).toBe(50n);
  });

  it('traps as soon as the counter passes the limit', () => {
    counter.value = 0n;
    limit.value = 100n;
    expect(() => run(1_000_000)).toThrow(/unreachable/);
    expect(counter.value).toBe(110n);
    limit.value = 0x7fffffffffffffffn;
  });

  it('drops the memory maximum', () => {
    expect((exports.memory as WasmMemory).grow(10)).toBe(1);
  });

  it('adds no checks to a module that was not instrumented', () => {
    const plain = rewriteInstrumentedWasm(original, { originalGlobalCount: 2, instrumented: false });
    expect(plain.counterExport).toBeUndefined();
    const plainInstance = new Wasm.Instance(new Wasm.Module(plain.wasm), {});
    (plainInstance.exports[plain.limitExport] as WasmGlobal).value = 0n;
    expect(() => (plainInstance.exports.run as (n: number) => void)(3)).not.toThrow();
  });
});
