// Fletcher-style checksum over u32 little-endian words (docs/FORMAT.md, "Checksum").
//
// Written for QuickJS, where every bytecode costs (~90 IC instructions each) and
// int32 additions that overflow leave the interpreter's fast path: the words are
// converted natively (TypedArray.set) to float64 in chunks, and `a`, `b` are summed
// as doubles kept above 2³² (so they never turn back into small integers), reduced
// mod 2³² once per chunk. Exact: within a chunk of CHUNK = 1024 words, |a| < 2³⁴ + 2¹⁰·2³¹
// and |b| < 2³⁴ + 2¹⁰·|a| < 2⁵³. Each word is one `b += a += chunk[k + i]` (one
// bytecode fewer than two statements: ~5% less). About 1,050 instructions per word
// in the canister (the plain int32 loop: ~2,100); a word-wise sum cannot go much
// lower in QuickJS (a load and two adds are ~11 bytecodes).

const TWO_32 = 4294967296;
/** Words per chunk (a multiple of 16). */
const CHUNK = 1024;

/** Checksum of the first `length` bytes (a multiple of 4) as unsigned `[a, b]`. */
export function checksumWords(bytes: Uint8Array, length: number): [number, number] {
  const count = length >>> 2;
  const aligned = (bytes.byteOffset & 3) === 0;
  const words = aligned ? new Int32Array(bytes.buffer, bytes.byteOffset, count) : new Int32Array(bytes.slice(0, count << 2).buffer);
  const chunk = new Float64Array(Math.min(CHUNK, count));
  var a = 1 + 2 * TWO_32;
  var b = 2 * TWO_32;
  var i = 0;
  var k = 0;
  var size = 0;
  var unrolledEnd = 0;
  while (i < count) {
    size = count - i > CHUNK ? CHUNK : (count - i) | 0;
    chunk.set(words.subarray(i, i + size));
    unrolledEnd = (size - (size & 15)) | 0;
    for (k = 0; k < unrolledEnd; k = (k + 16) | 0) {
      b += a += chunk[k];
      b += a += chunk[k + 1];
      b += a += chunk[k + 2];
      b += a += chunk[k + 3];
      b += a += chunk[k + 4];
      b += a += chunk[k + 5];
      b += a += chunk[k + 6];
      b += a += chunk[k + 7];
      b += a += chunk[k + 8];
      b += a += chunk[k + 9];
      b += a += chunk[k + 10];
      b += a += chunk[k + 11];
      b += a += chunk[k + 12];
      b += a += chunk[k + 13];
      b += a += chunk[k + 14];
      b += a += chunk[k + 15];
    }
    for (; k < size; k = (k + 1) | 0) {
      b += a += chunk[k];
    }
    a = (a % TWO_32) + 2 * TWO_32;
    b = (b % TWO_32) + 2 * TWO_32;
    i = (i + size) | 0;
  }
  return [a % TWO_32 >>> 0, b % TWO_32 >>> 0];
}
