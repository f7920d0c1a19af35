// engine/hf-tokenizer.ts's BPE model and ByteLevel pre-/post-processor against the Hugging Face
// `tokenizers` library itself (the Rust crate, prebuilt for Node: npm @anush008/tokenizers).
// No BPE tokenizer.json is in ../shared, so the library trains two here (its BpeTrainer with its
// defaults, on SpamAssassin mail heads): a byte-level one (GPT-2 style) and a character-level
// one (Whitespace pre-tokenizer); the variants are derived from them (full byte alphabet with
// added tokens and offset trimming, a template, unk_token with and without fuse_unk, a
// continuing-subword prefix, an end-of-word suffix, byte_fallback, ignore_merges). Each is
// loaded by the library from the same JSON the engine reads: ids, tokens and offsets must be
// identical on the shared corpus (random Unicode, edge cases, a third of the mail heads).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '@anush008/tokenizers';
import { HfTokenizer } from '../engine/hf-tokenizer.ts';
import { tokenizerTexts } from './hf-tokenizer-corpus.ts';
import { byteAlphabet, trainBpe } from './hf-tokenizer-train.ts';

type Config = Record<string, unknown>;
interface BpeConfig {
  vocab: Record<string, number>;
  merges: [string, string][];
  [key: string]: unknown;
}

const folder = mkdtempSync(join(tmpdir(), 'decentai-bpe-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const train = (byteLevel: boolean): Config => trainBpe(folder, byteLevel);

const model = (json: Config): BpeConfig => json.model as BpeConfig;
const nextId = (vocab: Record<string, number>): number => Object.values(vocab).reduce((a, b) => Math.max(a, b), -1) + 1;
const addToken = (vocab: Record<string, number>, token: string, id = nextId(vocab)): number => {
  if (token in vocab) return id;
  vocab[token] = id;
  return id + 1;
};

/** Rewrites a character-level BPE for a continuing-subword prefix or an end-of-word suffix: every token and merge in both forms. */
function withAffix(json: Config, affix: { prefix?: string; suffix?: string }): void {
  const m = model(json);
  const vocab: Record<string, number> = {};
  const merges: [string, string][] = [];
  const inner = (t: string): string => (affix.prefix ?? '') + t;
  const last = (t: string): string => t + (affix.suffix ?? '');
  let id = 0;
  for (const token of Object.keys(m.vocab)) {
    id = addToken(vocab, token, id);
    id = addToken(vocab, affix.prefix !== undefined ? inner(token) : last(token), id);
  }
  for (const [a, b] of m.merges) {
    if (affix.prefix !== undefined) {
      merges.push([a, inner(b)], [inner(a), inner(b)]);
    } else {
      merges.push([a, b], [a, last(b)]);
    }
  }
  m.vocab = vocab;
  m.merges = merges;
  if (affix.prefix !== undefined) m.continuing_subword_prefix = affix.prefix;
  if (affix.suffix !== undefined) m.end_of_word_suffix = affix.suffix;
}

interface Variant {
  name: string;
  base: 'byte-level' | 'chars';
  change: (json: Config) => void;
}

const VARIANTS: Variant[] = [
  { name: 'byte-level BPE as trained (bytes never seen in training are dropped, as the library drops them)', base: 'byte-level', change: () => {} },
  {
    name: 'byte-level BPE, GPT-2 style: full byte alphabet, add_prefix_space, ByteLevel post-processor trimming offsets, an added token',
    base: 'byte-level',
    change: (json) => {
      let id = nextId(model(json).vocab);
      for (const ch of byteAlphabet()) id = addToken(model(json).vocab, ch, id);
      json.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
      json.post_processor = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
      json.added_tokens = [{ id, content: '[SEP]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
    },
  },
  {
    name: 'byte-level BPE, Llama 3 style: NFC, post-processor Sequence [ByteLevel, TemplateProcessing]',
    base: 'byte-level',
    change: (json) => {
      let id = nextId(model(json).vocab);
      for (const ch of byteAlphabet()) id = addToken(model(json).vocab, ch, id);
      const bos = id;
      json.normalizer = { type: 'NFC' };
      json.added_tokens = [{ id: bos, content: '[CLS]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
      json.post_processor = {
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
          { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }], special_tokens: { '[CLS]': { id: '[CLS]', ids: [bos], tokens: ['[CLS]'] } } },
        ],
      };
    },
  },
  { name: 'byte-level BPE without the regex split (merges across spaces)', base: 'byte-level', change: (json) => (json.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: false }) },
  { name: 'character BPE, no unk_token (unknown characters dropped)', base: 'chars', change: () => {} },
  { name: 'character BPE, unk_token, fuse_unk false', base: 'chars', change: (json) => { addToken(model(json).vocab, '[UNK]'); model(json).unk_token = '[UNK]'; } },
  { name: 'character BPE, unk_token, fuse_unk true, BertNormalizer', base: 'chars', change: (json) => { addToken(model(json).vocab, '[UNK]'); model(json).unk_token = '[UNK]'; model(json).fuse_unk = true; json.normalizer = { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true }; } },
  { name: 'character BPE, continuing_subword_prefix ##', base: 'chars', change: (json) => { withAffix(json, { prefix: '##' }); addToken(model(json).vocab, '[UNK]'); model(json).unk_token = '[UNK]'; } },
  { name: 'character BPE, end_of_word_suffix </w>', base: 'chars', change: (json) => { withAffix(json, { suffix: '</w>' }); addToken(model(json).vocab, '[UNK]'); model(json).unk_token = '[UNK]'; model(json).fuse_unk = true; } },
  {
    name: 'character BPE, byte_fallback (ASCII and a few lead bytes as <0xNN>, the rest unk_token)',
    base: 'chars',
    change: (json) => {
      const m = model(json);
      for (let b = 0; b < 256; b++) if (b < 0x80 || b === 0xc3 || b === 0xa9 || b === 0xe4) addToken(m.vocab, `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      addToken(m.vocab, '[UNK]');
      m.unk_token = '[UNK]';
      m.byte_fallback = true;
      m.fuse_unk = true;
    },
  },
  { name: 'character BPE, ignore_merges (whole words in the vocabulary taken as they are)', base: 'chars', change: (json) => { model(json).ignore_merges = true; } },
];

describe('Hugging Face BPE against the Rust library (@anush008/tokenizers), on tokenizers it trains', () => {
  const all = tokenizerTexts();
  const others = all.slice(-4014);
  const mails = all.slice(0, all.length - 4014);
  const bases = new Map<string, Config>();
  const load = (base: Variant['base']): Config => {
    let json = bases.get(base);
    if (!json) {
      json = train(base === 'byte-level');
      bases.set(base, json);
    }
    return structuredClone(json);
  };

  VARIANTS.forEach((variant, index) => {
    it(variant.name, async () => {
      const json = load(variant.base);
      variant.change(json);
      const texts = [...others, ...mails.filter((_, k) => k % 3 === index % 3)];
      const reference = Tokenizer.fromString(JSON.stringify(json));
      const encodings = await reference.encodeBatch(texts, { addSpecialTokens: true });
      const ours = new HfTokenizer(json);
      const mismatches: string[] = [];
      let tokens = 0;
      texts.forEach((text, k) => {
        const expected = { ids: encodings[k].getIds(), tokens: encodings[k].getTokens(), offsets: encodings[k].getOffsets() };
        const actual = ours.encode(text, true);
        tokens += expected.ids.length;
        if (JSON.stringify(actual) !== JSON.stringify(expected) && mismatches.length < 3) {
          mismatches.push(`${JSON.stringify(text.slice(0, 80))}: ${JSON.stringify(actual).slice(0, 400)} vs ${JSON.stringify(expected).slice(0, 400)}`);
        }
      });
      expect(mismatches).toEqual([]);
      expect(texts.length).toBeGreaterThanOrEqual(6000);
      expect(tokens).toBeGreaterThan(texts.length); // the trained vocabulary tokenizes, not an empty model
    }, 120_000);
  });

  it('encodeIds (the bounded hot path) gives the first ids of the full encoding, with and without the regex split', () => {
    for (const variant of [VARIANTS[1], VARIANTS[3], VARIANTS[7]]) {
      const json = load(variant.base);
      variant.change(json);
      const ours = new HfTokenizer(json, { noTruncation: true });
      const out = new Int32Array(64);
      for (const text of mails.slice(0, 300)) {
        const full = ours.encode(text, true).ids;
        for (const limit of [3, 16, 64]) {
          const count = ours.encodeIds(text, out, limit, true);
          const specials = ours.specialCount;
          const content = full.slice(specials, full.length).slice(0, limit - specials);
          expect(Array.from(out.subarray(0, count))).toEqual([...full.slice(0, specials), ...content]);
        }
      }
    }
  });
});
