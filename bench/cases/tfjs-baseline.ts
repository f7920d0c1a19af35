// The seed's approach measured in this run: full @tensorflow/tfjs in an Azle canister
// (bench/tfjs-baseline), init, model load in an update, predict in a query.
import { IDL } from '@dfinity/candid';

import { loadModel } from '../../engine/index.ts';
import { Host } from '../../host/index.ts';
import { buildTfjsBaseline } from '../tfjs-baseline/build.ts';
import { candidArgs, decodeReply, measureQuery, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatInstructions } from '../lib/format.ts';
import { convertTfjsModel } from '../lib/models.ts';
import type { Section } from '../lib/results.ts';
import { SHORT_TEXT } from '../lib/texts.ts';

const LoadReport = IDL.Record({ weight_bytes: IDL.Nat32, decode_instructions: IDL.Nat64, method_instructions: IDL.Nat64 });

export async function run(ctx: BenchContext): Promise<Section> {
  const modelName = ctx.spamModelDir ? 'spam' : 'default';
  const section = ctx.openSection(
    'tfjs',
    'Baseline: TF.js inside an Azle canister',
    `bench/tfjs-baseline: @tensorflow/tfjs ${'4.22'} (full package, cpu backend) bundled into an Azle stable-mode canister, on the ${modelName} model. Weights are embedded as base64 and decoded by the \`load\` update, as in the seed.`,
  );
  if (!ctx.spamModelDir) section.skipped.push('spam model absent: the baseline ran on the default model; the "vs TF.js" target needs the spam model');
  ctx.progress(`building tfjs_baseline on the ${modelName} model (esbuild + azle)`);
  const { wasm } = await buildTfjsBaseline(ctx.spamModelDir ?? ctx.defaultModelDir);
  section.figures.wasm_bytes = wasm.length;
  const host = await Host.create();
  ctx.progress('installing tfjs_baseline');
  const canister = await host.install(wasm);
  const id = (name: string): string => `tfjs.${name}`;
  record(section, id('init'), 'init (evaluates the TF.js bundle)', 'install', Number(canister.lastInitInstructions));
  const load = await measureUpdate(canister, 'load', candidArgs([], []));
  const report = decodeReply<{ weight_bytes: number; decode_instructions: bigint; method_instructions: bigint }>(LoadReport, load.reply);
  record(section, id('load'), `load: decode ${report.weight_bytes} bytes of base64 weights, build the model`, 'update', load.instructions, {
    methodInstructions: Number(report.method_instructions),
    note: `base64 decoding: ${formatInstructions(Number(report.decode_instructions))}`,
  });
  section.figures.load_decode_instructions = Number(report.decode_instructions);
  const predict = await measureQuery(canister, 'predict', candidArgs([IDL.Text], [SHORT_TEXT]));
  const scores = decodeReply<number[]>(IDL.Vec(IDL.Float32), predict.reply);
  record(section, id('predict'), 'predict, short text (Candid query)', 'query', predict.instructions, {
    note: `scores ${Array.from(scores, (s) => s.toFixed(4)).join(', ')}`,
  });
  const empty = await measureQuery(canister, 'empty', candidArgs([], []));
  record(section, id('empty_query'), 'empty Candid query in the same canister', 'query', empty.instructions);
  section.figures.predict_scores = Array.from(scores).join(',');
  // Both sides must compute the same thing: compare with the engine in Node on the same text.
  const modelDir = ctx.spamModelDir ?? ctx.defaultModelDir;
  const engineScores = loadModel(convertTfjsModel(`${modelDir}/model.json`, 'float32').bytes).predictText(SHORT_TEXT);
  section.figures.max_score_difference_vs_engine = Math.max(...Array.from(scores, (s, i) => Math.abs(s - engineScores[i])));
  return section;
}
