// The tokenizer components the two real tokenizer.json files do not use, against the Hugging
// Face `tokenizers` library itself (the Rust crate, prebuilt for Node: npm @anush008/tokenizers):
// each variant is one of the real files with one component swapped in (or a few, where one
// alone would change nothing), loaded by the library from the same JSON the engine reads; ids,
// tokens and offsets must be identical on the shared corpus (random Unicode, edge cases, and a
// third of the mail heads, a different third per variant), and the variant must tokenize at
// least one text differently from the file it came from (the swap took effect).

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@anush008/tokenizers';
import { HfTokenizer } from '../engine/hf-tokenizer.ts';
import { tokenizerTexts } from './hf-tokenizer-corpus.ts';

const MODELS = '../shared/models';
const BASES = { wordpiece: 'all-MiniLM-L6-v2-tokenizer', unigram: 'm2v-bge-base-64d-vq128' } as const;
type Base = keyof typeof BASES;
const present = Object.values(BASES).every((name) => existsSync(`${MODELS}/${name}/tokenizer.json`));
if (!present) console.warn(`hf-tokenizer component tests skipped: ${MODELS}/{${Object.values(BASES).join(',')}}/tokenizer.json not found`);

type Config = Record<string, unknown>;
interface Variant {
  name: string;
  base: Base;
  change: (json: Config) => void;
}

const BEHAVIORS = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];
const metaspace = (prepend_scheme: string, split: boolean): Config => ({ type: 'Metaspace', replacement: '\u2581', prepend_scheme, split });
/** The m2v file's normalizer with its last step (Strip both) replaced. */
const withLastNormalizer = (json: Config, last: Config | null): void => {
  const steps = [...((json.normalizer as Config).normalizers as Config[])];
  steps.pop();
  if (last) steps.push(last);
  json.normalizer = { type: 'Sequence', normalizers: steps };
};

const VARIANTS: Variant[] = [
  // normalizers, before the WordPiece file's BertPreTokenizer
  ...['NFC', 'NFD', 'NFKC', 'NFKD'].map((type): Variant => ({ name: `normalizer ${type}`, base: 'wordpiece', change: (json) => (json.normalizer = { type }) })),
  { name: 'normalizer Sequence [NFD, StripAccents, Lowercase]', base: 'wordpiece', change: (json) => (json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }] }) },
  { name: 'normalizer Sequence [NFKC, Lowercase]', base: 'wordpiece', change: (json) => (json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] }) },
  {
    name: 'normalizer Replace (String: longer, shorter, to nothing, emoji; then NFC)',
    base: 'wordpiece',
    change: (json) =>
      (json.normalizer = {
        type: 'Sequence',
        normalizers: [
          { type: 'Lowercase' },
          { type: 'Replace', pattern: { String: 'th' }, content: 'T' },
          { type: 'Replace', pattern: { String: 'e' }, content: '' },
          { type: 'Replace', pattern: { String: '\u{1f600}' }, content: ' smile ' },
          { type: 'Replace', pattern: { String: 'a' }, content: 'a\u0301' },
          { type: 'NFC' },
        ],
      }),
  },
  { name: 'normalizer Prepend', base: 'wordpiece', change: (json) => (json.normalizer = { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, { type: 'Prepend', prepend: '#' }] }) },
  // normalizers where whitespace shows (the Unigram file's Metaspace keeps it as ▁)
  { name: 'normalizer Strip (left only)', base: 'unigram', change: (json) => withLastNormalizer(json, { type: 'Strip', strip_left: true, strip_right: false }) },
  { name: 'normalizer Strip (right only)', base: 'unigram', change: (json) => withLastNormalizer(json, { type: 'Strip', strip_left: false, strip_right: true }) },
  {
    name: 'normalizer Replace (Regex \\s, \\s+ and " {2,}")',
    base: 'unigram',
    change: (json) =>
      (json.normalizer = {
        type: 'Sequence',
        normalizers: [{ type: 'Lowercase' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '\u2581' }, { type: 'Replace', pattern: { Regex: '\\s' }, content: '  ' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }],
      }),
  },
  { name: 'normalizer Prepend + Replace, no pre-tokenizer (sentencepiece style)', base: 'unigram', change: (json) => { json.normalizer = { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, { type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] }; json.pre_tokenizer = null; } },
  // pre-tokenizers, after the WordPiece file's BertNormalizer (or none: control characters reach them)
  { name: 'pre_tokenizer Whitespace', base: 'wordpiece', change: (json) => (json.pre_tokenizer = { type: 'Whitespace' }) },
  { name: 'pre_tokenizer Whitespace, no normalizer', base: 'wordpiece', change: (json) => { json.normalizer = null; json.pre_tokenizer = { type: 'Whitespace' }; } },
  { name: 'pre_tokenizer WhitespaceSplit, no normalizer', base: 'wordpiece', change: (json) => { json.normalizer = null; json.pre_tokenizer = { type: 'WhitespaceSplit' }; } },
  { name: 'pre_tokenizer Punctuation (default behavior), normalizer Lowercase', base: 'wordpiece', change: (json) => { json.normalizer = { type: 'Lowercase' }; json.pre_tokenizer = { type: 'Punctuation' }; } },
  ...BEHAVIORS.map((behavior): Variant => ({
    name: `pre_tokenizer Sequence [WhitespaceSplit, Punctuation ${behavior}], normalizer Lowercase`,
    base: 'wordpiece',
    change: (json) => {
      json.normalizer = { type: 'Lowercase' };
      json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior }] };
    },
  })),
  // Metaspace, before the Unigram model
  ...['first', 'always', 'never'].flatMap((scheme) => [true, false].map((split): Variant => ({ name: `pre_tokenizer Metaspace prepend_scheme ${scheme}, split ${split}`, base: 'unigram', change: (json) => (json.pre_tokenizer = metaspace(scheme, split)) }))),
  { name: 'pre_tokenizer Metaspace first, normalizer Lowercase (leading spaces kept)', base: 'unigram', change: (json) => { json.normalizer = { type: 'Lowercase' }; json.pre_tokenizer = metaspace('first', true); } },
  { name: 'pre_tokenizer Sequence [WhitespaceSplit, Metaspace first]', base: 'unigram', change: (json) => (json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, metaspace('first', true)] }) },
  { name: 'pre_tokenizer Sequence [Punctuation, Metaspace first, split false]', base: 'unigram', change: (json) => { json.normalizer = { type: 'Lowercase' }; json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Punctuation', behavior: 'Isolated' }, metaspace('first', false)] }; } },
  { name: 'pre_tokenizer Metaspace (older add_prefix_space, another replacement)', base: 'unigram', change: (json) => (json.pre_tokenizer = { type: 'Metaspace', replacement: '_', add_prefix_space: true }) },
  { name: 'normalizer NFKC + pre_tokenizer Whitespace before Unigram', base: 'unigram', change: (json) => { json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] }; json.pre_tokenizer = { type: 'Whitespace' }; } },
];

interface Encoded {
  ids: number[];
  tokens: string[];
  offsets: number[][];
}

async function referenceEncodings(json: Config, texts: string[]): Promise<Encoded[]> {
  const reference = Tokenizer.fromString(JSON.stringify(json));
  const encodings = await reference.encodeBatch(texts, { addSpecialTokens: true });
  return encodings.map((e) => ({ ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets() }));
}

describe.skipIf(!present)('Hugging Face tokenizer components against the Rust library (@anush008/tokenizers), on variants of the real files', () => {
  const all = present ? tokenizerTexts() : [];
  const mails = all.filter((_, k) => k < all.length - 4014);
  const others = all.slice(mails.length);
  const bases = new Map<Base, Config>();
  const baseIds = new Map<string, string[]>();
  const load = (base: Base): Config => {
    let json = bases.get(base);
    if (!json) {
      json = JSON.parse(readFileSync(`${MODELS}/${BASES[base]}/tokenizer.json`, 'utf8')) as Config;
      json.truncation = null; // every token compared
      json.padding = null;
      bases.set(base, json);
    }
    return structuredClone(json);
  };

  VARIANTS.forEach((variant, index) => {
    it(variant.name, async () => {
      const texts = [...others, ...mails.filter((_, k) => k % 3 === index % 3)];
      const json = load(variant.base);
      variant.change(json);
      const expected = await referenceEncodings(json, texts);
      const ours = new HfTokenizer(json);
      const mismatches: string[] = [];
      texts.forEach((text, k) => {
        const actual = ours.encode(text, true);
        if (JSON.stringify(actual) !== JSON.stringify(expected[k]) && mismatches.length < 3) {
          mismatches.push(`${JSON.stringify(text.slice(0, 80))}: ${JSON.stringify(actual).slice(0, 300)} vs ${JSON.stringify(expected[k]).slice(0, 300)}`);
        }
      });
      expect(mismatches).toEqual([]);
      expect(texts.length).toBeGreaterThanOrEqual(6000);
      // the swap took effect: the library itself tokenizes some text differently than with the unchanged file
      if (JSON.stringify(json) === JSON.stringify(load(variant.base))) return; // the file's own setting, in the matrix
      const key = `${variant.base}/${index % 3}`;
      let before = baseIds.get(key);
      if (!before) {
        before = (await referenceEncodings(load(variant.base), texts)).map((e) => JSON.stringify([e.ids, e.offsets]));
        baseIds.set(key, before);
      }
      expect(expected.some((e, k) => JSON.stringify([e.ids, e.offsets]) !== before[k])).toBe(true);
    }, 120_000);
  });
});
