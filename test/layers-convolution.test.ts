// The convolution family (engine/layers/convolution.ts) against @tensorflow/tfjs on random
// configs, shapes, weights and inputs, and the kernels against their plain reference.
//
// Bounds (a = engine, b = TF.js on the float32 model):
//   float32: |a − b| ≤ 1e-5 · max(1, |b|)
//   float16 / int8, linear or relu: each output is Σ w·x over at most `fanIn` taps with |x| ≤ 1,
//   so |a − b| ≤ fanIn · Δw + 1e-5 · max(1, |b|), Δw the largest weight error the converter
//   documents: |w|·2⁻¹¹ for float16, max|w|/254 (half an int8 step) for int8; float16 files
//   round the bias as well (+ Δw), int8 files keep it float32.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Quantization } from '../converter/convert.ts';
import { parseModelFile, tensorFloat32 } from '../engine/format.ts';
import { convolve, padInto, type Geometry } from '../engine/layers/convolution.ts';
import { referenceConvolution } from '../engine/layers/convolution.reference.ts';
import { mulberry32 } from '../train/prng.ts';
import { firstMismatch, relative, runLayerCase, type LayerCase } from './layer-check.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid', 'elu'] as const;
type Activation = (typeof ACTIVATIONS)[number];

interface ConvCase extends LayerCase {
  /** Multiply-adds per output value: the bound's fanIn. */
  fanIn: number;
  what: string;
}

const activationArb = (linearOnly: boolean) => (linearOnly ? fc.constantFrom<Activation>('linear', 'relu') : fc.constantFrom(...ACTIVATIONS));

/** Per-axis window settings; `stride > 1` and `dilation > 1` never together (TF.js refuses it). */
const axisArb = fc.record({ size: fc.integer({ min: 1, max: 7 }), kernel: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }), dilation: fc.integer({ min: 1, max: 2 }) });

function windows(axes: { size: number; kernel: number; stride: number; dilation: number }[], dilated: boolean) {
  const strided = !dilated || axes.some((a) => a.stride > 1);
  return axes.map((a) => {
    const dilation = strided ? 1 : a.dilation;
    const stride = dilated && !strided ? 1 : a.stride;
    // valid padding needs the input to cover the kernel's span
    return { size: Math.max(a.size, dilation * (a.kernel - 1) + 1), kernel: a.kernel, stride, dilation };
  });
}

/**
 * The output_padding with which Keras sizes a Conv2DTranspose axis as TF.js does (in·s for
 * 'same', in·s + max(k − s, 0) for 'valid'), or null where none does (Keras needs p < s).
 */
function agreeingOutputPadding(kernel: number, stride: number, padding: 'valid' | 'same'): number | null {
  if (padding === 'same') return kernel % 2 === 1 ? stride - 1 : null;
  return kernel >= stride ? 0 : stride - kernel;
}

/** Sets data_format on every layer of a saved topology that has one. */
function setDataFormat(format: string): (topology: unknown) => void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if ('data_format' in record) record.data_format = format;
      Object.values(record).forEach(visit);
    }
  };
  return visit;
}

/** Sets output_padding on every Conv2DTranspose of a saved topology (TF.js does not write it). */
function setTransposeOutputPadding(outputPadding: number[]): (topology: unknown) => void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      const record = node as { class_name?: unknown; config?: Record<string, unknown> };
      if (record.class_name === 'Conv2DTranspose' && record.config) record.config.output_padding = outputPadding;
      Object.values(record).forEach(visit);
    }
  };
  return visit;
}

function convCaseArb(linearOnly: boolean): fc.Arbitrary<ConvCase> {
  const plain = fc
    .record({
      rank: fc.constantFrom(1, 2, 3),
      axes: fc.array(axisArb, { minLength: 3, maxLength: 3 }),
      dilated: fc.boolean(),
      channels: fc.integer({ min: 1, max: 4 }),
      filters: fc.integer({ min: 1, max: 4 }),
      padding: fc.constantFrom('valid', 'same'),
      useBias: fc.boolean(),
      activation: activationArb(linearOnly),
      seed: fc.integer(),
    })
    .map((c): ConvCase => {
      const axes = windows(c.axes.slice(0, c.rank).map((a) => (c.rank === 3 ? { ...a, size: Math.min(a.size, 4) } : a)), c.dilated);
      const padding = c.padding as 'valid' | 'same';
      const options = {
        filters: c.filters,
        kernelSize: axes.map((a) => a.kernel),
        strides: axes.map((a) => a.stride),
        dilationRate: axes.map((a) => a.dilation),
        padding,
        useBias: c.useBias,
        activation: c.activation,
      };
      const make = c.rank === 1 ? tf.layers.conv1d : c.rank === 2 ? tf.layers.conv2d : tf.layers.conv3d;
      const fanIn = axes.reduce((n, a) => n * a.kernel, c.channels);
      return { inputShape: [...axes.map((a) => a.size), c.channels], layers: () => [make(options as never)], seed: c.seed, fanIn, what: `conv${c.rank}d ${JSON.stringify(options)}` };
    });
  const depthwise = fc
    .record({
      axes: fc.array(axisArb, { minLength: 2, maxLength: 2 }),
      dilated: fc.boolean(),
      channels: fc.integer({ min: 1, max: 4 }),
      multiplier: fc.integer({ min: 1, max: 3 }),
      filters: fc.integer({ min: 1, max: 4 }),
      separable: fc.boolean(),
      padding: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
      useBias: fc.boolean(),
      activation: activationArb(linearOnly),
      seed: fc.integer(),
    })
    .map((c): ConvCase => {
      // TF.js's DepthwiseConv2D ignores dilation_rate (the converter refuses it); SeparableConv2D applies it
      const axes = windows(c.axes, c.dilated && c.separable && !linearOnly);
      const separable = c.separable && !linearOnly; // two stacked quantized kernels: outside the one-layer bound
      const options = {
        kernelSize: axes.map((a) => a.kernel),
        strides: axes.map((a) => a.stride),
        dilationRate: axes.map((a) => a.dilation),
        // TF.js does not save SeparableConv2D's depthMultiplier (its own reload then fails): 1 there
        depthMultiplier: separable ? 1 : c.multiplier,
        padding: c.padding,
        useBias: c.useBias,
        activation: c.activation,
        ...(separable ? { filters: c.filters } : {}),
      };
      const fanIn = axes.reduce((n, a) => n * a.kernel, 1);
      return {
        inputShape: [...axes.map((a) => a.size), c.channels],
        layers: () => [separable ? tf.layers.separableConv2d(options as never) : tf.layers.depthwiseConv2d(options as never)],
        seed: c.seed,
        fanIn,
        what: `${separable ? 'separableConv2d' : 'depthwiseConv2d'} ${JSON.stringify(options)}`,
      };
    });
  const transpose = fc
    .record({
      size: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 2 }),
      kernel: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 2 }),
      strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
      channels: fc.integer({ min: 1, max: 3 }),
      filters: fc.integer({ min: 1, max: 3 }),
      padding: fc.constantFrom<'valid' | 'same'>('valid', 'same'),
      outputPadding: fc.boolean(),
      useBias: fc.boolean(),
      activation: activationArb(linearOnly),
      seed: fc.integer(),
    })
    .map((c): ConvCase => {
      const options = { filters: c.filters, kernelSize: c.kernel, strides: c.strides, padding: c.padding, useBias: c.useBias, activation: c.activation };
      // Keras's output_padding where it gives TF.js's output size (TF.js ignores the option)
      const agreeing = c.kernel.map((k, a) => agreeingOutputPadding(k, c.strides[a], c.padding));
      const outputPadding = c.outputPadding && agreeing.every((p) => p !== null) ? (agreeing as number[]) : null;
      return {
        inputShape: [...c.size, c.channels],
        layers: () => [tf.layers.conv2dTranspose(options as never)],
        editTopology: outputPadding ? setTransposeOutputPadding(outputPadding) : undefined,
        seed: c.seed,
        fanIn: c.kernel[0] * c.kernel[1] * c.channels,
        what: `conv2dTranspose ${JSON.stringify({ ...options, outputPadding })}`,
      };
    });
  return fc.oneof({ arbitrary: plain, weight: 3 }, { arbitrary: depthwise, weight: 2 }, { arbitrary: transpose, weight: 2 });
}

describe('convolution family vs TF.js', () => {
  it('float32: Conv1D/2D/3D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose within 1e-5 · max(1, |b|)', async () => {
    await fc.assert(
      fc.asyncProperty(convCaseArb(false), async (c) => {
        const run = await runLayerCase(c, 3);
        const mismatch = firstMismatch(run, relative(1e-5));
        if (mismatch) throw new Error(`${c.what} on [${c.inputShape}]: ${mismatch}`);
      }),
      { numRuns: 60 },
    );
  });

  it('float32 on the fixed-point BigInt lanes, on im2col rows (patches of ≤ 9 values; larger ones on convolve) and on convolve (floatKernel lanes, rows, loops; one group): within 1e-5 · max(1, |b|)', async () => {
    await fc.assert(
      fc.asyncProperty(convCaseArb(false), fc.constantFrom('lanes' as const, 'rows' as const, 'loops' as const), async (c, floatKernel) => {
        const run = await runLayerCase(c, 2, 'float32', 'integer', 'auto', floatKernel);
        const mismatch = firstMismatch(run, relative(1e-5));
        if (mismatch) throw new Error(`float ${floatKernel} ${c.what} on [${c.inputShape}]: ${mismatch}`);
      }),
      { numRuns: 60 },
    );
  });

  it('float16 and int8 (integer and dequantized kernels): within fanIn · Δw of the float32 model (+ the patch rounding on integers)', async () => {
    await fc.assert(
      fc.asyncProperty(convCaseArb(true), fc.constantFrom<[Quantization, 'integer' | 'float']>(['float16', 'float'], ['int8', 'integer'], ['int8', 'float']), async (c, [quantize, int8]) => {
        const run = await runLayerCase(c, 2, quantize, int8);
        const weightError = quantize === 'float16' ? run.maxWeight * 2 ** -11 : run.maxWeight / 254;
        // on integers a one-group convolution quantizes each patch (the lowering; see the next test)
        const patchError = quantize === 'int8' && int8 === 'integer' ? (c.fanIn * (run.maxWeight + weightError)) / 254 : 0;
        // float16 files round the bias too (≤ max|w|·2⁻¹¹); int8 files keep it float32
        const biasError = quantize === 'float16' ? weightError : 0;
        const mismatch = firstMismatch(run, (b) => c.fanIn * weightError + patchError + biasError + 1e-5 * Math.max(1, Math.abs(b)));
        if (mismatch) throw new Error(`${quantize}/${int8} ${c.what} on [${c.inputShape}]: ${mismatch}`);
        // the int8 file really holds int8 kernels with a scale per output channel
        const file = parseModelFile(run.bytes);
        for (const layer of file.layers) if (layer.tensors.length > 0) expect(file.tensors[layer.tensors[0]].dtype).toBe(quantize);
      }),
      { numRuns: 40 },
    );
  });

  it('int8 lowered onto the int8 matrix kernels (one group; lanes, packed, plain): within fanIn · Δw + the patch rounding (max|x|/254 · Σ|w|) of the float32 model', async () => {
    await fc.assert(
      fc.asyncProperty(convCaseArb(true), fc.constantFrom('lanes' as const, 'packed' as const, 'plain' as const), async (c, int8Kernel) => {
        const run = await runLayerCase(c, 2, 'int8', 'integer', int8Kernel);
        const weightError = run.maxWeight / 254;
        // each patch is quantized on its own: |Δx| ≤ max|patch| / 254 ≤ 1/254 per tap (inputs in [−1, 1])
        const patchError = (c.fanIn * (run.maxWeight + weightError)) / 254;
        const mismatch = firstMismatch(run, (b) => c.fanIn * weightError + patchError + 1e-5 * Math.max(1, Math.abs(b)));
        if (mismatch) throw new Error(`int8 ${int8Kernel} ${c.what} on [${c.inputShape}]: ${mismatch}`);
      }),
      { numRuns: 40 },
    );
  });

  it("Conv2DTranspose output_padding: Keras's output size (in − 1)·s + k − 2·pad + p with TF's crop equals TF.js's output where the sizes agree; refused with one line where they differ", async () => {
    // agreeing sizes: the values equal TF.js's (which ignores output_padding) and tf.conv2dTranspose with Keras's output shape
    const c = { size: [3, 4], channels: 2, filters: 2, kernel: [5, 3], strides: [2, 3] };
    const outputPadding = [1, 2];
    const run = await runLayerCase(
      { inputShape: [...c.size, c.channels], layers: () => [tf.layers.conv2dTranspose({ filters: c.filters, kernelSize: c.kernel, strides: c.strides, padding: 'same' })], editTopology: setTransposeOutputPadding(outputPadding), seed: 5 },
      2,
    );
    const mismatch = firstMismatch(run, relative(1e-5));
    if (mismatch) throw new Error(mismatch);
    const file = parseModelFile(run.bytes);
    const [layer] = file.layers;
    const kerasSize = c.size.map((n, a) => (n - 1) * c.strides[a] + c.kernel[a] - 2 * Math.floor(c.kernel[a] / 2) + outputPadding[a]);
    expect(kerasSize).toEqual([6, 12]);
    expect(layer.params.slice(6)).toEqual(kerasSize);
    // tf.conv2dTranspose with Keras's output shape, on the stored kernel [outC, kh, kw, inC] put back as [kh, kw, outC, inC]
    const stored = tf.tensor(tensorFloat32(file, layer.tensors[0]), file.tensors[layer.tensors[0]].shape as [number, number, number, number]);
    const kernel = tf.transpose(stored, [1, 2, 0, 3]) as tf.Tensor4D;
    const x = tf.tensor4d(run.inputs[0], [1, c.size[0], c.size[1], c.channels]);
    const y = tf.add(tf.conv2dTranspose(x, kernel, [1, kerasSize[0], kerasSize[1], c.filters], c.strides as [number, number], 'same'), tf.tensor(tensorFloat32(file, layer.tensors[1])));
    const expected = y.dataSync();
    expected.forEach((v, i) => expect(Math.abs(v - run.engine[0][i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    tf.dispose([stored, kernel, x, y]);
    // disagreeing sizes (valid k ≥ s with p > 0, same with an even kernel, p ≥ s): one line naming the option
    const refused = (options: { kernelSize: number; strides: number; padding: 'valid' | 'same' }, p: number) =>
      runLayerCase({ inputShape: [3, 3, 1], layers: () => [tf.layers.conv2dTranspose({ filters: 1, ...options })], editTopology: setTransposeOutputPadding([p, p]), seed: 1 }, 1);
    await expect(refused({ kernelSize: 3, strides: 2, padding: 'valid' }, 1)).rejects.toThrow(/output_padding \[1,1\] is not supported here: Keras's output \[8,8\] differs from TF.js's \[7,7\]/);
    await expect(refused({ kernelSize: 4, strides: 2, padding: 'same' }, 1)).rejects.toThrow(/output_padding \[1,1\] is not supported here/);
    await expect(refused({ kernelSize: 3, strides: 2, padding: 'same' }, 2)).rejects.toThrow(/output_padding \[2,2\] must be below the strides/);
  });

  it('data_format channels_first: every convolution, pooling, padding and up-sampling layer as TF.js (float32 within 1e-5)', async () => {
    // (TF.js's Conv1D and 1-D pooling do not save data_format, so they cannot round-trip here.)
    const cf = 'channelsFirst' as const;
    const cases: { what: string; inputShape: number[]; layers: () => tf.layers.Layer[] }[] = [
      { what: 'Conv2D strided', inputShape: [3, 6, 5], layers: () => [tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, activation: 'relu', dataFormat: cf })] },
      { what: 'Conv2D dilated', inputShape: [2, 7, 7], layers: () => [tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', dataFormat: cf })] },
      { what: 'Conv3D', inputShape: [2, 4, 5, 4], layers: () => [tf.layers.conv3d({ filters: 3, kernelSize: 2, dataFormat: cf })] },
      { what: 'DepthwiseConv2D', inputShape: [3, 6, 6], layers: () => [tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, dataFormat: cf })] },
      // (TF.js's SeparableConv2D adds its bias channels-last whatever the format: without a bias it can be compared.)
      { what: 'SeparableConv2D', inputShape: [3, 6, 6], layers: () => [tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, dataFormat: cf })] },
      { what: 'Conv2DTranspose', inputShape: [2, 4, 3], layers: () => [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', dataFormat: cf })] },
      { what: 'MaxPooling2D, AveragePooling2D', inputShape: [3, 6, 7], layers: () => [tf.layers.maxPooling2d({ poolSize: 2, dataFormat: cf }), tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', dataFormat: cf })] },
      { what: 'MaxPooling3D', inputShape: [2, 4, 4, 4], layers: () => [tf.layers.maxPooling3d({ poolSize: 2, dataFormat: cf })] },
      { what: 'GlobalAveragePooling2D', inputShape: [3, 4, 5], layers: () => [tf.layers.globalAveragePooling2d({ dataFormat: cf })] },
      { what: 'GlobalMaxPooling2D', inputShape: [3, 4, 5], layers: () => [tf.layers.globalMaxPooling2d({ dataFormat: cf })] },
      { what: 'ZeroPadding2D, Cropping2D', inputShape: [2, 5, 4], layers: () => [tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]], dataFormat: cf }), tf.layers.cropping2D({ cropping: [[0, 1], [1, 0]], dataFormat: cf })] },
      { what: 'UpSampling2D', inputShape: [2, 3, 4], layers: () => [tf.layers.upSampling2d({ size: [2, 3], dataFormat: cf })] },
      { what: 'Conv2D then Flatten then Dense', inputShape: [2, 5, 5], layers: () => [tf.layers.conv2d({ filters: 3, kernelSize: 2, dataFormat: cf }), tf.layers.flatten({ dataFormat: cf }), tf.layers.dense({ units: 4 })] },
    ];
    for (const [i, c] of cases.entries()) {
      const run = await runLayerCase({ inputShape: c.inputShape, layers: c.layers, seed: 100 + i }, 2).catch((e: Error) => { throw new Error(`channels_first ${c.what}: ${e.message}`); });
      const mismatch = firstMismatch(run, relative(1e-5));
      if (mismatch) throw new Error(`channels_first ${c.what} on [${c.inputShape}]: ${mismatch}`);
    }
  });

  it('refuses what it cannot run with one clear line', async () => {
    await expect(runLayerCase({ inputShape: [4, 4, 2], layers: () => [tf.layers.conv2d({ filters: 1, kernelSize: 2 })], editTopology: setDataFormat('channels_middle'), seed: 1 }, 1)).rejects.toThrow(
      /data_format "channels_middle" must be channels_last or channels_first/,
    );
  });
});

describe('convolution kernel vs its plain reference', () => {
  it('grouped 3-D convolution with explicit asymmetric padding', () => {
    fc.assert(
      fc.property(
        fc.record({
          dims: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }),
          kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
          strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
          dilations: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
          pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 6, maxLength: 6 }),
          groups: fc.integer({ min: 1, max: 3 }),
          groupIn: fc.integer({ min: 1, max: 3 }),
          groupOut: fc.integer({ min: 1, max: 3 }),
          seed: fc.integer(),
        }),
        (c) => {
          const padBefore = c.pads.slice(0, 3);
          const padAfter = c.pads.slice(3);
          const spans = c.kernel.map((k, a) => c.dilations[a] * (k - 1) + 1);
          const dims = c.dims.map((n, a) => Math.max(n, spans[a] - padBefore[a] - padAfter[a]));
          const C = c.groups * c.groupIn;
          const outC = c.groups * c.groupOut;
          const next = mulberry32(c.seed);
          const input = new Float32Array(dims[0] * dims[1] * dims[2] * C).map(() => next() * 2 - 1);
          const kernel = new Float32Array(outC * c.kernel[0] * c.kernel[1] * c.kernel[2] * c.groupIn).map(() => next() * 2 - 1);
          const bias = new Float32Array(outC).map(() => next());
          const params = [...c.strides, ...c.dilations, ...padBefore, ...padAfter];
          const expected = referenceConvolution(input, [...dims, C], kernel, [outC, ...c.kernel, c.groupIn], bias, params);
          const outDims = expected.shape.slice(0, 3);
          const g: Geometry = { inDims: dims, inChannels: C, kernelDims: c.kernel, strides: c.strides, dilations: c.dilations, padBefore, padAfter, outDims, outChannels: outC, groups: c.groups };
          const padded = dims.map((n, a) => n + padBefore[a] + padAfter[a]);
          const scratch = new Float32Array(padded[0] * padded[1] * padded[2] * C);
          padInto(input, scratch, dims, C, padBefore, padAfter);
          const actual = new Float32Array(expected.output.length);
          convolve(scratch, padded[1], padded[2], C, kernel, new Float32Array(outC).fill(1), bias, g, actual);
          actual.forEach((a, i) => expect(Math.abs(a - expected.output[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected.output[i]))));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('causal Conv1D (TF.js cannot run it) equals ZeroPadding1D([d·(k−1), 0]) + valid Conv1D in TF.js; the kernel is stored output channel first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ steps: fc.integer({ min: 1, max: 8 }), channels: fc.integer({ min: 1, max: 3 }), filters: fc.integer({ min: 1, max: 3 }), kernel: fc.integer({ min: 1, max: 4 }), dilation: fc.integer({ min: 1, max: 3 }), seed: fc.integer() }),
        async (drawn) => {
          // TF.js sizes a causal layer like a valid one when building it: steps must cover the span
          const c = { ...drawn, steps: Math.max(drawn.steps, drawn.dilation * (drawn.kernel - 1) + 1) };
          const run = await runLayerCase(
            {
              inputShape: [c.steps, c.channels],
              layers: () => [tf.layers.conv1d({ filters: c.filters, kernelSize: c.kernel, padding: 'causal', dilationRate: c.dilation })],
              // TF.js has no ZeroPadding1D: pad as 2-D between reshapes
              tfjsLayers: () => [
                tf.layers.reshape({ targetShape: [c.steps, 1, c.channels] }),
                tf.layers.zeroPadding2d({ padding: [[c.dilation * (c.kernel - 1), 0], [0, 0]] }),
                tf.layers.reshape({ targetShape: [c.steps + c.dilation * (c.kernel - 1), c.channels] }),
                tf.layers.conv1d({ filters: c.filters, kernelSize: c.kernel, dilationRate: c.dilation }),
              ],
              seed: c.seed,
            },
            2,
          );
          const mismatch = firstMismatch(run, relative(1e-5));
          if (mismatch) throw new Error(`causal ${JSON.stringify(c)}: ${mismatch}`);
          const file = parseModelFile(run.bytes);
          const [layer] = file.layers;
          const kernel = file.tensors[layer.tensors[0]];
          expect(kernel.shape).toEqual([c.filters, c.kernel, c.channels]);
          const expected = referenceConvolution(run.inputs[0], [c.steps, c.channels], tensorFloat32(file, layer.tensors[0]), kernel.shape, tensorFloat32(file, layer.tensors[1]), layer.params);
          expect(expected.shape).toEqual([c.steps, c.filters]);
          expected.output.forEach((v, i) => expect(Math.abs(v - run.tfjs[0][i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
        },
      ),
      { numRuns: 15 },
    );
  });
});
