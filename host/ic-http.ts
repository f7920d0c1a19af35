/**
 * The IC's HTTP interface (the replica's `/api/…` endpoints) for canisters on a Host, so the real
 * agent, `npm run upload` and icp-cli talk to the in-process host as to a local replica:
 *
 *   GET  /api/v2/status                              CBOR (tag 55799) with the root key
 *   POST /api/v{2,3}/canister/<id>/query             node-signed (ed25519) replies
 *   POST /api/v2/canister/<id>/call                  202, then poll read_state
 *   POST /api/v{3,4}/canister/<id>/call              synchronous: a certificate
 *   POST /api/v{2,3}/canister/<id>/read_state, /api/v{2,3}/subnet/<id>/read_state
 *
 * One subnet without delegation, like a local replica: its id is the self-authenticating id of the
 * root key, the certificates are BLS12-381 signatures of the root key over a hash tree of `time`,
 * `request_status`, `canister` and `subnet`. Envelopes are checked as the replica checks them:
 * request id, sender = key's principal, sender signature (ed25519 or secp256k1), ingress expiry.
 * CBOR and request ids are the agent's own code, hash-tree root hashes its `reconstruct` made
 * synchronous (rootHash); BLS and ed25519 are @noble/curves.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  BLS12_381_G2_OID,
  Cbor,
  domain_sep,
  ED25519_OID,
  hashOfMap,
  IC_REQUEST_DOMAIN_SEPARATOR,
  IC_RESPONSE_DOMAIN_SEPARATOR,
  NodeType,
  requestIdOf,
  SECP256K1_OID,
  unwrapDER,
  wrapDER,
  type HashTree,
} from '@dfinity/agent';
import { lebEncode } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import { bls12_381 } from '@noble/curves/bls12-381';
import { ed25519 } from '@noble/curves/ed25519';
import { secp256k1 } from '@noble/curves/secp256k1';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import type { CallResult, Canister, Host } from './host.ts';

/** The replica's limits on `ingress_expiry`: at most 5 minutes ahead, plus 60 s of permitted drift. */
export const MAX_INGRESS_TTL_NS = 5n * 60n * 1_000_000_000n;
export const PERMITTED_DRIFT_NS = 60n * 1_000_000_000n;
/** Envelopes larger than this are refused before decoding (the IC's ingress limit is 2 MiB of argument). */
export const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;
/** How many answered calls are kept for read_state (oldest forgotten first). */
const REQUEST_STATUS_LIMIT = 10_000;

/** The secret keys of one host: the subnet's BLS12-381 root key and its one node's ed25519 key. */
export interface ReplicaKeys {
  rootSecret: Uint8Array;
  nodeSecret: Uint8Array;
}

export const REPLICA_KEYS_FILE = 'replica-keys.json';

/** Reads `<dir>/replica-keys.json`, or makes new keys there (mode 0600) on the first run. */
export function loadOrCreateReplicaKeys(dir: string): ReplicaKeys {
  const path = join(dir, REPLICA_KEYS_FILE);
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { root_bls12_381_secret?: string; node_ed25519_secret?: string };
    if (!saved.root_bls12_381_secret || !saved.node_ed25519_secret) throw new Error(`${path}: missing keys (delete it to make new ones)`);
    return { rootSecret: hexToBytes(saved.root_bls12_381_secret), nodeSecret: hexToBytes(saved.node_ed25519_secret) };
  }
  const keys = newReplicaKeys();
  mkdirSync(dir, { recursive: true });
  const json = { root_bls12_381_secret: bytesToHex(keys.rootSecret), node_ed25519_secret: bytesToHex(keys.nodeSecret) };
  writeFileSync(path, JSON.stringify(json, null, 2) + '\n', { mode: 0o600 });
  return keys;
}

export function newReplicaKeys(): ReplicaKeys {
  return { rootSecret: bls12_381.utils.randomPrivateKey(), nodeSecret: ed25519.utils.randomPrivateKey() };
}

// ---------------------------------------------------------------- the certified state tree

/** A state tree: a leaf (bytes) or labeled children (any order; sorted when hashed). */
export type StateTree = Uint8Array | [label: Uint8Array, child: StateTree][];
type Path = Uint8Array[];

const utf8 = (s: string) => new TextEncoder().encode(s);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) === 0;

function forks(parts: HashTree[]): HashTree {
  if (parts.length === 0) return [NodeType.Empty];
  if (parts.length === 1) return parts[0];
  const mid = Math.ceil(parts.length / 2);
  return [NodeType.Fork, forks(parts.slice(0, mid)), forks(parts.slice(mid))] as HashTree;
}

/**
 * The root hash of a hash tree: the agent's `reconstruct`, synchronous (the same sha256 and domain
 * separators), so a query's data certificate can be signed while the canister runs.
 */
export function rootHash(t: HashTree): Uint8Array {
  const cat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) (out.set(p, o), (o += p.length));
    return out;
  };
  switch (t[0]) {
    case NodeType.Empty:
      return sha256(domain_sep('ic-hashtree-empty'));
    case NodeType.Pruned:
      return t[1] as Uint8Array;
    case NodeType.Leaf:
      return sha256(cat(domain_sep('ic-hashtree-leaf'), t[1] as Uint8Array));
    case NodeType.Labeled:
      return sha256(cat(domain_sep('ic-hashtree-labeled'), t[1] as Uint8Array, rootHash(t[2] as HashTree)));
    case NodeType.Fork:
      return sha256(cat(domain_sep('ic-hashtree-fork'), rootHash(t[1] as HashTree), rootHash(t[2] as HashTree)));
  }
  throw new Error('hash tree: unknown node type');
}

/**
 * The witness of `paths` in `tree`: the subtrees at those paths in full, every other branch pruned
 * to its hash, so the root hash is the tree's own. A path ending at (or beyond) a leaf reveals it.
 */
export function witness(tree: StateTree, paths: Path[]): HashTree {
  if (tree instanceof Uint8Array) return [NodeType.Leaf, tree] as HashTree;
  const whole = paths.some((p) => p.length === 0);
  const children = [...tree].sort((a, b) => compareBytes(a[0], b[0]));
  const parts: HashTree[] = [];
  for (const [label, child] of children) {
    const below = whole ? [[]] : paths.filter((p) => sameBytes(p[0], label)).map((p) => p.slice(1));
    if (below.length === 0) {
      const hidden = [NodeType.Labeled, label, witness(child, [[]])] as HashTree;
      parts.push([NodeType.Pruned, rootHash(hidden)] as HashTree);
    } else {
      parts.push([NodeType.Labeled, label, witness(child, below)] as HashTree);
    }
  }
  return forks(parts);
}

// ---------------------------------------------------------------- envelopes

interface Envelope {
  content: Record<string, unknown> & {
    request_type?: string;
    sender?: Uint8Array;
    canister_id?: Uint8Array;
    method_name?: string;
    arg?: Uint8Array;
    ingress_expiry?: bigint | number;
    paths?: Uint8Array[][];
  };
  sender_pubkey?: Uint8Array;
  sender_sig?: Uint8Array;
  sender_delegation?: unknown;
}

/** A refusal before execution: the HTTP status and the replica-style plain-text message. */
export class EnvelopeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface CheckedRequest {
  requestId: Uint8Array;
  sender: Principal;
  content: Envelope['content'];
}

function verifySenderSignature(pubkeyDer: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, unwrapDER(pubkeyDer, ED25519_OID));
  } catch {
    // not an ed25519 key: try secp256k1 (what `dfx identity new` makes)
  }
  try {
    return secp256k1.verify(signature, sha256(message), unwrapDER(pubkeyDer, SECP256K1_OID), { lowS: false });
  } catch {
    throw new EnvelopeError(400, 'Invalid signature: unsupported sender public key (this host accepts ed25519 and secp256k1 keys)');
  }
}

/** Checks an envelope like the replica: type, expiry, sender and signature. Throws EnvelopeError. */
export function checkEnvelope(body: Uint8Array, expectedType: 'call' | 'query' | 'read_state', nowNs: bigint): CheckedRequest {
  let envelope: Envelope;
  try {
    envelope = Cbor.decode<Envelope>(body);
  } catch {
    throw new EnvelopeError(400, 'Could not parse body as a CBOR envelope');
  }
  const content = envelope?.content;
  if (!content || typeof content !== 'object') throw new EnvelopeError(400, 'Envelope has no content');
  if (content.request_type !== expectedType) throw new EnvelopeError(400, `Expected a "${expectedType}" request, got ${JSON.stringify(content.request_type)}`);
  if (!(content.sender instanceof Uint8Array)) throw new EnvelopeError(400, 'Request has no sender');
  const expiry = typeof content.ingress_expiry === 'bigint' || typeof content.ingress_expiry === 'number' ? BigInt(content.ingress_expiry) : undefined;
  if (expiry === undefined) throw new EnvelopeError(400, 'Request has no ingress_expiry');
  const latest = nowNs + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS;
  if (expiry < nowNs || expiry > latest) {
    throw new EnvelopeError(400, `Invalid request expiry: ${expiry} is not within [${nowNs}, ${latest}] (the replica's time ${nowNs} ns; max TTL 5 min)`);
  }
  if (envelope.sender_delegation !== undefined) throw new EnvelopeError(400, 'Invalid delegation: delegations are not supported by this host');
  let requestId: Uint8Array;
  try {
    requestId = requestIdOf(content);
  } catch {
    throw new EnvelopeError(400, 'Request content cannot be hashed into a request id');
  }
  const sender = Principal.fromUint8Array(content.sender);
  if (envelope.sender_pubkey === undefined) {
    if (!sender.isAnonymous()) throw new EnvelopeError(400, `Invalid signature: request from ${sender.toText()} carries no sender_pubkey`);
    if (envelope.sender_sig !== undefined) throw new EnvelopeError(400, 'Invalid signature: anonymous request carries a signature');
  } else {
    const keyPrincipal = Principal.selfAuthenticating(envelope.sender_pubkey);
    if (keyPrincipal.toText() !== sender.toText()) {
      throw new EnvelopeError(400, `Invalid signature: sender ${sender.toText()} is not the principal of sender_pubkey (${keyPrincipal.toText()})`);
    }
    if (!(envelope.sender_sig instanceof Uint8Array)) throw new EnvelopeError(400, 'Invalid signature: missing sender_sig');
    const message = new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestId]);
    if (!verifySenderSignature(envelope.sender_pubkey, envelope.sender_sig, message)) {
      throw new EnvelopeError(400, `Invalid signature: the sender_sig does not verify for request ${bytesToHex(requestId)}`);
    }
  }
  return { requestId, sender, content };
}

// ---------------------------------------------------------------- the interface

interface RequestStatus {
  sender: string;
  canisterId: string;
  result: CallResult;
}

export interface IcHttpOptions {
  /** Move the host's clock up to the wall clock before each request (default true): certificates and expiries need real time. */
  wallClock?: boolean;
}

export class IcHttpInterface {
  /** DER-encoded BLS12-381 G2 root key, what `/api/v2/status` gives as `root_key`. */
  readonly rootKey: Uint8Array;
  readonly subnetId: Principal;
  readonly nodeId: Principal;
  private readonly nodeKeyDer: Uint8Array;
  private readonly statuses = new Map<string, RequestStatus>();
  private readonly dataCertificates = new Map<string, { data: string; timeNs: bigint; certificate: Uint8Array }>();
  private readonly wallClock: boolean;

  constructor(
    private readonly host: Host,
    private readonly keys: ReplicaKeys,
    options: IcHttpOptions = {},
  ) {
    this.rootKey = wrapDER(bls12_381.getPublicKeyForShortSignatures(keys.rootSecret), BLS12_381_G2_OID);
    this.subnetId = Principal.selfAuthenticating(this.rootKey);
    this.nodeKeyDer = wrapDER(ed25519.getPublicKey(keys.nodeSecret), ED25519_OID);
    this.nodeId = Principal.selfAuthenticating(this.nodeKeyDer);
    this.wallClock = options.wallClock ?? true;
    // A query's certificate covers the certified data it runs with (as on the IC): re-signed here
    // when an update or timer changed it since the last refresh.
    host.dataCertificate = (canister) => this.dataCertificateOf(canister);
  }

  /** Handles `/api/…` requests; answers false (and leaves the response alone) for any other path. */
  handler() {
    return (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = (req.url ?? '/').split('?')[0];
    if (!url.startsWith('/api/')) {
      // The gateway's queries (http_request) read ic0.data_certificate too: fresh time and certificates.
      await this.syncClock();
      await this.refreshDataCertificates();
      return false;
    }
    try {
      const answer = await this.route(req.method ?? 'GET', url, () => readBody(req));
      res.writeHead(answer.status, { 'content-type': answer.body instanceof Uint8Array ? 'application/cbor' : 'text/plain; charset=utf-8' });
      res.end(answer.body instanceof Uint8Array ? Buffer.from(answer.body) : answer.body);
    } catch (e) {
      const status = e instanceof EnvelopeError ? e.status : 500;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(e instanceof Error ? e.message : String(e));
    }
    return true;
  }

  private async route(method: string, url: string, body: () => Promise<Uint8Array>): Promise<{ status: number; body: Uint8Array | string }> {
    if (url === '/api/v2/status') {
      if (method !== 'GET') throw new EnvelopeError(405, 'status takes GET');
      return { status: 200, body: this.status() };
    }
    const m = /^\/api\/(v[234])\/(canister|subnet)\/([^/]+)\/(query|call|read_state)$/.exec(url);
    if (!m) throw new EnvelopeError(404, `no route for ${url}`);
    const [, version, kind, idText, endpoint] = m;
    const supported =
      (endpoint === 'call' && kind === 'canister') || (endpoint === 'query' && kind === 'canister' && version !== 'v4') || (endpoint === 'read_state' && version !== 'v4');
    if (!supported) throw new EnvelopeError(404, `no route for ${url}`);
    if (method !== 'POST') throw new EnvelopeError(405, `${endpoint} takes POST`);
    let target: Principal;
    try {
      target = Principal.fromText(idText);
    } catch {
      throw new EnvelopeError(400, `bad ${kind} id ${JSON.stringify(idText)}`);
    }
    const bytes = await body();
    await this.syncClock();
    await this.refreshDataCertificates();
    if (kind === 'subnet') return this.subnetReadState(target, bytes);
    if (endpoint === 'query') return this.query(target, bytes);
    if (endpoint === 'call') return this.call(target, bytes, version !== 'v2');
    return this.canisterReadState(target, bytes);
  }

  /** The CBOR of `/api/v2/status`. */
  status(): Uint8Array {
    return Cbor.encode({ ic_api_version: '0.18.0', impl_version: 'decentai-host', root_key: this.rootKey, replica_health_status: 'healthy' });
  }

  private async syncClock(): Promise<void> {
    if (!this.wallClock) return;
    const now = BigInt(Date.now()) * 1_000_000n;
    if (now > this.host.timeNs) await this.host.advanceTime(now - this.host.timeNs);
  }

  /**
   * Re-signs each canister's data certificate (what `ic0.data_certificate_copy` answers in queries)
   * when its certified data changed or the certificate is over a minute old (agents refuse ones over 5).
   */
  async refreshDataCertificates(): Promise<void> {
    for (const canister of this.host.canisterList()) this.dataCertificateOf(canister);
  }

  private dataCertificateOf(canister: Canister): Uint8Array {
    const data = bytesToHex(canister.certifiedDataCommitted());
    const cached = this.dataCertificates.get(canister.id.toText());
    if (cached && cached.data === data && this.host.timeNs - cached.timeNs < 60_000_000_000n) return cached.certificate;
    const certificate = this.certificateSync([[utf8('canister'), canister.id.toUint8Array(), utf8('certified_data')]]);
    this.dataCertificates.set(canister.id.toText(), { data, timeNs: this.host.timeNs, certificate });
    return certificate;
  }

  private canisterOr404(id: Principal): Canister {
    const canister = this.host.canister(id);
    if (!canister) throw new EnvelopeError(404, `Canister ${id.toText()} not found`);
    return canister;
  }

  private checkTarget(content: Envelope['content'], effective: Principal): Canister {
    const canister = this.canisterOr404(effective);
    if (!(content.canister_id instanceof Uint8Array) || Principal.fromUint8Array(content.canister_id).toText() !== effective.toText()) {
      throw new EnvelopeError(400, `Specified CanisterId does not match the effective canister id ${effective.toText()} in the URL`);
    }
    if (typeof content.method_name !== 'string' || !(content.arg instanceof Uint8Array)) throw new EnvelopeError(400, 'Request has no method_name or arg');
    return canister;
  }

  private async query(effective: Principal, body: Uint8Array) {
    const { requestId, sender, content } = checkEnvelope(body, 'query', this.host.timeNs);
    const canister = this.checkTarget(content, effective);
    const result = await canister.query(content.method_name as string, content.arg as Uint8Array, { caller: sender });
    const timestamp = this.host.timeNs;
    const answer: Record<string, unknown> =
      result.status === 'replied'
        ? { status: 'replied', reply: { arg: result.reply ?? new Uint8Array() } }
        : { status: 'rejected', reject_code: result.rejectCode ?? 5, reject_message: result.rejectMessage ?? '', error_code: result.errorCode ?? '' };
    const hash = hashOfMap({ ...answer, timestamp, request_id: requestId });
    const signature = ed25519.sign(new Uint8Array([...IC_RESPONSE_DOMAIN_SEPARATOR, ...hash]), this.keys.nodeSecret);
    return { status: 200, body: Cbor.encode({ ...answer, signatures: [{ timestamp, signature, identity: this.nodeId.toUint8Array() }] }) };
  }

  private async call(effective: Principal, body: Uint8Array, synchronous: boolean) {
    const { requestId, sender, content } = checkEnvelope(body, 'call', this.host.timeNs);
    const canister = this.checkTarget(content, effective);
    const key = bytesToHex(requestId);
    if (!this.statuses.has(key)) {
      // The replica ignores a request id it already has (no second execution).
      // An ingress message: canister_inspect_message runs first, and may refuse it before execution.
      const result = await canister.update(content.method_name as string, content.arg as Uint8Array, { caller: sender, inspect: true });
      if (result.inspectRefused) {
        // Refused before it entered the system: no request status; the replica answers 200 with
        // a non-replicated rejection (what the agent throws as an uncertified reject).
        const rejection = { status: 'non_replicated_rejection', reject_code: result.rejectCode ?? 4, reject_message: result.rejectMessage ?? '', error_code: result.errorCode ?? '' };
        return { status: 200, body: Cbor.encode(rejection) };
      }
      this.statuses.set(key, { sender: sender.toText(), canisterId: effective.toText(), result });
      if (this.statuses.size > REQUEST_STATUS_LIMIT) this.statuses.delete(this.statuses.keys().next().value as string);
    }
    if (!synchronous) return { status: 202, body: '' };
    const certificate = await this.certificate([[utf8('request_status'), requestId]]);
    return { status: 200, body: Cbor.encode({ status: 'replied', certificate }) };
  }

  private readStatePaths(body: Uint8Array): { sender: Principal; paths: Path[] } {
    const { sender, content } = checkEnvelope(body, 'read_state', this.host.timeNs);
    const paths = content.paths;
    if (!Array.isArray(paths) || !paths.every((p) => Array.isArray(p) && p.every((l) => l instanceof Uint8Array))) {
      throw new EnvelopeError(400, 'read_state paths must be a list of label lists');
    }
    return { sender, paths };
  }

  private async canisterReadState(effective: Principal, body: Uint8Array) {
    const { sender, paths } = this.readStatePaths(body);
    this.canisterOr404(effective);
    for (const p of paths) {
      const head = new TextDecoder().decode(p[0] ?? new Uint8Array());
      if (head === 'time' || head === 'subnet') continue;
      if (head === 'canister') {
        if (!p[1] || Principal.fromUint8Array(p[1]).toText() !== effective.toText()) throw new EnvelopeError(400, `Effective canister id ${effective.toText()} does not match the path's canister`);
        continue;
      }
      if (head === 'request_status' && p[1]) {
        const known = this.statuses.get(bytesToHex(p[1]));
        if (known && (known.sender !== sender.toText() || known.canisterId !== effective.toText())) {
          throw new EnvelopeError(403, 'Request IDs must be for requests signed with the caller\'s key to the effective canister');
        }
        continue;
      }
      throw new EnvelopeError(404, `Invalid path requested: ${p.map((l) => new TextDecoder().decode(l)).join('/')}`);
    }
    return { status: 200, body: Cbor.encode({ certificate: await this.certificate(paths) }) };
  }

  private async subnetReadState(subnet: Principal, body: Uint8Array) {
    const { paths } = this.readStatePaths(body);
    if (subnet.toText() !== this.subnetId.toText()) throw new EnvelopeError(404, `Subnet ${subnet.toText()} not found`);
    for (const p of paths) {
      const head = new TextDecoder().decode(p[0] ?? new Uint8Array());
      if (head !== 'time' && head !== 'subnet' && head !== 'canister_ranges') throw new EnvelopeError(404, `Invalid path requested: ${head}`);
    }
    return { status: 200, body: Cbor.encode({ certificate: await this.certificate(paths) }) };
  }

  /** The whole certified state as the replica would certify it now. */
  stateTree(): StateTree {
    const requestStatus: [Uint8Array, StateTree][] = [];
    for (const [id, { result }] of this.statuses) {
      const fields: [Uint8Array, StateTree][] =
        result.status === 'replied'
          ? [
              [utf8('status'), utf8('replied')],
              [utf8('reply'), result.reply ?? new Uint8Array()],
            ]
          : [
              [utf8('status'), utf8('rejected')],
              [utf8('reject_code'), lebEncode(result.rejectCode ?? 5)],
              [utf8('reject_message'), utf8(result.rejectMessage ?? '')],
              [utf8('error_code'), utf8(result.errorCode ?? '')],
            ];
      requestStatus.push([hexToBytes(id), fields]);
    }
    const canisters: [Uint8Array, StateTree][] = this.host.canisterList().map((c) => [
      c.id.toUint8Array(),
      [
        [utf8('certified_data'), c.certifiedDataCommitted()],
        [utf8('module_hash'), c.moduleHash],
        [utf8('controllers'), Cbor.encode(c.controllers.map((p) => p.toUint8Array()))],
      ],
    ]);
    const ranges = this.host.canisterList().map((c) => [c.id.toUint8Array(), c.id.toUint8Array()]);
    const subnet: StateTree = [
      [utf8('public_key'), this.rootKey],
      [utf8('canister_ranges'), Cbor.encode(ranges)],
      [utf8('node'), [[this.nodeId.toUint8Array(), [[utf8('public_key'), this.nodeKeyDer]]]]],
    ];
    return [
      [utf8('time'), lebEncode(this.host.timeNs)],
      [utf8('request_status'), requestStatus],
      [utf8('canister'), canisters],
      [utf8('subnet'), [[this.subnetId.toUint8Array(), subnet]]],
    ];
  }

  /** A certificate (CBOR) for `paths` (and `time`): the witness and the root key's BLS signature. */
  async certificate(paths: Path[]): Promise<Uint8Array> {
    return this.certificateSync(paths);
  }

  private certificateSync(paths: Path[]): Uint8Array {
    const tree = witness(this.stateTree(), [[utf8('time')], ...paths]);
    const message = new Uint8Array([...domain_sep('ic-state-root'), ...rootHash(tree)]);
    const signature = bls12_381.signShortSignature(message, this.keys.rootSecret) as Uint8Array;
    return Cbor.encode({ tree, signature });
  }
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_ENVELOPE_BYTES) parts.push(c);
    });
    req.on('end', () => (size > MAX_ENVELOPE_BYTES ? reject(new EnvelopeError(413, `Request body over ${MAX_ENVELOPE_BYTES} bytes`)) : resolve(new Uint8Array(Buffer.concat(parts)))));
    req.on('error', reject);
  });
}
