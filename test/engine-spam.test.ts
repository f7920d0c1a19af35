// The real spam model (/work/shared/models/spam-detection, resolved as
// ../shared/models/spam-detection from the repo root; skipped when absent):
// converted, then the engine's tokens and scores against a plainly written
// tokenizer and TF.js's own predictions.
//
// Tolerance: |a − b| ≤ 1e-5 · max(1, |b|) for float32 scores.
import * as tfjs from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertModel, type Quantization } from '../converter/convert.ts';
import { loadModel, type EngineModel } from '../engine/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modelDir = resolve(repoRoot, '../shared/models/spam-detection');
const present = existsSync(resolve(modelDir, 'model.json'));
if (!present) console.warn(`engine-spam: skipped, the spam model is not at ${modelDir}`);

type TF = typeof tfjs;
let tf: TF = tfjs;

const TEXTS = [
  '',
  'hello',
  'Hello, how are you today?',
  'WINNER!! As a valued network customer you have been selected to receive a £900 prize reward!',
  'Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121 to receive entry question',
  "I'm gonna be home soon and i don't want to talk about this stuff anymore tonight, k? I've cried enough today.",
  'URGENT! You have won a 1 week FREE membership in our £100,000 Prize Jackpot! Txt the word: CLAIM to No: 81010',
  "Ok lar... Joking wif u oni...",
  'Did you hear about the new "Divorce Barbie"? It comes with all of Ken\'s stuff!',
  'snake_case_words and under_scores_everywhere__ _ __',
  "it's isn't won't can't 'quoted' ''",
  'Café naïve résumé Москва 東京 ١٢٣ ΟΔΟΣ.ΑΒ İstanbul',
  'emoji 😀 between 👍🏽 words 🎉🎉 win 💰 cash',
  '𐐀𐐨 𝐀𝐁𝐂 math letters and lone \ud800 surrogates',
  'CALL NOW 0800 123 456 to claim your FREE ringtone. Reply STOP to end.',
  'Sorry, I\'ll call later',
  'Had your mobile 11 months or more? U R entitled to Update to the latest colour mobiles with camera for Free! Call The Mobile Update Co FREE on 08002986030',
  'As per your request \'Melle Melle (Oru Minnaminunginte Nurungu Vettam)\' has been set as your callertune for all Callers.',
  'Go until jurong point, crazy.. Available only in bugis n great world la e buffet... Cine there got amore wat...',
  'a b c d e f g h i j k l m n o p q r s t u v w x y z',
  'win win win win win win win win win win win win win win win win win win win win win win win win win',
  '   leading and trailing spaces   ',
  'tabs\tand\nnewlines\r\nmixed',
  'ALL CAPS MESSAGE ABOUT A FREE PRIZE',
  'numbers 1 22 333 4444 55555 and 3.14159 and 1,000,000',
  'http://www.example.com/free?win=1&claim=now',
  'email me at someone@example.com for the free gift',
  'Thanks for your subscription to Ringtone UK your mobile will be charged £5/month Please confirm by replying YES or NO.',
  "Even my brother is not like to speak with me. They treat me like aids patent.",
  'x'.repeat(5000) + ' free prize ' + 'long text '.repeat(2000),
];

function readSpamFiles() {
  const modelJson = JSON.parse(readFileSync(resolve(modelDir, 'model.json'), 'utf8'));
  const readWeightFile = (path: string) => new Uint8Array(readFileSync(resolve(modelDir, path)));
  return { modelJson, readWeightFile, vocabText: readFileSync(resolve(modelDir, 'vocab'), 'utf8'), labelsText: readFileSync(resolve(modelDir, 'labels.txt'), 'utf8') };
}

/** Model Maker's rule written plainly: lowercase, regex split, look up, [START] first, pad or cut to 20. */
function referenceTokens(vocab: Map<string, number>, text: string, length: number): number[] {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
  const ids = [vocab.get('<START>')!, ...words.map((word) => vocab.get(word) ?? vocab.get('<UNKNOWN>')!)].slice(0, length);
  while (ids.length < length) ids.push(vocab.get('<PAD>')!);
  return ids;
}

describe.skipIf(!present)('the real spam model', () => {
  let engine: EngineModel;
  let reference: tfjs.LayersModel;
  let vocab: Map<string, number>;
  const files = present ? readSpamFiles() : null;

  beforeAll(async () => {
    try {
      const moduleName = '@tensorflow/tfjs-node';
      tf = (await import(/* @vite-ignore */ moduleName)) as TF;
      console.log('engine-spam: reference backend is @tensorflow/tfjs-node');
    } catch {
      await tf.setBackend('cpu');
      console.log('engine-spam: reference backend is @tensorflow/tfjs (cpu backend)');
    }
    const { modelJson, readWeightFile, vocabText, labelsText } = files!;
    engine = loadModel(convertModel({ modelJson, readWeightFile, vocabText, labelsText }).bytes);
    vocab = new Map(
      vocabText
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const [token, index] = line.trim().split(' ');
          return [token, Number(index)] as [string, number];
        }),
    );
    // TF.js loads the same model.json and shards through a custom IOHandler.
    const weightSpecs = modelJson.weightsManifest.flatMap((group: { weights: unknown[] }) => group.weights);
    const shards = modelJson.weightsManifest.flatMap((group: { paths: string[] }) => group.paths.map((path) => readWeightFile(path)));
    const weightData = tf.io.concatenateArrayBuffers(shards.map((bytes: Uint8Array) => bytes.slice().buffer));
    reference = await tf.loadLayersModel({ load: async () => ({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }) });
  });

  it('has the expected shape', () => {
    expect(engine.inputKind).toBe('tokens');
    expect(engine.inputShape).toEqual([20]);
    expect(engine.labels).toEqual(['false', 'true']);
    expect(engine.hasTokenizer).toBe(true);
    expect(engine.layers.map((layer) => `${layer.kind}:${layer.activation}`)).toEqual([
      'embedding:linear',
      'global_average_pooling_1d:linear',
      'dense:relu',
      'dense:softmax',
    ]);
  });

  it('tokenizes 30 varied texts exactly like the plain regex tokenizer', () => {
    for (const text of TEXTS) expect(Array.from(engine.tokenize(text)), JSON.stringify(text.slice(0, 60))).toEqual(referenceTokens(vocab, text, 20));
  });

  it('scores those texts like TF.js (float32: |a − b| ≤ 1e-5 · max(1, |b|))', () => {
    const ids = TEXTS.map((text) => referenceTokens(vocab, text, 20));
    const x = tf.tensor2d(ids, [ids.length, 20], 'int32');
    const expected = (reference.predict(x) as tfjs.Tensor).arraySync() as number[][];
    TEXTS.forEach((text, i) => {
      const scores = engine.predictText(text);
      expect(scores.length).toBe(2);
      for (let j = 0; j < 2; j++) expect(Math.abs(scores[j] - expected[i][j])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[i][j])));
    });
    const batch = engine.predictTexts(TEXTS);
    TEXTS.forEach((_, i) => expect(Math.abs(batch[2 * i] - expected[i][0])).toBeLessThanOrEqual(1e-5));
  });

  it.each(['float16', 'int8'] as Quantization[])('%s file keeps the argmax where TF.js is decisive (margin > 0.02) and scores within 0.01', (quantize) => {
    const { modelJson, readWeightFile, vocabText, labelsText } = files!;
    const quantized = loadModel(convertModel({ modelJson, readWeightFile, vocabText, labelsText }, { quantize }).bytes);
    const ids = TEXTS.map((text) => referenceTokens(vocab, text, 20));
    const expected = (reference.predict(tf.tensor2d(ids, [ids.length, 20], 'int32')) as tfjs.Tensor).arraySync() as number[][];
    TEXTS.forEach((text, i) => {
      const scores = quantized.predictText(text);
      for (let j = 0; j < 2; j++) expect(Math.abs(scores[j] - expected[i][j])).toBeLessThanOrEqual(0.01);
      if (Math.abs(expected[i][0] - expected[i][1]) > 0.02) expect(quantized.argmax(scores)).toBe(expected[i][0] >= expected[i][1] ? 0 : 1);
    });
  });

  it('int8 file (int8_cols embedding, int8 Dense kernels) gives the float32 labels on every text', () => {
    const { modelJson, readWeightFile, vocabText, labelsText } = files!;
    const quantized = loadModel(convertModel({ modelJson, readWeightFile, vocabText, labelsText }, { quantize: 'int8' }).bytes);
    expect(quantized.byteLength).toBeLessThan(engine.byteLength / 2);
    const labels = (model: EngineModel) => TEXTS.map((text) => model.argmax(model.predictText(text)));
    expect(labels(quantized)).toEqual(labels(engine));
  });
});
