// Scaling: synthetic models of growing size on the decentai canister, to get the
// instructions per multiply-add of each kernel variant (float32 Dense, float16 file
// decoded to float32 at load, int8 integer Dense; embedding lookup + average pooling)
// and the largest dense layer that answers one query under the 5B limit.
import { IDL } from '@dfinity/candid';

import { buildAzleCanister, DEFAULT_CONTROLLER, Host, IC_INSTRUCTION_LIMITS, type Canister } from '../../host/index.ts';
import type { Quantization } from '../../converter/convert.ts';
import { candidArgs, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes, formatInstructions, formatInteger } from '../lib/format.ts';
import { predict, types, uploadModel } from '../lib/decentai.ts';
import { convertTfjsModel, QUANTIZATIONS } from '../lib/models.ts';
import { buildDir } from '../lib/paths.ts';
import type { Section } from '../lib/results.ts';
import { writeDenseModel, writeEmbeddingModel } from '../lib/synthetic.ts';

/** The canister refuses model files above this (canister/registry.ts LIMITS.maxModelBytes). */
const MAX_MODEL_BYTES = 32 * 1024 * 1024;
const QUERY_LIMIT = Number(IC_INSTRUCTION_LIMITS.query);

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

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'scaling',
    'Scaling: synthetic models',
    'Synthetic TF.js models (bench/lib/synthetic.ts) converted per quantization, uploaded to one decentai canister and predicted once each. Dense: one square n×n layer on a float vector (n² multiply-adds). Embedding: Embedding(1000, d) → average pooling → Dense(2) on 20 ids (20·d adds in the lookup). Instructions per multiply-add are the slope of the in-method counter between the two largest sizes, so fixed costs cancel.',
  );
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);

  // The largest stays under 5B per query at ~1,200 instructions per multiply-add.
  const denseSizes = ctx.quick ? [128, 256, 512] : [256, 512, 1024, 1536];
  const rows: string[][] = [];
  let bestPerMac = Infinity;
  let bestVariant = '';
  for (const quantize of QUANTIZATIONS) {
    const points: Point[] = [];
    for (const n of denseSizes) {
      const bytes = convertTfjsModel(await writeDenseModel(`${buildDir}/synthetic/dense-${n}`, n, n), quantize).bytes;
      const name = `dense-${n}-${quantize}`;
      ctx.progress(`scaling: ${name} (${formatBytes(bytes.length)})`);
      await uploadModel(canister, name, bytes);
      const input = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const result = await predict(canister, 'query', name, { vector: Array.from(input) });
      points.push({ work: n * n, instructions: result.instructions, methodInstructions: result.methodInstructions });
      record(section, `scaling.dense_${n}_${quantize}`, `dense ${n}×${n}, ${quantize} file (${formatBytes(bytes.length)})`, 'query', result.instructions, {
        methodInstructions: result.methodInstructions,
        note: `${formatInstructions(n * n)} multiply-adds; ${(result.methodInstructions / (n * n)).toFixed(1)} instructions each, fixed costs included`,
      });
      await dropModel(canister, name);
    }
    const perMac = slope(points);
    section.figures[`dense_${quantize}_instructions_per_mac`] = perMac;
    // Fixed cost of a prediction at this kernel, from the largest point.
    const last = points[points.length - 1];
    const fixed = last.instructions - perMac * last.work;
    const maxMacsByInstructions = Math.floor((QUERY_LIMIT - fixed) / perMac);
    const maxMacsBySize = Math.floor(MAX_MODEL_BYTES / BYTES_PER_WEIGHT[quantize]);
    const largestSide = Math.floor(Math.sqrt(Math.min(maxMacsByInstructions, maxMacsBySize)));
    section.figures[`dense_${quantize}_max_macs_by_instructions`] = maxMacsByInstructions;
    section.figures[`dense_${quantize}_largest_square_layer`] = largestSide;
    rows.push([
      `dense, ${quantize} file`,
      perMac.toFixed(1),
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

  // Measured, not only extrapolated: the largest square layer the slope allows, and a
  // 10M multiply-add layer (the target), each asked in one query of the best kernel.
  const best = bestVariant as Quantization;
  const predictedSide = section.figures[`dense_${best}_largest_square_layer`] as number;
  const trials = ctx.quick ? [] : [Math.floor(predictedSide * 0.98), 3163];
  let largestAnswered = 0;
  for (const side of trials) {
    const bytes = convertTfjsModel(await writeDenseModel(`${buildDir}/synthetic/dense-${side}`, side, side), best).bytes;
    const name = `dense-${side}-${best}`;
    ctx.progress(`scaling: ${name} (${formatBytes(bytes.length)})`);
    const upload = await uploadModel(canister, name, bytes);
    record(section, `scaling.dense_${side}_commit`, `dense ${side}×${side} ${best}: commit_upload (${formatBytes(bytes.length)})`, 'update', upload.commit);
    const arg = candidArgs([IDL.Text, types.Input], [name, { vector: Array.from({ length: side }, (_, i) => Math.cos(i)) }]);
    const result = await canister.query('predict', arg);
    const instructions = Number(result.instructions);
    const macs = side * side;
    if (result.status === 'replied') {
      largestAnswered = Math.max(largestAnswered, macs);
      record(section, `scaling.dense_${side}`, `dense ${side}×${side}, ${best}: ${formatInteger(macs)} multiply-adds in one query`, 'query', instructions, {
        note: `answered; ${(instructions / macs).toFixed(1)} instructions per multiply-add, whole message`,
      });
    } else {
      record(section, `scaling.dense_${side}`, `dense ${side}×${side}, ${best}: ${formatInteger(macs)} multiply-adds in one query`, 'query', instructions, {
        note: `rejected: ${result.rejectMessage?.split('\n')[0] ?? 'no message'}`,
      });
    }
    await dropModel(canister, name);
  }
  if (ctx.quick) {
    section.skipped.push('--quick: no dense layer near the 5B limit was run; "max multiply-adds in one query" is extrapolated from the slope');
    section.figures.max_macs_under_query_limit = section.figures[`dense_${best}_max_macs_by_instructions`] as number;
    section.figures.max_macs_measured = false;
  } else {
    section.figures.max_macs_under_query_limit = largestAnswered;
    section.figures.max_macs_measured = true;
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
    rows.push([`embedding lookup + pooling, ${quantize} file`, perAdd.toFixed(1), '—', '—']);
  }
  section.tables.push({
    headers: ['kernel', 'instructions per multiply-add (in method)', 'max multiply-adds in one query (5B)', 'largest square dense layer'],
    rows,
  });
  return section;
}
