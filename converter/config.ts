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

/** String values TF.js also reads in camelCase ('channelsFirst'); renamed to Keras's snake_case with their key. */
const ENUM_KEYS = new Set(['data_format', 'padding', 'merge_mode', 'interpolation', 'output_mode']);

/** TF.js's toSnakeCase (tfjs-layers utils/generic_utils.ts). */
function snakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * A copy of a topology with camelCase keys renamed to snake_case. TF.js reads a topology's
 * keys in either case: it camel-cases every key (and enum-like string values) before reading
 * (convertPythonicToTs in tfjs-layers utils/serialization_utils.ts), so "batchInputShape" and
 * "batch_input_shape" mean the same; where both appear, the later one wins, as in TF.js.
 * The converter reads Keras's snake_case, so hand-edited camelCase files are renamed here.
 */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    const name = /[A-Z]/.test(key) ? snakeCase(key) : key;
    out[name] = ENUM_KEYS.has(name) && typeof item === 'string' && /[A-Z]/.test(item) ? snakeCase(item) : snakeCaseKeys(item);
  }
  return out;
}
