// UTF-8 without TextEncoder/TextDecoder: Azle's are a JS polyfill that builds
// strings a character at a time (quadratic). ASCII runs go through the native
// String.fromCharCode in blocks; everything else is decoded by hand, with U+FFFD
// for ill-formed sequences like the WHATWG decoder. (engine/utf8.ts is the strict
// twin: a model file with bad UTF-8 is refused, while a user's text is decoded.)

const BLOCK = 4096;

/** Set by decodeUtf8: whether the bytes it last decoded held an ill-formed sequence (replaced by U+FFFD). */
export let lastDecodeIllFormed = false;

/** Decodes bytes[start, end) as UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  lastDecodeIllFormed = false;
  // Short ASCII (names, URLs, the words a model reads): checked and converted natively
  // (Math.max over the bytes costs a fraction of a regex test over the string).
  if (end - start <= BLOCK) {
    if (end <= start) return '';
    const run = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
    if (Math.max.apply(null, run as unknown as number[]) < 0x80) return String.fromCharCode.apply(null, run as unknown as number[]);
  }
  let out = '';
  let units: number[] | null = null;
  let i = start;
  while (i < end) {
    // Fast path: a run of ASCII bytes, converted natively.
    let j = i;
    const limit = Math.min(end, i + BLOCK);
    while (j < limit && bytes[j] < 0x80) j++;
    if (j > i) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, j) as unknown as number[]);
      i = j;
      if (i >= end || bytes[i] < 0x80) continue;
    }
    units = units ?? [];
    units.length = 0;
    while (i < end && bytes[i] >= 0x80 && units.length < BLOCK) {
      const b0 = bytes[i];
      let cp = 0xfffd;
      let n = 1;
      if (b0 >= 0xc2 && b0 <= 0xdf) {
        const b1 = bytes[i + 1];
        if (i + 1 < end && (b1 & 0xc0) === 0x80) {
          cp = ((b0 & 0x1f) << 6) | (b1 & 0x3f);
          n = 2;
        }
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        const b1 = bytes[i + 1];
        const lo = b0 === 0xe0 ? 0xa0 : 0x80;
        const hi = b0 === 0xed ? 0x9f : 0xbf;
        if (i + 1 < end && b1 >= lo && b1 <= hi) {
          const b2 = bytes[i + 2];
          if (i + 2 < end && (b2 & 0xc0) === 0x80) {
            cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
            n = 3;
          } else n = 2;
        }
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        const b1 = bytes[i + 1];
        const lo = b0 === 0xf0 ? 0x90 : 0x80;
        const hi = b0 === 0xf4 ? 0x8f : 0xbf;
        if (i + 1 < end && b1 >= lo && b1 <= hi) {
          const b2 = bytes[i + 2];
          if (i + 2 < end && (b2 & 0xc0) === 0x80) {
            const b3 = bytes[i + 3];
            if (i + 3 < end && (b3 & 0xc0) === 0x80) {
              cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
              n = 4;
            } else n = 3;
          } else n = 2;
        }
      }
      i += n;
      if (cp === 0xfffd && !(n === 3 && b0 === 0xef && bytes[i - 2] === 0xbf && bytes[i - 1] === 0xbd)) lastDecodeIllFormed = true;
      if (cp > 0xffff) {
        cp -= 0x10000;
        units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
      } else units.push(cp);
    }
    out += String.fromCharCode.apply(null, units);
  }
  return out;
}

/**
 * A native encoder of Candid text values, when the canister gives one (canister/index.ts passes
 * Azle's candidEncode, which parses the value and encodes it in Rust): a text's UTF-8 for ~23K
 * instructions a call and ~110 a character, where the loop below costs ~2,500 a character.
 */
let candidEncode: ((candid: string) => Uint8Array) | undefined;

/** Sets the native Candid encoder encodeUtf8 and encodeJsonUtf8 use for longer texts (undefined: none). */
export function useCandidEncoder(encode: ((candid: string) => Uint8Array) | undefined): void {
  candidEncode = encode;
}

/** Shorter texts are encoded here: the native call's fixed cost is that of ~10 characters. */
const NATIVE_MIN_LENGTH = 16;

/**
 * The UTF-8 of the text whose Candid literal (a JSON string form, when it escapes only `"` and
 * `\`) is `literal`, natively: Candid `("…")` is "DIDL", an empty type table, one `text`
 * argument, then the text's length and bytes. Undefined when the parser refuses it.
 */
function nativeUtf8(literal: string): Uint8Array | undefined {
  let b: Uint8Array;
  try {
    b = candidEncode!(`(${literal})`);
  } catch {
    return undefined;
  }
  if (b[4] !== 0 || b[5] !== 1 || b[6] !== 0x71) return undefined;
  let p = 7;
  let length = 0;
  let shift = 1;
  while (b[p] >= 0x80) {
    length += (b[p++] & 0x7f) * shift;
    shift *= 0x80;
  }
  length += b[p++] * shift;
  return length === b.length - p ? b.slice(p) : undefined;
}

/**
 * The UTF-8 of a JSON text made by JSON.stringify (the stored records, JSON replies). Such a
 * text holds no control character and no lone surrogate (JSON.stringify escapes them), so its
 * own JSON string form escapes only `"` and `\`: a Candid text literal, encoded natively.
 * Only for JSON.stringify's output: a raw control character could read as a Candid escape.
 */
export function encodeJsonUtf8(json: string): Uint8Array {
  if (candidEncode !== undefined && json.length >= NATIVE_MIN_LENGTH) {
    const native = nativeUtf8(JSON.stringify(json));
    if (native !== undefined) return native;
  }
  return encodeUtf8(json);
}

/** Encodes a string as UTF-8 (lone surrogates become U+FFFD, as TextEncoder does). */
export function encodeUtf8(s: string): Uint8Array {
  const n = s.length;
  if (candidEncode !== undefined && n >= NATIVE_MIN_LENGTH) {
    // No character JSON escapes (quotes, backslashes, controls, lone surrogates): the JSON string is a Candid literal as is.
    const literal = JSON.stringify(s);
    if (literal.length === n + 2) {
      const native = nativeUtf8(literal);
      if (native !== undefined) return native;
    }
  }
  // ASCII (JSON records, names): one pass that writes as it checks, and stops at the first other character.
  // Unrolled by 8 (a record is ~640 characters, written at every commit): the checks of 8
  // codes are one `|`, so a turn is ~40% fewer bytecodes per character than one at a time.
  const ascii = new Uint8Array(n);
  var code = 0;
  var k = 0;
  var c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
  var end8 = (n - (n & 7)) | 0;
  for (; k < end8; k = (k + 8) | 0) {
    c0 = s.charCodeAt(k);
    c1 = s.charCodeAt(k + 1);
    c2 = s.charCodeAt(k + 2);
    c3 = s.charCodeAt(k + 3);
    c4 = s.charCodeAt(k + 4);
    c5 = s.charCodeAt(k + 5);
    c6 = s.charCodeAt(k + 6);
    c7 = s.charCodeAt(k + 7);
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) >= 0x80) break;
    ascii[k] = c0;
    ascii[k + 1] = c1;
    ascii[k + 2] = c2;
    ascii[k + 3] = c3;
    ascii[k + 4] = c4;
    ascii[k + 5] = c5;
    ascii[k + 6] = c6;
    ascii[k + 7] = c7;
  }
  for (; k < n; k = (k + 1) | 0) {
    code = s.charCodeAt(k);
    if (code >= 0x80) break;
    ascii[k] = code;
  }
  if (k === n) return ascii;
  const out = new Uint8Array(n * 3);
  let p = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out[p++] = c;
    else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[p++] = 0xf0 | (c >> 18);
          out[p++] = 0x80 | ((c >> 12) & 63);
          out[p++] = 0x80 | ((c >> 6) & 63);
          out[p++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    }
  }
  return out.slice(0, p);
}
