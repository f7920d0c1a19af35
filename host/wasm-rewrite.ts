/**
 * A small, dependency-free rewriter for the wasm binary that `ic-wasm instrument` produces.
 *
 * It does exactly what the host needs and nothing else, byte for byte, so the instruction
 * counts ic-wasm inserted stay untouched:
 *  - exports every mutable global (Azle exports none; the host snapshots them for rollback and
 *    reads ic-wasm's instruction counter through them) and the function table (to invoke the
 *    reply/reject/cleanup callbacks of inter-canister calls);
 *  - drops the memory maximum (`--heap-trace` caps memory at initial+64 pages, too little for Azle);
 *  - adds an i64 "instruction limit" global and, after every update of the instruction counter,
 *    `if (counter > limit) unreachable` so a runaway message stops deterministically at the limit
 *    (JS cannot interrupt synchronous wasm).
 */

export const GLOBAL_EXPORT_PREFIX = '__host_global_';
export const TABLE_EXPORT = '__host_table';
export const LIMIT_GLOBAL_EXPORT = '__host_instruction_limit';

export interface RewriteResult {
  wasm: Uint8Array;
  /** Export name of ic-wasm's instruction counter global (absent when the module was not instrumented). */
  counterExport?: string;
  /** Export name of the limit global compared against the counter. */
  limitExport: string;
  /** Export names of all mutable globals (including the counter and the limit). */
  mutableGlobalExports: string[];
  /** Export name of ic-wasm's "tracing disabled" flag (heap-trace mode), if recognised. */
  tracingOffFlagExport?: string;
}

class Reader {
  constructor(readonly bytes: Uint8Array, public pos = 0) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('wasm rewrite: unexpected end of input');
    return this.bytes[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  /** Skips a signed or unsigned LEB128 of any width. */
  skipLeb(): void {
    while (this.byte() & 0x80) {
      /* continue */
    }
  }
  skip(n: number): void {
    this.pos += n;
  }
  name(): string {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
}

function encodeU32(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function encodeName(name: string): number[] {
  const bytes = new TextEncoder().encode(name);
  return [...encodeU32(bytes.length), ...bytes];
}

class Writer {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(data: Uint8Array | number[]): void {
    const chunk = data instanceof Uint8Array ? data : Uint8Array.from(data);
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

interface Section {
  id: number;
  body: Uint8Array;
}

function readSections(wasm: Uint8Array): Section[] {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (!magic.every((b, i) => wasm[i] === b)) throw new Error('not a wasm module (bad magic/version)');
  const r = new Reader(wasm, 8);
  const sections: Section[] = [];
  while (r.pos < wasm.length) {
    const id = r.byte();
    const size = r.u32();
    sections.push({ id, body: wasm.subarray(r.pos, r.pos + size) });
    r.skip(size);
  }
  return sections;
}

function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.u32();
  if (flags & 1) r.u32();
}

function skipConstExpr(r: Reader): void {
  // Constant expressions in this module are a single const/global.get/ref op and `end`.
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return;
    skipImmediates(op, r);
  }
}

function skipBlockType(r: Reader): void {
  const b = r.bytes[r.pos];
  if (b === 0x40 || (b >= 0x7b && b <= 0x7f) || b === 0x70 || b === 0x6f) r.pos++;
  else r.skipLeb();
}

function skipMemarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory: explicit memory index
  r.u32();
}

/** Advances past the immediates of `op` (already consumed). Throws on opcodes it does not know. */
function skipImmediates(op: number, r: Reader): void {
  if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) return;
  if (op >= 0x45 && op <= 0xc4) return; // numeric (incl. sign extension)
  switch (op) {
    case 0x02:
    case 0x03:
    case 0x04:
      return skipBlockType(r);
    case 0x0c:
    case 0x0d:
    case 0x10:
    case 0x12:
    case 0xd2:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
      r.u32();
      return;
    case 0x0e: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case 0x11:
    case 0x13:
      r.u32();
      r.u32();
      return;
    case 0x1c: {
      const n = r.u32();
      r.skip(n);
      return;
    }
    case 0x3f:
    case 0x40:
      r.u32();
      return;
    case 0x41:
    case 0x42:
      r.skipLeb();
      return;
    case 0x43:
      r.skip(4);
      return;
    case 0x44:
      r.skip(8);
      return;
    case 0xd0:
      r.skipLeb();
      return;
    case 0xfc:
      return skipMiscOp(r.u32(), r);
    case 0xfd:
      return skipSimdOp(r.u32(), r);
    case 0xfe: {
      const sub = r.u32();
      if (sub === 0x03) r.byte();
      else skipMemarg(r);
      return;
    }
  }
  if (op >= 0x28 && op <= 0x3e) return skipMemarg(r);
  throw new Error(`wasm rewrite: unsupported opcode 0x${op.toString(16)} at byte ${r.pos - 1}`);
}

function skipMiscOp(sub: number, r: Reader): void {
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: // memory.init data, mem
    case 12: // table.init elem, table
    case 14: // table.copy
    case 10: // memory.copy mem, mem
      r.u32();
      r.u32();
      return;
    case 9:
    case 11:
    case 13:
    case 15:
    case 16:
    case 17:
      r.u32();
      return;
  }
  throw new Error(`wasm rewrite: unsupported 0xfc opcode ${sub}`);
}

function skipSimdOp(sub: number, r: Reader): void {
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(r);
  if (sub === 12 || sub === 13) return r.skip(16);
  if (sub >= 21 && sub <= 34) return r.skip(1);
  if (sub >= 84 && sub <= 91) {
    skipMemarg(r);
    r.skip(1);
    return;
  }
}

export interface RewriteOptions {
  /** Number of globals the module had before `ic-wasm instrument` (the counter is added after them). */
  originalGlobalCount: number;
  /** Whether the module must contain ic-wasm's counter (false for an uninstrumented module). */
  instrumented: boolean;
}

/** Tables and globals a module imports, from its import section's body. */
function countImports(body: Uint8Array): { tables: number; globals: number } {
  const r = new Reader(body);
  let tables = 0;
  let globals = 0;
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0) r.u32();
    else if (kind === 1) {
      r.byte();
      skipLimits(r);
      tables++;
    } else if (kind === 2) skipLimits(r);
    else if (kind === 3) {
      r.byte();
      r.byte();
      globals++;
    } else throw new Error(`wasm rewrite: unsupported import kind ${kind}`);
  }
  return { tables, globals };
}

/** Number of globals (imported + defined) of a module. */
export function countGlobals(wasm: Uint8Array): number {
  let total = 0;
  for (const s of readSections(wasm)) {
    if (s.id === 2) total += countImports(s.body).globals;
    else if (s.id === 6) total += new Reader(s.body).u32();
  }
  return total;
}

export function rewriteInstrumentedWasm(wasm: Uint8Array, options: RewriteOptions): RewriteResult {
  const sections = readSections(wasm);
  let importedGlobals = 0;
  let importedTables = 0;
  const definedGlobals: { type: number; mutable: boolean; initI32?: number }[] = [];

  for (const s of sections) {
    const r = new Reader(s.body);
    if (s.id === 2) {
      ({ tables: importedTables, globals: importedGlobals } = countImports(s.body));
    } else if (s.id === 6) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const type = r.byte();
        const mutable = r.byte() === 1;
        const initStart = r.pos;
        skipConstExpr(r);
        const init = s.body.subarray(initStart, r.pos);
        // `i32.const 1; end` is how ic-wasm initialises its "in init, do not trace" flag.
        const initI32 = init.length === 3 && init[0] === 0x41 ? init[1] : undefined;
        definedGlobals.push({ type, mutable, initI32 });
      }
    }
  }

  const I64 = 0x7e;
  const I32 = 0x7f;
  const firstAdded = options.originalGlobalCount;
  const counterIndex = definedGlobals.findIndex((g, i) => i + importedGlobals >= firstAdded && g.type === I64 && g.mutable);
  if (counterIndex < 0 && options.instrumented) {
    throw new Error('wasm rewrite: no instruction counter global found; was the module instrumented by ic-wasm?');
  }
  const counterGlobal = options.instrumented ? counterIndex + importedGlobals : -1;
  const limitGlobal = importedGlobals + definedGlobals.length;
  const tracingFlags = !options.instrumented ? [] : definedGlobals
    .map((g, i) => ({ g, index: i + importedGlobals }))
    .filter(({ g, index }) => index >= firstAdded && g.type === I32 && g.mutable && g.initI32 === 1);

  const exportName = (globalIndex: number): string => `${GLOBAL_EXPORT_PREFIX}${globalIndex}`;
  const mutableGlobalExports: string[] = [];
  const extraExports: number[] = [];
  definedGlobals.forEach((g, i) => {
    if (!g.mutable) return;
    const index = i + importedGlobals;
    mutableGlobalExports.push(exportName(index));
    extraExports.push(...encodeName(exportName(index)), 3, ...encodeU32(index));
  });
  mutableGlobalExports.push(LIMIT_GLOBAL_EXPORT);
  extraExports.push(...encodeName(LIMIT_GLOBAL_EXPORT), 3, ...encodeU32(limitGlobal));
  let extraExportCount = mutableGlobalExports.length;
  const hasDefinedTable = sections.some((s) => s.id === 4);
  if (importedTables === 0 && hasDefinedTable) {
    extraExports.push(...encodeName(TABLE_EXPORT), 1, 0);
    extraExportCount++;
  }

  // global.get C; global.get L; i64.gt_u; if; unreachable; end
  const check = [0x23, ...encodeU32(counterGlobal), 0x23, ...encodeU32(limitGlobal), 0x56, 0x04, 0x40, 0x00, 0x0b];

  const out = new Writer();
  out.push(wasm.subarray(0, 8));
  const pushSection = (id: number, body: Uint8Array): void => {
    out.push([id, ...encodeU32(body.length)]);
    out.push(body);
  };

  for (const s of sections) {
    const r = new Reader(s.body);
    if (s.id === 5) {
      // Memory: drop the maximum.
      const w = new Writer();
      const count = r.u32();
      w.push(encodeU32(count));
      for (let i = 0; i < count; i++) {
        const flags = r.byte();
        const initial = r.u32();
        if (flags & 1) r.u32();
        w.push([flags & ~1, ...encodeU32(initial)]);
      }
      pushSection(5, w.concat());
    } else if (s.id === 6) {
      const count = r.u32();
      const w = new Writer();
      w.push(encodeU32(count + 1));
      w.push(s.body.subarray(r.pos));
      // i64 mut, init i64.const i64::MAX (no limit until the host sets one)
      w.push([I64, 1, 0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0b]);
      pushSection(6, w.concat());
    } else if (s.id === 7) {
      const count = r.u32();
      const w = new Writer();
      w.push(encodeU32(count + extraExportCount));
      w.push(s.body.subarray(r.pos));
      w.push(extraExports);
      pushSection(7, w.concat());
    } else if (s.id === 10 && options.instrumented) {
      pushSection(10, rewriteCode(s.body, counterGlobal, check));
    } else {
      pushSection(s.id, s.body);
    }
  }

  return {
    wasm: out.concat(),
    counterExport: options.instrumented ? exportName(counterGlobal) : undefined,
    limitExport: LIMIT_GLOBAL_EXPORT,
    mutableGlobalExports,
    tracingOffFlagExport: tracingFlags.length === 1 ? exportName(tracingFlags[0].index) : undefined,
  };
}

function rewriteCode(body: Uint8Array, counterGlobal: number, check: number[]): Uint8Array {
  const r = new Reader(body);
  const count = r.u32();
  const out = new Writer();
  out.push(encodeU32(count));
  const checkBytes = Uint8Array.from(check);
  for (let f = 0; f < count; f++) {
    const size = r.u32();
    const end = r.pos + size;
    const fn = new Writer();
    const localsStart = r.pos;
    const groups = r.u32();
    for (let g = 0; g < groups; g++) {
      r.u32();
      r.byte();
    }
    fn.push(body.subarray(localsStart, r.pos));
    let copyFrom = r.pos;
    while (r.pos < end) {
      const op = r.byte();
      if (op === 0x24) {
        const index = r.u32();
        if (index === counterGlobal) {
          fn.push(body.subarray(copyFrom, r.pos));
          fn.push(checkBytes);
          copyFrom = r.pos;
        }
      } else {
        skipImmediates(op, r);
      }
    }
    if (r.pos !== end) throw new Error('wasm rewrite: function body overrun');
    fn.push(body.subarray(copyFrom, end));
    out.push(encodeU32(fn.length));
    out.push(fn.concat());
  }
  return out.concat();
}
