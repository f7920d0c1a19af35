// Native ways to look at every byte of a JSON string for a quote, a backslash or a control
// character, measured inside the canister (body_size_floor): each row runs one operation
// over `region` (the inside of a JSON string). The bench runs it on a short and a 64 KB
// region and takes the difference per byte, so fixed costs (calls, views) drop out.
import { candidDecode } from 'azle';

type Row = [string, number];

/** bytes as a string of char codes 0–255 (4 KiB per fromCharCode.apply: its argument limit). */
function latin1(b: Uint8Array): string {
  let out = '';
  for (let p = 0; p < b.length; p += 4096) out += String.fromCharCode.apply(null, b.subarray(p, Math.min(b.length, p + 4096)) as unknown as number[]);
  return out;
}

/** A copy of `b` at the start of a fresh (8-aligned) buffer, with its length rounded down to 8. */
function aligned(b: Uint8Array): Uint8Array {
  return b.slice(0, b.length & ~7);
}

/** The Candid of one blob (DIDL, one type: vec nat8). */
function candidBlob(b: Uint8Array): Uint8Array {
  let n = b.length;
  const leb: number[] = [];
  do {
    leb.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  // DIDL, one type (vec nat8), one argument of that type
  const head = [0x44, 0x49, 0x44, 0x4c, 0x01, 0x6d, 0x7b, 0x01, 0x00];
  const out = new Uint8Array(head.length + leb.length + b.length);
  out.set(head);
  out.set(leb, head.length);
  out.set(b, head.length + leb.length);
  return out;
}

/**
 * Stable keys (the bench's figure names: body_scan_<key>_per_byte) and what each measures.
 * `cost` is the profile's counter around one call.
 */
export function bodyScanRows(region: Uint8Array, cost: (run: () => void) => number): Row[] {
  const a = aligned(region);
  const u16 = new Uint16Array(a.buffer, a.byteOffset, a.length >>> 1);
  const u32 = new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
  const f32 = new Float32Array(a.buffer, a.byteOffset, a.length >>> 2);
  const f64 = new Float64Array(a.buffer, a.byteOffset, a.length >>> 3);
  const b64 = new BigUint64Array(a.buffer, a.byteOffset, a.length >>> 3);
  const i8 = new Int8Array(a.buffer, a.byteOffset, a.length);
  const text = latin1(region);
  const same = latin1(region);
  const quoted = `"${text}"`;
  const u16Target = new Uint16Array(region.length);
  const u8Target = new Uint8Array(region.length);
  const clamped = new Uint8ClampedArray(region.length);
  const candid = candidBlob(region.subarray(0, Math.min(region.length, 16384)));
  const controls = /[\0-\x1f"\\]/;
  let sink: unknown;
  const rows: Row[] = [
    // memchr (musl, word at a time): today's scan for the closing quote
    ['u8_indexof_quote', cost(() => { sink = region.indexOf(0x22); })],
    ['u8_includes_quote', cost(() => { sink = region.includes(0x22); })],
    ['i8_indexof_quote', cost(() => { sink = i8.indexOf(0x22); })],
    ['u8_lastindexof_quote', cost(() => { sink = region.lastIndexOf(0x22); })],
    // quote, backslash and the 32 control characters by memchr: 34 scans
    ['u8_indexof_34_bytes', cost(() => { let f = -1; for (let c = 0; c < 0x20 && f < 0; c++) f = region.indexOf(c); if (f < 0) f = region.indexOf(0x22); if (f < 0) f = region.indexOf(0x5c); sink = f; })],
    // wider elements: exact values only (a byte anywhere in them is not found)
    ['u16_indexof', cost(() => { sink = u16.indexOf(0x2222); })],
    ['u32_indexof', cost(() => { sink = u32.indexOf(0x22222222); })],
    ['f32_includes_nan', cost(() => { sink = f32.includes(NaN); })],
    ['f64_indexof', cost(() => { sink = f64.indexOf(1.5); })],
    ['f64_includes_nan', cost(() => { sink = f64.includes(NaN); })],
    ['b64_indexof', cost(() => { sink = b64.indexOf(BigInt(34)); })],
    // copies
    ['u8_slice', cost(() => { sink = region.slice(); })],
    ['u8_set_same_type', cost(() => { u8Target.set(region); })],
    ['u8_to_u16_set', cost(() => { u16Target.set(region); })],
    ['u8_to_clamped_set', cost(() => { clamped.set(region); })],
    ['u16_from_u8', cost(() => { sink = new Uint16Array(region); })],
    // strings of char codes 0–255: made, then searched
    ['latin1_fromcharcode', cost(() => { sink = latin1(region); })],
    ['string_indexof_quote', cost(() => { sink = text.indexOf('"'); })],
    ['string_includes_quote', cost(() => { sink = text.includes('"'); })],
    ['string_equals_copy', cost(() => { sink = text === same; })],
    ['string_split_quote', cost(() => { sink = text.split('"'); })],
    ['regex_test_controls', cost(() => { sink = controls.test(text); })],
    ['json_parse_string', cost(() => { try { sink = JSON.parse(quoted); } catch { sink = null; } })],
    ['escape', cost(() => { sink = escape(text); })],
    // the bytes as decimal text natively, then searched for ",34," (a quote anywhere, but one number per byte)
    ['join_then_indexof', cost(() => { sink = (',' + region.join(',') + ',').indexOf(',34,'); })],
    ['array_indexof_generic', cost(() => { sink = Array.prototype.indexOf.call(region, 0x22); })],
    ['math_max_apply', cost(() => { let m = 0; for (let p = 0; p < region.length; p += 32768) m = Math.max(m, Math.max.apply(null, region.subarray(p, Math.min(region.length, p + 32768)) as unknown as number[])); sink = m; })],
    // Azle's JS TextDecoder (@sinonjs/text-encoding) and its Rust candidDecode, on at most 16 KiB
    ['textdecoder_fatal_16k', cost(() => { sink = new TextDecoder('utf-8', { fatal: true }).decode(region.subarray(0, Math.min(region.length, 16384))); })],
    ['candid_decode_16k', cost(() => { try { sink = candidDecode(candid); } catch { sink = null; } })],
  ];
  void sink;
  return rows;
}
