// engine/hf-tokenizer.ts against the Hugging Face `tokenizers` library itself (the Rust
// crate, prebuilt for Node: npm @anush008/tokenizers), on the two real tokenizer.json files
// in ../shared/models: ids, tokens and offsets identical over ≥ 10,000 texts (SpamAssassin
// mails, seeded random Unicode, empty and whitespace-only texts).

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@anush008/tokenizers';
import { HfTokenizer, TokenizerConfigError } from '../engine/hf-tokenizer.ts';
import { tokenizerTexts } from './hf-tokenizer-corpus.ts';

const MODELS = '../shared/models';
const FILES = ['all-MiniLM-L6-v2-tokenizer', 'm2v-bge-base-64d-vq128'];
const present = FILES.every((name) => existsSync(`${MODELS}/${name}/tokenizer.json`));
if (!present) console.warn(`hf-tokenizer tests skipped: ${MODELS}/{${FILES.join(',')}}/tokenizer.json not found`);

describe.skipIf(!present)('Hugging Face tokenizers from tokenizer.json (reference: @anush008/tokenizers, the Rust library)', () => {
  const all = present ? tokenizerTexts() : [];

  it('uses at least 10,000 texts', () => {
    expect(all.length).toBeGreaterThanOrEqual(10_000);
  });

  for (const name of FILES) {
    it(`${name}: ids, tokens and offsets identical to the Rust library, with and without special tokens`, async () => {
      const path = `${MODELS}/${name}/tokenizer.json`;
      const reference = Tokenizer.fromFile(path);
      const ours = new HfTokenizer(JSON.parse(readFileSync(path, 'utf8')));
      let compared = 0;
      const mismatches: string[] = [];
      for (const special of [true, false]) {
        // batches of the reference (one native call each); the ordinary path for every other text
        const chunk = 500;
        for (let from = 0; from < all.length; from += chunk) {
          const batch = all.slice(from, from + chunk);
          if (!special && from % 2000 !== 0) continue; // without specials: a sample (same pipeline, no template)
          const encodings = await reference.encodeBatch(batch, { addSpecialTokens: special });
          batch.forEach((text, k) => {
            const expected = { ids: encodings[k].getIds(), tokens: encodings[k].getTokens(), offsets: encodings[k].getOffsets() };
            const actual = ours.encode(text, special);
            compared++;
            if (JSON.stringify(actual) !== JSON.stringify(expected) && mismatches.length < 3) {
              mismatches.push(`${JSON.stringify(text.slice(0, 80))}: ${JSON.stringify(actual).slice(0, 300)} vs ${JSON.stringify(expected).slice(0, 300)}`);
            }
          });
        }
      }
      expect(mismatches).toEqual([]);
      expect(compared).toBeGreaterThanOrEqual(10_000);
    }, 300_000);
  }

  it('encodeIds (the bounded hot path) gives the first ids of the full encoding and stops reading early', () => {
    for (const name of FILES) {
      const json = JSON.parse(readFileSync(`${MODELS}/${name}/tokenizer.json`, 'utf8'));
      const ours = new HfTokenizer(json, { noTruncation: true });
      const out = new Int32Array(64);
      for (const text of all.slice(0, 400)) {
        const full = ours.encode(text, true).ids;
        for (const limit of [3, 16, 64]) {
          const count = ours.encodeIds(text, out, limit, true);
          const specials = ours.specialCount;
          const content = full.slice(specials > 0 ? 1 : 0, full.length - (specials > 1 ? 1 : 0)).slice(0, limit - specials);
          const expected = specials > 0 ? [full[0], ...content, full[full.length - 1]] : content;
          expect(Array.from(out.subarray(0, count))).toEqual(expected);
        }
      }
    }
  });

  it('refuses unknown components with one line naming them', () => {
    const base = JSON.parse(readFileSync(`${MODELS}/all-MiniLM-L6-v2-tokenizer/tokenizer.json`, 'utf8'));
    const cases: [string, (json: Record<string, unknown>) => void, RegExp][] = [
      ['normalizer', (json) => (json.normalizer = { type: 'Precompiled', precompiled_charsmap: '' }), /unsupported normalizer 'Precompiled'/],
      ['pre-tokenizer', (json) => (json.pre_tokenizer = { type: 'Digits', individual_digits: true }), /unsupported pre_tokenizer 'Digits'/],
      ['model', (json) => (json.model = { type: 'WordLevel', vocab: {}, unk_token: '[UNK]' }), /unsupported model 'WordLevel'/],
      ['bpe dropout', (json) => (json.model = { type: 'BPE', vocab: { a: 0 }, merges: [], dropout: 0.1 }), /model BPE: dropout is not supported/],
      ['bpe merge', (json) => (json.model = { type: 'BPE', vocab: { a: 0, b: 1 }, merges: ['a b'] }), /model BPE: merges\[0\] \("a", "b"\) is not in the vocabulary/],
      ['bpe byte fallback with prefix', (json) => (json.model = { type: 'BPE', vocab: { a: 0 }, merges: [], byte_fallback: true, continuing_subword_prefix: '##' }), /byte_fallback with a continuing_subword_prefix/],
      ['post-processor', (json) => (json.post_processor = { type: 'RobertaProcessing' }), /unsupported post_processor 'RobertaProcessing'/],
      ['nested', (json) => (json.normalizer = { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, { type: 'Nmt' }] }), /normalizer\[1\].*'Nmt'/],
      ['metaspace', (json) => (json.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false }), /Metaspace: add_prefix_space false does not match prepend_scheme 'always'/],
    ];
    for (const [, change, message] of cases) {
      const json = structuredClone(base);
      change(json);
      let error: unknown = null;
      try {
        new HfTokenizer(json);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(TokenizerConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
