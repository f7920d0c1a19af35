// SHA-256 (FIPS 180-4) written for QuickJS, where every bytecode costs: int32
// locals, one typed array for the schedule, no objects or closures per block.
// Resumable: the state is eight int32 words plus the count of bytes hashed, so a
// long file can be hashed in bounded slices across several calls.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const W = new Int32Array(64);

/** The initial hash state (eight words). */
export function sha256Init(): Int32Array {
  return new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
}

/** Hashes the 64-byte blocks of bytes[start, end) into h; (end − start) must be a multiple of 64. */
export function sha256Blocks(h: Int32Array, bytes: Uint8Array, start: number, end: number): void {
  var w = W, k = K;
  var h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
  var a, b, c, d, e, f, g, hh, t1, t2, x, y, i, p;
  for (p = start; p < end; p += 64) {
    for (i = 0; i < 16; i++) {
      x = p + (i << 2);
      w[i] = (bytes[x] << 24) | (bytes[x + 1] << 16) | (bytes[x + 2] << 8) | bytes[x + 3];
    }
    for (i = 16; i < 64; i++) {
      x = w[i - 15];
      y = w[i - 2];
      w[i] =
        (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
        w[i - 7] +
        (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
        w[i - 16] | 0;
    }
    a = h0; b = h1; c = h2; d = h3; e = h4; f = h5; g = h6; hh = h7;
    // Eight rounds per pass with the roles of the eight variables rotating (round r's "h" is
    // the variable round r − 1 called "g", and so on): no shuffling of eight values per round.
    for (i = 0; i < 64; i += 8) {
      t1 = hh + ((((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7)))) + (g ^ (e & (f ^ g))) + k[i] + w[i] | 0;
      t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10)))) + ((a & b) | (c & (a | b))) | 0;
      d = (d + t1) | 0;
      hh = (t1 + t2) | 0;
      t1 = g + ((((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7)))) + (f ^ (d & (e ^ f))) + k[i + 1] + w[i + 1] | 0;
      t2 = ((((hh >>> 2) | (hh << 30)) ^ ((hh >>> 13) | (hh << 19)) ^ ((hh >>> 22) | (hh << 10)))) + ((hh & a) | (b & (hh | a))) | 0;
      c = (c + t1) | 0;
      g = (t1 + t2) | 0;
      t1 = f + ((((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7)))) + (e ^ (c & (d ^ e))) + k[i + 2] + w[i + 2] | 0;
      t2 = ((((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10)))) + ((g & hh) | (a & (g | hh))) | 0;
      b = (b + t1) | 0;
      f = (t1 + t2) | 0;
      t1 = e + ((((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7)))) + (d ^ (b & (c ^ d))) + k[i + 3] + w[i + 3] | 0;
      t2 = ((((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10)))) + ((f & g) | (hh & (f | g))) | 0;
      a = (a + t1) | 0;
      e = (t1 + t2) | 0;
      t1 = d + ((((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7)))) + (c ^ (a & (b ^ c))) + k[i + 4] + w[i + 4] | 0;
      t2 = ((((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10)))) + ((e & f) | (g & (e | f))) | 0;
      hh = (hh + t1) | 0;
      d = (t1 + t2) | 0;
      t1 = c + ((((hh >>> 6) | (hh << 26)) ^ ((hh >>> 11) | (hh << 21)) ^ ((hh >>> 25) | (hh << 7)))) + (b ^ (hh & (a ^ b))) + k[i + 5] + w[i + 5] | 0;
      t2 = ((((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10)))) + ((d & e) | (f & (d | e))) | 0;
      g = (g + t1) | 0;
      c = (t1 + t2) | 0;
      t1 = b + ((((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7)))) + (a ^ (g & (hh ^ a))) + k[i + 6] + w[i + 6] | 0;
      t2 = ((((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10)))) + ((c & d) | (e & (c | d))) | 0;
      f = (f + t1) | 0;
      b = (t1 + t2) | 0;
      t1 = a + ((((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7)))) + (hh ^ (f & (g ^ hh))) + k[i + 7] + w[i + 7] | 0;
      t2 = ((((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10)))) + ((b & c) | (d & (b | c))) | 0;
      e = (e + t1) | 0;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
  }
  h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
}

/** Finishes a hash: `tail` holds the last (fewer than 64) bytes, totalLength counts every byte hashed. */
export function sha256Finish(h: Int32Array, tail: Uint8Array, totalLength: number): Uint8Array {
  const n = tail.length;
  const padded = new Uint8Array(n < 56 ? 64 : 128);
  padded.set(tail);
  padded[n] = 0x80;
  const bits = totalLength * 8;
  const end = padded.length;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  padded[end - 8] = hi >>> 24; padded[end - 7] = hi >>> 16; padded[end - 6] = hi >>> 8; padded[end - 5] = hi;
  padded[end - 4] = lo >>> 24; padded[end - 3] = lo >>> 16; padded[end - 2] = lo >>> 8; padded[end - 1] = lo;
  sha256Blocks(h, padded, 0, end);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = h[i];
    out[i * 4] = v >>> 24; out[i * 4 + 1] = v >>> 16; out[i * 4 + 2] = v >>> 8; out[i * 4 + 3] = v;
  }
  return out;
}

/** SHA-256 of bytes in one go. */
export function sha256(bytes: Uint8Array): Uint8Array {
  const h = sha256Init();
  const full = bytes.length - (bytes.length & 63);
  sha256Blocks(h, bytes, 0, full);
  return sha256Finish(h, bytes.subarray(full), bytes.length);
}

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

/** True for 64 lowercase hex digits. */
export function isSha256Hex(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
