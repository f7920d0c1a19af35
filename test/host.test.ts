/**
 * The in-process IC host against real Azle-built canisters: the hello-world fixture (calibration)
 * and host/fixtures/semantics (one method per IC semantic).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import {
  buildAzleCanister,
  CallError,
  createActor,
  DEFAULT_CONTROLLER,
  ErrorCode,
  helloIdlFactory,
  Host,
  idlFactoryFromCandid,
  IC_INSTRUCTION_LIMITS,
  IC_MESSAGE_LIMITS,
  lastCall,
  RejectCode,
  type Canister,
  type HelloService,
  type HostOptions,
} from '../host/index.ts';
import { semanticsIdlFactory, type SemanticsService } from '../host/fixtures/semantics/semantics.idl.ts';

let helloWasm: Uint8Array;
let semanticsWasm: Uint8Array;
let semanticsCandid: string;

beforeAll(async () => {
  // Cached: rebuilt only when a fixture's sources or the azle version change.
  helloWasm = (await buildAzleCanister('hello')).wasm;
  ({ wasm: semanticsWasm, candid: semanticsCandid } = await buildAzleCanister('host_semantics'));
});

const initArg = (text?: string): Uint8Array => new Uint8Array(IDL.encode([IDL.Opt(IDL.Text)], [text === undefined ? [] : [text]]));
const encodeText = (text: string): Uint8Array => new Uint8Array(IDL.encode([IDL.Text], [text]));

async function installSemantics(options: HostOptions = {}, arg = initArg('hi')) {
  const host = await Host.create(options);
  const canister = await host.install(semanticsWasm, { arg });
  const actor = createActor<SemanticsService>(canister, semanticsIdlFactory);
  return { host, canister, actor };
}

async function rejectionOf(promise: Promise<unknown>): Promise<CallError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CallError) return error;
    throw error;
  }
  throw new Error('expected the call to be rejected');
}

describe('calibration (hello world)', () => {
  it('meters setMessage within ±15% of the 1,404,869 instructions Azle publishes for a replica', async () => {
    const host = await Host.create();
    const canister = await host.install(helloWasm);
    const hello = createActor<HelloService>(canister, helloIdlFactory);
    await hello.setMessage('Goodbye world!');
    const instructions = Number(lastCall(hello)?.instructions);
    expect(Math.abs(instructions / 1_404_869 - 1)).toBeLessThanOrEqual(0.15);
    expect(await hello.getMessage()).toBe('Goodbye world!');
    expect(canister.lastInitInstructions).toBeGreaterThan(0n);
  });

  it('install runs the timer Azle sets in init, its self-call and its raw_rand call', async () => {
    const host = await Host.create();
    const canister = await host.install(helloWasm);
    const log = canister.messageLog.map((m) => `${m.kind} ${m.method}${m.trap ? ' TRAPPED' : ''}`);
    expect(log).toEqual([
      'init canister_init',
      'timer canister_global_timer',
      'update <ic-cdk internal> timer_executor',
      'reply_callback rrkah-fqaaa-aaaaa-aaaaq-cai.<ic-cdk internal> timer_executor',
      'reply_callback aaaaa-aa.raw_rand',
    ]);
  });

  it('counts deterministically: the same calls on two fresh installs cost the same', async () => {
    const runOnce = async () => {
      const host = await Host.create();
      const canister = await host.install(helloWasm);
      const set = await canister.update('setMessage', encodeText('Goodbye world!'));
      const get1 = await canister.query('getMessage', new Uint8Array(IDL.encode([], [])));
      const get2 = await canister.query('getMessage', new Uint8Array(IDL.encode([], [])));
      return [canister.lastInitInstructions, set.instructions, get1.instructions, get2.instructions];
    };
    const first = await runOnce();
    const second = await runOnce();
    expect(second).toEqual(first);
    expect(first[2]).toBe(first[3]); // a query leaves nothing behind that would change the next one
  });
});

describe('install and upgrade', () => {
  it('passes Candid init args to canister_init and assigns the first local canister id', async () => {
    const { canister, actor } = await installSemantics();
    expect(await actor.getInitArg()).toBe('hi');
    expect(canister.id.toText()).toBe('rrkah-fqaaa-aaaaa-aaaaq-cai');
  });

  it('upgrade runs post_upgrade on a fresh heap and keeps stable memory', async () => {
    const { canister, actor } = await installSemantics();
    await actor.increment();
    await actor.put('kept', 'in stable memory');
    const stableBefore = canister.stableMemorySize();
    const result = await canister.upgrade(semanticsWasm, { arg: initArg('v2') });
    expect(result.status).toBe('replied');
    expect(result.instructions).toBeGreaterThan(0n);
    expect(canister.lastInitInstructions).toBe(result.instructions);
    expect(await actor.getInitArg()).toBe('upgraded:v2');
    expect(await actor.getCounter()).toBe(0n); // heap state is gone
    expect(await actor.get('kept')).toEqual(['in stable memory']);
    expect(canister.stableMemorySize()).toBe(stableBefore);
  });

  it('a failed upgrade leaves the canister exactly as it was', async () => {
    const { canister, actor } = await installSemantics();
    await actor.increment();
    await actor.put('k', 'v');
    // An argument that is not Candid at all makes Azle trap in post_upgrade.
    const result = await canister.upgrade(semanticsWasm, { arg: new Uint8Array([1, 2, 3]) });
    expect(result.status).toBe('rejected');
    expect(result.rejectCode).toBe(RejectCode.CanisterError);
    expect(await actor.getCounter()).toBe(1n);
    expect(await actor.getInitArg()).toBe('hi');
    expect(await actor.get('k')).toEqual(['v']);
  });

  it('install fails with the IC error when canister_init exceeds the install limit', async () => {
    const host = await Host.create({ limits: { install: 50_000_000n } });
    const error = await host.install(semanticsWasm, { arg: initArg('x') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallError);
    expect((error as CallError).errorCode).toBe(ErrorCode.CanisterInstructionLimitExceeded);
  });
});

describe('query isolation', () => {
  it('a query never persists heap, stable memory or canister version changes', async () => {
    const { canister, actor } = await installSemantics();
    expect(await actor.increment()).toBe(1n);
    const version = canister.canisterVersion;
    const stable = canister.stableMemorySize();
    expect(await actor.incrementInQuery()).toBe(2n); // it saw its own write...
    expect(await actor.getCounter()).toBe(1n); // ...which did not persist
    expect(await actor.get('from-query')).toEqual([]);
    expect(canister.canisterVersion).toBe(version);
    expect(canister.stableMemorySize()).toBe(stable);
  });

  it('a query that grows the heap leaves neither the growth nor a different cost behind', async () => {
    const { canister, actor } = await installSemantics();
    await actor.getCounter();
    const cost = lastCall(actor)?.instructions;
    const heap = canister.heapSize();
    expect((await actor.replyOfSize(2.5 * 1024 * 1024)).length).toBe(2.5 * 1024 * 1024);
    expect(canister.heapSize()).toBe(heap);
    await actor.getCounter();
    expect(lastCall(actor)?.instructions).toBe(cost);
  });

  it('queries run non-replicated; updates run replicated', async () => {
    const { canister, actor } = await installSemantics();
    expect(await actor.replicated()).toBe(false);
    const asUpdate = await canister.update('replicated', new Uint8Array(IDL.encode([], [])));
    expect(IDL.decode([IDL.Bool], asUpdate.reply ?? new Uint8Array())).toEqual([true]);
  });
});

describe('rollback on trap', () => {
  it('a trapping update rolls back heap, globals and stable memory', async () => {
    const { canister, actor } = await installSemantics();
    await actor.increment();
    await actor.getCounter();
    const before = lastCall(actor)?.instructions;
    const stable = canister.stableMemorySize();

    const error = await rejectionOf(actor.putThenTrap('lost', 'value'));
    expect(error.rejectCode).toBe(RejectCode.CanisterError);
    expect(error.errorCode).toBe(ErrorCode.CanisterCalledTrap);
    expect(error.rejectMessage).toContain('deliberate trap after writes');

    expect(await actor.get('lost')).toEqual([]);
    expect(await actor.getCounter()).toBe(1n);
    // Same cost as before the trap: the stack pointer and every other global were restored too.
    expect(lastCall(actor)?.instructions).toBe(before);
    expect(canister.stableMemorySize()).toBe(stable);
    expect(await actor.increment()).toBe(2n); // and the canister keeps working
  });
});

describe('instruction limits', () => {
  it('uses the IC limits by default: 5B query, 200M inspect_message, 40B update, 300B install/upgrade', async () => {
    const host = await Host.create();
    expect(host.limits).toEqual({ query: 5_000_000_000n, inspect: 200_000_000n, update: 40_000_000_000n, install: 300_000_000_000n });
    expect(IC_INSTRUCTION_LIMITS.query).toBe(5_000_000_000n);
  });

  it('stops a query at the real 5B limit with IC0522, quickly', async () => {
    const { actor } = await installSemantics();
    const started = Date.now();
    const error = await rejectionOf(actor.spinQuery(100_000_000));
    expect(error.rejectCode).toBe(RejectCode.CanisterError);
    expect(error.errorCode).toBe(ErrorCode.CanisterInstructionLimitExceeded);
    expect(error.rejectMessage).toContain('Canister exceeded the limit of 5000000000 instructions for single message execution');
    const used = lastCall(actor)?.instructions ?? 0n;
    expect(used).toBeGreaterThan(5_000_000_000n);
    expect(used).toBeLessThan(5_000_100_000n); // stopped at the limit, not after running on
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('stops a huge Candid text argument (quadratic decoding in Azle) at the limit instead of running for minutes', async () => {
    const { canister } = await installSemantics();
    const result = await canister.query('get', encodeText('x'.repeat(1_000_000)));
    expect(result.status).toBe('rejected');
    expect(result.errorCode).toBe(ErrorCode.CanisterInstructionLimitExceeded);
  });

  it('an update over its (configured) limit is rejected and rolled back', async () => {
    const { actor } = await installSemantics({ limits: { update: 200_000_000n } });
    const error = await rejectionOf(actor.spinUpdate(1_000_000));
    expect(error.errorCode).toBe(ErrorCode.CanisterInstructionLimitExceeded);
    expect(error.rejectMessage).toContain('limit of 200000000 instructions');
    expect(await actor.getCounter()).toBe(0n);
    expect(await actor.spinUpdate(10)).toBeTypeOf('number');
  });

  it('performance_counter(0) inside the canister agrees with the host meter', async () => {
    const { actor } = await installSemantics();
    const seen = await actor.selfMeasured(1000);
    const total = lastCall(actor)?.instructions ?? 0n;
    expect(seen).toBeGreaterThan(1_000_000n);
    expect(seen).toBeLessThan(total);
  });
});

describe('message size limits', () => {
  it('refuses an argument over 2 MiB without running the canister', async () => {
    const { canister } = await installSemantics();
    const result = await canister.query('argLength', new Uint8Array(IC_MESSAGE_LIMITS.maxArgBytes + 1));
    expect(result.status).toBe('rejected');
    expect(result.rejectCode).toBe(RejectCode.SysFatal);
    expect(result.instructions).toBe(0n);
  });

  it('accepts a large argument under 2 MiB', async () => {
    const { actor } = await installSemantics();
    expect(await actor.argLength(new Uint8Array(1024 * 1024))).toBe(1024 * 1024);
  });

  it('allows query replies up to 3 MiB and update replies up to 2 MiB', async () => {
    const { actor } = await installSemantics();
    expect((await actor.replyOfSize(2.5 * 1024 * 1024)).length).toBe(2.5 * 1024 * 1024);
    const tooBigForQuery = await rejectionOf(actor.replyOfSize(3 * 1024 * 1024));
    expect(tooBigForQuery.errorCode).toBe(ErrorCode.CanisterContractViolation);
    expect(tooBigForQuery.rejectMessage).toContain('cannot be larger than 3145728');

    const tooBigForUpdate = await rejectionOf(actor.replyOfSizeUpdate(2.5 * 1024 * 1024));
    expect(tooBigForUpdate.rejectMessage).toContain('cannot be larger than 2097152');
    expect(await actor.getCounter()).toBe(0n); // the trapped update was rolled back
  });
});

describe('callers', () => {
  let canister: Canister;
  beforeAll(async () => {
    ({ canister } = await installSemantics());
  });
  const as = (caller?: Principal) => createActor<SemanticsService>(canister, semanticsIdlFactory, { caller });
  const other = Principal.fromText('2chl6-4hpzw-vqaaa-aaaaa-c');

  it('default to anonymous, who is not a controller', async () => {
    expect((await as().whoami()).toText()).toBe('2vxsx-fae');
    expect(await as().callerIsController()).toBe(false);
  });

  it('pass the given principal; is_controller answers truly', async () => {
    expect((await as(DEFAULT_CONTROLLER).whoami()).toText()).toBe(DEFAULT_CONTROLLER.toText());
    expect(await as(DEFAULT_CONTROLLER).callerIsController()).toBe(true);
    expect((await as(other).whoami()).toText()).toBe(other.toText());
    expect(await as(other).callerIsController()).toBe(false);
  });

  it('honour the controllers given at install', async () => {
    const host = await Host.create();
    const installed = await host.install(semanticsWasm, { arg: initArg(), controllers: [other] });
    expect(await createActor<SemanticsService>(installed, semanticsIdlFactory, { caller: other }).callerIsController()).toBe(true);
    expect(await createActor<SemanticsService>(installed, semanticsIdlFactory, { caller: DEFAULT_CONTROLLER }).callerIsController()).toBe(false);
  });
});

describe('calls, timers and Candid', () => {
  it('delivers raw_rand from the management canister through the reply callback, deterministically', async () => {
    const a = await installSemantics();
    const b = await installSemantics();
    const bytesA = await a.actor.rawRand();
    expect(bytesA.length).toBe(32);
    expect(await b.actor.rawRand()).toEqual(bytesA);
    expect(lastCall(a.actor)?.instructions).toBe(lastCall(b.actor)?.instructions);
    expect(await a.actor.rawRand()).not.toEqual(bytesA);
  });

  it('rejects calls to management methods the host does not implement', async () => {
    const { actor } = await installSemantics();
    expect(await actor.callUnknown()).toBe(`rejected: ${RejectCode.DestinationInvalid}`);
  });

  it('fires timers when the clock reaches them', async () => {
    const { host, actor } = await installSemantics();
    await actor.startTimer(0n);
    expect(await actor.getTimerFired()).toBe(1);
    await actor.startTimer(60n);
    expect(await actor.getTimerFired()).toBe(1);
    await host.advanceTime(61_000_000_000n);
    expect(await actor.getTimerFired()).toBe(2);
  });

  it('round-trips records, variants, opts and blobs through the actor', async () => {
    const { actor } = await installSemantics();
    const reply = await actor.echo({ name: 'n', tags: ['a'], body: new Uint8Array([1, 2, 3]), note: ['x'], shape: { Square: { side: 3 } } });
    expect(reply).toEqual({ name: 'n', tags: ['a', 'echoed'], body: new Uint8Array([1, 2, 3]), note: ['x'], shape: { Square: { side: 3 } } });
  });

  it('talks to a canister through the Candid that azle build generated', async () => {
    const { canister } = await installSemantics();
    const actor = createActor<SemanticsService>(canister, idlFactoryFromCandid(semanticsCandid));
    const envelope = { name: 'n', tags: [], body: new Uint8Array([9]), note: [] as [], shape: { Circle: 1.5 } };
    expect(await actor.echo(envelope)).toEqual({ ...envelope, tags: ['echoed'] });
    expect(await actor.increment()).toBe(1n);
  });

  it('rejects unknown methods with IC0536', async () => {
    const { canister } = await installSemantics();
    const result = await canister.update('noSuchMethod', new Uint8Array(IDL.encode([], [])));
    expect(result).toMatchObject({ status: 'rejected', rejectCode: RejectCode.CanisterError, errorCode: ErrorCode.CanisterMethodNotFound });
  });
});

describe('buildAzleCanister', () => {
  it('reuses the cached build when nothing changed', async () => {
    const again = await buildAzleCanister('hello');
    expect(Buffer.from(again.wasm).equals(Buffer.from(helloWasm))).toBe(true); // (toEqual on 3 MB is slow)
    expect(again.candid).toContain('setMessage');
  });
});
