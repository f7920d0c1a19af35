import v8 from 'node:v8';
import vm from 'node:vm';
// loadModel's contract: input validation, buffer reuse, batches, tokenizer
// wiring, and a check that the prediction path allocates nothing.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, ModelFormatError, loadModel, type EngineModel } from '../engine/index.ts';
import * as kernels from '../engine/kernels.ts';
import { WordTokenizer } from '../engine/tokenizer.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

const VOCAB_TEXT = ['<PAD> 0', '<START> 1', '<UNKNOWN> 2', 'free 3', 'prize 4', 'hello 5', 'friend 6', 'win 7'].join('\n');

function tokensModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: 8, outputDim: 4, inputLength: 6, inputShape: [6] }));
  model.add(tf.layers.globalAveragePooling1d());
  model.add(tf.layers.dense({ units: 5, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  return model;
}

function vectorModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 40, activation: 'tanh', inputShape: [3] }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  return model;
}

let textModel: EngineModel;
let idsOnlyModel: EngineModel;
let floatModel: EngineModel;
let int8Model: EngineModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  textModel = loadModel(await convertTfjsModel(tokensModel(), { vocabText: VOCAB_TEXT, labelsText: 'ham\nspam' }));
  idsOnlyModel = loadModel(await convertTfjsModel(tokensModel()));
  floatModel = loadModel(await convertTfjsModel(vectorModel(), { labelsText: 'a\nb\nc' }));
  int8Model = loadModel(await convertTfjsModel(vectorModel(), { labelsText: 'a\nb\nc', quantize: 'int8' }));
});

describe('loadModel', () => {
  it('describes the model', () => {
    expect(textModel.inputKind).toBe('tokens');
    expect(textModel.inputShape).toEqual([6]);
    expect(textModel.inputSize).toBe(6);
    expect(textModel.outputSize).toBe(2);
    expect(textModel.labels).toEqual(['ham', 'spam']);
    expect(textModel.hasTokenizer).toBe(true);
    expect(textModel.vocabSize).toBe(8);
    expect(textModel.parameterCount).toBe(8 * 4 + 4 * 5 + 5 + 5 * 2 + 2);
    expect(textModel.layers.map((layer) => layer.parameters)).toEqual([32, 0, 25, 12]);
    expect(textModel.metadata.get('input.kind')).toBe('tokens');
    expect(idsOnlyModel.hasTokenizer).toBe(false);
    expect(floatModel.inputKind).toBe('vector');
    expect(floatModel.layers.map((layer) => layer.kind)).toEqual(['dense', 'batch_normalization', 'dense']);
  });

  it('lists inputs and outputs as TensorSpecs; predictInputs matches the single-input calls', () => {
    expect(textModel.inputs).toEqual([{ name: 'input', shape: [6], dtype: 'int32' }]);
    expect(textModel.outputs).toEqual([{ name: textModel.layers[textModel.layers.length - 1].name, shape: [2], dtype: 'float32' }]);
    expect(floatModel.inputs).toEqual([{ name: 'input', shape: [3], dtype: 'float32' }]);
    const ids = [1, 3, 4, 0, 0, 0];
    const expected = Array.from(textModel.predictTokens(ids));
    expect(Array.from(textModel.predictInputs([ids]))).toEqual(expected);
    // int32 inputs are truncated toward zero, as TF.js casts them
    expect(Array.from(textModel.predictInputs([[1.9, 3.2, 4.99, 0.5, -0.5, 0]]))).toEqual(expected);
    expect(textModel.predictInputs([ids])).toBe(textModel.predictTokens(ids));
    const vector = Array.from(floatModel.predictVector([0.5, -1, 2]));
    expect(Array.from(floatModel.predictInputs([[0.5, -1, 2]]))).toEqual(vector);
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (error) {
        return (error as InputError).code;
      }
      return 'none';
    };
    expect(code(() => floatModel.predictInputs([]))).toBe('wrong_length');
    expect(code(() => floatModel.predictInputs([[1, 2, 3], [1, 2, 3]]))).toBe('wrong_length');
    expect(code(() => textModel.predictInputs([[1, 2]]))).toBe('wrong_length');
    expect(code(() => textModel.predictInputs([[1, 2, 3, 4, 5, 8]]))).toBe('bad_token');
    expect(code(() => floatModel.predictInputs([[1, NaN, 3]]))).toBe('bad_input');
  });

  it('rejects a defective file with ModelFormatError', () => {
    expect(() => loadModel(new Uint8Array(10))).toThrow(ModelFormatError);
    expect(() => loadModel(new Uint8Array(64))).toThrow(ModelFormatError);
  });

  it('returns its own output buffer every call (same object, overwritten)', () => {
    const first = textModel.predictTokens([1, 3, 4]);
    const kept = first.slice();
    const second = textModel.predictTokens([1, 5, 6, 0, 0, 0]);
    expect(second).toBe(first);
    expect(Array.from(second)).not.toEqual(Array.from(kept));
    expect(textModel.predictText('free prize')).toBe(first);
    const vector = floatModel.predictVector([0.1, 0.2, 0.3]);
    expect(floatModel.predictVector([1, 2, 3])).toBe(vector);
    expect(textModel.tokenize('hello')).toBe(textModel.tokenize('win'));
  });

  it('pads shorter token sequences with the pad id', () => {
    const padded = textModel.predictTokens([1, 3]).slice();
    expect(Array.from(textModel.predictTokens([1, 3, 0, 0, 0, 0]))).toEqual(Array.from(padded));
    expect(Array.from(textModel.predictText('free'))).toEqual(Array.from(padded));
  });

  it('tokenizes into the model buffer or a given one', () => {
    expect(Array.from(textModel.tokenize('Hello, FRIEND! win a free prize'))).toEqual([1, 5, 6, 7, 2, 3]);
    const out = new Int32Array(6);
    expect(textModel.tokenize('hello', out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 5, 0, 0, 0, 0]);
    expect(textModel.tokenizer).toBeInstanceOf(WordTokenizer);
  });

  it('validates inputs with InputError codes', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as InputError).code;
      }
      throw new Error('no error thrown');
    };
    expect(code(() => floatModel.predictText('hello'))).toBe('wrong_kind');
    expect(code(() => floatModel.predictTokens([1, 2, 3]))).toBe('wrong_kind');
    expect(code(() => textModel.predictVector([1, 2, 3, 4, 5, 6]))).toBe('wrong_kind');
    expect(code(() => idsOnlyModel.predictText('hello'))).toBe('no_tokenizer');
    expect(code(() => textModel.predictTokens([1, 2, 3, 4, 5, 6, 7]))).toBe('wrong_length');
    expect(code(() => floatModel.predictVector([1, 2]))).toBe('wrong_length');
    expect(code(() => floatModel.predictVector([1, 2, 3, 4]))).toBe('wrong_length');
    expect(code(() => textModel.predictTokens([1, 8]))).toBe('bad_token');
    expect(code(() => textModel.predictTokens([1, -1]))).toBe('bad_token');
    expect(code(() => textModel.predictTokens([1, 2.5]))).toBe('bad_token');
    expect(code(() => textModel.predictTokens([1, NaN]))).toBe('bad_token');
    expect(code(() => floatModel.predictVector([1, NaN, 3]))).toBe('bad_input');
    expect(code(() => floatModel.predictVector([1, Infinity, 3]))).toBe('bad_input');
    expect(code(() => floatModel.predictVector([1, 1e39, 3]))).toBe('bad_input');
    expect(code(() => textModel.tokenize('x', new Int32Array(3)))).toBe('wrong_length');
    expect(code(() => textModel.predictTexts(['a', 'b'], new Float32Array(3)))).toBe('wrong_length');
    // a failed call leaves the model usable
    expect(textModel.predictTokens([1]).length).toBe(2);
  });

  it('batches loop the single path and write into `out`', () => {
    const texts = ['free prize', 'hello friend', '', 'win win win'];
    const expected = texts.flatMap((text) => Array.from(textModel.predictText(text)));
    expect(Array.from(textModel.predictTexts(texts))).toEqual(expected);
    const out = new Float32Array(8);
    expect(textModel.predictTexts(texts, out)).toBe(out);
    expect(Array.from(out)).toEqual(expected);
    const batch = texts.map((text) => Array.from(textModel.tokenize(text)));
    expect(Array.from(textModel.predictTokensBatch(batch))).toEqual(expected);
    const vectors = [[0, 0, 0], [1, -1, 2], [3, 3, 3]];
    const vectorScores = vectors.flatMap((v) => Array.from(floatModel.predictVector(v)));
    expect(Array.from(floatModel.predictVectorBatch(vectors))).toEqual(vectorScores);
    expect(textModel.argmax([0.1, 0.7, 0.7, 0.2])).toBe(1);
  });

  it('int8 files run integer kernels by default and dequantized float on request, both close', async () => {
    const bytes = await convertTfjsModel(vectorModel(), { labelsText: 'a\nb\nc', quantize: 'int8' });
    const integer = loadModel(bytes);
    const asFloat = loadModel(bytes, { int8: 'float' });
    for (const input of [[0.5, -1, 2], [3, 0, -3]]) {
      const a = Array.from(integer.predictVector(input));
      const b = Array.from(asFloat.predictVector(input));
      a.forEach((value, i) => expect(Math.abs(value - b[i])).toBeLessThan(0.05));
    }
  });
});

describe('the prediction path allocates nothing', () => {
  it('does not construct typed arrays or arrays while predicting', () => {
    const names = ['Float32Array', 'Int32Array', 'Int8Array', 'Uint8Array', 'Array', 'Map', 'Object'] as const;
    const saved = names.map((name) => globalThis[name]);
    const created: string[] = [];
    // Trap the constructors: any `new X(...)` in the engine during a prediction is recorded.
    names.forEach((name, i) => {
      const original = saved[i] as unknown as new (...args: unknown[]) => unknown;
      (globalThis as Record<string, unknown>)[name] = new Proxy(original, {
        construct(target, args): object {
          created.push(name);
          return Reflect.construct(target, args) as object;
        },
      });
    });
    const ids = [1, 3, 4, 5];
    const vector = [0.5, -1, 2];
    const vectorInputs = [vector];
    const idInputs = [[1, 3, 4, 5, 0, 0]];
    try {
      for (let i = 0; i < 100; i++) {
        textModel.predictTokens(ids);
        textModel.predictText('Hello FRIEND, win a free prize!');
        floatModel.predictVector(vector);
        int8Model.predictVector(vector);
        floatModel.predictInputs(vectorInputs);
        textModel.predictInputs(idInputs);
      }
      expect(created).toEqual([]);
      // positive control: a batch call without `out` must allocate its result, and the trap sees it
      textModel.predictTexts(['free']);
    } finally {
      names.forEach((name, i) => ((globalThis as Record<string, unknown>)[name] = saved[i]));
    }
    expect(created).toEqual(['Float32Array']);
  });

  it('kernel sources contain no allocation (new, closures, spread, array literals, templates)', () => {
    // load-time: folding and the packers (whole, or in steps for a build spread over messages)
    const loadTime = ['foldBatchNormalization', 'packInt8Kernel', 'packedInt8Lanes', 'fillPackedInt8Lanes', 'packInt8Lanes'];
    const sources = [
      ...Object.entries(kernels)
        .filter(([name, value]) => typeof value === 'function' && !loadTime.includes(name))
        .map(([name, value]) => [name, String(value)] as const),
    ];
    expect(sources.length).toBeGreaterThan(8);
    for (const [name, source] of sources) {
      expect(source, name).not.toMatch(/\bnew\b|=>|\.\.\.|`|=\s*\[|\bfunction\b.*\bfunction\b/s);
    }
  });

  it('100k predictions retain nothing (heap after a full GC)', () => {
    // A full collection before and after makes this a leak check that does not depend on GC
    // timing; allocation per call is caught exactly by the counting traps above.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const ids = [1, 3, 4, 5];
    for (let i = 0; i < 1000; i++) textModel.predictTokens(ids);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) textModel.predictTokens(ids);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(256 * 1024);
  });
});
