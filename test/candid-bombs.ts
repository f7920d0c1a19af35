// Hostile Candid arguments of issue 10 (finding 1), as raw bytes: shared by the Node quota
// test (test/candid-quota.test.ts) and the canister-on-the-host regression test (test/hardening.test.ts).

import { idlHash } from '../canister/candid-wire.ts';

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
/** A type opcode or table index (opcodes −1…−64 fit one byte). */
export const sleb = (n: number): number[] => (n < 0 ? [n & 0x7f] : uleb(n));
const text = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)];

/**
 * The HttpRequest record (GET /) plus one extra field `bomb` whose type is table entry `bombRef`
 * of `extraEntries` (placed before the request's own) and whose value bytes are `bombValue`,
 * followed by `pad` zero bytes.
 */
export function httpRequestWith(extraEntries: number[][], bombRef: number, bombValue: number[] | Uint8Array, pad = 0): Uint8Array {
  const base = extraEntries.length;
  // Entries: [extra…], vec header, header record, opt nat16, vec nat8, request.
  const header = [...sleb(-20), 2, 0, ...sleb(-15), 1, ...sleb(-15)];
  const vecHeader = [...sleb(-19), ...uleb(base + 1)];
  const optNat16 = [...sleb(-18), ...sleb(-7)];
  const blob = [...sleb(-19), ...sleb(-5)];
  const fields: [string, number[], number[] | Uint8Array][] = [
    ['url', sleb(-15), text('/')],
    ['method', sleb(-15), text('GET')],
    ['body', uleb(base + 3), [0]],
    ['headers', uleb(base), [0]],
    ['certificate_version', uleb(base + 2), [0]],
    ['bomb', uleb(bombRef), bombValue],
  ];
  fields.sort((a, b) => idlHash(a[0]) - idlHash(b[0]));
  const request = [...sleb(-20), ...uleb(fields.length), ...fields.flatMap(([n, t]) => [...uleb(idlHash(n)), ...t])];
  const table = [...extraEntries, vecHeader, header, optNat16, blob, request];
  const head = new Uint8Array([...Buffer.from('DIDL'), ...uleb(table.length), ...table.flat(), 1, ...uleb(base + 4)]);
  const size = head.length + fields.reduce((s, f) => s + f[2].length, 0);
  const out = new Uint8Array(size + pad);
  out.set(head);
  let p = head.length;
  for (const f of fields) {
    out.set(f[2], p);
    p += f[2].length;
  }
  return out;
}

/** The skip bomb of the issue: T_i = record {0..39: T_{i+1}} for six levels, T6 = record {} (40⁶ zero-byte values), ~560 bytes. */
export function skipBomb(): Uint8Array {
  const entries: number[][] = [];
  for (let i = 0; i < 6; i++) {
    const e = [...sleb(-20), 40];
    for (let f = 0; f < 40; f++) e.push(...uleb(f), ...uleb(i + 1));
    entries.push(e);
  }
  entries.push([...sleb(-20), 0]);
  return httpRequestWith(entries, 0, []);
}

/** `vec vec record {}` with counts 20,000 × 100,000 (padded so that no vec length runs past the end: only the quota stops it). */
export function vecVecBomb(): Uint8Array {
  const entries = [[...sleb(-20), 0], [...sleb(-19), 0], [...sleb(-19), 1]];
  const value = [...uleb(20_000)];
  for (let i = 0; i < 20_000; i++) value.push(...uleb(100_000));
  return httpRequestWith(entries, 2, value, 110_000);
}

/**
 * The costliest ~2 MiB shape found for skipping: `vec record {opt null; nat8 × 8}` of 9-byte
 * elements (each a record, an opt and eight nat8 walked one by one), 1.99 MB in all.
 */
export function wideSkip(): Uint8Array {
  const entries = [[...sleb(-18), ...sleb(-1)], [...sleb(-20), 9, 0, 0, ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((f) => [f, ...sleb(-5)])], [...sleb(-19), 1]];
  const count = 221_120;
  const value = new Uint8Array(uleb(count).length + count * 9);
  value.set(uleb(count));
  for (let i = 0, p = uleb(count).length; i < count; i++, p += 9) value.fill(1, p + 1, p + 9);
  return httpRequestWith(entries, 2, value);
}

/** `model_info("x", null)` whose type table also holds one unused record of `fields` fields. */
export function wideTable(fields: number): Uint8Array {
  const rec = [...sleb(-20), ...uleb(fields)];
  for (let f = 0; f < fields; f++) rec.push(...uleb(f), ...sleb(-1));
  return new Uint8Array([...Buffer.from('DIDL'), 2, ...rec, ...sleb(-18), ...sleb(-7), 2, ...sleb(-15), 1, 1, 0x78, 0]);
}
