/**
 * An in-process, deterministic stand-in for one IC subnet: runs canister wasm (Azle-built) in
 * Node's WebAssembly with the IC's message semantics and ic-wasm's instruction metering.
 *
 * Semantics implemented (each message is one "execution"):
 *  - updates, timers and callbacks commit on success and roll back heap, globals, stable memory,
 *    certified data and the timer on trap; queries always roll back;
 *  - per-message instruction limits stop the message at the limit (IC0522);
 *  - argument and reply size limits;
 *  - inter-canister calls (to the management canister's raw_rand, to itself, to other canisters
 *    installed on the same Host) with callbacks run as separate executions after the caller's
 *    message, like on the IC;
 *  - the global timer, fired when the host's deterministic clock reaches it.
 */
import { createHash } from 'node:crypto';
import { Principal } from '@dfinity/principal';
import { IDL } from '@dfinity/candid';
import { prepareModule, type PreparedModule } from './instrument.ts';
import { CallError, CanisterTrap, ErrorCode, RejectCode } from './errors.ts';
import { StableMemory, WASM_PAGE_BYTES } from './stable-memory.ts';
import { TABLE_EXPORT } from './wasm-rewrite.ts';
import { Wasm, type WasmGlobal, type WasmImports, type WasmInstance, type WasmMemory, type WasmTable } from './wasm-api.ts';
import { sha256 } from '@noble/hashes/sha256';

const MiB = 1024 * 1024;

export interface InstructionLimits {
  /** Per query message (IC: 5B). */
  query: bigint;
  /** For canister_inspect_message (IC: 200M). */
  inspect: bigint;
  /** Per update message, timer or callback execution (IC: 40B). */
  update: bigint;
  /** For canister_init, and pre_upgrade + post_upgrade together (IC: 300B). */
  install: bigint;
}

export const IC_INSTRUCTION_LIMITS: Readonly<InstructionLimits> = Object.freeze({
  query: 5_000_000_000n,
  inspect: 200_000_000n,
  update: 40_000_000_000n,
  install: 300_000_000_000n,
});

export const IC_MESSAGE_LIMITS = Object.freeze({
  /** Ingress and inter-canister argument. */
  maxArgBytes: 2 * MiB,
  maxQueryReplyBytes: 3 * MiB,
  maxUpdateReplyBytes: 2 * MiB,
});

/** The management canister, `aaaaa-aa`. */
export const MANAGEMENT_CANISTER_ID = Principal.fromText('aaaaa-aa');

/** The controller used when none is given (a fixed self-authenticating principal). */
export const DEFAULT_CONTROLLER = Principal.selfAuthenticating(
  new Uint8Array(createHash('sha256').update('decentai in-process host controller').digest()),
);

/** 2025-01-01T00:00:00Z in nanoseconds: the host's clock starts here unless told otherwise. */
export const DEFAULT_START_TIME_NS = 1_735_689_600_000_000_000n;

const CYCLE_BALANCE = 100_000_000_000_000n;
/** Stable memory cap: the IC allows 500 GiB; the host keeps pages sparse so only used ones cost. */
const MAX_STABLE_PAGES = (500 * 1024 * MiB) / WASM_PAGE_BYTES;

export interface CallResult {
  status: 'replied' | 'rejected';
  reply?: Uint8Array;
  rejectCode?: number;
  rejectMessage?: string;
  /** IC error code such as "IC0522" when the reject came from the system rather than the canister. */
  errorCode?: string;
  /** Instructions of the whole call: the message and every callback it awaited (metered by ic-wasm). */
  instructions: bigint;
  /**
   * True when canister_inspect_message refused the message before execution (an ingress update
   * called with `inspect: true`): nothing ran but the inspection, whose instructions are `instructions`.
   */
  inspectRefused?: boolean;
}

/** What canister_inspect_message decided for one ingress message (`canister.inspect`). */
export interface InspectResult {
  accepted: boolean;
  /** When refused: the reject the replica gives (IC0406 when not accepted, the trap's when it trapped). */
  rejectCode?: number;
  rejectMessage?: string;
  errorCode?: string;
  instructions: bigint;
}

export interface HostOptions {
  /** Instrument with ic-wasm for instruction counts and limits (default true). */
  instrument?: boolean;
  /** Override the IC's instruction limits (e.g. smaller ones in tests). */
  limits?: Partial<InstructionLimits>;
  /** Initial time in ns since the epoch. */
  startTimeNs?: bigint;
  /** How far the clock advances before each replicated execution (default 1 ms). */
  timeStepNs?: bigint;
  /** Seed for raw_rand's deterministic bytes. */
  seed?: string;
}

type Response =
  | { kind: 'reply'; data: Uint8Array }
  | { kind: 'reject'; code: number; message: string; errorCode?: string };

export type ExecutionKind = 'init' | 'pre_upgrade' | 'post_upgrade' | 'update' | 'query' | 'inspect' | 'reply_callback' | 'reject_callback' | 'cleanup' | 'timer';

/** An open call context: what is owed a response, and the instructions spent on it so far. */
class CallContext {
  response?: Response;
  outstandingCalls = 0;
  instructions = 0n;
  constructor(
    readonly caller: Principal,
    readonly maxReplyBytes: number,
    /** Delivers the response; absent for system contexts (init, timer) that owe none. */
    readonly respond?: (response: Response) => void,
  ) {}
  get responded(): boolean {
    return this.response !== undefined;
  }
  close(response: Response): void {
    if (this.response) return;
    this.response = response;
    this.respond?.(response);
  }
}

interface OutgoingCall {
  callee: Principal;
  method: string;
  arg: Uint8Array[];
  argBytes: number;
  replyFun: number;
  replyEnv: number;
  rejectFun: number;
  rejectEnv: number;
  cleanup?: { fun: number; env: number };
  context: CallContext;
}

interface Execution {
  kind: ExecutionKind;
  method: string;
  arg: Uint8Array;
  caller: Principal;
  context?: CallContext;
  rejectCode?: number;
  rejectMessage?: string;
  replyChunks: Uint8Array[];
  replyBytes: number;
  response?: Response;
  pendingCall?: OutgoingCall;
  performedCalls: OutgoingCall[];
  counterStart: bigint;
  limit: bigint;
  replicated: boolean;
  /** canister_inspect_message: whether ic0.accept_message was called. */
  accepted?: boolean;
}

interface ExecutionOutcome {
  trap?: Response & { kind: 'reject' };
  instructions: bigint;
}

/** `()` in Candid: what dfx sends as install/upgrade argument when none is given. */
const EMPTY_CANDID_ARGS = new Uint8Array(IDL.encode([], []));

const i64 = (value: bigint): bigint => BigInt.asIntN(64, value);

export class Host {
  readonly limits: InstructionLimits;
  readonly instrument: boolean;
  timeNs: bigint;
  readonly timeStepNs: bigint;
  /**
   * What `ic0.data_certificate_copy` gives a canister in a query: set by an IcHttpInterface to its real,
   * BLS-signed certificate of `canister/<id>/certified_data`; when unset (or undefined) a marker.
   */
  dataCertificate?: (canister: Canister) => Uint8Array | undefined;
  private readonly seed: string;
  private randCounter = 0;
  private readonly canisters = new Map<string, Canister>();
  private readonly queue: (() => void)[] = [];
  // Index 1 is rrkah-fqaaa-aaaaa-aaaaq-cai, the id dfx gives the first canister on a local replica.
  private nextCanisterIndex = 1;

  private constructor(options: HostOptions) {
    this.instrument = options.instrument ?? true;
    this.limits = { ...IC_INSTRUCTION_LIMITS, ...options.limits };
    this.timeNs = options.startTimeNs ?? DEFAULT_START_TIME_NS;
    this.timeStepNs = options.timeStepNs ?? 1_000_000n;
    this.seed = options.seed ?? 'decentai-host';
  }

  static async create(options: HostOptions = {}): Promise<Host> {
    return new Host(options);
  }

  /** Installs a canister and runs canister_init (and the timers/calls it starts). Throws CallError if init fails. */
  async install(wasm: Uint8Array, options: { arg?: Uint8Array; controllers?: Principal[]; canisterId?: Principal } = {}): Promise<Canister> {
    const prepared = prepareModule(wasm, this.instrument);
    const id = options.canisterId ?? this.allocateCanisterId();
    if (this.canisters.has(id.toText())) throw new Error(`canister ${id.toText()} already exists on this host`);
    const canister = new Canister(this, id, options.controllers ?? [DEFAULT_CONTROLLER], prepared);
    canister.moduleHash = sha256(wasm);
    const result = canister.runInit(options.arg ?? EMPTY_CANDID_ARGS);
    if (result.status === 'rejected') {
      throw new CallError(result.rejectCode ?? RejectCode.CanisterError, result.rejectMessage ?? '', result.errorCode, 'canister_init');
    }
    this.canisters.set(id.toText(), canister);
    this.runUntilIdle();
    return canister;
  }

  canister(id: Principal): Canister | undefined {
    return this.canisters.get(id.toText());
  }

  /** Every installed canister, in install order. */
  canisterList(): Canister[] {
    return [...this.canisters.values()];
  }

  /** Advances the clock and runs whatever timers became due. */
  async advanceTime(ns: bigint): Promise<void> {
    this.timeNs += ns;
    this.runUntilIdle();
  }

  /** Runs queued messages and due timers until nothing is left to do. */
  runUntilIdle(): void {
    for (let steps = 0; ; steps++) {
      if (steps > 100_000) throw new Error('host: more than 100000 messages without becoming idle (a canister keeps calling itself?)');
      const task = this.queue.shift();
      if (task) {
        task();
        continue;
      }
      const due = [...this.canisters.values()].find((c) => c.timerDue());
      if (!due) return;
      due.runTimer();
    }
  }

  /** @internal */
  tick(): bigint {
    this.timeNs += this.timeStepNs;
    return this.timeNs;
  }

  /** @internal Sends an inter-canister request; the response comes back as a queued callback. */
  enqueueCall(from: Canister, call: OutgoingCall): void {
    this.queue.push(() => {
      const deliver = (response: Response): void => {
        this.queue.push(() => from.runCallback(call, response));
      };
      if (call.callee.toText() === MANAGEMENT_CANISTER_ID.toText()) {
        deliver(this.managementCall(from, call));
        return;
      }
      const callee = this.canisters.get(call.callee.toText());
      if (!callee) {
        deliver({ kind: 'reject', code: RejectCode.DestinationInvalid, message: `Canister ${call.callee.toText()} not found`, errorCode: ErrorCode.CanisterNotFound });
        return;
      }
      callee.runInterCanisterCall(from.id, call.method, concat(call.arg), deliver);
    });
  }

  private managementCall(from: Canister, call: OutgoingCall): Response {
    if (call.method === 'raw_rand') {
      const bytes = createHash('sha256').update(`${this.seed}|${from.id.toText()}|${this.randCounter++}`).digest();
      return { kind: 'reply', data: new Uint8Array(IDL.encode([IDL.Vec(IDL.Nat8)], [new Uint8Array(bytes)])) };
    }
    return {
      kind: 'reject',
      code: RejectCode.DestinationInvalid,
      message: `Management canister method '${call.method}' is not implemented by the in-process host`,
      errorCode: ErrorCode.CanisterMethodNotFound,
    };
  }

  private allocateCanisterId(): Principal {
    // Canister ids of the first subnet range: u64 index (big-endian) followed by 0x01 0x01.
    const bytes = new Uint8Array(10);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(this.nextCanisterIndex++));
    bytes[8] = 1;
    bytes[9] = 1;
    return Principal.fromUint8Array(bytes);
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function describeWasmTrap(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError && /call stack/i.test(message)) return 'stack overflow';
  if (/unreachable/i.test(message)) return 'unreachable';
  if (/out of bounds/i.test(message) && /memory/i.test(message)) return 'heap out of bounds';
  return message;
}

/** One executed message, for introspection (`canister.messageLog`). */
export interface MessageRecord {
  kind: ExecutionKind;
  /** Method name, or the system entry point (canister_init, canister_global_timer, a callback). */
  method: string;
  instructions: bigint;
  /** The reject the trap produced, if the message trapped. */
  trap?: string;
}

const MESSAGE_LOG_LIMIT = 1000;

/** A canister installed on a Host. */
export class Canister {
  /** Output of ic0.debug_print (and trap messages), in order. */
  readonly debugLog: string[] = [];
  /** The most recent executed messages (up to 1000), oldest first: updates, queries, timers, callbacks. */
  readonly messageLog: MessageRecord[] = [];
  /** Instructions of the last install (canister_init) or upgrade (pre_upgrade + post_upgrade). */
  lastInitInstructions = 0n;
  controllers: Principal[];
  /** SHA-256 of the installed wasm module (what the IC certifies as module_hash). */
  moduleHash: Uint8Array = new Uint8Array(0);

  private prepared: PreparedModule;
  private instance!: WasmInstance;
  private memory!: WasmMemory;
  private table?: WasmTable;
  private globals: WasmGlobal[] = [];
  private counter?: WasmGlobal;
  private limitGlobal?: WasmGlobal;
  private readonly imports: WasmImports;

  private readonly stable = new StableMemory(MAX_STABLE_PAGES);
  private committedMemory = new Uint8Array(0);
  private committedGlobals: (number | bigint)[] = [];
  private committedTimer = 0n;
  private committedCertifiedData: Uint8Array = new Uint8Array(0);
  private timerDeadline = 0n;
  private certifiedData: Uint8Array = new Uint8Array(0);
  private version = 0n;
  private current?: Execution;

  constructor(
    private readonly host: Host,
    readonly id: Principal,
    controllers: Principal[],
    prepared: PreparedModule,
  ) {
    this.controllers = [...controllers];
    this.prepared = prepared;
    this.imports = { ic0: this.systemApi() };
    this.instantiate();
    this.commit(); // the fresh instance is what a failed canister_init rolls back to
  }

  /** Canister version: bumped by install/upgrade and every committed update-like execution. */
  get canisterVersion(): bigint {
    return this.version;
  }

  /** The certified data as of the last committed message (what a certificate covers). */
  certifiedDataCommitted(): Uint8Array {
    return this.committedCertifiedData;
  }

  stableMemorySize(): bigint {
    return BigInt(this.stable.byteLength);
  }

  /** Current heap (wasm memory) size in bytes. */
  heapSize(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * An update call. With `inspect: true` it is an ingress message as the replica's HTTP endpoint
   * takes it: canister_inspect_message (when the module exports it) runs first and may refuse it
   * before execution (`inspectRefused`). Without it, the message goes straight to execution, like
   * an inter-canister call or a test of the method's own checks.
   */
  async update(method: string, arg: Uint8Array, options: { caller?: Principal; inspect?: boolean } = {}): Promise<CallResult> {
    const caller = options.caller ?? Principal.anonymous();
    if (options.inspect === true && arg.length <= IC_MESSAGE_LIMITS.maxArgBytes) {
      const verdict = this.inspect(method, arg, { caller });
      if (!verdict.accepted) {
        return { status: 'rejected', rejectCode: verdict.rejectCode, rejectMessage: verdict.rejectMessage, errorCode: verdict.errorCode, instructions: verdict.instructions, inspectRefused: true };
      }
    }
    return this.ingress(method, arg, caller, false);
  }

  /**
   * Runs canister_inspect_message for an ingress update call of `method` with `arg` by `caller`, as
   * the replica does before accepting it (interface spec, "Ingress message inspection"): on the
   * current state, non-replicated, within 200M instructions, every change discarded. The message is
   * accepted when the module exports no canister_inspect_message, or when it calls
   * ic0.accept_message; refused when it does not (IC0406) or traps (the trap's reject).
   */
  inspect(method: string, arg: Uint8Array, options: { caller?: Principal } = {}): InspectResult {
    if (typeof this.instance.exports.canister_inspect_message !== 'function') return { accepted: true, instructions: 0n };
    this.stable.begin();
    const exec = this.newExecution('inspect', method, arg, options.caller ?? Principal.anonymous(), this.host.limits.inspect);
    const outcome = this.execute(exec, () => this.invokeExport('canister_inspect_message'));
    this.rollback(); // nothing of an inspection persists
    if (outcome.trap) return { accepted: false, rejectCode: outcome.trap.code, rejectMessage: outcome.trap.message, errorCode: outcome.trap.errorCode, instructions: outcome.instructions };
    if (exec.accepted !== true) {
      return {
        accepted: false,
        rejectCode: RejectCode.CanisterReject,
        rejectMessage: `Error from Canister ${this.id.toText()}: Canister rejected the message`,
        errorCode: ErrorCode.CanisterRejectedMessage,
        instructions: outcome.instructions,
      };
    }
    return { accepted: true, instructions: outcome.instructions };
  }

  async query(method: string, arg: Uint8Array, options: { caller?: Principal } = {}): Promise<CallResult> {
    return this.ingress(method, arg, options.caller ?? Principal.anonymous(), true);
  }

  /** Upgrades in place: pre_upgrade, new module with a fresh heap, stable memory kept, post_upgrade. */
  async upgrade(wasm: Uint8Array, options: { arg?: Uint8Array } = {}): Promise<CallResult> {
    const prepared = prepareModule(wasm, this.host.instrument);
    const caller = this.controllers[0] ?? DEFAULT_CONTROLLER;
    const budget = this.host.limits.install;
    this.host.tick();
    this.stable.begin();
    const before = { prepared: this.prepared, instance: this.instance };

    const pre = this.execute(this.newExecution('pre_upgrade', 'canister_pre_upgrade', new Uint8Array(), caller, budget), () => this.invokeExport('canister_pre_upgrade'));
    let used = pre.instructions;
    let trap = pre.trap;
    if (!trap) {
      // The IC deactivates the global timer when the module changes, before post_upgrade: a timer
      // that post_upgrade sets is kept (the documented way to re-arm timers after an upgrade).
      this.timerDeadline = 0n;
      this.prepared = prepared;
      this.instantiate();
      const post = this.execute(this.newExecution('post_upgrade', 'canister_post_upgrade', options.arg ?? EMPTY_CANDID_ARGS, caller, budget - used), () =>
        this.invokeExport('canister_post_upgrade'),
      );
      used += post.instructions;
      trap = post.trap;
    }
    this.lastInitInstructions = used;
    if (trap) {
      if (this.prepared !== before.prepared) {
        this.prepared = before.prepared;
        this.instantiate();
      }
      this.rollback();
      return { status: 'rejected', rejectCode: trap.code, rejectMessage: trap.message, errorCode: trap.errorCode, instructions: used };
    }
    this.moduleHash = sha256(wasm);
    this.disableTracing();
    this.version++;
    this.commit();
    this.host.runUntilIdle();
    return { status: 'replied', reply: new Uint8Array(), instructions: used };
  }

  // ---- lifecycle internals ------------------------------------------------------------------

  /** @internal */
  runInit(arg: Uint8Array): CallResult {
    const caller = this.controllers[0] ?? DEFAULT_CONTROLLER;
    this.host.tick();
    this.stable.begin();
    const exec = this.newExecution('init', 'canister_init', arg, caller, this.host.limits.install);
    exec.context = new CallContext(caller, IC_MESSAGE_LIMITS.maxUpdateReplyBytes);
    const outcome = this.execute(exec, () => this.invokeExport('canister_init'));
    this.lastInitInstructions = outcome.instructions;
    if (outcome.trap) {
      this.rollback();
      return { status: 'rejected', rejectCode: outcome.trap.code, rejectMessage: outcome.trap.message, errorCode: outcome.trap.errorCode, instructions: outcome.instructions };
    }
    this.disableTracing();
    this.version++;
    this.commit();
    this.sendCalls(exec);
    return { status: 'replied', reply: new Uint8Array(), instructions: outcome.instructions };
  }

  /** ic-wasm's heap trace is of no use here and costs time: keep it off after init. */
  private disableTracing(): void {
    const flag = this.prepared.meta.tracingOffFlagExport;
    if (flag) (this.instance.exports[flag] as WasmGlobal).value = 1;
  }

  private instantiate(): void {
    this.instance = new Wasm.Instance(this.prepared.module, this.imports);
    const exports = this.instance.exports;
    const memory = exports.memory;
    if (!(memory instanceof Wasm.Memory)) throw new Error('canister wasm does not export its memory');
    this.memory = memory;
    const table = exports[TABLE_EXPORT];
    this.table = table instanceof Wasm.Table ? table : undefined;
    this.globals = this.prepared.meta.mutableGlobalExports.map((name) => exports[name] as WasmGlobal);
    const { counterExport, limitExport } = this.prepared.meta;
    this.counter = counterExport ? (exports[counterExport] as WasmGlobal) : undefined;
    this.limitGlobal = counterExport ? (exports[limitExport] as WasmGlobal) : undefined;
  }

  // ---- state snapshots ------------------------------------------------------------------------

  private commit(): void {
    const live = new Uint8Array(this.memory.buffer);
    if (this.committedMemory.length !== live.length) this.committedMemory = new Uint8Array(live.length);
    this.committedMemory.set(live);
    this.committedGlobals = this.globals.map((g) => g.value as number | bigint);
    this.committedTimer = this.timerDeadline;
    this.committedCertifiedData = this.certifiedData;
    this.stable.commit();
  }

  private rollback(): void {
    if (this.memory.buffer.byteLength !== this.committedMemory.length) {
      // Wasm memory cannot shrink: start a fresh instance and grow it to the committed size.
      this.instantiate();
      const pages = this.committedMemory.length / WASM_PAGE_BYTES - this.memory.buffer.byteLength / WASM_PAGE_BYTES;
      if (pages > 0) this.memory.grow(pages);
    }
    new Uint8Array(this.memory.buffer).set(this.committedMemory);
    this.globals.forEach((g, i) => {
      g.value = this.committedGlobals[i];
    });
    this.timerDeadline = this.committedTimer;
    this.certifiedData = this.committedCertifiedData;
    this.stable.rollback();
  }

  // ---- executions -----------------------------------------------------------------------------

  private readCounter(): bigint {
    return this.counter ? (this.counter.value as bigint) : 0n;
  }

  private newExecution(kind: ExecutionKind, method: string, arg: Uint8Array, caller: Principal, limit: bigint): Execution {
    return {
      kind,
      method,
      arg,
      caller,
      replyChunks: [],
      replyBytes: 0,
      performedCalls: [],
      counterStart: 0n,
      limit,
      replicated: kind !== 'query' && kind !== 'inspect',
    };
  }

  private invokeExport(name: string): void {
    const fn = this.instance.exports[name];
    if (typeof fn === 'function') (fn as () => void)();
  }

  /** Runs one message. Leaves commit/rollback to the caller. */
  private execute(exec: Execution, invoke: () => void): ExecutionOutcome {
    exec.counterStart = this.readCounter();
    if (this.limitGlobal) this.limitGlobal.value = i64(exec.counterStart + exec.limit);
    this.current = exec;
    let trap: ExecutionOutcome['trap'];
    try {
      invoke();
    } catch (error) {
      if (error instanceof CanisterTrap) {
        trap = { kind: 'reject', code: RejectCode.CanisterError, message: `Error from Canister ${this.id.toText()}: ${error.message}`, errorCode: error.errorCode };
      } else if (error instanceof Wasm.RuntimeError || error instanceof RangeError) {
        trap = { kind: 'reject', code: RejectCode.CanisterError, message: `Error from Canister ${this.id.toText()}: Canister trapped: ${describeWasmTrap(error)}.`, errorCode: ErrorCode.CanisterTrapped };
      } else {
        throw error; // a bug in the host, not a canister trap
      }
    } finally {
      this.current = undefined;
      if (this.limitGlobal) this.limitGlobal.value = i64(0x7fffffffffffffffn);
    }
    const instructions = this.readCounter() - exec.counterStart;
    if (instructions > exec.limit) {
      trap = {
        kind: 'reject',
        code: RejectCode.CanisterError,
        message: `Error from Canister ${this.id.toText()}: Canister exceeded the limit of ${exec.limit} instructions for single message execution.`,
        errorCode: ErrorCode.CanisterInstructionLimitExceeded,
      };
    }
    if (trap) this.debugLog.push(`[TRAP]: ${trap.message}`);
    this.messageLog.push({ kind: exec.kind, method: exec.method, instructions, trap: trap?.message });
    if (this.messageLog.length > MESSAGE_LOG_LIMIT) this.messageLog.splice(0, this.messageLog.length - MESSAGE_LOG_LIMIT);
    if (exec.context) exec.context.instructions += instructions;
    return { trap, instructions };
  }

  /** Commits or rolls back an update-like execution and settles its call context. */
  private finishReplicated(exec: Execution, outcome: ExecutionOutcome): void {
    const context = exec.context;
    if (outcome.trap) {
      this.rollback();
      if (context && !context.responded && context.outstandingCalls === 0) context.close(outcome.trap);
      return;
    }
    this.version++;
    this.commit();
    if (context && exec.response) context.close(exec.response);
    this.sendCalls(exec);
    if (context && context.respond && !context.responded && context.outstandingCalls === 0) {
      context.close({
        kind: 'reject',
        code: RejectCode.CanisterError,
        message: `Error from Canister ${this.id.toText()}: Canister did not reply to the call`,
        errorCode: ErrorCode.CanisterDidNotReply,
      });
    }
  }

  private sendCalls(exec: Execution): void {
    for (const call of exec.performedCalls) {
      call.context.outstandingCalls++;
      this.host.enqueueCall(this, call);
    }
  }

  private methodExport(method: string, asQuery: boolean): { name: string; isQuery: boolean } | undefined {
    const exports = this.instance.exports;
    const update = `canister_update ${method}`;
    const query = `canister_query ${method}`;
    const composite = `canister_composite_query ${method}`;
    if (asQuery) {
      if (typeof exports[query] === 'function') return { name: query, isQuery: true };
      if (typeof exports[composite] === 'function') return { name: composite, isQuery: true };
      return undefined;
    }
    if (typeof exports[update] === 'function') return { name: update, isQuery: false };
    if (typeof exports[query] === 'function') return { name: query, isQuery: true }; // a query called as an update: replicated, discarded
    return undefined;
  }

  private ingress(method: string, arg: Uint8Array, caller: Principal, asQuery: boolean): CallResult {
    if (arg.length > IC_MESSAGE_LIMITS.maxArgBytes) {
      return {
        status: 'rejected',
        rejectCode: RejectCode.SysFatal,
        rejectMessage: `Request payload of ${arg.length} bytes exceeds the IC's limit of ${IC_MESSAGE_LIMITS.maxArgBytes} bytes (a replica answers HTTP 413)`,
        instructions: 0n,
      };
    }
    const target = this.methodExport(method, asQuery);
    if (!target) {
      return {
        status: 'rejected',
        rejectCode: RejectCode.CanisterError,
        rejectMessage: `Error from Canister ${this.id.toText()}: Canister has no ${asQuery ? 'query' : 'update'} method '${method}'.`,
        errorCode: ErrorCode.CanisterMethodNotFound,
        instructions: 0n,
      };
    }
    const maxReply = target.isQuery && asQuery ? IC_MESSAGE_LIMITS.maxQueryReplyBytes : IC_MESSAGE_LIMITS.maxUpdateReplyBytes;
    const context = new CallContext(caller, maxReply, () => {});
    if (target.isQuery) {
      this.runQuery(target.name, method, arg, caller, context, !asQuery);
    } else {
      this.host.tick();
      this.stable.begin();
      const exec = this.newExecution('update', method, arg, caller, this.host.limits.update);
      exec.context = context;
      const outcome = this.execute(exec, () => this.invokeExport(target.name));
      this.finishReplicated(exec, outcome);
      this.host.runUntilIdle();
    }
    return toCallResult(context);
  }

  private runQuery(exportName: string, method: string, arg: Uint8Array, caller: Principal, context: CallContext, replicated: boolean): void {
    this.stable.begin();
    const exec = this.newExecution('query', method, arg, caller, this.host.limits.query);
    exec.replicated = replicated;
    exec.context = context;
    const outcome = this.execute(exec, () => this.invokeExport(exportName));
    this.rollback(); // a query never persists anything
    if (outcome.trap) context.close(outcome.trap);
    else if (exec.response) context.close(exec.response);
    else context.close({ kind: 'reject', code: RejectCode.CanisterError, message: `Error from Canister ${this.id.toText()}: Canister did not reply to the call`, errorCode: ErrorCode.CanisterDidNotReply });
  }

  /** @internal A request from another canister (or itself). */
  runInterCanisterCall(caller: Principal, method: string, arg: Uint8Array, deliver: (response: Response) => void): void {
    const context = new CallContext(caller, IC_MESSAGE_LIMITS.maxUpdateReplyBytes, deliver);
    const target = this.methodExport(method, false);
    if (!target) {
      context.close({
        kind: 'reject',
        code: RejectCode.CanisterError,
        message: `Error from Canister ${this.id.toText()}: Canister has no update method '${method}'.`,
        errorCode: ErrorCode.CanisterMethodNotFound,
      });
      return;
    }
    if (target.isQuery) {
      this.runQuery(target.name, method, arg, caller, context, true);
      return;
    }
    this.host.tick();
    this.stable.begin();
    const exec = this.newExecution('update', method, arg, caller, this.host.limits.update);
    exec.context = context;
    this.finishReplicated(exec, this.execute(exec, () => this.invokeExport(target.name)));
  }

  /** @internal The response to one of this canister's calls: run its reply or reject callback. */
  runCallback(call: OutgoingCall, response: Response): void {
    const context = call.context;
    context.outstandingCalls--;
    this.host.tick();
    this.stable.begin();
    const isReply = response.kind === 'reply';
    const exec = this.newExecution(isReply ? 'reply_callback' : 'reject_callback', `${call.callee.toText()}.${call.method}`, isReply ? response.data : new Uint8Array(), context.caller, this.host.limits.update);
    exec.context = context;
    if (response.kind === 'reject') {
      exec.rejectCode = response.code;
      exec.rejectMessage = response.message;
    }
    const fun = isReply ? call.replyFun : call.rejectFun;
    const env = isReply ? call.replyEnv : call.rejectEnv;
    const outcome = this.execute(exec, () => this.invokeTableFunction(fun, env));
    if (outcome.trap && call.cleanup) {
      this.rollback();
      const { fun: cleanupFun, env: cleanupEnv } = call.cleanup;
      this.stable.begin();
      const cleanup = this.newExecution('cleanup', '', new Uint8Array(), context.caller, this.host.limits.update);
      const cleanupOutcome = this.execute(cleanup, () => this.invokeTableFunction(cleanupFun, cleanupEnv));
      if (cleanupOutcome.trap) this.rollback();
      else this.commit();
      if (!context.responded && context.outstandingCalls === 0) context.close(outcome.trap);
      return;
    }
    this.finishReplicated(exec, outcome);
  }

  private invokeTableFunction(index: number, env: number): void {
    const fn: unknown = this.table?.get(index);
    if (typeof fn !== 'function') throw new CanisterTrap(`callback ${index} is not a function in the canister's table`);
    (fn as (env: number) => void)(env);
  }

  /** @internal */
  timerDue(): boolean {
    return this.timerDeadline !== 0n && this.timerDeadline <= this.host.timeNs;
  }

  /** @internal Fires the global timer (it is deactivated first, as on the IC). */
  runTimer(): void {
    this.timerDeadline = 0n;
    this.committedTimer = 0n;
    if (typeof this.instance.exports.canister_global_timer !== 'function') return;
    this.host.tick();
    this.stable.begin();
    const exec = this.newExecution('timer', 'canister_global_timer', new Uint8Array(), this.id, this.host.limits.update);
    exec.context = new CallContext(this.id, IC_MESSAGE_LIMITS.maxUpdateReplyBytes);
    this.finishReplicated(exec, this.execute(exec, () => this.invokeExport('canister_global_timer')));
  }

  // ---- the System API -------------------------------------------------------------------------

  private exec(api: string): Execution {
    const exec = this.current;
    if (!exec) throw new CanisterTrap(`${api} called outside of a message`);
    return exec;
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  private readHeap(api: string, src: number, size: number): Uint8Array {
    const heap = this.bytes();
    const start = src >>> 0;
    const length = size >>> 0;
    if (start + length > heap.length) throw new CanisterTrap(`${api}: heap out of bounds`, ErrorCode.CanisterContractViolation);
    return heap.slice(start, start + length);
  }

  private writeHeap(api: string, dst: number, data: Uint8Array): void {
    const heap = this.bytes();
    const start = dst >>> 0;
    if (start + data.length > heap.length) throw new CanisterTrap(`${api}: heap out of bounds`, ErrorCode.CanisterContractViolation);
    heap.set(data, start);
  }

  /** Implements the `*_copy(dst, offset, size)` pattern over a byte source. */
  private copyOut(api: string, source: Uint8Array, dst: number, offset: number, size: number): void {
    const from = offset >>> 0;
    const length = size >>> 0;
    if (from + length > source.length) throw new CanisterTrap(`${api}: offset + size out of bounds of the source (${source.length} bytes)`, ErrorCode.CanisterContractViolation);
    this.writeHeap(api, dst, source.subarray(from, from + length));
  }

  private write128(api: string, dst: number, value: bigint): void {
    const out = new Uint8Array(16);
    const view = new DataView(out.buffer);
    view.setBigUint64(0, value & 0xffff_ffff_ffff_ffffn, true);
    view.setBigUint64(8, value >> 64n, true);
    this.writeHeap(api, dst, out);
  }

  private replyContext(api: string): { exec: Execution; context: CallContext } {
    const exec = this.exec(api);
    const context = exec.context;
    if (!context || !context.respond || exec.kind === 'init' || exec.kind === 'timer') {
      throw new CanisterTrap(`${api} cannot be called in ${exec.kind}`, ErrorCode.CanisterContractViolation);
    }
    if (context.responded || exec.response) throw new CanisterTrap(`${api}: the call has already been replied to or rejected`, ErrorCode.CanisterContractViolation);
    return { exec, context };
  }

  private systemApi(): Record<string, (...args: never[]) => unknown> {
    const utf8 = new TextDecoder();
    const api = {
      msg_arg_data_size: (): number => this.exec('msg_arg_data_size').arg.length,
      msg_arg_data_copy: (dst: number, offset: number, size: number): void => {
        this.copyOut('msg_arg_data_copy', this.exec('msg_arg_data_copy').arg, dst, offset, size);
      },
      msg_caller_size: (): number => this.exec('msg_caller_size').caller.toUint8Array().length,
      msg_caller_copy: (dst: number, offset: number, size: number): void => {
        this.copyOut('msg_caller_copy', this.exec('msg_caller_copy').caller.toUint8Array(), dst, offset, size);
      },
      msg_method_name_size: (): number => new TextEncoder().encode(this.exec('msg_method_name_size').method).length,
      msg_method_name_copy: (dst: number, offset: number, size: number): void => {
        this.copyOut('msg_method_name_copy', new TextEncoder().encode(this.exec('msg_method_name_copy').method), dst, offset, size);
      },
      msg_reject_code: (): number => this.exec('msg_reject_code').rejectCode ?? 0,
      msg_reject_msg_size: (): number => new TextEncoder().encode(this.exec('msg_reject_msg_size').rejectMessage ?? '').length,
      msg_reject_msg_copy: (dst: number, offset: number, size: number): void => {
        this.copyOut('msg_reject_msg_copy', new TextEncoder().encode(this.exec('msg_reject_msg_copy').rejectMessage ?? ''), dst, offset, size);
      },
      msg_reply_data_append: (src: number, size: number): void => {
        const { exec, context } = this.replyContext('ic0.msg_reply_data_append');
        const total = exec.replyBytes + (size >>> 0);
        if (total > context.maxReplyBytes) {
          throw new CanisterTrap(`ic0.msg_reply_data_append: application payload size (${total}) cannot be larger than ${context.maxReplyBytes}.`, ErrorCode.CanisterContractViolation);
        }
        exec.replyChunks.push(this.readHeap('ic0.msg_reply_data_append', src, size));
        exec.replyBytes = total;
      },
      msg_reply: (): void => {
        const { exec } = this.replyContext('ic0.msg_reply');
        exec.response = { kind: 'reply', data: concat(exec.replyChunks) };
      },
      msg_reject: (src: number, size: number): void => {
        const { exec } = this.replyContext('ic0.msg_reject');
        exec.response = { kind: 'reject', code: RejectCode.CanisterReject, message: utf8.decode(this.readHeap('ic0.msg_reject', src, size)), errorCode: ErrorCode.CanisterRejectedMessage };
      },
      accept_message: (): void => {
        const exec = this.exec('ic0.accept_message');
        if (exec.kind !== 'inspect') throw new CanisterTrap(`ic0.accept_message cannot be called in ${exec.kind}`, ErrorCode.CanisterContractViolation);
        if (exec.accepted === true) throw new CanisterTrap('ic0.accept_message: the message was already accepted', ErrorCode.CanisterContractViolation);
        exec.accepted = true;
      },
      msg_cycles_available128: (dst: number): void => this.write128('msg_cycles_available128', dst, 0n),
      msg_cycles_refunded128: (dst: number): void => this.write128('msg_cycles_refunded128', dst, 0n),
      msg_cycles_accept128: (_high: bigint, _low: bigint, dst: number): void => this.write128('msg_cycles_accept128', dst, 0n),
      cycles_burn128: (_high: bigint, _low: bigint, dst: number): void => this.write128('cycles_burn128', dst, 0n),
      canister_cycle_balance128: (dst: number): void => this.write128('canister_cycle_balance128', dst, CYCLE_BALANCE),
      canister_liquid_cycle_balance128: (dst: number): void => this.write128('canister_liquid_cycle_balance128', dst, CYCLE_BALANCE),
      cost_call: (methodNameSize: bigint, payloadSize: bigint, dst: number): void => {
        // The IC's fee on a 13-node subnet: 260K base (+ response reservation) and 1K per byte sent.
        this.write128('cost_call', dst, 260_000n + 1_000n * (methodNameSize + payloadSize) + 5_000_000n);
      },
      canister_self_size: (): number => this.id.toUint8Array().length,
      canister_self_copy: (dst: number, offset: number, size: number): void => {
        this.copyOut('canister_self_copy', this.id.toUint8Array(), dst, offset, size);
      },
      canister_version: (): bigint => this.version,
      is_controller: (src: number, size: number): number => {
        const principal = this.readHeap('ic0.is_controller', src, size);
        if (principal.length > 29) throw new CanisterTrap('ic0.is_controller: invalid principal', ErrorCode.CanisterContractViolation);
        const text = Principal.fromUint8Array(principal).toText();
        return this.controllers.some((c) => c.toText() === text) ? 1 : 0;
      },
      in_replicated_execution: (): number => (this.exec('in_replicated_execution').replicated ? 1 : 0),
      time: (): bigint => this.host.timeNs,
      global_timer_set: (timestamp: bigint): bigint => {
        const previous = this.timerDeadline;
        this.timerDeadline = BigInt.asUintN(64, timestamp);
        return previous;
      },
      performance_counter: (counterType: number): bigint => {
        const exec = this.exec('ic0.performance_counter');
        const inMessage = this.readCounter() - exec.counterStart;
        if (counterType === 0) return inMessage;
        if (counterType === 1) return (exec.context?.instructions ?? 0n) + inMessage;
        throw new CanisterTrap(`ic0.performance_counter: unknown counter type ${counterType}`, ErrorCode.CanisterContractViolation);
      },
      debug_print: (src: number, size: number): void => {
        this.debugLog.push(utf8.decode(this.readHeap('ic0.debug_print', src, size)));
      },
      trap: (src: number, size: number): never => {
        const message = utf8.decode(this.readHeap('ic0.trap', src, size));
        throw new CanisterTrap(`Canister called \`ic0.trap\` with message: '${message}'.`, ErrorCode.CanisterCalledTrap);
      },
      certified_data_set: (src: number, size: number): void => {
        if (size >>> 0 > 32) throw new CanisterTrap('ic0.certified_data_set: certified data cannot be larger than 32 bytes', ErrorCode.CanisterContractViolation);
        this.certifiedData = this.readHeap('ic0.certified_data_set', src, size);
      },
      // Non-replicated queries get a certificate: the IC HTTP interface's real one when the host has
      // one (host.dataCertificate), otherwise a marker followed by the certified data.
      data_certificate_present: (): number => {
        const exec = this.exec('data_certificate_present');
        return exec.kind === 'query' && !exec.replicated ? 1 : 0;
      },
      data_certificate_size: (): number => this.dataCertificate().length,
      data_certificate_copy: (dst: number, offset: number, size: number): void => {
        this.copyOut('data_certificate_copy', this.dataCertificate(), dst, offset, size);
      },
      stable64_size: (): bigint => BigInt(this.stable.pageCount),
      stable64_grow: (pages: bigint): bigint => BigInt(this.stable.grow(Number(pages))),
      stable64_write: (offset: bigint, src: bigint, size: bigint): void => {
        if (!this.stable.inBounds(Number(offset), Number(size))) throw new CanisterTrap('stable memory out of bounds', ErrorCode.CanisterTrapped);
        this.stable.write(Number(offset), this.readHeap('ic0.stable64_write', Number(src), Number(size)));
      },
      stable64_read: (dst: bigint, offset: bigint, size: bigint): void => {
        if (!this.stable.inBounds(Number(offset), Number(size))) throw new CanisterTrap('stable memory out of bounds', ErrorCode.CanisterTrapped);
        this.writeHeap('ic0.stable64_read', Number(dst), this.stable.read(Number(offset), Number(size)));
      },
      call_new: (calleeSrc: number, calleeSize: number, nameSrc: number, nameSize: number, replyFun: number, replyEnv: number, rejectFun: number, rejectEnv: number): void => {
        const exec = this.exec('ic0.call_new');
        if (!exec.replicated || !exec.context) throw new CanisterTrap(`ic0.call_new cannot be called in ${exec.kind}`, ErrorCode.CanisterContractViolation);
        exec.pendingCall = {
          callee: Principal.fromUint8Array(this.readHeap('ic0.call_new', calleeSrc, calleeSize)),
          method: utf8.decode(this.readHeap('ic0.call_new', nameSrc, nameSize)),
          arg: [],
          argBytes: 0,
          replyFun,
          replyEnv,
          rejectFun,
          rejectEnv,
          context: exec.context,
        };
      },
      call_on_cleanup: (fun: number, env: number): void => {
        const call = this.pendingCall('ic0.call_on_cleanup');
        call.cleanup = { fun, env };
      },
      call_data_append: (src: number, size: number): void => {
        const call = this.pendingCall('ic0.call_data_append');
        call.argBytes += size >>> 0;
        if (call.argBytes > IC_MESSAGE_LIMITS.maxArgBytes) {
          throw new CanisterTrap(`ic0.call_data_append: payload size (${call.argBytes}) cannot be larger than ${IC_MESSAGE_LIMITS.maxArgBytes}.`, ErrorCode.CanisterContractViolation);
        }
        call.arg.push(this.readHeap('ic0.call_data_append', src, size));
      },
      call_cycles_add128: (): void => {
        this.pendingCall('ic0.call_cycles_add128');
      },
      call_with_best_effort_response: (): void => {
        this.pendingCall('ic0.call_with_best_effort_response');
      },
      call_perform: (): number => {
        const exec = this.exec('ic0.call_perform');
        const call = this.pendingCall('ic0.call_perform');
        exec.pendingCall = undefined;
        exec.performedCalls.push(call);
        return 0;
      },
    };
    return api as unknown as Record<string, (...args: never[]) => unknown>;
  }

  private pendingCall(api: string): OutgoingCall {
    const call = this.exec(api).pendingCall;
    if (!call) throw new CanisterTrap(`${api} called without a call in construction (ic0.call_new)`, ErrorCode.CanisterContractViolation);
    return call;
  }

  private dataCertificate(): Uint8Array {
    const real = this.host.dataCertificate?.(this);
    if (real) return real;
    const marker = new TextEncoder().encode('decentai-host-fake-certificate:');
    const out = new Uint8Array(marker.length + this.certifiedData.length);
    out.set(marker);
    out.set(this.certifiedData, marker.length);
    return out;
  }
}

function toCallResult(context: CallContext): CallResult {
  const response = context.response;
  if (!response) {
    // Still waiting on calls that never came back (cannot happen once the host is idle).
    return { status: 'rejected', rejectCode: RejectCode.SysUnknown, rejectMessage: 'the call context was left open', instructions: context.instructions };
  }
  if (response.kind === 'reply') return { status: 'replied', reply: response.data, instructions: context.instructions };
  return { status: 'rejected', rejectCode: response.code, rejectMessage: response.message, errorCode: response.errorCode, instructions: context.instructions };
}
