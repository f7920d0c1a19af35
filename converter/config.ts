// Reading Keras layer configs: the converter's error type and the small checks
// every layer mapping (converter/convert.ts, converter/layers/*.ts) shares.

import { ACTIVATIONS, type ActivationName } from '../engine/format.ts';

/** A problem with the converter's input; the message is meant for the user as is. */
export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}

export type Json = Record<string, unknown>;

/** One Keras layer as it appears in the topology. */
export interface KerasLayer {
  className: string;
  name: string;
  config: Json;
}

const ACTIVATION_ALIASES: Record<string, ActivationName> = { hardsigmoid: 'hard_sigmoid', silu: 'swish' };

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isDim(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 32;
}

export function positiveInt(value: unknown, where: string, what: string): number {
  if (!isDim(value) || value === 0) throw new ConvertError(`${where}: ${what} ${describe(value)} is not a positive integer`);
  return value;
}

export function activationOf(value: unknown, where: string): ActivationName {
  // Keras 3 may serialize a built-in activation as {class_name: 'function', config: 'relu'}.
  const raw = isObject(value) ? (typeof value.config === 'string' ? value.config : value.class_name) : (value ?? 'linear');
  if (typeof raw !== 'string') throw new ConvertError(`${where}: activation ${describe(value)} is not a name`);
  const key = raw.toLowerCase();
  const name = ACTIVATION_ALIASES[key] ?? ACTIVATIONS.find((candidate) => candidate === key);
  if (!name) throw new ConvertError(`${where}: activation '${raw}' is not supported; supported: ${ACTIVATIONS.join(', ')}`);
  return name;
}
