// The converter's vocabulary table (engine/vocab-table.ts, FORMAT.md `tokenizer.vocab_table`):
// a tokenizer reading it gives the ids the object of the whole vocabulary gives, on the real
// spam vocabulary and on edge cases (collisions, duplicates, leading zeros, long and non-ASCII
// tokens, words that parseInt reads only in part); the reader refuses broken tables and keeps
// views of the file's bytes.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertFiles } from '../converter/files.ts';
import { writeModelFile, type MetadataEntry, type ModelFileParts } from '../converter/writer.ts';
import { ModelFormatError } from '../engine/errors.ts';
import { parseModelFile, VOCAB_REST_KEY, VOCAB_TABLE_KEY } from '../engine/format.ts';
import { loadModel } from '../engine/index.ts';
import { WordTokenizer } from '../engine/tokenizer.ts';
import { MIN_KEY, slotCountFor, tableLookupReference, tokenKey, vocabTableWords, VOCAB_TABLE_HEADER } from '../engine/vocab-table.ts';
import { agreementTexts } from '../bench/lib/texts.ts';
import { referenceIds } from './tokenizer-reference.ts';

const SPAM = '../shared/models/spam-detection/model.json';
const SEQUENCE = 12;

function f32(count: number): Uint8Array {
  return new Uint8Array(Float32Array.from({ length: count }, (_, i) => (i % 7) / 7).buffer);
}

/** A tokens model (Embedding → pooling → Dense) over `vocab`, with the table unless `table` is false. */
function modelParts(vocab: string[], options: { table?: boolean; lowercase?: boolean; patch?: (words: number[]) => void; rest?: string | null } = {}): ModelFileParts {
  const built = vocabTableWords(vocab, 0);
  const entries: MetadataEntry[] = [
    { key: 'general.name', type: 'string', value: 'vocab' },
    { key: 'model.labels', type: 'string[]', value: ['a', 'b'] },
    { key: 'input.kind', type: 'string', value: 'tokens' },
    { key: 'input.shape', type: 'u32[]', value: [SEQUENCE] },
    { key: 'tokenizer.kind', type: 'string', value: 'words' },
    { key: 'tokenizer.vocab', type: 'string', value: vocab.join('\n') },
    { key: 'tokenizer.pad_id', type: 'u32', value: 0 },
    { key: 'tokenizer.start_id', type: 'u32', value: 1 },
    { key: 'tokenizer.unknown_id', type: 'u32', value: 2 },
    { key: 'tokenizer.lowercase', type: 'bool', value: options.lowercase ?? true },
  ];
  if (options.table !== false) {
    if (options.rest !== null) entries.push({ key: VOCAB_REST_KEY, type: 'string', value: options.rest ?? built.rest.join('\n') });
    entries.push({
      key: VOCAB_TABLE_KEY,
      type: 'placed u32[]',
      value: (offset) => {
        const words = vocabTableWords(vocab, offset).words;
        options.patch?.(words);
        return words;
      },
    });
  }
  return {
    metadata: entries,
    layers: [
      { name: 'emb', kind: 'embedding', activation: 'linear', tensors: [0], params: [] },
      { name: 'pool', kind: 'global_average_pooling_1d', activation: 'linear', tensors: [], params: [] },
      { name: 'out', kind: 'dense', activation: 'linear', tensors: [1], params: [] },
    ],
    tensors: [
      { name: 'emb/embeddings', dtype: 'float32', shape: [vocab.length, 2], data: f32(vocab.length * 2) },
      { name: 'out/kernel', dtype: 'float32', shape: [2, 2], data: f32(4) },
    ],
  };
}

/** The tokenizer with the table, and the one built from the whole vocabulary (today's object). */
function tokenizers(vocab: string[]): { tabled: WordTokenizer; plain: WordTokenizer } {
  const file = parseModelFile(writeModelFile(modelParts(vocab)));
  const spec = file.tokenizer!;
  expect(spec.table).not.toBeNull();
  return { tabled: new WordTokenizer(spec, SEQUENCE), plain: new WordTokenizer({ ...spec, vocab: spec.vocab, table: null, rest: null }, SEQUENCE) };
}

function expectSameIds(tabled: WordTokenizer, plain: WordTokenizer, vocab: string[], text: string): void {
  const want = referenceIds({ kind: 'words', vocab, padId: 0, startId: 1, unknownId: 2, lowercase: true }, text, SEQUENCE);
  const run = (f: (t: string, o: Int32Array) => Int32Array): number[] => Array.from(f(text, new Int32Array(SEQUENCE)));
  expect(run((t, o) => plain.encode(t, o)), text).toEqual(want);
  expect(run((t, o) => tabled.encode(t, o)), text).toEqual(want);
  expect(run((t, o) => tabled.encodeSplitting(t, o)), text).toEqual(want);
  expect(run((t, o) => tabled.encodeMatching(t, o)), text).toEqual(want);
  expect(run((t, o) => tabled.encodeScanning(t, o)), text).toEqual(want);
}

const EDGE_VOCAB = [
  '<PAD>', '<START>', '<UNKNOWN>',
  'a', 'z', '9', '10', 'abc', 'zzzzzzzzzz', 'abcdefghij', 'abcdefghijk', 'information',
  '0', '00', '007', '0800', 'abc', 'x_y', "don't", 'wörld', 'ß', 'ABC', 'iphone', 'win', 'infinity', '1e5',
];

describe('vocabulary table: keys', () => {
  it('keys exactly the base-36 numerals of 1 to 10 characters without a leading 0', () => {
    expect(tokenKey('a')).toBe(10);
    expect(tokenKey('10')).toBe(36);
    expect(tokenKey('zzzzzzzzzz')).toBe(36 ** 10 - 1);
    expect(36 ** 10 - 1).toBeLessThan(Number.MAX_SAFE_INTEGER);
    for (const token of ['', '0', '007', 'abcdefghijk', 'ABC', 'x_y', "don't", 'wörld', ' a', '-a', '+a']) expect(tokenKey(token), token).toBe(-1);
    // parseInt agrees with the exact key, and a word reads as a key only in full
    for (const token of ['a', '9', 'abc', 'zzzzzzzzzz', 'abcdefghij', 'infinity', '1e5']) {
      expect(parseInt(token, 36)).toBe(tokenKey(token));
      expect(parseInt(token, 36) >= MIN_KEY[token.length]).toBe(true);
    }
    for (const word of ['abc!', 'ab c', ' abc', '+abc', '-abc', '007', '0', 'abc\u00e9', 'abcdefghijk', '']) {
      const v = parseInt(word, 36);
      expect(v >= MIN_KEY[word.length], word).toBe(false);
    }
  });

  it('looks up every edge-case token and word as the whole vocabulary does (first id of a duplicate)', () => {
    const { tabled, plain } = tokenizers(EDGE_VOCAB);
    const file = parseModelFile(writeModelFile(modelParts(EDGE_VOCAB)));
    const words = [...EDGE_VOCAB, 'b', 'abcd', 'zzzzzzzzzy', '0801', '00', 'x_z', "don't", 'dont', 'wörld', 'world', 'abc!', ' abc', '1e6', 'abcdefghijk', 'abcdefghijkl', 'nan', ''];
    // wordId takes lowercased words (a lowercasing tokenizer never looks up another: 'ABC' can never be a word's token)
    for (const word of words.filter((w) => w === w.toLowerCase())) {
      const want = plain.wordId(word);
      expect(tabled.wordId(word), word).toBe(want);
      expect(tableLookupReference(file.tokenizer!.table!, file.tokenizer!.rest!, word) ?? 2, word).toBe(want);
    }
    expect(EDGE_VOCAB.lastIndexOf('abc')).toBe(16);
    expect(tabled.wordId('abc')).toBe(7); // the first 'abc', not the later duplicate
  });

  it('encodes texts as the reference on the edge vocabulary, on every path', () => {
    const { tabled, plain } = tokenizers(EDGE_VOCAB);
    expect(tabled.wordTokens).toBe(false); // wörld, ABC: the split fast path is not taken
    for (const text of ['a z 9 10 abc zzzzzzzzzz', "Information 007 0800 x_y don't WÖRLD ß", 'abc! win, iPhone... INFINITY 1e5 00 0', 'abcdefghijk abcdefghij abcdefghijkl']) {
      expectSameIds(tabled, plain, EDGE_VOCAB, text);
    }
  });

  it('resolves collisions by probing (a dense vocabulary of short numerals)', () => {
    // keys 1000 + j + slotCount·m: 50 homes, 8 keys each
    const count = 400;
    const slotCount0 = slotCountFor(count);
    const numerals = Array.from({ length: count }, (_, i) => (1000 + (i % 50) + slotCount0 * Math.floor(i / 50)).toString(36));
    const vocab = ['<PAD>', '<START>', '<UNKNOWN>', ...numerals, 'foo_bar'];
    const built = vocabTableWords(vocab, 0);
    const slotCount = built.words[2];
    const keysAt = built.words[4];
    const keys = new Float64Array(new Uint32Array(built.words.slice(keysAt, keysAt + 2 * slotCount)).buffer);
    // some keys sit past their home slot (key % slotCount): the probe path is exercised
    let displaced = 0;
    keys.forEach((key, slot) => { if (key !== 0 && key % slotCount !== slot) displaced++; });
    expect(displaced).toBeGreaterThan(0);
    const { tabled, plain } = tokenizers(vocab);
    expect(tabled.wordTokens).toBe(true);
    expect(slotCount).toBe(slotCount0);
    for (let key = 900; key < 1100 + 9 * slotCount; key += 3) {
      const word = key.toString(36);
      expect(tabled.wordId(word), word).toBe(plain.wordId(word));
    }
    expectSameIds(tabled, plain, vocab, numerals.filter((_, i) => i % 37 === 5).join(' ') + ' foo_bar, zzz! ' + (1000 + 8 * slotCount0).toString(36));
  });
});

describe('vocabulary table: the reader', () => {
  const vocab = ['<PAD>', '<START>', '<UNKNOWN>', 'hi', 'there', 'information'];

  it('keeps views of the file and decodes the vocabulary only when asked', () => {
    const bytes = writeModelFile(modelParts(vocab));
    const file = parseModelFile(bytes);
    const spec = file.tokenizer!;
    expect(spec.vocabSize).toBe(6);
    expect(spec.rest).toEqual(['<PAD>', '<START>', '<UNKNOWN>', 'information']);
    // no copy: the keys (aligned by the writer) and ids view the file's own buffer
    expect(spec.table!.keys.buffer).toBe(file.bytes.buffer);
    expect(spec.table!.slotIds.buffer).toBe(file.bytes.buffer);
    expect((spec.table!.keys.byteOffset - file.bytes.byteOffset) % 8).toBe(0);
    expect(file.metadata.get('tokenizer.vocab')).toBe('');
    expect(spec.vocab).toEqual(vocab);
    expect(file.metadata.get('tokenizer.vocab')).toBe(vocab.join('\n'));
    // the model predicts from the table
    const model = loadModel(bytes);
    expect(Array.from(model.tokenize('Hi there, INFORMATION overload'))).toEqual([1, 3, 4, 5, 2, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('copies only the keys when the bytes sit at an address that is not a multiple of 8', () => {
    const bytes = writeModelFile(modelParts(vocab));
    const shifted = new Uint8Array(new ArrayBuffer(bytes.length + 4), 4);
    shifted.set(bytes);
    const file = parseModelFile(shifted);
    expect(file.tokenizer!.table!.keys.buffer).not.toBe(shifted.buffer);
    expect(file.tokenizer!.table!.slotIds.buffer).toBe(shifted.buffer);
    expect(new WordTokenizer(file.tokenizer!, SEQUENCE).wordId('there')).toBe(4);
  });

  it('ignores the table of a vocabulary that keeps letter case (a key matches any case)', () => {
    const file = parseModelFile(writeModelFile(modelParts(['<PAD>', '<START>', '<UNKNOWN>', 'Hi', 'hi'], { lowercase: false })));
    expect(file.tokenizer!.table).toBeNull();
    const tokenizer = new WordTokenizer(file.tokenizer!, SEQUENCE);
    expect(tokenizer.wordId('Hi')).toBe(3);
    expect(tokenizer.wordId('hi')).toBe(4);
  });

  const refuse = (parts: ModelFileParts, message: RegExp): void => {
    let error: unknown;
    try {
      parseModelFile(writeModelFile(parts));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).code).toBe('bad_metadata');
    expect((error as ModelFormatError).message).toMatch(message);
  };

  it('refuses broken tables with a clear error', () => {
    refuse(modelParts(vocab, { patch: (w) => { w[0] = 2; } }), /layout 2 is not supported/);
    refuse(modelParts(vocab, { patch: (w) => { w[w.length - 1] = 99; } }), /a token id is outside the vocabulary of 6 tokens/);
    refuse(modelParts(vocab, { patch: (w) => { w[w[4] + 2 * w[2]] = 6; } }), /a token id is outside the vocabulary/);
    refuse(modelParts(vocab, { patch: (w) => { w[3] = 5; } }), /values, the header says/);
    refuse(modelParts(vocab, { patch: (w) => { w[4] = VOCAB_TABLE_HEADER + 2; } }), /keys at/);
    refuse(modelParts(vocab, { patch: (w) => { w.length = 3; } }), /the header alone/);
    refuse(modelParts(vocab, { rest: null }), /tokenizer.vocab_rest' \(a string\) is required/);
    refuse(modelParts(vocab, { rest: '<PAD>\n<START>' }), /has 2 tokens, .* says 4/);
  });
});

describe('vocabulary table: damaged files', () => {
  it('byte edits inside the table and the rest parse or throw ModelFormatError, and a parsed one tokenizes without throwing', () => {
    const vocab = ['<PAD>', '<START>', '<UNKNOWN>', 'hi', 'there', 'information', '0800', "don't", 'x'];
    const bytes = writeModelFile(modelParts(vocab));
    const at = (needle: string): number => Buffer.from(bytes).indexOf(needle);
    const from = at(VOCAB_REST_KEY);
    const to = at('emb') > from ? at('emb') : bytes.length - 8;
    let seed = 11;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let parsed = 0;
    for (let round = 0; round < 400; round++) {
      const copy = bytes.slice();
      for (let k = 1 + next(3); k > 0; k--) copy[from + next(to - from)] = next(4) === 0 ? 0 : next(256);
      // the checksum is repaired by parsing with skipChecksum: what the canister does for SHA-256-checked bytes
      let file;
      try {
        file = parseModelFile(copy, { skipChecksum: true });
      } catch (error) {
        expect(error).toBeInstanceOf(ModelFormatError);
        continue;
      }
      parsed++;
      if (file.tokenizer === null) continue;
      const tokenizer = new WordTokenizer(file.tokenizer, SEQUENCE);
      for (const text of ['hi there information', "0800 don't x y z", 'abc'.repeat(50)]) {
        const ids = tokenizer.encode(text, new Int32Array(SEQUENCE));
        for (const id of ids) expect(id).toBeLessThan(file.tokenizer.vocabSize);
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });
});

describe.skipIf(!existsSync(SPAM))('vocabulary table: the spam model', () => {
  it('gives the ids of the whole vocabulary on every token and on the agreement texts', () => {
    const bytes = convertFiles(SPAM, { quantize: 'int8', vocabTable: 'on' }).bytes;
    const file = parseModelFile(bytes);
    const spec = file.tokenizer!;
    expect(spec.table!.slotCount).toBeGreaterThan(2 * 1853);
    expect(spec.rest!.length).toBe(150);
    const tabled = loadModel(bytes).tokenizer!;
    const plain = new WordTokenizer({ ...spec, vocab: spec.vocab, table: null, rest: null }, 20);
    expect(tabled.wordTokens).toBe(true);
    spec.vocab.forEach((token) => expect(tabled.wordId(token), token).toBe(plain.wordId(token)));
    for (const token of spec.vocab.slice(3, 500)) expect(tabled.wordId(token + 'q')).toBe(plain.wordId(token + 'q'));
    const texts = agreementTexts(3);
    for (const text of texts) {
      const want = Array.from(plain.encode(text, new Int32Array(20)));
      expect(Array.from(tabled.encode(text, new Int32Array(20))), text.slice(0, 60)).toEqual(want);
      expect(Array.from(tabled.encodeScanning(text, new Int32Array(20))), text.slice(0, 60)).toEqual(want);
    }
    // without the flag the converter writes the file as before (a 2,003-token vocabulary is below the default's threshold)
    const plainFile = parseModelFile(convertFiles(SPAM, { quantize: 'int8' }).bytes);
    expect(plainFile.tokenizer!.table).toBeNull();
    expect(plainFile.metadata.has(VOCAB_TABLE_KEY)).toBe(false);
  });
});
