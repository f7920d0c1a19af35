// The IC's HTTP interface of the host: the real HttpAgent (root key fetched, query signatures
// verified, certificates BLS-checked) and `npm run upload` against the host's /api endpoints,
// served on the same port as the REST gateway; forged, foreign and expired envelopes refused.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Actor, Cbor, Certificate, HttpAgent, lookupResultToBuffer, IC_REQUEST_DOMAIN_SEPARATOR, requestIdOf, type Identity, type SignIdentity } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { loadModel } from '../engine/index.ts';
import { buildAzleCanister, createActor, Host, IcHttpInterface, loadOrCreateReplicaKeys, newReplicaKeys, type Canister } from '../host/index.ts';
import { semanticsIdlFactory, type SemanticsService } from '../host/fixtures/semantics/semantics.idl.ts';
import { gatewayHandler } from '../scripts/lib/gateway.ts';
import { loadOrCreatePemIdentity } from '../scripts/lib/identity.ts';

const DEFAULT_DCAI = resolve('models/default/default.dcai');
const ICP = resolve('node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp');
const text = (s: string) => new TextEncoder().encode(s);

let dir: string;
let server: Server;
let url: string;
let ic: IcHttpInterface;
let canister: Canister;
let controller: SignIdentity;

/** A signed envelope built by hand (the agent would refuse to send the broken ones). */
async function envelope(content: Record<string, unknown>, signer: SignIdentity, mutateSig: (sig: Uint8Array) => Uint8Array = (s) => s): Promise<Buffer> {
  const sig = new Uint8Array(await signer.sign(new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestIdOf(content)])));
  return Buffer.from(Cbor.encode({ content, sender_pubkey: new Uint8Array(signer.getPublicKey().toDer()), sender_sig: mutateSig(sig) }));
}

function contentOf(requestType: 'query' | 'call', methodName: string, arg: Uint8Array, sender: Principal, over: Record<string, unknown> = {}) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return { request_type: requestType, canister_id: canister.id.toUint8Array(), method_name: methodName, arg, sender: sender.toUint8Array(), ingress_expiry: now + 60_000_000_000n, nonce: crypto.getRandomValues(new Uint8Array(16)), ...over };
}

function agentFor(identity?: Identity, fetchImpl?: typeof fetch) {
  return HttpAgent.create({ host: url, identity, shouldFetchRootKey: true, verifyQuerySignatures: true, retryTimes: 0, fetch: fetchImpl });
}

async function actorFor(identity?: Identity, fetchImpl?: typeof fetch) {
  return Actor.createActor<DecentAIService>(idlFactory as never, { agent: await agentFor(identity, fetchImpl), canisterId: canister.id });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'decentai-ic-http-'));
  controller = loadOrCreatePemIdentity(join(dir, 'identity.pem'));
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create({ startTimeNs: BigInt(Date.now()) * 1_000_000n });
  canister = await host.install(wasm, { controllers: [controller.getPrincipal()] });
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: controller.getPrincipal() });
  await uploadModel(admin, 'default', new Uint8Array(readFileSync(DEFAULT_DCAI)));
  ic = new IcHttpInterface(host, loadOrCreateReplicaKeys(dir));
  const rest = gatewayHandler(createActor<DecentAIService>(canister, idlFactory));
  server = createServer(async (req, res) => {
    if (!(await ic.handle(req, res))) await rest(req, res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 300_000);

afterAll(async () => {
  await new Promise((ok) => server?.close(ok));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('IC HTTP interface of the host', () => {
  it('answers /api/v2/status in self-described CBOR with the root key kept in the state folder', async () => {
    const body = new Uint8Array(await (await fetch(`${url}/api/v2/status`)).arrayBuffer());
    expect(Array.from(body.slice(0, 3))).toEqual([0xd9, 0xd9, 0xf7]); // tag 55799
    const status = Cbor.decode<{ root_key: Uint8Array }>(body);
    expect(Buffer.from(status.root_key).toString('hex')).toBe(Buffer.from(ic.rootKey).toString('hex'));
    expect(status.root_key.length).toBe(133); // DER-wrapped 96-byte BLS12-381 G2 key
    // The same folder gives the same key next time (a restarted `npm start` keeps its identity).
    expect(new IcHttpInterface(await Host.create(), loadOrCreateReplicaKeys(dir)).rootKey).toEqual(ic.rootKey);
    expect((await fetch(`${url}/api/v2/nope`)).status).toBe(404);
  });

  it('serves the real agent: list_models, model_info and predict as signed queries, predict_update as a certified call', async () => {
    const actor = await actorFor();
    const models = await actor.list_models();
    expect(models.map((m) => m.name)).toEqual(['default']);
    const info = await actor.model_info('default', []);
    expect('ok' in info && info.ok.verified).toBe(true);
    const engine = loadModel(new Uint8Array(readFileSync(DEFAULT_DCAI)));
    const want = Array.from(engine.predictText('win a free prize now'));
    const q = await actor.predict('default', { text: text('win a free prize now') });
    if (!('ok' in q)) throw new Error(JSON.stringify(q));
    expect(q.ok.predictions[0].scores).toEqual(want);
    const u = await actor.predict_update('default', { text: text('win a free prize now') });
    if (!('ok' in u)) throw new Error(JSON.stringify(u));
    expect(u.ok.predictions[0].scores).toEqual(want);
  });

  it('uploads with `npm run upload` over HTTP; the model then predicts over REST exactly as the engine', async () => {
    const pem = join(dir, 'identity.pem');
    const { stdout } = await promisify(execFile)(
      resolve('node_modules/.bin/tsx'),
      ['scripts/upload.ts', '--network', url, '--canister', canister.id.toText(), '--identity', pem, '--name', 'uploaded', DEFAULT_DCAI],
      { timeout: 120_000 },
    );
    expect(JSON.parse(stdout)).toMatchObject({ name: 'uploaded', version: 1, verified: true });
    const res = await fetch(`${url}/models/uploaded/predict`, { method: 'POST', body: '{"text":"check out my channel"}' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; predictions: { scores: Record<string, number> }[] };
    const engine = loadModel(new Uint8Array(readFileSync(DEFAULT_DCAI)));
    expect(engine.labels.map((l) => Math.fround(body.predictions[0].scores[l]))).toEqual(Array.from(engine.predictText('check out my channel')));
  }, 120_000);

  it('refuses admin methods to the anonymous principal and to a random identity in canister_inspect_message, before execution', async () => {
    const stranger = loadOrCreatePemIdentity(join(dir, 'stranger.pem'));
    const before = canister.canisterVersion;
    const executed = canister.messageLog.filter((m) => m.kind === 'update').length;
    for (const actor of [await actorFor(), await actorFor(stranger)]) {
      // the replica's answer: 200 with a non-replicated rejection, which the agent throws
      await expect(actor.begin_upload('evil', 10n, '00'.repeat(32))).rejects.toThrow(/forbidden: only a controller of the canister may call begin_upload \(refused by canister_inspect_message\)/);
      await expect(actor.delete_model('default', [])).rejects.toThrow(/forbidden.*delete_model.*canister_inspect_message/);
    }
    // nothing was executed (no update ran, the state is the same) and the model still answers
    expect(canister.messageLog.filter((m) => m.kind === 'update').length).toBe(executed);
    expect(canister.canisterVersion).toBe(before);
    expect((await (await actorFor()).list_models()).map((m) => m.name)).toContain('default');
    // an argument over its method's bound is refused too, whoever sends it; a controller's small call passes
    const admin = await actorFor(controller);
    await expect(admin.verify('x'.repeat(5000), 1)).rejects.toThrow(/too_large: the argument of verify is \d+ bytes, over its bound of 4096 \(refused by canister_inspect_message\)/);
    expect(await admin.delete_model('no-such-model', [])).toMatchObject({ err: { code: 'not_found' } });
    // queries are not inspected (the IC runs inspect_message for ingress update calls only)
    expect(await (await actorFor(stranger)).list_uploads()).toEqual([]);
  });

  it('refuses a tampered envelope: bad signature, wrong sender, expired or far-future ingress_expiry', async () => {
    const stranger = loadOrCreatePemIdentity(join(dir, 'stranger.pem'));
    const arg = new Uint8Array(IDL.encode([], []));
    const now = BigInt(Date.now()) * 1_000_000n;
    const content = (over: Record<string, unknown> = {}) => contentOf('query', 'list_models', arg, controller.getPrincipal(), over);
    const send = async (c: Record<string, unknown>, signer: SignIdentity = controller, mutate?: (sig: Uint8Array) => Uint8Array) => {
      const res = await fetch(`${url}/api/v3/canister/${canister.id.toText()}/query`, { method: 'POST', body: await envelope(c, signer, mutate), headers: { 'content-type': 'application/cbor' } });
      return { status: res.status, text: res.status === 200 ? '' : await res.text() };
    };
    expect(await send(content())).toEqual({ status: 200, text: '' }); // the well-formed envelope passes
    const flipped = await send(content(), controller, (s) => s.map((b, i) => (i === 0 ? b ^ 1 : b)));
    expect(flipped).toMatchObject({ status: 400, text: expect.stringMatching(/Invalid signature: the sender_sig does not verify/) });
    const wrongSender = await send(content({ sender: stranger.getPrincipal().toUint8Array() }), controller);
    expect(wrongSender).toMatchObject({ status: 400, text: expect.stringMatching(/is not the principal of sender_pubkey/) });
    expect(await send(content({ ingress_expiry: now - 60_000_000_000n }))).toMatchObject({ status: 400, text: expect.stringMatching(/Invalid request expiry/) });
    expect(await send(content({ ingress_expiry: now + 3_600_000_000_000n }))).toMatchObject({ status: 400, text: expect.stringMatching(/Invalid request expiry/) });
    const anonymousWithKey = await send(content({ sender: Principal.anonymous().toUint8Array() }));
    expect(anonymousWithKey.status).toBe(400);

    // The agent itself rejects an answer whose node signature was tampered with.
    const tamperedAnswers: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/query')) return res;
      const answer = Cbor.decode<{ signatures: { signature: Uint8Array }[] }>(new Uint8Array(await res.arrayBuffer()));
      answer.signatures[0].signature[5] ^= 1;
      return new Response(Buffer.from(Cbor.encode(answer)), { status: res.status, headers: res.headers });
    };
    await expect((await actorFor(undefined, tamperedAnswers)).list_models()).rejects.toThrow(/Query signature verification failed/);
  });

  it('answers v2 calls with 202 (then read_state) and v4 calls with a certificate the agent verifies', async () => {
    const PredictArgs = [IDL.Text, IDL.Variant({ text: IDL.Vec(IDL.Nat8) })];
    const arg = new Uint8Array(IDL.encode(PredictArgs, ['default', { text: text('hello there') }]));
    const path = (requestId: Uint8Array) => [text('request_status'), requestId];
    const post = (version: string, c: Record<string, unknown>) =>
      envelope(c, controller).then((body) => fetch(`${url}/api/${version}/canister/${canister.id.toText()}/call`, { method: 'POST', body, headers: { 'content-type': 'application/cbor' } }));
    const agent = await agentFor(controller);
    await agent.fetchRootKey();
    const replyOf = async (certificate: Uint8Array, requestId: Uint8Array) => {
      const cert = await Certificate.create({ certificate, rootKey: agent.rootKey!, canisterId: canister.id });
      expect(new TextDecoder().decode(lookupResultToBuffer(cert.lookup_path([...path(requestId), 'status'])))).toBe('replied');
      return lookupResultToBuffer(cert.lookup_path([...path(requestId), 'reply']))!;
    };

    const v2 = contentOf('call', 'predict_update', arg, controller.getPrincipal());
    const accepted = await post('v2', v2);
    expect(accepted.status).toBe(202);
    const state = await agent.readState(canister.id, { paths: [path(requestIdOf(v2))] });
    const v2Reply = await replyOf(new Uint8Array(state.certificate), requestIdOf(v2));

    const v4 = contentOf('call', 'predict_update', arg, controller.getPrincipal());
    const res = await post('v4', v4);
    expect(res.status).toBe(200);
    const answer = Cbor.decode<{ status: string; certificate: Uint8Array }>(new Uint8Array(await res.arrayBuffer()));
    expect(answer.status).toBe('replied');
    const v4Reply = await replyOf(answer.certificate, requestIdOf(v4));
    const predictUpdate = (idlFactory({ IDL }) as unknown as { _fields: [string, IDL.FuncClass][] })._fields.find(([n]) => n === 'predict_update')![1];
    const decode = (reply: Uint8Array) => IDL.decode(predictUpdate.retTypes, reply)[0] as { ok: { predictions: unknown } };
    const engine = loadModel(new Uint8Array(readFileSync(DEFAULT_DCAI)));
    expect(decode(v2Reply).ok.predictions).toEqual([{ label: expect.any(String), scores: Array.from(engine.predictText('hello there')) }]);
    expect(decode(v4Reply).ok.predictions).toEqual(decode(v2Reply).ok.predictions);

    // A certificate signed by another root key does not verify against this host's.
    const foreign = new IcHttpInterface(await Host.create({ startTimeNs: BigInt(Date.now()) * 1_000_000n }), newReplicaKeys());
    await expect(Certificate.create({ certificate: await foreign.certificate([]), rootKey: agent.rootKey!, canisterId: canister.id })).rejects.toThrow(/signature/i);
  });

  it('delivers canister rejects: certified for calls, node-signed for queries', async () => {
    const agent = await agentFor(controller);
    const bogus = Actor.createActor<{ nope: () => Promise<void>; nope_query: () => Promise<void> }>(
      ({ IDL: I }) => I.Service({ nope: I.Func([], [], []), nope_query: I.Func([], [], ['query']) }),
      { agent, canisterId: canister.id },
    );
    // The agent sees the host's own reject (code, message, error code), through the certificate or the signed answer.
    const empty = new Uint8Array(IDL.encode([], []));
    for (const [method, direct, viaHttp] of [
      ['nope', await canister.update('nope', empty), await bogus.nope().catch((e: unknown) => e)],
      ['nope_query', await canister.query('nope_query', empty), await bogus.nope_query().catch((e: unknown) => e)],
    ] as const) {
      expect(direct.status).toBe('rejected');
      const code = (viaHttp as { code?: { rejectCode?: number; rejectMessage?: string; rejectErrorCode?: string } }).code;
      expect(code?.rejectCode).toBe(direct.rejectCode);
      expect(code?.rejectMessage).toBe(direct.rejectMessage);
      expect(code?.rejectMessage).toContain(method);
    }
  });

  it('refuses read_state of another sender\'s request', async () => {
    const agent = await agentFor(controller);
    const { requestId } = await agent.call(canister.id, { methodName: 'list_uploads', arg: new Uint8Array(IDL.encode([], [])), effectiveCanisterId: canister.id });
    const mine = await agent.readState(canister.id, { paths: [[text('request_status'), requestId]] });
    expect(mine.certificate.byteLength).toBeGreaterThan(0);
    const other = await agentFor(loadOrCreatePemIdentity(join(dir, 'stranger.pem')));
    await expect(other.readState(canister.id, { paths: [[text('request_status'), requestId]] })).rejects.toThrow(/403|signed with the caller/);
  });

  it.skipIf(!existsSync(ICP))('serves icp-cli: `icp canister call` of a query and of an update', async () => {
    // icp keeps its settings under $HOME: a scratch one; no telemetry.
    const env = { ...process.env, HOME: join(dir, 'home'), DO_NOT_TRACK: '1' };
    const icp = (...args: string[]) =>
      promisify(execFile)(ICP, ['canister', 'call', canister.id.toText(), ...args, '-n', url, '-k', 'fetch', '--candid', 'canister/decentai.did'], { env, timeout: 60_000 });
    const list = await icp('list_models', '()', '--query');
    expect(list.stdout).toMatch(/name = "default";/);
    expect(list.stdout).toMatch(/verified = true;/);
    const engine = loadModel(new Uint8Array(readFileSync(DEFAULT_DCAI)));
    const label = engine.labels[engine.argmax(engine.predictText('win a free prize'))];
    const update = await icp('predict_update', '("default", variant { text = blob "win a free prize" })');
    expect(update.stdout).toMatch(new RegExp(`label = "${label}";`));
    expect(update.stdout).toMatch(/instructions = [\d_]+ : nat64;/);
  }, 120_000);
});

describe('ic0.data_certificate on a host with the IC interface', () => {
  it('is a real certificate of the canister\'s certified data, verified by the agent against the root key', async () => {
    const { wasm } = await buildAzleCanister('host_semantics');
    const host = await Host.create({ startTimeNs: BigInt(Date.now()) * 1_000_000n });
    const fixture = await host.install(wasm, { arg: new Uint8Array(IDL.encode([IDL.Opt(IDL.Text)], [[]])) });
    const replica = new IcHttpInterface(host, newReplicaKeys());
    const actor = createActor<SemanticsService>(fixture, semanticsIdlFactory);
    const data = crypto.getRandomValues(new Uint8Array(32));
    await actor.setCertifiedData(data);
    await replica.refreshDataCertificates();
    const [certificate] = await actor.certificate();
    if (!certificate) throw new Error('no data certificate in a query');
    const cert = await Certificate.create({ certificate: new Uint8Array(certificate), rootKey: replica.rootKey, canisterId: fixture.id });
    expect(lookupResultToBuffer(cert.lookup_path(['canister', fixture.id.toUint8Array(), 'certified_data']))).toEqual(data);
    // Another host's root key refuses it.
    await expect(Certificate.create({ certificate: new Uint8Array(certificate), rootKey: ic.rootKey, canisterId: fixture.id })).rejects.toThrow(/signature/i);
  }, 300_000);
});
