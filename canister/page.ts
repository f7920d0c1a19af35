// The web page the canister serves at GET / (with /page.css, /page.js, /favicon.svg): its
// files as built by host/page-build.ts from canister/page-source.ts, gzip-compressed, in
// canister/page.generated.ts (base64). Served as they are with `content-encoding: gzip`
// (every browser and the IC's HTTP gateway take it; `curl --compressed` too), certified byte
// for byte at their exact paths (host/http-certification.ts). Static: the same bytes for every
// request; everything live comes from the REST API.

import type { RestResponse } from './rest.ts';
import { PAGE_FILES } from './page.generated.ts';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * base64 to bytes, in one plain loop. Run once, when the core loads (a query's work is
 * discarded, so bytes made on demand would be paid by every GET).
 */
function fromBase64(s: string): Uint8Array {
  var code = new Uint8Array(128), i = 0;
  for (; i < 64; i++) code[B64.charCodeAt(i)] = i;
  var n = s.length, pad = s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  var out = new Uint8Array((n / 4) * 3 - pad), o = 0;
  for (i = 0; i < n; i += 4) {
    var v = (code[s.charCodeAt(i)] << 18) | (code[s.charCodeAt(i + 1)] << 12) | (code[s.charCodeAt(i + 2)] << 6) | code[s.charCodeAt(i + 3)];
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

const SECURITY: [string, string][] = [
  ['content-security-policy', "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['cache-control', 'no-cache'],
];

interface Asset {
  headers: [string, string][];
  bytes: Uint8Array;
}

function asset(type: string, gzipBase64: string): Asset {
  return { headers: ([['content-type', type], ['content-encoding', 'gzip']] as [string, string][]).concat(SECURITY), bytes: fromBase64(gzipBase64) };
}

const HTML = asset('text/html; charset=utf-8', PAGE_FILES.html);
const ASSETS = new Map<string, Asset>([
  ['/', HTML],
  ['/index.html', HTML],
  ['/page.css', asset('text/css; charset=utf-8', PAGE_FILES.css)],
  ['/page.js', asset('text/javascript; charset=utf-8', PAGE_FILES.js)],
  ['/favicon.svg', asset('image/svg+xml', PAGE_FILES.svg)],
]);

/** The page's files as served (path, headers, gzip body): host/http-certification.ts certifies them at build time. */
export function pageAssets(): { path: string; status: number; headers: [string, string][]; body: Uint8Array }[] {
  return [...ASSETS].map(([path, a]) => ({ path, status: 200, headers: a.headers, body: a.bytes }));
}

/** Whether `res` is one of the page's files answered by pageResponse (so certified at its exact path). */
export function isPageAsset(res: RestResponse): boolean {
  return ASSET_BODIES.has(res.body);
}
const ASSET_BODIES = new Set([...ASSETS.values()].map((a) => a.bytes));

/** The page's paths. */
export const PAGE_PATHS = [...ASSETS.keys()];

/** The answer for one of the page's paths (GET or HEAD), else null. */
export function pageResponse(method: string, path: string): RestResponse | null {
  const a = ASSETS.get(path);
  if (a === undefined || (method !== 'GET' && method !== 'HEAD')) return null;
  return { status: 200, headers: a.headers, body: a.bytes, upgrade: false };
}
