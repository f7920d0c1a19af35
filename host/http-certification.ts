/**
 * The canister's HTTP certification (the IC's HTTP gateway protocol, certification v2), computed
 * at build time: the page's static files (canister/page.ts) fully certified at their exact paths,
 * every other answer (the REST API: model lists, predictions, errors) under a root wildcard that
 * certifies "served without certification" — the canister's own, certified decision, which dynamic
 * answers need. Nothing here depends on the models stored, so the tree, its root hash (the
 * canister's certified data) and each answer's `expr_path` are constants of the build: the canister
 * only adds its data certificate to each answer (canister/certification.ts), no hashing at run time.
 *
 * Hashing (sha256, representation-independent hash of the headers), the hash tree and CBOR are the
 * agent's own code and @noble/hashes; the layout follows ic-http-certification (Rust):
 *   http_expr / <path segments> / <$> / sha256(CEL) / "" / response hash → ""   (exact, response only)
 *   http_expr / <*> / sha256(CEL skip) → ""                                      (wildcard, skip)
 */
import { Cbor, hashOfMap, reconstruct, type HashTree } from '@dfinity/agent';
import { sha256 } from '@noble/hashes/sha256';
import { witness, type StateTree } from './ic-http.ts';

/** The CEL expression of answers served without certification (the root wildcard). */
export const SKIP_CEL = 'default_certification(ValidationArgs{no_certification:Empty{}})';
/** The CEL expression of the page's files: the response (status, every header, body) certified, the request not. */
export const ASSET_CEL =
  'default_certification(ValidationArgs{certification:Certification{no_request_certification:Empty{},' +
  'response_certification:ResponseCertification{response_header_exclusions:ResponseHeaderList{headers:[]}}}})';

export interface CertifiedAsset {
  /** URL path, e.g. "/" or "/page.css". */
  path: string;
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** What the canister needs at run time: all strings except the 32-byte certified data. */
export interface HttpCertification {
  /** The tree's root hash: what the canister passes to ic0.certified_data_set. */
  certifiedData: Uint8Array;
  /** base64 of the whole tree's CBOR (self-describing tag): the `tree=` of every answer. */
  tree: string;
  /** base64 of the CBOR `expr_path` of each exact path. */
  exactPaths: Record<string, string>;
  /** base64 of the CBOR `expr_path` of the root wildcard. */
  wildcardPath: string;
  assetCel: string;
  skipCel: string;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** Tree path segments of a URL path, as ic-http-certification splits them (a trailing "/" is an empty segment). */
export function pathSegments(path: string): string[] {
  const segments = path.split('/').filter((s) => s.length > 0);
  if (path.endsWith('/')) segments.push('');
  return segments;
}

/** The response hash of a fully certified answer (every header but IC-Certificate; IC-CertificateExpression included). */
export function responseHash(status: number, headers: [string, string][], body: Uint8Array, cel: string): Uint8Array {
  const map: Record<string, unknown> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (key === 'ic-certificate' || key === 'ic-certificateexpression') continue;
    if (key in map) throw new Error(`http-certification: header ${key} appears twice; the hash of a map cannot hold both`);
    map[key] = value;
  }
  map['ic-certificateexpression'] = cel;
  map[':ic-cert-status'] = status;
  const headersHash = hashOfMap(map);
  const bodyHash = sha256(body);
  const both = new Uint8Array(64);
  both.set(headersHash, 0);
  both.set(bodyHash, 32);
  return sha256(both);
}

type Node = Map<string, Node | Uint8Array>;

function insert(root: Node, path: (string | Uint8Array)[]): void {
  let node = root;
  for (const segment of path) {
    const key = Buffer.from(typeof segment === 'string' ? utf8(segment) : segment).toString('hex'); // labels are bytes
    let child = node.get(key);
    if (child === undefined) node.set(key, (child = new Map()));
    if (child instanceof Uint8Array) throw new Error('http-certification: a path runs through a leaf');
    node = child;
  }
}

function toStateTree(node: Node): StateTree {
  if (node.size === 0) return new Uint8Array(0); // the empty leaf every certification ends in
  return [...node].map(([key, child]) => {
    return [Uint8Array.from(Buffer.from(key, 'hex')), toStateTree(child as Node)] as [Uint8Array, StateTree];
  });
}

/** The certification of `assets` (exact paths) plus the root wildcard for everything else. */
export async function httpCertification(assets: CertifiedAsset[]): Promise<HttpCertification> {
  const root: Node = new Map();
  const assetCelHash = sha256(utf8(ASSET_CEL));
  const exactPaths: Record<string, string> = {};
  for (const a of assets) {
    const segments = pathSegments(a.path);
    insert(root, ['http_expr', ...segments, '<$>', assetCelHash, new Uint8Array(0), responseHash(a.status, a.headers, a.body, ASSET_CEL)]);
    exactPaths[a.path] = base64(Cbor.encode(['http_expr', ...segments, '<$>']));
  }
  insert(root, ['http_expr', '<*>', sha256(utf8(SKIP_CEL))]);
  const tree: HashTree = await witness(toStateTree(root), [[]]);
  return {
    certifiedData: await reconstruct(tree),
    tree: base64(Cbor.encode(tree)),
    exactPaths,
    wildcardPath: base64(Cbor.encode(['http_expr', '<*>'])),
    assetCel: ASSET_CEL,
    skipCel: SKIP_CEL,
  };
}
