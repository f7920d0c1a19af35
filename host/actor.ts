/**
 * A typed client over a host canister, shaped like an @dfinity/agent Actor: `await actor.method(...)`
 * encodes the arguments with the canister's Candid, calls it as a query or update per the
 * interface's annotations, decodes the result (none → undefined, one → the value, several → array)
 * and throws CallError on reject. Tests and tools can then use the same `_SERVICE` types against the
 * host or a real replica (via `Actor.createActor`).
 *
 * The instructions of the last call are available as `actor[LAST_CALL]?.instructions` or
 * `lastCall(actor)`.
 */
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';
import { CallError } from './errors.ts';
import type { CallResult, Canister } from './host.ts';

export const LAST_CALL: unique symbol = Symbol('decentai.host.lastCall');

export interface ActorMethodsExtras {
  /** The raw result (with instructions) of the most recent call through this actor. */
  readonly [LAST_CALL]: CallResult | undefined;
}

export interface HostActorOptions {
  /** Principal the calls come from (default: anonymous). */
  caller?: Principal;
  /** Updates as ingress messages: canister_inspect_message runs first (as through a replica's HTTP endpoint). */
  inspect?: boolean;
}

export function createActor<T>(canister: Canister, idlFactory: IDL.InterfaceFactory, options: HostActorOptions = {}): T & ActorMethodsExtras {
  const service = idlFactory({ IDL });
  const state: { last: CallResult | undefined } = { last: undefined };
  const actor: Record<string | symbol, unknown> = {};
  Object.defineProperty(actor, LAST_CALL, { get: () => state.last, enumerable: false });
  for (const [name, func] of service._fields) {
    const isQuery = func.annotations.includes('query') || func.annotations.includes('composite_query');
    actor[name] = async (...args: unknown[]): Promise<unknown> => {
      const arg = new Uint8Array(IDL.encode(func.argTypes, args));
      const callOptions = { caller: options.caller };
      const result = isQuery ? await canister.query(name, arg, callOptions) : await canister.update(name, arg, { ...callOptions, inspect: options.inspect });
      state.last = result;
      if (result.status === 'rejected') throw new CallError(result.rejectCode ?? 0, result.rejectMessage ?? '', result.errorCode, name);
      const values = IDL.decode(func.retTypes, result.reply ?? new Uint8Array());
      if (func.retTypes.length === 0) return undefined;
      if (func.retTypes.length === 1) return values[0];
      return values;
    };
  }
  return actor as T & ActorMethodsExtras;
}

/** The result of the last call made through an actor created by `createActor`. */
export function lastCall(actor: ActorMethodsExtras): CallResult | undefined {
  return actor[LAST_CALL];
}
