// Mutation fuzzing: a damaged model file must parse or fail with ModelFormatError, and
// a damaged model.json must convert or fail with ConvertError; nothing else, no hangs.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConvertError, convertModel, type Quantization } from '../converter/convert.ts';
import { writeModelFile, type ModelFileParts, type TensorEntry } from '../converter/writer.ts';
import type { DType } from '../engine/api.ts';
import { checksumWords } from '../engine/checksum.ts';
import { InputError, ModelFormatError } from '../engine/errors.ts';
import { DTYPES, parseModelFile, tensorFloat32, tensorInt8, tensorInt8Cols } from '../engine/format.ts';
import { loadModel } from '../engine/model.ts';

type Json = Record<string, unknown>;

/** Deterministic pseudo-random weights, so every run fuzzes the same files. */
function weightBytes(count: number): Uint8Array {
  const values = new Float32Array(count);
  let state = 12345;
  for (let i = 0; i < count; ++i) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return new Uint8Array(values.buffer);
}

function tokensModelJson(): Json {
  return {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'fuzz_tokens',
        layers: [
          { class_name: 'Embedding', config: { name: 'emb', input_dim: 6, output_dim: 3, batch_input_shape: [null, 4] } },
          { class_name: 'GlobalMaxPooling1D', config: { name: 'pool' } },
          { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'softmax' } },
        ],
      },
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: [
          { name: 'emb/embeddings', shape: [6, 3], dtype: 'float32' },
          { name: 'out/kernel', shape: [3, 2], dtype: 'float32' },
          { name: 'out/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
}

function vectorModelJson(): Json {
  return {
    modelTopology: {
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'fuzz_vector',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 2, 2], name: 'in' } },
            { class_name: 'Flatten', config: { name: 'flat' } },
            { class_name: 'Dense', config: { name: 'd', units: 3, activation: 'relu' } },
            { class_name: 'BatchNormalization', config: { name: 'bn', epsilon: 0.001 } },
            { class_name: 'Activation', config: { name: 'act', activation: 'sigmoid' } },
          ],
        },
      },
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: [
          { name: 'd/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'd/bias', shape: [3], dtype: 'float32' },
          { name: 'bn/gamma', shape: [3], dtype: 'float32' },
          { name: 'bn/beta', shape: [3], dtype: 'float32' },
          { name: 'bn/moving_mean', shape: [3], dtype: 'float32' },
          { name: 'bn/moving_variance', shape: [3], dtype: 'float32' },
        ],
      },
    ],
  };
}

function functionalModelJson(): Json {
  const node = (from: string) => [[[from, 0, 0, {}]]];
  return {
    modelTopology: {
      class_name: 'Functional',
      config: {
        name: 'fuzz_functional',
        layers: [
          { name: 'in', class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'in' }, inbound_nodes: [] },
          { name: 'd', class_name: 'Dense', config: { name: 'd', units: 3, activation: 'gelu' }, inbound_nodes: node('in') },
          { name: 'drop', class_name: 'Dropout', config: { name: 'drop', rate: 0.5 }, inbound_nodes: node('d') },
          { name: 'out', class_name: 'Dense', config: { name: 'out', units: 2, use_bias: false }, inbound_nodes: node('drop') },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['out', 0, 0]],
      },
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: [
          { name: 'model/d/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'model/d/bias', shape: [3], dtype: 'float32' },
          { name: 'model/out/kernel', shape: [3, 2], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.01 } },
        ],
      },
    ],
  };
}

/** A graph (format version 3): two inputs (one int32), a skip connection (Add), Concatenate, two outputs. */
function graphModelJson(): Json {
  const node = (...from: string[]) => [from.map((name) => [name, 0, 0, {}])];
  return {
    modelTopology: {
      class_name: 'Functional',
      config: {
        name: 'fuzz_graph',
        layers: [
          { name: 'a', class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'a' }, inbound_nodes: [] },
          { name: 'b', class_name: 'InputLayer', config: { batch_input_shape: [null, 2], dtype: 'int32', name: 'b' }, inbound_nodes: [] },
          { name: 'd', class_name: 'Dense', config: { name: 'd', units: 4, activation: 'relu' }, inbound_nodes: node('a') },
          { name: 'skip', class_name: 'Add', config: { name: 'skip' }, inbound_nodes: node('a', 'd') },
          { name: 'join', class_name: 'Concatenate', config: { name: 'join', axis: -1 }, inbound_nodes: node('skip', 'b') },
          { name: 'out', class_name: 'Dense', config: { name: 'out', units: 2, use_bias: false }, inbound_nodes: node('join') },
        ],
        input_layers: [['a', 0, 0], ['b', 0, 0]],
        output_layers: [['out', 0, 0], ['d', 0, 0]],
      },
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: [
          { name: 'd/kernel', shape: [4, 4], dtype: 'float32' },
          { name: 'd/bias', shape: [4], dtype: 'float32' },
          { name: 'out/kernel', shape: [6, 2], dtype: 'float32' },
        ],
      },
    ],
  };
}

const weights = weightBytes(64);
const readWeightFile = (): Uint8Array => weights;
const vocabText = '<PAD> 0\n<START> 1\n<UNKNOWN> 2\nhello 3\nwörld 4\nspam 5\n';

/** tokensModelJson with average pooling: the fused embedding + pooling path. */
function averagePoolModelJson(): Json {
  const json = tokensModelJson();
  const layers = ((json.modelTopology as Json).config as Json).layers as Json[];
  layers[1] = { class_name: 'GlobalAveragePooling1D', config: { name: 'pool' } };
  return json;
}

const bases: Uint8Array[] = [
  ...(['float32', 'float16', 'int8'] as Quantization[]).map((quantize) => convertModel({ modelJson: tokensModelJson(), readWeightFile, vocabText, labelsText: 'ham\nspam\n' }, { quantize }).bytes),
  ...(['float32', 'int8'] as Quantization[]).map((quantize) => convertModel({ modelJson: vectorModelJson(), readWeightFile }, { quantize }).bytes),
  convertModel({ modelJson: averagePoolModelJson(), readWeightFile, vocabText }, { quantize: 'int8' }).bytes,
  convertModel({ modelJson: graphModelJson(), readWeightFile }).bytes,
];

/** Sets fileLength to the real length and recomputes the checksum, so deeper checks run. */
function repair(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 40 || bytes.length % 4) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  view.setUint32(8, bytes.length, true);
  const [a, b] = checksumWords(bytes, bytes.length - 8);
  view.setUint32(bytes.length - 8, a, true);
  view.setUint32(bytes.length - 4, b, true);
  return bytes;
}

/** Parses, and on success touches every tensor and runs the model once: anything but ModelFormatError fails the test. */
function parseOrFormatError(bytes: Uint8Array): void {
  try {
    const file = parseModelFile(bytes);
    file.tensors.forEach((tensor, index) => {
      tensorFloat32(file, index);
      if (tensor.dtype === 'int8') tensorInt8(file, index);
      if (tensor.dtype === 'int8_cols') tensorInt8Cols(file, index);
    });
    const model = loadModel(bytes);
    if (model.inputSize <= 1 << 16) {
      if (model.hasTokenizer) model.predictText('hello wörld spam x');
      else if (model.inputKind === 'tokens') model.predictTokens([0]);
      else model.predictInputs(model.inputs.map((spec) => new Float32Array(spec.shape.reduce((a, b) => a * b, 1))));
    }
  } catch (error) {
    // weights the lie made non-finite (or huge) give a non-finite output: refused naming the layer, never NaN scores
    if (error instanceof InputError && error.code === 'non_finite_output') return;
    if (!(error instanceof ModelFormatError)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
  }
}

const interesting = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 7, 64, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 0x10000),
  fc.nat({ max: 0xffffffff }),
  fc.integer({ min: 0, max: 2048 }),
);

/** A mutation applied to a copy of a base file; returns the bytes to parse. */
const mutation: fc.Arbitrary<(base: Uint8Array) => Uint8Array> = fc.oneof(
  fc.record({ at: fc.nat(), length: fc.nat({ max: 64 }), fix: fc.boolean() }).map(({ at, length, fix }) => (base: Uint8Array) => {
    const end = Math.max(0, base.length - 8 - (at % base.length) - length * 4);
    return fix ? repair(base.slice(0, end - (end % 4))) : base.slice(0, at % base.length);
  }),
  fc.record({ bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), headerOnly: fc.boolean(), fix: fc.boolean() }).map(({ bits, headerOnly, fix }) => (base: Uint8Array) => {
    const bytes = base.slice();
    const span = headerOnly ? new DataView(bytes.buffer).getUint32(24, true) * 8 : bytes.length * 8;
    for (const bit of bits) bytes[(bit % span) >>> 3] ^= 1 << (bit % 8);
    return fix ? repair(bytes) : bytes;
  }),
  fc.record({ words: fc.array(fc.tuple(fc.nat(), interesting), { minLength: 1, maxLength: 4 }), fix: fc.boolean() }).map(({ words, fix }) => (base: Uint8Array) => {
    const bytes = base.slice();
    const view = new DataView(bytes.buffer);
    const tableWords = view.getUint32(24, true) / 4; // header and tables: where lies matter
    for (const [word, value] of words) view.setUint32((word % tableWords) * 4, value, true);
    return fix ? repair(bytes) : bytes;
  }),
  fc.record({ at: fc.nat(), remove: fc.integer({ min: 1, max: 16 }), insert: fc.array(interesting, { maxLength: 16 }) }).map(({ at, remove, insert }) => (base: Uint8Array) => {
    const words = Array.from(new Uint32Array(base.buffer.slice(0)));
    const tableWords = new DataView(base.buffer).getUint32(24, true) / 4;
    words.splice(8 + (at % (tableWords - 8)), remove, ...insert);
    return repair(new Uint8Array(Uint32Array.from(words).buffer));
  }),
  fc.record({ bytes: fc.uint8Array({ maxLength: 512 }), header: fc.boolean() }).map(({ bytes, header }) => () => {
    const padded = new Uint8Array(bytes.length + 40 - (bytes.length % 4));
    padded.set(bytes, header ? 32 : 0);
    if (header) new DataView(padded.buffer).setUint32(0, 0x49414344, true);
    if (header) new DataView(padded.buffer).setUint32(4, 1, true);
    return header ? repair(padded) : bytes;
  }),
);

describe('fuzz: parseModelFile on damaged files', () => {
  it('the base files are valid', () => {
    for (const base of bases) expect(parseModelFile(base).layers.length).toBeGreaterThan(0);
  });

  it('every mutation parses or throws ModelFormatError (12,000 runs)', () => {
    let parsed = 0;
    fc.assert(
      fc.property(fc.nat({ max: bases.length - 1 }), mutation, fc.boolean(), (baseIndex, mutate, unaligned) => {
        let bytes = mutate(bases[baseIndex]);
        if (unaligned) {
          const shifted = new Uint8Array(bytes.length + 1);
          shifted.set(bytes, 1);
          bytes = shifted.subarray(1);
        }
        try {
          parseModelFile(bytes);
          ++parsed;
        } catch {
          // classified below
        }
        parseOrFormatError(bytes);
      }),
      { numRuns: 12_000, seed: 20261125 },
    );
    // Most mutations are caught; a few (e.g. in tensor data, or a changed label) still parse.
    expect(parsed).toBeGreaterThan(0);
  });

  it('every one-word lie in the header and tables, checksum repaired, is handled', () => {
    const values = [0, 1, 3, 4, 5, 64, 0x7fffffff, 0xffffffff];
    for (const base of bases) {
      const tableWords = new DataView(base.buffer).getUint32(24, true) / 4;
      for (let word = 0; word < tableWords; ++word) {
        for (const value of values) {
          const bytes = base.slice();
          new DataView(bytes.buffer).setUint32(word * 4, value, true);
          parseOrFormatError(repair(bytes));
        }
      }
    }
  });

  it('every truncation length is handled', () => {
    const base = bases[0];
    for (let length = 0; length < base.length; ++length) {
      parseOrFormatError(base.subarray(0, length));
      if (length % 4 === 0) parseOrFormatError(repair(base.slice(0, length)));
    }
  });
});

/** Where the bytes of the tokens base's vocabulary string lie (after its u32 length). */
function vocabRange(base: Uint8Array): { start: number; length: number } {
  const needle = new TextEncoder().encode('<PAD>\n<START>\n<UNKNOWN>\nhello\nwörld\nspam');
  const start = Buffer.from(base).indexOf(Buffer.from(needle));
  expect(start).toBeGreaterThan(0);
  expect(new DataView(base.buffer).getUint32(start - 4, true)).toBe(needle.length); // the string is exactly the tokens, no trailing "\n"
  return { start, length: needle.length };
}

describe('fuzz: the single-string vocabulary', () => {
  it('byte edits inside tokenizer.vocab (line breaks, NULs, invalid UTF-8), checksum repaired, parse or throw ModelFormatError', () => {
    const base = bases[0];
    const { start, length } = vocabRange(base);
    const byte = fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x00, 0x20, 0x61, 0xc3, 0x80, 0xff), fc.nat({ max: 255 }));
    let parsed = 0;
    let splitDifferently = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), byte), { minLength: 1, maxLength: 6 }), (edits) => {
        const bytes = base.slice();
        for (const [at, value] of edits) bytes[start + (at % length)] = value;
        repair(bytes);
        parseOrFormatError(bytes);
        let file;
        try {
          file = parseModelFile(bytes);
        } catch (error) {
          expect((error as ModelFormatError).code).toMatch(/^bad_metadata$/); // invalid UTF-8, an id outside the vocabulary, too many tokens
          return;
        }
        ++parsed;
        const text = new TextDecoder().decode(bytes.subarray(start, start + length));
        expect(file.metadata.get('tokenizer.vocab')).toBe(text);
        expect(file.tokenizer!.vocab).toEqual(text.split('\n'));
        if (file.tokenizer!.vocab.length !== 6) ++splitDifferently;
      }),
      { numRuns: 3000, seed: 424242 },
    );
    expect(parsed).toBeGreaterThan(100);
    expect(splitDifferently).toBeGreaterThan(10);
  });

  it('a vocabulary with more "\\n"-separated tokens than embedding rows is refused', () => {
    const base = bases[0];
    const { start } = vocabRange(base);
    const bytes = base.slice();
    bytes[start + '<PAD>\n<START>\n<UNKNOWN>\nhe'.length] = 0x0a; // "hello" -> "he", "lo": 7 tokens, 6 rows
    expect(() => parseModelFile(repair(bytes))).toThrow('tokenizer.vocab has 7 tokens but the embedding has only 6 rows');
  });
});

/** A small tokens model whose tensors take the given dtypes, with random data of the right length. */
function dtypeParts(dtypes: DType[], pooling: 'global_average_pooling_1d' | 'global_max_pooling_1d', seed: number): ModelFileParts {
  const shapes = [[6, 3], [2, 3], [2]];
  const tensors: TensorEntry[] = shapes.map((shape, i) => {
    const size = shape.reduce((x, y) => x * y, 1);
    const dtype = dtypes[i];
    const scales = dtype === 'int8' ? shape[0] : dtype === 'int8_cols' ? size / shape[0] : 0;
    const data = new Uint8Array(scales * 4 + size * (dtype === 'float32' ? 4 : dtype === 'float16' ? 2 : 1));
    let state = seed + i;
    for (let b = 0; b < data.length; ++b) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      data[b] = state >>> 24;
    }
    // finite scales and float values, so predictions stay numbers
    if (scales) new Float32Array(data.buffer, 0, scales).forEach((_, k, view) => (view[k] = (k + 1) / 64));
    if (dtype === 'float32') new Float32Array(data.buffer).forEach((_, k, view) => (view[k] = Math.sin(seed + k)));
    if (dtype === 'float16') new Uint16Array(data.buffer).forEach((_, k, view) => (view[k] = view[k] & 0x3bff));
    return { name: `t${i}`, dtype, shape, data };
  });
  return {
    metadata: [
      { key: 'general.name', type: 'string', value: 'dtypes' },
      { key: 'model.labels', type: 'string[]', value: ['a', 'b'] },
      { key: 'input.kind', type: 'string', value: 'tokens' },
      { key: 'input.shape', type: 'u32[]', value: [4] },
      { key: 'tokenizer.kind', type: 'string', value: 'words' },
      { key: 'tokenizer.vocab', type: 'string', value: '<PAD>\n<START>\n<UNKNOWN>\nhello' },
      { key: 'tokenizer.pad_id', type: 'u32', value: 0 },
      { key: 'tokenizer.start_id', type: 'u32', value: 1 },
      { key: 'tokenizer.unknown_id', type: 'u32', value: 2 },
    ],
    layers: [
      { name: 'emb', kind: 'embedding', activation: 'linear', tensors: [0], params: [] },
      { name: 'pool', kind: pooling, activation: 'linear', tensors: [], params: [] },
      { name: 'out', kind: 'dense', activation: 'softmax', tensors: [1, 2], params: [] },
    ],
    tensors,
  };
}

describe('fuzz: dtypes in every position', () => {
  it('int8_cols only for the embedding, int8 only for the Dense kernel; accepted files run in both int8 modes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...DTYPES), { minLength: 3, maxLength: 3 }),
        fc.constantFrom('global_average_pooling_1d' as const, 'global_max_pooling_1d' as const),
        fc.nat(),
        (dtypes, pooling, seed) => {
          const bytes = writeModelFile(dtypeParts(dtypes, pooling, seed));
          const allowed = dtypes[0] !== 'int8' && dtypes[1] !== 'int8_cols' && (dtypes[2] === 'float32' || dtypes[2] === 'float16');
          if (!allowed) {
            expect(() => parseModelFile(bytes)).toThrow(ModelFormatError);
            try {
              parseModelFile(bytes);
            } catch (error) {
              expect((error as ModelFormatError).code).toBe('bad_tensor');
              expect((error as ModelFormatError).message).toMatch(/; here it must be /);
            }
            return;
          }
          const integer = loadModel(bytes);
          const float = loadModel(bytes, { int8: 'float' });
          for (const text of ['hello', 'hello hello x', '']) {
            const a = Array.from(integer.predictText(text));
            const b = Array.from(float.predictText(text));
            a.forEach((value, i) => {
              expect(Number.isFinite(value)).toBe(true);
              // an int8_cols embedding runs exactly (integer sums, one scale per column); only an int8 Dense kernel quantizes its input
              if (dtypes[1] !== 'int8') expect(Math.abs(value - b[i])).toBeLessThanOrEqual(1e-6);
            });
          }
        },
      ),
      { numRuns: 600, seed: 99 },
    );
  });
});

/** Every path to a value inside a JSON tree. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const children = Array.isArray(value) ? value.map((item, i) => [i, item] as const) : typeof value === 'object' && value !== null ? Object.entries(value) : [];
  return [prefix, ...children.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}

function replaceAt(root: unknown, path: (string | number)[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  const copy: unknown = structuredClone(root);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove && Array.isArray(node)) node.splice(Number(last), 1);
  else if (remove) delete node[last];
  else node[last] = replacement;
  return copy;
}

describe('fuzz: convertModel on malformed model.json', () => {
  for (const [name, make] of [
    ['tokens', tokensModelJson],
    ['vector', vectorModelJson],
    ['functional', functionalModelJson],
    ['graph', graphModelJson],
  ] as const) {
    it(`${name}: every mutation converts or throws ConvertError`, () => {
      const base = make();
      expect(() => convertModel({ modelJson: base, readWeightFile })).not.toThrow();
      const allPaths = paths(base);
      fc.assert(
        fc.property(fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), fc.boolean(), (pick, replacement, remove, withVocab) => {
          const modelJson = replaceAt(base, allPaths[pick % allPaths.length], replacement, remove);
          try {
            const { bytes } = convertModel({ modelJson, readWeightFile, vocabText: withVocab ? vocabText : undefined });
            parseModelFile(bytes);
          } catch (error) {
            if (!(error instanceof ConvertError)) throw error;
          }
        }),
        { numRuns: 1500, seed: 7 },
      );
    });
  }

  it('arbitrary values convert or throw ConvertError', () => {
    fc.assert(
      fc.property(fc.anything(), (modelJson) => {
        try {
          convertModel({ modelJson, readWeightFile });
        } catch (error) {
          if (!(error instanceof ConvertError)) throw error;
        }
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});
