/**
 * Issue 10, finding 1: Candid decoding has a work quota (values visited, zero-size ones included,
 * plus type-table entries and fields) of QUOTA_PER_BYTE × argument bytes + QUOTA_BASE.
 */
import { describe, expect, it } from 'vitest';
import { IDL } from '@dfinity/candid';
import { CandidError, decodingQuota, Reader, SKIP_ELEMENT_UNITS, SKIP_UNITS } from '../canister/candid-wire.ts';
import { skipBomb, vecVecBomb, wideTable } from './candid-bombs.ts';

describe('Candid decoding quota (in Node)', () => {
  it('refuses the skip bomb and vec vec record {} with the quota error', () => {
    for (const arg of [skipBomb(), vecVecBomb()]) {
      let err: unknown;
      try {
        const r = new Reader(arg);
        r.record(r.args[0], 'request', () => false);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CandidError);
      expect((err as Error).message).toMatch(/decoding quota/);
    }
    expect(skipBomb().length).toBeLessThan(600);
  });

  it('refuses a type table of more than 256 fields (table parsing costs ~30K instructions a field in the canister)', () => {
    expect(() => new Reader(wideTable(256))).not.toThrow();
    expect(() => new Reader(wideTable(257))).toThrow(/more than 256 fields/);
  });

  it('property: random type tables with random values are accepted exactly when their work fits the quota formula', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    // The work a value costs, computed from the IDL type and the value alone (the formula of
    // canister/README.md): 1 unit per value, 1 per element a vec declares (blob bytes excepted),
    // SKIP_UNITS more per value skipped one by one; a record of fixed-size fields is one block.
    type Gen = { t: IDL.Type; v: () => unknown; fixed: number | null; cost: (v: unknown) => number; prim?: 'leb' | 'nat8' };
    const prim = (t: IDL.Type, v: () => unknown, fixed: boolean, p?: 'leb' | 'nat8'): Gen =>
      ({ t, v, fixed: fixed ? 1 : null, cost: () => SKIP_UNITS + 1, prim: p });
    const gen = (depth: number): Gen => {
      const k = depth > 3 ? rand(6) : rand(11);
      switch (k) {
        case 0: return prim(IDL.Null, () => null, true);
        case 1: return prim(IDL.Reserved, () => null, true);
        case 2: return prim(IDL.Nat8, () => rand(256), true, 'nat8');
        case 3: return prim(IDL.Text, () => 'x'.repeat(rand(4)), false, 'leb');
        case 4: return prim(IDL.Nat, () => BigInt(rand(100000)), false, 'leb');
        case 5: return { t: IDL.Record({}), v: () => ({}), fixed: 1, cost: () => SKIP_UNITS + 1 };
        case 6: {
          const e = gen(depth + 1);
          const big = depth === 0 && rand(3) === 0;
          return {
            t: IDL.Vec(e.t),
            v: () => Array.from({ length: big ? rand(3000) : rand(4) }, e.v),
            fixed: null,
            cost: (v) => {
              const a = v as unknown[];
              if (e.prim === 'nat8') return SKIP_UNITS + 1;
              const each = e.fixed !== null ? e.fixed : e.prim === 'leb' ? 1 + SKIP_ELEMENT_UNITS : 0;
              return SKIP_UNITS + 1 + a.length * (1 + each) + (e.fixed === null && e.prim === undefined ? a.reduce<number>((s, x) => s + e.cost(x), 0) : 0);
            },
          };
        }
        case 7: {
          const e = gen(depth + 1);
          return { t: IDL.Opt(e.t), v: () => (rand(2) ? [e.v()] : []), fixed: null, cost: (v) => SKIP_UNITS + 1 + ((v as unknown[]).length ? e.cost((v as unknown[])[0]) : 0) };
        }
        case 8:
        case 9: {
          const parts = Array.from({ length: 1 + rand(12) }, () => gen(depth + 1));
          const fields: Record<string, IDL.Type> = {};
          parts.forEach((p, i) => (fields[`f${i}`] = p.t));
          const fixed = parts.every((p) => p.fixed !== null) ? 1 + parts.reduce((s, p) => s + (p.fixed as number), 0) : null;
          return {
            t: IDL.Record(fields),
            v: () => Object.fromEntries(parts.map((p, i) => [`f${i}`, p.v()])),
            fixed,
            cost: (v) => SKIP_UNITS + (fixed ?? 1 + parts.reduce((s, p, i) => s + p.cost((v as Record<string, unknown>)[`f${i}`]), 0)),
          };
        }
        default: {
          const n = 1 + rand(5);
          const parts = Array.from({ length: n }, () => gen(depth + 1));
          const fields: Record<string, IDL.Type> = {};
          parts.forEach((p, i) => (fields[`v${i}`] = p.t));
          return {
            t: IDL.Variant(fields),
            v: () => { const i = rand(n); return { [`v${i}`]: parts[i].v() }; },
            fixed: null,
            cost: (v) => { const [tag, x] = Object.entries(v as object)[0]; return SKIP_UNITS + 1 + parts[+tag.slice(1)].cost(x); },
          };
        }
      }
    };
    let refused = 0;
    let accepted = 0;
    for (let iter = 0; iter < 300; iter++) {
      const types = Array.from({ length: 1 + rand(3) }, () => gen(0));
      const values = types.map((t) => t.v());
      const arg = new Uint8Array(IDL.encode(types.map((t) => t.t), values));
      let units = types.reduce((s, t, i) => s + t.cost(values[i]), 0);
      let ok = true;
      try {
        const r = new Reader(arg);
        units += r.table.length + r.table.reduce((s, e) => s + ('hashes' in e ? e.hashes.length : 0), 0);
        for (const t of r.args) r.skip(t, 0);
        expect(r.pos).toBe(arg.length);
      } catch (e) {
        expect(e).toBeInstanceOf(CandidError);
        expect((e as Error).message).toMatch(/decoding quota/);
        ok = false;
      }
      // Accepted exactly when the work fits: never more work than the formula allows, never a refusal within it.
      expect({ iter, ok }).toEqual({ iter, ok: units <= decodingQuota(arg.length) });
      if (ok) accepted++;
      else refused++;
    }
    expect(refused).toBeGreaterThan(10); // the generator does reach the quota
    expect(accepted).toBeGreaterThan(100);
  });
});
