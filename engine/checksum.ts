// Fletcher-style checksum over u32 little-endian words (docs/FORMAT.md, "Checksum").
// Written for QuickJS, where every bytecode costs: hoisted locals, one typed-array
// read and two int32 additions per word.

/** Checksum of the first `length` bytes (a multiple of 4) as unsigned `[a, b]`. */
export function checksumWords(bytes: Uint8Array, length: number): [number, number] {
  const count = length >>> 2;
  let a = 1;
  let b = 0;
  let i = 0;
  if ((bytes.byteOffset & 3) === 0) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, count);
    for (; i < count; ++i) {
      a = (a + words[i]) | 0;
      b = (b + a) | 0;
    }
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, count << 2);
    for (; i < count; ++i) {
      a = (a + view.getInt32(i << 2, true)) | 0;
      b = (b + a) | 0;
    }
  }
  return [a >>> 0, b >>> 0];
}
