// The reshape family (engine/layers/reshape.ts) against @tensorflow/tfjs: Reshape (with an
// unknown -1 dim), Permute, RepeatVector and Flatten (channels_last and channels_first) on
// random shapes, each followed by a Dense layer so a wrong order of values shows, and
// CategoryEncoding (multi_hot, one_hot, count) on token ids; float32 within 1e-5 · max(1, |tfjs|). The permute kernel against its plain reference; the
// converter's one-line refusals of bad configs.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../engine/index.ts';
import { PERMUTE } from '../engine/layers/reshape.ts';
import { permuteReference, repeatVectorReference } from '../engine/layers/reshape.reference.ts';
import type { ParsedLayer, ParsedModelFile } from '../engine/format.ts';
import { mulberry32 } from '../train/prng.ts';
import { compareModelWithTfjs, firstMismatch, refusalOf, relative, runLayerCase, type LayerCase } from './layer-check.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface ReshapeCase extends LayerCase {
  what: string;
}

const dimsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });

/** A random permutation of 0..n−1 from `seed`. */
function shuffled(n: number, seed: number): number[] {
  const next = mulberry32(seed);
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

const cases: fc.Arbitrary<ReshapeCase> = fc
  .record({ kind: fc.constantFrom('reshape', 'permute', 'repeatVector', 'flatten', 'flattenFirst'), dims: dimsArb, split: fc.nat(), unknown: fc.boolean(), seed: fc.integer() })
  .map((c): ReshapeCase => {
    const size = c.dims.reduce((a, b) => a * b, 1);
    const dense = () => tf.layers.dense({ units: 3 });
    switch (c.kind) {
      case 'reshape': {
        // a target of the same size: the dims regrouped around a divisor of the size
        const divisors = [...Array(size).keys()].map((i) => i + 1).filter((d) => size % d === 0);
        const d = divisors[c.split % divisors.length];
        const target = c.unknown ? [-1, d] : [size / d, d];
        return { inputShape: c.dims, layers: () => [tf.layers.reshape({ targetShape: target }), dense()], seed: c.seed, what: `reshape ${JSON.stringify(target)} of [${c.dims}]` };
      }
      case 'permute': {
        const dims = shuffled(c.dims.length, c.seed).map((axis) => axis + 1);
        return { inputShape: c.dims, layers: () => [tf.layers.permute({ dims }), dense()], seed: c.seed, what: `permute ${JSON.stringify(dims)} of [${c.dims}]` };
      }
      case 'repeatVector': {
        const n = (c.split % 4) + 1;
        return { inputShape: [c.dims[0]], layers: () => [tf.layers.repeatVector({ n }), tf.layers.permute({ dims: [2, 1] }), dense()], seed: c.seed, what: `repeatVector ${n} of [${c.dims[0]}]` };
      }
      default: {
        // TF.js's Flatten wants rank ≥ 2
        const shape = c.dims.length === 1 ? [c.dims[0], 2] : c.dims;
        const dataFormat = c.kind === 'flatten' ? 'channelsLast' : 'channelsFirst';
        return { inputShape: shape, layers: () => [tf.layers.flatten({ dataFormat }), dense()], seed: c.seed, what: `flatten ${dataFormat} of [${shape}]` };
      }
    }
  });

describe('reshape family against TF.js', () => {
  it('Reshape (-1), Permute, RepeatVector, Flatten channels_last/channels_first, float32 within 1e-5', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (layerCase) => {
        const run = await runLayerCase(layerCase, 3);
        const mismatch = firstMismatch(run, relative(1e-5));
        expect(mismatch, `${layerCase.what}: ${mismatch}`).toBeNull();
      }),
      { numRuns: 40 },
    );
  });

  it('the permute kernel equals its plain reference on ranks 1 to 6', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }), fc.integer(), (shape, seed) => {
        const order = shuffled(shape.length, seed);
        const size = shape.reduce((a, b) => a * b, 1);
        const input = Float32Array.from({ length: size }, (_, i) => i);
        const layer: ParsedLayer = { name: 'p', kind: 'permute', activation: 'linear', tensors: [], params: order, sources: [{ from: 'input', index: 0 }], inputShapes: [shape], inputShape: shape, outputShape: order.map((a) => shape[a]) };
        const output = new Float32Array(size);
        PERMUTE.prepare({ file: {} as ParsedModelFile, layer, integerInt8: true }).run(input, output, [input]);
        expect(Array.from(output)).toEqual(permuteReference(Array.from(input), shape, order));
      }),
      { numRuns: 60 },
    );
    expect(repeatVectorReference([1, 2], 3)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('a Reshape to one axis is the core flatten; an identity Permute stores nothing', async () => {
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [2, 3] }), tf.layers.reshape({ targetShape: [6] }), tf.layers.permute({ dims: [1] }), tf.layers.dense({ units: 2 })] });
    const engine = loadModel(await convertTfjsModel(model));
    expect(engine.layers.map((layer) => layer.kind)).toEqual(['flatten', 'dense']);
    model.dispose();
  });
});

describe('CategoryEncoding against TF.js', () => {
  // an (identity) Reshape comes first: TF.js's CategoryEncoding.computeOutputShape overwrites its input's
  // shape array in place, which would make the InputLayer (or an Activation, sharing it) save the wrong shape
  it('multi_hot, one_hot (one id), count; ids truncated as TF.js casts to int32; out-of-range ids are an input error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom('multiHot', 'oneHot', 'count'), fc.integer(), async (n, numTokens, outputMode, seed) => {
        const length = outputMode === 'oneHot' ? 1 : n;
        const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [length] }), tf.layers.reshape({ targetShape: [length] }), tf.layers.categoryEncoding({ numTokens, outputMode: outputMode as 'multiHot' }), tf.layers.dense({ units: 2 })] });
        const mismatch = await compareModelWithTfjs(model, seed, 1e-5, numTokens);
        expect(mismatch, `categoryEncoding ${outputMode} ${numTokens} of [${length}]: ${mismatch}`).toBeNull();
      }),
      { numRuns: 25 },
    );
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [2] }), tf.layers.reshape({ targetShape: [2] }), tf.layers.categoryEncoding({ numTokens: 3 })] });
    const engine = loadModel(await convertTfjsModel(model));
    expect(Array.from(engine.predictVector([2.7, 0]))).toEqual([1, 0, 1]);
    expect(() => engine.predictVector([3, 0])).toThrow(/^layer '\w+' \(CategoryEncoding\): input 0 is 3; token ids must be in \[0, 3\)$/);
    expect(() => engine.predictVector([-1, 0])).toThrow(/input 0 is -1; token ids must be in \[0, 3\)/);
  });
});

describe('reshape family: refused configs', () => {
  const refusal = refusalOf;

  it('names the option and the shapes in one line', () => {
    expect(refusal([2, 3], 'Reshape', { target_shape: [-1, -1] })).toBe(`layer 'x' (Reshape): target_shape [-1,-1] has more than one unknown (-1 or null) dim`);
    expect(refusal([2, 3], 'Reshape', { target_shape: [4, -1] })).toBe(`layer 'x' (Reshape): target_shape [4,-1] cannot hold the 6 values of input [2,3]`);
    expect(refusal([2, 3], 'Reshape', { target_shape: [5] })).toBe(`layer 'x' (Reshape): target_shape [5] holds 5 values, the input [2,3] 6`);
    expect(refusal([2, 3], 'Permute', { dims: [1, 1] })).toBe(`layer 'x' (Permute): dims [1,1] must be a permutation of 1..2 for input [2,3]`);
    expect(refusal([2, 3], 'RepeatVector', { n: 2 })).toBe(`layer 'x' (RepeatVector) needs a vector input [features], got [2,3]`);
    expect(refusal([2], 'RepeatVector', { n: 0 })).toBe(`layer 'x' (RepeatVector): n 0 is not a positive integer`);
    expect(refusal([2, 3], 'Flatten', { data_format: 'channels_middle' })).toBe(`layer 'x' (Flatten): data_format "channels_middle" must be channels_last or channels_first`);
  });
});
