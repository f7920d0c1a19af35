// The canister's hand-written pieces against references, in Node (no wasm):
// Candid codec vs @dfinity/candid, SHA-256 vs node:crypto, UTF-8 vs
// TextEncoder/TextDecoder, and the text-prefix cut vs the engine's tokenizer.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IDL } from '@dfinity/candid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader } from '../canister/candid-wire.ts';
import { readInput } from '../canister/methods.ts';
import { prefixEnd, textPrefix, type TextRef } from '../canister/predict.ts';
import { sha256, sha256Blocks, sha256Finish, sha256Init, toHex } from '../canister/sha256.ts';
import { makeTypes } from '../canister/types.ts';
import { decodeUtf8, encodeUtf8 } from '../canister/utf8.ts';
import { loadModel } from '../engine/index.ts';
import { Registry } from '../canister/registry.ts';
import { appendChunkMethod, httpMethod, predictMethod } from '../canister/methods.ts';
import { memoryMap } from './canister-helpers.ts';

const t = makeTypes(IDL);
const model = loadModel(new Uint8Array(readFileSync('models/default/default.dcai')));

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
  it('stops early on a long text', () => {
    const s = 'word '.repeat(20_000);
    const b = encodeUtf8(s);
    expect(prefixEnd({ bytes: b, start: 0, end: b.length, json: false }, 20)).toBeLessThan(200);
  });
});

describe('candid wire', () => {
  const reg = new Registry(memoryMap(), memoryMap(), { now: () => 1n });
  it('decodes every Input variant encoded by @dfinity/candid', () => {
    const cases: [unknown, (v: any) => void][] = [
      [{ text: new TextEncoder().encode('héllo') }, (v) => expect(decodeUtf8(v.text.bytes)).toBe('héllo')],
      [{ texts: [new Uint8Array([65]), new Uint8Array([66, 67])] }, (v) => expect(v.texts.map((x: TextRef) => decodeUtf8(x.bytes))).toEqual(['A', 'BC'])],
      [{ tokens: [1, 2, -3] }, (v) => expect(v.tokens).toEqual([1, 2, -3])],
      [{ tokens_batch: [[1], [2, 3]] }, (v) => expect(v.tokensBatch).toEqual([[1], [2, 3]])],
      [{ vector: [0.5, -1.25] }, (v) => expect(v.vector).toEqual([0.5, -1.25])],
      [{ vector_batch: [[0.5], []] }, (v) => expect(v.vectorBatch).toEqual([[0.5], []])],
    ];
    for (const [input, check] of cases) {
      const arg = IDL.encode([IDL.Text, t.Input], ['m', input]);
      const r = new Reader(arg);
      expect(r.text(r.args[0], 'name')).toBe('m');
      check(readInput(r, r.args[1]));
      expect(r.pos).toBe(arg.length);
    }
  });
  it('answers errors as PredictResult that @dfinity/candid decodes', () => {
    const reply = predictMethod(reg, IDL.encode([IDL.Text, t.Input], ['nope', { tokens: [1] }]), () => 5n);
    const [v] = IDL.decode([t.PredictResult], reply) as any[];
    expect(v.err.code).toBe('not_found');
    const bad = predictMethod(reg, new Uint8Array([1, 2, 3]), () => 5n);
    expect((IDL.decode([t.PredictResult], bad) as any[])[0].err.code).toBe('bad_argument');
  });
  it('reads http_request and skips headers; the reply decodes', () => {
    const arg = IDL.encode([t.HttpRequest], [
      { method: 'GET', url: '/nowhere', headers: [['a', 'b'], ['host', 'x'.repeat(1000)]], body: new Uint8Array(), certificate_version: [2] },
    ]);
    const [res] = IDL.decode([t.HttpResponse], httpMethod(reg, arg, false, () => 0n)) as any[];
    expect(res.status_code).toBe(404);
    expect(JSON.parse(new TextDecoder().decode(new Uint8Array(res.body))).error.code).toBe('not_found');
    expect(res.upgrade).toEqual([]);
  });
  it('append_chunk refuses a non-controller and decodes', () => {
    const arg = IDL.encode([IDL.Nat32, IDL.Nat64, IDL.Vec(IDL.Nat8)], [1, 0n, new Uint8Array(4)]);
    const [v] = IDL.decode([t.UploadResult], appendChunkMethod(reg, arg, false)) as any[];
    expect(v.err.code).toBe('forbidden');
    const [w] = IDL.decode([t.UploadResult], appendChunkMethod(reg, arg, true)) as any[];
    expect(w.err.code).toBe('not_found');
  });
});
