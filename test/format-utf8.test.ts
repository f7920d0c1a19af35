import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeUtf8 } from '../engine/utf8.ts';

const reference = new TextDecoder('utf-8', { fatal: true });

/** What the engine's decoder must do: TextDecoder's fatal mode, the error as `null`. */
function expected(bytes: Uint8Array): string | null {
  try {
    return reference.decode(bytes);
  } catch {
    return null;
  }
}

function actual(bytes: Uint8Array, start?: number, end?: number): string | null {
  try {
    return decodeUtf8(bytes, start, end);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return null;
  }
}

// Byte pieces that make ill-formed UTF-8 likely: leads, continuations, overlongs, surrogates, > U+10FFFF.
const trickyByte = fc.constantFrom(0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xf8, 0xff, 0xa0, 0x9f, 0x90, 0x8f, 0xbb, 0x25, 0x0a);
const piece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }).map((s) => new TextEncoder().encode(s)),
  fc.uint8Array({ maxLength: 6 }),
  fc.array(trickyByte, { maxLength: 5 }).map((b) => Uint8Array.from(b)),
);
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('decodeUtf8 (engine/utf8.ts) equals TextDecoder fatal', () => {
  it('valid text of any code points, including astral and the BOM', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const bytes = new TextEncoder().encode(text);
        expect(actual(bytes)).toBe(expected(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary and tricky byte sequences (overlongs, surrogates, truncation, > U+10FFFF)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const bytes = concat(parts);
        expect(actual(bytes)).toBe(expected(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('every 1-, 2- and 3-byte sequence with lead ≥ 0x80, and 4-byte ones around the edges', () => {
    const check = (bytes: number[]): void => {
      const array = Uint8Array.from(bytes);
      const want = expected(array);
      const got = actual(array);
      if (got !== want) throw new Error(`[${bytes.map((b) => b.toString(16))}]: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    };
    for (let a = 0x80; a < 0x100; a++) {
      check([a]);
      check([0x41, a, 0x41]);
      for (let b = 0; b < 0x100; b++) {
        check([a, b]);
        if (a >= 0xe0) for (const c of [0x00, 0x41, 0x7f, 0x80, 0xa5, 0xbf, 0xc0, 0xff]) check([a, b, c]);
        if (a >= 0xf0) for (const c of [0x80, 0xbf]) for (const d of [0x41, 0x80, 0xbf, 0xc0]) check([a, b, c, d]);
      }
    }
  });

  it('long texts crossing block boundaries at every offset of a multi-byte character', () => {
    for (const char of ['é', '€', '😀', '\u{10ffff}']) {
      for (let shift = 0; shift < 8; shift++) {
        const text = 'a'.repeat(4090 + shift) + char.repeat(3000) + 'z\n'.repeat(5000);
        const bytes = new TextEncoder().encode(text);
        expect(decodeUtf8(bytes)).toBe(text);
        // an ill-formed byte right at a boundary still fails
        const broken = bytes.slice();
        broken[4096] = 0xff;
        expect(actual(broken)).toBe(expected(broken));
        const cut = bytes.subarray(0, 4097);
        expect(actual(cut)).toBe(expected(cut));
      }
    }
  });

  it('long random byte arrays', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 500, maxLength: 2000 }), (parts) => {
        const bytes = concat(parts);
        expect(actual(bytes)).toBe(expected(bytes));
      }),
      { numRuns: 100 },
    );
  });

  it('a range of a larger buffer; only a leading BOM is dropped', () => {
    const bytes = new TextEncoder().encode('xx\u{feff}ab\u{feff}c');
    expect(decodeUtf8(bytes, 2, bytes.length)).toBe('ab\u{feff}c');
    expect(decodeUtf8(bytes, 0, 2)).toBe('xx');
    expect(decodeUtf8(bytes, 1, 1)).toBe('');
    expect(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]))).toBe('\u{feff}');
  });
});
