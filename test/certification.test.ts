// HTTP certification (v2) of http_request answers, checked with the IC HTTP gateway's own verifier
// (@dfinity/response-verification) against the host's root key: the page's files verify as fully
// certified, every REST answer as "served without certification" by the canister's own certified
// decision, and a tampered answer fails.

import { verifyRequestResponsePair } from '@dfinity/response-verification';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, IcHttpInterface, newReplicaKeys, type Canister } from '../host/index.ts';
import { ASSET_CEL, httpCertification, responseHash, SKIP_CEL } from '../host/http-certification.ts';
import { idlFactory, type DecentAIService, type HttpResponse } from '../canister/types.ts';
import { base64Of } from '../canister/certification.ts';
import { pageAssets } from '../canister/page.ts';
import { uploadModel } from '../client/upload.ts';
import { defaultModel } from '../scripts/lib/models.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const MAX_CERT_AGE_NS = 5n * 60n * 1_000_000_000n;

let host: Host;
let canister: Canister;
let replica: IcHttpInterface;
let actor: DecentAIService;
let model: string;

interface Req {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
  certificate_version: [] | [number];
}

beforeAll(async () => {
  const { wasm } = await buildAzleCanister('decentai');
  host = await Host.create({ startTimeNs: BigInt(Date.now()) * 1_000_000n });
  canister = await host.install(wasm);
  replica = new IcHttpInterface(host, newReplicaKeys(), { wallClock: false });
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  actor = createActor<DecentAIService>(canister, idlFactory);
  const source = defaultModel();
  model = source.name;
  await uploadModel(admin, source.name, source.bytes, { verify: false });
  await replica.refreshDataCertificates();
}, 300_000);

async function ask(method: string, url: string, body = ''): Promise<{ req: Req; res: HttpResponse }> {
  const req: Req = { method, url, headers: [['host', `${canister.id.toText()}.localhost`]], body: enc(body), certificate_version: [2] };
  const res = await actor.http_request({ ...req, certificate_version: [2] });
  return { req, res };
}

function verify(req: Req, res: { status_code: number; headers: [string, string][]; body: Uint8Array | number[] }) {
  return verifyRequestResponsePair(
    req,
    { status_code: res.status_code, headers: res.headers, body: new Uint8Array(res.body) },
    canister.id.toUint8Array(),
    host.timeNs,
    MAX_CERT_AGE_NS,
    replica.rootKey,
    2,
  );
}

const header = (res: HttpResponse, name: string) => res.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

describe('HTTP certification of http_request answers', () => {
  it('the page\'s files verify as fully certified: the verifier gives back the same status, headers and body', async () => {
    for (const path of ['/', '/index.html', '/page.css', '/page.js', '/favicon.svg', '/?from=link']) {
      const { req, res } = await ask('GET', path);
      expect(res.status_code).toBe(200);
      expect(header(res, 'IC-CertificateExpression')).toBe(ASSET_CEL);
      const info = verify(req, res);
      expect(info.verificationVersion).toBe(2);
      expect(info.response?.statusCode).toBe(200);
      expect(new Uint8Array(info.response!.body)).toEqual(new Uint8Array(res.body));
    }
  });

  it('REST answers verify as served without certification (the canister\'s certified choice), success and error alike', async () => {
    const cases: [string, string, string, number][] = [
      ['GET', '/api', '', 200],
      ['GET', '/models', '', 200],
      ['GET', `/models/${model}`, '', 200],
      ['POST', `/models/${model}/predict`, '{"text":"free money, click now"}', 200],
      ['POST', `/models/${model}/predict`, '{"nope":1}', 400],
      ['GET', '/no/such/path', '', 404],
      ['OPTIONS', `/models/${model}/predict`, '', 204],
    ];
    for (const [method, url, body, status] of cases) {
      const { req, res } = await ask(method, url, body);
      expect(res.status_code, `${method} ${url}`).toBe(status);
      expect(header(res, 'IC-CertificateExpression')).toBe(SKIP_CEL);
      const info = verify(req, res);
      expect(info.verificationVersion, `${method} ${url}`).toBe(2);
      expect(info.response, `${method} ${url}: nothing certified to give back`).toBeUndefined();
    }
  });

  it('a tampered page, a tampered header, a foreign root key and a wrong canister id all fail', async () => {
    const { req, res } = await ask('GET', '/');
    const body = new Uint8Array(res.body);
    body[100] ^= 1;
    expect(() => verify(req, { ...res, body })).toThrow();
    expect(() => verify(req, { ...res, headers: res.headers.map(([k, v]) => [k, k === 'content-type' ? 'text/plain' : v] as [string, string]) })).toThrow();
    expect(() => verify(req, { ...res, status_code: 404 })).toThrow();
    expect(() =>
      verifyRequestResponsePair(req, { ...res, body: new Uint8Array(res.body) }, canister.id.toUint8Array(), host.timeNs, MAX_CERT_AGE_NS, new IcHttpInterface(host, newReplicaKeys()).rootKey, 2),
    ).toThrow();
    expect(() => verifyRequestResponsePair(req, { ...res, body: new Uint8Array(res.body) }, new Uint8Array(10), host.timeNs, MAX_CERT_AGE_NS, replica.rootKey, 2)).toThrow();
    // A REST answer cannot pass as the page: the page's path is certified exactly, so "skip" is refused there.
    const rest = await ask('GET', '/api');
    expect(() => verify(req, { ...rest.res, body: new Uint8Array(rest.res.body) })).toThrow();
  });

  it('updates carry no certification headers (the gateway gets them through consensus)', async () => {
    const req = { method: 'POST', url: `/models/${model}/predict?verified=true`, headers: [] as [string, string][], body: enc('{"text":"hi"}'), certificate_version: [2] as [number] };
    const res = await actor.http_request_update(req);
    expect(res.status_code).toBe(200);
    expect(header(res, 'IC-Certificate')).toBeUndefined();
  });

  it('the certified data is the build\'s tree root, and the tree holds each page file\'s response hash', async () => {
    const c = await httpCertification(pageAssets());
    expect(c.certifiedData).toEqual(canister.certifiedDataCommitted());
    const assets = pageAssets();
    const html = assets.find((a) => a.path === '/')!;
    expect(responseHash(200, html.headers, html.body, ASSET_CEL)).not.toEqual(responseHash(200, html.headers, html.body.subarray(1), ASSET_CEL));
    for (const n of [0, 1, 2, 3, 31, 32, 33, 100]) {
      const b = crypto.getRandomValues(new Uint8Array(n));
      expect(base64Of(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });
});
