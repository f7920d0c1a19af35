// Packing left for later: with LoadOptions.deferPacking, loadModel allocates the int8 Dense
// kernels' packed forms but fills none of them; it queues one job per kernel here instead.
// The caller runs the jobs, a step at a time, in as many messages as their instructions need
// (canister/build.ts: a safe budget per message, far under the IC's 40B update limit), and the
// model must not predict before `done()` (its kernels hold zeros until then).
// The steps are those of the one-message packers (packLaneKernel = packLaneRows over every
// lane, then packLaneColumns over every column; packInt8Kernel = packInt8Lanes over every
// lane), so a model built in steps is the same model, bit for bit.

import { fillPackedInt8Lanes, packedInt8LaneCount, packInt8Lanes } from './kernels.ts';
import { lanePackingBytes, packLaneColumns, packLaneRows, type LanePacking } from './kernels-lanes.ts';

/**
 * Instructions per weight of each packer in the canister (bench/profile, 1024²): lanes 5,770
 * (~3,300 the hex digits of packLaneRows, ~2,450 packLaneColumns' strings and BigInt parses),
 * float64 pairs 1,545. Estimates only: a build decides by them whether it fits one message,
 * and then reads the instruction counter between steps.
 */
export const PACK_INSTRUCTIONS_PER_WEIGHT = { lanes: 5_800, packed: 1_550 };

/** One kernel's packing: `steps` steps, run in order, of about weights/steps weights each. */
export interface PackingJob {
  readonly weights: number;
  /** Heap bytes its packed form takes (allocated by its first step, none at load). */
  readonly bytes: number;
  readonly instructionsPerWeight: number;
  readonly steps: number;
  /** Runs steps [from, to). */
  run(from: number, to: number): void;
}

/** The packing jobs of one load, and how far they have run. */
export class DeferredPacking {
  readonly jobs: PackingJob[] = [];
  private job = 0;
  private step = 0;

  add(job: PackingJob): void {
    this.jobs.push(job);
  }

  done(): boolean {
    return this.job >= this.jobs.length;
  }

  /** Weights of every job, and of the steps run so far. */
  weights(): { packed: number; total: number } {
    let total = 0;
    let packed = 0;
    for (let k = 0; k < this.jobs.length; k++) {
      const j = this.jobs[k];
      total += j.weights;
      if (k < this.job) packed += j.weights;
      else if (k === this.job) packed += Math.floor((j.weights * this.step) / j.steps);
    }
    return { packed, total };
  }

  /** Heap bytes the packed forms take once built. */
  bytes(): number {
    let n = 0;
    for (const j of this.jobs) n += j.bytes;
    return n;
  }

  /** Estimated instructions of the steps not run yet. */
  remainingInstructions(): number {
    let n = 0;
    for (let k = this.job; k < this.jobs.length; k++) {
      const j = this.jobs[k];
      const left = k === this.job ? (j.steps - this.step) / j.steps : 1;
      n += j.weights * j.instructionsPerWeight * left;
    }
    return Math.ceil(n);
  }

  /**
   * Runs steps in order until every job is done, or `stop()` answers true (asked after each
   * step, so at least one step runs). Without `stop`, runs everything. Returns done().
   */
  run(stop?: () => boolean): boolean {
    while (this.job < this.jobs.length) {
      const j = this.jobs[this.job];
      if (stop === undefined) {
        j.run(this.step, j.steps);
        this.step = j.steps;
      } else {
        j.run(this.step, this.step + 1);
        this.step += 1;
      }
      if (this.step >= j.steps) {
        this.job += 1;
        this.step = 0;
      }
      if (stop !== undefined && this.job < this.jobs.length && stop()) break;
    }
    return this.done();
  }
}

/** packLaneKernel in steps: one per lane (row), then one per column. */
export function lanePackingJob(packing: LanePacking): PackingJob {
  const units = packing.kernel.units;
  const columns = packing.kernel.inputSize;
  return {
    weights: units * columns,
    bytes: lanePackingBytes(packing),
    instructionsPerWeight: PACK_INSTRUCTIONS_PER_WEIGHT.lanes,
    steps: units + columns,
    run(from: number, to: number): void {
      if (from < units) packLaneRows(packing, from, Math.min(to, units));
      if (to > units) packLaneColumns(packing, Math.max(from, units) - units, to - units);
    },
  };
}

/** packInt8Kernel in steps: one per float64 lane (two rows), into `lanes` (empty: its first step allocates them). */
export function packedPackingJob(kernel: Int8Array, units: number, inputSize: number, laneScale: number, lanes: Float64Array[]): PackingJob {
  const count = packedInt8LaneCount(units);
  return {
    weights: units * inputSize,
    bytes: count * inputSize * 8,
    instructionsPerWeight: PACK_INSTRUCTIONS_PER_WEIGHT.packed,
    steps: count,
    run(from: number, to: number): void {
      if (lanes.length === 0) fillPackedInt8Lanes(lanes, units, inputSize);
      packInt8Lanes(kernel, units, inputSize, laneScale, lanes, from, to);
    },
  };
}
