import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConvertError, DEFAULT_MAX_LENGTH, convertModel, type ConvertInput, type ConvertOptions } from '../converter/convert.ts';
import { snakeCaseKeys } from '../converter/config.ts';
import { convertFiles } from '../converter/files.ts';
import { float16ToFloat32, float32ToFloat16 } from '../engine/float16.ts';
import { parseModelFile, tensorFloat32, tensorInt8, tensorInt8Cols, type ParsedModelFile } from '../engine/format.ts';
import { saveInMemory, type WeightSpec } from './tfjs-fixtures.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const spamDir = path.resolve(repoRoot, '../shared/models/spam-detection');

tf.setBackend('cpu');

/** A model.json object plus its shard files, as ConvertInput wants them. */
interface Fixture {
  modelJson: { modelTopology: unknown; weightsManifest: { paths: string[]; weights: WeightSpec[] }[]; [key: string]: unknown };
  files: Map<string, Uint8Array>;
  /** Original float32 weights by name. */
  weights: Map<string, { shape: number[]; values: Float32Array }>;
}

/** Wraps saved artifacts as model.json; `shards` splits the single group's bytes; `nest` uses model_config. */
async function fixture(model: tf.LayersModel, { shards = 1, nest = false } = {}): Promise<Fixture> {
  const { topology, specs, data } = await saveInMemory(model);
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((x, y) => x * y, 1);
    weights.set(spec.name, { shape: spec.shape, values: new Float32Array(data.slice(offset, offset + size * 4).buffer) });
    offset += size * 4;
  }
  const files = new Map<string, Uint8Array>();
  const paths: string[] = [];
  const cut = Math.ceil(data.length / shards);
  for (let i = 0; i < shards; ++i) {
    const name = `group1-shard${i + 1}of${shards}.bin`;
    paths.push(name);
    files.set(name, data.slice(i * cut, (i + 1) * cut));
  }
  const modelTopology = nest ? { keras_version: '2.4.0', backend: 'tensorflow', model_config: topology } : topology;
  return { modelJson: { format: 'layers-model', modelTopology, weightsManifest: [{ paths, weights: specs }] }, files, weights };
}

function convert(fixture: Fixture, extra: Partial<ConvertInput> = {}, options: ConvertOptions = {}) {
  return convertModel(
    {
      modelJson: fixture.modelJson,
      readWeightFile: (name) => {
        const bytes = fixture.files.get(name);
        if (!bytes) throw new Error(`ENOENT ${name}`);
        return bytes;
      },
      ...extra,
    },
    options,
  );
}

function convertError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConvertError);
    return (error as Error).message;
  }
  throw new Error('expected a ConvertError');
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) out[c * rows + r] = values[r * cols + c];
  return out;
}

function tensorByName(file: ParsedModelFile, name: string): Float32Array {
  const index = file.tensors.findIndex((tensor) => tensor.name === name);
  expect(index, `tensor ${name}`).toBeGreaterThanOrEqual(0);
  return tensorFloat32(file, index);
}

function expectBits(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true);
}

function tokensModel(): tf.Sequential {
  const model = tf.sequential({ name: 'tokens_model' });
  model.add(tf.layers.embedding({ inputDim: 12, outputDim: 5, inputLength: 6, name: 'emb' }));
  model.add(tf.layers.globalAveragePooling1d({ name: 'pool' }));
  model.add(tf.layers.dense({ units: 4, activation: 'relu', name: 'hidden' }));
  model.add(tf.layers.dropout({ rate: 0.2, name: 'drop' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
  return model;
}

function vectorModel(): tf.Sequential {
  const model = tf.sequential({ name: 'vector_model' });
  model.add(tf.layers.flatten({ inputShape: [3, 4], name: 'flat' }));
  model.add(tf.layers.dense({ units: 6, activation: 'hardSigmoid', name: 'd1' }));
  model.add(tf.layers.batchNormalization({ name: 'bn', epsilon: 0.01 }));
  model.add(tf.layers.activation({ activation: 'tanh', name: 'act' }));
  model.add(tf.layers.dense({ units: 2, useBias: false, name: 'd2' }));
  return model;
}

/** Gives BatchNormalization non-trivial moving statistics, so round trips see real values. */
function randomizeWeights(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length) layer.setWeights(weights.map((w) => tf.randomUniform(w.shape, 0.5, 1.5)));
  }
}

describe('convertModel: topology shapes and round trip', () => {
  it('converts a Sequential tokens model as model.save writes it, bit-exact', async () => {
    const source = await fixture(tokensModel());
    const { bytes, summary } = convert(source, { labelsText: 'a\nb\nc\n' });
    const file = parseModelFile(bytes);
    expect(file.name).toBe('tokens_model');
    expect(file.inputKind).toBe('tokens');
    expect(file.inputShape).toEqual([6]);
    expect(file.labels).toEqual(['a', 'b', 'c']);
    expect(file.layers.map((layer) => `${layer.kind}/${layer.activation}:${layer.outputShape}`)).toEqual([
      'embedding/linear:6,5',
      'global_average_pooling_1d/linear:5',
      'dense/relu:4',
      'dense/softmax:3',
    ]);
    expectBits(tensorByName(file, 'emb/embeddings'), source.weights.get('emb/embeddings')!.values);
    expectBits(tensorByName(file, 'hidden/kernel'), transpose(source.weights.get('hidden/kernel')!.values, 5, 4));
    expectBits(tensorByName(file, 'hidden/bias'), source.weights.get('hidden/bias')!.values);
    expectBits(tensorByName(file, 'out/kernel'), transpose(source.weights.get('out/kernel')!.values, 4, 3));
    expect(summary.parameters).toBe(12 * 5 + 5 * 4 + 4 + 4 * 3 + 3);
    expect(file.parameterCount).toBe(summary.parameters);
    expect(summary.layers.map((layer) => layer.className)).toEqual(['Embedding', 'GlobalAveragePooling1D', 'Dense', 'Dropout', 'Dense']);
    expect(summary.bytes).toBe(bytes.length);
  });

  it('gives the same bytes for the model_config (tensorflowjs_converter) wrapping', async () => {
    const model = tokensModel();
    const plain = convert(await fixture(model)).bytes;
    const nested = convert(await fixture(model, { nest: true })).bytes;
    expect(Buffer.from(nested).equals(Buffer.from(plain))).toBe(true);
  });

  it('reads camelCase keys (and camelCase data_format values) as TF.js does: same bytes as snake_case', async () => {
    const source = await fixture(tokensModel(), { nest: true });
    const expected = convert(source).bytes;
    // TF.js camel-cases every key before reading (convertPythonicToTs), so a hand-edited file may use either
    const camel = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(camel)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key.replace(/_+(\w)/g, (_, c: string) => c.toUpperCase()), camel(item)]))
          : value;
    source.modelJson.modelTopology = camel(source.modelJson.modelTopology);
    expect(JSON.stringify(source.modelJson.modelTopology)).toContain('"modelConfig"');
    expect(JSON.stringify(source.modelJson.modelTopology)).toContain('"batchInputShape"');
    expect(Buffer.from(convert(source).bytes).equals(Buffer.from(expected))).toBe(true);
    expect(snakeCaseKeys({ dataFormat: 'channelsFirst', padding: 'same', name: 'myLayer', kernelSize: [3] })).toEqual({ data_format: 'channels_first', padding: 'same', name: 'myLayer', kernel_size: [3] });
  });

  it('converts Flatten, Dense without bias, BatchNormalization and Activation', async () => {
    const model = vectorModel();
    randomizeWeights(model);
    const source = await fixture(model);
    const file = parseModelFile(convert(source).bytes);
    expect(file.inputKind).toBe('vector');
    expect(file.inputShape).toEqual([3, 4]);
    expect(file.labels).toEqual(['0', '1']);
    expect(file.layers.map((layer) => [layer.kind, layer.activation, layer.tensors.length, layer.params.length])).toEqual([
      ['flatten', 'linear', 0, 0],
      ['dense', 'hard_sigmoid', 2, 0],
      ['batch_normalization', 'linear', 4, 1],
      ['activation', 'tanh', 0, 0],
      ['dense', 'linear', 1, 0],
    ]);
    expect(file.layers[2].params[0]).toBeCloseTo(0.01, 7);
    for (const name of ['gamma', 'beta', 'moving_mean', 'moving_variance']) expectBits(tensorByName(file, `bn/${name}`), source.weights.get(`bn/${name}`)!.values);
    expectBits(tensorByName(file, 'd2/kernel'), transpose(source.weights.get('d2/kernel')!.values, 6, 2));
  });

  it('fills a BatchNormalization without scale and center with ones and zeros', async () => {
    const model = tf.sequential();
    model.add(tf.layers.batchNormalization({ inputShape: [3], scale: false, center: false, name: 'bn' }));
    const file = parseModelFile(convert(await fixture(model)).bytes);
    expect([...tensorByName(file, 'bn/gamma')]).toEqual([1, 1, 1]);
    expect([...tensorByName(file, 'bn/beta')]).toEqual([0, 0, 0]);
  });

  it('converts a Functional single chain', async () => {
    const input = tf.input({ shape: [5], name: 'in' });
    const hidden = tf.layers.dense({ units: 3, activation: 'elu', name: 'h' }).apply(input) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2, activation: 'sigmoid', name: 'o' }).apply(hidden) as tf.SymbolicTensor;
    const source = await fixture(tf.model({ inputs: input, outputs: output, name: 'chain' }));
    const file = parseModelFile(convert(source).bytes);
    expect(file.inputShape).toEqual([5]);
    expect(file.layers.map((layer) => layer.name)).toEqual(['h', 'o']);
    expectBits(tensorByName(file, 'h/kernel'), transpose(source.weights.get('h/kernel')!.values, 5, 3));
  });

  it('rejects a shared layer (applied twice)', async () => {
    const input = tf.input({ shape: [4], name: 'in' });
    const shared = tf.layers.dense({ units: 4, name: 'shared' });
    const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
    const source = await fixture(tf.model({ inputs: input, outputs: twice }));
    expect(convertError(() => convert(source))).toBe("layer 'shared' is applied 2 times; shared layers are not supported");
  });

  it('reads several weight groups and several shards per group', async () => {
    const model = tokensModel();
    const single = await fixture(model);
    const expected = convert(single).bytes;
    const split = await fixture(model, { shards: 3 });
    expect(split.files.size).toBe(3);
    expect(Buffer.from(convert(split).bytes).equals(Buffer.from(expected))).toBe(true);

    // Two groups: the embedding alone, then the rest in two shards.
    const [group] = single.modelJson.weightsManifest;
    const all = single.files.get(group.paths[0])!;
    const firstBytes = 12 * 5 * 4;
    const grouped: Fixture = {
      ...single,
      modelJson: {
        ...single.modelJson,
        weightsManifest: [
          { paths: ['g1.bin'], weights: group.weights.slice(0, 1) },
          { paths: ['g2a.bin', 'g2b.bin'], weights: group.weights.slice(1) },
        ],
      },
      files: new Map([
        ['g1.bin', all.slice(0, firstBytes)],
        ['g2a.bin', all.slice(firstBytes, firstBytes + 10)],
        ['g2b.bin', all.slice(firstBytes + 10)],
      ]),
    };
    expect(Buffer.from(convert(grouped).bytes).equals(Buffer.from(expected))).toBe(true);
  });

  it('converts the same input to identical bytes', async () => {
    const source = await fixture(vectorModel());
    for (const quantize of ['float32', 'float16', 'int8'] as const) {
      expect(Buffer.from(convert(source, {}, { quantize }).bytes).equals(Buffer.from(convert(source, {}, { quantize }).bytes))).toBe(true);
    }
  });
});

/** A hand-written manifest for Dense(3 -> 2): kernel and bias quantized as given. */
function quantizedFixture(kernelQuantization: WeightSpec['quantization'], kernelData: Uint8Array, biasQuantization: WeightSpec['quantization'], biasData: Uint8Array): Fixture {
  const data = new Uint8Array(kernelData.length + biasData.length);
  data.set(kernelData);
  data.set(biasData, kernelData.length);
  return {
    modelJson: {
      modelTopology: {
        class_name: 'Sequential',
        config: { name: 'q', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 2, batch_input_shape: [null, 3] } }] },
      },
      weightsManifest: [
        {
          paths: ['w.bin'],
          weights: [
            { name: 'dense/kernel', shape: [3, 2], dtype: 'float32', quantization: kernelQuantization },
            { name: 'dense/bias', shape: [2], dtype: 'float32', quantization: biasQuantization },
          ],
        },
      ],
    },
    files: new Map([['w.bin', data]]),
    weights: new Map(),
  };
}

describe('convertModel: quantized manifests', () => {
  it('decodes uint8 and uint16 as q * scale + min', () => {
    const kernelQ = Uint8Array.from([0, 1, 2, 100, 254, 255]);
    const biasQ = Uint16Array.from([7, 65535]);
    const source = quantizedFixture({ dtype: 'uint8', min: -1.5, scale: 0.01 }, kernelQ, { dtype: 'uint16', min: 0.25, scale: 1e-4 }, new Uint8Array(biasQ.buffer));
    const file = parseModelFile(convert(source).bytes);
    const kernel = Float32Array.from(kernelQ, (q) => q * 0.01 - 1.5);
    expectBits(tensorByName(file, 'dense/kernel'), transpose(kernel, 3, 2));
    expectBits(tensorByName(file, 'dense/bias'), Float32Array.from(biasQ, (q) => q * 1e-4 + 0.25));
  });

  it('decodes float16 weights', () => {
    const kernel = Float32Array.from([0.5, -2, 1e-3, 65504, -0.333, 3.14159]);
    const halves = Uint16Array.from(kernel, float32ToFloat16);
    const bias = Uint16Array.from([0.125, -7].map(float32ToFloat16));
    const source = quantizedFixture({ dtype: 'float16' }, new Uint8Array(halves.buffer), { dtype: 'float16' }, new Uint8Array(bias.buffer));
    const file = parseModelFile(convert(source).bytes);
    expectBits(tensorByName(file, 'dense/kernel'), transpose(Float32Array.from(halves, float16ToFloat32), 3, 2));
    expect([...tensorByName(file, 'dense/bias')]).toEqual([0.125, -7]);
  });

  it('decodes int32 weights and rounds int32 originals', () => {
    const kernel = Int32Array.from([1, -2, 3, 4, 5, -6]);
    const source = quantizedFixture(undefined, new Uint8Array(kernel.buffer), { dtype: 'uint8', min: 0, scale: 0.3, original_dtype: 'int32' }, Uint8Array.from([1, 5]));
    source.modelJson.weightsManifest[0].weights[0].dtype = 'int32';
    const file = parseModelFile(convert(source).bytes);
    expect([...tensorByName(file, 'dense/kernel')]).toEqual([1, 3, 5, -2, 4, -6]);
    expect([...tensorByName(file, 'dense/bias')]).toEqual([0, 2]); // round(0.3), round(1.5)
  });

  it('rejects an unknown quantization dtype', () => {
    const source = quantizedFixture({ dtype: 'int4', min: 0, scale: 1 }, new Uint8Array(6), { dtype: 'uint8', min: 0, scale: 1 }, new Uint8Array(2));
    expect(convertError(() => convert(source))).toBe(`weight 'dense/kernel': quantization dtype "int4" is not supported (uint8, uint16, float16)`);
  });
});

describe('convertModel: quantized output', () => {
  it('float16: values within half a float16 ulp; biases and BN gamma/beta float16, BN moving statistics float32', async () => {
    const model = vectorModel();
    randomizeWeights(model);
    const source = await fixture(model);
    const file = parseModelFile(convert(source, {}, { quantize: 'float16' }).bytes);
    const kernel = file.tensors.find((tensor) => tensor.name === 'd1/kernel')!;
    expect(kernel.dtype).toBe('float16');
    expect(Object.fromEntries(file.tensors.filter((tensor) => tensor.shape.length === 1).map((tensor) => [tensor.name, tensor.dtype]))).toEqual({
      'd1/bias': 'float16',
      'bn/gamma': 'float16',
      'bn/beta': 'float16',
      'bn/moving_mean': 'float32',
      'bn/moving_variance': 'float32',
    });
    for (const name of ['d1/bias', 'bn/gamma', 'bn/beta']) {
      const decoded = tensorByName(file, name);
      source.weights.get(name)!.values.forEach((value, i) => expect(Math.abs(decoded[i] - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11 + 2 ** -25));
    }
    expect(tensorByName(file, 'bn/moving_mean')).toEqual(source.weights.get('bn/moving_mean')!.values);
    const original = transpose(source.weights.get('d1/kernel')!.values, 12, 6);
    const decoded = tensorByName(file, 'd1/kernel');
    original.forEach((value, i) => expect(Math.abs(decoded[i] - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11 + 2 ** -25));
  });

  it('int8: a scale per output channel (Dense kernel rows, embedding columns), maxabs/127, values within half a step', async () => {
    const model = tokensModel();
    randomizeWeights(model);
    const source = await fixture(model);
    const file = parseModelFile(convert(source, {}, { quantize: 'int8' }).bytes);
    const index = (name: string): number => file.tensors.findIndex((tensor) => tensor.name === name);

    // Dense kernel, stored transposed [units, inputDim]: int8, one scale per row (= per unit)
    const kernel = transpose(source.weights.get('hidden/kernel')!.values, 5, 4);
    expect(file.tensors[index('hidden/kernel')].dtype).toBe('int8');
    const rowView = tensorInt8(file, index('hidden/kernel'));
    const rowDecoded = tensorFloat32(file, index('hidden/kernel'));
    expect([rowView.rows, rowView.cols, rowView.scales.length]).toEqual([4, 5, 4]);
    for (let r = 0; r < 4; ++r) {
      const row = kernel.subarray(r * 5, (r + 1) * 5);
      expect(rowView.scales[r]).toBe(Math.fround(Math.max(...row.map(Math.abs)) / 127));
      row.forEach((value, c) => {
        expect(Math.abs(rowView.values[r * 5 + c])).toBeLessThanOrEqual(127);
        expect(Math.abs(rowDecoded[r * 5 + c] - value)).toBeLessThanOrEqual(rowView.scales[r] * 0.5001);
      });
    }

    // Embedding [inputDim, outputDim]: int8_cols, one scale per column (= per output channel)
    const table = source.weights.get('emb/embeddings')!.values;
    expect(file.tensors[index('emb/embeddings')]).toMatchObject({ dtype: 'int8_cols', shape: [12, 5], byteLength: 5 * 4 + 60 });
    const colView = tensorInt8Cols(file, index('emb/embeddings'));
    const colDecoded = tensorFloat32(file, index('emb/embeddings'));
    expect([colView.rows, colView.cols, colView.scales.length]).toEqual([12, 5, 5]);
    for (let c = 0; c < 5; ++c) {
      const column = Float32Array.from({ length: 12 }, (_, r) => table[r * 5 + c]);
      expect(colView.scales[c]).toBe(Math.fround(Math.max(...column.map(Math.abs)) / 127));
      column.forEach((value, r) => {
        expect(Math.abs(colView.values[r * 5 + c])).toBeLessThanOrEqual(127);
        expect(Math.abs(colDecoded[r * 5 + c] - value)).toBeLessThanOrEqual(colView.scales[c] * 0.5001);
      });
      expect(Math.max(...column.map((_, r) => Math.abs(colView.values[r * 5 + c])))).toBe(127); // the largest |value| of a column maps to ±127
    }
    expect(file.tensors.find((tensor) => tensor.name === 'hidden/bias')!.dtype).toBe('float32');
  });

  it('int8: an all-zero embedding column gets scale 0; a non-finite value is refused', async () => {
    const model = tokensModel();
    randomizeWeights(model);
    const source = await fixture(model);
    const spec = source.modelJson.weightsManifest[0].weights.find((weight) => weight.name === 'emb/embeddings')!;
    expect(spec.shape).toEqual([12, 5]);
    const shard = source.files.get(source.modelJson.weightsManifest[0].paths[0])!;
    const all = new Float32Array(shard.slice().buffer);
    const offset = source.modelJson.weightsManifest[0].weights.slice(0, source.modelJson.weightsManifest[0].weights.indexOf(spec)).reduce((n, w) => n + w.shape.reduce((x, y) => x * y, 1), 0);
    expect(source.modelJson.weightsManifest[0].paths).toHaveLength(1);
    for (let r = 0; r < 12; ++r) all[offset + r * 5 + 1] = 0;
    source.files.set(source.modelJson.weightsManifest[0].paths[0], new Uint8Array(all.buffer));
    const file = parseModelFile(convert(source, {}, { quantize: 'int8' }).bytes);
    const view = tensorInt8Cols(file, file.tensors.findIndex((tensor) => tensor.name === 'emb/embeddings'));
    expect(view.scales[1]).toBe(0);
    for (let r = 0; r < 12; ++r) expect(view.values[r * 5 + 1]).toBe(0);
    all[offset + 2 * 5 + 2] = NaN;
    source.files.set(source.modelJson.weightsManifest[0].paths[0], new Uint8Array(all.buffer));
    expect(convertError(() => convert(source, {}, { quantize: 'int8' }))).toBe("weight 'emb/embeddings' column 2 has a non-finite value; int8 cannot store it");
  });

  it('rejects values beyond float16 range', () => {
    const kernel = Float32Array.from([1, 2, 3, 70000, 5, 6]);
    const source = quantizedFixture(undefined, new Uint8Array(kernel.buffer), undefined, new Uint8Array(8));
    expect(convertError(() => convert(source, {}, { quantize: 'float16' }))).toMatch(/weight 'dense\/kernel' has value 70000, beyond float16's range/);
  });
});

describe('convertModel: input shape declarations', () => {
  const kernel = new Uint8Array(new Float32Array(6).fill(0.5).buffer);
  it.each([
    ['batch_input_shape', { batch_input_shape: [null, 3] }],
    ['batch_shape', { batch_shape: [null, 3] }],
    ['input_shape', { input_shape: [3] }],
  ])('reads %s on the first layer', (_, declaration) => {
    const source = quantizedFixture(undefined, kernel, undefined, new Uint8Array(8));
    const layers = (source.modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    layers[0].config = { name: 'dense', units: 2, ...declaration };
    expect(parseModelFile(convert(source).bytes).inputShape).toEqual([3]);
  });

  it('reads an Embedding input_length, and refuses an unknown shape', () => {
    const source: Fixture = {
      modelJson: {
        modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Embedding', config: { name: 'e', input_dim: 2, output_dim: 1, input_length: 9 } }] } },
        weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'e/embeddings', shape: [2, 1], dtype: 'float32' }] }],
      },
      files: new Map([['w.bin', new Uint8Array(8)]]),
      weights: new Map(),
    };
    expect(parseModelFile(convert(source).bytes).inputShape).toEqual([9]);
    const layers = (source.modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    layers[0].config.input_length = null;
    expect(convertError(() => convert(source))).toBe("cannot tell the input shape: give layer 'e' a batch_input_shape (or start the model with an InputLayer)");
    // a variable-length (None) dimension becomes the maximum length: --max-length, default DEFAULT_MAX_LENGTH
    layers[0].config.batch_input_shape = [null, null];
    expect(parseModelFile(convert(source).bytes).inputShape).toEqual([DEFAULT_MAX_LENGTH]);
    expect(parseModelFile(convert(source, {}, { maxLength: 16 }).bytes).inputShape).toEqual([16]);
    expect(convertError(() => convert(source, {}, { maxLength: 0 }))).toBe('max length 0 must be a positive integer');
    layers[0].config.batch_input_shape = [null, 0];
    expect(convertError(() => convert(source))).toBe("input shape [0] of layer 'e' must be positive sizes or null (variable length)");
  });
});

describe('convertModel: Keras 3 style configs', () => {
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const keras3Layers = [
    { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null },
    {
      module: 'keras.layers',
      class_name: 'Dense',
      config: { name: 'dense', trainable: true, dtype: policy, units: 3, activation: 'gelu', use_bias: true },
      registered_name: null,
    },
    { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense_1', trainable: true, dtype: policy, units: 2, activation: 'softmax', use_bias: true }, registered_name: null },
  ];
  const weights = [
    { name: 'sequential/dense/kernel', shape: [4, 3], dtype: 'float32' },
    { name: 'sequential/dense/bias', shape: [3], dtype: 'float32' },
    { name: 'sequential/dense_1/kernel', shape: [3, 2], dtype: 'float32' },
    { name: 'sequential/dense_1/bias', shape: [2], dtype: 'float32' },
  ];
  const data = new Float32Array(12 + 3 + 6 + 2).map((_, i) => i / 10);
  const files = new Map([['w.bin', new Uint8Array(data.buffer)]]);

  it('accepts a Keras 3 Sequential with prefixed weight names and dtype policies', () => {
    const source: Fixture = {
      modelJson: {
        modelTopology: { class_name: 'Sequential', config: { name: 'sequential', trainable: true, dtype: policy, layers: keras3Layers } },
        weightsManifest: [{ paths: ['w.bin'], weights }],
      },
      files,
      weights: new Map(),
    };
    const file = parseModelFile(convert(source).bytes);
    expect(file.layers.map((layer) => layer.activation)).toEqual(['gelu', 'softmax']);
    expect([...tensorByName(file, 'dense_1/bias')]).toEqual([Math.fround(2.1), Math.fround(2.2)]);
  });

  it('accepts a Keras 3 Functional chain (keras_history inbound nodes)', () => {
    const tensorFrom = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, 0, 0] } });
    const layers = [
      { ...keras3Layers[0], name: 'input_layer', inbound_nodes: [] },
      { ...keras3Layers[1], name: 'dense', inbound_nodes: [{ args: [tensorFrom('input_layer')], kwargs: {} }] },
      { ...keras3Layers[2], name: 'dense_1', inbound_nodes: [{ args: [tensorFrom('dense')], kwargs: {} }] },
    ];
    const source: Fixture = {
      modelJson: {
        modelTopology: {
          model_config: {
            class_name: 'Functional',
            config: { name: 'functional', layers, input_layers: ['input_layer', 0, 0], output_layers: ['dense_1', 0, 0] },
          },
        },
        weightsManifest: [{ paths: ['w.bin'], weights: weights.map((weight) => ({ ...weight, name: weight.name.replace('sequential/', '') })) }],
      },
      files,
      weights: new Map(),
    };
    const file = parseModelFile(convert(source).bytes);
    expect(file.layers.map((layer) => layer.name)).toEqual(['dense', 'dense_1']);
    expect(file.inputShape).toEqual([4]);
  });
});

describe('convertModel: clear errors', () => {
  async function tokens(): Promise<Fixture> {
    return fixture(tokensModel());
  }
  type Topology = { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const layersOf = (source: Fixture) => (source.modelJson.modelTopology as Topology).config.layers;

  it('missing weights', async () => {
    const source = await tokens();
    source.modelJson.weightsManifest[0].weights[1].name = 'other/kernel';
    expect(convertError(() => convert(source))).toBe("layer 'hidden' (Dense): weight 'hidden/kernel' is missing from weightsManifest");
  });

  it('shape mismatch', async () => {
    const source = await tokens();
    layersOf(source)[2].config.units = 5;
    expect(convertError(() => convert(source))).toBe("layer 'hidden' (Dense): weight 'hidden/kernel' has shape [5,4], expected [5,5]");
  });

  it('unknown layer', async () => {
    const source = await tokens();
    layersOf(source)[1] = { class_name: 'Lambda', config: { name: 'lambda' } };
    // the core classes, then the layer families' (converter/layers/index.ts)
    expect(convertError(() => convert(source))).toMatch(
      /^layer 'lambda' \(Lambda\) is not supported \(a custom or unknown layer class\); supported: InputLayer, Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D, Dense, Dropout, Activation, Conv1D, .*MaxPooling2D, .*LSTM, .*BatchNormalization, /,
    );
  });

  it('unknown activation', async () => {
    const source = await tokens();
    layersOf(source)[2].config.activation = 'mish';
    expect(convertError(() => convert(source))).toMatch(/^layer 'hidden' \(Dense\): activation 'mish' is not supported; supported: linear, relu, /);
  });

  it('short shard', async () => {
    const source = await tokens();
    const name = source.modelJson.weightsManifest[0].paths[0];
    source.files.set(name, source.files.get(name)!.slice(0, 100));
    expect(convertError(() => convert(source))).toBe(`weight group 0 (${name}): shards hold 100 bytes but the manifest needs ${(60 + 20 + 4 + 12 + 3) * 4} (short or missing shard?)`);
  });

  it('unreadable shard', async () => {
    const source = await tokens();
    source.files.clear();
    expect(convertError(() => convert(source))).toBe("cannot read weight file 'group1-shard1of1.bin': ENOENT group1-shard1of1.bin");
  });

  it('labels count differs from outputs', async () => {
    const source = await tokens();
    expect(convertError(() => convert(source, { labelsText: 'yes\nno\n' }))).toBe('labels has 2 labels but the model has 3 outputs');
  });

  it('bad vocab', async () => {
    const source = await tokens();
    expect(convertError(() => convert(source, { vocabText: '<PAD> 0\n<START> 1\nhello 3\n' }))).toBe('vocab line 3: index 3 is outside 0..2 (indices must be dense)');
    expect(convertError(() => convert(source, { vocabText: '<PAD> 0\nhello\n' }))).toBe('vocab line 2: expected "token index", got "hello"');
    const big = Array.from({ length: 13 }, (_, i) => `w${i} ${i}`).join('\n');
    expect(convertError(() => convert(source, { vocabText: big }))).toBe('vocab has 13 tokens but the Embedding has input_dim 12');
    expect(convertError(() => convert(source, { vocabText: '<PAD> 0\n 1\n' }))).toBe('vocab line 2: empty token');
    expect(convertError(() => convert(source, { vocabText: '<PAD> 0\na\rb 1\n' }))).toBe('vocab line 2: token "a\\rb" contains a line break (\\r or \\n)');
    expect(convertError(() => convert(source, { vocabText: '<PAD> 0\r\nab\r 1\r\n' }))).toBe('vocab line 2: token "ab\\r" contains a line break (\\r or \\n)');
  });

  it('mask_zero embeddings feeding pooling (recurrent layers take the mask: layers-recurrent.test.ts)', async () => {
    const source = await tokens();
    layersOf(source)[0].config.mask_zero = true;
    expect(convertError(() => convert(source))).toBe(
      "layer 'pool' (GlobalAveragePooling1D): receives a step mask (Embedding mask_zero or Masking), which TF.js pooling ignores and Keras does not, so no single answer would be right",
    );
  });

  it('not a layers model', () => {
    expect(convertError(() => convertModel({ modelJson: [], readWeightFile: () => new Uint8Array() }))).toBe('model.json must be a JSON object');
    expect(convertError(() => convertModel({ modelJson: { format: 'graph-model' }, readWeightFile: () => new Uint8Array() }))).toBe(
      'model.json has no modelTopology object (is this a TF.js layers model?)',
    );
  });
});

describe('tokenizer metadata', () => {
  it('maps specials by name and writes the vocab in id order', async () => {
    const source = await fixture(tokensModel());
    const file = parseModelFile(convert(source, { vocabText: 'b 4\n<UNKNOWN> 0\na 3\n<START> 2\n<PAD> 1\n' }).bytes);
    expect(file.tokenizer).toEqual({ kind: 'words', vocab: ['<UNKNOWN>', '<PAD>', '<START>', 'a', 'b'], vocabSize: 5, table: null, rest: null, padId: 1, startId: 2, unknownId: 0, lowercase: true, wordTokensChecked: true });
    // stored as one string: the tokens of ids 0..n-1 joined by "\n"
    expect(file.metadata.get('tokenizer.vocab')).toBe('<UNKNOWN>\n<PAD>\n<START>\na\nb');
  });

  it('keeps tokens with spaces, tabs and non-ASCII intact', async () => {
    const source = await fixture(tokensModel());
    const file = parseModelFile(convert(source, { vocabText: '<PAD> 0\r\n<START> 1\r\n<UNKNOWN> 2\r\nnew york 3\r\nwörld\t4\r\n 日本 5\r\n' }).bytes);
    expect(file.tokenizer?.vocab).toEqual(['<PAD>', '<START>', '<UNKNOWN>', 'new york', 'wörld', ' 日本']);
  });
});

describe('label descriptions', () => {
  it('writes model.label_descriptions, one per label, and refuses a count that does not match', async () => {
    const source = await fixture(tokensModel());
    const labelsText = 'ham\nspam\nother\n';
    const file = parseModelFile(convert(source, { labelsText, labelDescriptionsText: 'an ordinary message\nunwanted bulk mail\nneither\n' }).bytes);
    expect(file.metadata.get('model.label_descriptions')).toEqual(['an ordinary message', 'unwanted bulk mail', 'neither']);
    expect(parseModelFile(convert(source, { labelsText }).bytes).metadata.has('model.label_descriptions')).toBe(false);
    expect(convertError(() => convert(source, { labelsText, labelDescriptionsText: 'only one\n' }))).toBe(
      'label descriptions has 1 lines but there are 3 labels (one line per label, in label order)',
    );
  });
});

describe('convertFiles and the CLI', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'decentai-convert-'));

  it('reports unreadable files and bad JSON', () => {
    expect(convertError(() => convertFiles(path.join(work, 'missing.json')))).toBe(`cannot read model.json '${path.join(work, 'missing.json')}': no such file`);
    writeFileSync(path.join(work, 'bad.json'), '{ "modelTopology": ');
    expect(convertError(() => convertFiles(path.join(work, 'bad.json')))).toMatch(/bad\.json is not valid JSON: /);
  });

  it('never echoes a binary input; names a .dcai given in place of model.json', () => {
    writeFileSync(path.join(work, 'binary.json'), new Uint8Array([0x7b, 0x00, 0x01, 0xff, 0x1b, 0x5b, 0x32, 0x4a]));
    expect(convertError(() => convertFiles(path.join(work, 'binary.json')))).toBe(`${path.join(work, 'binary.json')} is a binary file, not a TF.js model.json`);
    writeFileSync(path.join(work, 'model.dcai'), new Uint8Array([0x44, 0x43, 0x41, 0x49, 2, 0, 0, 0, 0xff]));
    expect(convertError(() => convertFiles(path.join(work, 'model.dcai')))).toMatch(/model\.dcai is already a converted decentAI model file \(\.dcai\)/);
    mkdirSync(path.join(work, 'empty-dir'), { recursive: true });
    expect(convertError(() => convertFiles(path.join(work, 'empty-dir')))).toMatch(/empty-dir is a directory without a model\.json/);
  });

  it('CLI: one line on stderr and exit code 1 for bad input', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'converter/cli.ts'), path.join(work, 'bad.json'), '-o', path.join(work, 'out.bin')], {
      encoding: 'utf8',
      cwd: repoRoot,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^convert: .*bad\.json is not valid JSON/);
    expect(existsSync(path.join(work, 'out.bin'))).toBe(false);
  });
});

describe.skipIf(!existsSync(spamDir))('the real spam model', () => {
  it('converts with vocab and labels picked up beside model.json', () => {
    const { bytes, summary } = convertFiles(path.join(spamDir, 'model.json'));
    const file = parseModelFile(bytes);
    expect(file.name).toBe('spam-detection');
    expect(file.labels).toEqual(['false', 'true']);
    expect(file.inputShape).toEqual([20]);
    expect(file.tokenizer?.vocab.length).toBe(2003);
    expect(file.tokenizer?.vocab.slice(0, 4)).toEqual(['<PAD>', '<START>', '<UNKNOWN>', 'i']);
    expect(file.layers.map((layer) => layer.kind)).toEqual(['embedding', 'global_average_pooling_1d', 'dense', 'dense']);
    expect(summary.parameters).toBe(2003 * 7 + 7 * 7 + 7 + 7 * 2 + 2);
    const shard = readFileSync(path.join(spamDir, 'group1-shard1of1.bin'));
    const weights = new Float32Array(new Uint8Array(shard).buffer);
    // Manifest order: dense/kernel [7,7], dense/bias, dense_1/kernel [7,2], dense_1/bias, embedding [2003,7].
    expectBits(tensorByName(file, 'dense/kernel'), transpose(weights.subarray(0, 49), 7, 7));
    expectBits(tensorByName(file, 'embedding/embeddings'), weights.subarray(49 + 7 + 14 + 2));
    for (const quantize of ['float16', 'int8'] as const) expect(parseModelFile(convertFiles(path.join(spamDir, 'model.json'), { quantize }).bytes).parameterCount).toBe(summary.parameters);
  });

  it('int8 file is at most 35% of the TF.js files (model.json, shard, vocab, labels.txt)', () => {
    expectInt8Size(spamDir, ['model.json', 'group1-shard1of1.bin', 'vocab', 'labels.txt']);
  });
});

/** The int8 file of the model in `dir` is ≤ 35% of the bytes of its TF.js files, as measured on disk. */
function expectInt8Size(dir: string, files: string[]): void {
  const sourceBytes = files.reduce((sum, name) => sum + readFileSync(path.join(dir, name)).length, 0);
  const { bytes, summary } = convertFiles(path.join(dir, 'model.json'), { quantize: 'int8' });
  expect(summary.sourceBytes).toBe(sourceBytes);
  expect(summary.bytes).toBe(bytes.length);
  expect(bytes.length, `${bytes.length} of ${sourceBytes} bytes`).toBeLessThanOrEqual(0.35 * sourceBytes);
}

describe('the default model (models/default)', () => {
  const defaultDir = path.join(repoRoot, 'models/default');

  it('int8 file is at most 35% of the TF.js files (model.json, shard, vocab, labels.txt, label-descriptions.txt)', () => {
    expectInt8Size(defaultDir, ['model.json', 'group1-shard1of1.bin', 'vocab', 'labels.txt', 'label-descriptions.txt']);
  });

  it('default.dcai is the float32 conversion of the TF.js files', () => {
    const { bytes } = convertFiles(path.join(defaultDir, 'model.json'), { name: 'default' });
    expect(Buffer.from(bytes).equals(readFileSync(path.join(defaultDir, 'default.dcai')))).toBe(true);
  });
});

if (!existsSync(spamDir)) console.warn(`skipping the real spam model tests: ${spamDir} is absent`);
