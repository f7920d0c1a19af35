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
