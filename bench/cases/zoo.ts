// Zoo models in the canister (issue 8): whole-message instructions of one prediction of
// the three real models the canister test runs (an MNIST CNN, an LSTM text model, a
// Bidirectional LSTM model from ../shared/zoo), as a query where it fits the 5B limit,
// else as an update; and the largest CNN and LSTM of those models' shapes that still
// answers in one query, found on synthetic models (bench/lib/synthetic.ts) by measuring.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { IDL } from '@dfinity/candid';

import { buildAzleCanister, DEFAULT_CONTROLLER, Host, IC_INSTRUCTION_LIMITS, type Canister } from '../../host/index.ts';
import { loadModel } from '../../engine/index.ts';
import { candidArgs, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes, formatInstructions, formatInteger } from '../lib/format.ts';
import { predict, uploadModel, type PredictInputValue } from '../lib/decentai.ts';
import { convertTfjsModel } from '../lib/models.ts';
import { buildDir, repoRoot } from '../lib/paths.ts';
import type { Section } from '../lib/results.ts';
import { cnnMultiplyAdds, lstmMultiplyAdds, writeCnnModel, writeLstmModel } from '../lib/synthetic.ts';

const QUERY_LIMIT = Number(IC_INSTRUCTION_LIMITS.query);
const ZOO = resolve(repoRoot, '../shared/zoo');

/** The three models of test/canister-zoo.test.ts. */
const MODELS = [
  { id: 'cnn', what: 'MNIST CNN (Conv2D 32 → pool → Conv2D 64 → pool → Dense 10), a 28×28×1 float32_le blob', folder: 'AlexTrinityBlock__Tensorflow-opencv-webcam-mnist__models' },
  { id: 'lstm', what: 'LSTM text model (Embedding 16 → LSTM 32 → LSTM 16 → Dense 3), 20 token ids', folder: 'edublancas__adl-hw4__model_js' },
  { id: 'bilstm', what: 'Bidirectional LSTM text model (3 × Bidirectional LSTM 20/10/5 → Dense 32 → Dense 1), 20 token ids', folder: 'basile-bron__Title-clickbait-detection__modeljs' },
] as const;

function inputFor(inputKind: string, inputSize: number, shape: readonly number[]): PredictInputValue {
  if (inputKind === 'tokens') return { tensor: { name: [], shape: [...shape], data: { int32: Array.from({ length: inputSize }, (_, i) => (i * 7 + 1) % 50) } } };
  const values = Float32Array.from({ length: inputSize }, (_, i) => (Math.sin(i) + 1) / 2);
  return { tensor: { name: [], shape: [...shape], data: { float32_le: new Uint8Array(values.buffer) } } };
}

/** One prediction as a query; as an update when the query is refused (too_heavy past the canister's query budget, or the host's 5B limit). */
async function measurePrediction(canister: Canister, name: string, input: PredictInputValue): Promise<{ kind: 'query' | 'update'; instructions: number; method: number }> {
  try {
    const r = await predict(canister, 'query', name, input);
    return { kind: 'query', instructions: r.instructions, method: r.methodInstructions };
  } catch {
    const r = await predict(canister, 'update', name, input);
    return { kind: 'update', instructions: r.instructions, method: r.methodInstructions };
  }
}

/** Whole-message instructions of one query prediction of a synthetic model, or null when it does not answer under the query limit. */
async function queryOf(canister: Canister, name: string, path: string, input: PredictInputValue): Promise<number | null> {
  const bytes = convertTfjsModel(path, 'float32').bytes;
  await uploadModel(canister, name, bytes);
  try {
    return (await predict(canister, 'query', name, input)).instructions;
  } catch {
    return null;
  } finally {
    await measureUpdate(canister, 'delete_model', candidArgs([IDL.Text, IDL.Opt(IDL.Nat32)], [name, []]), DEFAULT_CONTROLLER);
  }
}

interface Largest {
  size: number;
  instructions: number;
  nextInstructions: number | null;
  trials: number;
}

/**
 * The largest size whose model answers in one query: two measured sizes give a line in
 * multiply-adds (fixed cost + slope), its prediction is measured, then the size is stepped
 * (by `step`) up while the next one still answers, or down until one answers.
 */
async function largestUnderQueryLimit(
  ctx: BenchContext,
  what: string,
  measure: (size: number) => Promise<number | null>,
  macs: (size: number) => number,
  probes: [number, number],
  step: number,
): Promise<Largest> {
  let trials = 0;
  const at = async (size: number): Promise<number | null> => {
    trials++;
    const v = await measure(size);
    ctx.progress(`zoo: ${what} ${size}: ${v === null ? 'over the query limit' : formatInstructions(v)}`);
    return v;
  };
  const [a, b] = probes;
  const ia = await at(a);
  const ib = await at(b);
  if (ia === null || ib === null) throw new Error(`${what}: the probe sizes ${a} and ${b} do not both answer in a query`);
  const slope = (ib - ia) / (macs(b) - macs(a));
  const fixed = ib - slope * macs(b);
  let size = b;
  while (macs(size + step) * slope + fixed <= QUERY_LIMIT) size += step;
  let instructions = await at(size);
  while (instructions === null && size - step > 0) {
    size -= step;
    instructions = await at(size);
  }
  if (instructions === null) throw new Error(`${what}: no size answers in a query`);
  let next = await at(size + step);
  while (next !== null) {
    size += step;
    instructions = next;
    next = await at(size + step);
  }
  return { size, instructions, nextInstructions: next, trials };
}

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'zoo',
    'Zoo models in the canister (issue 8)',
    'One prediction of each of the three real zoo models of test/canister-zoo.test.ts (converted as `npm run convert` does, float32), sent as a Candid `tensor` input, whole-message instructions as a query (an update when the canister refuses the query: it answers queries only for models whose prediction, measured at commit, fits its 4B query budget, canister/registry.ts QUERY_PREDICT_BUDGET, below the IC 5B limit). Then the largest CNN of the MNIST model\'s shape (filters F and 2F) and the largest LSTM of the LSTM text model\'s shape (units U, 20 steps) that answer in one query: two sizes measured, the line through them predicts the limit, and the sizes around it are measured until the largest answering one and the next refused one are both seen.',
  );
  if (!existsSync(ZOO)) {
    section.skipped.push(`../shared/zoo is absent (${ZOO}): the zoo models were not measured`);
  }
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);

  const rows: string[][] = [];
  for (const m of MODELS) {
    const path = resolve(ZOO, m.folder, 'model.json');
    if (!existsSync(path)) {
      if (existsSync(ZOO)) section.skipped.push(`${m.folder} is absent from ../shared/zoo`);
      continue;
    }
    const bytes = convertTfjsModel(path, 'float32').bytes;
    const model = loadModel(bytes);
    ctx.progress(`zoo: ${m.id} (${formatBytes(bytes.length)})`);
    await uploadModel(canister, m.id, bytes);
    const r = await measurePrediction(canister, m.id, inputFor(model.inputKind, model.inputSize, model.inputShape));
    record(section, `zoo.${m.id}.predict`, `${m.what} (${formatBytes(bytes.length)}, ${formatInteger(model.parameterCount)} parameters)`, r.kind, r.instructions, {
      methodInstructions: r.method,
      note: r.kind === 'query' ? 'answered as a query' : 'over the 5B query limit: measured as an update',
    });
    section.figures[`${m.id}_kind`] = r.kind;
    rows.push([m.id, m.folder, r.kind, formatInstructions(r.instructions)]);
  }
  if (rows.length > 0) section.tables.push({ headers: ['model', 'zoo folder', 'call', 'instructions (whole message)'], rows });

  if (ctx.quick) {
    section.skipped.push('--quick: the largest CNN and LSTM under the query limit were not searched');
    return section;
  }
  const image = inputFor('vector', 784, [28, 28, 1]);
  const cnn = await largestUnderQueryLimit(
    ctx,
    'CNN filters',
    async (f) => queryOf(canister, `cnn-${f}`, await writeCnnModel(`${buildDir}/synthetic/cnn-${f}`, f), image),
    cnnMultiplyAdds,
    [8, 16],
    1,
  );
  const ids = inputFor('tokens', 20, [20]);
  const lstm = await largestUnderQueryLimit(
    ctx,
    'LSTM units',
    async (u) => queryOf(canister, `lstm-${u}`, await writeLstmModel(`${buildDir}/synthetic/lstm-${u}`, u), ids),
    lstmMultiplyAdds,
    [32, 64],
    4,
  );
  section.figures.largest_cnn_filters = cnn.size;
  section.figures.largest_cnn_macs = cnnMultiplyAdds(cnn.size);
  section.figures.largest_cnn_instructions = cnn.instructions;
  section.figures.largest_lstm_units = lstm.size;
  section.figures.largest_lstm_macs = lstmMultiplyAdds(lstm.size);
  section.figures.largest_lstm_instructions = lstm.instructions;
  section.tables.push({
    headers: ['family', 'largest answering in one query', 'multiply-adds', 'instructions', 'next size', 'trials'],
    rows: [
      ['CNN 28×28×1 → Conv 3×3 F → pool → Conv 3×3 2F → pool → Dense 10', `F = ${cnn.size}`, formatInstructions(cnnMultiplyAdds(cnn.size)), formatInstructions(cnn.instructions), `F = ${cnn.size + 1}: refused`, String(cnn.trials)],
      ['20 ids → Embedding 16 → LSTM U → Dense 3', `U = ${lstm.size}`, formatInstructions(lstmMultiplyAdds(lstm.size)), formatInstructions(lstm.instructions), `U = ${lstm.size + 4}: refused`, String(lstm.trials)],
    ],
  });
  return section;
}
