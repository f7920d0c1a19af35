// What every bench section receives.
export interface BenchContext {
  /** --quick: skip the expensive parts (each section says what it skipped). */
  quick: boolean;
  /** A progress line on stderr. */
  progress(message: string): void;
  /** Directory of the real spam model (TF.js files), or null when ../shared is absent. */
  spamModelDir: string | null;
  /** Directory of the repo's default model (TF.js files + default.dcai). */
  defaultModelDir: string;
}
