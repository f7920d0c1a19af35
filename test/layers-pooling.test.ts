// The pooling family (engine/layers/pooling.ts) against @tensorflow/tfjs on random configs,
// shapes and inputs (no weights: float32 only), within 1e-5 · max(1, |b|); the pooling kernel
// against its plain reference.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pool, type PoolGeometry } from '../engine/layers/pooling.ts';
import { referencePool, referenceUpSamplingBilinear } from '../engine/layers/pooling.reference.ts';
import { familyKindByName } from '../engine/layers/index.ts';
import { mulberry32 } from '../train/prng.ts';
import { firstMismatch, relative, runLayerCase, type LayerCase } from './layer-check.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface PoolCase extends LayerCase {
  what: string;
}

const dimsArb = (rank: number, max: number) => fc.array(fc.integer({ min: 1, max }), { minLength: rank, maxLength: rank });

const windowPool: fc.Arbitrary<PoolCase> = fc
  .record({
    rank: fc.constantFrom(1, 2, 3),
    average: fc.boolean(),
    dims: dimsArb(3, 7),
    pool: dimsArb(3, 3),
    strides: fc.option(dimsArb(3, 3), { nil: null }),
    padding: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
    channels: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer(),
  })
  .map((c): PoolCase => {
    const poolSize = c.pool.slice(0, c.rank);
    const dims = c.dims.slice(0, c.rank).map((n, a) => Math.max(c.rank === 3 ? Math.min(n, 5) : n, poolSize[a]));
    const options = { poolSize: c.rank === 1 ? poolSize[0] : poolSize, strides: c.strides ? (c.rank === 1 ? c.strides[0] : c.strides.slice(0, c.rank)) : undefined, padding: c.padding };
    const makers = c.average ? [tf.layers.averagePooling1d, tf.layers.averagePooling2d, tf.layers.averagePooling3d] : [tf.layers.maxPooling1d, tf.layers.maxPooling2d, tf.layers.maxPooling3d];
    const make = makers[c.rank - 1];
    return { inputShape: [...dims, c.channels], layers: () => [make(options as never)], seed: c.seed, what: `${c.average ? 'average' : 'max'}Pooling${c.rank}d ${JSON.stringify(options)}` };
  });

const reshaping: fc.Arbitrary<PoolCase> = fc
  .record({
    kind: fc.constantFrom('gap2d', 'gmp2d', 'gap1d', 'zeroPadding2d', 'cropping2D', 'upSampling2d'),
    dims: dimsArb(2, 6),
    amounts: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
    channels: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer(),
  })
  .map((c): PoolCase => {
    const [t, b, l, r] = c.amounts;
    const dims = c.dims.map((n, a) => (c.kind === 'cropping2D' ? n + c.amounts[2 * a] + c.amounts[2 * a + 1] : n));
    const layer = (): tf.layers.Layer => {
      switch (c.kind) {
        case 'gap2d':
          return tf.layers.globalAveragePooling2d({});
        case 'gmp2d':
          return tf.layers.globalMaxPooling2d({});
        case 'gap1d':
          return tf.layers.globalAveragePooling1d({});
        case 'zeroPadding2d':
          return tf.layers.zeroPadding2d({ padding: [[t, b], [l, r]] });
        case 'cropping2D':
          return tf.layers.cropping2D({ cropping: [[t, b], [l, r]] });
        default:
          return tf.layers.upSampling2d({ size: [t + 1, l + 1] });
      }
    };
    const inputShape = c.kind === 'gap1d' ? [dims[0], c.channels] : [...dims, c.channels];
    return { inputShape, layers: () => [layer()], seed: c.seed, what: `${c.kind} ${JSON.stringify(c.amounts)}` };
  });

describe('pooling family vs TF.js', () => {
  it('Max/AveragePooling1D/2D/3D, GlobalAverage/MaxPooling2D, ZeroPadding2D, Cropping2D, UpSampling2D within 1e-5 · max(1, |b|)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(windowPool, reshaping), async (c) => {
        const run = await runLayerCase(c, 2);
        const mismatch = firstMismatch(run, relative(1e-5));
        if (mismatch) throw new Error(`${c.what} on [${c.inputShape}]: ${mismatch}`);
      }),
      { numRuns: 80 },
    );
  });

  it('a small CNN: Conv2D → MaxPooling2D → Conv2D → GlobalAveragePooling2D → Dense softmax', async () => {
    const run = await runLayerCase(
      {
        inputShape: [12, 12, 1],
        layers: () => [
          tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', padding: 'same' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
        seed: 42,
      },
      4,
    );
    expect(firstMismatch(run, relative(1e-5))).toBeNull();
  });

  it('bilinear UpSampling2D (TF.js resizeBilinear), channels_last and channels_first, within 1e-5 · max(1, |b|)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ dims: dimsArb(2, 7), size: dimsArb(2, 4), channels: fc.integer({ min: 1, max: 4 }), channelsFirst: fc.boolean(), dense: fc.boolean(), seed: fc.integer() }),
        async (c) => {
          const dataFormat = c.channelsFirst ? ('channelsFirst' as const) : ('channelsLast' as const);
          const inputShape = c.channelsFirst ? [c.channels, ...c.dims] : [...c.dims, c.channels];
          // a Dense after it checks the layout of the channels too
          const layers = (): tf.layers.Layer[] => [
            tf.layers.upSampling2d({ size: c.size, interpolation: 'bilinear', dataFormat }),
            ...(c.dense ? [tf.layers.dense({ units: 3 })] : []),
          ];
          const run = await runLayerCase({ inputShape, layers, seed: c.seed }, 2);
          const mismatch = firstMismatch(run, relative(1e-5));
          if (mismatch) throw new Error(`bilinear size [${c.size}] ${dataFormat} on [${inputShape}]: ${mismatch}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses an interpolation TF.js does not run with one clear line', async () => {
    const setInterpolation = (value: string) => (topology: unknown) => {
      const layers = (topology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
      for (const layer of layers) if (layer.class_name === 'UpSampling2D') layer.config.interpolation = value;
    };
    await expect(runLayerCase({ inputShape: [3, 3, 1], layers: () => [tf.layers.upSampling2d({ size: [2, 2] })], editTopology: setInterpolation('bicubic'), seed: 1 }, 1)).rejects.toThrow(
      /interpolation "bicubic" is not supported; only 'nearest' or 'bilinear' \(as TF.js\)/,
    );
  });
});

describe('pooling kernel vs its plain reference', () => {
  it('bilinear up-sampling: the kernel as the plain formula, bit for bit', () => {
    fc.assert(
      fc.property(fc.record({ dims: dimsArb(2, 9), size: dimsArb(2, 5), channels: fc.integer({ min: 1, max: 3 }), seed: fc.integer() }), (c) => {
        const shape = [...c.dims, c.channels];
        const next = mulberry32(c.seed);
        const input = new Float32Array(shape[0] * shape[1] * shape[2]).map(() => next() * 2 - 1);
        const expected = referenceUpSamplingBilinear(input, shape, c.size);
        const file = { kind: 'up_sampling_bilinear', params: c.size, inputShape: shape };
        const spec = familyKindByName(file.kind);
        if (!spec) throw new Error('up_sampling_bilinear is not a family kind');
        const prepared = spec.prepare({ layer: file, file: undefined, integerInt8: false } as never);
        const actual = new Float32Array(expected.output.length);
        prepared.run(input, actual, [input]);
        expect(Array.from(actual)).toEqual(Array.from(expected.output));
      }),
      { numRuns: 100 },
    );
  });

  it('3-D max and average pooling with padding below the pool size', () => {
    fc.assert(
      fc.property(
        fc.record({ dims: dimsArb(3, 6), pool: dimsArb(3, 4), strides: dimsArb(3, 3), pads: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), channels: fc.integer({ min: 1, max: 3 }), average: fc.boolean(), seed: fc.integer() }),
        (c) => {
          const padBefore = c.pads.slice(0, 3).map((p, a) => p % c.pool[a]);
          const padAfter = c.pads.slice(3).map((p, a) => p % c.pool[a]);
          const dims = c.dims.map((n, a) => Math.max(n, c.pool[a]));
          const next = mulberry32(c.seed);
          const input = new Float32Array(dims[0] * dims[1] * dims[2] * c.channels).map(() => next() * 2 - 1);
          const expected = referencePool(input, [...dims, c.channels], [...c.pool, ...c.strides, ...padBefore, ...padAfter], c.average);
          const g: PoolGeometry = { inDims: dims, channels: c.channels, pool: c.pool, strides: c.strides, padBefore, outDims: expected.shape.slice(0, 3) };
          const actual = new Float32Array(expected.output.length);
          pool(input, g, c.average, actual);
          actual.forEach((a, i) => expect(Math.abs(a - expected.output[i])).toBeLessThanOrEqual(1e-6));
        },
      ),
      { numRuns: 150 },
    );
  });
});
