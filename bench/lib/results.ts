// The shape of one bench run: what run.ts collects and report.ts renders.
import type { CallKind } from './cycles.ts';

/** One canister message, measured. */
export interface CallMeasurement {
  /** Stable key in results.json, e.g. "spam.candid.predict_short". */
  id: string;
  label: string;
  kind: CallKind;
  /** Instructions of the whole message, as metered by the host. */
  instructions: number;
  /** Instructions inside the method (performance counter), when the method reports it. */
  methodInstructions?: number;
  note?: string;
}

/** A free-form table (Node timings, sizes, scaling) with its figures. */
export interface FigureTable {
  headers: string[];
  rows: string[][];
}

export interface Section {
  id: string;
  title: string;
  /** One or two sentences: what was measured and how. */
  description?: string;
  calls: CallMeasurement[];
  tables: FigureTable[];
  /** Every number of the section, flat, for results.json (keys are prefixed with the section id). */
  figures: Record<string, number | string | boolean | null>;
  /** Why part or all of the section was not measured. */
  skipped: string[];
}

export function newSection(id: string, title: string, description?: string): Section {
  return { id, title, description, calls: [], tables: [], figures: {}, skipped: [] };
}

/** "informational": a line beside a target that has no limit of its own (e.g. the same measure with a confound removed). */
export type TargetStatus = 'met' | 'missed' | 'not measured' | 'informational';

export interface TargetResult {
  id: string;
  /** The target as the issue states it. */
  statement: string;
  measured: number | null;
  /** How the measured value is shown (e.g. "0.52M instructions"). */
  measuredText: string;
  status: TargetStatus;
  /** Where the instructions go, or why it was not measured. */
  detail?: string;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
}

export interface BenchResults {
  date: string;
  quick: boolean;
  durationSeconds: number;
  machine: MachineInfo;
  versions: Record<string, string>;
  host: string;
  prices: Record<string, number | string>;
  models: Record<string, string>;
  sections: Section[];
  targets: TargetResult[];
}
