// Activation layers (engine/layers/activation.ts) against @tensorflow/tfjs: random
// input shapes, options and inputs; |engine − tfjs| ≤ 1e-5 · max(1, |tfjs|). Keras options
// TF.js does not implement (ReLU negative_slope/threshold, ELU alpha ≠ 1) are set in the
// saved config and checked against the plain reference (activation.reference.ts).
// Identity layers (SpatialDropout, GaussianNoise, …) convert to no entry at all.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertModel } from '../converter/convert.ts';
import { writeModelFile } from '../converter/writer.ts';
import { eluReference, preluReference, reluLayerReference } from '../engine/layers/activation.reference.ts';
import { loadModel, parseModelFile } from '../engine/index.ts';
import { mulberry32 } from '../train/prng.ts';
import { convertTfjsModel, saveInMemory } from './tfjs-fixtures.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shapeArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 });

function inputs(shape: number[], seed: number, count = 4): Float32Array[] {
  const next = mulberry32(seed);
  const size = shape.reduce((x, y) => x * y, 1);
  return Array.from({ length: count }, () => new Float32Array(size).map(() => next() * 6 - 3));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; ++i) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[i])));
}

/** Builds [InputLayer(shape), layer], converts it and compares the engine with model.predict. */
async function compareWithTfjs(shape: number[], layer: tf.layers.Layer, seed: number, setWeights?: (model: tf.Sequential) => void): Promise<string[]> {
  const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: shape }), layer] });
  setWeights?.(model);
  const engine = loadModel(await convertTfjsModel(model));
  for (const input of inputs(shape, seed)) {
    const expected = tf.tidy(() => (model.predict(tf.tensor(input, [1, ...shape])) as tf.Tensor).dataSync());
    expectClose(engine.predictVector(input), expected);
  }
  model.dispose();
  return engine.layers.map((summary) => summary.kind);
}

describe('activation layers against TF.js', () => {
  it('ReLU (max_value), LeakyReLU (alpha), ELU, ThresholdedReLU (theta), Softmax', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb,
        fc.constantFrom('relu', 'leaky', 'elu', 'thresholded', 'softmax'),
        fc.option(fc.constantFrom(0, 0.5, 1, 2.5, 6)),
        fc.double({ min: -1, max: 2, noNaN: true }),
        fc.integer(),
        async (shape, kind, maxValue, parameter, seed) => {
          const alpha = Math.fround(parameter);
          const layer =
            kind === 'relu'
              ? tf.layers.reLU(maxValue === null ? {} : { maxValue })
              : kind === 'leaky'
                ? tf.layers.leakyReLU({ alpha })
                : kind === 'elu'
                  ? tf.layers.elu()
                  : kind === 'thresholded'
                    ? tf.layers.thresholdedReLU({ theta: alpha })
                    : tf.layers.softmax(shape.length === 1 && seed % 2 === 0 ? {} : { axis: -1 }); // TF.js's default axis is 1
          const kinds = await compareWithTfjs(shape, layer, seed);
          expect(kinds.length).toBe(1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('PReLU with and without shared_axes (any subset); alpha stored at its Keras shape, broadcast by the engine', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.integer(), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), async (shape, seed, share) => {
        const axes = shape.map((_, axis) => axis + 1).filter((axis) => share[axis - 1]);
        const sharedAxes = axes.length > 0 ? axes : undefined;
        const layer = tf.layers.prelu({ sharedAxes });
        const kinds = await compareWithTfjs(shape, layer, seed, (model) => {
          const next = mulberry32(seed ^ 0x55);
          model.setWeights(model.getWeights().map((weight) => tf.tensor(new Float32Array(weight.size).map(() => next() * 2 - 1), weight.shape)));
        });
        expect(kinds).toEqual(['prelu']);
        const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: shape }), tf.layers.prelu({ sharedAxes })] });
        const file = parseModelFile(await convertTfjsModel(model));
        expect(file.tensors[file.layers[0].tensors[0]].shape).toEqual(shape.map((dim, axis) => (axes.includes(axis + 1) ? 1 : dim)));
        model.dispose();
      }),
      { numRuns: 30 },
    );
  });

  it('PReLU from a file with alpha expanded to the input shape (before the broadcast) still loads and runs', () => {
    const shape = [2, 3];
    const alpha = Float32Array.from([0.1, 0.2, 0.3, 0.1, 0.2, 0.3]);
    const bytes = writeModelFile({
      metadata: [
        { key: 'general.name', type: 'string', value: 'old-prelu' },
        { key: 'model.labels', type: 'string[]', value: ['a', 'b', 'c', 'd', 'e', 'f'] },
        { key: 'input.kind', type: 'string', value: 'vector' },
        { key: 'input.shape', type: 'u32[]', value: shape },
      ],
      tensors: [{ name: 'p/alpha', dtype: 'float32', shape, data: new Uint8Array(alpha.buffer) }],
      layers: [{ name: 'p', kind: 'prelu', activation: 'linear', tensors: [0], params: [] }],
    });
    const engine = loadModel(bytes);
    const input = [-1, -1, -1, 2, -2, 3];
    expectClose(engine.predictVector(input), preluReference(input, Array.from(alpha)));
  });

  it('ReLU negative_slope/threshold and ELU alpha ≠ 1 (not in TF.js) match the reference', async () => {
    const shape = [3, 4];
    for (const [className, config] of [
      ['ReLU', { max_value: 2, negative_slope: 0.1, threshold: 0.5 }],
      ['ReLU', { max_value: null, negative_slope: 0.3, threshold: -1 }],
      ['ELU', { alpha: 0.4 }],
    ] as const) {
      const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: shape }), tf.layers.activation({ activation: 'linear', name: 'act' })] });
      const saved = await saveInMemory(model);
      const topology = JSON.parse(JSON.stringify(saved.topology)) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      const entry = topology.config.layers[topology.config.layers.length - 1];
      entry.class_name = className;
      Object.assign(entry.config, config);
      const modelJson = { modelTopology: topology, weightsManifest: [{ paths: ['weights.bin'], weights: saved.specs }] };
      const engine = loadModel(convertModel({ modelJson, readWeightFile: () => saved.data }).bytes);
      for (const input of inputs(shape, 7)) {
        const values = Array.from(input);
        const expected =
          className === 'ELU'
            ? eluReference(values, config.alpha)
            : reluLayerReference(values, config.max_value, config.negative_slope, config.threshold);
        expectClose(engine.predictVector(input), expected);
      }
    }
  });

  it('identity layers store nothing; Masking zeroes masked steps as TF.js; a Softmax on another axis is refused with a reason', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [4, 3] }),
        tf.layers.spatialDropout1d({ rate: 0.5 }),
        tf.layers.gaussianNoise({ stddev: 1 }),
        tf.layers.gaussianDropout({ rate: 0.3 }),
        tf.layers.alphaDropout({ rate: 0.3 }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const engine = loadModel(await convertTfjsModel(model));
    expect(engine.layers.map((layer) => layer.kind)).toEqual(['dense']);
    for (const input of inputs([4, 3], 3)) {
      expectClose(engine.predictVector(input), tf.tidy(() => (model.predict(tf.tensor(input, [1, 4, 3])) as tf.Tensor).dataSync()));
    }
    const masking = tf.sequential({ layers: [tf.layers.masking({ inputShape: [4, 3], maskValue: 0.5 }), tf.layers.dense({ units: 2 })] });
    const masked = loadModel(await convertTfjsModel(masking));
    for (const input of inputs([4, 3], 3)) {
      input.fill(0.5, 3, 6); // step 1 masked
      expectClose(masked.predictVector(input), tf.tidy(() => (masking.predict(tf.tensor(input, [1, 4, 3])) as tf.Tensor).dataSync()));
    }
    const softmax = tf.sequential({ layers: [tf.layers.softmax({ inputShape: [4, 3], axis: 1 })] });
    await expect(convertTfjsModel(softmax)).rejects.toThrow(/only axis -1/);
  });
});
