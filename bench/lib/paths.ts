import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Gitignored scratch space for generated sources, models and wasm. */
export const buildDir = join(repoRoot, 'bench', 'build');
/** The real spam model, kept outside the repo (never copied in). */
export const sharedSpamModelDir = resolve(repoRoot, '..', 'shared', 'models', 'spam-detection');
export const defaultModelDir = join(repoRoot, 'models', 'default');

/** The spam model when ../shared has it; otherwise null (the bench reports it as skipped). */
export function spamModelDir(): string | null {
  return existsSync(join(sharedSpamModelDir, 'model.json')) ? sharedSpamModelDir : null;
}
