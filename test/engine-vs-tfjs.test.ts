// The engine against TF.js on random Sequential models: build in TF.js, save with
// tf.io.withSaveHandler, convert with convertModel (test/tfjs-fixtures.ts), loadModel, compare each score
// with model.predict.
//
// Tolerances (a = engine, b = TF.js):
//   float32:                        |a − b| ≤ 1e-5 · max(1, |b|)
//   float16 and int8 ('float' load): the same 1e-5 bound against TF.js running the
//     file's own (rounded / dequantized) weights: decoding must be exact, and the
//     rounding itself is the converter's documented loss, checked below;
//     against the original float32 model: |a − b| ≤ 2e-2 · max(1, |b|) for float16;
//   int8 with integer kernels (default): against the original float32 model, on
//     softmax outputs, |a − b| ≤ 0.05, and the argmax agrees wherever TF.js's
//     top-2 margin exceeds 2 × 0.05.
import * as tfjs from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Quantization } from '../converter/convert.ts';
import { loadModel, parseModelFile, tensorFloat32, type EngineModel } from '../engine/index.ts';
import { mulberry32 } from '../train/prng.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

type TF = typeof tfjs;
let tf: TF = tfjs;
let backendName = '@tensorflow/tfjs (cpu backend)';

beforeAll(async () => {
  try {
    const moduleName = '@tensorflow/tfjs-node';
    tf = (await import(/* @vite-ignore */ moduleName)) as TF;
    backendName = '@tensorflow/tfjs-node';
  } catch {
    await tf.setBackend('cpu');
  }
  console.log(`engine-vs-tfjs: reference backend is ${backendName}`);
});

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hard_sigmoid', 'tanh', 'softmax', 'softplus', 'softsign', 'swish', 'gelu'] as const;
type Activation = (typeof ACTIVATIONS)[number];
const tfActivation = (name: Activation) => (name === 'hard_sigmoid' ? 'hardSigmoid' : name) as never;

type Layer =
  | { kind: 'dense'; units: number; activation: Activation; useBias: boolean }
  | { kind: 'batchNorm'; center: boolean; scale: boolean; epsilon: number }
  | { kind: 'activation'; activation: Activation }
  | { kind: 'dropout' };

/** Layers that keep the rank: usable on [T, D] (per row of the last axis) and on [N]. */
const rankKeepingLayer: fc.Arbitrary<Layer> = fc.oneof(
  fc.record({ kind: fc.constant('dense' as const), units: fc.integer({ min: 1, max: 20 }), activation: fc.constantFrom(...ACTIVATIONS), useBias: fc.boolean() }),
  fc.record({ kind: fc.constant('batchNorm' as const), center: fc.boolean(), scale: fc.boolean(), epsilon: fc.constantFrom(1e-3, 1e-5, 0.1) }),
  fc.record({ kind: fc.constant('activation' as const), activation: fc.constantFrom(...ACTIVATIONS) }),
  fc.constant({ kind: 'dropout' as const }),
);

interface Recipe {
  input: { kind: 'tokens'; vocab: number; dim: number; steps: number } | { kind: 'vector'; shape: number[] };
  /** Applied while the data still has rank 2 ([T, D]); empty for rank-1 vector inputs. */
  sequenceLayers: Layer[];
  /** How [T, D] becomes a vector (none for rank-1 vector inputs). */
  reduce: 'gap' | 'gmp' | 'flatten' | null;
  vectorLayers: Layer[];
  output: { units: number; activation: Activation };
  seed: number;
}

const outputArb = fc.record({ units: fc.integer({ min: 1, max: 6 }), activation: fc.constantFrom(...ACTIVATIONS) });
const recipeArb: fc.Arbitrary<Recipe> = fc.oneof(
  fc.record({
    input: fc.record({ kind: fc.constant('tokens' as const), vocab: fc.integer({ min: 2, max: 60 }), dim: fc.integer({ min: 1, max: 12 }), steps: fc.integer({ min: 1, max: 24 }) }),
    sequenceLayers: fc.array(rankKeepingLayer, { maxLength: 2 }),
    reduce: fc.constantFrom('gap' as const, 'gmp' as const, 'flatten' as const),
    vectorLayers: fc.array(rankKeepingLayer, { maxLength: 3 }),
    output: outputArb,
    seed: fc.integer(),
  }),
  fc.record({
    input: fc.record({ kind: fc.constant('vector' as const), shape: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 1 }) }),
    sequenceLayers: fc.constant<Layer[]>([]),
    reduce: fc.constant<Recipe['reduce']>(null),
    vectorLayers: fc.array(rankKeepingLayer, { maxLength: 4 }),
    output: outputArb,
    seed: fc.integer(),
  }),
  fc.record({
    input: fc.record({ kind: fc.constant('vector' as const), shape: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 10 })).map(([a, b]) => [a, b]) }),
    sequenceLayers: fc.array(rankKeepingLayer, { maxLength: 2 }),
    reduce: fc.constantFrom('gap' as const, 'gmp' as const, 'flatten' as const),
    vectorLayers: fc.array(rankKeepingLayer, { maxLength: 2 }),
    output: outputArb,
    seed: fc.integer(),
  }),
);

/** A small deterministic PRNG for weights and inputs: the one train/ seeds its shuffles with. */
const random = mulberry32;

function addLayer(model: tfjs.Sequential, layer: Layer): void {
  switch (layer.kind) {
    case 'dense':
      model.add(tf.layers.dense({ units: layer.units, activation: tfActivation(layer.activation), useBias: layer.useBias }));
      break;
    case 'batchNorm':
      model.add(tf.layers.batchNormalization({ center: layer.center, scale: layer.scale, epsilon: layer.epsilon }));
      break;
    case 'activation':
      model.add(tf.layers.activation({ activation: tfActivation(layer.activation) }));
      break;
    case 'dropout':
      model.add(tf.layers.dropout({ rate: 0.5 }));
      break;
  }
}

function buildModel(recipe: Recipe): tfjs.Sequential {
  const model = tf.sequential();
  const { input } = recipe;
  if (input.kind === 'tokens') {
    model.add(tf.layers.embedding({ inputDim: input.vocab, outputDim: input.dim, inputLength: input.steps, inputShape: [input.steps] }));
  } else {
    model.add(tf.layers.inputLayer({ inputShape: input.shape }));
  }
  for (const layer of recipe.sequenceLayers) addLayer(model, layer);
  if (recipe.reduce === 'gap') model.add(tf.layers.globalAveragePooling1d());
  if (recipe.reduce === 'gmp') model.add(tf.layers.globalMaxPooling1d());
  if (recipe.reduce === 'flatten') model.add(tf.layers.flatten());
  for (const layer of recipe.vectorLayers) addLayer(model, layer);
  model.add(tf.layers.dense({ units: recipe.output.units, activation: tfActivation(recipe.output.activation) }));

  // Weights of a scale that keeps activations O(1) (so a 1e-5 relative bound is meaningful); positive variances.
  const next = random(recipe.seed);
  const weights = model.getWeights().map((weight, i) => {
    const name = model.weights[i].originalName;
    const fanIn = weight.shape.length === 2 ? weight.shape[0] : 1;
    const values = new Float32Array(weight.size).map(() => {
      if (name.includes('moving_variance')) return 0.2 + next() * 2;
      if (name.includes('gamma')) return 0.5 + next();
      if (name.includes('embeddings')) return (next() * 2 - 1) * 1.5;
      return ((next() * 2 - 1) * 1.7) / Math.sqrt(fanIn);
    });
    return tf.tensor(values, weight.shape);
  });
  model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  return model;
}

/** Random inputs for a recipe: token ids or floats in [-3, 3]. */
function makeInputs(recipe: Recipe, count: number): number[][] {
  const next = random(recipe.seed ^ 0x5bd1e995);
  const { input } = recipe;
  const size = input.kind === 'tokens' ? input.steps : input.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () =>
    Array.from({ length: size }, () => (input.kind === 'tokens' ? Math.floor(next() * input.vocab) : next() * 6 - 3)),
  );
}

function tfPredict(model: tfjs.LayersModel, recipe: Recipe, inputs: number[][]): Float32Array[] {
  const { input } = recipe;
  const shape = input.kind === 'tokens' ? [inputs.length, input.steps] : [inputs.length, ...input.shape];
  const x = tf.tensor(inputs.flat(), shape, input.kind === 'tokens' ? 'int32' : 'float32');
  const y = model.predict(x) as tfjs.Tensor;
  const values = y.dataSync() as Float32Array;
  const width = values.length / inputs.length;
  x.dispose();
  y.dispose();
  return inputs.map((_, i) => values.slice(i * width, (i + 1) * width));
}

function enginePredict(engine: EngineModel, inputs: number[][]): Float32Array[] {
  return inputs.map((item) => (engine.inputKind === 'tokens' ? engine.predictTokens(item) : engine.predictVector(item)).slice());
}

/** Throws with the first element where |a − b| > tolerance · max(1, |b|). */
function expectClose(actual: Float32Array[], expected: Float32Array[], tolerance: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    expect(row.length).toBe(expected[r].length);
    row.forEach((a, i) => {
      const b = expected[r][i];
      if (!(Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)))) {
        throw new Error(`${what}: input ${r} output ${i}: engine ${a} vs TF.js ${b} (tolerance ${tolerance})`);
      }
    });
  });
}

/** The file's own weights (float16 rounded, int8 dequantized) put back into the TF.js model. */
function loadFileWeightsInto(model: tfjs.LayersModel, bytes: Uint8Array): void {
  const file = parseModelFile(bytes);
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const stored = file.layers.find((l) => l.name === layer.name);
    if (!stored) throw new Error(`layer ${layer.name} is not in the file`);
    const values = stored.tensors.map((index) => ({ data: tensorFloat32(file, index), shape: file.tensors[index].shape }));
    let tensors: tfjs.Tensor[];
    if (stored.kind === 'dense') {
      const kernel = tf.tensor(values[0].data, values[0].shape).transpose();
      tensors = values.length > 1 ? [kernel, tf.tensor(values[1].data, values[1].shape)] : [kernel];
    } else if (stored.kind === 'batch_normalization') {
      // the file always stores gamma, beta, mean, variance; TF.js omits gamma/beta when scale/center is false
      const names = layer.weights.map((w) => w.originalName);
      const order = ['gamma', 'beta', 'moving_mean', 'moving_variance'];
      tensors = order.flatMap((part, i) => (names.some((n) => n.endsWith(part)) ? [tf.tensor(values[i].data, values[i].shape)] : []));
    } else {
      tensors = values.map((v) => tf.tensor(v.data, v.shape));
    }
    layer.setWeights(tensors);
  }
}

describe(`engine vs TF.js on random models`, () => {
  it('float32: every layer and activation within 1e-5 · max(1, |b|)', async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb, async (recipe) => {
        const model = buildModel(recipe);
        const engine = loadModel(await convertTfjsModel(model, { quantize: 'float32' }));
        const inputs = makeInputs(recipe, 4);
        expectClose(enginePredict(engine, inputs), tfPredict(model, recipe, inputs), 1e-5, 'float32');
        model.dispose();
      }),
      { numRuns: 150 },
    );
  });

  it('float16 and int8: decoding is exact (1e-5 against TF.js on the file\'s weights); float16 within 2e-2 of the float32 model', async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb, fc.constantFrom<Quantization>('float16', 'int8'), async (recipe, quantize) => {
        const model = buildModel(recipe);
        const inputs = makeInputs(recipe, 4);
        const original = tfPredict(model, recipe, inputs);
        const bytes = await convertTfjsModel(model, { quantize: quantize });
        const engine = loadModel(bytes, { int8: 'float' });
        if (quantize === 'float16') expectClose(enginePredict(engine, inputs), original, 2e-2, 'float16 vs float32 model');
        loadFileWeightsInto(model, bytes);
        expectClose(enginePredict(engine, inputs), tfPredict(model, recipe, inputs), 1e-5, `${quantize} vs TF.js on the file's weights`);
        model.dispose();
      }),
      { numRuns: 100 },
    );
  });

  it('int8 integer kernels: softmax scores within 0.05 of the float32 model; argmax agrees where the margin exceeds 0.1', async () => {
    const softmaxRecipe = recipeArb.map((recipe) => ({ ...recipe, output: { units: Math.max(2, recipe.output.units), activation: 'softmax' as const } }));
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(softmaxRecipe, async (recipe) => {
        const model = buildModel(recipe);
        const inputs = makeInputs(recipe, 6);
        const expected = tfPredict(model, recipe, inputs);
        const engine = loadModel(await convertTfjsModel(model, { quantize: 'int8' }));
        const actual = enginePredict(engine, inputs);
        expected.forEach((row, r) => {
          row.forEach((b, i) => expect(Math.abs(actual[r][i] - b)).toBeLessThanOrEqual(0.05));
          const sorted = Array.from(row).sort((x, y) => y - x);
          if (sorted[0] - sorted[1] > 0.1) {
            compared++;
            expect(engine.argmax(actual[r])).toBe(engine.argmax(row));
          }
        });
        model.dispose();
      }),
      { numRuns: 100 },
    );
    expect(compared).toBeGreaterThan(50);
  });
});
