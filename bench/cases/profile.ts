// Profile: bench/profile runs the engine inside an Azle canister and reads the
// performance counter around each step of a prediction, and around the loop bodies a
// kernel is made of, so a missed target can be traced to dispatch, Candid, the
// tokenizer or the kernels.
import { IDL } from '@dfinity/candid';

import { buildAzleCanister, Host } from '../../host/index.ts';
import { candidArgs, decodeReply, measureQuery, measureUpdate } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatInstructions } from '../lib/format.ts';
import { convertTfjsModel } from '../lib/models.ts';
import type { Section } from '../lib/results.ts';
import { SHORT_TEXT } from '../lib/texts.ts';

const Phases = IDL.Vec(IDL.Tuple(IDL.Text, IDL.Float64));
const LOOP_LENGTH = 10_000;

const key = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

export async function run(ctx: BenchContext): Promise<Section> {
  const modelName = ctx.spamModelDir ? 'spam' : 'default';
  const section = ctx.openSection(
    'profile',
    'Profile: where the instructions go',
    `bench/profile: the engine inside an Azle canister, performance counter read around each step (no dispatch or Candid included). Steps on the ${modelName} model and the short text; loop bodies over ${LOOP_LENGTH.toLocaleString('en-US')} elements, in instructions per element.`,
  );
  const { wasm } = await buildAzleCanister('bench_profile');
  const host = await Host.create();
  const canister = await host.install(wasm);
  const dir = ctx.spamModelDir ?? ctx.defaultModelDir;
  const rows: string[][] = [];
  for (const quantize of ['float32', 'int8'] as const) {
    await measureUpdate(canister, 'load', convertTfjsModel(`${dir}/model.json`, quantize).bytes);
    const { reply } = await measureQuery(canister, 'phases', candidArgs([IDL.Text], [SHORT_TEXT]));
    for (const [phase, instructions] of decodeReply<[string, number][]>(Phases, reply)) {
      section.figures[`${quantize}_${key(phase)}`] = instructions;
      rows.push([`${modelName} ${quantize}: ${phase}`, formatInstructions(instructions)]);
    }
  }
  const { reply } = await measureQuery(canister, 'loops', candidArgs([IDL.Nat32], [LOOP_LENGTH]));
  const loopRows: string[][] = [];
  for (const [variant, perElement] of decodeReply<[string, number][]>(Phases, reply)) {
    if (variant === 'sink') continue;
    section.figures[`loop_${key(variant)}`] = perElement;
    loopRows.push([variant, perElement.toFixed(1)]);
  }
  section.tables.push({ headers: ['step (inside the method)', 'instructions'], rows });
  section.tables.push({ headers: ['loop body (QuickJS in Azle)', 'instructions per element'], rows: loopRows });
  return section;
}
