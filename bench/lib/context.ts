// What every bench section receives.
import type { Section } from './results.ts';

export interface BenchContext {
  /** Creates the section being run and registers it, so its figures survive a failure later in the section. */
  openSection(id: string, title: string, description?: string): Section;
  /** --quick: skip the expensive parts (each section says what it skipped). */
  quick: boolean;
  /** A progress line on stderr. */
  progress(message: string): void;
  /** Directory of the real spam model (TF.js files), or null when ../shared is absent. */
  spamModelDir: string | null;
  /** Directory of the repo's default model (TF.js files + default.dcai). */
  defaultModelDir: string;
}
