import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeModelFile, type LayerEntry, type MetadataEntry, type ModelFileParts, type TensorEntry } from '../converter/writer.ts';
import type { DType, ModelFormatErrorCode } from '../engine/api.ts';
import { checksumWords } from '../engine/checksum.ts';
import { ModelFormatError } from '../engine/errors.ts';
import { float16ToFloat32, float32ToFloat16 } from '../engine/float16.ts';
import {
  ACTIVATIONS,
  DATA_ALIGNMENT,
  DTYPES,
  LAYER_KINDS,
  MAX_ACTIVATION_VALUES,
  parseModelFile,
  tensorFloat32,
  tensorInt8,
  tensorInt8Cols,
  type ActivationName,
  type LayerKindName,
} from '../engine/format.ts';

function f32(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

function tensor(name: string, shape: number[], data?: Uint8Array): TensorEntry {
  const size = shape.reduce((x, y) => x * y, 1);
  return { name, dtype: 'float32', shape, data: data ?? f32(...Array.from({ length: size }, (_, i) => i + 0.5)) };
}

function metadata(overrides: Record<string, MetadataEntry | null> = {}): MetadataEntry[] {
  const entries: Record<string, MetadataEntry | null> = {
    'general.name': { key: 'general.name', type: 'string', value: 'tiny' },
    'model.labels': { key: 'model.labels', type: 'string[]', value: ['a', 'b'] },
    'input.kind': { key: 'input.kind', type: 'string', value: 'vector' },
    'input.shape': { key: 'input.shape', type: 'u32[]', value: [3] },
    ...overrides,
  };
  return Object.values(entries).filter((entry): entry is MetadataEntry => entry !== null);
}

/** A valid Dense(3 -> 2) model; tests override one part at a time. */
function dense(overrides: Partial<ModelFileParts> = {}): ModelFileParts {
  return {
    metadata: metadata(),
    layers: [{ name: 'dense', kind: 'dense', activation: 'softmax', tensors: [0, 1], params: [] }],
    tensors: [tensor('dense/kernel', [2, 3]), tensor('dense/bias', [2])],
    ...overrides,
  };
}

/** A valid tokens model: Embedding(5 x 2) -> average pooling -> Dense(2 -> 2). */
function tokens(tokenizer: Record<string, MetadataEntry | null> = {}, inputDim = 5): ModelFileParts {
  return {
    metadata: metadata({
      'input.kind': { key: 'input.kind', type: 'string', value: 'tokens' },
      'input.shape': { key: 'input.shape', type: 'u32[]', value: [4] },
      'tokenizer.kind': { key: 'tokenizer.kind', type: 'string', value: 'words' },
      'tokenizer.vocab': { key: 'tokenizer.vocab', type: 'string', value: '<PAD>\n<START>\n<UNKNOWN>\nhi' },
      'tokenizer.pad_id': { key: 'tokenizer.pad_id', type: 'u32', value: 0 },
      'tokenizer.start_id': { key: 'tokenizer.start_id', type: 'u32', value: 1 },
      'tokenizer.unknown_id': { key: 'tokenizer.unknown_id', type: 'u32', value: 2 },
      ...tokenizer,
    }),
    layers: [
      { name: 'emb', kind: 'embedding', activation: 'linear', tensors: [0], params: [] },
      { name: 'pool', kind: 'global_average_pooling_1d', activation: 'linear', tensors: [], params: [] },
      { name: 'out', kind: 'dense', activation: 'linear', tensors: [1], params: [] },
    ],
    tensors: [tensor('emb/embeddings', [inputDim, 2]), tensor('out/kernel', [2, 2])],
  };
}

function layer(kind: LayerKindName, tensors: number[] = [], params: number[] = [], activation: ActivationName = 'linear'): LayerEntry {
  return { name: kind, kind, activation, tensors, params };
}

/** Recomputes the checksum after a test patched the bytes. */
function reseal(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const [a, b] = checksumWords(bytes, bytes.length - 8);
  view.setUint32(bytes.length - 8, a, true);
  view.setUint32(bytes.length - 4, b, true);
  return bytes;
}

function patchWord(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(at, value, true);
  return reseal(copy);
}

function formatError(bytes: Uint8Array): { code: ModelFormatErrorCode; message: string } {
  try {
    parseModelFile(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFormatError);
    const { code, message } = error as ModelFormatError;
    return { code, message };
  }
  throw new Error('expected a ModelFormatError');
}

describe('parseModelFile: valid files', () => {
  it('reads a small dense model', () => {
    const file = parseModelFile(writeModelFile(dense()));
    expect(file.version).toBe(1);
    expect(file.name).toBe('tiny');
    expect(file.labels).toEqual(['a', 'b']);
    expect(file.inputKind).toBe('vector');
    expect(file.tokenizer).toBeNull();
    expect(file.layers).toEqual([
      { name: 'dense', kind: 'dense', activation: 'softmax', tensors: [0, 1], params: [], sources: [{ from: 'input', index: 0 }], inputShapes: [[3]], inputShape: [3], outputShape: [2] },
    ]);
    expect(file.inputs).toEqual([{ name: 'input', shape: [3], dtype: 'float32' }]);
    expect(file.outputs).toEqual([{ from: 'layer', index: 0 }]);
    expect(file.tensors.map((t) => [t.name, t.dtype, t.shape, t.size, t.byteLength, t.offset % 16])).toEqual([
      ['dense/kernel', 'float32', [2, 3], 6, 24, 0],
      ['dense/bias', 'float32', [2], 2, 8, 0],
    ]);
    expect(file.parameterCount).toBe(8);
    expect([...tensorFloat32(file, 1)]).toEqual([0.5, 1.5]);
    expect(tensorFloat32(file, 0).buffer).toBe(file.bytes.buffer); // float32 is a view, not a copy
  });

  it('reads a tokens model with its tokenizer', () => {
    const file = parseModelFile(writeModelFile(tokens({ 'tokenizer.lowercase': { key: 'tokenizer.lowercase', type: 'bool', value: false } })));
    // wordTokensChecked: the one pass that decoded the vocabulary found 'hi' (after the special ids) ASCII word characters
    expect(file.tokenizer).toEqual({ kind: 'words', vocab: ['<PAD>', '<START>', '<UNKNOWN>', 'hi'], vocabSize: 4, table: null, rest: null, padId: 0, startId: 1, unknownId: 2, lowercase: false, wordTokensChecked: true });
    expect(file.layers.map((l) => `${l.inputShape}->${l.outputShape}`)).toEqual(['4->4,2', '4,2->2', '2->2']);
  });

  it('keeps unknown metadata keys of every value type', () => {
    const extra: MetadataEntry[] = [
      { key: 'x.i32', type: 'i32', value: -5 },
      { key: 'x.f32', type: 'f32', value: 0.25 },
      { key: 'x.bools', type: 'bool[]', value: [true, false] },
      { key: 'x.f32s', type: 'f32[]', value: [1.5] },
      { key: 'x.ünïcödé', type: 'string', value: '✓ 日本' },
    ];
    const file = parseModelFile(writeModelFile(dense({ metadata: [...metadata(), ...extra] })));
    for (const entry of extra) expect(file.metadata.get(entry.key)).toEqual(entry.value);
  });

  it('copies input that is not 4-aligned', () => {
    const bytes = writeModelFile(dense());
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const file = parseModelFile(shifted.subarray(1));
    expect(file.bytes.byteOffset % 4).toBe(0);
    expect([...tensorFloat32(file, 0)]).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('decodes float16 and int8 tensors', () => {
    const halves = Uint16Array.from([1, -2, 0.5, 3, 0.25, -1].map(float32ToFloat16));
    const int8 = new Uint8Array(8 + 6);
    new Float32Array(int8.buffer, 0, 2).set([0.5, 2]);
    new Int8Array(int8.buffer, 8).set([1, -2, 3, -127, 127, 0]);
    for (const [dtype, data, expected] of [
      ['float16', new Uint8Array(halves.buffer), [1, -2, 0.5, 3, 0.25, -1]],
      ['int8', int8, [0.5, -1, 1.5, -254, 254, 0]],
    ] as const) {
      const file = parseModelFile(writeModelFile(dense({ tensors: [{ name: 'k', dtype, shape: [2, 3], data }, tensor('b', [2])] })));
      expect([...tensorFloat32(file, 0)]).toEqual(expected);
    }
    const file = parseModelFile(writeModelFile(dense({ tensors: [{ name: 'k', dtype: 'int8', shape: [2, 3], data: int8 }, tensor('b', [2])] })));
    const view = tensorInt8(file, 0);
    expect([view.rows, view.cols, [...view.scales], [...view.values]]).toEqual([2, 3, [0.5, 2], [1, -2, 3, -127, 127, 0]]);
    expect(() => tensorInt8(file, 1)).toThrow(ModelFormatError);
    expect(() => tensorInt8Cols(file, 0)).toThrow("tensor 0 'k' is int8, not int8_cols");
  });

  it('decodes int8_cols embeddings: a scale per column', () => {
    const parts = tokens();
    const data = new Uint8Array(8 + 10); // [5, 2]: 2 column scales, then 10 values
    new Float32Array(data.buffer, 0, 2).set([0.5, 2]);
    new Int8Array(data.buffer, 8).set([1, -2, 3, -127, 127, 0, 0, 1, -1, 5]);
    parts.tensors[0] = { name: 'emb/embeddings', dtype: 'int8_cols', shape: [5, 2], data };
    const file = parseModelFile(writeModelFile(parts));
    expect(file.tensors[0]).toMatchObject({ dtype: 'int8_cols', shape: [5, 2], size: 10, byteLength: 18 });
    expect([...tensorFloat32(file, 0)]).toEqual([0.5, -4, 1.5, -254, 63.5, 0, 0, 2, -0.5, 10]);
    const view = tensorInt8Cols(file, 0);
    expect([view.rows, view.cols, [...view.scales], [...view.values]]).toEqual([5, 2, [0.5, 2], [1, -2, 3, -127, 127, 0, 0, 1, -1, 5]]);
    expect(() => tensorInt8(file, 0)).toThrow("tensor 0 'emb/embeddings' is int8_cols, not int8");
  });

  it('round-trips random int8_cols tables', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 9 }), fc.integer(), (rows, cols, seed) => {
        const parts = tokens({}, rows + 4);
        const values = Int8Array.from({ length: (rows + 4) * cols }, (_, i) => ((Math.imul(seed ^ i, 2654435761) >>> 24) % 255) - 127);
        const scales = Float32Array.from({ length: cols }, (_, c) => Math.fround(((seed >>> 0) % 97) / 1000 + c / 7));
        const data = new Uint8Array(cols * 4 + values.length);
        new Float32Array(data.buffer, 0, cols).set(scales);
        new Int8Array(data.buffer, cols * 4).set(values);
        parts.tensors = [{ name: 'emb/embeddings', dtype: 'int8_cols', shape: [rows + 4, cols], data }, tensor('out/kernel', [2, cols])];
        const file = parseModelFile(writeModelFile(parts));
        const decoded = tensorFloat32(file, 0);
        decoded.forEach((value, i) => expect(value).toBe(Math.fround(values[i] * scales[i % cols])));
      }),
      { numRuns: 200 },
    );
  });

  it('code tables start where FORMAT.md says', () => {
    expect(DTYPES).toEqual(['float32', 'float16', 'int8', 'int8_cols']);
    expect(DATA_ALIGNMENT).toBe(16);
    expect(LAYER_KINDS.indexOf('dense')).toBe(5);
    expect(LAYER_KINDS.indexOf('batch_normalization')).toBe(7);
    expect(ACTIVATIONS.indexOf('gelu')).toBe(12);
  });
});

describe('parseModelFile: defects', () => {
  const good = writeModelFile(dense());
  const dataOffset = new DataView(good.buffer).getUint32(24, true);

  it.each([
    ['short file', good.subarray(0, 39), 'truncated', 'file is 39 bytes; header and checksum alone need 40'],
    ['bad magic', patchWord(good, 0, 0x46554747), 'bad_magic', 'not a decentAI model file (magic is not "DCAI")'],
    ['bad version', patchWord(good, 4, 4), 'bad_version', 'version 4 is not supported (this reader reads 1 to 3)'],
    ['fileLength too big', patchWord(good, 8, good.length + 4), 'bad_length', `header fileLength ${good.length + 4} does not match the ${good.length} bytes given`],
    ['flags', patchWord(good, 28, 1), 'bad_version', 'flags 1 are not supported (must be 0)'],
    ['dataOffset misaligned', patchWord(good, 24, dataOffset + 4), 'bad_length', `dataOffset ${dataOffset + 4} must be a multiple of 16 in [32, ${good.length - 8}]`],
    ['metadataCount lies', patchWord(good, 12, 1000), 'truncated', `header: metadataCount 1000 needs 4000 bytes but only ${dataOffset - 32} are left before dataOffset ${dataOffset}`],
  ] as const)('%s', (_, bytes, code, message) => {
    expect(formatError(bytes)).toEqual({ code, message });
  });

  it('bad checksum', () => {
    const bytes = good.slice();
    bytes[dataOffset] ^= 1;
    expect(formatError(bytes)).toEqual({ code: 'bad_checksum', message: 'checksum mismatch: the file is corrupted' });
  });

  it('overlapping tensors', () => {
    const [first, second] = parseModelFile(good).tensors.map((t) => t.offset);
    const words = new Uint32Array(good.buffer.slice(0, dataOffset));
    const slot = words.lastIndexOf(second);
    expect(second - first).toBe(32); // the 24-byte kernel, padded to 16
    expect(formatError(patchWord(good, slot * 4, second - 16)).code).toBe('bad_tensor');
    expect(formatError(patchWord(good, slot * 4, second - 16)).message).toBe(`tensor 1 'dense/bias' at ${second - 16} overlaps tensor 0 'dense/kernel' [${first}, ${first + 24})`);
    expect(formatError(patchWord(good, slot * 4, second + 4)).message).toMatch(/^tensor 1 'dense\/bias': bytes \[\d+, \d+\) are not a 16-aligned range inside the data region/);
    expect(formatError(patchWord(good, slot * 4, good.length)).message).toMatch(/^tensor 1 'dense\/bias': bytes \[\d+, \d+\) are not a 16-aligned range inside the data region/);
  });

  const cases: [string, ModelFileParts, ModelFormatErrorCode, string][] = [
    ['duplicate key', dense({ metadata: [...metadata(), { key: 'general.name', type: 'string', value: 'again' }] }), 'bad_metadata', "metadata 'general.name': duplicate key"],
    ['missing name', dense({ metadata: metadata({ 'general.name': null }) }), 'bad_metadata', "missing required metadata 'general.name'"],
    ['labels of wrong type', dense({ metadata: metadata({ 'model.labels': { key: 'model.labels', type: 'u32[]', value: [1, 2] } }) }), 'bad_metadata', "metadata 'model.labels' must be a string array"],
    ['unknown input kind', dense({ metadata: metadata({ 'input.kind': { key: 'input.kind', type: 'string', value: 'image' } }) }), 'bad_metadata', "input.kind 'image' must be 'tokens' or 'vector'"],
    ['byteLength wrong', dense({ tensors: [tensor('dense/kernel', [2, 3], f32(1, 2, 3, 4, 5)), tensor('dense/bias', [2])] }), 'bad_tensor', "tensor 0 'dense/kernel': byteLength 20 does not match float32 [2,3] (24 bytes)"],
    ['unknown layer kind', dense({ layers: [layer('conv' as LayerKindName)] }), 'bad_layer', "layer 0 'conv': unknown layer kind 4294967295"],
    ['unknown activation', dense({ layers: [layer('dense', [0, 1], [], 'mish' as ActivationName)] }), 'bad_layer', "layer 0 'dense': unknown activation 4294967295"],
    ['no layers', dense({ layers: [] }), 'bad_layer', 'the model has no layers'],
    ['tensor index out of range', dense({ layers: [layer('dense', [0, 7])] }), 'bad_layer', "layer 0 'dense' (dense): tensor index 7 is not below tensorCount 2"],
    ['dense without kernel', dense({ layers: [layer('dense')] }), 'bad_layer', "layer 0 'dense' (dense): has 0 tensors, expected 1 or 2"],
    ['kernel does not fit the input', dense({ metadata: metadata({ 'input.shape': { key: 'input.shape', type: 'u32[]', value: [4] } }) }), 'bad_shape', "layer 0 'dense' (dense): tensor 'dense/kernel' has shape [2,3], expected [2,4]"],
    ['bias of wrong size', dense({ tensors: [tensor('dense/kernel', [2, 3]), tensor('dense/bias', [3])] }), 'bad_shape', "layer 0 'dense' (dense): tensor 'dense/bias' has shape [3], expected [2]"],
    ['outputs differ from labels', dense({ metadata: metadata({ 'model.labels': { key: 'model.labels', type: 'string[]', value: ['a', 'b', 'c'] } }) }), 'bad_shape', 'the model outputs 2 values ([2]) but model.labels has 3'],
    ['pooling needs rank 2', dense({ layers: [layer('dense', [0, 1]), layer('global_max_pooling_1d')] }), 'bad_shape', "layer 1 'global_max_pooling_1d' (global_max_pooling_1d): needs an input of rank 2 [steps, channels], got [2]"],
    ['batch norm without epsilon', dense({ layers: [layer('dense', [0, 1]), layer('batch_normalization', [1, 1, 1, 1])] }), 'bad_layer', "layer 1 'batch_normalization' (batch_normalization): has 0 params, expected 1"],
    ['batch norm epsilon NaN', dense({ layers: [layer('dense', [0, 1]), layer('batch_normalization', [1, 1, 1, 1], [NaN])] }), 'bad_layer', "layer 1 'batch_normalization' (batch_normalization): epsilon NaN must be finite and ≥ 0"],
    ['embedding in a vector model', dense({ layers: [layer('embedding', [0])] }), 'bad_layer', "layer 0 'embedding' (embedding): an embedding must be the first layer of a tokens model"],
    ['huge input', dense({ metadata: metadata({ 'input.shape': { key: 'input.shape', type: 'u32[]', value: [65536, 65536] } }) }), 'bad_shape', `input.shape [65536,65536] has 4294967296 values (limit ${MAX_ACTIVATION_VALUES})`],
    ['zero dimension', dense({ metadata: metadata({ 'input.shape': { key: 'input.shape', type: 'u32[]', value: [0] } }) }), 'bad_shape', 'input.shape [0] has a dimension < 1'],
    ['tokens model without embedding', { ...tokens(), layers: tokens().layers.slice(1) }, 'bad_layer', "layer 0 'pool' (global_average_pooling_1d): a tokens model must start with an embedding"],
    ['pad id outside vocab', tokens({ 'tokenizer.pad_id': { key: 'tokenizer.pad_id', type: 'u32', value: 4 } }), 'bad_metadata', 'tokenizer.pad_id 4 is outside the vocabulary of 4 tokens'],
    ['vocab larger than embedding', tokens({}, 3), 'bad_metadata', 'tokenizer.vocab has 4 tokens but the embedding has only 3 rows'],
    ['tokenizer key without kind', tokens({ 'tokenizer.kind': null }), 'bad_metadata', "metadata 'tokenizer.vocab' without 'tokenizer.kind'"],
    ['unknown tokenizer', tokens({ 'tokenizer.kind': { key: 'tokenizer.kind', type: 'string', value: 'bpe' } }), 'bad_metadata', "tokenizer.kind 'bpe' is not supported (only 'words' or 'huggingface')"],
    ['vocab as a string array', tokens({ 'tokenizer.vocab': { key: 'tokenizer.vocab', type: 'string[]', value: ['<PAD>', '<START>', '<UNKNOWN>'] } }), 'bad_metadata', "metadata 'tokenizer.vocab' must be a string (the tokens joined by \"\\n\")"],
    ['empty vocab', tokens({ 'tokenizer.vocab': { key: 'tokenizer.vocab', type: 'string', value: '' } }), 'bad_metadata', 'tokenizer.vocab is empty'],
    ['vocab of 3 tokens, unknown id 3', tokens({ 'tokenizer.vocab': { key: 'tokenizer.vocab', type: 'string', value: 'a\nb\nc' }, 'tokenizer.unknown_id': { key: 'tokenizer.unknown_id', type: 'u32', value: 3 } }), 'bad_metadata', 'tokenizer.unknown_id 3 is outside the vocabulary of 3 tokens'],
    ['vocab larger than embedding, split at \\n', tokens({ 'tokenizer.vocab': { key: 'tokenizer.vocab', type: 'string', value: 'a\nb\nc\nd\ne\n' } }), 'bad_metadata', 'tokenizer.vocab has 6 tokens but the embedding has only 5 rows'],
    ['unknown dtype', dense({ tensors: [{ ...tensor('dense/kernel', [2, 3]), dtype: 'int4' as DType }, tensor('dense/bias', [2])] }), 'bad_tensor', "tensor 0 'dense/kernel': unknown dtype 4294967295"],
    ['int8_cols byteLength', dense({ tensors: [{ name: 'dense/kernel', dtype: 'int8_cols', shape: [2, 3], data: new Uint8Array(2 * 4 + 6) }, tensor('dense/bias', [2])] }), 'bad_tensor', "tensor 0 'dense/kernel': byteLength 14 does not match int8_cols [2,3] (18 bytes)"],
    ['int8 byteLength', dense({ tensors: [{ name: 'dense/kernel', dtype: 'int8', shape: [2, 3], data: new Uint8Array(3 * 4 + 6) }, tensor('dense/bias', [2])] }), 'bad_tensor', "tensor 0 'dense/kernel': byteLength 18 does not match int8 [2,3] (14 bytes)"],
    ['int8_cols Dense kernel', dense({ tensors: [{ name: 'dense/kernel', dtype: 'int8_cols', shape: [2, 3], data: new Uint8Array(3 * 4 + 6) }, tensor('dense/bias', [2])] }), 'bad_tensor', "layer 0 'dense' (dense): tensor 'dense/kernel' is int8_cols; here it must be float32, float16 or int8"],
    ['int8 bias', dense({ tensors: [tensor('dense/kernel', [2, 3]), { name: 'dense/bias', dtype: 'int8', shape: [2], data: new Uint8Array(2 * 4 + 2 + 2) }] }), 'bad_tensor', "tensor 1 'dense/bias': byteLength 12 does not match int8 [2] (10 bytes)"],
    ['int8 bias, right length', dense({ tensors: [tensor('dense/kernel', [2, 3]), { name: 'dense/bias', dtype: 'int8', shape: [2], data: new Uint8Array(2 * 4 + 2) }] }), 'bad_tensor', "layer 0 'dense' (dense): tensor 'dense/bias' is int8; here it must be float32 or float16"],
    ['int8 (row scales) embedding', { ...tokens(), tensors: [{ name: 'emb/embeddings', dtype: 'int8', shape: [5, 2], data: new Uint8Array(5 * 4 + 10) }, tensor('out/kernel', [2, 2])] }, 'bad_tensor', "layer 0 'emb' (embedding): tensor 'emb/embeddings' is int8; here it must be float32, float16 or int8_cols"],
  ];
  it.each(cases)('%s', (_, parts, code, message) => {
    expect(formatError(writeModelFile(parts))).toEqual({ code, message });
  });

  it('invalid UTF-8 in a layer name', () => {
    const bytes = writeModelFile(dense({ layers: [{ ...layer('dense', [0, 1]), name: 'abcd' }] }));
    const at = Buffer.from(bytes).indexOf('abcd');
    bytes[at] = 0xff;
    expect(formatError(reseal(bytes))).toEqual({ code: 'bad_layer', message: 'layer 0: name is not valid UTF-8' });
  });
});

describe('checksumWords', () => {
  it('is Fletcher-style over u32 words, unsigned', () => {
    expect(checksumWords(new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]), 8)).toEqual([4, 6]);
    expect(checksumWords(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 8)).toEqual([0xffffffff, 0xffffffff]); // a: 1 → 0 → 0xffffffff; b: 0 → 0xffffffff
    expect(checksumWords(new Uint8Array(0), 0)).toEqual([1, 0]);
  });

  it('gives the same result on unaligned input and sees reordered words', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 200 }), (random) => {
        const length = random.length & ~3;
        const shifted = new Uint8Array(random.length + 1);
        shifted.set(random, 1);
        expect(checksumWords(shifted.subarray(1), length)).toEqual(checksumWords(random, length));
        const swapped = random.slice();
        swapped.set(random.subarray(0, 4), 4);
        swapped.set(random.subarray(4, 8), 0);
        const same = random.subarray(0, 4).every((byte, i) => byte === random[4 + i]);
        if (!same) expect(checksumWords(swapped, length)).not.toEqual(checksumWords(random, length));
      }),
    );
  });
});

describe('float16', () => {
  it('round-trips every half exactly', () => {
    for (let h = 0; h < 0x10000; ++h) {
      const value = float16ToFloat32(h);
      if (Number.isNaN(value)) expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
      else expect(float32ToFloat16(value)).toBe(h);
    }
  });

  it('rounds to nearest, ties to even, overflowing to infinity', () => {
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie: down to even
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: up to even
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(65519)).toBe(0x7bff);
    expect(float32ToFloat16(65520)).toBe(0x7c00);
    expect(float32ToFloat16(2 ** -25)).toBe(0); // tie with the smallest subnormal
    expect(float32ToFloat16(1.5 * 2 ** -25)).toBe(1);
    expect(float32ToFloat16(-0)).toBe(0x8000);
    expect(float32ToFloat16(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('picks the nearest half for any float', () => {
    fc.assert(
      fc.property(fc.float({ min: -65504, max: 65504, noNaN: true }), (value) => {
        const h = float32ToFloat16(value);
        const error = Math.abs(float16ToFloat32(h) - value);
        // Neighbours one half-ulp step away are no closer.
        for (const neighbour of [h - 1, h + 1]) {
          if ((neighbour & 0x7fff) < 0x7c00 && (neighbour & 0x8000) === (h & 0x8000)) expect(Math.abs(float16ToFloat32(neighbour) - value)).toBeGreaterThanOrEqual(error);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
