// Synthetic TF.js layers models (model.json + one weight shard) of chosen sizes, written
// to disk for the converter: no TF.js needed to make them. Weights are deterministic.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

interface LayerConfig {
  class_name: string;
  config: Record<string, unknown>;
}

/** Fills with small values from a seeded xorshift, so files are reproducible. */
function fillWeights(values: Float32Array, seed: number, scale: number): void {
  let state = seed >>> 0 || 1;
  for (let i = 0; i < values.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[i] = ((state >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
}

function modelJson(name: string, layers: LayerConfig[], weights: WeightSpec[]): object {
  return {
    format: 'layers-model',
    generatedBy: 'decentAI bench (synthetic)',
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name, layers },
      keras_version: '2.4.0',
      backend: 'tensorflow',
    },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
  };
}

async function writeModel(dir: string, json: object, tensors: Float32Array[], outputs: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const labels = Array.from({ length: outputs }, (_, i) => `class_${i}`);
  await writeFile(join(dir, 'labels.txt'), labels.join('\n') + '\n');
  const total = tensors.reduce((n, t) => n + t.byteLength, 0);
  const shard = new Uint8Array(total);
  let offset = 0;
  for (const tensor of tensors) {
    shard.set(new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength), offset);
    offset += tensor.byteLength;
  }
  await writeFile(join(dir, 'group1-shard1of1.bin'), shard);
  const path = join(dir, 'model.json');
  await writeFile(path, JSON.stringify(json));
  return path;
}

/** One Dense layer `inputs → units` on a float vector: inputs × units multiply-adds. */
export async function writeDenseModel(dir: string, inputs: number, units: number): Promise<string> {
  const kernel = new Float32Array(inputs * units);
  fillWeights(kernel, inputs * 31 + units, 1 / Math.sqrt(inputs));
  const bias = new Float32Array(units);
  fillWeights(bias, units, 0.1);
  const layers: LayerConfig[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, inputs], dtype: 'float32', name: 'input' } },
    { class_name: 'Dense', config: { name: 'dense', units, activation: 'linear', use_bias: true, dtype: 'float32' } },
  ];
  const weights: WeightSpec[] = [
    { name: 'dense/kernel', shape: [inputs, units], dtype: 'float32' },
    { name: 'dense/bias', shape: [units], dtype: 'float32' },
  ];
  return writeModel(dir, modelJson(`dense_${inputs}x${units}`, layers, weights), [kernel, bias], units);
}

/** Dense layers `sizes[0] → sizes[1] → …` on a float vector (relu between, linear last). */
export async function writeDenseStackModel(dir: string, sizes: readonly number[]): Promise<string> {
  const layers: LayerConfig[] = [{ class_name: 'InputLayer', config: { batch_input_shape: [null, sizes[0]], dtype: 'float32', name: 'input' } }];
  const weights: WeightSpec[] = [];
  const tensors: Float32Array[] = [];
  for (let k = 1; k < sizes.length; k++) {
    const [inputs, units] = [sizes[k - 1], sizes[k]];
    const kernel = new Float32Array(inputs * units);
    fillWeights(kernel, inputs * 31 + units * 7 + k, 1 / Math.sqrt(inputs));
    const bias = new Float32Array(units);
    fillWeights(bias, units + k, 0.1);
    const activation = k + 1 < sizes.length ? 'relu' : 'linear';
    layers.push({ class_name: 'Dense', config: { name: `dense_${k}`, units, activation, use_bias: true, dtype: 'float32' } });
    weights.push({ name: `dense_${k}/kernel`, shape: [inputs, units], dtype: 'float32' }, { name: `dense_${k}/bias`, shape: [units], dtype: 'float32' });
    tensors.push(kernel, bias);
  }
  return writeModel(dir, modelJson(`dense_stack_${sizes.join('x')}`, layers, weights), tensors, sizes[sizes.length - 1]);
}

/**
 * Dense `inputs → units` applied to each of `rows` rows of a [rows, inputs] input (rows ×
 * inputs × units multiply-adds, one kernel), then GlobalAveragePooling1D → Dense(2, softmax):
 * many multiply-adds per weight, so a query's worth of work fits a file the canister accepts.
 */
export async function writeRowsDenseModel(dir: string, rows: number, inputs: number, units: number): Promise<string> {
  const kernel = new Float32Array(inputs * units);
  fillWeights(kernel, inputs * 31 + units, 1 / Math.sqrt(inputs));
  const bias = new Float32Array(units);
  fillWeights(bias, units, 0.1);
  const head = new Float32Array(units * 2);
  fillWeights(head, 7, 1 / Math.sqrt(units));
  const layers: LayerConfig[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, rows, inputs], dtype: 'float32', name: 'input' } },
    { class_name: 'Dense', config: { name: 'dense', units, activation: 'relu', use_bias: true, dtype: 'float32' } },
    { class_name: 'GlobalAveragePooling1D', config: { name: 'pool', dtype: 'float32' } },
    { class_name: 'Dense', config: { name: 'head', units: 2, activation: 'softmax', use_bias: false, dtype: 'float32' } },
  ];
  const weights: WeightSpec[] = [
    { name: 'dense/kernel', shape: [inputs, units], dtype: 'float32' },
    { name: 'dense/bias', shape: [units], dtype: 'float32' },
    { name: 'head/kernel', shape: [units, 2], dtype: 'float32' },
  ];
  return writeModel(dir, modelJson(`dense_rows_${rows}x${inputs}x${units}`, layers, weights), [kernel, bias, head], 2);
}

/**
 * Embedding(vocabulary, dimension) → GlobalAveragePooling1D → Dense(2, softmax) on
 * `sequence` token ids: the shape of the spam model, with a table as large as wanted.
 */
export async function writeEmbeddingModel(
  dir: string,
  vocabulary: number,
  dimension: number,
  sequence = 20,
): Promise<string> {
  const table = new Float32Array(vocabulary * dimension);
  fillWeights(table, vocabulary + dimension, 0.05);
  const kernel = new Float32Array(dimension * 2);
  fillWeights(kernel, 7, 0.5);
  const bias = new Float32Array(2);
  const layers: LayerConfig[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, sequence], dtype: 'int32', name: 'input' } },
    {
      class_name: 'Embedding',
      config: { name: 'embedding', input_dim: vocabulary, output_dim: dimension, input_length: sequence, dtype: 'float32' },
    },
    { class_name: 'GlobalAveragePooling1D', config: { name: 'pool', data_format: 'channels_last', dtype: 'float32' } },
    { class_name: 'Dense', config: { name: 'dense', units: 2, activation: 'softmax', use_bias: true, dtype: 'float32' } },
  ];
  const weights: WeightSpec[] = [
    { name: 'embedding/embeddings', shape: [vocabulary, dimension], dtype: 'float32' },
    { name: 'dense/kernel', shape: [dimension, 2], dtype: 'float32' },
    { name: 'dense/bias', shape: [2], dtype: 'float32' },
  ];
  return writeModel(dir, modelJson(`embedding_${vocabulary}x${dimension}`, layers, weights), [table, kernel, bias], 2);
}

/** Conv2D(filters, kernel×kernel, valid) on a [size, size, channels] input: (size−kernel+1)²·filters·kernel²·channels multiply-adds. */
export async function writeConv2dModel(dir: string, size: number, channels: number, filters: number, kernel: number): Promise<string> {
  const fanIn = kernel * kernel * channels;
  const weights = new Float32Array(fanIn * filters);
  fillWeights(weights, fanIn * 31 + filters, 1 / Math.sqrt(fanIn));
  const bias = new Float32Array(filters);
  fillWeights(bias, filters, 0.1);
  const layers: LayerConfig[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, size, size, channels], dtype: 'float32', name: 'input' } },
    {
      class_name: 'Conv2D',
      config: { name: 'conv2d', filters, kernel_size: [kernel, kernel], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true, dtype: 'float32' },
    },
  ];
  const specs: WeightSpec[] = [
    { name: 'conv2d/kernel', shape: [kernel, kernel, channels, filters], dtype: 'float32' },
    { name: 'conv2d/bias', shape: [filters], dtype: 'float32' },
  ];
  const outputs = (size - kernel + 1) ** 2 * filters;
  return writeModel(dir, modelJson(`conv2d_${size}x${channels}_${filters}k${kernel}`, layers, specs), [weights, bias], outputs);
}

/** An LSTM or GRU of `units` on a [steps, features] input (last output only): steps·gates·units·(features + units) multiply-adds. */
export async function writeRecurrentModel(dir: string, cell: 'LSTM' | 'GRU', steps: number, features: number, units: number): Promise<string> {
  const gates = cell === 'LSTM' ? 4 : 3;
  const kernel = new Float32Array(features * gates * units);
  fillWeights(kernel, features * 31 + units, 1 / Math.sqrt(features));
  const recurrent = new Float32Array(units * gates * units);
  fillWeights(recurrent, units * 17 + 5, 1 / Math.sqrt(units));
  const bias = new Float32Array(gates * units);
  fillWeights(bias, units, 0.1);
  const name = cell.toLowerCase();
  const layers: LayerConfig[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, steps, features], dtype: 'float32', name: 'input' } },
    {
      class_name: cell,
      config: { name, units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: false, reset_after: false, dtype: 'float32' },
    },
  ];
  const specs: WeightSpec[] = [
    { name: `${name}/${name}_cell/kernel`, shape: [features, gates * units], dtype: 'float32' },
    { name: `${name}/${name}_cell/recurrent_kernel`, shape: [units, gates * units], dtype: 'float32' },
    { name: `${name}/${name}_cell/bias`, shape: [gates * units], dtype: 'float32' },
  ];
  return writeModel(dir, modelJson(`${name}_${steps}x${features}_${units}`, layers, specs), [kernel, recurrent, bias], units);
}

/**
 * The zoo's MNIST CNN shape (AlexTrinityBlock's webcam MNIST model) with `filters` in the
 * first convolution and twice as many in the second: 28×28×1 → Conv2D 3×3 (F, relu) →
 * MaxPooling2D 2 → Conv2D 3×3 (2F, relu) → MaxPooling2D 2 → Flatten → Dense(10, softmax).
 * Multiply-adds: cnnMultiplyAdds(F).
 */
export async function writeCnnModel(dir: string, filters: number): Promise<string> {
  const f1 = filters;
  const f2 = 2 * filters;
  const tensors = [new Float32Array(9 * f1), new Float32Array(f1), new Float32Array(9 * f1 * f2), new Float32Array(f2), new Float32Array(25 * f2 * 10), new Float32Array(10)];
  tensors.forEach((t, i) => fillWeights(t, filters * 17 + i, i % 2 === 0 ? 0.3 : 0.05));
  const conv = (name: string, n: number) => ({
    class_name: 'Conv2D',
    config: { name, filters: n, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true, dtype: 'float32' },
  });
  const pool = (name: string) => ({ class_name: 'MaxPooling2D', config: { name, pool_size: [2, 2], strides: [2, 2], padding: 'valid', data_format: 'channels_last', dtype: 'float32' } });
  const layers: LayerConfig[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28, 1], dtype: 'float32', name: 'input' } },
    conv('conv_1', f1),
    pool('pool_1'),
    conv('conv_2', f2),
    pool('pool_2'),
    { class_name: 'Flatten', config: { name: 'flatten', data_format: 'channels_last', dtype: 'float32' } },
    { class_name: 'Dense', config: { name: 'dense', units: 10, activation: 'softmax', use_bias: true, dtype: 'float32' } },
  ];
  const weights: WeightSpec[] = [
    { name: 'conv_1/kernel', shape: [3, 3, 1, f1], dtype: 'float32' },
    { name: 'conv_1/bias', shape: [f1], dtype: 'float32' },
    { name: 'conv_2/kernel', shape: [3, 3, f1, f2], dtype: 'float32' },
    { name: 'conv_2/bias', shape: [f2], dtype: 'float32' },
    { name: 'dense/kernel', shape: [25 * f2, 10], dtype: 'float32' },
    { name: 'dense/bias', shape: [10], dtype: 'float32' },
  ];
  return writeModel(dir, modelJson(`cnn_${filters}`, layers, weights), tensors, 10);
}

/** Multiply-adds of writeCnnModel(F): 26²·9·F + 11²·9·F·2F + 25·2F·10. */
export function cnnMultiplyAdds(filters: number): number {
  return 26 * 26 * 9 * filters + 11 * 11 * 9 * filters * 2 * filters + 25 * 2 * filters * 10;
}

/** The zoo's LSTM text shape (edublancas' model): 20 token ids → Embedding(1000, 16) → LSTM(units) → Dense(3, softmax). */
export async function writeLstmModel(dir: string, units: number, sequence = 20, embedding = 16): Promise<string> {
  const vocabulary = 1000;
  const tensors = [new Float32Array(vocabulary * embedding), new Float32Array(embedding * 4 * units), new Float32Array(units * 4 * units), new Float32Array(4 * units), new Float32Array(units * 3), new Float32Array(3)];
  tensors.forEach((t, i) => fillWeights(t, units * 13 + i, i === 0 ? 0.05 : 1 / Math.sqrt(units + embedding)));
  const layers: LayerConfig[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, sequence], dtype: 'int32', name: 'input' } },
    { class_name: 'Embedding', config: { name: 'embedding', input_dim: vocabulary, output_dim: embedding, input_length: sequence, dtype: 'float32' } },
    {
      class_name: 'LSTM',
      config: { name: 'lstm', units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false, unit_forget_bias: true, dropout: 0, recurrent_dropout: 0, implementation: 2, dtype: 'float32' },
    },
    { class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'softmax', use_bias: true, dtype: 'float32' } },
  ];
  const weights: WeightSpec[] = [
    { name: 'embedding/embeddings', shape: [vocabulary, embedding], dtype: 'float32' },
    { name: 'lstm/kernel', shape: [embedding, 4 * units], dtype: 'float32' },
    { name: 'lstm/recurrent_kernel', shape: [units, 4 * units], dtype: 'float32' },
    { name: 'lstm/bias', shape: [4 * units], dtype: 'float32' },
    { name: 'dense/kernel', shape: [units, 3], dtype: 'float32' },
    { name: 'dense/bias', shape: [3], dtype: 'float32' },
  ];
  return writeModel(dir, modelJson(`lstm_${units}`, layers, weights), tensors, 3);
}

/** Multiply-adds of writeLstmModel(U): 20 steps · 4 gates · U · (16 + U), and the head. */
export function lstmMultiplyAdds(units: number, sequence = 20, embedding = 16): number {
  return sequence * 4 * units * (embedding + units) + units * 3;
}
