// The canister's hand-written pieces against references, in Node (no wasm):
// Candid codec vs @dfinity/candid, SHA-256 vs node:crypto, UTF-8 vs
// TextEncoder/TextDecoder, and the text-prefix cut vs the engine's tokenizer.

import { createHash } from 'node:crypto';
import { IDL } from '@dfinity/candid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader } from '../canister/candid-wire.ts';
import { readInput } from '../canister/methods.ts';
import { prefixEnd, textPrefix, type TextRef } from '../canister/predict.ts';
import { sha256, sha256Blocks, sha256Finish, sha256Init, toHex } from '../canister/sha256.ts';
import { makeTypes } from '../canister/types.ts';
import { decodeUtf8, encodeJsonUtf8, encodeUtf8, useCandidEncoder } from '../canister/utf8.ts';
import { loadModel } from '../engine/index.ts';
import * as M from '../canister/methods.ts';
import * as W from '../canister/wire.ts';
import { newRegistry, nodeActor } from './canister-helpers.ts';
import { defaultModel } from '../scripts/lib/models.ts';

const t = makeTypes(IDL);
const defaultBytes = defaultModel().bytes;
const model = loadModel(defaultBytes);

describe('sha256', () => {
  it('matches node:crypto for every length up to 300 and random data', () => {
    for (let n = 0; n < 300; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
      expect(toHex(sha256(b))).toBe(createHash('sha256').update(b).digest('hex'));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (b) => toHex(sha256(b)) === createHash('sha256').update(b).digest('hex')),
    );
  });
  it('resumes across slices', () => {
    const b = new Uint8Array(10_000).map((_, i) => (i * 7) & 255);
    const h = sha256Init();
    sha256Blocks(h, b, 0, 4096);
    sha256Blocks(h, b, 4096, 9984);
    expect(toHex(sha256Finish(h, b.subarray(9984), b.length))).toBe(createHash('sha256').update(b).digest('hex'));
  });
});

describe('utf8', () => {
  it('encodes and decodes like TextEncoder/TextDecoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
        const e = encodeUtf8(s);
        expect(Array.from(e)).toEqual(Array.from(new TextEncoder().encode(s)));
        expect(decodeUtf8(e)).toBe(s);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (s) => {
        expect(Array.from(encodeUtf8(s))).toEqual(Array.from(new TextEncoder().encode(s)));
      }),
    );
  });
  it('replaces ill-formed bytes like TextDecoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(decodeUtf8(b)).toBe(new TextDecoder().decode(b));
      }),
    );
    const long = encodeUtf8('é'.repeat(10_000) + 'x'.repeat(10_000));
    expect(decodeUtf8(long)).toBe(new TextDecoder().decode(long));
  });
});

/**
 * Azle's candidEncode as far as a text value goes: candid_parser's text literal (raw characters
 * but `"` and `\\`; escapes \n \r \t \\ \" \' \HH (a byte) \u{…}; any other escape is refused),
 * the bytes then encoded by @dfinity/candid.
 */
function candidTextEncoder(calls: { n: number }): (candid: string) => Uint8Array {
  return (candid) => {
    calls.n++;
    if (!candid.startsWith('("') || !candid.endsWith('")')) throw new Error('not one text value');
    const body = candid.slice(2, -2);
    const bytes: number[] = [];
    const named: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, '"': 34, "'": 39 };
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c === '"') throw new Error('unescaped quote');
      if (c !== '\\') {
        const cp = body.codePointAt(i)!;
        bytes.push(...new TextEncoder().encode(String.fromCodePoint(cp)));
        if (cp > 0xffff) i++;
        continue;
      }
      const e = body[++i];
      if (e in named) bytes.push(named[e]);
      else if (/^[0-9a-fA-F]{2}$/.test(body.slice(i, i + 2))) bytes.push(parseInt(body.slice(i, ++i + 1), 16));
      else if (e === 'u' && body[i + 1] === '{') {
        const end = body.indexOf('}', i);
        bytes.push(...new TextEncoder().encode(String.fromCodePoint(parseInt(body.slice(i + 2, end), 16))));
        i = end;
      } else throw new Error(`Unknown escape character ${e}`);
    }
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    return new Uint8Array(IDL.encode([IDL.Text], [text]));
  };
}

describe('utf8 through a native Candid encoder', () => {
  it('encodes like TextEncoder, natively where the text allows it, and falls back where the parser refuses', () => {
    const calls = { n: 0 };
    useCandidEncoder(candidTextEncoder(calls));
    try {
      const controls = fc.constantFrom('\u0000', '\b', '\f', '\n', '\t', '\u001f', '\ud800', '\udc00', '"', '\\', 'bf', 'fa', '0');
      const pieces = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), controls);
      const texts = fc.array(pieces, { maxLength: 12 }).map((a) => a.join(''));
      fc.assert(
        fc.property(texts, (s) => {
          expect(Array.from(encodeUtf8(s))).toEqual(Array.from(new TextEncoder().encode(s)));
          // a JSON text (as the stored records are): quotes and backslashes throughout, escapes of every kind inside
          const json = JSON.stringify({ text: s, list: [s, 1] });
          expect(Array.from(encodeJsonUtf8(json))).toEqual(Array.from(new TextEncoder().encode(json)));
        }),
        { numRuns: 2000 },
      );
      calls.n = 0;
      const record = JSON.stringify({ name: 'spam', labels: ['ham', 'spam\b', 'é"\\'], sha256: 'ab'.repeat(32) });
      expect(Array.from(encodeJsonUtf8(record))).toEqual(Array.from(new TextEncoder().encode(record)));
      expect(Array.from(encodeUtf8('a text of more than sixteen characters'))).toEqual(Array.from(new TextEncoder().encode('a text of more than sixteen characters')));
      expect(calls.n).toBe(2);
      encodeUtf8('short');
      encodeUtf8('with a "quote" of more than sixteen characters');
      expect(calls.n).toBe(2); // short texts and texts JSON would escape stay in the interpreted loop
    } finally {
      useCandidEncoder(undefined);
    }
  });
});

describe('text prefix', () => {
  const seq = model.inputShape[0];
  const tokens = (s: string) => Array.from(model.tokenize(s, new Int32Array(seq)));
  const pieces = fc.constantFrom(
    'hello', 'World', 'FREE', 'money', "don't", '_x', '42', ' ', '  ', '.', ':', ',', '!', '\n', '\t', 'é', 'Éa', 'ΑΣ', 'Σ',
    'ς', '—', '😀', 'İstanbul', 'straße', '日本語', '\u0301', 'a\u0301', '"', '\\', '/', '^', '`', 'Ⅻ', 'ǅ', '½', '٣',
  );
  const texts = fc.array(pieces, { maxLength: 80 }).map((a) => a.join(''));
  it('raw UTF-8: the engine reads the same tokens from the prefix', () => {
    fc.assert(
      fc.property(texts, (s) => {
        const b = encodeUtf8(s);
        const ref: TextRef = { bytes: b, start: 0, end: b.length, json: false };
        expect(tokens(textPrefix(ref, seq))).toEqual(tokens(s));
      }),
      { numRuns: 2000 },
    );
  });
  it('JSON string: escapes decode like JSON.parse and the tokens are the same', () => {
    fc.assert(
      fc.property(texts, fc.boolean(), (s, asciiOnly) => {
        let lit = JSON.stringify(s);
        if (asciiOnly) lit = lit.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
        const b = encodeUtf8(lit);
        const ref: TextRef = { bytes: b, start: 1, end: b.length - 1, json: true };
        expect(textPrefix(ref, 1_000_000)).toBe(s);
        expect(tokens(textPrefix(ref, seq))).toEqual(tokens(s));
      }),
      { numRuns: 2000 },
    );
  });
  it('long texts (window path) predict exactly like the whole text, raw and as JSON', async () => {
    const { reg } = newRegistry();
    const a = nodeActor(reg);
    const up = await a.begin_upload('m', BigInt(defaultBytes.length), toHex(sha256(defaultBytes)));
    if (!('ok' in up)) throw new Error('begin');
    await a.append_chunk(up.ok.upload_id, 0n, defaultBytes);
    await a.commit_upload(up.ok.upload_id);
    const long = fc.tuple(fc.array(pieces, { minLength: 1, maxLength: 400 }), fc.nat(1500)).map(([p, pad]) => p.join('') + ' x'.repeat(pad));
    await fc.assert(
      fc.asyncProperty(long, async (s) => {
        const want = Array.from(model.predictText(s));
        const p = (await a.predict('m', { text: encodeUtf8(s) })) as any;
        expect(Array.from(p.ok.predictions[0].scores)).toEqual(want);
        const res = await a.http_request({ method: 'POST', url: '/models/m/predict', headers: [], body: encodeUtf8(JSON.stringify({ text: s })), certificate_version: [] });
        const body = JSON.parse(new TextDecoder().decode(new Uint8Array(res.body)));
        expect(model.labels.map((l) => Math.fround(body.predictions[0].scores[l]))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
  it('long separator runs (jumped natively) and separator-only tails past the read limit: the same tokens', () => {
    const runs = fc.constantFrom(' '.repeat(50), '.'.repeat(30), ', '.repeat(20), '\n\n\n\n\t', ' .: '.repeat(9), '!!!!');
    const mixed = fc.array(fc.oneof(pieces, runs), { maxLength: 60 }).map((a) => a.join(''));
    fc.assert(
      fc.property(mixed, fc.constantFrom(0, 40_000), (s, tail) => {
        const text = s + ' '.repeat(tail);
        const b = encodeUtf8(text);
        expect(tokens(textPrefix({ bytes: b, start: 0, end: b.length, json: false }, seq))).toEqual(tokens(text));
        const lit = encodeUtf8(JSON.stringify(text));
        expect(tokens(textPrefix({ bytes: lit, start: 1, end: lit.length - 1, json: true }, seq))).toEqual(tokens(text));
      }),
      { numRuns: 500 },
    );
    // 1,048,000 spaces are the empty text; words past the first 32 KiB are refused, not searched for.
    const spaces = encodeUtf8(' '.repeat(1_048_000));
    expect(textPrefix({ bytes: spaces, start: 0, end: spaces.length, json: false }, seq)).toBe('');
    const late = encodeUtf8(' '.repeat(40_000) + 'hello');
    expect(() => textPrefix({ bytes: late, start: 0, end: late.length, json: false }, seq)).toThrow(/first 32768 bytes/);
  });

  it('stops early on a long text', () => {
    const s = 'word '.repeat(20_000);
    const b = encodeUtf8(s);
    expect(prefixEnd({ bytes: b, start: 0, end: b.length, json: false }, 20)).toBeLessThan(200);
  });
});

describe('candid wire', () => {
  it('decodes every Input variant encoded by @dfinity/candid', () => {
    const cases: [unknown, (v: any) => void][] = [
      [{ text: new TextEncoder().encode('héllo') }, (v) => expect(decodeUtf8(v.text.bytes)).toBe('héllo')],
      [{ texts: [new Uint8Array([65]), new Uint8Array([66, 67])] }, (v) => expect(v.texts.map((x: TextRef) => decodeUtf8(x.bytes))).toEqual(['A', 'BC'])],
      [{ tokens: [1, 2, -3] }, (v) => expect(v.tokens).toEqual([1, 2, -3])],
      [{ tokens_batch: [[1], [2, 3]] }, (v) => expect(v.tokensBatch).toEqual([[1], [2, 3]])],
      [{ vector: [0.5, -1.25] }, (v) => expect(v.vector).toEqual(Float32Array.from([0.5, -1.25]))], // vec float32: one native copy
      [{ vector_batch: [[0.5], []] }, (v) => expect(v.vectorBatch.map((x: ArrayLike<number>) => Array.from(x))).toEqual([[0.5], []])],
    ];
    for (const [input, check] of cases) {
      const arg = IDL.encode([IDL.Text, t.Input], ['m', input]);
      const r = new Reader(arg);
      expect(r.text(r.args[0], 'name')).toBe('m');
      check(readInput(r, r.args[1]));
      expect(r.pos).toBe(arg.length);
    }
  });
  it('the argument headers parsed at start-up are the ones @dfinity/candid writes', () => {
    const p = new Uint8Array(IDL.encode([IDL.Text, t.Input], ['', { tokens: [] }]));
    expect(Array.from(p.subarray(0, W.PREDICT_ARGS.length))).toEqual(Array.from(W.PREDICT_ARGS));
    expect(p.length).toBe(W.PREDICT_ARGS.length + 3);
    // methods.ts reads `text` straight from its variant index (3) on this header.
    const tp = new Uint8Array(IDL.encode([IDL.Text, t.Input], ['', { text: new Uint8Array([7]) }]));
    expect(Array.from(tp.subarray(W.PREDICT_ARGS.length))).toEqual([0, 3, 1, 7]);
    const h = new Uint8Array(IDL.encode([t.HttpRequest], [{ method: '', url: '', headers: [], body: [], certificate_version: [] }]));
    expect(Array.from(h.subarray(0, W.HTTP_ARGS.length))).toEqual(Array.from(W.HTTP_ARGS));
    expect(h.length).toBe(W.HTTP_ARGS.length + 5);
  });
  it('straight-written replies equal @dfinity/candid encodings', () => {
    const scores = new Float32Array([0.25, 0.75, 0.5, 0.5]);
    const mine = W.encodePredictOk(W.makeWire('m', 3, 'ab', ['x', 'ÿ']), scores, 2, 2, [1, 0], () => 123n);
    const ref = IDL.encode([t.PredictResult], [{ ok: {
      model: 'm', version: 3, sha256: 'ab', labels: ['x', 'ÿ'], instructions: 123n,
      predictions: [{ label: 'ÿ', scores: [0.25, 0.75] }, { label: 'x', scores: [0.5, 0.5] }],
    } }]);
    expect(Array.from(mine)).toEqual(Array.from(new Uint8Array(ref)));
    const body = new Uint8Array([1, 2, 3]);
    for (const upgrade of [false, true]) {
      const a = W.encodeHttpResponse(404, [['a', 'b']], body, upgrade);
      const b = IDL.encode([t.HttpResponse], [{ status_code: 404, headers: [['a', 'b']], body, upgrade: upgrade ? [true] : [] }]);
      expect(Array.from(a)).toEqual(Array.from(new Uint8Array(b)));
    }
  });
  it('every reply decodes with the .did types, errors included', async () => {
    const { reg } = newRegistry();
    const a = nodeActor(reg);
    const bytes = defaultBytes;
    const up = await a.begin_upload('m', BigInt(bytes.length), toHex(sha256(bytes)));
    if (!('ok' in up)) throw new Error(JSON.stringify(up));
    expect(await a.list_uploads()).toHaveLength(1);
    expect(await a.upload_status(up.ok.upload_id)).toMatchObject({ ok: { received: 0n } });
    await a.append_chunk(up.ok.upload_id, 0n, bytes);
    const c = await a.commit_upload(up.ok.upload_id);
    expect(c).toMatchObject({ ok: { name: 'm', version: 1, active: true, labels: ['ham', 'spam'], input_kind: 'tokens', verified: true, computed_sha256: [toHex(sha256(bytes))] } });
    expect(Array.from((c as any).ok.input_shape)).toEqual([20]);
    expect(await a.list_models()).toHaveLength(1);
    expect(await a.model_versions('m')).toHaveLength(1);
    expect(await a.model_info('m', [])).toMatchObject({ ok: { version: 1 } });
    expect(await a.model_info('m', [1])).toMatchObject({ ok: { version: 1 } });
    expect(await a.model_info('x', [])).toMatchObject({ err: { code: 'not_found' } });
    const slice = await a.read_model('m', 1, 10n, 20);
    expect(Array.from((slice as any).ok)).toEqual(Array.from(bytes.subarray(10, 30)));
    expect(await a.verify('m', 1)).toMatchObject({ ok: { done: true, verified: true, computed_sha256: [toHex(sha256(bytes))] } });
    const p = (await a.predict('m', { text: new TextEncoder().encode('check out my channel') })) as any;
    expect(Array.from(p.ok.predictions[0].scores)).toEqual(Array.from(model.predictText('check out my channel')));
    expect(await a.predict('nope', { tokens: [1] })).toMatchObject({ err: { code: 'not_found' } });
    expect(await a.delete_model('m', [1])).toMatchObject({ err: { code: 'conflict' } });
    expect(await a.abort_upload(99)).toMatchObject({ err: { code: 'not_found' } });
    expect(await a.activate('m', 1)).toMatchObject({ ok: { version: 1 } });
    expect(await a.delete_model('m', [])).toEqual({ ok: 1 });
    const bad = M.predict({ reg, isController: () => true, instructions: () => 0n }, new Uint8Array([1, 2, 3]));
    expect((IDL.decode([t.PredictResult], bad) as any[])[0].err.code).toBe('bad_argument');
  });
  it('reads http_request and skips headers; the reply decodes', async () => {
    const { reg } = newRegistry();
    const res = await nodeActor(reg).http_request({
      method: 'GET', url: '/nowhere', headers: [['a', 'b'], ['host', 'x'.repeat(1000)]], body: new Uint8Array(), certificate_version: [2],
    });
    expect(res.status_code).toBe(404);
    expect(JSON.parse(new TextDecoder().decode(new Uint8Array(res.body))).error.code).toBe('not_found');
    expect(res.upgrade).toEqual([]);
  });
  it('admin methods refuse a non-controller', async () => {
    const { reg } = newRegistry();
    const a = nodeActor(reg, { controller: false });
    const forbidden = { err: { code: 'forbidden' } };
    expect(await a.begin_upload('m', 10n, '0'.repeat(64))).toMatchObject(forbidden);
    expect(await a.append_chunk(1, 0n, new Uint8Array(4))).toMatchObject(forbidden);
    expect(await a.upload_status(1)).toMatchObject(forbidden);
    expect(await a.commit_upload(1)).toMatchObject(forbidden);
    expect(await a.abort_upload(1)).toMatchObject(forbidden);
    expect(await a.activate('m', 1)).toMatchObject(forbidden);
    expect(await a.delete_model('m', [])).toMatchObject(forbidden);
    expect(await a.list_uploads()).toEqual([]);
  });
});
