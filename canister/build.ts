// A model built over several messages (issue 9): the engine loads it with its int8 Dense
// kernels' packing deferred (engine/deferred-packing.ts), and the registry packs a few steps
// per message (commit or activate, then timer messages; after an upgrade, the timer's) until
// the instruction counter reaches BUILD_MESSAGE_BUDGET. The model answers nothing before it is
// complete: a new name answers `loading`; a name with an active version keeps answering with
// that version until the new one is built, then switches in one message.

import type { DeferredPacking, Model } from '../engine/index.ts';
import type { VersionRecord } from './registry.ts';

/**
 * Instructions one message may spend building models (the counter is read between packing
 * steps, each at most ~50M): half the IC's 40B update limit, so the load before, one step
 * past the budget and the save after leave a wide margin.
 */
export const BUILD_MESSAGE_BUDGET = 20_000_000_000;
/** Lowest budget set_build_budget accepts (tests and operators; each message still runs one step at least). */
export const MIN_BUILD_BUDGET = 10_000_000;
/**
 * How many times its floor estimate the trial prediction may cost (the floors are lower bounds:
 * the packed int8 kernel takes ~432 per multiply-add against a floor of 100, the lanes ~110–130,
 * float ~1,180 against 1,000): the trial runs in the message that did packing only when spent +
 * this × estimate stays under the 39B an update may use (registry.ts UPDATE_PREDICT_BUDGET).
 */
export const TRIAL_ESTIMATE_FACTOR = 5;

export class ModelBuild {
  /** Messages that packed a step of it so far. */
  messages = 0;
  constructor(
    readonly record: VersionRecord,
    readonly bytes: Uint8Array,
    readonly model: Model,
    readonly packing: DeferredPacking,
    /** Whether the trial prediction (commit's measure) runs when the packing is done. */
    readonly measure: boolean,
    /** The version active before this one (commit, activate): active again if this one fails; null when none, undefined after an upgrade. */
    readonly previous: number | null | undefined,
  ) {}

  get name(): string {
    return this.record.name;
  }

  /** Runs packing steps until done or the message's counter reaches `budget` (no counter: all of them). Returns whether the packing is done. */
  pack(counter: (() => bigint) | undefined, budget: number): boolean {
    if (this.packing.done()) return true;
    this.messages += 1;
    const limit = BigInt(budget);
    return this.packing.run(counter === undefined ? undefined : () => counter() >= limit);
  }

  /** What `loading` says of it. */
  progress(): string {
    const { packed, total } = this.packing.weights();
    const percent = total > 0 ? Math.floor((100 * packed) / total) : 100;
    return `${this.name} v${this.record.version} is being built over several messages (${percent}% of its ${total} int8 weights packed${this.packing.done() && this.measure ? ', its trial prediction next' : ''})`;
  }
}
