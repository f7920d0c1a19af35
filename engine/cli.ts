// npm run predict -- <model file> [--text T | --tokens 1,2,3 | --input 0.5,1.5]
//
// Prints {"scores":[...],"label":"..."}. Without an input flag, reads JSON lines
// from stdin ({"text":..}, {"tokens":[..]} or {"input":[..]}) and writes one JSON
// line per input. Errors: one line on stderr, exit code 1 (2 for usage errors).
// A tool, not part of the engine runtime: the only engine file that uses Node APIs.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { argsErrorMessage, isArgsError } from './cli-args.ts';
import { InputError, ModelFormatError } from './errors.ts';
import { loadModel, type EngineModel } from './model.ts';

const USAGE = `Usage: npm run predict -- <model file> [--text T | --tokens 1,2,3 | --input 0.5,1.5]

Runs one prediction and prints {"scores":[...],"label":"..."}.
Without --text/--tokens/--input, reads JSON lines from stdin, one input per line:
  {"text":"..."}  {"tokens":[1,2,3]}  {"input":[0.5,1.5]}
and writes one JSON line per input.

Options:
  --text T         text (tokens models with a tokenizer)
  --tokens LIST    comma-separated token ids
  --input LIST     comma-separated floats (vector models)
  --int8-float     run int8 tensors dequantized to float32 instead of integer kernels
  -h, --help       show this help`;

/** A problem to report in one line; `usage` errors exit with 2. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function parseNumberList(text: string, what: string): number[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part, i) => {
    const value = Number(part.trim());
    if (part.trim() === '' || Number.isNaN(value)) throw new CliError(`--${what}: item ${i + 1} '${part}' is not a number`);
    return value;
  });
}

function predictionLine(model: EngineModel, scores: Float32Array): string {
  return JSON.stringify({ scores: Array.from(scores), label: model.labels[model.argmax(scores)] });
}

type Input = { text: string } | { tokens: number[] } | { input: number[] };

function predict(model: EngineModel, input: Input): string {
  if ('text' in input) return predictionLine(model, model.predictText(input.text));
  if ('tokens' in input) return predictionLine(model, model.predictTokens(input.tokens));
  return predictionLine(model, model.predictVector(input.input));
}

/** One stdin line as an Input, or a CliError saying what is wrong with it. */
function parseJsonLine(line: string, lineNumber: number): Input {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new CliError(`stdin line ${lineNumber}: not valid JSON`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      if (typeof record.text === 'string') return { text: record.text };
      const numbers = record.tokens ?? record.input;
      if (Array.isArray(numbers) && numbers.every((n) => typeof n === 'number')) {
        return 'tokens' in record ? { tokens: numbers as number[] } : { input: numbers as number[] };
      }
    }
  }
  throw new CliError(`stdin line ${lineNumber}: expected {"text": string}, {"tokens": [numbers]} or {"input": [numbers]}`);
}

function describeError(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ModelFormatError) return { message: `invalid model file (${error.code}): ${error.message}`, exitCode: 1 };
  if (error instanceof InputError) return { message: `bad input (${error.code}): ${error.message}`, exitCode: 1 };
  if (isArgsError(error)) return { message: `${argsErrorMessage(error)} (see --help)`, exitCode: 2 };
  return { message: error instanceof Error ? error.message : String(error), exitCode: 1 };
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      text: { type: 'string' },
      tokens: { type: 'string' },
      input: { type: 'string' },
      'int8-float': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) throw new CliError(`expected exactly one model file, got ${positionals.length} (see --help)`, 2);
  const given = [values.text, values.tokens, values.input].filter((value) => value !== undefined).length;
  if (given > 1) throw new CliError('give at most one of --text, --tokens, --input', 2);

  const path = positionals[0];
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`cannot read model file '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const model = loadModel(bytes, { int8: values['int8-float'] ? 'float' : 'integer' });

  if (values.text !== undefined) return void process.stdout.write(`${predict(model, { text: values.text })}\n`);
  if (values.tokens !== undefined) return void process.stdout.write(`${predict(model, { tokens: parseNumberList(values.tokens, 'tokens') })}\n`);
  if (values.input !== undefined) return void process.stdout.write(`${predict(model, { input: parseNumberList(values.input, 'input') })}\n`);

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    try {
      process.stdout.write(`${predict(model, parseJsonLine(line, lineNumber))}\n`);
    } catch (error) {
      if (error instanceof InputError) throw new CliError(`stdin line ${lineNumber}: bad input (${error.code}): ${error.message}`);
      throw error;
    }
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const { message, exitCode } = describeError(error);
  process.stderr.write(`predict: ${message}\n`);
  process.exitCode = exitCode;
});
