// What the IC's HTTP gateway does, for a canister on the in-process host: each
// HTTP request becomes a Candid `http_request` query; when the canister answers
// `upgrade = opt true`, the same request goes to `http_request_update`. Given a
// verifier (npm start gives one), each query answer is checked as the IC's gateway
// checks it (@dfinity/response-verification, certification v2, against the host's
// root key) and refused when it does not verify; update answers come through
// consensus and are not checked, as on the IC.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyRequestResponsePair } from '@dfinity/response-verification';
import type { DecentAIService, HttpResponse } from '../../canister/types.ts';
import { bodyTooLarge, MAX_BODY_BYTES } from '../../canister/rest.ts';

export interface GatewayRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
}

export interface GatewayResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  /** True when the canister asked for the update path (http_request_update). */
  upgraded: boolean;
}

/** What the gateway checks query answers against. */
export interface ResponseVerifier {
  /** DER-encoded root key of the (host's) IC. */
  rootKey: Uint8Array;
  canisterId: Uint8Array;
  /** The IC's time now, in ns (certificates older than 5 minutes are refused). */
  nowNs: () => bigint;
}

/** An answer the gateway refused: it does not verify against the root key. */
export class VerificationError extends Error {}

const MAX_CERTIFICATE_AGE_NS = 5n * 60n * 1_000_000_000n;

/** Sends one request through http_request (and http_request_update when asked); checks the query answer when given a verifier. */
export async function callHttp(
  actor: Pick<DecentAIService, 'http_request' | 'http_request_update'>,
  req: GatewayRequest,
  verifier?: ResponseVerifier,
): Promise<GatewayResponse> {
  const request = { method: req.method, url: req.url, headers: req.headers, body: req.body, certificate_version: verifier ? ([2] as [number]) : ([] as []) };
  let res: HttpResponse = await actor.http_request(request);
  let upgraded = false;
  if (res.upgrade.length === 1 && res.upgrade[0] === true) {
    res = await actor.http_request_update(request);
    upgraded = true;
  } else if (verifier) {
    const answer = { status_code: res.status_code, headers: res.headers, body: new Uint8Array(res.body) };
    try {
      verifyRequestResponsePair(request, answer, verifier.canisterId, verifier.nowNs(), MAX_CERTIFICATE_AGE_NS, verifier.rootKey, 2);
    } catch (e) {
      const why = e instanceof Error ? e.message : typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : String(e);
      throw new VerificationError(`the canister's answer to ${req.method} ${req.url} failed response verification: ${why}`);
    }
  }
  return { status: res.status_code, headers: res.headers, body: new Uint8Array(res.body), upgraded };
}

/** The body, or null with its size when over `limit` (the rest is read and dropped). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | { over: number }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else parts.push(c);
    });
    req.on('end', () => resolve(over ? { over: size } : new Uint8Array(Buffer.concat(parts))));
    req.on('error', reject);
  });
}

/** A node:http request handler that serves the canister's REST API (checking query answers when given a verifier). */
export function gatewayHandler(actor: Pick<DecentAIService, 'http_request' | 'http_request_update'>, log: (line: string) => void = () => {}, verifier?: ResponseVerifier) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    try {
      // A body over the canister's own limit gets the canister's own 413 here: past ~2 MiB − 150 B the
      // Candid envelope would push the argument over the IC's ingress limit (a 502 otherwise).
      const body = await readBody(req, MAX_BODY_BYTES);
      if (!(body instanceof Uint8Array)) {
        const refused = bodyTooLarge(body.over);
        res.writeHead(413, Object.fromEntries(refused.headers));
        res.end(Buffer.from(refused.body));
        log(`${req.method} ${req.url} → 413 (${body.over} bytes)`);
        return;
      }
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
      const out = await callHttp(actor, { method: req.method ?? 'GET', url: req.url ?? '/', headers, body }, verifier);
      const h: Record<string, string> = {};
      for (const [k, v] of out.headers) h[k] = v;
      res.writeHead(out.status, h);
      res.end(Buffer.from(out.body));
      log(`${req.method} ${req.url} → ${out.status}${out.upgraded ? ' (update)' : ''} ${Date.now() - started} ms`);
    } catch (e) {
      const code = e instanceof VerificationError ? 'response_verification_failed' : 'gateway';
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code, message: e instanceof Error ? e.message : String(e) }, status: 502 }));
      log(`${req.method} ${req.url} → 502 ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
