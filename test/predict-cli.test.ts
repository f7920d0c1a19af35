// engine/cli.ts end to end: run with tsx as a child process on models converted
// into a temporary directory. (node_modules/.bin/tsx is what `npx tsx` runs;
// calling it directly keeps npm's own warnings out of the checked stderr.)
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputSpecs, loadModel } from '../engine/index.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = resolve(repoRoot, 'node_modules/.bin/tsx');
const cli = resolve(repoRoot, 'engine/cli.ts');
let dir: string;
let textModelPath: string;
let vectorModelPath: string;
let textBytes: Uint8Array;
let vectorBytes: Uint8Array;
let gridModelPath: string;
let gridBytes: Uint8Array;

function run(args: string[], stdin = ''): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(tsx, [cli, ...args], { input: stdin, encoding: 'utf8', cwd: repoRoot, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The REST answer's scores: {label: p}. */
function byLabel(labels: readonly string[], scores: Float32Array): Record<string, number> {
  return Object.fromEntries(labels.map((label, i) => [label, scores[i]]));
}

/** One line on stderr, no stack trace, non-zero exit. */
function expectCleanFailure(result: { status: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(result.status).not.toBe(0);
  expect(result.status).not.toBeNull();
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'decentai-predict-'));
  const tokens = tf.sequential();
  tokens.add(tf.layers.embedding({ inputDim: 6, outputDim: 3, inputLength: 5, inputShape: [5] }));
  tokens.add(tf.layers.globalAveragePooling1d());
  tokens.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  textBytes = await convertTfjsModel(tokens, { vocabText: '<PAD> 0\n<START> 1\n<UNKNOWN> 2\nfree 3\nprize 4\nhello 5\n', labelsText: 'ham\nspam\n' });
  const vector = tf.sequential();
  vector.add(tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [2] }));
  vectorBytes = await convertTfjsModel(vector, { labelsText: 'x\ny\nz\n' });
  const grid = tf.sequential();
  grid.add(tf.layers.flatten({ inputShape: [2, 3] }));
  grid.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  gridBytes = await convertTfjsModel(grid, { labelsText: 'p\nq\nr\n' });
  gridModelPath = join(dir, 'grid.dcai');
  writeFileSync(gridModelPath, gridBytes);
  writeFileSync(join(dir, 'grid.f32'), new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]).buffer));
  writeFileSync(join(dir, 'grid.u8'), Uint8Array.from([10, 20, 30, 40, 50, 60]));
  textModelPath = join(dir, 'text.dcai');
  vectorModelPath = join(dir, 'vector.dcai');
  writeFileSync(textModelPath, textBytes);
  writeFileSync(vectorModelPath, vectorBytes);
  writeFileSync(join(dir, 'garbage.dcai'), 'this is not a model file at all, just some text');
  writeFileSync(join(dir, 'model.json'), '{"format":"layers-model","modelTopology":{}}');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run predict (engine/cli.ts)', () => {
  it('--text prints scores and the label', () => {
    const result = run([textModelPath, '--text', 'Free PRIZE, hello!']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout);
    const expected = loadModel(textBytes).predictText('Free PRIZE, hello!');
    expect(output).toEqual({ label: expected[0] >= expected[1] ? 'ham' : 'spam', scores: byLabel(['ham', 'spam'], expected) });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('--tokens and --input', () => {
    const tokens = run([textModelPath, '--tokens', '1,3,4']);
    expect(tokens.status).toBe(0);
    expect(JSON.parse(tokens.stdout).scores).toEqual(byLabel(['ham', 'spam'], loadModel(textBytes).predictTokens([1, 3, 4])));
    const input = run([vectorModelPath, '--input', '0.5,-1.5']);
    expect(input.status).toBe(0);
    const parsed = JSON.parse(input.stdout);
    expect(parsed.scores).toEqual(byLabel(['x', 'y', 'z'], loadModel(vectorBytes).predictVector([0.5, -1.5])));
    expect(['x', 'y', 'z']).toContain(parsed.label);
  });

  it('reads JSON lines from stdin and writes one line per input', () => {
    const result = run([textModelPath], '{"text":"free prize"}\n\n{"tokens":[1,5,5]}\n{"text":""}\n{"texts":["hello","free"]}\n');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(4);
    const model = loadModel(textBytes);
    const labels = ['ham', 'spam'];
    expect(lines[0].scores).toEqual(byLabel(labels, model.predictText('free prize')));
    expect(lines[1].scores).toEqual(byLabel(labels, model.predictTokens([1, 5, 5])));
    expect(lines[2].scores).toEqual(byLabel(labels, model.predictText('')));
    expect(lines[3].predictions.map((p: { scores: unknown }) => p.scores)).toEqual(['hello', 'free'].map((t) => byLabel(labels, model.predictText(t))));
    const vectors = run([vectorModelPath], '{"input":[1,2]}\n{"input":[0,0]}\n');
    expect(vectors.status).toBe(0);
    expect(vectors.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('N-D inputs: --input with --shape (a leading axis: a batch), --input-file float32/uint8, nested JSON lines', () => {
    const model = loadModel(gridBytes);
    const want = (x: number[]) => byLabel(model.labels, model.predictVector(x));
    const a = [1, 2, 3, 4, 5, 6];
    const b = [-1, -2, -3, -4, -5, -6];
    const one = run([gridModelPath, '--input', a.join(','), '--shape', '2,3']);
    expect(one.stderr).toBe('');
    expect(JSON.parse(one.stdout).scores).toEqual(want(a));
    const lines = (r: { stdout: string; stderr: string }) => {
      expect(r.stderr).toBe('');
      return r.stdout.trim().split('\n').map((l) => JSON.parse(l).scores);
    };
    expect(lines(run([gridModelPath, '--input', [...a, ...b].join(','), '--shape', '2,2,3']))).toEqual([want(a), want(b)]);
    expect(lines(run([gridModelPath, '--input-file', join(dir, 'grid.f32')]))).toEqual([want(a), want(b)]);
    expect(lines(run([gridModelPath, '--input-file', join(dir, 'grid.u8'), '--dtype', 'uint8', '--shape', '2,3']))).toEqual([want([10, 20, 30, 40, 50, 60])]);
    const stdin = `{"input":[[1,2,3],[4,5,6]]}\n{"input":[-1,-2,-3,-4,-5,-6],"shape":[2,3]}\n{"inputs":{"${inputSpecs(model)[0].name}":[[1,2,3],[4,5,6]]}}\n`;
    expect(lines(run([gridModelPath], stdin))).toEqual([want(a), want(b), want(a)]);
  });

  it('--help', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: npm run predict/);
  });

  it.each([
    ['a missing file', () => [join(dir, 'missing.dcai'), '--text', 'x'], '', /cannot read model file .*missing\.dcai/],
    ['a file that is not a model', () => [join(dir, 'garbage.dcai'), '--text', 'x'], '', /invalid model file \(bad_magic\)/],
    ['an unknown flag', () => [textModelPath, '--bogus'], '', /Unknown option '--bogus'/],
    ['no model file', () => ['--text', 'x'], '', /expected exactly one model file/],
    ['two input flags', () => [textModelPath, '--text', 'x', '--tokens', '1'], '', /at most one of/],
    ['a token id out of range', () => [textModelPath, '--tokens', '1,6'], '', /bad input \(bad_token\)/],
    ['a non-numeric token list', () => [textModelPath, '--tokens', '1,a'], '', /--tokens: item 2 'a' is not a number/],
    ['text on a vector model', () => [vectorModelPath, '--text', 'hi'], '', /bad input \(wrong_kind\)/],
    ['a vector of the wrong length', () => [vectorModelPath, '--input', '1,2,3'], '', /bad input \(wrong_length\)/],
    ['an N-D input of the wrong shape', () => [gridModelPath, '--input', '1,2,3,4,5,6', '--shape', '3,2'], '', /bad input \(wrong_shape\): input: expected shape \[2,3\] float32.*got shape \[3,2\]; the model's inputs: \S+ \[2,3\] float32/],
    ['a float32 file of a wrong size', () => [gridModelPath, '--input-file', join(dir, 'grid.u8')], '', /not whole float32 values/],
    ['--dtype without --input-file', () => [gridModelPath, '--input', '1', '--dtype', 'uint8'], '', /--dtype goes with --input-file/],
    ['a model.json', () => [join(dir, 'model.json'), '--text', 'x'], '', /is a TF\.js model\.json, not a converted model: run npm run convert -- .* first/],
    ['a directory', () => [dir, '--text', 'x'], '', /is a directory: predict takes a converted model file \(npm run convert/],
  ] as const)('fails cleanly on %s', (_, args, stdin, pattern) => {
    expectCleanFailure(run([...args()], stdin), pattern);
  });

  it('reports a ragged nested JSON line, then the count of failed lines', () => {
    const result = run([gridModelPath], '{"input":[[1,2,3],[4,5]]}\n');
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/stdin line 1: bad input \(wrong_shape\).*ragged/);
    expect(lines.slice(1)).toEqual(['predict: 1 of 1 input lines failed']);
  });

  it('reports each bad stdin line on its own and goes on; exit 1 at the end', () => {
    const stdin = '{"text":"ok"}\nnot json\n{"txt":"ok"}\n{"tokens":[1,1.5]}\n{"text":"free"}\n';
    const result = run([textModelPath], stdin);
    expect(result.status).toBe(1);
    const outputs = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(outputs.map((o: { label: string }) => typeof o.label)).toEqual(['string', 'string']); // lines 1 and 5
    expect(result.stderr.trim().split('\n')).toEqual([
      'predict: stdin line 2: not valid JSON',
      expect.stringMatching(/^predict: stdin line 3: expected/),
      expect.stringMatching(/^predict: stdin line 4: bad input \(bad_token\)/),
      'predict: 3 of 5 input lines failed',
    ]);
  });
});
