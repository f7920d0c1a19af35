// The recurrent family (engine/layers/recurrent.ts) against @tensorflow/tfjs on random
// LSTM / GRU / SimpleRNN / Bidirectional models: build in TF.js, convert, load, compare.
//
// Tolerances (a = engine, b = TF.js):
//   float32: |a − b| ≤ 1e-5 · max(1, |b|) (sequences up to 12 steps) with bounded cell activations
//     (tanh, sigmoid, hard_sigmoid, softsign) and gates in [0, 1] (sigmoid, hard_sigmoid);
//     1e-4 · max(1, |b|) otherwise (relu, elu, linear cells with sigmoid gates; bounded cells with
//     tanh or softsign gates; the two together are chaotic and not tested): states then
//     grow over the steps (a GRU's 1 − z reaches 2) and TF.js rounds every op to float32 where
//     the engine sums each gate row in doubles, so rounding differences grow with them;
//   float16 and int8: decoding is exact: the same 1e-5 bound against TF.js running the
//     file's own (rounded / dequantized) weights; against the original float32 model,
//     float16 within 1e-2 and int8 within 6e-2 · max(1, |b|) (weights of scale ~1/√fan-in,
//     ≤ 12 steps, bounded activations as above; the converter's rounding is the documented loss).
//   GRU reset_after true (TF.js refuses it): against the plain reference
//     (engine/layers/recurrent.reference.ts), itself checked against TF.js on the other cells.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertModel, type Quantization } from '../converter/convert.ts';
import { loadModel, parseModelFile, tensorFloat32, type LoadOptions } from '../engine/index.ts';
import { GRU, LSTM, SIMPLE_RNN, type RecurrentConfig } from '../engine/layers/recurrent.ts';
import { recurrentReference } from '../engine/layers/recurrent.reference.ts';
import { ACTIVATIONS } from '../engine/format.ts';
import { mulberry32 } from '../train/prng.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Unbounded activations (linear, relu, elu) as a cell's recurrent activation can make states grow
// without bound over the steps; they stay in the output activation, where TF.js models use them.
const CELL_ACTIVATIONS = ['tanh', 'sigmoid', 'hard_sigmoid', 'softsign', 'relu', 'elu', 'linear'] as const;
const GATE_ACTIVATIONS = ['sigmoid', 'hard_sigmoid', 'tanh', 'softsign'] as const;
type CellActivation = (typeof CELL_ACTIVATIONS)[number];
const BOUNDED: readonly string[] = ['tanh', 'sigmoid', 'hard_sigmoid', 'softsign'];
const tfActivation = (name: string) => (name === 'hard_sigmoid' ? 'hardSigmoid' : name) as never;
const MERGES = [null, 'concat', 'sum', 'mul', 'ave'] as const;

interface Recipe {
  cell: 'lstm' | 'gru' | 'simpleRNN';
  units: number;
  steps: number;
  features: number;
  activation: CellActivation;
  recurrentActivation: CellActivation;
  useBias: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
  merge: (typeof MERGES)[number];
  /** A second recurrent layer after the first (forces returnSequences on the first). */
  stacked: boolean;
  /** A TimeDistributed(Dense) after the recurrent layers (when they return sequences). */
  timeDistributed: boolean;
  tokens: boolean;
  seed: number;
  /** A step mask: Embedding mask_zero (with tokens), or a Masking layer of this mask value first. */
  mask?: { kind: 'zero' } | { kind: 'masking'; value: number };
}

// Unbounded cells with gates that leave [0, 1] are chaotic over the steps (float32 rounding alone
// moves the result by more than 1e-4), so that corner is left out of the domain.
const recipeArb: fc.Arbitrary<Recipe> = fc.record({
  cell: fc.constantFrom('lstm' as const, 'gru' as const, 'simpleRNN' as const),
  units: fc.integer({ min: 1, max: 9 }),
  steps: fc.integer({ min: 1, max: 12 }),
  features: fc.integer({ min: 1, max: 7 }),
  activation: fc.constantFrom(...CELL_ACTIVATIONS),
  recurrentActivation: fc.constantFrom(...GATE_ACTIVATIONS),
  useBias: fc.boolean(),
  returnSequences: fc.boolean(),
  goBackwards: fc.boolean(),
  merge: fc.constantFrom(...MERGES),
  stacked: fc.boolean(),
  timeDistributed: fc.boolean(),
  tokens: fc.boolean(),
  seed: fc.integer(),
}).map((recipe) => (BOUNDED.includes(recipe.activation) || recipe.recurrentActivation.includes('sigmoid') ? recipe : { ...recipe, recurrentActivation: 'sigmoid' as const }));

const float32Tolerance = (recipe: Recipe): number =>
  BOUNDED.includes(recipe.activation) && (recipe.cell === 'simpleRNN' || recipe.recurrentActivation.includes('sigmoid')) ? 1e-5 : 1e-4;

function recurrentLayer(recipe: Recipe, returnSequences: boolean): tf.layers.Layer {
  const options = {
    units: recipe.units,
    activation: tfActivation(recipe.activation),
    useBias: recipe.useBias,
    returnSequences,
    goBackwards: recipe.goBackwards,
  };
  const layer =
    recipe.cell === 'lstm'
      ? tf.layers.lstm({ ...options, recurrentActivation: tfActivation(recipe.recurrentActivation) })
      : recipe.cell === 'gru'
        ? tf.layers.gru({ ...options, recurrentActivation: tfActivation(recipe.recurrentActivation) })
        : tf.layers.simpleRNN(options);
  return recipe.merge === null ? layer : tf.layers.bidirectional({ layer: layer as never, mergeMode: recipe.merge });
}

function buildModel(recipe: Recipe): tf.Sequential {
  const model = tf.sequential();
  const maskZero = recipe.mask?.kind === 'zero';
  if (recipe.tokens) model.add(tf.layers.embedding({ inputDim: 20, outputDim: recipe.features, inputLength: recipe.steps, inputShape: [recipe.steps], maskZero }));
  else model.add(tf.layers.inputLayer({ inputShape: [recipe.steps, recipe.features] }));
  if (recipe.mask?.kind === 'masking') model.add(tf.layers.masking({ maskValue: recipe.mask.value }));
  model.add(recurrentLayer(recipe, recipe.stacked || recipe.returnSequences));
  if (recipe.stacked) model.add(recurrentLayer({ ...recipe, goBackwards: !recipe.goBackwards }, recipe.returnSequences));
  if (recipe.timeDistributed && recipe.returnSequences) model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: tfActivation(recipe.activation) }) }));
  // weights of scale 1/√fan-in keep the activations O(1), so a relative bound is meaningful
  const next = mulberry32(recipe.seed);
  const weights = model.getWeights().map((weight) => {
    const fanIn = weight.shape.length === 2 ? weight.shape[0] : 1;
    const values = new Float32Array(weight.size).map(() => ((next() * 2 - 1) * 1.5) / Math.sqrt(fanIn));
    return tf.tensor(values, weight.shape);
  });
  model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  return model;
}

function makeInputs(recipe: Recipe, count: number): number[][] {
  const next = mulberry32(recipe.seed ^ 0x2545f491);
  const size = recipe.tokens ? recipe.steps : recipe.steps * recipe.features;
  const inputs = Array.from({ length: count }, () => Array.from({ length: size }, () => (recipe.tokens ? Math.floor(next() * 20) : next() * 4 - 2)));
  // masked steps: about a third, leading, trailing and in between (input 0: all of them)
  const mask = recipe.mask;
  if (mask !== undefined) {
    inputs.forEach((input, i) => {
      for (let t = 0; t < recipe.steps; t++) {
        if (i > 0 && next() > 0.35) continue;
        if (mask.kind === 'zero') input[t] = 0;
        else for (let f = 0; f < recipe.features; f++) input[t * recipe.features + f] = mask.value;
      }
    });
  }
  return inputs;
}

function tfPredict(model: tf.LayersModel, recipe: Recipe, inputs: number[][]): Float32Array[] {
  const shape = recipe.tokens ? [inputs.length, recipe.steps] : [inputs.length, recipe.steps, recipe.features];
  const x = tf.tensor(inputs.flat(), shape, recipe.tokens ? 'int32' : 'float32');
  const y = model.predict(x) as tf.Tensor;
  const values = y.dataSync() as Float32Array;
  const width = values.length / inputs.length;
  x.dispose();
  y.dispose();
  return inputs.map((_, i) => values.slice(i * width, (i + 1) * width));
}

function enginePredict(bytes: Uint8Array, inputs: number[][], options: LoadOptions = {}): Float32Array[] {
  const engine = loadModel(bytes, options);
  return inputs.map((input) => (engine.inputKind === 'tokens' ? engine.predictTokens(input) : engine.predictVector(input)).slice());
}

function expectClose(actual: Float32Array[], expected: Float32Array[], tolerance: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    expect(row.length).toBe(expected[r].length);
    row.forEach((a, i) => {
      const b = expected[r][i];
      if (!(Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)))) throw new Error(`${what}: input ${r} output ${i}: engine ${a} vs expected ${b} (tolerance ${tolerance})`);
    });
  });
}

/** The file's own weights (float16 rounded, int8 dequantized) put back into the TF.js model, in Keras layout. */
function loadFileWeightsInto(model: tf.LayersModel, bytes: Uint8Array): void {
  const file = parseModelFile(bytes);
  for (const layer of model.layers) {
    const stored = file.layers.find((entry) => entry.name === layer.name);
    if (!stored) continue;
    const embedding = stored.kind === 'embedding';
    const tensors = stored.tensors.map((index, i) => {
      const { shape } = file.tensors[index];
      const values = tensorFloat32(file, index);
      // kernels are stored [gates·units, in]: back to Keras's [in, gates·units]
      if (!embedding && i % 3 < 2) return tf.tensor(values, shape).transpose();
      return tf.tensor(values, shape);
    });
    if (embedding) {
      layer.setWeights(tensors);
      continue;
    }
    // the file always stores a bias; TF.js has none with use_bias false
    layer.setWeights(layer.weights.length === tensors.length ? tensors : tensors.filter((_, i) => i % 3 < 2));
  }
}

describe('recurrent layers vs TF.js', () => {
  it('float32: LSTM, GRU, SimpleRNN, Bidirectional, TimeDistributed(Dense), every option, within 1e-5 · max(1, |b|) (1e-4 with unbounded activations)', async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb, async (recipe) => {
        const model = buildModel(recipe);
        const inputs = makeInputs(recipe, 3);
        expectClose(enginePredict(await convertTfjsModel(model), inputs), tfPredict(model, recipe, inputs), float32Tolerance(recipe), 'float32');
        model.dispose();
      }),
      { numRuns: 80 },
    );
  });

  it('float16 and int8: decoding exact (1e-5 vs TF.js on the file\'s weights); float16 within 1e-2, int8 within 6e-2 of the float32 model', async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb, fc.constantFrom<Quantization>('float16', 'int8'), async (recipe, quantize) => {
        const model = buildModel(recipe);
        const inputs = makeInputs(recipe, 3);
        const original = tfPredict(model, recipe, inputs);
        const bytes = await convertTfjsModel(model, { quantize });
        // int8 'float': a TimeDistributed Dense then runs dequantized too (recurrent kernels always do)
        const actual = enginePredict(bytes, inputs, { int8: 'float' });
        // the loss bound holds where states stay bounded (see the tolerances above)
        if (float32Tolerance(recipe) === 1e-5) expectClose(actual, original, quantize === 'float16' ? 1e-2 : 6e-2, `${quantize} vs the float32 model`);
        loadFileWeightsInto(model, bytes);
        expectClose(actual, tfPredict(model, recipe, inputs), float32Tolerance(recipe), `${quantize} vs TF.js on the file's weights`);
        model.dispose();
      }),
      { numRuns: 40 },
    );
  });

  it('int8 on integers (the default): the three int8 kernels agree bit for bit; within 3e-2 of TF.js on the file\'s weights, 8e-2 of the float32 model', async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb, async (recipe) => {
        const model = buildModel(recipe);
        const inputs = makeInputs(recipe, 3);
        const original = tfPredict(model, recipe, inputs);
        const bytes = await convertTfjsModel(model, { quantize: 'int8' });
        const lanes = enginePredict(bytes, inputs, { int8Kernel: 'lanes' });
        // same integer sums on every kernel, so the same outputs bit for bit
        for (const int8Kernel of ['auto', 'packed', 'plain'] as const) expect(enginePredict(bytes, inputs, { int8Kernel })).toEqual(lanes);
        if (float32Tolerance(recipe) === 1e-5) {
          expectClose(lanes, original, 8e-2, 'int8 integer vs the float32 model');
          loadFileWeightsInto(model, bytes);
          expectClose(lanes, tfPredict(model, recipe, inputs), 3e-2, 'int8 integer vs TF.js on the file\'s weights');
        }
        model.dispose();
      }),
      { numRuns: 40 },
    );
  });

  it('int8 on integers: a linear SimpleRNN stays within the stated bound of its activation rounding, step by step', async () => {
    // e_t ≤ (s_x/2)·Σ|W_j| + (s_h/2)·Σ|U_j| + Σ_k |U_jk|·e_{t−1,k}, with s = max|vector| / 127 per step
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 20 }), fc.integer(), async (units, steps, features, seed) => {
        const recipe: Recipe = {
          cell: 'simpleRNN', units, steps, features, activation: 'linear', recurrentActivation: 'sigmoid', useBias: true, returnSequences: true,
          goBackwards: false, merge: null, stacked: false, timeDistributed: false, tokens: false, seed,
        };
        const model = buildModel(recipe);
        const [input] = makeInputs(recipe, 1);
        const bytes = await convertTfjsModel(model, { quantize: 'int8' });
        const [actual] = enginePredict(bytes, [input], { int8Kernel: 'lanes' });
        const file = parseModelFile(bytes);
        const [W, U, b] = file.layers[0].tensors.map((index) => tensorFloat32(file, index));
        let previous = new Float64Array(units);
        let bound = new Float64Array(units);
        for (let t = 0; t < steps; t++) {
          const x = input.slice(t * features, (t + 1) * features);
          const hEngine = t === 0 ? new Float32Array(units) : actual.slice((t - 1) * units, t * units);
          const sx = Math.max(...x.map(Math.abs)) / 127;
          const sh = Math.max(0, ...Array.from(hEngine, Math.abs)) / 127;
          const exact = new Float64Array(units);
          const next = new Float64Array(units);
          for (let j = 0; j < units; j++) {
            let sum = b[j];
            let wAbs = 0;
            let uAbs = 0;
            let carried = 0;
            for (let k = 0; k < features; k++) {
              sum += W[j * features + k] * x[k];
              wAbs += Math.abs(W[j * features + k]);
            }
            for (let k = 0; k < units; k++) {
              sum += U[j * units + k] * previous[k];
              uAbs += Math.abs(U[j * units + k]);
              carried += Math.abs(U[j * units + k]) * bound[k];
            }
            exact[j] = sum;
            next[j] = (sx / 2) * wAbs + (sh / 2) * uAbs + carried + 1e-5 * Math.max(1, Math.abs(sum));
            const got = actual[t * units + j];
            if (!(Math.abs(got - sum) <= next[j])) throw new Error(`step ${t} unit ${j}: engine ${got} vs exact ${sum}, bound ${next[j]}`);
          }
          previous = exact;
          bound = next;
        }
        model.dispose();
      }),
      { numRuns: 40 },
    );
  });

  it('masking: Embedding mask_zero and the Masking layer feeding LSTM/GRU/SimpleRNN/Bidirectional (stacked, go_backwards, return_sequences, TimeDistributed) as TF.js', async () => {
    const maskArb = fc.oneof(fc.constant({ kind: 'zero' as const }), fc.constantFrom(0, 0.5, -1).map((value) => ({ kind: 'masking' as const, value })));
    await fc.assert(
      fc.asyncProperty(recipeArb, maskArb, fc.constantFrom<Quantization>('float32', 'int8'), async (base, mask, quantize) => {
        const recipe: Recipe = { ...base, mask, tokens: mask.kind === 'zero' };
        const model = buildModel(recipe);
        const inputs = makeInputs(recipe, 3);
        const bytes = await convertTfjsModel(model, { quantize });
        if (quantize === 'int8') {
          // int8 on integers: every kernel gives the same outputs; against TF.js on the file's weights as int8 above
          const lanes = enginePredict(bytes, inputs, { int8Kernel: 'lanes' });
          expect(enginePredict(bytes, inputs, { int8Kernel: 'plain' })).toEqual(lanes);
          if (float32Tolerance(recipe) === 1e-5) {
            loadFileWeightsInto(model, bytes);
            expectClose(lanes, tfPredict(model, recipe, inputs), 3e-2, `masked int8 ${JSON.stringify(mask)}`);
          }
        } else {
          expectClose(enginePredict(bytes, inputs), tfPredict(model, recipe, inputs), float32Tolerance(recipe), `masked ${JSON.stringify(mask)}`);
        }
        model.dispose();
      }),
      { numRuns: 60 },
    );
  });

  it('the plain reference matches TF.js (so it can stand in where TF.js cannot run a config)', async () => {
    await fc.assert(
      fc.asyncProperty(recipeArb, async (recipe) => {
        const plain = { ...recipe, tokens: false, stacked: false, timeDistributed: false };
        const model = buildModel(plain);
        const inputs = makeInputs(plain, 2);
        const file = parseModelFile(await convertTfjsModel(model));
        const entry = file.layers[0];
        const config = configOf(entry.params, entry.kind);
        const directions: ReturnType<typeof kerasWeights>[] = [];
        for (let d = 0; d < entry.tensors.length; d += 3) directions.push(kerasWeights(file, entry.tensors.slice(d, d + 3)));
        const reference = inputs.map((input) => recurrentReference(config, directions, rowsOf(input, plain.features)));
        expectClose(reference, tfPredict(model, plain, inputs), float32Tolerance(plain), 'reference vs TF.js');
        model.dispose();
      }),
      { numRuns: 40 },
    );
  });
});

function configOf(params: readonly number[], kind: string): RecurrentConfig {
  const cell = kind === 'lstm' ? LSTM : kind === 'gru' ? GRU : SIMPLE_RNN;
  const [units, activation, recurrentActivation, returnSequences, goBackwards, merge, resetAfter] = params;
  return { cell, units, activation, recurrentActivation, returnSequences: returnSequences === 1, goBackwards: goBackwards === 1, merge, resetAfter: resetAfter === 1, mask: 0 };
}

/** A direction's stored tensors back in Keras layout. */
function kerasWeights(file: ReturnType<typeof parseModelFile>, indices: number[]) {
  const back = (index: number): Float32Array => {
    const [rows, cols] = file.tensors[index].shape;
    const values = tensorFloat32(file, index);
    const out = new Float32Array(values.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
    return out;
  };
  return { kernel: back(indices[0]), recurrent: back(indices[1]), bias: tensorFloat32(file, indices[2]) };
}

function rowsOf(flat: readonly number[], width: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < flat.length; i += width) rows.push(flat.slice(i, i + width));
  return rows;
}

/** A Keras-style model.json (as tensorflowjs_converter writes it) with one recurrent layer and given weights. */
function kerasModel(layer: Record<string, unknown>, steps: number, features: number, weights: { name: string; shape: number[]; values: Float32Array }[], before: Record<string, unknown>[] = []) {
  const data = new Uint8Array(weights.reduce((n, w) => n + w.values.length * 4, 0));
  let offset = 0;
  for (const w of weights) {
    data.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), offset);
    offset += w.values.byteLength;
  }
  const modelJson = {
    format: 'layers-model',
    modelTopology: {
      keras_version: '2.15.0',
      model_config: {
        class_name: 'Sequential',
        config: { name: 'sequential', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, steps, features], name: 'input' } }, ...before, layer] },
      },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
  return { modelJson, readWeightFile: () => data };
}

describe('GRU reset_after true (Keras default; TF.js refuses it)', () => {
  it('matches the plain reference within 1e-5 · max(1, |b|), one direction and Bidirectional, with and without a Masking layer', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(null, 'concat', 'ave'),
        fc.constantFrom('sigmoid', 'hard_sigmoid'),
        fc.integer(),
        (masked, units, steps, features, returnSequences, goBackwards, merge, recurrentActivation, seed) => {
          const next = mulberry32(seed);
          const random = (n: number, fanIn: number) => new Float32Array(n).map(() => ((next() * 2 - 1) * 1.5) / Math.sqrt(fanIn));
          const direction = () => ({ kernel: random(features * 3 * units, features), recurrent: random(units * 3 * units, units), bias: random(6 * units, 1) });
          const dirs = merge === null ? [direction()] : [direction(), direction()];
          const cellConfig = { name: 'gru', units, activation: 'tanh', recurrent_activation: recurrentActivation, use_bias: true, return_sequences: returnSequences, go_backwards: goBackwards, reset_after: true };
          const prefix = merge === null ? [''] : ['forward_gru/', 'backward_gru/'];
          const weights = dirs.flatMap((d, i) => [
            { name: `gru/${prefix[i]}gru_cell/kernel`, shape: [features, 3 * units], values: d.kernel },
            { name: `gru/${prefix[i]}gru_cell/recurrent_kernel`, shape: [units, 3 * units], values: d.recurrent },
            { name: `gru/${prefix[i]}gru_cell/bias`, shape: [2, 3 * units], values: d.bias },
          ]);
          const layer = merge === null ? { class_name: 'GRU', config: cellConfig } : { class_name: 'Bidirectional', config: { name: 'gru', merge_mode: merge, layer: { class_name: 'GRU', config: cellConfig } } };
          const masking = masked ? [{ class_name: 'Masking', config: { name: 'masking', mask_value: 0 } }] : [];
          const bytes = convertModel(kerasModel(layer, steps, features, weights, masking)).bytes;
          const config: RecurrentConfig = {
            cell: GRU, units, activation: ACTIVATIONS.indexOf('tanh'), recurrentActivation: ACTIVATIONS.indexOf(recurrentActivation),
            returnSequences, goBackwards, merge: merge === null ? 0 : merge === 'concat' ? 1 : 4, resetAfter: true, mask: masked ? 2 : 0,
          };
          const input = Array.from({ length: steps * features }, () => next() * 4 - 2);
          const keep = Array.from({ length: steps }, () => !masked || next() > 0.35);
          keep.forEach((kept, t) => { if (!kept) input.fill(0, t * features, (t + 1) * features); });
          const expected = recurrentReference(config, dirs, rowsOf(input, features), keep);
          expectClose(enginePredict(bytes, [input]), [expected], 1e-5, 'reset_after vs reference');
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('recurrent options the engine cannot honour are refused by name', () => {
  const lstm = (config: Record<string, unknown>, className = 'LSTM') => {
    const units = 2;
    const weights = [
      { name: 'lstm/kernel', shape: [3, 4 * units], values: new Float32Array(3 * 4 * units) },
      { name: 'lstm/recurrent_kernel', shape: [units, 4 * units], values: new Float32Array(units * 4 * units) },
      { name: 'lstm/bias', shape: [4 * units], values: new Float32Array(4 * units) },
    ];
    const cell = { name: 'lstm', units, ...config };
    const layer = className === 'LSTM' ? { class_name: 'LSTM', config: cell } : { class_name: 'Bidirectional', config: { name: 'lstm', layer: { class_name: 'LSTM', config: cell }, ...config } };
    return () => convertModel(kerasModel(layer, 4, 3, weights));
  };
  it.each([
    [{ stateful: true }, /stateful true is not supported/],
    [{ return_state: true }, /return_state true is not supported/],
    [{ time_major: true }, /time_major true is not supported/],
    [{ activation: 'mystery' }, /activation 'mystery' is not supported/],
  ])('%j', (config, message) => {
    expect(lstm(config)).toThrow(message);
  });
  it('Bidirectional merge_mode None and a custom backward_layer', () => {
    expect(lstm({ merge_mode: null }, 'Bidirectional')).toThrow(/merge_mode None \(two outputs\) is not supported/);
    expect(lstm({ merge_mode: 'max' }, 'Bidirectional')).toThrow(/merge_mode "max" is not supported/);
    expect(lstm({ merge_mode: 'sum', backward_layer: { class_name: 'LSTM', config: {} } }, 'Bidirectional')).toThrow(/backward_layer is not supported/);
  });
  it('activation null is linear (as TF.js reads it); a missing recurrent_activation is TF.js\'s default hard_sigmoid', () => {
    const stored = (config: Record<string, unknown>) => parseModelFile(lstm(config)().bytes).layers[0].params.slice(1, 3);
    expect(stored({ activation: null, recurrent_activation: null })).toEqual([ACTIVATIONS.indexOf('linear'), ACTIVATIONS.indexOf('linear')]);
    expect(stored({})).toEqual([ACTIVATIONS.indexOf('tanh'), ACTIVATIONS.indexOf('hard_sigmoid')]);
  });
  it('dropout and unroll are accepted (identity / no effect at inference)', () => {
    expect(lstm({ dropout: 0.3, recurrent_dropout: 0.2, unroll: true })()).toBeTruthy();
  });
  it('a step mask reaching global pooling is refused (TF.js ignores it there, Keras does not)', async () => {
    const model = tf.sequential();
    model.add(tf.layers.embedding({ inputDim: 5, outputDim: 2, inputLength: 3, maskZero: true }));
    model.add(tf.layers.globalAveragePooling1d());
    await expect(convertTfjsModel(model)).rejects.toThrow(/\(GlobalAveragePooling1D\): receives a step mask \(Embedding mask_zero or Masking\), which TF.js pooling ignores/);
    model.dispose();
  });
  it('TimeDistributed of anything but Dense', () => {
    const layer = { class_name: 'TimeDistributed', config: { name: 'td', layer: { class_name: 'Conv1D', config: { filters: 2 } } } };
    expect(() => convertModel(kerasModel(layer, 4, 3, []))).toThrow(/layer 'td' \(TimeDistributed\): wraps Conv1D; TimeDistributed supports only Dense/);
  });
  it('a recurrent layer needs a [steps, features] input', () => {
    const weights = [{ name: 'lstm/kernel', shape: [3, 8], values: new Float32Array(24) }];
    const layer = { class_name: 'LSTM', config: { name: 'lstm', units: 2 } };
    const input = kerasModel(layer, 4, 3, weights);
    (input.modelJson.modelTopology.model_config.config.layers[0].config as Record<string, unknown>).batch_input_shape = [null, 12];
    expect(() => convertModel(input)).toThrow(/needs a \[steps, features\] input, got \[12\]/);
  });
});


// Real third-party models from ../shared/zoo (read in place; skipped where absent): an LSTM text
// model, a stacked Bidirectional LSTM one and a hard_sigmoid GRU one, against TF.js on seeded inputs.
const ZOO = resolve('../shared/zoo');
const ZOO_MODELS = ['edublancas__adl-hw4__model_js', 'basile-bron__Title-clickbait-detection__modeljs', 'mrm8488__sentiment_analysis_tfjs__model'];
describe.skipIf(!existsSync(ZOO))('zoo recurrent models match TF.js within 1e-5 · max(1, |b|)', () => {
  it.each(ZOO_MODELS)('%s', async (folder) => {
    const directory = resolve(ZOO, folder);
    const modelJson = JSON.parse(readFileSync(resolve(directory, 'model.json'), 'utf8'));
    const readWeightFile = (path: string): Uint8Array => readFileSync(resolve(directory, path));
    const bytes = convertModel({ modelJson, readWeightFile }).bytes;
    const engine = loadModel(bytes);
    const manifest = modelJson.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    const data = Buffer.concat(manifest.flatMap((group) => group.paths.map(readWeightFile)));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: manifest.flatMap((group) => group.weights), weightData: new Uint8Array(data).buffer }),
    );
    const next = mulberry32(11);
    const steps = engine.inputShape[0];
    const inputs = Array.from({ length: 4 }, () => Array.from({ length: steps }, () => Math.floor(next() * Math.min(engine.vocabSize, 200))));
    const x = tf.tensor(inputs.flat(), [inputs.length, steps], 'int32');
    const y = model.predict(x) as tf.Tensor;
    const values = y.dataSync() as Float32Array;
    const width = values.length / inputs.length;
    expectClose(enginePredict(bytes, inputs), inputs.map((_, i) => values.slice(i * width, (i + 1) * width)), 1e-5, folder);
    x.dispose();
    y.dispose();
    model.dispose();
  });
});
