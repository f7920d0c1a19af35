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
import type { Section } from '../lib/results.ts';
import { SHORT_TEXT, textOfBytes } from '../lib/texts.ts';

const Phases = IDL.Vec(IDL.Tuple(IDL.Text, IDL.Float64));
const LOOP_LENGTH = 10_000;

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
async function msgArgDataCost(canister: Canister, bodyBytes: number): Promise<{ cost: number; argBytes: number }> {
  const candid = candidArgs([IDL.Text, IDL.Variant({ text: IDL.Vec(IDL.Nat8) })], ['spam', { text: new TextEncoder().encode(SHORT_TEXT) }]);
  const http = httpArg(new TextEncoder().encode(JSON.stringify({ text: textOfBytes(Math.max(0, bodyBytes - 11)) })));
  const arg = candidArgs([IDL.Vec(IDL.Nat8), IDL.Vec(IDL.Nat8)], [candid, http]);
  const rows = decodeReply<[string, number][]>(Phases, (await measureQuery(canister, 'glue', arg)).reply);
  const row = rows.find(([name]) => name.startsWith('msgArgData'));
  if (!row) throw new Error('the glue method has no msgArgData() row');
  return { cost: row[1], argBytes: arg.length };
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
    rows.push([`msgArgData() of a ${formatBytes(small.argBytes)} argument`, formatInstructions(small.cost)]);
    rows.push([`msgArgData() of a ${formatBytes(large.argBytes)} argument (${perByte.toFixed(2)} per byte more)`, formatInstructions(large.cost)]);
  } catch (error) {
    section.skipped.push(`msgArgData() per byte: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
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
