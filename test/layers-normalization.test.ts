// The normalization family (engine/layers/normalization.ts). LayerNormalization (axis,
// epsilon, center, scale) and Rescaling (scale, offset) against @tensorflow/tfjs on random
// configs, shapes, weights and inputs: float32 within 1e-5 · max(1, |tfjs|). gamma and beta
// are float16 in float16 files (bound stated per test), float32 in int8 files; the statistics
// (moving mean/variance, Normalization mean/variance) stay float32 in every file. TF.js has no Normalization
// layer: Keras configs (adapted weights, as tensorflowjs_converter names them, or mean and
// variance in the config; axis; invert) are checked against the plain reference.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertModel } from '../converter/convert.ts';
import { convertFiles } from '../converter/files.ts';
import { loadModel, parseModelFile } from '../engine/index.ts';
import { normalizationReference } from '../engine/layers/normalization.reference.ts';
import { mulberry32 } from '../train/prng.ts';
import { compareModelWithTfjs, firstMismatch, relative, runLayerCase, type LayerCase } from './layer-check.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface NormCase extends LayerCase {
  what: string;
}

const dimsArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 });

const layerNormCases: fc.Arbitrary<NormCase> = fc
  .record({ dims: dimsArb, first: fc.nat(), count: fc.nat(), negative: fc.boolean(), epsilon: fc.constantFrom(1e-3, 1e-5, 0.5), center: fc.boolean(), scale: fc.boolean(), seed: fc.integer() })
  .map((c): NormCase => {
    const rank = c.dims.length;
    const first = c.first % rank;
    const count = (c.count % (rank - first)) + 1;
    const axes = Array.from({ length: count }, (_, i) => first + 1 + i).map((axis) => (c.negative ? axis - rank - 1 : axis));
    const axis = axes.length === 1 ? axes[0] : axes;
    const options = { axis, epsilon: c.epsilon, center: c.center, scale: c.scale };
    return { inputShape: c.dims, layers: () => [tf.layers.layerNormalization(options)], seed: c.seed, what: `layerNormalization ${JSON.stringify(options)} of [${c.dims}]` };
  });

const rescalingCases: fc.Arbitrary<NormCase> = fc
  .record({ dims: dimsArb, scale: fc.double({ min: -3, max: 3, noNaN: true }), offset: fc.option(fc.double({ min: -3, max: 3, noNaN: true })), seed: fc.integer() })
  .map((c): NormCase => {
    const options = { scale: Math.fround(c.scale), offset: c.offset === null ? undefined : Math.fround(c.offset) };
    return { inputShape: c.dims, layers: () => [tf.layers.rescaling(options), tf.layers.dense({ units: 2 })], seed: c.seed, what: `rescaling ${JSON.stringify(options)} of [${c.dims}]` };
  });

describe('normalization family against TF.js', () => {
  it('LayerNormalization: axis (one or adjacent axes, ±), epsilon, center, scale; float32 within 1e-5', async () => {
    await fc.assert(
      fc.asyncProperty(layerNormCases, async (layerCase) => {
        const run = await runLayerCase(layerCase, 3);
        const mismatch = firstMismatch(run, relative(1e-5));
        expect(mismatch, `${layerCase.what}: ${mismatch}`).toBeNull();
      }),
      { numRuns: 40 },
    );
  });

  it('Rescaling: scale, offset (default 0); float32 within 1e-5', async () => {
    await fc.assert(
      fc.asyncProperty(rescalingCases, async (layerCase) => {
        const run = await runLayerCase(layerCase, 3);
        const mismatch = firstMismatch(run, relative(1e-5));
        expect(mismatch, `${layerCase.what}: ${mismatch}`).toBeNull();
      }),
      { numRuns: 25 },
    );
  });

  it('float16 files round gamma/beta to float16 (LayerNormalization within (√6 + 1)·max|w|·2⁻¹¹), int8 files keep them float32 (1e-5); a quantized Dense after it within its bound', async () => {
    for (const quantize of ['float16', 'int8'] as const) {
      // y = x̂·gamma + beta with |x̂| ≤ √5 over 6 values: float16 errs by ≤ (|x̂| + 1)·max|w|·2⁻¹¹
      const alone = await runLayerCase({ inputShape: [4, 6], layers: () => [tf.layers.layerNormalization({ axis: -1 })], seed: 7 }, 4, quantize);
      const lnError = quantize === 'float16' ? (Math.sqrt(6) + 1) * alone.maxWeight * 2 ** -11 : 0;
      expect(firstMismatch(alone, (b) => lnError + 1e-5 * Math.max(1, Math.abs(b))), quantize).toBeNull();
      const file = parseModelFile(alone.bytes);
      for (const tensor of file.tensors) expect(tensor.dtype, tensor.name).toBe(quantize === 'float16' ? 'float16' : 'float32');
      // Dense of 6 inputs after it: each input |x| ≤ X = (√6 + 1)·max|w| off by ≤ e (the normalization's error);
      // float16 rounds each Dense weight by ≤ 2⁻¹¹ relative and the bias too, int8 by ≤ half a step (maxabs/254)
      const followed = await runLayerCase({ inputShape: [6], layers: () => [tf.layers.layerNormalization(), tf.layers.dense({ units: 3 })], seed: 8 }, 4, quantize, 'float');
      const w = followed.maxWeight;
      const step = quantize === 'float16' ? w * 2 ** -11 : w / 254;
      const X = (Math.sqrt(6) + 1) * w;
      const e = quantize === 'float16' ? X * 2 ** -11 : 0;
      const biasError = quantize === 'float16' ? w * 2 ** -11 : 0;
      expect(firstMismatch(followed, () => 6 * (X * step + (w + step) * e) + biasError + 1e-5), quantize).toBeNull();
    }
  });

  it('statistics stay float32 in float16 and int8 files: BatchNormalization moving mean/variance and Normalization mean/variance (a mean of 2020 over a deviation of 5 would err by 0.2 in float16)', async () => {
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3] }), tf.layers.batchNormalization({ epsilon: 1e-3 })] });
    model.setWeights([tf.tensor([1.5, -0.5, 2]), tf.tensor([0.25, 0.5, -1]), tf.tensor([2020, -7.3, 1e-3]), tf.tensor([25, 1e-4, 3])]);
    for (const quantize of ['float16', 'int8'] as const) {
      const bytes = await convertTfjsModel(model, { quantize });
      const file = parseModelFile(bytes);
      const dtypes = Object.fromEntries(file.tensors.map((tensor) => [tensor.name.split('/').pop(), tensor.dtype]));
      expect(dtypes, quantize).toEqual({ gamma: quantize === 'float16' ? 'float16' : 'float32', beta: quantize === 'float16' ? 'float16' : 'float32', moving_mean: 'float32', moving_variance: 'float32' });
      // gamma and beta in float16: |Δy| ≤ |x̂·gamma|·2⁻¹¹ + |beta|·2⁻¹¹, the mean exact
      const engine = loadModel(bytes);
      for (const input of [[2021, -7, 0], [2010, -7.31, 2]]) {
        const expected = tf.tidy(() => (model.predict(tf.tensor([input])) as tf.Tensor).dataSync());
        const actual = engine.predictVector(input);
        expected.forEach((b, i) => expect(Math.abs(actual[i] - b), `${quantize} ${i}`).toBeLessThanOrEqual(quantize === 'float16' ? (Math.abs(b) + 2) * 2 ** -10 + 1e-5 : 1e-5 * Math.max(1, Math.abs(b))));
      }
    }
    model.dispose();
  });
});

describe('BatchNormalization on any axis against TF.js', () => {
  // TF.js's CPU batchNorm cycles through the flat moving stats whatever their shape, so for an
  // axis other than the last its model.predict applies them along the last axis (a TF.js bug;
  // its LayerNormalization tiles the stats for that reason). Those axes are checked against
  // TF.js's broadcasting ops (x − mean) / √(var + ε) · gamma + beta instead.
  it('axis (last: the core kind; others: scale_shift), epsilon, center, scale; float32 within 1e-5', async () => {
    await fc.assert(
      fc.asyncProperty(dimsArb, fc.nat(), fc.boolean(), fc.boolean(), fc.constantFrom(1e-3, 0.1), fc.integer(), async (dims, at, center, scale, epsilon, seed) => {
        const axis = (at % dims.length) + 1;
        const options = { axis, center, scale, epsilon };
        const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: dims }), tf.layers.batchNormalization(options)] });
        const last = axis === dims.length;
        if (last) {
          const mismatch = await compareModelWithTfjs(model, seed, 1e-5);
          expect(mismatch, `batchNormalization ${JSON.stringify(options)} of [${dims}]: ${mismatch}`).toBeNull();
          return;
        }
        const next = mulberry32(seed);
        const stats = model.weights.map((w) => Float32Array.from({ length: w.shape[0] as number }, () => (w.name.includes('variance') ? 0.1 + next() * 2 : next() * 2 - 1)));
        model.setWeights(stats.map((values) => tf.tensor(values)));
        const engine = loadModel(await convertTfjsModel(model));
        expect(engine.layers.map((layer) => layer.kind)).toEqual(['scale_shift']);
        const names = model.weights.map((w) => w.name.split('/').pop() as string);
        const stat = (name: string, fill: number) => (names.includes(name) ? stats[names.indexOf(name)] : new Float32Array(dims[axis - 1]).fill(fill));
        const broadcast = dims.map((dim, i) => (i === axis - 1 ? dim : 1));
        const input = Float32Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => next() * 6 - 3);
        const expected = tf.tidy(() => {
          const t = (values: Float32Array) => tf.tensor(values, broadcast);
          const x = tf.tensor(input, dims);
          return x.sub(t(stat('moving_mean', 0))).div(t(stat('moving_variance', 1)).add(epsilon).sqrt()).mul(t(stat('gamma', 1))).add(t(stat('beta', 0))).dataSync();
        });
        const actual = engine.predictVector(input);
        expected.forEach((y, i) => expect(Math.abs(actual[i] - y), `batchNormalization ${JSON.stringify(options)} of [${dims}] output ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(y))));
        model.dispose();
      }),
      { numRuns: 25 },
    );
  });
});

/** A model.json of [InputLayer(shape), Normalization(config)] with the given weights (float32 or int32). */
function normalizationJson(shape: number[], config: Record<string, unknown>, weights: { name: string; shape: number[]; values: number[]; dtype?: 'int32' }[]) {
  const buffers = weights.map((w) => new Uint8Array((w.dtype === 'int32' ? Int32Array.from(w.values) : Float32Array.from(w.values)).buffer));
  const data = new Uint8Array(buffers.reduce((n, b) => n + b.length, 0));
  buffers.reduce((offset, b) => (data.set(b, offset), offset + b.length), 0);
  const modelJson = {
    modelTopology: {
      keras_version: '2.7.0',
      model_config: {
        class_name: 'Sequential',
        config: { name: 'm', layers: [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, ...shape] } }, { class_name: 'Normalization', config: { name: 'normalization', ...config } }] },
      },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype ?? 'float32' })) }],
  };
  return { modelJson, readWeightFile: () => data };
}

describe('Normalization (Keras; TF.js has no such layer) against the plain reference', () => {
  it('adapted mean/variance over axis -1, a middle axis, adjacent axes or none (axis null), invert; weights named as tensorflowjs_converter writes them', () => {
    fc.assert(
      fc.property(dimsArb, fc.nat(), fc.nat(), fc.boolean(), fc.boolean(), fc.integer(), (dims, first, count, invert, bare, seed) => {
        const rank = dims.length;
        const none = count % 5 === 4;
        const a = first % rank;
        const b = a + (count % (rank - a)) + 1;
        const axis = none ? null : Array.from({ length: b - a }, (_, i) => a + 1 + i);
        const kept = none ? [] : dims.slice(a, b);
        const size = kept.reduce((x, y) => x * y, 1);
        const next = mulberry32(seed);
        const mean = Array.from({ length: size }, () => Math.fround(next() * 4 - 2));
        // a zero variance shows the 1e-7 floor of the deviation
        const variance = Array.from({ length: size }, (_, i) => (i === 0 ? 0 : Math.fround(next() * 3)));
        // Keras 2.7 via tensorflowjs_converter names them without the layer's scope ("mean", "count")
        const prefix = bare ? '' : 'normalization/';
        const source = normalizationJson(dims, { axis, invert }, [
          { name: `${prefix}mean`, shape: kept, values: mean },
          { name: `${prefix}variance`, shape: kept, values: variance },
          { name: `${prefix}count`, shape: [], values: [10], dtype: 'int32' },
        ]);
        const engine = loadModel(convertModel(source).bytes);
        const input = Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => Math.fround(next() * 6 - 3));
        const expected = normalizationReference(input, dims, none ? 0 : a, none ? 0 : b, mean, variance, invert);
        const actual = engine.predictVector(input);
        expected.forEach((y, i) => expect(Math.abs(actual[i] - y)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(y))));
      }),
      { numRuns: 50 },
    );
  });

  it('mean and variance given in the config (scalars or lists) need no weights', () => {
    const engine = loadModel(convertModel(normalizationJson([3], { axis: -1, mean: [1, 2, 3], variance: 4 }, [])).bytes);
    expect(Array.from(engine.predictVector([1, 0, 7]))).toEqual([0, -1, 2]);
  });

  it('refuses what it cannot run in one line naming the option', () => {
    const error = (shape: number[], config: Record<string, unknown>): string => {
      try {
        convertModel(normalizationJson(shape, config, []));
      } catch (caught) {
        return (caught as Error).message;
      }
      return 'converted';
    };
    expect(error([2, 3, 4], { axis: [1, 3], mean: 0, variance: 1 })).toBe(`layer 'normalization' (Normalization): axis [1,3] is not supported: the axes must be adjacent`);
    expect(error([2], { axis: 0, mean: 0, variance: 1 })).toBe(`layer 'normalization' (Normalization): axis 0 must name axes 1..1 (or -1..-1) of the input [batch, 2]`);
    expect(error([2], { mean: [1, 2, 3], variance: 1 })).toBe(`layer 'normalization' (Normalization): mean has 3 values; it must have 1 or 2`);
    expect(error([2], { mean: 1 })).toBe(`layer 'normalization' (Normalization): the config gives mean without variance`);
    expect(error([2], {})).toBe(`layer 'normalization' (Normalization): weight 'normalization/mean' is missing from weightsManifest`);
  });
});

const QUOTE_MODEL = resolve(import.meta.dirname, '../../shared/zoo/M-Shahbaz-Khan__quote-predictor__tfjs_model');

describe.skipIf(!existsSync(QUOTE_MODEL))('the zoo Normalization model (TF.js cannot load it)', () => {
  it('matches Keras: Dense(Normalization(x)) from its own weights, within 1e-5', () => {
    const json = JSON.parse(readFileSync(join(QUOTE_MODEL, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
    const group = json.weightsManifest[0];
    const bytes = readFileSync(join(QUOTE_MODEL, group.paths[0]));
    const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const weights = new Map<string, number[]>();
    let offset = 0;
    for (const spec of group.weights) {
      const size = spec.shape.reduce((x, y) => x * y, 1);
      weights.set(spec.name, Array.from({ length: size }, (_, i) => data.getFloat32(offset + 4 * i, true)));
      offset += 4 * size;
    }
    const [mean, variance, kernel, bias] = ['mean', 'variance', 'dense/kernel', 'dense/bias'].map((name) => weights.get(name) as number[]);
    const engine = loadModel(convertFiles(join(QUOTE_MODEL, 'model.json')).bytes);
    const next = mulberry32(33);
    for (let n = 0; n < 5; n++) {
      const input = Array.from({ length: mean.length }, (_, i) => Math.fround(mean[i] + (next() * 4 - 2) * Math.sqrt(variance[i])));
      const normalized = normalizationReference(input, [mean.length], 0, 1, mean, variance);
      const expected = normalized.reduce((sum, x, i) => sum + x * kernel[i], bias[0]);
      const actual = engine.predictVector(input)[0];
      expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));
    }
  });
});
