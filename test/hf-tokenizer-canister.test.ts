// The Hugging Face tokenizer inside the canister: QuickJS (in the canister wasm, on the host)
// must tokenize as Node does, since the tokenizer leans on the runtime's Unicode (normalize,
// \p{…} classes). Static embedding models whose tokenizer.json is a variant of the real files
// (NFKC, StripAccents, Metaspace 'first'; NFC, Whitespace) or a byte-level BPE the library
// trains (GPT-2 style), each over a seeded random table with one row per token, are uploaded;
// the canister's embeddings (the mean of the token rows) of random-Unicode texts and mail
// heads must equal the engine's in Node bit for bit, which they do only if the token ids do.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, type Canister } from '../host/index.ts';
import { idlFactory, type DecentAIService, type Result } from '../canister/types.ts';
import { uploadModel } from '../client/upload.ts';
import { loadModel } from '../engine/index.ts';
import type { StaticEmbeddingModel } from '../engine/embedding-model.ts';
import { convertStaticEmbedding } from '../converter/static-embedding.ts';
import { HfTokenizer } from '../engine/hf-tokenizer.ts';
import { seeded, tokenizerTexts } from './hf-tokenizer-corpus.ts';
import { byteAlphabet, trainBpe } from './hf-tokenizer-train.ts';

const MODELS = '../shared/models';
const WORDPIECE = `${MODELS}/all-MiniLM-L6-v2-tokenizer/tokenizer.json`;
const UNIGRAM = `${MODELS}/m2v-bge-base-64d-vq128/tokenizer.json`;
const present = existsSync(WORDPIECE) && existsSync(UNIGRAM);
if (!present) console.warn(`hf-tokenizer canister tests skipped: ${WORDPIECE} or ${UNIGRAM} not found`);
const DIMS = 8;

type Config = Record<string, unknown>;

function unwrap<T>(r: Result<T>): T {
  if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
  return r.ok;
}

/** A model2vec folder: tokenizer.json, config.json, model.safetensors with a seeded F32 table of one row per token id. */
function staticFolder(root: string, name: string, tokenizer: Config): string {
  const folder = join(root, name);
  const rows = new HfTokenizer(tokenizer).vocabSize;
  const random = seeded(rows);
  const values = new Float32Array(rows * DIMS).map(() => random() - 0.5);
  const header = JSON.stringify({ embeddings: { dtype: 'F32', shape: [rows, DIMS], data_offsets: [0, values.byteLength] } });
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.safetensors'), Buffer.concat([length, Buffer.from(header), Buffer.from(values.buffer)]));
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ normalize: false }));
  return folder;
}

const VARIANTS: { name: string; tokenizer: (root: string) => Config }[] = [
  {
    name: 'unigram-nfkc',
    tokenizer: () => {
      const json = JSON.parse(readFileSync(UNIGRAM, 'utf8')) as Config;
      json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }, { type: 'Strip', strip_left: true, strip_right: false }] };
      json.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true };
      return json;
    },
  },
  {
    name: 'wordpiece-nfc',
    tokenizer: () => {
      const json = JSON.parse(readFileSync(WORDPIECE, 'utf8')) as Config;
      json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }] };
      json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Punctuation', behavior: 'Contiguous' }] };
      json.truncation = null;
      json.padding = null;
      return json;
    },
  },
  {
    name: 'bpe-byte-level',
    tokenizer: (root) => {
      const json = trainBpe(root, true);
      const vocab = (json.model as { vocab: Record<string, number> }).vocab;
      let id = Object.keys(vocab).length;
      for (const ch of byteAlphabet()) if (!(ch in vocab)) vocab[ch] = id++;
      json.normalizer = { type: 'NFC' };
      json.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
      return json;
    },
  },
];

describe.skipIf(!present)('Hugging Face tokenizers in the canister (QuickJS) tokenize as in Node', () => {
  let canister: Canister;
  let admin: DecentAIService;
  const root = mkdtempSync(join(tmpdir(), 'decentai-hf-canister-'));
  const models = new Map<string, StaticEmbeddingModel>();
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    const { wasm } = await buildAzleCanister('decentai');
    const host = await Host.create();
    canister = await host.install(wasm);
    admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER }) as unknown as DecentAIService;
    for (const variant of VARIANTS) {
      const bytes = convertStaticEmbedding(staticFolder(root, variant.name, variant.tokenizer(root))).bytes;
      models.set(variant.name, loadModel(bytes) as unknown as StaticEmbeddingModel);
      await uploadModel(admin, variant.name, bytes);
    }
  }, 600_000);

  // random Unicode (the hard part) and some mail heads
  const all = present ? tokenizerTexts() : [];
  const texts = [...all.slice(-4014).filter((_, k) => k % 8 === 0), ...all.slice(0, 128)];

  for (const variant of VARIANTS) {
    it(`${variant.name}: ${texts.length} texts embed bit for bit as in Node`, async () => {
      const model = models.get(variant.name) as StaticEmbeddingModel;
      let differ = 0;
      const shown: string[] = [];
      // 8 texts a call: random Unicode costs QuickJS up to ~0.4M instructions a character (regex classes, normalize)
      for (let from = 0; from < texts.length; from += 8) {
        const batch = texts.slice(from, from + 8);
        const r = unwrap(await admin.embed(variant.name, batch));
        r.vectors.forEach((vector, k) => {
          const expected = Array.from(model.embed(batch[k]));
          if (JSON.stringify(Array.from(vector)) !== JSON.stringify(expected)) {
            differ++;
            if (shown.length < 3) shown.push(JSON.stringify(batch[k].slice(0, 80)));
          }
        });
      }
      expect(shown).toEqual([]);
      expect(differ).toBe(0);
    }, 600_000);
  }
});
