// The training pieces and the committed default model's files. No training here.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAM, SPAM, augmentWithPrefixes, shortPrefixes, splitStratified, type Example } from '../train/dataset.ts';
import { emailText } from '../train/email.ts';
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

describe('committed default model', () => {
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
