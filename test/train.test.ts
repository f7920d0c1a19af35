// The training pieces and the committed default model's files. No training here.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../engine/index.ts';
import {
  HAM,
  ISSUE_EXAMPLES,
  LABEL_DESCRIPTIONS,
  SNIPPETS_PER_EMAIL,
  SPAM,
  augmentWithPrefixes,
  everydayMessages,
  fitSet,
  sentences,
  shortPrefixes,
  snippets,
  splitStratified,
  subjects,
  type Email,
  type Example,
} from '../train/dataset.ts';
import { emailText, plainSubject } from '../train/email.ts';
import { mulberry32 } from '../train/prng.ts';
import { useFastSegmentSum, useStockSegmentSum } from '../train/segment-sum.ts';
import { buildVocab, encode, splitWords } from '../train/tokenizer.ts';

const modelDir = fileURLToPath(new URL('../models/default/', import.meta.url));

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}
interface ModelJson {
  format: string;
  modelTopology: { class_name: string; config: { name: string; layers: LayerJson[] } };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

describe('fast UnsortedSegmentSum kernel', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => useStockSegmentSum());

  /** Runs `compute` with the stock kernel, then with the fast one. */
  function stockAndFast(compute: () => tf.Tensor): [Float32Array, Float32Array] {
    useStockSegmentSum();
    const stock = tf.tidy(compute);
    useFastSegmentSum();
    const fast = tf.tidy(compute);
    const result: [Float32Array, Float32Array] = [Float32Array.from(stock.dataSync()), Float32Array.from(fast.dataSync())];
    expect(fast.shape).toEqual(stock.shape);
    tf.dispose([stock, fast]);
    return result;
  }

  it('equals the stock kernel bit for bit, dropping out-of-range ids', () => {
    const random = mulberry32(1);
    const rows = 60;
    const x = Float32Array.from({ length: rows * 2 * 3 }, () => random() * 2 - 1);
    const ids = Int32Array.from({ length: rows }, () => Math.floor(random() * 14) - 1); // -1 and 12 are out of range
    const [stock, fast] = stockAndFast(() => tf.unsortedSegmentSum(tf.tensor3d(x, [rows, 2, 3]), tf.tensor1d(ids, 'int32'), 12));
    expect(fast).toEqual(stock);
  });

  it('gives the stock gradient of an embedding lookup', () => {
    const random = mulberry32(2);
    const table = tf.tensor2d(Float32Array.from({ length: 30 * 4 }, () => random()), [30, 4]);
    const ids = tf.tensor2d(Int32Array.from({ length: 5 * 20 }, () => Math.floor(random() * 30)), [5, 20], 'int32');
    const weights = tf.tensor3d(Float32Array.from({ length: 5 * 20 * 4 }, () => random()), [5, 20, 4]);
    const gradient = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), weights)))(table);
    const [stock, fast] = stockAndFast(gradient);
    expect(fast).toEqual(stock);
    tf.dispose([table, ids, weights]);
  });
});

describe('tokenizer and email text', () => {
  it('splits like Model Maker and encodes [START] + ids, padded to 20', () => {
    expect(splitWords("Don't STOP—me_now! 42 naïve")).toEqual(["don't", 'stop', 'me_now', '42', 'naïve']);
    const vocab = buildVocab(['b a b', 'c b a']);
    expect([...vocab]).toEqual([['b', 3], ['a', 4], ['c', 5]]);
    const ids = encode('A b zzz', vocab);
    expect(Array.from(ids)).toEqual([1, 4, 3, 2, ...new Array<number>(16).fill(0)]);
    expect(encode('a '.repeat(30), vocab).length).toBe(20);
  });

  it('keeps the subject and the readable body, not headers or markup', () => {
    const raw = [
      'From: someone@example.com',
      'Subject: =?iso-8859-1?Q?Caf=E9_offer?=',
      '  today',
      'Content-Type: multipart/alternative; boundary="XYZ"',
      '',
      'This is a multi-part message in MIME format.',
      '--XYZ',
      'Content-Type: text/html;',
      '\tcharset="iso-8859-1"',
      '',
      '<html><style>p {color: red}</style><p>Buy&nbsp;now=21</p></html>',
      '--XYZ--',
    ].join('\n');
    expect(emailText(raw)).toBe('Café offer today Buy now!');
  });
});

describe('short-prefix augmentation', () => {
  /** 50 synthetic emails of 25–44 words, a third spam. */
  const examples: Example[] = Array.from({ length: 50 }, (_, i) => ({
    id: `${i % 3 === 0 ? 'spam-1' : 'easy-ham-1'}/${String(i).padStart(5, '0')}`,
    text: Array.from({ length: 25 + (i % 20) }, (_, w) => `W${i}x${w}`).join(' '),
    label: i % 3 === 0 ? SPAM : HAM,
  }));

  it('adds one prefix of 1–19 words per training email, same label, and is deterministic', () => {
    const { train, heldOut } = splitStratified(examples, 0.2, 7);
    const trainBefore = structuredClone(train);
    const heldOutBefore = structuredClone(heldOut);
    const augmented = augmentWithPrefixes(train, 11);
    expect(augmentWithPrefixes(structuredClone(train), 11)).toEqual(augmented); // same seed, same set
    expect(augmentWithPrefixes(train, 12)).not.toEqual(augmented); // the seed drives k
    expect(train).toEqual(trainBefore); // inputs untouched
    expect(heldOut).toEqual(heldOutBefore);

    expect(augmented).toHaveLength(2 * train.length);
    expect(augmented.slice(0, train.length)).toEqual(train); // the emails, whole, first
    const heldOutIds = new Set(heldOut.map((example) => example.id));
    const lengths = new Set<number>();
    augmented.slice(train.length).forEach((prefix, i) => {
      const source = train[i];
      expect(prefix.id).toMatch(new RegExp(`^${source.id}#\\d+$`));
      expect(heldOutIds.has(prefix.id.split('#')[0])).toBe(false); // nothing from the held-out split
      expect(prefix.label).toBe(source.label);
      const words = splitWords(prefix.text);
      const k = Number(prefix.id.split('#')[1]);
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k).toBeLessThanOrEqual(19);
      expect(words).toEqual(splitWords(source.text).slice(0, k));
      lengths.add(k);
    });
    expect(lengths.size).toBeGreaterThan(5); // k actually varies
  });

  it('keeps an email shorter than k whole', () => {
    const [prefix] = shortPrefixes([{ id: 'spam-2/00001', text: 'Buy NOW!', label: SPAM }], 3);
    expect(splitWords(prefix.text)).toEqual(['buy', 'now']);
    expect(prefix.label).toBe(SPAM);
  });
});

describe('short texts made from the emails', () => {
  const emails: Email[] = [
    { id: 'easy-ham-1/00001', subject: 'New sequences window', body: 'I cannot reproduce this error. For me it is fine! Thanks, Chris', text: '', label: HAM },
    { id: 'spam-2/00002', subject: '', body: 'WIN a prize now', text: '', label: SPAM },
  ];
  emails.forEach((email) => (email.text = `${email.subject} ${email.body}`.trim()));

  it('subjects without list tags and reply prefixes; sentences; seeded snippets of at most 12 words', () => {
    expect(plainSubject('Re: [SAtalk] Re: Spam host?')).toBe('Spam host?');
    expect(plainSubject('Fwd: [ILUG] Am I cracked?')).toBe('Am I cracked?');
    expect(subjects(emails)).toEqual([{ id: 'easy-ham-1/00001#subject', text: 'New sequences window', label: HAM }]); // no empty subject
    expect(sentences(emails[0].body)).toEqual(['I cannot reproduce this error.', 'For me it is fine!', 'Thanks, Chris']);
    const a = snippets(emails, 5);
    expect(snippets(emails, 5)).toEqual(a);
    for (const [i, snippet] of a.entries()) {
      expect(snippet.label).toBe(emails[i].label);
      const words = splitWords(snippet.text);
      expect(words.length).toBeGreaterThanOrEqual(1);
      expect(words.length).toBeLessThanOrEqual(12);
      expect(splitWords(emails[i].body).join(' ')).toContain(words.join(' '));
    }
  });

  it('fits on the emails, their prefixes, subjects, first sentences and snippets, ham short texts twice', () => {
    const set = fitSet(emails, 3);
    const kinds = set.map((example) => (example.id.includes('#') ? example.id.replace(/^[^#]*#/, '').replace(/\d+$/, '') || 'prefix' : 'email'));
    expect(kinds.filter((k) => k === 'email')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'prefix')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'subject')).toHaveLength(2); // the ham one, twice
    expect(kinds.filter((k) => k === 'first')).toHaveLength(3); // ham twice, spam once
    expect(kinds.filter((k) => k === 'snippet')).toHaveLength(3 * SNIPPETS_PER_EMAIL);
    expect(set.every((example) => emails.some((email) => example.id.startsWith(email.id)))).toBe(true);
  });

  it('reads the hand-written everyday sets: labelled lines, comments skipped', () => {
    const test = everydayMessages(readFileSync(new URL('../train/everyday-messages.tsv', import.meta.url), 'utf8'));
    const dev = everydayMessages(readFileSync(new URL('../train/everyday-dev.tsv', import.meta.url), 'utf8'));
    expect([test.length, test.filter((e) => e.label === SPAM).length]).toEqual([75, 25]);
    expect([dev.length, dev.filter((e) => e.label === SPAM).length]).toEqual([75, 25]);
    const texts = new Set(dev.map((e) => e.text));
    expect(test.filter((e) => texts.has(e.text))).toEqual([]); // the sets are apart
    expect(() => everydayMessages('maybe\tsomething')).toThrow(/line 1/);
  });
});

describe('committed default model', () => {
  const model = loadModel(new Uint8Array(readFileSync(`${modelDir}default.dcai`)));
  const label = (text: string) => model.labels[model.argmax(model.predictText(text))];

  it('calls the examples of issue 12 ham', () => {
    expect(ISSUE_EXAMPLES.map(label)).toEqual(ISSUE_EXAMPLES.map(() => 'ham'));
  });

  it('gets 68 of the 75 hand-written everyday test messages right (the figure in its README)', () => {
    const test = everydayMessages(readFileSync(new URL('../train/everyday-messages.tsv', import.meta.url), 'utf8'));
    expect(test.filter((e) => label(e.text) === model.labels[e.label]).length).toBe(68);
  });

  it('carries a description per label', () => {
    expect(model.metadata.get('model.label_descriptions')).toEqual([...LABEL_DESCRIPTIONS]);
    expect(readFileSync(`${modelDir}label-descriptions.txt`, 'utf8')).toBe(LABEL_DESCRIPTIONS.join('\n') + '\n');
  });

  it('vocab: 2003 lines of `token index`, specials first, ids in order', () => {
    const lines = readFileSync(`${modelDir}vocab`, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // one trailing newline
    expect(lines).toHaveLength(2003);
    expect(lines.slice(0, 3)).toEqual(['<PAD> 0', '<START> 1', '<UNKNOWN> 2']);
    const words = new Set<string>();
    lines.slice(3).forEach((line, i) => {
      const match = /^(\S+) (\d+)$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(splitWords(match![1]), line).toEqual([match![1]]); // a word the tokenizer can produce
      expect(Number(match![2])).toBe(i + 3);
      words.add(match![1]);
    });
    expect(words.size).toBe(2000);
  });

  it('labels.txt: ham, spam', () => {
    expect(readFileSync(`${modelDir}labels.txt`, 'utf8')).toBe('ham\nspam\n');
  });

  it("model.json has the spam-detection model's shape and a matching weights shard", () => {
    const model = JSON.parse(readFileSync(`${modelDir}model.json`, 'utf8')) as ModelJson;
    expect(model.format).toBe('layers-model');
    expect(model.modelTopology.class_name).toBe('Sequential');
    const layers = model.modelTopology.config.layers;
    expect(layers.map((layer) => layer.class_name)).toEqual([
      'InputLayer',
      'Embedding',
      'GlobalAveragePooling1D',
      'Dense',
      'Dropout',
      'Dense',
    ]);
    const [input, embedding, , hidden, dropout, output] = layers.map((layer) => layer.config);
    expect(input.batch_input_shape).toEqual([null, 20]);
    expect(input.dtype).toBe('int32');
    expect(embedding.input_dim).toBe(2003);
    expect(embedding.input_length).toBe(20);
    expect(hidden.activation).toBe('relu');
    expect(dropout.rate).toBe(0.2);
    expect(output.activation).toBe('softmax');
    expect(output.units).toBe(2);

    expect(model.weightsManifest).toHaveLength(1);
    const [group] = model.weightsManifest;
    expect(group.paths).toEqual(['group1-shard1of1.bin']);
    const floats = group.weights.reduce((sum, weight) => sum + weight.shape.reduce((a, b) => a * b, 1), 0);
    expect(group.weights.every((weight) => weight.dtype === 'float32')).toBe(true);
    expect(statSync(`${modelDir}group1-shard1of1.bin`).size).toBe(floats * 4);
  });

  it('has the converted engine binary', () => {
    expect(statSync(`${modelDir}default.dcai`).size).toBeGreaterThan(0);
  });
});
