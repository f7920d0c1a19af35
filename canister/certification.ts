// HTTP certification (v2) of http_request answers: the two headers the IC's HTTP gateway checks.
// Everything but the data certificate and GET /models's entry is a constant of the build
// (host/http-certification.ts computes the tree, its root hash — the canister's certified data
// until a model is stored — and each answer's expr_path), so an answer costs one base64 of the
// ~300-byte certificate and a few byte copies, no hashing. The page's files are certified in full
// at their exact paths, GET /models too once certifyModels ran (below); every other answer (the
// REST API) goes under the root wildcard "served without certification", which the canister
// itself certifies. http_request_update answers carry no headers: the gateway gets
// them through consensus (a certified call), as for any update.

import { Writer } from './candid-wire.ts';
import { sha256 } from './sha256.ts';
import { encodeUtf8 } from './utf8.ts';

/** What host/http-certification.ts computed for this build (strings only; see HttpCertification there). */
export interface CertificationConstants {
  tree: string;
  exactPaths: Record<string, string>;
  wildcardPath: string;
  assetCel: string;
  skipCel: string;
  split: [number, number];
  hashes: string;
}

/** One expr_path's end of the IC-Certificate value, then the IC-CertificateExpression entry. */
interface Ending {
  /** ":, expr_path=:…:, version=2" then the Candid entry of IC-CertificateExpression. */
  bytes: Uint8Array;
  /** How many of `bytes` belong to the IC-Certificate value. */
  valueLength: number;
  /** ":, tree=:<a tree>" when this answer needs one of its own (GET /models: the unpruned one). */
  tree?: Uint8Array;
}

/** The certification's constant parts as bytes, made once when the core loads (kept by updates), so answers copy them. */
export interface Certifier {
  /** ic0.data_certificate (queries only; undefined in updates). */
  dataCertificate: () => Uint8Array | undefined;
  /** The Candid text "IC-Certificate" (length, bytes). */
  name: Uint8Array;
  /** "certificate=:" */
  open: Uint8Array;
  /** ":, tree=:<the tree>" (the build's, or with GET /models's entry pruned while it is certified) */
  tree: Uint8Array;
  exact: Map<string, Ending>;
  wildcard: Ending;
  /** The build's constants (certifyModels starts from them). */
  constants: CertificationConstants;
  /** The build's `tree` bytes (what answers carry while GET /models is not certified). */
  buildTree: Uint8Array;
  /** What certifyModels derives from the constants, on first use. */
  derived?: { tree: Uint8Array; hashes: Uint8Array; cel: Uint8Array; leaf: Uint8Array; ending: Ending };
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
  const tree = encodeUtf8(`:, tree=:${c.tree}`);
  for (const path of Object.keys(c.exactPaths)) exact.set(path, ending(c.exactPaths[path], c.assetCel));
  return {
    dataCertificate,
    name: name.finish().slice(),
    open: encodeUtf8('certificate=:'),
    tree,
    buildTree: tree,
    exact,
    wildcard: ending(c.wildcardPath, c.skipCel),
    constants: c,
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
  const tree = end.tree ?? c.tree;
  const w = new Writer(c.name.length + 10 + c.open.length + b64.length + tree.length + end.bytes.length);
  w.bytes(c.name);
  w.leb(c.open.length + b64.length + tree.length + end.valueLength);
  w.bytes(c.open);
  w.bytes(b64);
  w.bytes(tree);
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

// ---------------------------------------------------------------- GET /models, certified at run time
// The answer depends on the models stored, so its entry (http_expr/models/<$>/sha256(CEL)/""/
// response hash) is added when they change: canister/index.ts drops it in the update that changes
// them (the certified data goes back to the build's root: no hashing there) and a timer message
// right after computes it. Only the path to the new leaf is hashed (~14 SHA-256 blocks plus the
// body's); the build gave the byte range and hashes of the subtrees beside it. Answers get the tree
// with that entry pruned to its hash, except GET /models, which gets it whole.

const TAG = [0xd9, 0xd9, 0xf7];

/** A CBOR head (major type, length below 65536). */
function head(major: number, n: number): number[] {
  const m = major << 5;
  return n < 24 ? [m | n] : n < 256 ? [m | 24, n] : [m | 25, n >> 8, n & 255];
}

function cat(parts: (Uint8Array | number[])[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) (out.set(p, n), (n += p.length));
  return out;
}

/** A byte string (CBOR major 2). */
const bstr = (b: Uint8Array) => cat([head(2, b.length), b]);
const HASHTREE = (s: string) => cat([[12 + s.length], encodeUtf8('ic-hashtree-' + s)]);
const LABELED = HASHTREE('labeled');
const FORK = HASHTREE('fork');
const EMPTY = new Uint8Array(0);
const hashLabeled = (label: Uint8Array, h: Uint8Array) => sha256(cat([LABELED, label, h]));
/** [2, label, t] */
const labeled = (label: Uint8Array, t: Uint8Array) => cat([[0x83, 2], bstr(label), t]);

function unbase64(s: string): Uint8Array {
  const out = new Uint8Array((s.length * 3) >> 2);
  let v = 0, bits = 0, k = 0;
  for (let i = 0; i < s.length; i++) {
    const c = B64.indexOf(s[i]);
    if (c < 0) break;
    v = ((v << 6) | c) & 0xffffff;
    bits += 6;
    if (bits >= 8) out[k++] = (v >> (bits -= 8)) & 255;
  }
  return out.subarray(0, k);
}

/**
 * Certifies `body` (a 200 with JSON_HEADERS, what GET /models answers now) at /models: returns
 * the new root hash, for ic0.certified_data_set.
 */
export function certifyModels(c: Certifier, body: Uint8Array): Uint8Array {
  const k = c.constants;
  const models = encodeUtf8('models'), dollar = encodeUtf8('<$>'), expr = encodeUtf8('http_expr');
  const d = (c.derived ??= {
    tree: unbase64(k.tree),
    hashes: unbase64(k.hashes),
    cel: sha256(encodeUtf8(k.assetCel)),
    leaf: sha256(HASHTREE('leaf')),
    ending: ending(base64Of(cat([TAG, [0x83], head(3, 9), expr, head(3, 6), models, head(3, 3), dollar])), k.assetCel),
  });
  const { tree, hashes, cel } = d;
  const after = hashes.length > 64;
  const response = sha256(cat([hashes.subarray(after ? 64 : 32), sha256(body)]));
  const inner = hashLabeled(cel, hashLabeled(EMPTY, hashLabeled(response, d.leaf)));
  let right = hashLabeled(models, hashLabeled(dollar, inner));
  if (after) right = sha256(cat([FORK, right, hashes.subarray(32, 64)]));
  const root = hashLabeled(expr, sha256(cat([FORK, hashes.subarray(0, 32), right])));
  const [s, e] = k.split;
  const whole = (entry: Uint8Array) => {
    const m = labeled(models, labeled(dollar, entry));
    const top = cat([[0x83, 1], tree.subarray(s, e), after ? cat([[0x83, 1], m, tree.subarray(e)]) : m]);
    return cat([OPEN_TREE, base64Bytes(cat([TAG, labeled(expr, top)]))]);
  };
  const full = labeled(cel, labeled(EMPTY, labeled(response, new Uint8Array([0x82, 3, 0x40]))));
  c.tree = whole(cat([[0x82, 4], bstr(inner)]));
  c.exact.set('/models', { bytes: d.ending.bytes, valueLength: d.ending.valueLength, tree: whole(full) });
  return root;
}

const OPEN_TREE = encodeUtf8(':, tree=:');

/** Drops GET /models's entry (the models changed); whether there was one (then the certified data must go back to the build's). */
export function uncertifyModels(c: Certifier): boolean {
  if (!c.exact.delete('/models')) return false;
  c.tree = c.buildTree;
  return true;
}
