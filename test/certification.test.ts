// HTTP certification (v2) of http_request answers, checked with the IC HTTP gateway's own verifier
// (@dfinity/response-verification) against the host's root key: the page's files verify as fully
// certified, every REST answer as "served without certification" by the canister's own certified
// decision, and a tampered answer fails.

import { verifyRequestResponsePair } from '@dfinity/response-verification';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, IcHttpInterface, newReplicaKeys, type Canister } from '../host/index.ts';
import { ASSET_CEL, httpCertification, responseHash, SKIP_CEL } from '../host/http-certification.ts';
import { idlFactory, type DecentAIService, type HttpResponse } from '../canister/types.ts';
import { JSON_HEADERS } from '../canister/wire.ts';
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
      ['GET', '/models/', '', 200],
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
    // Another host's root key (on its own host: an IcHttpInterface signs the data certificates of the host it is given).
    const foreignKey = new IcHttpInterface(await Host.create({}), newReplicaKeys()).rootKey;
    const body = new Uint8Array(res.body);
    body[100] ^= 1;
    expect(() => verify(req, { ...res, body })).toThrow();
    expect(() => verify(req, { ...res, headers: res.headers.map(([k, v]) => [k, k === 'content-type' ? 'text/plain' : v] as [string, string]) })).toThrow();
    expect(() => verify(req, { ...res, status_code: 404 })).toThrow();
    expect(() =>
      verifyRequestResponsePair(req, { ...res, body: new Uint8Array(res.body) }, canister.id.toUint8Array(), host.timeNs, MAX_CERT_AGE_NS, foreignKey, 2),
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

  it('the build\'s tree root is the certified data until a model is stored, and the tree holds each page file\'s response hash', async () => {
    const c = await httpCertification(pageAssets());
    const fresh = await host.install((await buildAzleCanister('decentai')).wasm);
    expect(c.certifiedData).toEqual(fresh.certifiedDataCommitted());
    expect(c.certifiedData).not.toEqual(canister.certifiedDataCommitted()); // GET /models is certified there
    const assets = pageAssets();
    const html = assets.find((a) => a.path === '/')!;
    expect(responseHash(200, html.headers, html.body, ASSET_CEL)).not.toEqual(responseHash(200, html.headers, html.body.subarray(1), ASSET_CEL));
    for (const n of [0, 1, 2, 3, 31, 32, 33, 100]) {
      const b = crypto.getRandomValues(new Uint8Array(n));
      expect(base64Of(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });
});

describe('GET /models, certified at run time (after commit, activation, deletion and upgrade)', () => {
  const admin = () => createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  /** GET /models: verifies fully certified, the verifier gives back the body, the tree's root is the host's reference for that body. */
  async function certifiedModels(): Promise<{ req: Req; res: HttpResponse; list: { module_hash: string | null; models: { name: string; version: number }[] } }> {
    const { req, res } = await ask('GET', '/models');
    expect(res.status_code).toBe(200);
    expect(header(res, 'IC-CertificateExpression')).toBe(ASSET_CEL);
    const info = verify(req, res);
    expect(info.verificationVersion).toBe(2);
    expect(new Uint8Array(info.response!.body)).toEqual(new Uint8Array(res.body));
    expect(info.response!.statusCode).toBe(200);
    const reference = await httpCertification([...pageAssets(), { path: '/models', status: 200, headers: JSON_HEADERS, body: new Uint8Array(res.body) }]);
    expect(canister.certifiedDataCommitted()).toEqual(reference.certifiedData);
    return { req, res, list: JSON.parse(Buffer.from(res.body).toString()) };
  }
  const tamper = (req: Req, res: HttpResponse, body: Uint8Array) => () => verify(req, { ...res, body });

  it('verifies after upload and commit; a tampered or an earlier body fails; other answers still verify', async () => {
    const first = await certifiedModels();
    expect(first.list.models.map((m) => m.name)).toContain(model);
    const body = new Uint8Array(first.res.body);
    body[body.length - 3] ^= 1;
    expect(tamper(first.req, first.res, body)).toThrow();
    // HEAD and a query string answer the same certified body.
    const head = await ask('HEAD', '/models?x=1');
    expect(verify(head.req, head.res).response?.statusCode).toBe(200);
    // The page and the REST answers verify against the same (pruned) tree.
    for (const [method, url] of [['GET', '/'], ['GET', '/api'], ['POST', `/models/${model}/predict`]]) {
      const a = await ask(method, url, method === 'POST' ? '{"text":"hello"}' : '');
      expect(verify(a.req, a.res).verificationVersion, url).toBe(2);
    }
    // A new version (commit activates it): the answer changes and verifies; the earlier one no longer does.
    const source = defaultModel();
    await uploadModel(admin(), 'second', source.bytes, { verify: false });
    const second = await certifiedModels();
    expect(second.list.models.map((m) => m.name)).toEqual([...first.list.models.map((m) => m.name), 'second']);
    expect(tamper(second.req, second.res, new Uint8Array(first.res.body))).toThrow();
  });

  it('changes and verifies after activation and deletion; another method at /models goes to an update', async () => {
    const source = defaultModel();
    await uploadModel(admin(), 'second', source.bytes, { verify: false });
    const two = await certifiedModels();
    expect(two.list.models.find((m) => m.name === 'second')?.version).toBeGreaterThan(1);
    const activated = await admin().activate('second', 1);
    expect('ok' in activated).toBe(true);
    const one = await certifiedModels();
    expect(one.list.models.find((m) => m.name === 'second')?.version).toBe(1);
    expect(tamper(one.req, one.res, new Uint8Array(two.res.body))).toThrow();
    const deleted = await admin().delete_model('second', []);
    expect('ok' in deleted).toBe(true);
    const gone = await certifiedModels();
    expect(gone.list.models.map((m) => m.name)).not.toContain('second');
    // POST /models cannot verify under the wildcard where /models is certified: the query upgrades it.
    const post = await ask('POST', '/models');
    expect(post.res.upgrade).toEqual([true]);
    const update = await actor.http_request_update({ ...post.req });
    expect(update.status_code).toBe(405);
  });

  it('changes and verifies after an upgrade (the module hash the installer gives is in the answer)', async () => {
    const before = await certifiedModels();
    const hash = 'ab'.repeat(32);
    const arg = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 1, 0x6e, 0x71, 1, 0, 1, 64, ...new TextEncoder().encode(hash)]);
    const { wasm } = await buildAzleCanister('decentai');
    const up = await canister.upgrade(wasm, { arg });
    expect(up.status).toBe('replied');
    await host.advanceTime(1_000_000_000n); // the timer post_upgrade set (the models load and GET /models is certified)
    const after = await certifiedModels();
    expect(after.list.module_hash).toBe(hash);
    expect(after.list.models).toEqual(before.list.models);
    expect(tamper(after.req, after.res, new Uint8Array(before.res.body))).toThrow();
  });
});
