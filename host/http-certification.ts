/**
 * The canister's HTTP certification (the IC's HTTP gateway protocol, certification v2), computed
 * at build time: the page's static files (canister/page.ts) fully certified at their exact paths,
 * every other answer (the REST API: predictions, errors) under a root wildcard that certifies
 * "served without certification" — the canister's own, certified decision, which dynamic answers
 * need. That tree, its root hash (the canister's certified data until a model is stored) and each
 * answer's `expr_path` are constants of the build. GET /models depends on the models stored: the
 * canister adds its exact entry under the label "models" at run time (canister/certification.ts,
 * after each commit, activation, deletion and upgrade), hashing only that path, from the byte
 * range and hashes given here.
 *
 * Hashing (sha256, representation-independent hash of the headers), the hash tree and CBOR are the
 * agent's own code and @noble/hashes; the layout follows ic-http-certification (Rust):
 *   http_expr / <path segments> / <$> / sha256(CEL) / "" / response hash → ""   (exact, response only)
 *   http_expr / <*> / sha256(CEL skip) → ""                                      (wildcard, skip)
 */
import { Cbor, hashOfMap, NodeType, type HashTree } from '@dfinity/agent';
import { sha256 } from '@noble/hashes/sha256';
import { JSON_HEADERS } from '../canister/wire.ts';
import { rootHash, witness, type StateTree } from './ic-http.ts';

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
  /**
   * Where the canister puts its `models` subtree (GET /models, certified at run time: canister/
   * certification.ts): the byte range in the tree's CBOR of the forks of the labels before
   * "models" (those after it follow to the end) ...
   */
  split: [number, number];
  /** ... and base64 of their two hashes (32 bytes each; the second absent when none follow) and of the JSON answers' headers hash. */
  hashes: string;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** Tree path segments of a URL path, as ic-http-certification splits them (a trailing "/" is an empty segment). */
export function pathSegments(path: string): string[] {
  const segments = path.split('/').filter((s) => s.length > 0);
  if (path.endsWith('/')) segments.push('');
  return segments;
}

/** The representation-independent hash of an answer's headers (every one but IC-Certificate; IC-CertificateExpression given) and status. */
export function headersHash(status: number, headers: [string, string][], cel: string): Uint8Array {
  const map: Record<string, unknown> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (key === 'ic-certificate' || key === 'ic-certificateexpression') continue;
    if (key in map) throw new Error(`http-certification: header ${key} appears twice; the hash of a map cannot hold both`);
    map[key] = value;
  }
  map['ic-certificateexpression'] = cel;
  map[':ic-cert-status'] = status;
  return hashOfMap(map);
}

/** The response hash of a fully certified answer: sha256(headers hash ‖ sha256(body)). */
export function responseHash(status: number, headers: [string, string][], body: Uint8Array, cel: string): Uint8Array {
  const both = new Uint8Array(64);
  both.set(headersHash(status, headers, cel), 0);
  both.set(sha256(body), 32);
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

/** The label the canister's run-time subtree hangs under (GET /models: canister/certification.ts). */
export const MODELS_LABEL = 'models';

/**
 * The certification of `assets` (exact paths) plus the root wildcard for everything else.
 * Under http_expr the labels before "models" and those after it are each a balanced fork tree,
 * joined as Fork(before, Fork(models, after)) — or Fork(before, after) while there is no
 * "models" — so the canister can add its subtree at run time hashing only that path. Given an
 * answer at /models among `assets`, the result is what the canister certifies (the tests' reference).
 */
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
  const children = toStateTree(root.get(Buffer.from('http_expr').toString('hex')) as Node) as [Uint8Array, StateTree][];
  children.sort((a, b) => Buffer.compare(a[0], b[0]));
  const labeled = (c: [Uint8Array, StateTree]): HashTree => [NodeType.Labeled, c[0], witness(c[1], [[]])] as HashTree;
  const at = (c: [Uint8Array, StateTree]) => Buffer.compare(c[0], Buffer.from(MODELS_LABEL));
  const before = balanced(children.filter((c) => at(c) < 0).map(labeled));
  const models = children.filter((c) => at(c) === 0).map(labeled)[0];
  const afterList = children.filter((c) => at(c) > 0).map(labeled);
  const after = afterList.length === 0 ? undefined : balanced(afterList);
  const right = models && after ? ([NodeType.Fork, models, after] as HashTree) : (models ?? after);
  const top = right ? ([NodeType.Fork, before, right] as HashTree) : before;
  const tree: HashTree = [NodeType.Labeled, utf8('http_expr'), top] as HashTree;
  const cbor = Cbor.encode(tree);
  // The CBOR of `before` inside the tree's (the agent's encoding is canonical: the same bytes nested).
  const beforeCbor = Cbor.encode(before).subarray(3);
  const start = Buffer.from(cbor).indexOf(Buffer.from(beforeCbor));
  if (start < 0) throw new Error('http-certification: the tree does not hold its first subtree as encoded alone');
  const hashes = [rootHash(before), ...(after ? [rootHash(after)] : []), headersHash(200, JSON_HEADERS, ASSET_CEL)];
  return {
    certifiedData: rootHash(tree),
    tree: base64(cbor),
    exactPaths,
    wildcardPath: base64(Cbor.encode(['http_expr', '<*>'])),
    assetCel: ASSET_CEL,
    skipCel: SKIP_CEL,
    split: [start, start + beforeCbor.length],
    hashes: base64(Uint8Array.from(Buffer.concat(hashes))),
  };
}

/** A balanced fork tree of labeled nodes (the host's witness shape: the first half on the left). */
function balanced(parts: HashTree[]): HashTree {
  if (parts.length === 1) return parts[0];
  const mid = Math.ceil(parts.length / 2);
  return [NodeType.Fork, balanced(parts.slice(0, mid)), balanced(parts.slice(mid))] as HashTree;
}
