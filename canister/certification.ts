// HTTP certification (v2) of http_request answers: the two headers the IC's HTTP gateway checks.
// Everything but the data certificate is a constant of the build (host/http-certification.ts
// computes the tree, its root hash — the canister's certified data — and each answer's
// expr_path), so an answer costs one base64 of the ~300-byte certificate and a few byte copies,
// no hashing. The page's files are certified in full at their exact paths; every other answer
// (the REST API) goes under the root wildcard "served without certification", which the
// canister itself certifies. http_request_update answers carry no headers: the gateway gets
// them through consensus (a certified call), as for any update.

import { Writer } from './candid-wire.ts';
import { encodeUtf8 } from './utf8.ts';

/** What host/http-certification.ts computed for this build (strings only; see HttpCertification there). */
export interface CertificationConstants {
  tree: string;
  exactPaths: Record<string, string>;
  wildcardPath: string;
  assetCel: string;
  skipCel: string;
}

/** One expr_path's end of the IC-Certificate value, then the IC-CertificateExpression entry. */
interface Ending {
  /** ":, expr_path=:…:, version=2" then the Candid entry of IC-CertificateExpression. */
  bytes: Uint8Array;
  /** How many of `bytes` belong to the IC-Certificate value. */
  valueLength: number;
}

/** The certification's constant parts as bytes, made once when the core loads (kept by updates), so answers copy them. */
export interface Certifier {
  /** ic0.data_certificate (queries only; undefined in updates). */
  dataCertificate: () => Uint8Array | undefined;
  /** The Candid text "IC-Certificate" (length, bytes). */
  name: Uint8Array;
  /** "certificate=:" */
  open: Uint8Array;
  /** ":, tree=:<the tree>" */
  tree: Uint8Array;
  exact: Map<string, Ending>;
  wildcard: Ending;
}

function ending(exprPath: string, cel: string): Ending {
  const value = encodeUtf8(`:, expr_path=:${exprPath}:, version=2`);
  const w = new Writer(value.length + cel.length + 40);
  w.bytes(value);
  w.blob(encodeUtf8('IC-CertificateExpression'));
  w.blob(encodeUtf8(cel));
  return { bytes: w.finish().slice(), valueLength: value.length };
}

/** Converts the build's constants to bytes (a few thousand bytes, once: UTF-8 encoding is interpreted and costly). */
export function prepareCertifier(c: CertificationConstants, dataCertificate: () => Uint8Array | undefined): Certifier {
  const name = new Writer(32);
  name.blob(encodeUtf8('IC-Certificate'));
  const exact = new Map<string, Ending>();
  for (const path of Object.keys(c.exactPaths)) exact.set(path, ending(c.exactPaths[path], c.assetCel));
  return {
    dataCertificate,
    name: name.finish().slice(),
    open: encodeUtf8('certificate=:'),
    tree: encodeUtf8(`:, tree=:${c.tree}`),
    exact,
    wildcard: ending(c.wildcardPath, c.skipCel),
  };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Two base64 characters of each 12-bit value, little-endian in a u16: half the work per byte of a char table. */
const B64_PAIRS = new Uint16Array(4096);
for (let t = 0; t < 4096; t++) B64_PAIRS[t] = B64.charCodeAt(t >> 6) | (B64.charCodeAt(t & 63) << 8);

/** base64 (with padding) of `src`: whole groups as one u32 store each (the interpreter's cost is per operation). */
function base64Bytes(src: Uint8Array): Uint8Array {
  var n = src.length;
  var groups = Math.ceil(n / 3);
  var out = new Uint8Array(groups * 4);
  var out32 = new Uint32Array(out.buffer);
  var whole = n - (n % 3);
  var i = 0;
  var k = 0;
  var v = 0;
  while (i < whole) {
    v = (src[i] << 16) | (src[i + 1] << 8) | src[i + 2];
    out32[k++] = B64_PAIRS[v >> 12] | (B64_PAIRS[v & 4095] << 16);
    i += 3;
  }
  if (n > whole) {
    v = (src[i] << 16) | (n - whole === 2 ? src[i + 1] << 8 : 0);
    out32[k] = B64_PAIRS[v >> 12] | (B64_PAIRS[v & 4095] << 16);
    out[k * 4 + 3] = 61; // '='
    if (n - whole === 1) out[k * 4 + 2] = 61;
  }
  return out;
}

/**
 * The IC-Certificate and IC-CertificateExpression headers of an answer as two Candid header
 * entries (written after the answer's own), or null when there is no certificate (an update).
 * `exactPath`: the URL path when the answer is one of the page's files (GET/HEAD, 200), else null
 * (the wildcard).
 */
export function certificationHeaders(c: Certifier, exactPath: string | null): Uint8Array | null {
  const certificate = c.dataCertificate();
  if (certificate === undefined) return null;
  const end = (exactPath === null ? undefined : c.exact.get(exactPath)) ?? c.wildcard;
  const b64 = base64Bytes(certificate);
  const w = new Writer(c.name.length + 10 + c.open.length + b64.length + c.tree.length + end.bytes.length);
  w.bytes(c.name);
  w.leb(c.open.length + b64.length + c.tree.length + end.valueLength);
  w.bytes(c.open);
  w.bytes(b64);
  w.bytes(c.tree);
  w.bytes(end.bytes);
  return w.finish();
}

/** The base64 the canister writes (exported for tests against Buffer's). */
export function base64Of(src: Uint8Array): string {
  const out = base64Bytes(src);
  let s = '';
  for (let i = 0; i < out.length; i++) s += String.fromCharCode(out[i]);
  return s;
}
