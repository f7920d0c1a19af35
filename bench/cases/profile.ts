// Profile: bench/profile runs the engine inside an Azle canister and reads the
// performance counter around each step of a prediction, around each step of loading a
// model (loadModel: checksum, vocabulary, tokenizer), and around the loop bodies a
// kernel is made of, so a missed target can be traced to dispatch, Candid, the
// tokenizer, the load or the kernels.
import { IDL } from '@dfinity/candid';

import { buildAzleCanister, Host, type Canister } from '../../host/index.ts';
import { candidArgs, decodeReply, measureQuery, measureUpdate } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes, formatInstructions } from '../lib/format.ts';
import { httpRequestArg } from '../lib/http.ts';
import { convertTfjsModel } from '../lib/models.ts';
import { buildDir } from '../lib/paths.ts';
import { writeConv2dModel, writeRecurrentModel } from '../lib/synthetic.ts';
import type { Section } from '../lib/results.ts';
import { SHORT_TEXT, textOfBytes } from '../lib/texts.ts';
import { sameWordsBody } from './canister.ts';
import { LANE_BUCKETS_MIN_INPUTS, laneKernelWins } from '../../engine/kernels-lanes.ts';

const Phases = IDL.Vec(IDL.Tuple(IDL.Text, IDL.Float64));
const LOOP_LENGTH = 10_000;
/** Square int8 Dense layers whose kernels are compared per multiply-add (the dense_int8_mac_* targets). */
const DENSE_SIDES = [512, 1024];

/** Stable figure keys for the profile canister's dense and denseSetup rows. */
function denseRowKey(label: string): string | null {
  if (label.startsWith('denseInt8 (plain')) return 'plain';
  if (label.startsWith('denseInt8Packed')) return 'packed';
  if (label.startsWith('denseInt8Lanes, multiply-add')) return 'lanes_column';
  if (label.startsWith('denseInt8Lanes, buckets')) return 'lanes_buckets';
  if (label.startsWith('packed and lane outputs bit-identical')) return 'identical';
  if (label.startsWith('pack: float64 pairs')) return 'pack_packed_per_weight';
  if (label.startsWith('pack: lanes from hex bytes')) return 'pack_lanes_hex_bytes_per_weight';
  if (label.startsWith('pack: lanes by shifts')) return 'pack_lanes_shifts_per_weight';
  if (label.startsWith('pack: lanes from joined hex')) return 'pack_lanes_joined_per_weight';
  if (label.startsWith('pack: lanes from prepared hex')) return 'pack_lanes_prepared_hex_per_weight';
  return null;
}

/** Every int8 Dense kernel on n×n layers in the profile canister, side by side, whole layer each. */
async function denseKernels(canister: Canister, section: Section): Promise<void> {
  const perMac: Record<string, Record<number, number>> = {};
  const labels: Record<string, string> = {};
  for (const n of DENSE_SIDES) {
    const setup = await measureUpdate(canister, 'denseSetup', candidArgs([IDL.Nat32, IDL.Nat32], [n, n]));
    const replies = [...decodeReply<[string, number][]>(Phases, setup.reply), ...decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'dense', candidArgs([IDL.Nat32], [2]))).reply)];
    for (const [label, value] of replies) {
      const rowKey = denseRowKey(label);
      if (rowKey === null) continue;
      section.figures[`dense_${n}_${rowKey}${rowKey.startsWith('pack') || rowKey === 'identical' ? '' : '_per_mac'}`] = value;
      if (rowKey === 'identical') continue;
      (perMac[rowKey] ??= {})[n] = value;
      labels[rowKey] = label;
    }
    // what loadModel runs for this shape
    const chosen = laneKernelWins(n, n) ? (n >= LANE_BUCKETS_MIN_INPUTS ? 'lanes_buckets' : 'lanes_column') : 'packed';
    section.figures[`dense_${n}_chosen_per_mac`] = perMac[chosen]?.[n] ?? NaN;
    section.figures[`dense_${n}_chosen`] = chosen;
  }
  section.tables.push({
    headers: ['int8 Dense kernel, whole layer (bench/profile dense; pack rows: denseSetup)', ...DENSE_SIDES.map((n) => `${n}×${n}, instructions per multiply-add (pack: per weight)`)],
    rows: Object.keys(perMac).map((rowKey) => [labels[rowKey], ...DENSE_SIDES.map((n) => (perMac[rowKey][n] === undefined ? '—' : perMac[rowKey][n].toFixed(1)))]),
  });
}

/** Conv2D and LSTM/GRU layers whose int8 kernels are compared per multiply-add (ids: conv2d_*, lstm_*, gru_*). */
interface FamilyShape {
  id: string;
  label: string;
  macs: number;
  write: (dir: string) => Promise<string>;
}

const conv = (size: number, channels: number, filters: number, k: number): FamilyShape => ({
  id: `conv2d_${size}x${size}x${channels}_${filters}f${k}`,
  label: `Conv2D ${filters}×${k}×${k} on ${size}×${size}×${channels} (patch ${k * k * channels})`,
  macs: (size - k + 1) ** 2 * filters * k * k * channels,
  write: (dir) => writeConv2dModel(dir, size, channels, filters, k),
});
const recurrent = (cell: 'LSTM' | 'GRU', steps: number, features: number, units: number): FamilyShape => ({
  id: `${cell.toLowerCase()}_${steps}x${features}_${units}`,
  label: `${cell}(${units}) on ${steps} steps × ${features} features`,
  macs: steps * (cell === 'LSTM' ? 4 : 3) * units * (features + units),
  write: (dir) => writeRecurrentModel(dir, cell, steps, features, units),
});

/** The shapes measured (zoo-sized: an MNIST CNN's first and second convolution, text LSTMs/GRUs). */
export const FAMILY_SHAPES: readonly FamilyShape[] = [
  conv(28, 1, 8, 3),
  conv(28, 1, 16, 3),
  conv(28, 1, 32, 3),
  conv(14, 16, 32, 3),
  conv(12, 32, 64, 3),
  recurrent('LSTM', 20, 8, 8),
  recurrent('LSTM', 20, 16, 16),
  recurrent('LSTM', 20, 32, 32),
  recurrent('LSTM', 20, 32, 64),
  recurrent('LSTM', 20, 64, 128),
  recurrent('GRU', 20, 32, 64),
];
/** The shapes behind the conv2d_int8_mac and lstm_int8_mac figures. */
export const CONV_TARGET_SHAPE = 'conv2d_12x12x32_64f3';
export const LSTM_TARGET_SHAPE = 'lstm_20x64_128';
/** The zoo MNIST CNN's first convolution (3×3×1: short tap runs), behind conv2d_float32_first_mac. */
export const CONV_FIRST_SHAPE = 'conv2d_28x28x1_32f3';
const QUICK_SHAPES = [CONV_FIRST_SHAPE, CONV_TARGET_SHAPE, 'lstm_20x32_32', LSTM_TARGET_SHAPE];
const CHOICES = ['auto', 'lanes', 'packed', 'plain'] as const;

/** Each shape's whole prediction (one layer) per int8 kernel choice and on the float32 file, per multiply-add. */
async function familyKernels(ctx: BenchContext, canister: Canister, section: Section): Promise<void> {
  const rows: string[][] = [];
  // --quick: the two shapes behind the figures and one small one of each family
  const shapes = ctx.quick ? FAMILY_SHAPES.filter((shape) => QUICK_SHAPES.includes(shape.id)) : FAMILY_SHAPES;
  if (ctx.quick) section.skipped.push(`--quick: conv/recurrent kernels on ${shapes.length} of ${FAMILY_SHAPES.length} shapes (${QUICK_SHAPES.join(', ')})`);
  for (const shape of shapes) {
    ctx.progress(`profile: ${shape.label}`);
    const path = await shape.write(`${buildDir}/synthetic/${shape.id}`);
    const perMac: Record<string, number> = {};
    for (const quantize of ['int8', 'float32'] as const) {
      await measureUpdate(canister, 'loadKernels', convertTfjsModel(path, quantize).bytes);
      // float32: what loadModel picks, then convolve forced (floatKernel 'loops', choice 4: the kernel before the lanes and rows)
      const choices = quantize === 'int8' ? CHOICES.map((_, i) => i) : shape.id.startsWith('conv') ? [0, 4] : [0];
      for (const choice of choices) {
        const [[, instructions]] = decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'kernelCost', candidArgs([IDL.Nat32], [choice]))).reply);
        const label = quantize === 'int8' ? CHOICES[choice] : choice === 0 ? 'float32' : 'float32_loops';
        perMac[label] = instructions / shape.macs;
        section.figures[`${shape.id}_${label}_per_mac`] = perMac[label];
      }
    }
    rows.push([shape.label, formatInstructions(shape.macs), ...['auto', 'lanes', 'packed', 'plain', 'float32', 'float32_loops'].map((label) => perMac[label]?.toFixed(1) ?? '—')]);
  }
  section.figures.conv2d_int8_mac = section.figures[`${CONV_TARGET_SHAPE}_auto_per_mac`];
  section.figures.conv2d_float32_mac = section.figures[`${CONV_TARGET_SHAPE}_float32_per_mac`];
  section.figures.conv2d_float32_first_mac = section.figures[`${CONV_FIRST_SHAPE}_float32_per_mac`];
  section.figures.lstm_int8_mac = section.figures[`${LSTM_TARGET_SHAPE}_auto_per_mac`];
  section.tables.push({
    headers: [
      'layer (bench/profile kernelCost: one predictVector, the whole model = the one layer, loadModel with int8Kernel …)',
      'multiply-adds',
      'int8 auto (what loadModel picks)',
      'int8 lanes',
      'int8 packed',
      'int8 plain',
      'float32 file (float kernel loadModel picks: fixed-point lanes, im2col rows or convolve)',
      'float32 file, convolve forced (floatKernel loops)',
    ],
    rows,
  });
}

const key = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

/** Stable figure keys for loadSteps rows (their labels carry sizes). */
function loadStepKey(label: string): string {
  if (label.startsWith('checksum')) return 'checksum';
  if (label.startsWith('decode the vocabulary')) return 'vocab_decode';
  if (label.startsWith('split the vocabulary')) return 'vocab_split';
  if (label.startsWith('WordTokenizer')) return 'tokenizer_map';
  if (label === 'parseModelFile') return 'parse';
  if (label === 'loadModel') return 'load';
  return key(label.replace(/\s*\(.*\)$/, ''));
}

/** The Candid http_request argument of a POST with `body`. */
function httpArg(body: Uint8Array): Uint8Array {
  return httpRequestArg('POST', '/models/spam/predict', body, [['content-type', 'application/json']], []);
}

/** msgArgData()'s instructions for an argument carrying `bodyBytes` of body (the profile canister's glue method). */
async function msgArgDataCost(canister: Canister, bodyBytes: number): Promise<{ cost: number; argBytes: number; scan: number }> {
  const candid = candidArgs([IDL.Text, IDL.Variant({ text: IDL.Vec(IDL.Nat8) })], ['spam', { text: new TextEncoder().encode(SHORT_TEXT) }]);
  const http = httpArg(new TextEncoder().encode(JSON.stringify({ text: textOfBytes(Math.max(0, bodyBytes - 11)) })));
  const arg = candidArgs([IDL.Vec(IDL.Nat8), IDL.Vec(IDL.Nat8)], [candid, http]);
  const rows = decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'glue', arg)).reply);
  const row = rows.find(([name]) => name.startsWith('msgArgData'));
  if (!row) throw new Error('the glue method has no msgArgData() row');
  const scan = rows.find(([name]) => name.startsWith('indexOf('));
  return { cost: row[1], argBytes: arg.length, scan: scan?.[1] ?? NaN };
}

/**
 * What each row of bench/profile/scans.ts is (the bodyScans query), and how it can serve the scan
 * of a JSON string (every byte must be looked at: a raw quote anywhere ends the string):
 * "finds a byte" at any position, "exact elements" (a whole aligned 2/4/8-byte value, so a quote
 * among other bytes goes unseen), "copy" (looks at nothing), "string" (needs the bytes as a string first).
 */
export const BODY_SCANS: Record<string, string> = {
  msgargdata: "msgArgData(): Azle copies the whole argument into the JS heap (it has no partial read)",
  fast_text: 'fastText: the {"text": …} shape read, the closing quote found by memchr',
  text_prefix: 'textPrefix: the words the model reads cut out and decoded (a text of ≤ 256 B is decoded whole)',
  quick_cut: 'quickCut alone: the cut found from space to space, one indexOf call per word',
  indexof_call: 'one Uint8Array indexOf call that finds its byte at once',
  u8_indexof_quote: 'Uint8Array indexOf(0x22) (memchr, what fastText runs): finds a byte',
  u8_includes_quote: 'Uint8Array includes(0x22) (memchr): finds a byte',
  i8_indexof_quote: 'Int8Array indexOf (memchr): finds a byte',
  u8_lastindexof_quote: 'Uint8Array lastIndexOf(0x22) (a C loop): finds a byte',
  u8_indexof_34_bytes: 'memchr for each of the 32 control characters, the quote and the backslash (a strict JSON string check)',
  u16_indexof: 'Uint16Array indexOf: exact 2-byte elements only',
  u32_indexof: 'Uint32Array indexOf: exact 4-byte elements only',
  f32_includes_nan: 'Float32Array includes(NaN): elements whose bits are a NaN only',
  f64_indexof: 'Float64Array indexOf: exact 8-byte elements only',
  f64_includes_nan: 'Float64Array includes(NaN): elements whose bits are a NaN only',
  b64_indexof: 'BigUint64Array indexOf: exact 8-byte elements only',
  u8_slice: 'Uint8Array slice (copy)',
  u8_set_same_type: 'Uint8Array set from a Uint8Array (memmove, copy)',
  u8_to_u16_set: 'Uint16Array set from a Uint8Array (element by element, copy)',
  u8_to_clamped_set: 'Uint8ClampedArray set from a Uint8Array (copy)',
  u16_from_u8: 'new Uint16Array(bytes) (copy)',
  latin1_fromcharcode: 'the bytes as a latin1 string (String.fromCharCode.apply, 4 KiB a call): what any string method needs first',
  string_indexof_quote: "string indexOf('\"') on that string",
  string_includes_quote: "string includes('\"')",
  string_equals_copy: 'string === an equal string (compares every character)',
  string_split_quote: "string split('\"')",
  regex_test_controls: 'regex /[\\0-\\x1f"\\\\]/ test (quote, backslash, controls)',
  json_parse_string: 'JSON.parse of the string quoted (checks quotes, escapes, controls)',
  escape: 'escape(string)',
  join_then_indexof: 'Uint8Array join(",") then indexOf(",34,") (the bytes as decimal text, natively)',
  array_indexof_generic: 'Array.prototype.indexOf called on the Uint8Array (generic path)',
  math_max_apply: 'Math.max.apply over the bytes (32 KiB a call)',
  textdecoder_fatal_16k: "Azle's TextDecoder, fatal (@sinonjs/text-encoding, JS), first 16 KiB",
  candid_decode_16k: "Azle's candidDecode (Rust) of the bytes as a Candid blob, first 16 KiB",
};

/** The REST body's per-byte costs in the profile canister: reading it, cutting it, and every native scan of BODY_SCANS. */
async function bodyScans(canister: Canister, section: Section): Promise<void> {
  const small = sameWordsBody(100);
  const large = sameWordsBody(65_536);
  const rowsOf = async (body: Uint8Array): Promise<Map<string, number>> =>
    new Map(decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'bodyScans', candidArgs([IDL.Vec(IDL.Nat8)], [body]))).reply));
  const s = await rowsOf(small);
  const l = await rowsOf(large);
  // the inside of the string: the body less {"text":""}
  const inside = (body: Uint8Array, cap: number): number => Math.min(cap, body.length - 11);
  const rows: string[][] = [];
  for (const [key, large64k] of l) {
    const cap = key.endsWith('_16k') ? 16_384 : Infinity;
    const bytes = inside(large, cap) - inside(small, cap);
    const perByte = (large64k - (s.get(key) ?? NaN)) / bytes;
    section.figures[`body_scan_${key}_per_byte`] = perByte;
    section.figures[`body_scan_${key}_64k`] = large64k;
    section.figures[`body_scan_${key}_100b`] = s.get(key) ?? NaN;
    rows.push([BODY_SCANS[key] ?? key, perByte.toFixed(2), formatInstructions(s.get(key) ?? NaN), formatInstructions(large64k)]);
  }
  section.tables.push({
    headers: ['the body_size pair\'s string (bench/profile bodyScans: reading the body as the canister does, then each native scan over the string\'s inside)', 'instructions per byte (64 KB − 100 B)', '100 B body', '64 KB body (16 KiB for the _16k rows)'],
    rows,
  });
}

export async function run(ctx: BenchContext): Promise<Section> {
  const modelName = ctx.spamModelDir ? 'spam' : 'default';
  const section = ctx.openSection(
    'profile',
    'Profile: where the instructions go',
    `bench/profile: the engine inside an Azle canister, performance counter read around each step (no dispatch or Candid included). Prediction steps on the ${modelName} model and the short text; load steps re-run each part of loadModel on the same file (the engine decodes UTF-8 itself, engine/utf8.ts; the TextDecoder rows show what Azle's pure-JS TextDecoder would cost instead); loop bodies over ${LOOP_LENGTH.toLocaleString('en-US')} elements, in instructions per element.`,
  );
  const { wasm } = await buildAzleCanister('bench_profile');
  const host = await Host.create();
  const canister = await host.install(wasm);
  const dir = ctx.spamModelDir ?? ctx.defaultModelDir;
  const rows: string[][] = [];
  const loadRows: string[][] = [];
  for (const quantize of ['float32', 'int8'] as const) {
    const bytes = convertTfjsModel(`${dir}/model.json`, quantize).bytes;
    await measureUpdate(canister, 'load', bytes);
    const { reply } = await measureQuery(canister, 'phases', candidArgs([IDL.Text], [SHORT_TEXT]));
    for (const [phase, instructions] of decodeReply<[string, number][]>(Phases, reply)) {
      section.figures[`${quantize}_${key(phase)}`] = instructions;
      rows.push([`${modelName} ${quantize}: ${phase}`, formatInstructions(instructions)]);
    }
    // Where loadModel's instructions go (each step re-run alone on the same file).
    section.figures[`${quantize}_file_bytes`] = bytes.length;
    const steps = decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'loadSteps', candidArgs([], []))).reply);
    for (const [step, instructions] of steps) {
      const stepKey = loadStepKey(step);
      section.figures[`${quantize}_load_${stepKey}`] = instructions;
      let note = '';
      if (stepKey === 'checksum') {
        // The checksum covers the file but its last 8 bytes (the checksum itself), in 32-bit words.
        const words = (bytes.length - 8) / 4;
        section.figures[`${quantize}_load_checksum_words`] = words;
        section.figures[`${quantize}_load_checksum_per_word`] = instructions / words;
        note = `${(instructions / words).toFixed(0)} per 32-bit word`;
      }
      if (stepKey === 'vocab_decode') {
        const decoded = /\((\d+) bytes/.exec(step);
        if (decoded) {
          section.figures[`${quantize}_load_vocab_bytes`] = Number(decoded[1]);
          note = `${(instructions / Number(decoded[1])).toFixed(0)} per byte`;
        }
      }
      if (stepKey === 'tokenizer_map') {
        const tokens = /Map of (\d+) tokens/.exec(step);
        if (tokens) section.figures[`${quantize}_load_vocab_tokens`] = Number(tokens[1]);
      }
      loadRows.push([`${modelName} ${quantize} (${formatBytes(bytes.length)}): ${step}`, formatInstructions(instructions), note]);
    }
  }
  // What reading the argument costs per byte: Azle's msgArgData() copies the whole argument into JS.
  try {
    const small = await msgArgDataCost(canister, 100);
    const large = await msgArgDataCost(canister, 65_536);
    const perByte = (large.cost - small.cost) / (large.argBytes - small.argBytes);
    section.figures.msgargdata_per_byte = perByte;
    // The closing quote of a JSON string found natively (memchr), per byte of the string.
    const scanPerByte = (large.scan - small.scan) / (large.argBytes - small.argBytes);
    if (Number.isFinite(scanPerByte)) {
      section.figures.json_quote_scan_per_byte = scanPerByte;
      rows.push([`a JSON string's closing quote found natively (Uint8Array indexOf, memchr) in a ${formatBytes(65_536)} body (${scanPerByte.toFixed(2)} per byte)`, formatInstructions(large.scan)]);
    }
    rows.push([`msgArgData() of a ${formatBytes(small.argBytes)} argument`, formatInstructions(small.cost)]);
    rows.push([`msgArgData() of a ${formatBytes(large.argBytes)} argument (${perByte.toFixed(2)} per byte more)`, formatInstructions(large.cost)]);
  } catch (error) {
    section.skipped.push(`msgArgData() per byte: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  try {
    await bodyScans(canister, section);
  } catch (error) {
    section.skipped.push(`bodyScans: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  ctx.progress('profile: int8 Dense kernels on 512² and 1024² layers');
  await denseKernels(canister, section);
  await familyKernels(ctx, canister, section);
  const { reply } = await measureQuery(canister, 'loops', candidArgs([IDL.Nat32], [LOOP_LENGTH]));
  const loopRows: string[][] = [];
  for (const [variant, perElement] of decodeReply<[string, number][]>(Phases, reply)) {
    if (variant === 'sink') continue;
    section.figures[`loop_${key(variant)}`] = perElement;
    loopRows.push([variant, perElement.toFixed(1)]);
  }
  section.tables.push({ headers: ['step (inside the method)', 'instructions'], rows });
  section.tables.push({ headers: ['loadModel step (each re-run alone on the same file)', 'instructions', 'note'], rows: loadRows });
  section.tables.push({ headers: ['loop body (QuickJS in Azle)', 'instructions per element'], rows: loopRows });
  return section;
}
