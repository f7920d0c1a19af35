// The REST API: through the real canister wasm on the host (as the HTTP gateway
// calls it), and the body reader in Node against JSON.parse.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, IcHttpInterface, lastCall, newReplicaKeys, type Canister } from '../host/index.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { loadModel, type Model } from '../engine/index.ts';
import { defaultModel, sharedSpamModel } from '../scripts/lib/models.ts';
import { callHttp, type GatewayResponse, type ResponseVerifier } from '../scripts/lib/gateway.ts';
import { fastText, inputFromBody, parsedInput } from '../canister/rest.ts';

const LONG_BODY_BYTES = 8192;
import { textPrefix, type TextRef } from '../canister/predict.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const json = (r: GatewayResponse) => JSON.parse(new TextDecoder().decode(r.body));

let canister: Canister;
let actor: DecentAIService;
let model: Model;
let name: string;

const HEADERS: [string, string][] = [['host', 'localhost:8080'], ['content-type', 'application/json'], ['accept', '*/*']];
// Every answer is checked as the IC's HTTP gateway checks it (certification v2, the host's root key).
let verifier: ResponseVerifier;
const call = (method: string, url: string, body = '') => callHttp(actor, { method, url, headers: HEADERS, body: enc(body) }, verifier);
const last = () => lastCall(actor as never)!.instructions;

beforeAll(async () => {
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  canister = await host.install(wasm);
  const replica = new IcHttpInterface(host, newReplicaKeys(), { wallClock: false });
  await replica.refreshDataCertificates();
  verifier = { rootKey: replica.rootKey, canisterId: canister.id.toUint8Array(), nowNs: () => host.timeNs };
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  actor = createActor<DecentAIService>(canister, idlFactory);
  const source = sharedSpamModel() ?? defaultModel();
  name = source.name;
  model = loadModel(source.bytes);
  await uploadModel(admin, source.name, source.bytes, { verify: false });
});

describe('REST on the host', () => {
  it('GET /models and /models/{name}', async () => {
    const list = await call('GET', '/models');
    expect(list.status).toBe(200);
    expect(list.headers).toContainEqual(['content-type', 'application/json']);
    expect(json(list).models.map((m: { name: string }) => m.name)).toEqual([name]);
    const one = await call('GET', `/models/${name}`);
    expect(json(one)).toMatchObject({ model: { name, version: 1, active: true, labels: [...model.labels], input_kind: 'tokens' }, versions: [{ version: 1 }] });
  });

  it('predicts text, texts and tokens exactly like the engine', async () => {
    const r = await call('POST', `/models/${name}/predict`, '{"text":"check out my channel"}');
    expect(r.status).toBe(200);
    const body = json(r);
    const want = model.predictText('check out my channel');
    expect(body).toMatchObject({ model: name, version: 1, predictions: [{ label: model.labels[model.argmax(want)] }] });
    expect(body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.instructions).toBeGreaterThan(0);
    expect(model.labels.map((l) => Math.fround(body.predictions[0].scores[l]))).toEqual(Array.from(want));
    const texts = ['hello', 'FREE money!!! click now', 'ünïcödé ΑΣ 😀'];
    const b = json(await call('POST', `/models/${name}/predict`, JSON.stringify({ texts })));
    expect(b.predictions.map((p: { scores: Record<string, number> }) => model.labels.map((l) => Math.fround(p.scores[l])))).toEqual(
      texts.map((t) => Array.from(model.predictText(t))),
    );
    const ids = Array.from(model.tokenize('check out my channel'));
    const t = json(await call('POST', `/models/${name}/predict`, JSON.stringify({ tokens: ids })));
    expect(model.labels.map((l) => Math.fround(t.predictions[0].scores[l]))).toEqual(Array.from(model.predictTokens(ids)));
  });

  it('?verified=true answers through http_request_update with the same prediction', async () => {
    const q = await call('POST', `/models/${name}/predict`, '{"text":"win a prize"}');
    const u = await call('POST', `/models/${name}/predict?verified=true`, '{"text":"win a prize"}');
    expect(q.upgraded).toBe(false);
    expect(u.upgraded).toBe(true);
    expect({ ...json(u), instructions: 0, verified: 'x' }).toEqual({ ...json(q), instructions: 0, verified: 'x' });
    expect([json(q).verified, json(u).verified]).toEqual([false, true]);
    expect(u.headers).toContainEqual(['x-decentai-verified', 'true']);
    expect(q.headers.find(([k]) => k === 'x-decentai-verified')).toBeUndefined();
    const one = await call('POST', `/models/${name}/predict?verified=1`, '{"text":"win a prize"}');
    expect([one.upgraded, json(one).verified]).toEqual([true, true]);
  });

  it('answers errors as JSON with the right status', async () => {
    const cases: [string, string, string, number][] = [
      ['POST', `/models/${name}/predict`, '{"text":', 400],
      ['POST', `/models/${name}/predict`, 'not json', 400],
      ['POST', `/models/${name}/predict`, '{"text":"a"} trailing', 400],
      ['POST', `/models/${name}/predict`, '{}', 400],
      ['POST', `/models/${name}/predict`, '{"text":1}', 400],
      ['POST', `/models/${name}/predict`, '{"text":"a","tokens":[1]}', 400],
      ['POST', `/models/${name}/predict`, '{"tokens":[99999999]}', 400],
      ['POST', `/models/${name}/predict`, '{"input":[1.5,2,3]}', 400], // token ids as an int32 tensor: 1.5 is not one
      ['POST', `/models/${name}/predict`, JSON.stringify({ texts: Array(65).fill('a') }), 413],
      ['POST', '/models/nope/predict', '{"text":"a"}', 404],
      ['GET', '/models/nope', '', 404],
      ['GET', '/nowhere', '', 404],
      ['GET', `/models/${name}/predict/more`, '', 404],
      ['GET', `/models/${name}/predict`, '', 405],
      ['DELETE', '/models', '', 405],
      ['POST', `/models/${name}`, '{}', 405],
      ['POST', `/models/${name}/predict`, JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 10) }), 413],
    ];
    for (const [method, url, body, status] of cases) {
      const r = await call(method, url, body);
      expect([method, url, body.slice(0, 40), r.status]).toEqual([method, url, body.slice(0, 40), status]);
      const e = json(r);
      expect(e.status).toBe(status);
      expect(typeof e.error.code).toBe('string');
      expect(typeof e.error.message).toBe('string');
    }
  });

  it('a 64 KB body and a 10k-word text answer within bounds, costing no more than a short body', async () => {
    const url = `/models/${name}/predict`;
    const short = JSON.stringify({ text: 'check out my channel ' + 'lorem ipsum dolor sit amet '.repeat(3) });
    const long = JSON.stringify({ text: 'check out my channel ' + 'lorem ipsum dolor sit amet '.repeat(2500) });
    expect(short.length).toBeLessThan(120);
    expect(long.length).toBeGreaterThan(64 * 1024);
    const a = await call('POST', url, short);
    const shortCost = last();
    const b = await call('POST', url, long);
    const longCost = last();
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(json(b).predictions).toEqual(json(a).predictions);
    console.log(`REST predict: ${short.length} B body ${shortCost} instructions, ${long.length} B body ${longCost} (×${(Number(longCost) / Number(shortCost)).toFixed(3)})`);
    // Past the words read, a body costs ~11 instructions a byte (the argument's copy, one native scan
    // for the string's closing quote): this guards against anything more growing with the text.
    expect(Number(longCost - shortCost)).toBeLessThan(15 * long.length);
    const words = JSON.stringify({ text: Array.from({ length: 10_000 }, (_, i) => `w${i % 97}ünï`).join(' ') });
    const w = await call('POST', url, words);
    expect(w.status).toBe(200);
    expect(model.labels.map((l) => Math.fround(json(w).predictions[0].scores[l]))).toEqual(Array.from(model.predictText(JSON.parse(words).text)));
    expect(last()).toBeLessThan(50_000_000n);
    await call('POST', url, '{"text":"check out my channel"}');
    console.log(`REST predict, short text: ${last()} instructions`);
  });
});

describe('REST body reader (Node)', () => {
  const seq = 20;
  const m = loadModel((sharedSpamModel() ?? defaultModel()).bytes);
  const tokens = (s: string) => Array.from(m.tokenize(s, new Int32Array(seq)));
  const text = (ref: TextRef) => textPrefix(ref, seq);
  const pieces = fc.constantFrom('word', 'Free', ' ', '\n', '"', '\\', 'é', '😀', 'ΑΣ', '.', "it's", ',', '\u2028', '/');
  const texts = fc.array(pieces, { minLength: 0, maxLength: 60 }).map((a) => a.join(''));
  it('reads {"text": …} like JSON.parse, on the fast path and off it', () => {
    fc.assert(
      fc.property(texts, fc.nat(3), fc.boolean(), (s, spaces, pad) => {
        const ws = ' '.repeat(spaces);
        const filler = pad ? ' filler'.repeat(LONG_BODY_BYTES / 7 + 10) : '';
        const full = s + filler;
        const body = enc(`${ws}{${ws}"text"${ws}:${ws}${JSON.stringify(full)}${ws}}${ws}`);
        const input = inputFromBody(body);
        if (!('text' in input)) throw new Error('not a text');
        expect(tokens(text(input.text))).toEqual(tokens(full));
      }),
      { numRuns: 500 },
    );
  });
  it('fuzz: the fast path and the general parser give identical results on 10,000 random bodies, small and large', () => {
    // What a body reads as: the input (texts as the prefix the model reads, or the error that gives) or the error.
    const outcome = (read: (b: Uint8Array) => unknown, body: Uint8Array): unknown => {
      const settle = (f: () => unknown) => {
        try {
          return f();
        } catch (e) {
          return { error: (e as { code?: string }).code ?? 'thrown', message: (e as Error).message };
        }
      };
      return settle(() => {
        const input = read(body) as Record<string, unknown>;
        if ('text' in input) return { text: settle(() => text(input.text as TextRef)) };
        if ('texts' in input) return { texts: (input.texts as TextRef[]).map((t) => settle(() => text(t))) };
        return input;
      });
    };
    const str = fc.array(fc.constantFrom('word', ' ', 'Free', '\\"', '\\\\', '\\n', '\\u00e9', '\\u12', '\\x', '"', 'é', '\u0000', '\\'), { maxLength: 12 }).map((a) => a.join(''));
    const big = fc.constantFrom('', '', '', ' filler'.repeat(LONG_BODY_BYTES / 7 + 10), 'x '.repeat(12_000));
    const value = fc.oneof(
      fc.tuple(str, big, str).map(([a, f, c]) => `"${a}${f}${c}"`),
      fc.constantFrom('[1,2]', '[]', '["a","b"]', '1e400', '-0', '12345678901234567890', '1.5', 'null', 'true', '{}', '[[1],[2]]', '01', '"'),
    );
    const ws = fc.constantFrom('', ' ', '\n\t ', '  ');
    const key = fc.constantFrom('"text"', '"texts"', '"tokens"', '"input"', '"other"', '"text" ', '"te\\u0078t"', 'text');
    const member = fc.tuple(ws, key, ws, value, ws).map(([a, k, b, v, c]) => `${a}${k}${b}:${b}${v}${c}`);
    const tail = fc.constantFrom('', '', '', 'x', ',', '}', ' "tail"');
    const general = fc.tuple(ws, fc.array(member, { minLength: 0, maxLength: 3 }), ws, tail).map(([a, members, b, t]) => `${a}{${members.join(',')}}${b}${t}`);
    // The fast path's own shape, {"text": "…"}, with the same pieces (quotes and escapes included).
    const single = fc.tuple(ws, str, big, str, ws, tail).map(([a, x, f, y, b, t]) => `${a}{${a}"text"${b}:${a}"${x}${f}${y}"${b}}${a}${t}`);
    const body = fc.oneof(general, single).map(enc);
    let fastTaken = 0;
    let large = 0;
    fc.assert(
      fc.property(body, (b) => {
        if (fastText(b) !== null) fastTaken++;
        if (b.length >= LONG_BODY_BYTES) large++;
        expect(outcome(inputFromBody, b)).toEqual(outcome(parsedInput, b));
      }),
      { numRuns: 10_000, seed: 10 },
    );
    expect(fastTaken).toBeGreaterThan(300);
    expect(large).toBeGreaterThan(1000);
  }, 60_000);

  it('one semantics for every size: duplicate keys, text with texts, trailing bytes, numbers of any length, unknown fields', () => {
    const pad = 'x '.repeat(LONG_BODY_BYTES);
    for (const filler of ['', pad]) {
      const cases: [string, RegExp][] = [
        [`{"text":"a ${filler}","text":"b"}`, /duplicate key "text"/],
        [`{"text":"a ${filler}","texts":["b"]}`, /exactly one/],
        [`{"text":"a ${filler}"} x`, /trailing characters/],
        [`{"text":"a ${filler}"`, /bad JSON/],
        [`{"text":"a ${filler}","verified":true}`, /unknown field "verified"/],
        [`{"tokens":[${'1'.repeat(70_000)}],"text":"${filler}"}`, /not finite/],
      ];
      for (const [b, message] of cases) expect(() => inputFromBody(enc(b)), b.slice(0, 40)).toThrow(message);
    }
    // A number of 70,000 digits parses (it is finite) or is refused with a 400 code, never an internal error.
    expect(JSON.stringify(inputFromBody(enc(`{"input":[0.${'1'.repeat(70_000)}]}`)))).toContain('[0.1111111111111111]');
    expect(() => inputFromBody(enc(`{"input":[${'9'.repeat(70_000)}]}`))).toThrow(expect.objectContaining({ code: 'bad_input' }));
    expect(JSON.stringify(inputFromBody(enc('{"tokens":[1,-2,123456789012345]}')))).toContain('[1,-2,123456789012345]');
    // Invalid UTF-8 in the words read: 400 bad_input, short or long; a real U+FFFD is fine.
    for (const filler of ['', 'x '.repeat(LONG_BODY_BYTES)]) {
      const bad = new Uint8Array([...enc('{"text":"caf'), 0xe9, ...enc(` ${filler}"}`)]);
      const input = inputFromBody(bad) as { text: TextRef };
      expect(() => text(input.text)).toThrow(expect.objectContaining({ code: 'bad_input', message: expect.stringMatching(/not valid UTF-8/) }));
      expect(text((inputFromBody(enc(`{"text":"caf\ufffd ${filler}"}`)) as { text: TextRef }).text)).toMatch(/^caf\ufffd/);
    }
  });

  it('sends a body whose text ends early to the full parser', () => {
    for (const text of ['a b', 'word '.repeat(30)]) {
      const body = enc(JSON.stringify({ text, tokens: [1] }));
      expect(fastText(body)).toBeNull();
      expect(() => inputFromBody(body)).toThrow(/exactly one/);
    }
    const long = enc(JSON.stringify({ text: 'a b', tokens: [1] }) + ' '.repeat(LONG_BODY_BYTES));
    expect(fastText(long)).toBeNull();
    expect(() => inputFromBody(long)).toThrow(/exactly one/);
  });
});
