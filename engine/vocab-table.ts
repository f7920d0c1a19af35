// The `words` tokenizer's vocabulary as a hash table the converter writes (FORMAT.md,
// `tokenizer.vocab_table`), so loading a model builds no token → id object: the engine
// keeps typed-array views of the table and decodes only the few tokens it does not hold.
//
// A token of 1 to 10 characters [0-9a-z] whose first character is not "0" is a base-36
// numeral: its key is parseInt(token, 36) (exact: 36^10 < 2^53), and a word has that key
// exactly when parseInt(word, 36) equals it and is ≥ 36^(length − 1) (every character was
// a digit and the first is not "0": no prefix parse, no skipped space or sign). One native
// parseInt per word instead of a string hash written in JS. Every other token (longer,
// with "_", "'", uppercase or non-ASCII characters, a leading "0") is one of the "rest",
// stored as text and looked up through a small object.

/** Longest token a key holds (36^10 − 1 < 2^53). */
export const MAX_KEY_LENGTH = 10;
/** Layout number of `tokenizer.vocab_table` (its first element). */
export const VOCAB_TABLE_LAYOUT = 1;
/** u32 words before the keys: layout, vocabSize, slotCount, restCount, keysAt. */
export const VOCAB_TABLE_HEADER = 5;

/** Smallest key of a word of each length (index = length): 36^(length−1); 0 and > MAX_KEY_LENGTH read as undefined or Infinity, never ≤ a key. */
export const MIN_KEY = new Float64Array(MAX_KEY_LENGTH + 1);
MIN_KEY[0] = Infinity;
for (let length = 1; length <= MAX_KEY_LENGTH; length++) MIN_KEY[length] = 36 ** (length - 1);

const KEY_TOKEN = /^[1-9a-z][0-9a-z]{0,9}$/;

/** The key of a token, or −1 when it is one of the rest (the plain reference of the engine's test). */
export function tokenKey(token: string): number {
  if (!KEY_TOKEN.test(token)) return -1;
  let key = 0;
  for (let i = 0; i < token.length; i++) key = key * 36 + parseInt(token[i], 36);
  return key;
}

/** What the table holds, as the reader sees it. */
export interface VocabTable {
  vocabSize: number;
  slotCount: number;
  /** Slot → key (0: empty; no token has key 0, "0" is one of the rest). */
  keys: Float64Array;
  /** Slot → token id. */
  slotIds: Uint32Array;
  /** Ids of the rest tokens, ascending (their texts: `tokenizer.vocab_rest`, in this order). */
  restIds: Uint32Array;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** Slots for `count` keys: a prime, about twice the count (a lookup of a missing key then mostly hits an empty slot). */
export function slotCountFor(count: number): number {
  let n = Math.max(3, 2 * count + 1);
  while (!isPrime(n)) n++;
  return n;
}

/**
 * The table of a vocabulary (converter): keys by linear probing from key % slotCount, the
 * first id of a duplicated token kept (as the object the tokenizer builds otherwise).
 * `keysAt` is where the keys start in the array (VOCAB_TABLE_HEADER or one more), so that
 * they land on a multiple of 8 in the file: the writer passes the file offset of element 0.
 */
export function vocabTableWords(vocab: readonly string[], elementsOffset: number): { words: number[]; rest: string[] } {
  const keyed: [number, number][] = [];
  const restIds: number[] = [];
  const rest: string[] = [];
  const seen = new Set<number>();
  vocab.forEach((token, id) => {
    const key = tokenKey(token);
    if (key < 0) {
      restIds.push(id);
      rest.push(token);
    } else if (!seen.has(key)) {
      seen.add(key);
      keyed.push([key, id]);
    }
  });
  const slotCount = slotCountFor(keyed.length);
  const keys = new Float64Array(slotCount);
  const slotIds = new Uint32Array(slotCount);
  for (const [key, id] of keyed) {
    let slot = key % slotCount;
    while (keys[slot] !== 0) slot = slot + 1 === slotCount ? 0 : slot + 1;
    keys[slot] = key;
    slotIds[slot] = id;
  }
  const keysAt = (elementsOffset + 4 * VOCAB_TABLE_HEADER) % 8 === 0 ? VOCAB_TABLE_HEADER : VOCAB_TABLE_HEADER + 1;
  const words = [VOCAB_TABLE_LAYOUT, vocab.length, slotCount, restIds.length, keysAt];
  if (keysAt > VOCAB_TABLE_HEADER) words.push(0);
  const keyWords = new Uint32Array(keys.buffer);
  for (let i = 0; i < keyWords.length; i++) words.push(keyWords[i]);
  for (let i = 0; i < slotCount; i++) words.push(slotIds[i]);
  for (const id of restIds) words.push(id);
  return { words, rest };
}

/** Token → id as a Map of the whole vocabulary would answer (first id of a duplicate), through the table: the plain reference of the tokenizer's lookups. */
export function tableLookupReference(table: VocabTable, rest: readonly string[], word: string): number | undefined {
  const key = tokenKey(word);
  if (key >= 0) {
    for (let slot = key % table.slotCount, probes = 0; probes < table.slotCount; probes++, slot = (slot + 1) % table.slotCount) {
      if (table.keys[slot] === 0) return undefined;
      if (table.keys[slot] === key) return table.slotIds[slot];
    }
    return undefined;
  }
  const at = rest.indexOf(word);
  return at < 0 ? undefined : table.restIds[at];
}
