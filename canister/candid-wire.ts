// A small hand-written Candid codec for the canister's hot paths (manual-mode
// methods). Azle's Candid layer costs ~1.2M instructions per call and decodes
// `text` in quadratic time; this one reads the type table once, reads values by
// the sender's types (so any conforming client works), returns blobs as views
// without copying, and encodes replies against type tables built once at load.
// test/canister-candid.test.ts checks it against @dfinity/candid both ways.

import { decodeUtf8, encodeUtf8 } from './utf8.ts';

export class CandidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CandidError';
  }
}

// ---------------------------------------------------------------- types

/** A type for encoding: a primitive opcode (negative) or a constructed type. */
export type CType =
  | number
  | { vec: CType }
  | { opt: CType }
  | { record: readonly (readonly [string, CType])[] }
  | { variant: readonly (readonly [string, CType])[] };

export const T = {
  null: -1,
  bool: -2,
  nat: -3,
  int: -4,
  nat8: -5,
  nat16: -6,
  nat32: -7,
  nat64: -8,
  int8: -9,
  int16: -10,
  int32: -11,
  int64: -12,
  float32: -13,
  float64: -14,
  text: -15,
  reserved: -16,
  empty: -17,
  principal: -24,
} as const;

const OPT = -18;
const VEC = -19;
const RECORD = -20;
const VARIANT = -21;
const FUNC = -22;
const SERVICE = -23;

/** Candid field hash of a name. */
export function idlHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) return utf8Hash(name);
    h = (Math.imul(h, 223) + c) >>> 0;
  }
  return h;
}

function utf8Hash(name: string): number {
  const bytes = encodeUtf8(name);
  let h = 0;
  for (let i = 0; i < bytes.length; i++) h = (Math.imul(h, 223) + bytes[i]) >>> 0;
  return h;
}

/** A field's id: its number for tuple fields ("0", "1", …), else its hash. */
function fieldId(name: string): number {
  const n = +name;
  return name.length > 0 && n >= 0 && Number.isInteger(n) && String(n) === name ? n : idlHash(name);
}

// ---------------------------------------------------------------- writer

export class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  leb(n: number): void {
    this.reserve(10);
    if (n <= 0xffffffff) {
      // below 2^32 (hashes, lengths): integer shifts, no float division
      var buf = this.buf;
      var pos = this.pos;
      while (n > 0x7f) {
        buf[pos++] = (n & 0x7f) | 0x80;
        n = n >>> 7;
      }
      buf[pos++] = n;
      this.pos = pos;
      return;
    }
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  sleb(n: number): void {
    this.reserve(10);
    for (;;) {
      const b = n & 0x7f;
      n = Math.floor(n / 0x80);
      if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
        this.buf[this.pos++] = b;
        return;
      }
      this.buf[this.pos++] = b | 0x80;
    }
  }
  /** Text or blob content: length then bytes. */
  blob(b: Uint8Array): void {
    this.leb(b.length);
    this.bytes(b);
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

interface Built {
  /** "DIDL", the type table and the argument types. */
  header: Uint8Array;
  /** Each argument's type, with record/variant fields sorted by hash. */
  args: Norm[];
}

/** A type normalised for value encoding. */
type Norm =
  | { k: 'prim'; op: number }
  | { k: 'vec'; of: Norm }
  | { k: 'opt'; of: Norm }
  | { k: 'record'; fields: { name: string; hash: number; type: Norm }[] }
  | { k: 'variant'; fields: { name: string; hash: number; type: Norm }[] };

/** Builds the type table of a reply (or argument) list once. */
export function buildTypes(args: CType[]): Built {
  // Like @dfinity/candid: children before parents, fields in hash order, equal types shared.
  const table: Uint8Array[] = [];
  const byBytes = new Map<string, number>();
  const memo = new Map<object, { ref: number; n: Norm }>();
  const norm = (t: CType): { ref: number; n: Norm } => {
    if (typeof t === 'number') return { ref: t, n: { k: 'prim', op: t } };
    const seen = memo.get(t);
    if (seen !== undefined) return seen;
    const w = new Writer(32);
    let n: Norm;
    if ('vec' in t || 'opt' in t) {
      const inner = norm('vec' in t ? t.vec : t.opt);
      w.sleb('vec' in t ? VEC : OPT);
      w.sleb(inner.ref);
      n = 'vec' in t ? { k: 'vec', of: inner.n } : { k: 'opt', of: inner.n };
    } else {
      const isRecord = 'record' in t;
      const sorted = (isRecord ? t.record : t.variant)
        .map(([name, type]) => ({ name, hash: fieldId(name), type }))
        .sort((a, b) => a.hash - b.hash);
      const fields = sorted.map((f) => ({ name: f.name, hash: f.hash, type: norm(f.type) }));
      w.sleb(isRecord ? RECORD : VARIANT);
      w.leb(fields.length);
      for (const f of fields) {
        w.leb(f.hash);
        w.sleb(f.type.ref);
      }
      n = {
        k: isRecord ? 'record' : 'variant',
        fields: fields.map((f) => ({ name: f.name, hash: f.hash, type: f.type.n })),
      };
    }
    const bytes = w.finish();
    const key = bytes.join(',');
    let ref = byBytes.get(key);
    if (ref === undefined) {
      ref = table.length;
      table.push(bytes);
      byBytes.set(key, ref);
    }
    const entry = { ref, n };
    memo.set(t, entry);
    return entry;
  };
  const refs = args.map(norm);
  const h = new Writer(64);
  h.bytes(new Uint8Array([0x44, 0x49, 0x44, 0x4c]));
  h.leb(table.length);
  for (const b of table) h.bytes(b);
  h.leb(refs.length);
  for (const r of refs) h.sleb(r.ref);
  return { header: h.finish().slice(), args: refs.map((r) => r.n) };
}


const f32 = new Float32Array(1);
const f32b = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);

/** Encodes one value of a normalised type. Texts may be given as strings or pre-encoded bytes. */
function encodeValue(w: Writer, t: Norm, v: any): void {
  switch (t.k) {
    case 'prim':
      switch (t.op) {
        case T.text:
          w.blob(typeof v === 'string' ? encodeUtf8(v) : v);
          return;
        case T.bool:
          w.byte(v ? 1 : 0);
          return;
        case T.nat8:
          w.byte(v & 0xff);
          return;
        case T.nat16:
          w.reserve(2);
          w.view.setUint16(w.pos, v, true);
          w.pos += 2;
          return;
        case T.nat32:
        case T.int32:
          w.reserve(4);
          w.view.setUint32(w.pos, v >>> 0, true);
          w.pos += 4;
          return;
        case T.nat64:
        case T.int64: {
          w.reserve(8);
          const big = BigInt.asUintN(64, BigInt(v));
          w.view.setBigUint64(w.pos, big, true);
          w.pos += 8;
          return;
        }
        case T.nat:
          w.leb(Number(v));
          return;
        case T.int:
          w.sleb(Number(v));
          return;
        case T.float32:
          f32[0] = v;
          w.bytes(f32b);
          return;
        case T.float64:
          f64[0] = v;
          w.bytes(f64b);
          return;
        case T.null:
        case T.reserved:
          return;
        default:
          throw new CandidError(`cannot encode type ${t.op}`);
      }
    case 'opt':
      if (v === null || v === undefined) w.byte(0);
      else {
        w.byte(1);
        encodeValue(w, t.of, v);
      }
      return;
    case 'vec': {
      const of = t.of;
      if (of.k === 'prim' && of.op === T.nat8) {
        w.blob(v);
        return;
      }
      w.leb(v.length);
      if (of.k === 'prim' && of.op === T.float32 && v instanceof Float32Array) {
        w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.length * 4));
        return;
      }
      for (let i = 0; i < v.length; i++) encodeValue(w, of, v[i]);
      return;
    }
    case 'record':
      for (const f of t.fields) encodeValue(w, f.type, v[f.name]);
      return;
    case 'variant': {
      const fields = t.fields;
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i];
        if (f.name in v) {
          w.leb(i);
          encodeValue(w, f.type, v[f.name]);
          return;
        }
      }
      throw new CandidError('variant value has no known tag');
    }
  }
}

/** An encoder for a fixed list of types: the type table is built once. */
export class Encoder {
  readonly built: Built;
  constructor(types: CType[]) {
    this.built = buildTypes(types);
  }
  encode(values: unknown[], capacity = 256): Uint8Array {
    const w = new Writer(capacity + this.built.header.length);
    w.bytes(this.built.header);
    for (let i = 0; i < this.built.args.length; i++) encodeValue(w, this.built.args[i], values[i]);
    return w.finish();
  }
}

// ---------------------------------------------------------------- reader

/** A type from the sender's table: a primitive opcode (negative) or a table index. */
type Ref = number;
type Entry =
  | { op: typeof VEC | typeof OPT; of: Ref }
  | { op: typeof RECORD | typeof VARIANT; hashes: number[]; types: Ref[] }
  | { op: typeof FUNC | typeof SERVICE };

/** A decoded variant: the tag's hash and its value. */
export interface VariantValue {
  tag: number;
  value: unknown;
}

/** Limits that keep a hostile argument from running long. */
const MAX_TABLE = 256;
const MAX_DEPTH = 32;
/** Record/variant fields (and func/service items) in one type table, summed. */
const MAX_FIELDS = 256;
/**
 * Decoding work quota, as in the Rust candid crate: values visited (zero-size ones included:
 * null, reserved, record {}, vec null elements) plus type-table entries and fields, at most
 * QUOTA_PER_BYTE × argument bytes + QUOTA_BASE. Past it the argument is refused (bad_argument).
 */
export const QUOTA_PER_BYTE = 1;
export const QUOTA_BASE = 2048;
/**
 * Extra units a value skipped one by one costs (an unknown field or argument that is not of
 * fixed size), and each element of a skipped vec of nat/int/text: walking them costs
 * instructions (a skip call ~10K in QuickJS), so a 2 MiB argument stays far from a query's 5B.
 */
export const SKIP_UNITS = 24;
export const SKIP_ELEMENT_UNITS = 3;
export function decodingQuota(argBytes: number): number {
  return QUOTA_PER_BYTE * argBytes + QUOTA_BASE;
}

/** Byte size of a primitive whose values all have one size (−1: variable, −2: no values). */
function primSize(t: Ref): number {
  switch (t) {
    case T.null:
    case T.reserved:
      return 0;
    case T.bool:
    case T.nat8:
    case T.int8:
      return 1;
    case T.nat16:
    case T.int16:
      return 2;
    case T.nat32:
    case T.int32:
    case T.float32:
      return 4;
    case T.nat64:
    case T.int64:
    case T.float64:
      return 8;
    case T.empty:
      return -2;
    default:
      return -1;
  }
}

/**
 * Per table entry: the byte size of its values when they all have one (records of such
 * fields, nested any depth: the skip bomb's `record {0..39: …}` is one), else −1; and the
 * work units one value costs (what skipping it value by value would charge). A record of
 * fixed-size fields is then skipped, and charged, in one step whatever its width.
 */
function fixedSizes(table: Entry[]): { size: number[]; units: number[] } {
  const size = new Array<number>(table.length).fill(-3); // −3: not yet known, −4: in progress
  const units = new Array<number>(table.length).fill(1);
  const visit = (t: Ref): number => {
    if (t < 0) return primSize(t);
    if (size[t] !== -3) return size[t] === -4 ? -1 : size[t];
    size[t] = -4;
    const e = table[t];
    let s = -1;
    let u = 1;
    if (e.op === RECORD) {
      s = 0;
      for (let i = 0; i < e.types.length; i++) {
        const f = e.types[i];
        const fs = visit(f);
        if (fs < 0) {
          s = -1;
          break;
        }
        s += fs;
        u += f < 0 ? 1 : units[f];
      }
    }
    size[t] = s;
    units[t] = s < 0 ? 1 : u;
    return s;
  };
  for (let t = 0; t < table.length; t++) visit(t);
  return { size, units };
}

/** A parsed argument header ("DIDL", type table, argument types). */
interface Header {
  bytes: Uint8Array;
  size: number[];
  units: number[];
  /** The same bytes as char codes: comparing strings natively is the cheapest check in QuickJS. */
  text: string;
  table: Entry[];
  args: Ref[];
}

/** Whether b starts with the header k. */
function startsWith(b: Uint8Array, k: Header): boolean {
  const len = k.bytes.length;
  return b.length >= len && latin1(b.subarray(0, len)) === k.text;
}

/** Bytes as a string of char codes 0–255. */
function latin1(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

/** Headers parsed once at start-up: an argument that starts with one skips parsing its type table. */
const KNOWN: Header[] = [];

export class Reader {
  /** Parses a header once (at start-up) so that arguments starting with it are read without parsing it again. */
  static know(header: Uint8Array): number {
    const r = new Reader(header);
    if (r.pos !== header.length) throw new CandidError('header has values after the types');
    const bytes = header.slice();
    KNOWN.push({ bytes, text: latin1(bytes), table: r.table, args: r.args, size: r.size, units: r.units });
    return KNOWN.length - 1;
  }

  /** A text or blob value as a view (the caller knows the type). */
  blob(): Uint8Array {
    const n = this.leb();
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;
  table: Entry[] = [];
  args: Ref[] = [];
  /** Longest text decoded into a string (longer texts are refused). */
  maxText = 4096;
  /** Which header registered with Reader.know the argument starts with (−1: none, its table was parsed). */
  known = -1;
  /** Work units left (see decodingQuota). */
  quota: number;
  /** Per table entry: byte size of its values when fixed, else −1; work units per value (fixedSizes). */
  size: number[] = [];
  units: number[] = [];
  /** Fields (and func/service items) read from the type table so far. */
  private fields = 0;

  /** Spends n work units; refuses the argument once the quota is spent. */
  charge(n: number): void {
    this.quota -= n;
    if (this.quota < 0) throw new CandidError('Candid argument exceeds its decoding quota (too many values for its size)');
  }

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.quota = decodingQuota(bytes.length);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const b = bytes;
    if (b.length < 4 || b[0] !== 0x44 || b[1] !== 0x49 || b[2] !== 0x44 || b[3] !== 0x4c) {
      throw new CandidError('argument is not Candid (no DIDL magic)');
    }
    for (let i = 0; i < KNOWN.length; i++) {
      const k = KNOWN[i];
      if (startsWith(b, k)) {
        this.table = k.table;
        this.args = k.args;
        this.size = k.size;
        this.units = k.units;
        this.pos = k.bytes.length;
        this.known = i;
        return;
      }
    }
    this.pos = 4;
    const n = this.leb();
    if (n > MAX_TABLE) throw new CandidError('Candid type table too large');
    this.charge(n);
    for (let i = 0; i < n; i++) this.table.push(this.entry(n));
    const argc = this.leb();
    if (argc > MAX_TABLE) throw new CandidError('too many Candid arguments');
    for (let i = 0; i < argc; i++) this.args.push(this.ref(n));
    const f = fixedSizes(this.table);
    this.size = f.size;
    this.units = f.units;
  }

  /** Counts type-table fields/items against MAX_FIELDS. */
  private moreFields(c: number): void {
    this.fields += c;
    if (this.fields > MAX_FIELDS) throw new CandidError(`Candid type table has more than ${MAX_FIELDS} fields`);
  }

  private entry(n: number): Entry {
    const op = this.sleb();
    if (op === VEC || op === OPT) return { op, of: this.ref(n) };
    if (op === RECORD || op === VARIANT) {
      const count = this.leb();
      this.moreFields(count);
      this.charge(count);
      const hashes: number[] = [];
      const types: Ref[] = [];
      let last = -1;
      for (let i = 0; i < count; i++) {
        const h = this.leb();
        if (h <= last) throw new CandidError('fields not in hash order');
        last = h;
        hashes.push(h);
        types.push(this.ref(n));
      }
      return { op, hashes, types };
    }
    if (op === FUNC) {
      for (let k = 0; k < 2; k++) {
        const c = this.leb();
        this.moreFields(c);
        for (let i = 0; i < c; i++) this.ref(n);
      }
      const a = this.leb();
      this.need(a);
      this.pos += a;
      return { op };
    }
    if (op === SERVICE) {
      const c = this.leb();
      this.moreFields(c);
      for (let i = 0; i < c; i++) {
        const l = this.leb();
        this.need(l);
        this.pos += l;
        this.ref(n);
      }
      return { op };
    }
    throw new CandidError(`unsupported Candid type opcode ${op}`);
  }

  private ref(n: number): Ref {
    const r = this.sleb();
    if (r >= n || r < -24 || (r < -17 && r !== -24)) throw new CandidError(`bad Candid type reference ${r}`);
    return r;
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new CandidError('Candid argument truncated');
  }

  leb(): number {
    let result = 0;
    let scale = 1;
    const b = this.bytes;
    for (;;) {
      if (this.pos >= b.length) throw new CandidError('Candid argument truncated');
      const x = b[this.pos++];
      result += (x & 0x7f) * scale;
      if (x < 0x80) break;
      scale *= 128;
      if (scale > 2 ** 56) throw new CandidError('LEB128 number too large');
    }
    return result;
  }

  sleb(): number {
    let result = 0;
    let scale = 1;
    let x: number;
    const b = this.bytes;
    for (;;) {
      if (this.pos >= b.length) throw new CandidError('Candid argument truncated');
      x = b[this.pos++];
      result += (x & 0x7f) * scale;
      scale *= 128;
      if (x < 0x80) break;
      if (scale > 2 ** 56) throw new CandidError('SLEB128 number too large');
    }
    if (x & 0x40) result -= scale;
    return result;
  }

  /** The kind of a type: a primitive opcode, or the opcode of its table entry. */
  kind(t: Ref): number {
    return t < 0 ? t : this.table[t].op;
  }

  /** Element type of a vec/opt type. */
  elem(t: Ref): Ref {
    const e = this.table[t] as { of: Ref };
    return e.of;
  }

  /** Reads a vec's length after checking that t is a vec. */
  vecLength(t: Ref, what: string): number {
    if (this.kind(t) !== VEC) throw new CandidError(`${what}: expected a vec`);
    const n = this.leb();
    const e = this.elem(t);
    // Elements of variable size take a byte at least; zero-size ones are bounded by the quota alone.
    const size = e < 0 ? primSize(e) : this.size[e];
    if (n * (size < 0 ? 1 : size) > this.bytes.length - this.pos) throw new CandidError(`${what}: vec length past the end`);
    // Every declared element is a value to visit, zero-size ones included (blobs are bounded by their bytes).
    if (e !== T.nat8) this.charge(n);
    return n;
  }

  /** Bytes of a text or blob as a view [start, end) into the argument, without copying. */
  bytesOf(t: Ref, what: string): Uint8Array {
    const k = this.kind(t);
    if (k !== T.text && !(k === VEC && this.kind(this.elem(t)) === T.nat8)) {
      throw new CandidError(`${what}: expected text or blob`);
    }
    const n = this.leb();
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A text (or blob) decoded as a string, at most maxBytes long. */
  text(t: Ref, what: string, maxBytes = this.maxText): string {
    const b = this.bytesOf(t, what);
    if (b.length > maxBytes) throw new CandidError(`${what}: longer than ${maxBytes} bytes`);
    return decodeUtf8(b);
  }

  /** A number of any integer type. */
  int(t: Ref, what: string): number {
    const v = this.number(t, what);
    if (!Number.isInteger(v)) throw new CandidError(`${what}: expected an integer`);
    return v;
  }

  number(t: Ref, what: string): number {
    const v = this.pos;
    let out: number;
    switch (t) {
      case T.nat:
        out = this.leb();
        break;
      case T.int:
        out = this.sleb();
        break;
      case T.nat8:
        this.need(1);
        out = this.bytes[this.pos];
        this.pos += 1;
        break;
      case T.int8:
        this.need(1);
        out = this.view.getInt8(this.pos);
        this.pos += 1;
        break;
      case T.nat16:
        this.need(2);
        out = this.view.getUint16(v, true);
        this.pos += 2;
        break;
      case T.int16:
        this.need(2);
        out = this.view.getInt16(v, true);
        this.pos += 2;
        break;
      case T.nat32:
        this.need(4);
        out = this.view.getUint32(v, true);
        this.pos += 4;
        break;
      case T.int32:
        this.need(4);
        out = this.view.getInt32(v, true);
        this.pos += 4;
        break;
      case T.nat64:
        this.need(8);
        out = Number(this.view.getBigUint64(v, true));
        this.pos += 8;
        break;
      case T.int64:
        this.need(8);
        out = Number(this.view.getBigInt64(v, true));
        this.pos += 8;
        break;
      case T.float32:
        this.need(4);
        out = this.view.getFloat32(v, true);
        this.pos += 4;
        break;
      case T.float64:
        this.need(8);
        out = this.view.getFloat64(v, true);
        this.pos += 8;
        break;
      default:
        throw new CandidError(`${what}: expected a number`);
    }
    return out;
  }

  /** A vec of numbers (any numeric element type) as a Float64Array-free plain array of at most max items. */
  numbers(t: Ref, what: string, max: number, integers: boolean): number[] {
    const n = this.vecLength(t, what);
    if (n > max) throw new CandidError(`${what}: more than ${max} values`);
    const e = this.elem(t);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = integers ? this.int(e, what) : this.number(e, what);
    return out;
  }

  /** Reads a record's fields in order; `read` returns false for fields it did not consume (they are skipped). */
  record(t: Ref, what: string, read: (hash: number, type: Ref) => boolean): void {
    if (this.kind(t) !== RECORD) throw new CandidError(`${what}: expected a record`);
    const e = this.table[t] as { hashes: number[]; types: Ref[] };
    this.charge(1);
    for (let i = 0; i < e.hashes.length; i++) {
      if (read(e.hashes[i], e.types[i])) this.charge(1);
      else this.skip(e.types[i], 0);
    }
  }

  /** Reads a variant's tag: its hash and its type. */
  variant(t: Ref, what: string): { hash: number; type: Ref } {
    if (this.kind(t) !== VARIANT) throw new CandidError(`${what}: expected a variant`);
    const e = this.table[t] as { hashes: number[]; types: Ref[] };
    const i = this.leb();
    if (i >= e.hashes.length) throw new CandidError(`${what}: variant index out of range`);
    return { hash: e.hashes[i], type: e.types[i] };
  }

  /** Reads an opt's presence flag. */
  optPresent(t: Ref, what: string): boolean {
    if (this.kind(t) !== OPT) throw new CandidError(`${what}: expected an opt`);
    this.need(1);
    const f = this.bytes[this.pos++];
    if (f > 1) throw new CandidError(`${what}: bad opt flag`);
    return f === 1;
  }

  /**
   * Skips a value of any supported type, charging what visiting it value by value would:
   * one unit per value (zero-size ones included), plus one per element a vec declares.
   * Fixed-size values (fixedSizes) and vecs of them are skipped in one step, vecs of
   * nat/int/text in one loop, so the instructions spent stay a small multiple of the units.
   */
  skip(t: Ref, depth: number): void {
    if (depth > MAX_DEPTH) throw new CandidError('Candid value nested too deeply');
    this.charge(SKIP_UNITS);
    if (t < 0) {
      this.charge(1);
      const size = primSize(t);
      if (size >= 0) {
        this.need(size);
        this.pos += size;
        return;
      }
      switch (t) {
        case T.nat:
        case T.int:
          this.leb();
          return;
        case T.text: {
          const n = this.leb();
          this.need(n);
          this.pos += n;
          return;
        }
        case T.principal: {
          this.need(1);
          if (this.bytes[this.pos++] !== 1) throw new CandidError('opaque principal reference');
          const n = this.leb();
          this.need(n);
          this.pos += n;
          return;
        }
        default:
          throw new CandidError(`cannot read a value of type ${t}`);
      }
    }
    const fixed = this.size[t];
    if (fixed >= 0) {
      this.charge(this.units[t]);
      this.need(fixed);
      this.pos += fixed;
      return;
    }
    this.charge(1);
    const e = this.table[t];
    switch (e.op) {
      case OPT:
        if (this.optPresent(t, 'value')) this.skip(e.of, depth + 1);
        return;
      case VEC: {
        const n = this.vecLength(t, 'value');
        const of = e.of;
        if (of === T.nat8) {
          this.need(n);
          this.pos += n;
          return;
        }
        const size = of < 0 ? primSize(of) : this.size[of];
        if (size >= 0) {
          this.charge(n * (of < 0 ? 1 : this.units[of]));
          this.need(n * size);
          this.pos += n * size;
          return;
        }
        if (of === T.nat || of === T.int || of === T.text) {
          // One loop over the elements' LEB128 bytes (and text contents), no call per element.
          this.charge(n * (1 + SKIP_ELEMENT_UNITS));
          const b = this.bytes;
          const len = b.length;
          let p = this.pos;
          for (let i = 0; i < n; i++) {
            let l = 0;
            let scale = 1;
            for (;;) {
              if (p >= len) throw new CandidError('Candid argument truncated');
              const x = b[p++];
              l += (x & 0x7f) * scale;
              if (x < 0x80) break;
              scale *= 128;
              if (scale > 2 ** 56) throw new CandidError('LEB128 number too large');
            }
            if (of === T.text) {
              if (l > len - p) throw new CandidError('Candid argument truncated');
              p += l;
            }
          }
          this.pos = p;
          return;
        }
        for (let i = 0; i < n; i++) this.skip(of, depth + 1);
        return;
      }
      case RECORD: {
        const types = e.types;
        for (let i = 0; i < types.length; i++) this.skip(types[i], depth + 1);
        return;
      }
      case VARIANT: {
        const i = this.leb();
        if (i >= e.types.length) throw new CandidError('variant index out of range');
        this.skip(e.types[i], depth + 1);
        return;
      }
      default:
        throw new CandidError('cannot read func or service values');
    }
  }

  /** Checks the argument count. */
  expectArgs(min: number, what: string): void {
    if (this.args.length < min) throw new CandidError(`${what}: expected ${min} arguments, got ${this.args.length}`);
  }
}
