// The seed's size: a ~90 MB model (one large embedding table, the shape of the spam
// model) uploaded, committed, carried through an upgrade and predicting, with each
// step's instructions against the IC's limits (40B per update, 300B per upgrade,
// 5B per query).
import { IDL } from '@dfinity/candid';

import { uploadModel as clientUpload, type UploadActor } from '../../client/upload.ts';
import { idlFactory, type DecentAIService } from '../../canister/types.ts';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, IC_INSTRUCTION_LIMITS, lastCall, type Canister } from '../../host/index.ts';
import { candidArgs, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes, formatInstructions } from '../lib/format.ts';
import { CHUNK_BYTES, predict, types } from '../lib/decentai.ts';
import { convertTfjsModel } from '../lib/models.ts';
import { buildDir } from '../lib/paths.ts';
import type { Section } from '../lib/results.ts';
import { writeEmbeddingModel } from '../lib/synthetic.ts';
import type { Result, UploadStatus } from '../../canister/types.ts';
import { LIMITS } from '../../canister/registry.ts';

/** The largest file begin_upload takes (canister/registry.ts LIMITS.maxModelBytes). */
const MAX_FILE_BYTES = LIMITS.maxModelBytes;

// 351,232 × 64 float32 = 89.9 MB of weights.
const VOCABULARY = 351_232;
const DIMENSION = 64;

/**
 * The project's own upload client (client/upload.ts) over a host actor, with every call's
 * instructions recorded: the upload is measured the way users run it.
 */
function recordingActor(canister: Canister): { actor: UploadActor; calls: { method: string; instructions: number }[] } {
  // canister/types.ts types its factory precisely; createActor takes the generic InterfaceFactory.
  const factory = idlFactory as unknown as IDL.InterfaceFactory;
  const inner = createActor<DecentAIService>(canister, factory, { caller: DEFAULT_CONTROLLER });
  const calls: { method: string; instructions: number }[] = [];
  const actor = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const result: unknown = await value(...args);
        calls.push({ method: String(property), instructions: Number(lastCall(inner)?.instructions ?? 0n) });
        return result;
      };
    },
  });
  return { actor, calls };
}

function withinLimit(instructions: number, limit: bigint): string {
  return `${((instructions / Number(limit)) * 100).toFixed(1)}% of the ${formatInstructions(Number(limit))} limit`;
}

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'big',
    "The seed's size: a ~90 MB model",
    `A synthetic Embedding(${VOCABULARY.toLocaleString('en-US')}, ${DIMENSION}) → average pooling → Dense(2) TF.js model (${formatBytes(VOCABULARY * DIMENSION * 4)} of float32 weights), converted, uploaded in ${formatBytes(CHUNK_BYTES)} chunks, committed, carried through an upgrade and predicting.`,
  );
  if (ctx.quick) {
    section.skipped.push('--quick: the ~90 MB model is not run');
    return section;
  }
  ctx.progress('big: writing and converting the ~90 MB model');
  const modelJson = await writeEmbeddingModel(`${buildDir}/synthetic/embedding-${VOCABULARY}x${DIMENSION}`, VOCABULARY, DIMENSION);
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);

  // The float32 file as is: the canister declares its largest accepted file, so ask first.
  const float32 = convertTfjsModel(modelJson, 'float32').bytes;
  section.figures.float32_bytes = float32.length;
  const begin = await measureUpdate(
    canister,
    'begin_upload',
    candidArgs([IDL.Text, IDL.Nat64, IDL.Text], ['big-float32', BigInt(float32.length), '0'.repeat(64)]),
    DEFAULT_CONTROLLER,
  );
  const answer = IDL.decode([types.UploadResult], begin.reply)[0] as unknown as Result<UploadStatus>;
  if ('err' in answer) {
    section.skipped.push(`float32 file (${formatBytes(float32.length)}): begin_upload refused it: ${answer.err.code}: ${answer.err.message}`);
    section.figures.float32_accepted = false;
  } else {
    section.figures.float32_accepted = true;
  }

  // The float32 file when the canister takes it (the case); else its int8 quarter.
  // (Each byte uploaded is hashed on chain, ~12.6K instructions: the 85.8 MiB file is ~1.1T instructions of host time.)
  if (!('err' in answer)) await measureUpdate(canister, 'abort_upload', candidArgs([IDL.Nat32], [answer.ok.upload_id]), DEFAULT_CONTROLLER);
  const quantizations: ('float32' | 'int8')[] = 'err' in answer ? ['int8'] : ['float32'];
  let bigBytes = 0;
  for (const quantize of quantizations) {
    const bytes = quantize === 'float32' ? float32 : convertTfjsModel(modelJson, quantize).bytes;
    const name = `big-${quantize}`;
    ctx.progress(`big: uploading ${name} (${formatBytes(bytes.length)}) with client/upload.ts`);
    // On-chain verification is measured per byte in the canister section; here it would take ~300B instructions of host time.
    const { actor, calls } = recordingActor(canister);
    await clientUpload(actor, name, bytes, { verify: false });
    const appends = calls.filter((c) => c.method === 'append_chunk').map((c) => c.instructions);
    const commit = calls.find((c) => c.method === 'commit_upload')?.instructions ?? NaN;
    const appendTotal = appends.reduce((n, a) => n + a, 0);
    const appendMax = Math.max(...appends);
    record(section, `big.${quantize}.append`, `${quantize} file ${formatBytes(bytes.length)}: ${appends.length} append_chunk calls (total)`, 'update', appendTotal, {
      note: `largest call ${formatInstructions(appendMax)}, ${withinLimit(appendMax, IC_INSTRUCTION_LIMITS.update)}`,
    });
    record(section, `big.${quantize}.append_chunk`, `${quantize}: one append_chunk of ${formatBytes(CHUNK_BYTES)} (stored and hashed)`, 'update', appends[0] ?? NaN, {
      note: withinLimit(appends[0] ?? NaN, IC_INSTRUCTION_LIMITS.update),
    });
    // Commit and the rebuild after an upgrade grow with the file: per byte, and at the largest file begin_upload takes.
    const atLimit = (commit / bytes.length) * MAX_FILE_BYTES;
    section.figures[`${quantize}_commit_per_byte`] = commit / bytes.length;
    section.figures[`${quantize}_commit_at_max_file`] = atLimit;
    record(section, `big.${quantize}.commit`, `${quantize}: commit_upload (SHA-256 compared, loaded, activated)`, 'update', commit, {
      note: `${withinLimit(commit, IC_INSTRUCTION_LIMITS.update)}; ${(commit / bytes.length).toFixed(1)} per byte, so ~${formatInstructions(atLimit)} for a ${formatBytes(MAX_FILE_BYTES)} file (${withinLimit(atLimit, IC_INSTRUCTION_LIMITS.update)}): one message`,
    });
    bigBytes = bytes.length;
    const before = await predict(canister, 'query', name, { tokens: Int32Array.from({ length: 20 }, (_, i) => (i * 7919) % VOCABULARY) });
    record(section, `big.${quantize}.predict`, `${quantize}: Candid predict, 20 token ids`, 'query', before.instructions, {
      methodInstructions: before.methodInstructions,
      note: withinLimit(before.instructions, IC_INSTRUCTION_LIMITS.query),
    });
  }
  ctx.progress('big: upgrade');
  const logStart = canister.messageLog.length;
  const upgrade = await canister.upgrade(wasm);
  if (upgrade.status !== 'replied') throw new Error(`upgrade with the big model failed: ${upgrade.rejectMessage}`);
  record(section, 'big.upgrade', 'upgrade carrying the model (post_upgrade compiles the core and reads the registry)', 'upgrade', Number(upgrade.instructions), {
    note: withinLimit(Number(upgrade.instructions), IC_INSTRUCTION_LIMITS.install),
  });
  const loads = canister.messageLog.slice(logStart).filter((m) => m.kind === 'update' && m.method.includes('timer_executor'));
  const load = Math.max(0, ...loads.map((m) => Number(m.instructions)));
  const loadAtLimit = bigBytes > 0 ? (load / bigBytes) * MAX_FILE_BYTES : NaN;
  section.figures.load_after_upgrade_at_max_file = loadAtLimit;
  record(section, 'big.load_after_upgrade', 'the timer message that loads the model after the upgrade', 'update', load, {
    note: `${withinLimit(load, IC_INSTRUCTION_LIMITS.update)}; ~${formatInstructions(loadAtLimit)} for a ${formatBytes(MAX_FILE_BYTES)} file (${withinLimit(loadAtLimit, IC_INSTRUCTION_LIMITS.update)})`,
  });
  for (const quantize of quantizations) {
    const after = await predict(canister, 'query', `big-${quantize}`, { tokens: Int32Array.from({ length: 20 }, (_, i) => (i * 7919) % VOCABULARY) });
    record(section, `big.${quantize}.predict_after_upgrade`, `${quantize}: Candid predict after the upgrade`, 'query', after.instructions, {
      methodInstructions: after.methodInstructions,
      note: withinLimit(after.instructions, IC_INSTRUCTION_LIMITS.query),
    });
  }
  section.figures.heap_bytes_after_upgrade = canister.heapSize();
  section.figures.stable_bytes = Number(canister.stableMemorySize());
  return section;
}
