// Graphs (format version 3): models built with tf.model — skip connections, several inputs,
// several outputs, nested Sequential and Model layers, int32 inputs — converted and compared
// with TF.js; and the merge family (engine/layers/merge.ts) against TF.js and its reference.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, parseModelFile, type EngineModel } from '../engine/index.ts';
import { concatenateReference, dotReference, elementwiseReference, type MergeOp } from '../engine/layers/merge.reference.ts';
import { mulberry32 } from '../train/prng.ts';
import { convertModel } from '../converter/convert.ts';
import { convertTfjsModel, saveInMemory } from './tfjs-fixtures.ts';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Seeded weights in ±1.7/sqrt(fan-in), so activations stay O(1). */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const next = mulberry32(seed);
  const weights = model.getWeights().map((weight) => {
    const fanIn = weight.shape.length > 1 ? weight.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    return tf.tensor(new Float32Array(weight.size).map(() => ((next() * 2 - 1) * 1.7) / Math.sqrt(fanIn)), weight.shape);
  });
  model.setWeights(weights);
  weights.forEach((weight) => weight.dispose());
}

/** Engine outputs (concatenated) vs TF.js outputs (each flattened, concatenated) on `count` seeded inputs; returns the worst relative difference. */
async function compareGraph(model: tf.LayersModel, seed: number, count = 4, integer = false): Promise<{ worst: number; engine: EngineModel; bytes: Uint8Array }> {
  randomizeWeights(model, seed);
  const bytes = await convertTfjsModel(model);
  const engine = loadModel(bytes);
  const next = mulberry32(seed + 1);
  let worst = 0;
  for (let n = 0; n < count; n++) {
    const inputs = engine.inputs.map((spec) => Array.from({ length: size(spec.shape) }, () => (integer ? next() * 20 - 10 : next() * 4 - 2)));
    const xs = engine.inputs.map((spec, k) => tf.tensor(inputs[k], [1, ...spec.shape], spec.dtype));
    const predicted = model.predict(xs.length === 1 ? xs[0] : xs);
    const ys = Array.isArray(predicted) ? predicted : [predicted];
    const expected = ys.flatMap((y) => Array.from(y.dataSync()));
    const actual = engine.predictInputs(inputs);
    expect(actual.length).toBe(expected.length);
    expected.forEach((b, i) => {
      const excess = Math.abs(actual[i] - b) / Math.max(1, Math.abs(b));
      worst = Number.isNaN(excess) ? Infinity : Math.max(worst, excess);
    });
    xs.forEach((x) => x.dispose());
    ys.forEach((y) => y.dispose());
  }
  return { worst, engine, bytes };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('graphs built with tf.model', () => {
  it('a skip connection (Add of a layer and its input)', async () => {
    const input = tf.input({ shape: [6], name: 'x' });
    const hidden = tf.layers.dense({ units: 6, activation: 'relu', name: 'h' }).apply(input) as tf.SymbolicTensor;
    const relu = tf.layers.activation({ activation: 'tanh', name: 'act' }).apply(hidden) as tf.SymbolicTensor;
    const joined = tf.layers.add({ name: 'skip' }).apply([input, relu, hidden]) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(joined) as tf.SymbolicTensor;
    const { worst, engine, bytes } = await compareGraph(tf.model({ inputs: input, outputs: output }), 11);
    expect(worst).toBeLessThanOrEqual(1e-5);
    const file = parseModelFile(bytes);
    expect(file.version).toBe(3);
    expect(file.layers.map((layer) => `${layer.name}<-${layer.sources.map((ref) => `${ref.from}${ref.index}`).join('+')}`)).toEqual([
      'h<-input0',
      'act<-layer0',
      'skip<-input0+layer1+layer0',
      'out<-layer2',
    ]);
    expect(engine.inputs).toEqual([{ name: 'x', shape: [6], dtype: 'float32' }]);
    expect(engine.outputs).toEqual([{ name: 'out', shape: [3], dtype: 'float32' }]);
  });

  it('two inputs (Concatenate) and two outputs, predictInputs allocating nothing', async () => {
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [2, 3], name: 'b' });
    const left = tf.layers.dense({ units: 5, activation: 'relu', name: 'left' }).apply(a) as tf.SymbolicTensor;
    const right = tf.layers.flatten({ name: 'flat' }).apply(b) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ name: 'join' }).apply([left, right]) as tf.SymbolicTensor;
    const first = tf.layers.dense({ units: 2, activation: 'softmax', name: 'first' }).apply(joined) as tf.SymbolicTensor;
    const second = tf.layers.dense({ units: 3, name: 'second' }).apply(left) as tf.SymbolicTensor;
    const { worst, engine } = await compareGraph(tf.model({ inputs: [a, b], outputs: [first, second] }), 12);
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(engine.inputs).toEqual([
      { name: 'a', shape: [4], dtype: 'float32' },
      { name: 'b', shape: [2, 3], dtype: 'float32' },
    ]);
    expect(engine.outputs.map((spec) => [spec.name, spec.shape])).toEqual([['first', [2]], ['second', [3]]]);
    expect(engine.outputSize).toBe(5);
    const inputs = [[1, 2, 3, 4], [1, 2, 3, 4, 5, 6]];
    const out = engine.predictInputs(inputs);
    expect(engine.predictInputs(inputs)).toBe(out);
    expect(() => engine.predictVector([1, 2, 3, 4])).toThrow(/takes 2 inputs/);
    expect(() => engine.predictInputs([[1, 2, 3, 4]])).toThrow(/got 1 inputs/);
    expect(() => engine.predictInputs([[1, 2, 3], [1, 2, 3, 4, 5, 6]])).toThrow(/input 'a': got 3 values/);
    const created: string[] = [];
    const saved = Float32Array;
    globalThis.Float32Array = new Proxy(saved, {
      construct(target, args): object {
        created.push('Float32Array');
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      for (let i = 0; i < 20; i++) engine.predictInputs(inputs);
    } finally {
      globalThis.Float32Array = saved;
    }
    expect(created).toEqual([]);
  });

  it('a nested Sequential and a nested Model used as layers are inlined', async () => {
    const inner = tf.sequential({ name: 'inner' });
    inner.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [5], name: 'inner_a' }));
    inner.add(tf.layers.dense({ units: 3, name: 'inner_b' }));
    const subInput = tf.input({ shape: [3], name: 'sub_in' });
    const subOutput = tf.layers.dense({ units: 2, activation: 'sigmoid', name: 'sub_dense' }).apply(subInput) as tf.SymbolicTensor;
    const sub = tf.model({ inputs: subInput, outputs: subOutput, name: 'sub' });
    const input = tf.input({ shape: [5], name: 'x' });
    const middle = inner.apply(input) as tf.SymbolicTensor;
    const output = sub.apply(middle) as tf.SymbolicTensor;
    const { worst, bytes } = await compareGraph(tf.model({ inputs: input, outputs: output }), 13);
    expect(worst).toBeLessThanOrEqual(1e-5);
    // inlined into one chain: written as version 1
    const file = parseModelFile(bytes);
    expect(file.version).toBe(1);
    expect(file.layers.map((layer) => layer.name)).toEqual(['inner_a', 'inner_b', 'sub_dense']);

    // a Sequential whose first layer is a model (its InputLayer becomes the model's input)
    const outer = tf.sequential();
    outer.add(sub);
    outer.add(tf.layers.dense({ units: 2, name: 'after' }));
    const nested = await compareGraph(outer, 14);
    expect(nested.worst).toBeLessThanOrEqual(1e-5);
  });

  it('an int32 input is stored as int32 and truncated as TF.js truncates it', async () => {
    const input = tf.input({ shape: [4], name: 'counts', dtype: 'int32' });
    const output = tf.layers.dense({ units: 2, name: 'd' }).apply(input) as tf.SymbolicTensor;
    const { worst, engine, bytes } = await compareGraph(tf.model({ inputs: input, outputs: output }), 15, 6, true);
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(parseModelFile(bytes).version).toBe(3);
    expect(engine.inputs).toEqual([{ name: 'counts', shape: [4], dtype: 'int32' }]);
    expect(Array.from(engine.predictVector([1.9, -2.9, 3, 0.5]))).toEqual(Array.from(engine.predictVector([1, -2, 3, 0])));
  });

  it('a LeakyReLU given as an activation object (Keras 2) runs as a leaky_relu after the layer', async () => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 4, inputShape: [3], name: 'd' }));
    model.add(tf.layers.leakyReLU({ alpha: 0.1 }));
    randomizeWeights(model, 17);
    const saved = await saveInMemory(tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3], name: 'd' })] }));
    const topology = JSON.parse(JSON.stringify(saved.topology).replace('"activation":"linear"', '"activation":{"class_name":"LeakyReLU","config":{"alpha":0.1}}')) as object;
    const weights = model.getWeights()[0].dataSync();
    const bias = model.getWeights()[1].dataSync();
    const data = new Uint8Array(new Float32Array([...weights, ...bias]).buffer);
    const engine = loadModel(convertModel({ modelJson: { modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: saved.specs }] }, readWeightFile: () => data }).bytes);
    const x = [0.5, -1.5, 2];
    const expected = (model.predict(tf.tensor([x])) as tf.Tensor).dataSync();
    Array.from(engine.predictVector(x)).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    expect(engine.layers.map((layer) => layer.kind)).toEqual(['dense', 'leaky_relu']);
  });

  it('a model with an embedding on each of two inputs (float ids truncated)', async () => {
    const a = tf.input({ shape: [3], name: 'a' });
    const b = tf.input({ shape: [2], name: 'b' });
    const ea = tf.layers.flatten().apply(tf.layers.embedding({ inputDim: 7, outputDim: 2, name: 'ea' }).apply(a)) as tf.SymbolicTensor;
    const eb = tf.layers.globalAveragePooling1d({ name: 'pool' }).apply(tf.layers.embedding({ inputDim: 5, outputDim: 2, name: 'eb' }).apply(b)) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2, name: 'out' }).apply(tf.layers.concatenate().apply([ea, eb])) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: output });
    randomizeWeights(model, 16);
    const engine = loadModel(await convertTfjsModel(model));
    const ids = [[1, 6, 0], [4, 2]];
    const expected = (model.predict([tf.tensor([ids[0]]), tf.tensor([ids[1]])]) as tf.Tensor).dataSync();
    Array.from(engine.predictInputs(ids)).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    expect(Array.from(engine.predictInputs([[1.5, 6.2, 0], [4.9, 2]]))).toEqual(Array.from(engine.predictInputs(ids)));
    expect(() => engine.predictInputs([[1, 7, 0], [4, 2]])).toThrow(/token id 7 at position 1 is not in \[0, 7\)/);
  });
});

/** A random shape of rank 1–3 with dims 1–4. */
function randomShape(next: () => number, rank = 1 + Math.floor(next() * 3)): number[] {
  return Array.from({ length: rank }, () => 1 + Math.floor(next() * 4));
}

/** Engine vs TF.js for one merge layer applied to inputs of `shapes`; also checks the plain reference. */
async function checkMerge(layer: tf.layers.Layer, shapes: number[][], seed: number, reference: (inputs: number[][]) => number[]): Promise<void> {
  const inputs = shapes.map((shape, k) => tf.input({ shape, name: `in${k}` }));
  const output = layer.apply(inputs) as tf.SymbolicTensor;
  const model = tf.model({ inputs, outputs: output });
  const engine = loadModel(await convertTfjsModel(model));
  const next = mulberry32(seed);
  for (let n = 0; n < 3; n++) {
    const values = shapes.map((shape) => Array.from({ length: size(shape) }, () => Math.fround(next() * 4 - 2)));
    const xs = values.map((v, k) => tf.tensor(v, [1, ...shapes[k]]));
    const y = model.predict(xs) as tf.Tensor;
    const expected = y.dataSync();
    const actual = engine.predictInputs(values);
    const plain = reference(values);
    expect(actual.length, `${layer.getClassName()} [${shapes.map((s) => `[${s}]`)}]`).toBe(expected.length);
    expected.forEach((b, i) => {
      expect(Math.abs(actual[i] - b), `${layer.getClassName()} [${shapes.map((s) => `[${s}]`)}] output ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b)));
      expect(Math.abs(plain[i] - b)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b)));
    });
    xs.forEach((x) => x.dispose());
    y.dispose();
  }
  model.dispose();
}

describe('merge layers against TF.js and the plain reference', () => {
  const ops: [MergeOp, (args: { name: string }) => tf.layers.Layer][] = [
    ['add', (args) => tf.layers.add(args)],
    ['multiply', (args) => tf.layers.multiply(args)],
    ['average', (args) => tf.layers.average(args)],
    ['maximum', (args) => tf.layers.maximum(args)],
    ['minimum', (args) => tf.layers.minimum(args)],
  ];

  it('Add, Subtract, Multiply, Average, Maximum, Minimum: equal shapes and TF.js broadcasting (size-1 dims, lower ranks)', async () => {
    const next = mulberry32(21);
    for (const [op, make] of ops) {
      for (let trial = 0; trial < 4; trial++) {
        const full = randomShape(next);
        const count = op === 'subtract' ? 2 : 2 + Math.floor(next() * 2);
        // trial 0: equal shapes; later trials: some dims set to 1, some leading dims dropped
        const shapes = Array.from({ length: count }, (_, k) => {
          if (trial === 0 || k === 0) return full.slice();
          const shape = full.map((dim) => (next() < 0.3 ? 1 : dim));
          return shape.slice(Math.floor(next() * shape.length));
        });
        await checkMerge(make({ name: `${op}_${trial}` }), shapes, 100 + trial, (inputs) => elementwiseReference(op, inputs, shapes).values);
      }
    }
  });

  it('Subtract (not in TF.js) matches the reference; Concatenate axis < -1 is refused with its reason', async () => {
    const next = mulberry32(24);
    for (let trial = 0; trial < 4; trial++) {
      const full = randomShape(next);
      const shapes = [full, trial === 0 ? full : full.map((dim) => (next() < 0.4 ? 1 : dim)).slice(Math.min(trial - 1, full.length - 1))];
      // TF.js has no Subtract layer: the model is saved with Add and renamed, the expected values come from the reference
      const inputs = shapes.map((shape, k) => tf.input({ shape, name: `in${k}` }));
      const model = tf.model({ inputs, outputs: tf.layers.add({ name: 'sub' }).apply(inputs) as tf.SymbolicTensor });
      const saved = await saveInMemory(model);
      const topology = JSON.parse(JSON.stringify(saved.topology).replace('"class_name":"Add"', '"class_name":"Subtract"')) as object;
      const bytes = convertModel({ modelJson: { modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: saved.specs }] }, readWeightFile: () => saved.data }).bytes;
      const engine = loadModel(bytes);
      const values = shapes.map((shape) => Array.from({ length: size(shape) }, () => Math.fround(next() * 4 - 2)));
      const expected = elementwiseReference('subtract', values, shapes).values;
      Array.from(engine.predictInputs(values)).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 6));
    }
    const inputs = [tf.input({ shape: [2, 3] }), tf.input({ shape: [4, 3] })];
    const model = tf.model({ inputs, outputs: tf.layers.concatenate({ axis: -2, name: 'c' }).apply(inputs) as tf.SymbolicTensor });
    await expect(convertTfjsModel(model)).rejects.toThrow("layer 'c' (Concatenate): axis -2 is not supported (TF.js concatenates on the last axis for every negative axis, Keras does not); use axis 1");
  });

  it('Concatenate on every axis, 2–3 inputs', async () => {
    const next = mulberry32(22);
    for (let trial = 0; trial < 8; trial++) {
      const base = randomShape(next);
      const axis = Math.floor(next() * base.length);
      const shapes = Array.from({ length: 2 + Math.floor(next() * 2) }, () => base.map((dim, i) => (i === axis ? 1 + Math.floor(next() * 3) : dim)));
      // Keras counts the batch axis: feature axis i is i + 1; -1 is the last (TF.js reads every negative axis as -1)
      const kerasAxis = axis === base.length - 1 && next() < 0.5 ? -1 : axis + 1;
      await checkMerge(tf.layers.concatenate({ axis: kerasAxis, name: `concat_${trial}` }), shapes, 200 + trial, (inputs) => concatenateReference(inputs, shapes, axis).values);
    }
  });

  it('Dot with every axes pair of rank-1 and rank-2 inputs, normalize true and false', async () => {
    const next = mulberry32(23);
    for (let trial = 0; trial < 10; trial++) {
      const k = 1 + Math.floor(next() * 4);
      const make = (): { shape: number[]; axis: number } => {
        if (next() < 0.35) return { shape: [k], axis: 0 };
        const axis = Math.floor(next() * 2);
        const shape = [1 + Math.floor(next() * 3), 1 + Math.floor(next() * 3)];
        shape[axis] = k;
        return { shape, axis };
      };
      const x = make();
      const y = make();
      const normalize = trial % 2 === 1;
      const axes: [number, number] = [x.axis + 1, y.axis + 1];
      await checkMerge(tf.layers.dot({ axes, normalize, name: `dot_${trial}` }), [x.shape, y.shape], 300 + trial, ([a, b]) =>
        dotReference(a, x.shape, b, y.shape, [x.axis, y.axis], normalize).values,
      );
    }
  });
});

// Masks (Embedding mask_zero, Masking) through merge layers, as tfjs-layers computes them at
// predict (converter/layers/merge.ts): Concatenate on the features axis ANDs its inputs' masks
// (an unmasked input counts as all ones); what TF.js cannot run, or runs otherwise than Keras,
// converts while no layer reads the mask and is refused with its reason when one does.
describe('masks through merge layers as TF.js', () => {
  const STEPS = 6;
  const VOCAB = 9;
  type Source = 'tokens' | 'masking';
  type Recurrent = 'lstm' | 'gru' | 'simpleRNN' | 'bidirectional';

  /** The masked source and a way to make a masked or unmasked [steps, features] branch of it. */
  function source(kind: Source, features: number): { input: tf.SymbolicTensor; branch: (masked: boolean, width: number, name: string) => tf.SymbolicTensor } {
    if (kind === 'tokens') {
      const input = tf.input({ shape: [STEPS], name: 'ids', dtype: 'int32' });
      return { input, branch: (masked, width, name) => tf.layers.embedding({ inputDim: VOCAB, outputDim: width, maskZero: masked, name }).apply(input) as tf.SymbolicTensor };
    }
    const input = tf.input({ shape: [STEPS, features], name: 'x' });
    const masking = tf.layers.masking({ maskValue: 0, name: 'masking' }).apply(input) as tf.SymbolicTensor;
    // a Dense keeps the mask it receives; one on the raw input has none
    return { input, branch: (masked, width, name) => tf.layers.dense({ units: width, activation: 'tanh', name }).apply(masked ? masking : input) as tf.SymbolicTensor };
  }

  function recurrent(kind: Recurrent, units: number, returnSequences: boolean, name: string): tf.layers.Layer {
    if (kind === 'bidirectional') return tf.layers.bidirectional({ layer: tf.layers.lstm({ units, returnSequences }) as never, mergeMode: 'concat', name });
    return tf.layers[kind]({ units, returnSequences, name });
  }

  /** Seeded inputs with masked steps (input 0: every step) for `input`. */
  function maskedInputs(kind: Source, features: number, seed: number, count: number): number[][] {
    const next = mulberry32(seed);
    return Array.from({ length: count }, (_, n) => {
      const row: number[] = [];
      for (let t = 0; t < STEPS; t++) {
        const masked = n === 0 || next() < 0.35;
        if (kind === 'tokens') row.push(masked ? 0 : 1 + Math.floor(next() * (VOCAB - 1)));
        else for (let f = 0; f < features; f++) row.push(masked ? 0 : next() * 4 - 2);
      }
      return row;
    });
  }

  async function compareMasked(model: tf.LayersModel, kind: Source, features: number, seed: number): Promise<number> {
    randomizeWeights(model, seed);
    const engine = loadModel(await convertTfjsModel(model));
    const rows = maskedInputs(kind, features, seed + 1, 4);
    const x = tf.tensor(rows.flat(), kind === 'tokens' ? [rows.length, STEPS] : [rows.length, STEPS, features], kind === 'tokens' ? 'int32' : 'float32');
    const y = model.predict(x) as tf.Tensor;
    const expected = y.dataSync();
    const width = expected.length / rows.length;
    let worst = 0;
    rows.forEach((row, n) => {
      const actual = engine.inputKind === 'tokens' ? engine.predictTokens(row) : engine.predictInputs([row]);
      expect(actual.length).toBe(width);
      actual.forEach((a, i) => (worst = Math.max(worst, Math.abs(a - expected[n * width + i]) / Math.max(1, Math.abs(expected[n * width + i])))));
    });
    tf.dispose([x, y]);
    return worst;
  }

  it('Concatenate (features axis) of masked and unmasked branches feeding LSTM/GRU/SimpleRNN/Bidirectional, within 1e-5', async () => {
    const next = mulberry32(2026);
    const kinds: Recurrent[] = ['lstm', 'gru', 'simpleRNN', 'bidirectional'];
    for (let n = 0; n < 16; n++) {
      const kind: Source = n % 2 === 0 ? 'tokens' : 'masking';
      const features = 2 + Math.floor(next() * 3);
      const { input, branch } = source(kind, features);
      // 2–3 branches, at least one masked (the masked ones all carry the same mask)
      const count = 2 + Math.floor(next() * 2);
      const maskedAt = Math.floor(next() * count);
      const flags = Array.from({ length: count }, (_, k) => k === maskedAt || next() < 0.4);
      const joined = tf.layers.concatenate({ axis: -1, name: 'join' }).apply(flags.map((masked, k) => branch(masked, 1 + Math.floor(next() * 3), `b${k}`))) as tf.SymbolicTensor;
      const first = kinds[n % 4];
      const stacked = next() < 0.5;
      let sequence = recurrent(first, 2 + Math.floor(next() * 3), stacked, 'rnn').apply(joined) as tf.SymbolicTensor;
      if (stacked) sequence = recurrent(kinds[(n + 1) % 4], 3, false, 'rnn2').apply(sequence) as tf.SymbolicTensor;
      const output = tf.layers.dense({ units: 2, name: 'out' }).apply(sequence) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: output });
      const worst = await compareMasked(model, kind, features, 300 + n);
      expect(worst, `${kind} masks [${flags}] → ${first}${stacked ? ' stacked' : ''}`).toBeLessThanOrEqual(1e-5);
      model.dispose();
    }
  });

  it('the mask matters: the engine ignoring it would differ from TF.js', async () => {
    // same model without mask_zero vs with: TF.js outputs differ on the masked inputs, so the test above sees the mask
    const outputs: Float32Array[] = [];
    for (const maskZero of [false, true]) {
      const input = tf.input({ shape: [STEPS], name: 'ids', dtype: 'int32' });
      const a = tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero, name: 'a' }).apply(input) as tf.SymbolicTensor;
      const b = tf.layers.embedding({ inputDim: VOCAB, outputDim: 2, name: 'b' }).apply(input) as tf.SymbolicTensor;
      const output = tf.layers.lstm({ units: 3, name: 'rnn' }).apply(tf.layers.concatenate({ name: 'join' }).apply([b, a])) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: output });
      randomizeWeights(model, 7);
      const engine = loadModel(await convertTfjsModel(model));
      outputs.push(engine.predictTokens([3, 0, 0, 5, 0, 2]).slice());
      model.dispose();
    }
    expect(Array.from(outputs[0])).not.toEqual(Array.from(outputs[1]));
  });

  /** A token model: `merge` of two embeddings (mask_zero each as given), then `after`. */
  function tokenMerge(merge: () => tf.layers.Layer, masks: boolean[], after: (joined: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
    const input = tf.input({ shape: [STEPS], name: 'ids', dtype: 'int32' });
    const branches = masks.map((maskZero, k) => tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero, name: `e${k}` }).apply(input) as tf.SymbolicTensor);
    return tf.model({ inputs: input, outputs: after(merge().apply(branches) as tf.SymbolicTensor) });
  }
  const lstmAfter = (joined: tf.SymbolicTensor) => tf.layers.lstm({ units: 3, name: 'rnn' }).apply(joined) as tf.SymbolicTensor;
  const denseAfter = (joined: tf.SymbolicTensor) => tf.layers.dense({ units: 2, name: 'out' }).apply(joined) as tf.SymbolicTensor;
  const tfjsFails = (model: tf.LayersModel): void => {
    const x = tf.tensor([[1, 2, 0, 3, 0, 4], [0, 0, 1, 2, 3, 4], [5, 0, 2, 0, 1, 1]], [3, STEPS], 'int32');
    expect(() => tf.tidy(() => model.predict(x))).toThrow();
    x.dispose();
  };

  it("elementwise merges pass the first input's mask on with an extra axis: fine until a recurrent layer reads it, then refused (TF.js fails)", async () => {
    const merges: [string, () => tf.layers.Layer][] = [
      ['Add', () => tf.layers.add({ name: 'join' })],
      ['Multiply', () => tf.layers.multiply({ name: 'join' })],
      ['Average', () => tf.layers.average({ name: 'join' })],
      ['Maximum', () => tf.layers.maximum({ name: 'join' })],
      ['Minimum', () => tf.layers.minimum({ name: 'join' })],
    ];
    for (const [name, merge] of merges) {
      const unread = tokenMerge(merge, [true, true], denseAfter);
      expect(await compareMasked(unread, 'tokens', 0, 41), `${name} → Dense`).toBeLessThanOrEqual(1e-5);
      const read = tokenMerge(merge, [true, false], lstmAfter);
      tfjsFails(read);
      await expect(convertTfjsModel(read)).rejects.toThrow(
        `layer 'rnn' (LSTM): receives a merge layer's mask: TF.js passes a merge layer's mask on with an extra axis (Merge.computeMask), which its recurrent layers cannot use (TF.js fails at predict)`,
      );
      // through a Concatenate after it too
      const through = tokenMerge(merge, [true, true], (joined) => lstmAfter(tf.layers.concatenate({ name: 'cat' }).apply([joined, tf.layers.dense({ units: 2, name: 'd' }).apply(joined) as tf.SymbolicTensor]) as tf.SymbolicTensor));
      await expect(convertTfjsModel(through)).rejects.toThrow(/layer 'rnn' \(LSTM\): receives a merge layer's mask: TF.js passes a merge layer's mask on with an extra axis/);
    }
  });

  it('elementwise merges: a mask only on the second input (TF.js drops it, Keras keeps it) and a missing mask among n ≥ 3 (TF.js fails) are refused', async () => {
    const second = tokenMerge(() => tf.layers.add({ name: 'join' }), [false, true], lstmAfter);
    await expect(convertTfjsModel(second)).rejects.toThrow(/layer 'rnn' \(LSTM\): receives a merge layer's mask: TF.js keeps only the first input's mask .* which Keras keeps: no single answer would be right/);
    const three = tokenMerge(() => tf.layers.add({ name: 'join' }), [true, false, true], denseAfter);
    tfjsFails(three);
    await expect(convertTfjsModel(three)).rejects.toThrow(
      "layer 'join' (Add): TF.js cannot run it either: its mask ANDs the masks of every input but the last (Merge.computeMask), and input 1 has none",
    );
  });

  it('Concatenate on the steps axis: masks joined along the steps are refused where read; an unmasked wide input is refused (TF.js fails)', async () => {
    const steps = tokenMerge(() => tf.layers.concatenate({ axis: 1, name: 'join' }), [true, true], lstmAfter);
    await expect(convertTfjsModel(steps)).rejects.toThrow(
      "layer 'rnn' (LSTM): receives a merge layer's mask: masks concatenated along the steps axis (Concatenate on axis 1) are not supported",
    );
    const unread = tokenMerge(() => tf.layers.concatenate({ axis: 1, name: 'join' }), [true, true], denseAfter);
    expect(await compareMasked(unread, 'tokens', 0, 43)).toBeLessThanOrEqual(1e-5);
    const wide = tokenMerge(() => tf.layers.concatenate({ axis: 1, name: 'join' }), [true, false], denseAfter);
    tfjsFails(wide);
    await expect(convertTfjsModel(wide)).rejects.toThrow(/layer 'join' \(Concatenate\): TF.js cannot run it either: Concatenate.computeMask joins a \[steps, 1\] mask with unmasked input 1's \[6,3\] along the steps axis/);
  });

  it('Concatenate of two different masks (an Embedding mask_zero and a Masking layer) is refused where read', async () => {
    const input = tf.input({ shape: [STEPS], name: 'ids', dtype: 'int32' });
    const zero = tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, name: 'e0' }).apply(input) as tf.SymbolicTensor;
    const plain = tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, name: 'e1' }).apply(input) as tf.SymbolicTensor;
    const masking = tf.layers.masking({ maskValue: 0, name: 'masking' }).apply(plain) as tf.SymbolicTensor;
    const both = tf.model({ inputs: input, outputs: lstmAfter(tf.layers.concatenate({ name: 'join' }).apply([zero, masking]) as tf.SymbolicTensor) });
    await expect(convertTfjsModel(both)).rejects.toThrow(/layer 'rnn' \(LSTM\): receives a merge layer's mask: the AND of different masks .* is not supported/);
  });

  it("a recurrent layer receiving no mask after layers that received one: TF.js hands it the stale mask (its executor never resets it), Keras none: refused", async () => {
    /** TF.js's output for token rows with and without mask_zero on the embedding(s). */
    const tfjsOutputs = (build: (maskZero: boolean) => tf.LayersModel): Float32Array[] =>
      [false, true].map((maskZero) => {
        const model = build(maskZero);
        randomizeWeights(model, 9);
        const values = tf.tidy(() => (model.predict(tf.tensor([[3, 0, 0, 5, 0, 2]], [1, STEPS], 'int32')) as tf.Tensor).dataSync() as Float32Array);
        model.dispose();
        return values;
      });
    // Dot passes no mask on (Dot.computeMask), yet the LSTM after it runs masked in TF.js
    const dot = (maskZero: boolean) => tokenMerge(() => tf.layers.dot({ axes: -1, name: 'join' }), [maskZero, maskZero], lstmAfter);
    const [plainDot, maskedDot] = tfjsOutputs(dot);
    expect(Array.from(maskedDot)).not.toEqual(Array.from(plainDot));
    await expect(convertTfjsModel(dot(true))).rejects.toThrow(
      "layer 'rnn' (LSTM): receives no mask, but TF.js would hand it the one layer 'join' (Dot) received (its executor keeps the last mask it passed on), where Keras runs it unmasked: no single answer would be right",
    );
    expect(await compareMasked(dot(false), 'tokens', 0, 44)).toBeLessThanOrEqual(1e-5);
    // the encoder-decoder chain: an LSTM passes no mask on without return_sequences, yet the decoder runs masked in TF.js
    const seq2seq = (maskZero: boolean) =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero, inputShape: [STEPS], name: 'e' }),
          tf.layers.lstm({ units: 3, name: 'encoder' }),
          tf.layers.repeatVector({ n: STEPS, name: 'repeat' }),
          tf.layers.lstm({ units: 2, name: 'decoder' }),
        ],
      });
    const [plain, masked] = tfjsOutputs(seq2seq);
    expect(Array.from(masked)).not.toEqual(Array.from(plain));
    await expect(convertTfjsModel(seq2seq(true))).rejects.toThrow(/layer 'decoder' \(LSTM\): receives no mask, but TF.js would hand it the one layer 'encoder' \(LSTM\) received/);
    // a layer reading a mask after the recurrent one is fine: it runs later
    const later = tf.sequential({ layers: [tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [STEPS] }), tf.layers.lstm({ units: 3, returnSequences: true }), tf.layers.gru({ units: 2 }), tf.layers.dense({ units: 2 })] });
    expect(await compareMasked(later, 'tokens', 0, 45)).toBeLessThanOrEqual(1e-5);
  });
});
