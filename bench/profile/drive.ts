// Quick driver for the profile canister (bench/profile): prints the spam model's load
// breakdown and prediction phases, and the int8 Dense kernels' instructions per
// multiply-add. Usage: npx tsx bench/profile/drive.ts [--dense 1024,2048,64x512] [--no-spam]
// [--glue [--body JSON]] [--engine] [--tokenize] [--text T] [--utf8] [--experiments] [--scans] [--vocab-lab]
import { IDL } from '@dfinity/candid';

import { buildAzleCanister, Host } from '../../host/index.ts';
import { candidArgs, decodeReply, measureQuery, measureUpdate } from '../lib/calls.ts';
import { types } from '../lib/decentai.ts';
import { httpRequestArg } from '../lib/http.ts';
import { convertTfjsModel } from '../lib/models.ts';
import { defaultModelDir, spamModelDir } from '../lib/paths.ts';
import { SHORT_TEXT, textOfBytes } from '../lib/texts.ts';
import { sameWordsBody } from '../cases/canister.ts';

const Phases = IDL.Vec(IDL.Tuple(IDL.Text, IDL.Float64));
const args = process.argv.slice(2);
const denseArg = args.includes('--dense') ? args[args.indexOf('--dense') + 1] : '';
const denseSizes = denseArg ? denseArg.split(',') : [];
const text = args.includes('--text') ? args[args.indexOf('--text') + 1] : SHORT_TEXT;

const fmt = (v: number): string => (v >= 1e5 ? `${(v / 1e6).toFixed(3)}M` : v.toFixed(1));
const print = (title: string, rows: [string, number][]): void => {
  console.log(`\n${title}`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(60)} ${fmt(value)}`);
};

const { wasm } = await buildAzleCanister('bench_profile');
const host = await Host.create();
const canister = await host.install(wasm);
if (!args.includes('--no-spam')) {
  const dir = spamModelDir() ?? defaultModelDir;
  for (const quantize of ['float32', 'int8'] as const) {
    const load = await measureUpdate(canister, 'load', convertTfjsModel(`${dir}/model.json`, quantize).bytes);
    const steps = decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'loadSteps', candidArgs([], []))).reply);
    print(`${quantize}: load message ${fmt(load.instructions)}; load steps`, steps);
    print(`${quantize}: commit steps`, decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'commitSteps', candidArgs([], []))).reply));
    const phases = decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'phases', candidArgs([IDL.Text], [text]))).reply);
    print(`${quantize}: phases`, phases);
  }
}
for (const shape of denseSizes) {
  // "n" is n×n; "unitsxn" is units outputs of n inputs
  const [units, n] = shape.includes('x') ? shape.split('x').map(Number) : [Number(shape), Number(shape)];
  const setup = await measureUpdate(canister, 'denseSetup', candidArgs([IDL.Nat32, IDL.Nat32], [units, n]));
  print(`dense ${units}×${n}: setup message ${fmt(setup.instructions)}`, decodeReply<[string, number][]>(Phases, setup.reply));
  // All kernels and the check fit one query up to 1024²; above, one query per kernel (the plain one alone is ~4.6B at 2048²).
  for (const mode of units * n <= 1024 * 1024 ? [2] : [0, 1, 3]) {
    if (mode === 2 || mode === 3) print(`dense ${units}×${n}: lane kernel steps`, decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'laneSteps', candidArgs([], []))).reply));
    print(`dense ${units}×${n}: instructions per multiply-add`, decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'dense', candidArgs([IDL.Nat32], [mode]))).reply));
  }
}

if (args.includes('--search')) {
  // the int8 vector index (engine/vector-search.ts) filled in the canister: --search 1000,10000,100000 [--dims 64] [--rising]
  const sizes = args[args.indexOf('--search') + 1].split(',').map(Number);
  const dims = args.includes('--dims') ? Number(args[args.indexOf('--dims') + 1]) : 64;
  const mode = args.includes('--rising') ? 1 : 0;
  let filled = 0;
  for (const size of sizes) {
    while (filled < size) {
      const n = Math.min(10_000, size - filled);
      const setup = await measureUpdate(canister, 'vectorSetup', candidArgs([IDL.Nat32, IDL.Nat32, IDL.Nat32], [n, dims, mode]));
      if (filled === 0) print(`vectors ${dims} dims${mode ? ' (rising)' : ''}: setup`, decodeReply<[string, number][]>(Phases, setup.reply));
      filled += n;
    }
    for (const k of [10, 100]) print(`vectors: search ${size}`, decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'vectorSearch', candidArgs([IDL.Nat32], [k]))).reply));
  }
}

if (args.includes('--utf8')) {
  // The decoder inside QuickJS against Node's TextDecoder (fatal) on random and tricky bytes.
  const reference = new TextDecoder('utf-8', { fatal: true });
  const tricky = [0x00, 0x25, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xbb, 0xf0, 0xf4, 0xf5, 0xf8, 0xff];
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const inputs: Uint8Array[] = [];
  for (let a = 0x80; a < 0x100; a++) for (let b = 0; b < 0x100; b += 1) inputs.push(Uint8Array.from([a, b, 0x80 + rand(64), 0x80 + rand(64)]).subarray(0, 2 + rand(3)));
  for (let k = 0; k < 20000; k++) {
    const length = 1 + rand(10);
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = rand(3) === 0 ? rand(256) : tricky[rand(tricky.length)];
    inputs.push(bytes);
  }
  for (const ch of ['é', '€', '😀', '\u{10ffff}', '\u{feff}']) inputs.push(new TextEncoder().encode(ch + 'a'.repeat(4093) + ch.repeat(50)));
  let mismatches = 0;
  for (let at = 0; at < inputs.length; at += 4000) {
    const batch = inputs.slice(at, at + 4000);
    const { reply } = await measureQuery(canister, 'utf8', candidArgs([IDL.Vec(IDL.Vec(IDL.Nat8))], [batch]));
    const got = decodeReply<([] | [string])[]>(IDL.Vec(IDL.Opt(IDL.Text)), reply);
    batch.forEach((bytes, i) => {
      let want: string | null;
      try {
        want = reference.decode(bytes);
      } catch {
        want = null;
      }
      const value = got[i].length ? got[i][0] : null;
      if (value !== want && mismatches++ < 10) console.log(`utf8 mismatch on [${Array.from(bytes, (b) => b.toString(16))}]: ${JSON.stringify(value)} vs ${JSON.stringify(want)}`);
    });
  }
  console.log(`\nutf8 in QuickJS vs Node TextDecoder: ${inputs.length} inputs, ${mismatches} mismatches`);
}

if (args.includes('--encoder')) print('encoder', decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'encoderSteps', candidArgs([], []))).reply));

if (args.includes('--experiments')) {
  const dir = spamModelDir() ?? defaultModelDir;
  await measureUpdate(canister, 'load', convertTfjsModel(`${dir}/model.json`, 'float32').bytes);
  print('experiments', decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'experiments', candidArgs([], []))).reply));
}

if (args.includes('--glue')) {
  // The canister's glue around a prediction (Candid predict and REST), piece by piece.
  const dir = spamModelDir() ?? defaultModelDir;
  await measureUpdate(canister, 'load', convertTfjsModel(`${dir}/model.json`, 'float32').bytes);
  const candid = new Uint8Array(IDL.encode([IDL.Text, types.Input], ['spam', { text: new TextEncoder().encode(text) }]));
  const bodyText = args.includes('--body') ? args[args.indexOf('--body') + 1] : JSON.stringify({ text: 'check out my channel' });
  const http = httpRequestArg('POST', '/models/spam/predict', new TextEncoder().encode(bodyText), [['content-type', 'application/json']], []);
  print('glue', decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'glue', candidArgs([IDL.Vec(IDL.Nat8), IDL.Vec(IDL.Nat8)], [candid, http]))).reply));
}

if (args.includes('--engine')) {
  const dir = spamModelDir() ?? defaultModelDir;
  await measureUpdate(canister, 'load', convertTfjsModel(`${dir}/model.json`, 'float32').bytes);
  print(`engine steps on ${JSON.stringify(text)}`, decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'engineSteps', candidArgs([IDL.Text], [text]))).reply));
}

if (args.includes('--tokenize')) {
  const dir = spamModelDir() ?? defaultModelDir;
  await measureUpdate(canister, 'load', convertTfjsModel(`${dir}/model.json`, 'int8').bytes);
  print(`tokenize steps on ${JSON.stringify(text)}`, decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'tokenizeSteps', candidArgs([IDL.Text], [text]))).reply));
}

if (args.includes('--scans')) {
  // Native scans over a JSON string's inside, per byte: (64 KB body − 100 B body) ÷ the bytes between.
  const words = (n: number): Uint8Array => new TextEncoder().encode(JSON.stringify({ text: textOfBytes(n - 11) }));
  for (const [name, make] of [['same words, spaces', sameWordsBody], ['ordinary words', words]] as const) {
    const small = make(100);
    const large = make(65_536);
    const rows = async (body: Uint8Array) => decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'bodyScans', candidArgs([IDL.Vec(IDL.Nat8)], [body]))).reply);
    const s = await rows(small);
    const l = await rows(large);
    console.log(`\nscans, ${name}: per byte (64 KB − 100 B), and the 64 KB call`);
    l.forEach(([key, value], i) => {
      const bytes = key.endsWith('_16k') ? Math.min(16384, large.length - 11) - (small.length - 11) : large.length - small.length;
      console.log(`  ${key.padEnd(28)} ${((value - s[i][1]) / bytes).toFixed(2).padStart(9)}  ${fmt(value)}`);
    });
  }
}

if (args.includes('--vocab-lab')) {
  const dir = spamModelDir() ?? defaultModelDir;
  await measureUpdate(canister, 'load', convertTfjsModel(`${dir}/model.json`, 'int8').bytes);
  print(`vocab lab on ${JSON.stringify(text)}`, decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'vocabLab', candidArgs([IDL.Text], [text]))).reply));
}
