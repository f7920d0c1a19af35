// npm run predict -- <model file> [--text T | --tokens 1,2,3 | --input 0.5,1.5 [--shape 1,2] | --input-file F [--dtype uint8]]
//
// Prints {"label":"...","scores":{label: p}} (the REST answer's shape; one line per item of a
// batch). Without an input flag, reads JSON lines from stdin ({"text":..}, {"texts":[..]},
// {"tokens":[..]}, {"input":..} as flat or nested arrays, with "shape" beside it, or
// {"inputs":{name:..}}) and writes one JSON line per input; a bad line gets one error line on
// stderr and the stream goes on (exit code 1 at the end). Other errors: one line on stderr,
// exit code 1 (2 for usage errors).
// A tool, not part of the engine runtime: the only engine file that uses Node APIs.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { argsErrorMessage, isArgsError } from './cli-args.ts';
import { InputError, ModelFormatError } from './errors.ts';
import { bindInputs, flattenNested, inputSpecs, predictBound, rawTensors, shapeText, type GivenTensor } from './inputs.ts';
import { loadModel, type EngineModel } from './model.ts';

const USAGE = `Usage: npm run predict -- <model file> [--text T | --tokens 1,2,3 | --input 0.5,1.5 | --input-file F]

Runs one prediction and prints the REST API's answer shape (one line per item of a batch):
  {"label":"spam","scores":{"ham":0.02,"spam":0.98}}
Without an input flag, reads JSON lines from stdin, one input per line:
  {"text":"..."}  {"texts":["...","..."]}  {"tokens":[1,2,3]}  {"input":[0.5,1.5]}
  {"input":[[0.1,0.2],[0.3,0.4]]}            nested arrays of the input's shape (a leading axis: a batch)
  {"input":[0.1,0.2,0.3,0.4],"shape":[2,2]}  a flat array with its shape
  {"inputs":{"a":[..],"b":[..]}}             a model of several inputs, by name
and writes one JSON line per item ({"predictions":[...]} for "texts"). A bad line gets one
error line on stderr and the rest still run; the exit code is then 1.
The model file is a converted .dcai (npm run convert -- model.json -o model.dcai).

Options:
  --text T         text (tokens models with a tokenizer)
  --tokens LIST    comma-separated token ids
  --input LIST     comma-separated floats, row-major (vector models)
  --shape DIMS     the shape of --input or --input-file, e.g. 28,28,1 (a leading axis: a batch);
                   checked against the model's input
  --input-file F   raw little-endian numbers (e.g. an image's pixels), several inputs concatenated
                   in the model's order
  --dtype T        of --input-file: float32 (default) or uint8
  --int8-float     run int8 tensors dequantized to float32 instead of integer kernels
  -h, --help       show this help

The model's inputs (name, shape, dtype) are listed in the error for an input of the wrong shape.`;

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

/** {label, scores: {label: p}}, as one prediction of the REST answer. */
function prediction(model: EngineModel, scores: Float32Array): { label: string; scores: Record<string, number> } {
  const byLabel: Record<string, number> = {};
  model.labels.forEach((label, i) => (byLabel[label] = scores[i]));
  return { label: model.labels[model.argmax(scores)], scores: byLabel };
}

function predictionLine(model: EngineModel, scores: Float32Array): string {
  return JSON.stringify(prediction(model, scores));
}

type Input = { text: string } | { texts: string[] } | { tokens: number[] } | { input: number[] } | { tensors: GivenTensor[] };

/** Items in one batch. */
const MAX_BATCH = 1024;

function predict(model: EngineModel, input: Input): string {
  if ('texts' in input) return JSON.stringify({ predictions: input.texts.map((text) => prediction(model, model.predictText(text))) });
  if ('text' in input) return predictionLine(model, model.predictText(input.text));
  if ('tokens' in input) return predictionLine(model, model.predictTokens(input.tokens));
  if ('input' in input) return predictionLine(model, model.predictVector(input.input));
  const bound = bindInputs(model, input.tensors, MAX_BATCH);
  const scores = predictBound(model, bound);
  const width = model.outputSize;
  const lines: string[] = [];
  for (let i = 0; i < bound.count; i++) lines.push(predictionLine(model, scores.subarray(i * width, (i + 1) * width)));
  return lines.join('\n');
}

function parseShape(text: string): number[] {
  const shape = parseNumberList(text, 'shape');
  if (shape.length === 0 || shape.length > 8 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new CliError(`--shape: expected 1 to 8 comma-separated non-negative integers, got '${text}'`, 2);
  }
  return shape;
}

/** A JSON tensor: nested arrays, or a flat array with "shape" beside it. */
function jsonTensor(value: unknown, shape: unknown, what: string, name?: string): GivenTensor {
  const { shape: nested, values } = flattenNested(value, what, Number.MAX_SAFE_INTEGER);
  if (shape === undefined) return { name, shape: nested, values };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CliError(`${what}: "shape" must be an array of non-negative integers`);
  return { name, shape: shape as number[], values };
}

/** --input-file: raw little-endian float32 or uint8 values (engine/inputs.ts rawTensors splits them over the inputs). */
function fileInput(model: EngineModel, bytes: Uint8Array, dtype: string, shape: number[] | undefined): Input {
  if (dtype !== 'float32' && dtype !== 'uint8') throw new CliError(`--dtype: float32 or uint8, got '${dtype}'`, 2);
  if (dtype === 'float32' && bytes.length % 4 !== 0) throw new CliError(`--input-file: ${bytes.length} bytes is not whole float32 values (4 bytes each, little-endian); use --dtype uint8 for bytes`);
  const values = dtype === 'uint8' ? bytes : new Float32Array(new Uint8Array(bytes).buffer); // a copy: readFileSync's Buffer may sit in a shared pool
  return { tensors: rawTensors(model, values, shape, dtype, dtype === 'uint8' ? 1 : 4) };
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
    if (keys.length === 2 && 'input' in record && 'shape' in record) return { tensors: [jsonTensor(record.input, record.shape, `stdin line ${lineNumber}: "input"`)] };
    if (keys.length === 1 && 'input' in record && Array.isArray(record.input) && record.input.some((x) => Array.isArray(x))) {
      return { tensors: [jsonTensor(record.input, undefined, `stdin line ${lineNumber}: "input"`)] };
    }
    if (keys.length === 1 && typeof record.inputs === 'object' && record.inputs !== null && !Array.isArray(record.inputs)) {
      const inputs = record.inputs as Record<string, unknown>;
      return { tensors: Object.keys(inputs).map((name) => jsonTensor(inputs[name], undefined, `stdin line ${lineNumber}: "inputs"."${name}"`, name)) };
    }
    if (keys.length === 1) {
      if (typeof record.text === 'string') return { text: record.text };
      if (Array.isArray(record.texts) && record.texts.every((t) => typeof t === 'string')) return { texts: record.texts as string[] };
      const numbers = record.tokens ?? record.input;
      if (Array.isArray(numbers) && numbers.every((n) => typeof n === 'number')) {
        return 'tokens' in record ? { tokens: numbers as number[] } : { input: numbers as number[] };
      }
    }
  }
  throw new CliError(`stdin line ${lineNumber}: expected {"text": string}, {"texts": [strings]}, {"tokens": [numbers]}, {"input": [numbers or nested arrays]} (with "shape" beside it) or {"inputs": {name: [..]}}`);
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
      shape: { type: 'string' },
      'input-file': { type: 'string' },
      dtype: { type: 'string' },
      'int8-float': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) throw new CliError(`expected exactly one model file, got ${positionals.length} (see --help)`, 2);
  const given = [values.text, values.tokens, values.input, values['input-file']].filter((value) => value !== undefined).length;
  if (given > 1) throw new CliError('give at most one of --text, --tokens, --input, --input-file', 2);
  if (values.shape !== undefined && values.input === undefined && values['input-file'] === undefined) throw new CliError('--shape goes with --input or --input-file', 2);
  if (values.dtype !== undefined && values['input-file'] === undefined) throw new CliError('--dtype goes with --input-file', 2);
  const shape = values.shape === undefined ? undefined : parseShape(values.shape);

  const path = positionals[0];
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new CliError(`'${path}' is a directory: predict takes a converted model file (npm run convert -- ${path} -o model.dcai, then predict with model.dcai)`);
    throw new CliError(`cannot read model file '${path}': ${code ?? (error as Error).message}`);
  }
  if (looksLikeModelJson(bytes)) throw new CliError(`'${path}' is a TF.js model.json, not a converted model: run npm run convert -- ${path} -o model.dcai first, then predict with model.dcai`);
  const model = loadModel(bytes, { int8: values['int8-float'] ? 'float' : 'integer' });

  if (values.text !== undefined) return void process.stdout.write(`${predict(model, { text: values.text })}\n`);
  if (values.tokens !== undefined) return void process.stdout.write(`${predict(model, { tokens: parseNumberList(values.tokens, 'tokens') })}\n`);
  const run = (input: Input) => {
    try {
      return predict(model, input);
    } catch (error) {
      if (error instanceof InputError && (error.code === 'wrong_shape' || error.code === 'wrong_length')) {
        throw new CliError(`bad input (${error.code}): ${error.message}; the model's inputs: ${inputSpecs(model).map((s) => `${s.name} ${shapeText(s.shape)} ${s.dtype}`).join(', ')}`);
      }
      throw error;
    }
  };
  if (values.input !== undefined) {
    const list = parseNumberList(values.input, 'input');
    return void process.stdout.write(`${run(shape === undefined ? { input: list } : { tensors: [{ shape, values: list }] })}\n`);
  }
  const file = values['input-file'];
  if (file !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new CliError(`cannot read input file '${file}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return void process.stdout.write(`${run(fileInput(model, bytes, values.dtype ?? 'float32', shape))}\n`);
  }

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  let inputs = 0;
  let failed = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    inputs++;
    try {
      process.stdout.write(`${predict(model, parseJsonLine(line, lineNumber))}\n`);
    } catch (error) {
      if (!(error instanceof InputError) && !(error instanceof CliError)) throw error;
      failed++;
      const message = error instanceof InputError ? `stdin line ${lineNumber}: bad input (${error.code}): ${error.message}` : error.message;
      process.stderr.write(`predict: ${message}\n`);
    }
  }
  if (failed > 0) throw new CliError(`${failed} of ${inputs} input lines failed`);
}

/** Text starting with '{': a model.json given in place of a converted model. */
function looksLikeModelJson(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b; // '{'
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const { message, exitCode } = describeError(error);
  process.stderr.write(`predict: ${message}\n`);
  process.exitCode = exitCode;
});
