import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { checksumWords } from '../engine/checksum.ts';

/** FORMAT.md's definition, word by word in int32. */
function reference(bytes: Uint8Array, length: number): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  let a = 1;
  let b = 0;
  for (let i = 0; i < length; i += 4) {
    a = (a + view.getInt32(i, true)) | 0;
    b = (b + a) | 0;
  }
  return [a >>> 0, b >>> 0];
}

describe('checksumWords (chunked float64 sums) equals the word-by-word definition', () => {
  it('random words of any length, across chunk boundaries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer(), (count, seed) => {
        const words = new Uint32Array(count);
        let state = seed | 1;
        for (let i = 0; i < count; i++) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          words[i] = state >>> 0;
        }
        const bytes = new Uint8Array(words.buffer);
        expect(checksumWords(bytes, bytes.length)).toEqual(reference(bytes, bytes.length));
      }),
      { numRuns: 200 },
    );
  });

  it('extreme words (all 0xffffffff, all 0x80000000, all 0x7fffffff) over several chunks', () => {
    for (const value of [0xffffffff, 0x80000000, 0x7fffffff, 0]) {
      for (const count of [1, 15, 16, 1023, 1024, 1025, 4096 + 7]) {
        const bytes = new Uint8Array(new Uint32Array(count).fill(value).buffer);
        expect(checksumWords(bytes, bytes.length)).toEqual(reference(bytes, bytes.length));
      }
    }
  });
});
