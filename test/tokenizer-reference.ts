// The `words` rule written plainly, for the tokenizer tests: lowercase the whole text, regex
// split, the first id of each word (or the unknown id), then pad or cut.
import type { WordTokenizerSpec } from '../engine/tokenizer.ts';

export function referenceIds(spec: WordTokenizerSpec, text: string, length: number): number[] {
  const ids = new Map<string, number>();
  spec.vocab.forEach((token, id) => {
    if (!ids.has(token)) ids.set(token, id);
  });
  const words = (spec.lowercase ? text.toLowerCase() : text).split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
  const out = [spec.startId, ...words.map((word) => ids.get(word) ?? spec.unknownId)].slice(0, length);
  while (out.length < length) out.push(spec.padId);
  return out;
}
