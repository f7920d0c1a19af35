// Measuring canister messages on the in-process host: each call must succeed (a rejected
// call is a bench failure, not a figure), and its whole-message instructions are kept.
import { IDL } from '@dfinity/candid';

import type { Principal } from '@dfinity/principal';

import type { Canister } from '../../host/index.ts';
import type { CallKind } from './cycles.ts';
import type { CallMeasurement, Section } from './results.ts';

export interface MeasuredReply {
  instructions: number;
  reply: Uint8Array;
}

async function measure(
  canister: Canister,
  kind: 'update' | 'query',
  method: string,
  arg: Uint8Array,
  caller?: Principal,
): Promise<MeasuredReply> {
  const options = caller ? { caller } : {};
  const result = await (kind === 'update' ? canister.update(method, arg, options) : canister.query(method, arg, options));
  if (result.status !== 'replied' || result.reply === undefined) {
    throw new Error(`${kind} ${method} was rejected (${result.rejectCode ?? '?'}): ${result.rejectMessage ?? result.status}`);
  }
  return { instructions: Number(result.instructions), reply: result.reply };
}

export const measureUpdate = (canister: Canister, method: string, arg: Uint8Array, caller?: Principal): Promise<MeasuredReply> =>
  measure(canister, 'update', method, arg, caller);
export const measureQuery = (canister: Canister, method: string, arg: Uint8Array): Promise<MeasuredReply> =>
  measure(canister, 'query', method, arg);

/** Candid arguments, for readability at call sites. */
export function candidArgs(types: IDL.Type[], values: unknown[]): Uint8Array {
  return new Uint8Array(IDL.encode(types, values));
}

export function decodeReply<T>(type: IDL.Type, reply: Uint8Array): T {
  return IDL.decode([type], reply)[0] as T;
}

/** Adds a call to the section and returns it (for figures derived from it). */
export function record(
  section: Section,
  id: string,
  label: string,
  kind: CallKind,
  instructions: number,
  extra: { methodInstructions?: number; note?: string } = {},
): CallMeasurement {
  const call: CallMeasurement = { id, label, kind, instructions, ...extra };
  section.calls.push(call);
  return call;
}
