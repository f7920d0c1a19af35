// Scaling: synthetic models of growing size on the decentai canister, to get the
// instructions per multiply-add of each kernel variant (float32 Dense; float16 file
// decoded to float32 at load; int8 file on the int8 kernel loadModel picks by shape:
// BigInt lanes, engine/kernels-lanes.ts, from 32 units; embedding lookup + average
// pooling), what a commit costs per weight, and the most multiply-adds one query answers
// under the 5B limit (square layers near it, and one Dense applied to many rows).
import { IDL } from '@dfinity/candid';

import { buildAzleCanister, DEFAULT_CONTROLLER, Host, IC_INSTRUCTION_LIMITS, type Canister } from '../../host/index.ts';
import type { Quantization } from '../../converter/convert.ts';
import { candidArgs, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes, formatInstructions, formatInteger } from '../lib/format.ts';
import { predict, types, uploadModel } from '../lib/decentai.ts';
import { convertTfjsModel, QUANTIZATIONS } from '../lib/models.ts';
import { buildDir } from '../lib/paths.ts';
import { LIMITS, QUERY_PREDICT_BUDGET } from '../../canister/registry.ts';
import type { Section } from '../lib/results.ts';
import { writeDenseModel, writeDenseStackModel, writeEmbeddingModel, writeRowsDenseModel } from '../lib/synthetic.ts';
import { BUILD_MESSAGE_BUDGET } from '../../canister/build.ts';

/** The canister refuses model files above this (canister/registry.ts LIMITS.maxModelBytes). */
const MAX_MODEL_BYTES = LIMITS.maxModelBytes;
/**
 * What one query's prediction may use: the canister answers a query only for a model whose
 * prediction, measured at commit, fits QUERY_PREDICT_BUDGET (≈4.71B: the IC's 5B less
 * QUERY_RESERVE for reading and answering, over 1 + QUERY_MARGIN for another input's cost);
 * above it a query predict answers too_heavy.
 */
const QUERY_LIMIT = QUERY_PREDICT_BUDGET;

const BYTES_PER_WEIGHT: Record<Quantization, number> = { float32: 4, float16: 2, int8: 1 };

interface Point {
  work: number;
  instructions: number;
  methodInstructions: number;
}

/** Instructions per unit of work: the slope between the two largest points (fixed costs cancel). */
function slope(points: readonly Point[]): number {
  const [a, b] = points.slice(-2);
  if (a === undefined || b === undefined) return NaN;
  return (b.methodInstructions - a.methodInstructions) / (b.work - a.work);
}

async function dropModel(canister: Canister, name: string): Promise<void> {
  await measureUpdate(canister, 'delete_model', candidArgs([IDL.Text, IDL.Opt(IDL.Nat32)], [name, []]), DEFAULT_CONTROLLER);
}

const KERNEL_NAMES: Record<Quantization, string> = {
  float32: 'float32 kernel',
  float16: 'float32 kernel (float16 decoded at load)',
  int8: 'int8 kernel by shape (BigInt lanes, engine/kernels-lanes.ts)',
};

/**
 * One Dense layer applied to ROWS_TRIAL.rows rows of its input (a time-distributed Dense,
 * as in sequence models): 40.1M multiply-adds from 2.36M weights, a file far under the
 * canister's size limit and a lane packing (~5,900 instructions per weight) under the 40B
 * update limit.
 */
const ROWS_TRIAL = { rows: 17, side: 1536 };

/** The int8 dense layer sides run in one query near the limit: one under the predicted largest, the 10M target, one over. */
function limitTrials(predictedSide: number): number[] {
  return [...new Set([Math.floor(predictedSide * 0.98), 3163, Math.ceil(predictedSide * 1.03)])].sort((a, b) => a - b);
}

/**
 * Whether a predict query answered predictions: `replied` alone is not enough, the reply may be
 * an `err` (too_heavy: the prediction measured at commit does not fit a query); its message then.
 */
function predicted(result: { status: string; reply?: Uint8Array; rejectMessage?: string }): { ok: boolean; why: string } {
  if (result.status !== 'replied' || result.reply === undefined) return { ok: false, why: `rejected: ${result.rejectMessage?.split('\n')[0] ?? 'no message'}` };
  const answer = IDL.decode([types.PredictResult], result.reply)[0] as unknown as { ok?: unknown; err?: { code: string; message: string } };
  return answer.err === undefined ? { ok: true, why: '' } : { ok: false, why: `answered ${answer.err.code}: ${answer.err.message}` };
}

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'scaling',
    'Scaling: synthetic models',
    'Synthetic TF.js models (bench/lib/synthetic.ts) converted per quantization, uploaded to one decentai canister and predicted once each. Dense: one square n×n layer on a float vector (n² multiply-adds); float32 and float16 files run the float32 kernel, int8 files the int8 kernel loadModel picks by shape (BigInt lanes, engine/kernels-lanes.ts, for ≥ 32 units and ≤ 2.5M weights; the packed kernel of engine/kernels.ts, two int8 weights per float64 lane, from 16 units; packed at commit). Embedding: Embedding(1000, d) → average pooling → Dense(2) on 20 ids (20·d adds in the lookup). Instructions per multiply-add (and commit instructions per weight) are the slope between the two largest sizes, so fixed costs cancel; the largest int8 layers are then asked in one query each, near the 5B limit.',
  );
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);

  // quick: the int8 slope from 512² to 1024² (the instructions_per_mac target), the float kernels' from smaller layers
  // (their files are hashed on chain as they are uploaded, ~12.6K instructions of host time a byte)
  const denseSizesOf = (quantize: Quantization): number[] =>
    ctx.quick ? (quantize === 'int8' ? [256, 512, 1024] : [128, 256]) : [256, 512, 1024, 1536];
  const rows: string[][] = [];
  let bestPerMac = Infinity;
  let bestVariant: Quantization = 'float32';
  for (const quantize of QUANTIZATIONS) {
    const points: Point[] = [];
    const commits: Point[] = [];
    for (const n of denseSizesOf(quantize)) {
      const bytes = convertTfjsModel(await writeDenseModel(`${buildDir}/synthetic/dense-${n}`, n, n), quantize).bytes;
      const name = `dense-${n}-${quantize}`;
      ctx.progress(`scaling: ${name} (${formatBytes(bytes.length)})`);
      const upload = await uploadModel(canister, name, bytes);
      commits.push({ work: n * n, instructions: upload.commit, methodInstructions: upload.commit });
      const input = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const result = await predict(canister, 'query', name, { vector: Array.from(input) });
      points.push({ work: n * n, instructions: result.instructions, methodInstructions: result.methodInstructions });
      record(section, `scaling.dense_${n}_${quantize}`, `dense ${n}×${n}, ${quantize} file (${formatBytes(bytes.length)}), ${KERNEL_NAMES[quantize]}`, 'query', result.instructions, {
        methodInstructions: result.methodInstructions,
        note: `${formatInstructions(n * n)} multiply-adds; ${(result.methodInstructions / (n * n)).toFixed(1)} instructions each, fixed costs included; commit ${formatInstructions(upload.commit)}`,
      });
      await dropModel(canister, name);
    }
    const perMac = slope(points);
    const commitPerWeight = slope(commits);
    section.figures[`dense_${quantize}_instructions_per_mac`] = perMac;
    section.figures[`dense_${quantize}_commit_per_weight`] = commitPerWeight;
    // Fixed cost of a prediction at this kernel, from the largest point.
    const last = points[points.length - 1];
    const fixed = last.instructions - perMac * last.work;
    const maxMacsByInstructions = Math.floor((QUERY_LIMIT - fixed) / perMac);
    const maxMacsBySize = Math.floor(MAX_MODEL_BYTES / BYTES_PER_WEIGHT[quantize]);
    const largestSide = Math.floor(Math.sqrt(Math.min(maxMacsByInstructions, maxMacsBySize)));
    section.figures[`dense_${quantize}_max_macs_by_instructions`] = maxMacsByInstructions;
    section.figures[`dense_${quantize}_largest_square_layer`] = largestSide;
    rows.push([
      `dense, ${quantize} file: ${KERNEL_NAMES[quantize]}`,
      perMac.toFixed(1),
      commitPerWeight.toFixed(0),
      formatInstructions(maxMacsByInstructions),
      `${largestSide}×${largestSide}${maxMacsBySize < maxMacsByInstructions ? ` (file-size limit: ${formatBytes(MAX_MODEL_BYTES)})` : ''}`,
    ]);
    if (perMac < bestPerMac) {
      bestPerMac = perMac;
      bestVariant = quantize;
    }
  }
  section.figures.best_instructions_per_mac = bestPerMac;
  section.figures.best_kernel = bestVariant;
  section.figures.best_kernel_name = KERNEL_NAMES[bestVariant];

  // Measured, not only extrapolated: layers around the largest square layer the slope
  // allows, and the 10M multiply-add layer (the target), each asked in one query of the
  // best kernel; their commits (packing included) are recorded against the 40B update limit.
  const best = bestVariant;
  const predictedSide = section.figures[`dense_${best}_largest_square_layer`] as number;
  const trials = ctx.quick ? [] : limitTrials(predictedSide);
  let largestAnswered = 0;
  let smallestRejected = Infinity;
  for (const side of trials) {
    const path = await writeDenseModel(`${buildDir}/synthetic/dense-${side}`, side, side);
    const bytes = convertTfjsModel(path, best).bytes;
    if (bytes.length > MAX_MODEL_BYTES) {
      section.skipped.push(`dense ${side}×${side} ${best}: the file (${formatBytes(bytes.length)}) is over the canister's ${formatBytes(MAX_MODEL_BYTES)} limit`);
      continue;
    }
    const name = `dense-${side}-${best}`;
    ctx.progress(`scaling: ${name} (${formatBytes(bytes.length)})`);
    let upload;
    try {
      upload = await uploadModel(canister, name, bytes);
    } catch (error) {
      section.skipped.push(`dense ${side}×${side} ${best}: upload failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      continue;
    }
    record(section, `scaling.dense_${side}_commit`, `dense ${side}×${side} ${best}: commit_upload (${formatBytes(bytes.length)}; checks and packs ${formatInteger(side * side)} weights)`, 'update', upload.commit, {
      note: `${(upload.commit / (side * side)).toFixed(0)} instructions per weight; ${((upload.commit / Number(IC_INSTRUCTION_LIMITS.update)) * 100).toFixed(1)}% of the ${formatInstructions(Number(IC_INSTRUCTION_LIMITS.update))} update limit`,
    });
    const arg = candidArgs([IDL.Text, types.Input], [name, { vector: Array.from({ length: side }, (_, i) => Math.cos(i)) }]);
    const result = await canister.query('predict', arg);
    const instructions = Number(result.instructions);
    const macs = side * side;
    const label = `dense ${side}×${side}, ${best} file, ${KERNEL_NAMES[best].replace(/ \(.*\)$/, '')}: ${formatInteger(macs)} multiply-adds in one query`;
    const outcome = predicted(result);
    if (outcome.ok) {
      if (macs > largestAnswered) {
        largestAnswered = macs;
        section.figures.largest_answered_side = side;
        section.figures.largest_answered_instructions = instructions;
        section.figures.largest_answered_commit = upload.commit;
      }
      record(section, `scaling.dense_${side}`, label, 'query', instructions, {
        note: `answered; ${(instructions / macs).toFixed(1)} instructions per multiply-add, whole message`,
      });
    } else {
      if (macs < smallestRejected) section.figures.smallest_rejected_side = side;
      smallestRejected = Math.min(smallestRejected, macs);
      record(section, `scaling.dense_${side}`, label, 'query', instructions, { note: outcome.why });
    }
    await dropModel(canister, name);
  }
  if (ctx.quick) {
    section.skipped.push(`--quick: dense sizes up to ${denseSizesOf('int8').at(-1)} (int8) and ${denseSizesOf('float32').at(-1)} (float) only, and no layer near the query budget (${formatInstructions(QUERY_LIMIT)}) was run (full run: ${limitTrials(predictedSide).map((n) => `${n}×${n}`).join(', ')}); "max multiply-adds in one query" is extrapolated from the slope`);
    section.figures.max_macs_under_query_limit = section.figures[`dense_${best}_max_macs_by_instructions`] as number;
    section.figures.max_macs_measured = false;
  } else {
    section.figures.max_macs_under_query_limit = largestAnswered;
    section.figures.max_macs_measured = true;
    if (Number.isFinite(smallestRejected)) section.figures.min_macs_rejected = smallestRejected;
  }

  // Many multiply-adds per weight: one int8 Dense over many rows, asked in one query (quick runs too).
  {
    const { rows: rowCount, side } = ROWS_TRIAL;
    const macs = rowCount * side * side;
    const bytes = convertTfjsModel(await writeRowsDenseModel(`${buildDir}/synthetic/dense-rows-${rowCount}x${side}`, rowCount, side, side), 'int8').bytes;
    const name = `dense-rows-${rowCount}x${side}`;
    ctx.progress(`scaling: ${name} (${formatBytes(bytes.length)}; ${formatInstructions(macs)} multiply-adds per prediction)`);
    try {
      const upload = await uploadModel(canister, name, bytes);
      record(section, 'scaling.dense_rows_commit', `dense ${side}×${side} over ${rowCount} rows, int8: commit_upload (${formatBytes(bytes.length)}; packs ${formatInteger(side * side)} weights into lanes)`, 'update', upload.commit, {
        note: `${(upload.commit / (side * side)).toFixed(0)} instructions per weight; ${((upload.commit / Number(IC_INSTRUCTION_LIMITS.update)) * 100).toFixed(1)}% of the update limit`,
      });
      const input = Array.from({ length: rowCount * side }, (_, i) => Math.cos(i * 0.37));
      const result = await canister.query('predict', candidArgs([IDL.Text, types.Input], [name, { vector: input }]));
      const instructions = Number(result.instructions);
      const outcome = predicted(result);
      const answered = outcome.ok;
      record(section, 'scaling.dense_rows', `dense ${side}×${side} on a [${rowCount}, ${side}] input (then pooling and Dense(2)), int8: ${formatInteger(macs)} multiply-adds in one query`, 'query', instructions, {
        note: answered ? `answered; ${(instructions / macs).toFixed(1)} instructions per multiply-add, whole message` : outcome.why,
      });
      section.figures.rows_trial_macs = macs;
      section.figures.rows_trial_rows = rowCount;
      section.figures.rows_trial_side = side;
      section.figures.rows_trial_instructions = instructions;
      section.figures.rows_trial_commit = upload.commit;
      section.figures.rows_trial_answered = answered ? 1 : 0;
      if (answered) {
        // another input (uniform in [-1, 1), a few exact zeros): how far a query's cost moves with the values
        let state = 7;
        const other = Array.from({ length: rowCount * side }, (_, i) => {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          return i % 97 === 0 ? 0 : state / 2 ** 31 - 1;
        });
        const again = await canister.query('predict', candidArgs([IDL.Text, types.Input], [name, { vector: other }]));
        const againInstructions = Number(again.instructions);
        section.figures.rows_trial_other_input_instructions = againInstructions;
        section.figures.rows_trial_input_spread = Math.abs(againInstructions - instructions) / instructions;
        record(section, 'scaling.dense_rows_other_input', `the same query with another input (uniform values, 1% zeros)`, 'query', againInstructions, {
          note: `${predicted(again).ok ? 'answered' : predicted(again).why}; ${(((againInstructions - instructions) / instructions) * 100).toFixed(2)}% against the first input (the canister allows 3%, registry.ts QUERY_MARGIN)`,
        });
      }
      if (answered && (!section.figures.max_macs_measured || macs > (section.figures.max_macs_under_query_limit as number))) {
        section.figures.max_macs_under_query_limit = macs;
        section.figures.max_macs_measured = true;
      }
      await dropModel(canister, name);
    } catch (error) {
      section.skipped.push(`dense ${side}×${side} over ${rowCount} rows: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }

  // A build spread over messages (canister/build.ts): an int8 model whose lane packing passes one
  // message's build budget, committed, then built by timer messages (a second apart) until it answers.
  // Full run: three Dense 1536×1536 on BigInt lanes (7.08M weights, ~41B to pack) at the canister's
  // own budget; --quick: 768×768 twice (1.18M weights) under a budget lowered to 1B (set_build_budget).
  {
    const sizes = ctx.quick ? [768, 768, 768] : [1536, 1536, 1536, 1536];
    const budget = ctx.quick ? 1_000_000_000 : BUILD_MESSAGE_BUDGET;
    const weights = sizes.slice(1).reduce((n, units, k) => n + units * sizes[k], 0);
    const name = `dense-stack-${sizes.join('x')}`;
    const setBudget = (value: number | null) =>
      measureUpdate(canister, 'set_build_budget', candidArgs([IDL.Opt(IDL.Nat64)], [value === null ? [] : [BigInt(value)]]), DEFAULT_CONTROLLER);
    try {
      if (budget !== BUILD_MESSAGE_BUDGET) await setBudget(budget);
      const bytes = convertTfjsModel(await writeDenseStackModel(`${buildDir}/synthetic/${name}`, sizes), 'int8').bytes;
      ctx.progress(`scaling: ${name} (${formatBytes(bytes.length)}; ${formatInteger(weights)} int8 weights, built over several messages)`);
      const upload = await uploadModel(canister, name, bytes);
      // the log keeps the last 1,000 messages: the commit's record marks where the build starts
      const mark = canister.messageLog.at(-1);
      const input = candidArgs([IDL.Text, types.Input], [name, { vector: Array.from({ length: sizes[0] }, (_, i) => Math.cos(i * 0.37)) }]);
      let answered = false;
      let loadingAnswers = 0;
      for (let second = 0; second < 600 && !answered; second++) {
        answered = predicted(await canister.query('predict', input)).ok;
        if (!answered) {
          loadingAnswers++;
          await host.advanceTime(1_000_000_000n);
        }
      }
      const timers = canister.messageLog.slice(mark === undefined ? 0 : canister.messageLog.lastIndexOf(mark) + 1).filter((m) => m.kind === 'update' && m.method.includes('timer_executor')).map((m) => Number(m.instructions));
      const largest = Math.max(upload.commit, ...timers);
      section.figures.spread_pack_weights = weights;
      section.figures.spread_pack_budget = budget;
      section.figures.spread_pack_commit = upload.commit;
      section.figures.spread_pack_messages = timers.length;
      section.figures.spread_pack_total = timers.reduce((a, b) => a + b, upload.commit);
      section.figures.spread_pack_answered = answered ? 1 : 0;
      if (answered) section.figures.spread_pack_max_message = largest;
      record(section, 'scaling.spread_pack_commit', `${name}, int8: commit_upload (checks and loads; the packing is left to timers)`, 'update', upload.commit, {
        note: `${formatInteger(weights)} weights to pack at ~5,800 instructions each (~${formatInstructions(weights * 5800)}), over the ${formatInstructions(budget)} build budget per message`,
      });
      record(section, 'scaling.spread_pack', `${name}, int8: the build, ${timers.length} timer message(s) after the commit (packing, then the trial prediction)`, 'update', largest, {
        note: `${answered ? 'answered after' : 'did not answer in'} ${loadingAnswers} s of canister time (predict answered loading meanwhile); largest message ${formatInstructions(largest)} (${((largest / Number(IC_INSTRUCTION_LIMITS.update)) * 100).toFixed(1)}% of the update limit), all messages ${formatInstructions(section.figures.spread_pack_total as number)}`,
      });
      await dropModel(canister, name);
    } catch (error) {
      section.skipped.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    } finally {
      if (budget !== BUILD_MESSAGE_BUDGET) await setBudget(null);
    }
  }

  const dimensions = ctx.quick ? [16, 64, 256] : [16, 64, 256, 1024];
  for (const quantize of QUANTIZATIONS) {
    const points: Point[] = [];
    for (const d of dimensions) {
      const bytes = convertTfjsModel(await writeEmbeddingModel(`${buildDir}/synthetic/embedding-1000x${d}`, 1000, d), quantize).bytes;
      const name = `embedding-${d}-${quantize}`;
      ctx.progress(`scaling: ${name}`);
      await uploadModel(canister, name, bytes);
      const result = await predict(canister, 'query', name, { tokens: Int32Array.from({ length: 20 }, (_, i) => (i * 47) % 1000) });
      points.push({ work: 20 * d, instructions: result.instructions, methodInstructions: result.methodInstructions });
      record(section, `scaling.embedding_${d}_${quantize}`, `embedding 1000×${d} → pool → dense(2), ${quantize}`, 'query', result.instructions, {
        methodInstructions: result.methodInstructions,
      });
      await dropModel(canister, name);
    }
    const perAdd = slope(points);
    section.figures[`embedding_${quantize}_instructions_per_add`] = perAdd;
    rows.push([`embedding lookup + pooling, ${quantize} file`, perAdd.toFixed(1), '—', '—', '—']);
  }
  section.tables.push({
    headers: ['kernel', 'instructions per multiply-add (in method)', 'commit instructions per weight', `max multiply-adds in one query (the ${formatInstructions(QUERY_LIMIT)} query budget, from the slope)`, 'largest square dense layer (from the slope)'],
    rows,
  });
  return section;
}
