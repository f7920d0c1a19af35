// QuickJS's cycle collector, run at a moment we choose.
//
// Azle 0.33 runs QuickJS-ng with its default allocator, whose usable-size query answers 0 on
// wasm32-wasi: every allocation counts as 8 bytes whatever its size, so the collector runs when
// the number of live allocations passes 1.5 × what it was after the last collection (its
// threshold, checked at each object creation). One run costs ~9M instructions with the core and
// one small model loaded (it visits every live object), and falls on whichever message crosses
// the threshold: measured, the spam model's first commit on a fresh canister (engine load 27.1M
// against 18.5M when committed again). JavaScript has no call to run it, so collectCyclesIfDue
// makes it run: it holds fresh strings (one allocation each) until a WeakRef to an unreachable
// cycle is cleared, which only the collector does.

/** Strings held per step (one native split: each is one allocation). */
const STEP = 256;
/** Steps tried at most: the collector runs only when it is due within STEP × MAX_STEPS allocations. */
const MAX_STEPS = 64;

let filler: string | undefined;

/**
 * Runs the cycle collector now when it would run within the next ~16K allocations (a commit of
 * the spam model retains fewer), so the next message starts with the collector's whole room
 * (half the live allocations). Returns whether it ran. Cost: ~1K instructions per allocation
 * made (and as much to free them), plus the collection itself when it runs.
 */
export function collectCyclesIfDue(): boolean {
  let cycle: { self?: unknown } | undefined = {};
  cycle.self = cycle;
  const probe = new WeakRef(cycle);
  cycle = undefined;
  filler ??= 'x'.repeat(STEP);
  const held: string[][] = [];
  for (let i = 0; i < MAX_STEPS; i++) {
    held.push(filler.split(''));
    if (probe.deref() === undefined) return true;
  }
  return false;
}
