// Errors of node:util parseArgs for people: Node appends, to an unknown option, a hint
// about `--` (how to pass a positional that starts with '-'), which none of our CLIs need.

/** True for the errors parseArgs throws (a TypeError with an ERR_PARSE_ARGS_* code). */
export function isArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** The message of any error, without parseArgs's `--` hint. */
export function argsErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return isArgsError(error) ? message.replace(/\. To specify a positional argument[\s\S]*$/, '') : message;
}
