// The Model Maker average-word-vec tokenizer, exactly as the engine applies it at prediction
// time, and the vocabulary built from the training split.

export const SEQUENCE_LENGTH = 20;
export const PAD_ID = 0;
export const START_ID = 1;
export const UNKNOWN_ID = 2;
export const SPECIAL_TOKENS = ['<PAD>', '<START>', '<UNKNOWN>'] as const;
export const VOCAB_WORDS = 2000;

/** Lowercase; split on runs of characters that are not letters, digits, `_` or `'`; drop empties. */
export function splitWords(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}_']+/u).filter((word) => word.length > 0);
}

/** The `VOCAB_WORDS` most frequent words (ties by code-unit order of the word), ids from 3. */
export function buildVocab(texts: Iterable<string>, size = VOCAB_WORDS): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of splitWords(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const ranked = [...counts].sort(([wordA, countA], [wordB, countB]) =>
    countB !== countA ? countB - countA : wordA < wordB ? -1 : wordA > wordB ? 1 : 0,
  );
  const vocab = new Map<string, number>();
  ranked.slice(0, size).forEach(([word], i) => vocab.set(word, SPECIAL_TOKENS.length + i));
  return vocab;
}

/** [START] + word ids (UNKNOWN when absent), padded with PAD at the end or cut to the length. */
export function encode(text: string, vocab: ReadonlyMap<string, number>, length = SEQUENCE_LENGTH): Int32Array {
  const ids = new Int32Array(length).fill(PAD_ID);
  ids[0] = START_ID;
  const words = splitWords(text);
  for (let i = 0; i < words.length && i + 1 < length; i++) ids[i + 1] = vocab.get(words[i]) ?? UNKNOWN_ID;
  return ids;
}

/** The `vocab` file: `token index` per line, specials first, one trailing newline. */
export function formatVocab(vocab: ReadonlyMap<string, number>): string {
  const lines = SPECIAL_TOKENS.map((token, id) => `${token} ${id}`);
  for (const [word, id] of [...vocab].sort((a, b) => a[1] - b[1])) lines.push(`${word} ${id}`);
  return lines.join('\n') + '\n';
}
