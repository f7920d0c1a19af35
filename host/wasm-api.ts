/**
 * The slice of the WebAssembly JS API the host uses, typed locally: the project compiles with
 * `lib: ES2022` and no DOM types, where TypeScript does not describe `WebAssembly`.
 */
export interface WasmGlobal {
  value: number | bigint;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmTable {
  get(index: number): unknown;
}
export type WasmExports = Record<string, unknown>;
export interface WasmInstance {
  readonly exports: WasmExports;
}
/** Opaque compiled module. */
export interface WasmModule {
  readonly __wasmModule: unique symbol;
}
export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: abstract new (...args: never[]) => WasmMemory;
  Table: abstract new (...args: never[]) => WasmTable;
  Global: abstract new (...args: never[]) => WasmGlobal;
  RuntimeError: abstract new (...args: never[]) => Error;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
