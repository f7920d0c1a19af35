import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WordTokenizer, type WordTokenizerSpec } from '../engine/tokenizer.ts';
import { referenceIds } from './tokenizer-reference.ts';

const PAD = 0;
const START = 1;
const UNKNOWN = 2;

function makeSpec(words: string[], lowercase = true): WordTokenizerSpec {
  return { kind: 'words', vocab: ['<PAD>', '<START>', '<UNKNOWN>', ...words], padId: PAD, startId: START, unknownId: UNKNOWN, lowercase };
}


function encode(tokenizer: WordTokenizer, text: string): number[] {
  return Array.from(tokenizer.encode(text, new Int32Array(tokenizer.sequenceLength)));
}

const VOCAB = [
  'hello', 'world', "don't", 'foo_bar', 'abc123', 'café', 'naïve', 'москва', '東京', '١٢٣', 'hi', 'there', 'i', 'stanbul',
  'οδος', 'οδοσ', 'αβ', '𐐨', '𝐀𝐁c', 'ß', 'strasse', "it's", 'x',
];

describe('WordTokenizer', () => {
  const spec = makeSpec(VOCAB);
  const tokenizer = new WordTokenizer(spec, 12);

  it.each([
    ['basic ASCII with punctuation', 'Hello, World!!  hello'],
    ['apostrophes stay inside words', "Don't   it's 'quoted' '"],
    ['underscores and digits are word characters', 'foo_bar abc123 _ 42'],
    ['Unicode letters and digits', 'Café NAÏVE Москва 東京 ١٢٣'],
    ['emoji separate words', 'hi😀there 👍🏽 hi'],
    ['astral letters (surrogate pairs) are letters and lowercase', '𐐀 𝐀𝐁C 𝐀𝐁c'],
    ['İ lowercases to i + combining dot, which splits the word', 'İstanbul aİb İ'],
    ['final sigma depends on context across separators', 'ΟΔΟΣ.ΑΒ ΟΔΟΣ ΑΒ.ΟΔΟΣ Σ'],
    ['lone surrogates are separators', 'hi\ud800there \udc00x'],
    ['empty string', ''],
    ['only separators', ' ,.;!?\n\t😀'],
    ['combining marks split words', 'cafe\u0301 x'],
    ['ß and other special lowercasing', 'STRASSE ß ẞ'],
  ])('%s', (_, text) => {
    expect(encode(tokenizer, text)).toEqual(referenceIds(spec, text, 12));
  });

  it('cuts to the sequence length and pads with the pad id', () => {
    const short = new WordTokenizer(spec, 3);
    expect(encode(short, 'hello world hi there')).toEqual([START, 3, 4]);
    expect(encode(new WordTokenizer(spec, 6), 'hello')).toEqual([START, 3, PAD, PAD, PAD, PAD]);
    expect(encode(new WordTokenizer(spec, 1), 'hello')).toEqual([START]);
    expect(encode(new WordTokenizer(spec, 0), 'hello')).toEqual([]);
  });

  it('keeps case when lowercase is false', () => {
    const cased = makeSpec(['Hello', 'hello', 'İx'], false);
    const t = new WordTokenizer(cased, 5);
    expect(encode(t, 'Hello hello HELLO İx')).toEqual(referenceIds(cased, 'Hello hello HELLO İx', 5));
  });

  it('agrees with the plain rule on random mixed-script texts (property)', () => {
    const pieces = [
      'a', 'B', 'z', 'Hello', 'WORLD', "'", '_', '1', '9', ' ', '  ', ',', '.', '-', '\n', '😀', '👍🏽', 'é', 'É', 'ï', 'Ж', 'ж', '東', '京',
      'İ', 'Σ', 'σ', 'ς', 'Α', 'ß', '𐐀', '𐐨', '𝐀', '\u0301', '\u0307', '\ud800', '١', 'Ⅻ', 'K', 'hi', 'there', 'i', "don't",
    ];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 16 }), (sample, length) => {
        // vocabulary: some of the sample's own words, so lookups hit as well as miss
        const words = sample.toLowerCase().split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
        const randomSpec = makeSpec([...words.filter((_, i) => i % 2 === 0), ...VOCAB]);
        const t = new WordTokenizer(randomSpec, length);
        expect(encode(t, sample)).toEqual(referenceIds(randomSpec, sample, length));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the plain rule on long texts that cross the fast path\'s windows (property)', () => {
    const pieces = [
      'a', 'B', 'Hello', 'WORLD', "'", ' ', '  ', ',', '.', '\n', '😀', 'é', 'Ж', '東', 'İ', 'Σ', 'σ', 'ς', 'Α', 'ß', '𐐀', '𝐀',
      '\u0307', '\ud800', 'hi', 'there', 'i', "don't", 'x'.repeat(37), ' '.repeat(61), "''''", 'ΑΣ', 'ΣΑ',
    ];
    const text = fc.array(fc.constantFrom(...pieces), { minLength: 20, maxLength: 1500 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 300 }), (sample, length, shift) => {
        // shift the text so the window cuts land anywhere (also inside surrogate pairs and next to Σ)
        const shifted = 'q'.repeat(shift) + sample;
        const words = shifted.toLowerCase().split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
        const randomSpec = makeSpec([...words.filter((_, i) => i % 3 === 0), ...VOCAB]);
        const t = new WordTokenizer(randomSpec, length);
        expect(encode(t, shifted)).toEqual(referenceIds(randomSpec, shifted, length));
      }),
      { numRuns: 1500 },
    );
    // a final sigma exactly at the cut of the first window, with its context after it
    for (let at = 250; at < 262; at++) {
      const sample = 'a '.repeat(at >> 1) + 'ΑΣ' + "'".repeat(at % 5) + 'Α more words here '.repeat(30);
      const t = new WordTokenizer(makeSpec(['ας', 'ασ', ...VOCAB]), 200);
      expect(encode(t, sample)).toEqual(referenceIds(makeSpec(['ας', 'ασ', ...VOCAB]), sample, 200));
    }
  });

  it('stops reading once the sequence is full: a 1 MB text reads only its head', () => {
    const t = new WordTokenizer(spec, 20);
    const head = 'hello world hi there '.repeat(10);
    const long = head + 'x '.repeat(500_000);
    const short = new Int32Array(20);
    const out = new Int32Array(20);
    t.encode(long, out);
    expect(Array.from(out)).toEqual(referenceIds(spec, long.slice(0, 1000), 20));
    // the fast path lowercases a 256-unit head at most here (FAST_WINDOWS[0]): the work does not grow with the text
    expect(t.charsRead).toBeLessThanOrEqual(256);
    t.encode(head, short);
    expect(t.charsRead).toBeLessThanOrEqual(256);
    expect(Array.from(short)).toEqual(Array.from(out));
  });

  it('jumps separator runs natively: a million separators cost one scanner step', () => {
    const t = new WordTokenizer(spec, 20);
    for (const sep of [' ', '.', ' ,;\n', '\u3000']) {
      const text = sep.repeat(1_000_000 / sep.length) + 'hello world';
      const out = t.encodeScanning(text, new Int32Array(20));
      expect(Array.from(out)).toEqual(referenceIds(spec, text, 20));
      // one step for the first separator (and the run jumped with it), one per word and separator after it
      expect(t.scanSteps).toBeLessThanOrEqual(4);
    }
    const gaps = Array.from({ length: 30 }, (_, i) => `w${i}${' '.repeat(1000)}`).join('');
    t.encodeScanning(gaps, new Int32Array(20));
    expect(t.scanSteps).toBeLessThanOrEqual(2 * 19);
  });

  it('does not read to the end of a huge last word', () => {
    const t = new WordTokenizer(spec, 4);
    const text = `hello world ${'a'.repeat(1_000_000)} hi`;
    const out = Array.from(t.encode(text, new Int32Array(4)));
    expect(out).toEqual([START, 3, 4, UNKNOWN]);
    const longest = Math.max(...spec.vocab.map((token) => token.length));
    expect(t.charsRead).toBeLessThanOrEqual('hello world '.length + longest + 1);
  });

  it('gives words longer than every token the unknown id without lookup', () => {
    const t = new WordTokenizer(spec, 4);
    const text = `${'B'.repeat(5000)} hello ${'ж'.repeat(300)}`;
    expect(encode(t, text)).toEqual(referenceIds(spec, text, 4));
  });

  it('words() splits like the rule', () => {
    expect(tokenizer.words("Hi, don't_STOP 😀 İx")).toEqual(['hi', "don't_stop", 'i', 'x']);
  });
});

describe('WordTokenizer with an ASCII-words vocabulary (the split path)', () => {
  const ASCII_VOCAB = ['hello', 'world', "don't", 'foo_bar', 'abc123', 'hi', 'there', 'i', 'stanbul', 'strasse', "it's", 'x', 'win', 'free', 'now'];
  const asciiWords = (words: string[]): string[] => words.filter((word) => /^[A-Za-z0-9_']+$/.test(word));
  const spec = makeSpec(ASCII_VOCAB);
  const tokenizer = new WordTokenizer(spec, 12);

  it('takes the split path only for vocabularies of ASCII words (specials aside)', () => {
    expect(tokenizer.wordTokens).toBe(true);
    const joined = { ...spec, vocabText: spec.vocab.join('\n') };
    expect(new WordTokenizer(joined, 12).wordTokens).toBe(true);
    for (const odd of ['u.s.', 'a-b', 'two words', 'café', 'x!', '(x)', 'a~b', 'a*b', '<tag>', 'tab\there', '%41', 'a\ud800']) {
      expect(new WordTokenizer(makeSpec(['hello', odd]), 12).wordTokens).toBe(false);
    }
    // specials elsewhere than the first ids, and word-only specials
    const moved: WordTokenizerSpec = { kind: 'words', vocab: ['hello', '<PAD>', 'world', 'unk', '<S>'], padId: 1, startId: 4, unknownId: 3, lowercase: true };
    const t = new WordTokenizer(moved, 8);
    expect(t.wordTokens).toBe(true);
    for (const text of ['hello unk <S> <PAD> world', 'UNK, <s>hello', '<PAD>']) expect(encode(t, text)).toEqual(referenceIds(moved, text, 8));
  });

  it.each([
    ['basic ASCII with punctuation', 'Hello, World!!  hello'],
    ['apostrophes stay inside words', "Don't   it's 'quoted' '"],
    ['underscores and digits are word characters', 'foo_bar abc123 _ 42'],
    ['Unicode letters and digits', 'Café NAÏVE Москва 東京 ١٢٣ hello'],
    ['emoji separate words', 'hi😀there 👍🏽 hi'],
    ['İ lowercases to i + combining dot, which splits the word', 'İstanbul aİb İ'],
    ['final sigma', 'ΟΔΟΣ.ΑΒ ΟΔΟΣ ΑΒ.ΟΔΟΣ Σ'],
    ['lone surrogates are separators', 'hi\ud800there \udc00x'],
    ['special tokens in the text are split like any text', '<PAD> <START>hello <UNKNOWN> <unknown>'],
    ['empty string', ''],
    ['only separators', ' ,.;!?\n\t😀'],
    ['tabs, newlines and no-break spaces', 'hello\tworld\nhi\u00a0there\r\nx'],
    ['punctuation around words', '(hello) "world"... win-free-now!!! ,hi,'],
    ['combining marks split words', 'cafe\u0301 x'],
  ])('%s', (_, text) => {
    expect(encode(tokenizer, text)).toEqual(referenceIds(spec, text, 12));
  });

  it('cuts to the sequence length and pads with the pad id', () => {
    expect(encode(new WordTokenizer(spec, 3), 'hello world hi there')).toEqual([START, 3, 4]);
    expect(encode(new WordTokenizer(spec, 3), 'hello, world! hi there')).toEqual([START, 3, 4]);
    expect(encode(new WordTokenizer(spec, 6), 'hello')).toEqual([START, 3, PAD, PAD, PAD, PAD]);
    expect(encode(new WordTokenizer(spec, 1), 'hello')).toEqual([START]);
    expect(encode(new WordTokenizer(spec, 0), 'hello')).toEqual([]);
    const t = new WordTokenizer(spec, 6);
    t.encode('hello world', new Int32Array(6));
    expect(t.filled).toBe(3);
  });

  it('keeps case when lowercase is false', () => {
    const cased = makeSpec(['Hello', 'hello', 'X'], false);
    const t = new WordTokenizer(cased, 5);
    expect(t.wordTokens).toBe(true);
    expect(encode(t, 'Hello hello HELLO İx X')).toEqual(referenceIds(cased, 'Hello hello HELLO İx X', 5));
  });

  it('agrees with the plain rule on random mixed-script texts (property)', () => {
    const pieces = [
      'a', 'B', 'z', 'Hello', 'WORLD', "'", '_', '1', '9', ' ', '  ', ',', '.', '-', '!', '(', '\n', '\t', '😀', 'é', 'É', 'Ж', '東',
      'İ', 'Σ', 'ς', 'ß', '𐐀', '\u0301', '\u0307', '\ud800', 'Ⅻ', 'K', 'hi', 'there', 'i', "don't", '<PAD>', '<start>',
    ];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 16 }), (sample, length) => {
        const words = sample.toLowerCase().split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
        const randomSpec = makeSpec(asciiWords([...words.filter((_, i) => i % 2 === 0), ...ASCII_VOCAB]));
        const t = new WordTokenizer(randomSpec, length);
        expect(t.wordTokens).toBe(true);
        const out = new Int32Array(length);
        const want = referenceIds(randomSpec, sample, length);
        expect(Array.from(t.encode(sample, out))).toEqual(want);
        const realWords = want.slice(1).filter((id) => id !== PAD).length;
        if (want.indexOf(PAD) >= 0) expect(t.filled).toBe(1 + realWords);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the plain rule on the pieces parseInt(piece, 36) reads in part or in full (property)', () => {
    // the split path's unknown-word shortcuts: leading zeros, signs, whitespace parseInt skips, 10 and 11 letters, a trailing separator
    const pieces = [
      '0', '00', 'a', 'z', 'Q', '9', '+', '-', '!', '.', ',', '?', ' ', '\t', '\n', '\u00a0', '\u2028', 'é', '_', "'", '😀',
      'x'.repeat(9), 'y'.repeat(10), 'k'.repeat(11), 'Infinity', '1e5', '0x1f', 'now', 'win', 'free',
    ];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (sample) => {
        const words = sample.toLowerCase().split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
        const randomSpec = makeSpec(asciiWords([...words.filter((_, i) => i % 3 === 0), ...ASCII_VOCAB]));
        const t = new WordTokenizer(randomSpec, 16);
        expect(t.wordTokens).toBe(true);
        expect(Array.from(t.encode(sample, new Int32Array(16)))).toEqual(referenceIds(randomSpec, sample, 16));
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees with the plain rule on long texts that cross the fast path's windows (property)", () => {
    const pieces = [
      'a', 'B', 'Hello', 'WORLD', "'", ' ', '  ', ',', '.', '!', '\n', '😀', 'é', 'Ж', 'İ', 'Σ', 'ς', 'Α', '𐐀', '\u0307', '\ud800',
      'hi', 'there', 'i', "don't", 'x'.repeat(37), ' '.repeat(61), ','.repeat(40), "''''", 'ΑΣ',
    ];
    const text = fc.array(fc.constantFrom(...pieces), { minLength: 20, maxLength: 1500 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 300 }), (sample, length, shift) => {
        const shifted = 'q'.repeat(shift) + sample;
        const words = shifted.toLowerCase().split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
        const randomSpec = makeSpec(asciiWords([...words.filter((_, i) => i % 3 === 0), ...ASCII_VOCAB]));
        const t = new WordTokenizer(randomSpec, length);
        expect(encode(t, shifted)).toEqual(referenceIds(randomSpec, shifted, length));
      }),
      { numRuns: 1500 },
    );
  });

  it('stops reading once the sequence is full: a 1 MB text reads only its head', () => {
    const t = new WordTokenizer(spec, 20);
    const head = 'hello world hi there '.repeat(10);
    const long = head + 'x '.repeat(500_000);
    const out = new Int32Array(20);
    t.encode(long, out);
    expect(Array.from(out)).toEqual(referenceIds(spec, long.slice(0, 1000), 20));
    expect(t.charsRead).toBeLessThanOrEqual(256);
    const text = `hello world ${'a'.repeat(1_000_000)} hi`;
    expect(encode(new WordTokenizer(spec, 4), text)).toEqual([START, 3, 4, UNKNOWN]);
  });
});
