// Issue 10 on the real canister wasm (in-process host, metered): each finding's exact input,
// its clean outcome and a bound on the instructions it may cost.

import { beforeAll, describe, expect, it } from 'vitest';
import { IDL } from '@dfinity/candid';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, type Canister } from '../host/index.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { defaultModel } from '../scripts/lib/models.ts';
import { httpRequestArg } from '../bench/lib/http.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatewayHandler } from '../scripts/lib/gateway.ts';
import { bodyTooLarge } from '../canister/rest.ts';
import { httpRequestWith, sleb, skipBomb, vecVecBomb, wideSkip, wideTable } from './candid-bombs.ts';

let canister: Canister;

const HttpResponse = IDL.Record({
  status_code: IDL.Nat16,
  headers: IDL.Vec(IDL.Tuple(IDL.Text, IDL.Text)),
  body: IDL.Vec(IDL.Nat8),
  upgrade: IDL.Opt(IDL.Bool),
});

/** Calls an HTTP method with a raw argument; the status, the JSON body and the instructions. */
async function http(method: 'http_request' | 'http_request_update', arg: Uint8Array) {
  const r = method === 'http_request' ? await canister.query(method, arg) : await canister.update(method, arg);
  expect(r.status, r.rejectMessage).toBe('replied');
  const res = IDL.decode([HttpResponse], r.reply!)[0] as unknown as { status_code: number; body: Uint8Array };
  return { status: res.status_code, json: JSON.parse(Buffer.from(res.body).toString('utf8')), instructions: Number(r.instructions) };
}

beforeAll(async () => {
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  canister = await host.install(wasm);
  // The upload's first update compiles the core (~220M, once): measured calls below are the steady state.
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  await uploadModel(admin as never, 'm', defaultModel().bytes);
});

const enc = (s: string) => new TextEncoder().encode(s);
const predictRest = (body: Uint8Array) => http('http_request', httpRequestArg('POST', '/models/m/predict', body));
const TextInput = [IDL.Text, IDL.Variant({ text: IDL.Vec(IDL.Nat8) })];

describe('Candid decoding quota in the canister (issue 10, finding 1)', () => {
  it('the skip bomb (~560 B, 40⁶ zero-size values) answers 400 with the quota error in under 10M instructions, query and update', async () => {
    for (const method of ['http_request', 'http_request_update'] as const) {
      const r = await http(method, skipBomb());
      console.log(`skip bomb via ${method}: ${r.instructions} instructions`);
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/decoding quota/);
      expect(r.instructions).toBeLessThan(10_000_000);
    }
  });

  it('vec vec record {} (20,000 × 100,000) answers 400 with the quota error in under 10M instructions', async () => {
    const r = await http('http_request', vecVecBomb());
    console.log(`vec vec record {}: ${r.instructions} instructions`);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/decoding quota/);
    expect(r.instructions).toBeLessThan(10_000_000);
  });

  it('the costliest 2 MiB skip shape found is refused well under the 5B query limit (< 1.5B)', async () => {
    const arg = wideSkip();
    expect(arg.length).toBeGreaterThan(1_990_000);
    const r = await http('http_request', arg);
    console.log(`2 MiB vec record {opt null; nat8 × 8}: ${r.instructions} instructions`);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/decoding quota/);
    expect(r.instructions).toBeLessThan(1_500_000_000);
  });

  it('a Candid method refuses a type table of 257 fields with bad_argument in under 10M instructions', async () => {
    const r = await canister.query('model_info', wideTable(257));
    const Result = IDL.Variant({ ok: IDL.Reserved, err: IDL.Record({ code: IDL.Text, message: IDL.Text }) });
    const v = IDL.decode([Result], r.reply!)[0] as { err?: { code: string; message: string } };
    console.log(`257-field table: ${r.instructions} instructions`);
    expect(v.err).toEqual({ code: 'bad_argument', message: expect.stringMatching(/more than 256 fields/) });
    expect(Number(r.instructions)).toBeLessThan(10_000_000);
  });
});

describe('text work bounded by what the model reads (issue 10, finding 2)', () => {
  it('{"text":"<1,048,000 spaces>"} answers 200 (the empty text) in under 400M instructions, not a limit trap', async () => {
    const empty = await predictRest(enc('{"text":""}'));
    const r = await predictRest(enc(`{"text":"${' '.repeat(1_048_000)}"}`));
    console.log(`1,048,000 spaces over REST: ${r.instructions} instructions`);
    expect(r.status).toBe(200);
    expect(r.json.predictions).toEqual(empty.json.predictions);
    expect(r.instructions).toBeLessThan(400_000_000);
  });

  it('a 1 MiB text of spaces over Candid and 1 MB of dots over REST answer within stated bounds', async () => {
    const q = await canister.query('predict', new Uint8Array(IDL.encode(TextInput, ['m', { text: enc(' '.repeat(1024 * 1024)) }])));
    console.log(`1 MiB of spaces over Candid: ${q.instructions} instructions`);
    expect(q.status).toBe('replied');
    expect(Number(q.instructions)).toBeLessThan(400_000_000);
    const dots = await predictRest(enc(`{"text":"hello${'.'.repeat(1_048_000)}"}`));
    console.log(`1 MB of dots over REST: ${dots.instructions} instructions`);
    expect(dots.status).toBe(200);
    expect(dots.instructions).toBeLessThan(1_000_000_000);
  });

  it('words past the first 32 KiB are refused with 413, cheaply', async () => {
    const r = await predictRest(enc(`{"text":"${'é'.repeat(524_000)}"}`));
    expect(r.status).toBe(413);
    expect(r.json.error.message).toMatch(/first 32768 bytes/);
    expect(r.instructions).toBeLessThan(400_000_000);
  });
});

describe("npm start's gateway (issue 10, finding 5)", () => {
  it('answers the canister\'s own 413 for every body over 1 MiB, up to and past the 2 MiB ingress limit; passes 1 MiB on', async () => {
    let calls = 0;
    const actor = {
      http_request: async () => {
        calls++;
        return { status_code: 200, headers: [], body: new Uint8Array(0), upgrade: [] as [], streaming_strategy: [] };
      },
      http_request_update: async () => {
        throw new Error('not used');
      },
    };
    const server = createServer(gatewayHandler(actor as never));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/m/predict`;
    try {
      for (const size of [1024 * 1024 + 1, 2 * 1024 * 1024 - 150, 2 * 1024 * 1024 - 1, 2 * 1024 * 1024 + 10, 3 * 1024 * 1024]) {
        const res = await fetch(url, { method: 'POST', body: new Uint8Array(size).fill(0x20) });
        expect(res.status).toBe(413);
        expect(await res.text()).toBe(new TextDecoder().decode(bodyTooLarge(size).body));
      }
      expect(calls).toBe(0);
      const ok = await fetch(url, { method: 'POST', body: new Uint8Array(1024 * 1024).fill(0x20) });
      expect(ok.status).toBe(200);
      expect(calls).toBe(1);
    } finally {
      server.close();
    }
  });
});
