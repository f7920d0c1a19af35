// What the IC's HTTP gateway does, for a canister on the in-process host: each
// HTTP request becomes a Candid `http_request` query; when the canister answers
// `upgrade = opt true`, the same request goes to `http_request_update`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecentAIService, HttpResponse } from '../../canister/types.ts';

/** Requests larger than this are refused before reaching the canister (the IC's ingress limit is 2 MiB). */
export const GATEWAY_MAX_BODY = 2 * 1024 * 1024;

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

/** Sends one request through http_request (and http_request_update when asked). */
export async function callHttp(actor: Pick<DecentAIService, 'http_request' | 'http_request_update'>, req: GatewayRequest): Promise<GatewayResponse> {
  const request = { method: req.method, url: req.url, headers: req.headers, body: req.body, certificate_version: [] as [] };
  let res: HttpResponse = await actor.http_request(request);
  let upgraded = false;
  if (res.upgrade.length === 1 && res.upgrade[0] === true) {
    res = await actor.http_request_update(request);
    upgraded = true;
  }
  return { status: res.status_code, headers: res.headers, body: new Uint8Array(res.body), upgraded };
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else parts.push(c);
    });
    req.on('end', () => resolve(over ? null : new Uint8Array(Buffer.concat(parts))));
    req.on('error', reject);
  });
}

/** A node:http request handler that serves the canister's REST API. */
export function gatewayHandler(actor: Pick<DecentAIService, 'http_request' | 'http_request_update'>, log: (line: string) => void = () => {}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    try {
      const body = await readBody(req, GATEWAY_MAX_BODY);
      if (body === null) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'too_large', message: `body over the ${GATEWAY_MAX_BODY}-byte ingress limit` }, status: 413 }));
        return;
      }
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
      const out = await callHttp(actor, { method: req.method ?? 'GET', url: req.url ?? '/', headers, body });
      const h: Record<string, string> = {};
      for (const [k, v] of out.headers) h[k] = v;
      res.writeHead(out.status, h);
      res.end(Buffer.from(out.body));
      log(`${req.method} ${req.url} → ${out.status}${out.upgraded ? ' (update)' : ''} ${Date.now() - started} ms`);
    } catch (e) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'gateway', message: e instanceof Error ? e.message : String(e) }, status: 502 }));
      log(`${req.method} ${req.url} → 502 ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
