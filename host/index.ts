/**
 * The in-process IC host: run Azle-built canister wasm in Node with the IC's message semantics and
 * ic-wasm instruction metering. See host/README.md.
 */
export {
  Host,
  Canister,
  IC_INSTRUCTION_LIMITS,
  IC_MESSAGE_LIMITS,
  DEFAULT_CONTROLLER,
  DEFAULT_START_TIME_NS,
  MANAGEMENT_CANISTER_ID,
  type CallResult,
  type ExecutionKind,
  type MessageRecord,
  type HostOptions,
  type InstructionLimits,
} from './host.ts';
export { createActor, lastCall, LAST_CALL, type ActorMethodsExtras, type HostActorOptions } from './actor.ts';
export { CallError, RejectCode, ErrorCode } from './errors.ts';
export { buildAzleCanister, type BuiltCanister } from './build.ts';
export { helloIdlFactory, type HelloService } from './fixtures/hello/hello.idl.ts';

import { Host, type HostOptions, type Canister } from './host.ts';
import { createActor, type ActorMethodsExtras } from './actor.ts';
import { buildAzleCanister } from './build.ts';
import { helloIdlFactory, type HelloService } from './fixtures/hello/hello.idl.ts';

/** Builds (cached) and installs the hello fixture canister; returns it with a typed actor. */
export async function installHello(options: HostOptions & { host?: Host } = {}): Promise<{
  host: Host;
  canister: Canister;
  actor: HelloService & ActorMethodsExtras;
}> {
  const { wasm } = await buildAzleCanister('hello');
  const host = options.host ?? (await Host.create(options));
  const canister = await host.install(wasm);
  return { host, canister, actor: createActor<HelloService>(canister, helloIdlFactory) };
}
export { idlFactoryFromCandid, initArgTypesFromCandid } from './candid-parser.ts';
export {
  IcHttpInterface,
  EnvelopeError,
  checkEnvelope,
  witness,
  loadOrCreateReplicaKeys,
  newReplicaKeys,
  REPLICA_KEYS_FILE,
  type ReplicaKeys,
  type StateTree,
  type IcHttpOptions,
} from './ic-http.ts';
