// The decentai canister on the in-process host: init, upload / commit / verify per
// quantization, predictions (Candid and REST, query and update, texts of growing
// size, tokens, batches) and an upgrade carrying every model, for the default and
// the spam models.
import { IDL } from '@dfinity/candid';

import { loadModel } from '../../engine/index.ts';
import { buildAzleCanister, DEFAULT_CONTROLLER, Host, type Canister } from '../../host/index.ts';
import { candidArgs, decodeReply, measureQuery, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes, formatInstructions } from '../lib/format.ts';
import { predict, types, uploadModel, verifyModel, type PredictInputValue } from '../lib/decentai.ts';
import { decodeHttpResponse, httpRequestArg } from '../lib/http.ts';
import { convertTfjsModel, modelDirs, QUANTIZATIONS } from '../lib/models.ts';
import type { Section } from '../lib/results.ts';
import { writeEmbeddingModel } from '../lib/synthetic.ts';
import { buildDir } from '../lib/paths.ts';
import { COMMENTS, SHORT_TEXT, textOfBytes } from '../lib/texts.ts';

const utf8 = new TextEncoder();

/** A JSON body {"text": "..."} of exactly `bytes` bytes: `lead` (ASCII), then the filler text. */
function restBody(bytes: number, lead = ''): Uint8Array {
  const overhead = '{"text":""}'.length;
  const room = Math.max(0, bytes - overhead);
  const text = lead ? `${lead} ${textOfBytes(room)}`.slice(0, room) : textOfBytes(room);
  return utf8.encode(JSON.stringify({ text }));
}

/**
 * Short words, more than any model's sequence holds, in under 100 B: a 100 B body that
 * starts with them fills the sequence just as a 64 KB body starting with them does, so the
 * two bodies differ in size only (same tokens, same layers).
 */
const FILLING_LEAD = 'so i am in it to win it and you can be in it too if we go on as we do';

/**
 * The body_size target's pair (issue 9: "a 64 KB and a 100 B body holding the same words"):
 * {"text": FILLING_LEAD} with the string padded by spaces to exactly `bytes` bytes. Both hold
 * the same words, so the model reads the same tokens (spaces make none); only the body grows.
 */
export function sameWordsBody(bytes: number): Uint8Array {
  const room = bytes - '{"text":""}'.length;
  if (room < FILLING_LEAD.length) throw new Error(`a ${bytes} B body cannot hold the lead words`);
  return utf8.encode(JSON.stringify({ text: FILLING_LEAD.padEnd(room, ' ') }));
}

/** The words of `text` the model's tokenizer keeps, and its word slots (the sequence without a start token). */
function wordsKept(modelBytes: Uint8Array, text: string): { words: number; slots: number } | undefined {
  const model = loadModel(modelBytes);
  const tokenizer = model.tokenizer;
  if (!tokenizer) return undefined;
  const ids = model.tokenize(text);
  let words = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== tokenizer.padId && !(i === 0 && ids[i] === tokenizer.startId)) words++;
  const slots = ids.length - (ids[0] === tokenizer.startId ? 1 : 0);
  return { words, slots };
}

/** The text of a REST body made by restBody. */
const bodyText = (body: Uint8Array): string => (JSON.parse(new TextDecoder().decode(body)) as { text: string }).text;

/** A REST call that must answer 200 (or ask for an upgrade); returns the in-method counter from the JSON. */
async function rest(
  canister: Canister,
  kind: 'query' | 'update',
  url: string,
  body: Uint8Array,
): Promise<{ instructions: number; methodInstructions?: number; upgrade: boolean }> {
  const arg = httpRequestArg('POST', url, body);
  const { instructions, reply } = kind === 'query' ? await measureQuery(canister, 'http_request', arg) : await measureUpdate(canister, 'http_request_update', arg);
  const response = decodeHttpResponse(reply);
  const upgrade = response.upgrade.length === 1 && response.upgrade[0];
  if (response.status_code !== 200) throw new Error(`${url}: HTTP ${response.status_code}: ${new TextDecoder().decode(Uint8Array.from(response.body))}`);
  if (upgrade) return { instructions, upgrade };
  const answer = JSON.parse(new TextDecoder().decode(Uint8Array.from(response.body))) as { instructions?: number };
  return { instructions, methodInstructions: answer.instructions, upgrade };
}

function batchOf(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => utf8.encode(COMMENTS[i % COMMENTS.length]));
}

async function measureModel(ctx: BenchContext, section: Section, canister: Canister, name: string, dir: string): Promise<void> {
  // Upload, commit and verify each quantization; one short prediction on each.
  for (const quantize of QUANTIZATIONS) {
    const bytes = convertTfjsModel(`${dir}/model.json`, quantize).bytes;
    const modelName = quantize === 'float32' ? name : `${name}-${quantize}`;
    const prefix = quantize === 'float32' ? `${name}.upload` : `${name}.upload.${quantize}`;
    ctx.progress(`canister: upload ${modelName} (${formatBytes(bytes.length)})`);
    const upload = await uploadModel(canister, modelName, bytes);
    const appended = upload.appends.reduce((n, a) => n + a.instructions, 0);
    record(section, `${prefix}.begin`, `${name} ${quantize}: begin_upload`, 'update', upload.begin);
    record(section, `${prefix}.append`, `${name} ${quantize}: append_chunk, ${formatBytes(bytes.length)} in ${upload.appends.length} chunk(s)`, 'update', appended, {
      note: `${(appended / bytes.length).toFixed(1)} instructions/byte`,
    });
    record(section, `${prefix}.commit`, `${name} ${quantize}: commit_upload (SHA-256 compared, the model loaded and activated)`, 'update', upload.commit);
    if (!upload.model.verified) throw new Error(`commit of ${modelName} is not verified`);
    const short = await predict(canister, 'query', modelName, { text: utf8.encode(SHORT_TEXT) });
    const id = quantize === 'float32' ? `${name}.candid.predict_short` : `${name}.candid.predict_short_${quantize}`;
    record(section, id, `${name} ${quantize}: Candid predict, short text`, 'query', short.instructions, {
      methodInstructions: short.methodInstructions,
      note: `${short.ok.predictions[0]?.label} ${Array.from(short.ok.predictions[0]?.scores ?? [], (s) => s.toFixed(4)).join(', ')}`,
    });
  }

  ctx.progress(`canister: predictions on ${name}`);
  const candidCases: [string, string, PredictInputValue][] = [
    ['candid.predict_1k', 'Candid predict, 1 KB text', { text: utf8.encode(textOfBytes(1024)) }],
    ['candid.predict_64k', 'Candid predict, 64 KB text', { text: utf8.encode(textOfBytes(65_536)) }],
    ['candid.predict_tokens', 'Candid predict, 20 token ids', { tokens: Int32Array.from({ length: 20 }, (_, i) => (i * 37) % 200) }],
    ['candid.batch_1', 'Candid predict, batch of 1 text', { texts: batchOf(1) }],
    ['candid.batch_8', 'Candid predict, batch of 8 texts', { texts: batchOf(8) }],
    ['candid.batch_64', 'Candid predict, batch of 64 texts', { texts: batchOf(64) }],
  ];
  for (const [key, label, input] of candidCases) {
    const result = await predict(canister, 'query', name, input);
    record(section, `${name}.${key}`, `${name}: ${label}`, 'query', result.instructions, { methodInstructions: result.methodInstructions });
  }
  const asUpdate = await predict(canister, 'update', name, { text: utf8.encode(SHORT_TEXT) });
  record(section, `${name}.candid.update_short`, `${name}: Candid predict_update, short text`, 'update', asUpdate.instructions, {
    methodInstructions: asUpdate.methodInstructions,
  });

  const url = `/models/${name}/predict`;
  const restCases: [string, string, Uint8Array][] = [
    ['rest.query_short', 'REST predict (http_request), short text', utf8.encode(JSON.stringify({ text: SHORT_TEXT }))],
    ['rest.query_100b', 'REST predict, 100 B body', restBody(100)],
    ['rest.query_1k', 'REST predict, 1 KB body', restBody(1024)],
    ['rest.query_64k', 'REST predict, 64 KB body', restBody(65_536)],
    ['rest.query_100b_same', 'REST predict, 100 B body: short words that fill the sequence, padded with spaces', sameWordsBody(100)],
    ['rest.query_64k_same', 'REST predict, 64 KB body holding the same words (the string padded with spaces)', sameWordsBody(65_536)],
    ['rest.query_100b_full', 'REST predict, 100 B body of short words that fill the sequence', restBody(100, FILLING_LEAD)],
    ['rest.query_64k_full', 'REST predict, 64 KB body starting with the same words, then words past the sequence', restBody(65_536, FILLING_LEAD)],
    ['rest.query_tokens', 'REST predict, 20 token ids', utf8.encode(JSON.stringify({ tokens: Array.from({ length: 20 }, (_, i) => (i * 37) % 200) }))],
    ['rest.query_batch_64', 'REST predict, batch of 64 texts', utf8.encode(JSON.stringify({ texts: Array.from({ length: 64 }, (_, i) => COMMENTS[i % COMMENTS.length]) }))],
  ];
  const float32Bytes = convertTfjsModel(`${dir}/model.json`, 'float32').bytes;
  for (const [key, label, body] of restCases) {
    const result = await rest(canister, 'query', url, body);
    // How many words of the body the model reads: bodies of different sizes may also differ in words.
    const kept = key.startsWith('rest.query_1') || key.startsWith('rest.query_6') ? wordsKept(float32Bytes, bodyText(body)) : undefined;
    if (kept) {
      section.figures[`${name}_${key.replace('.', '_')}_words`] = kept.words;
      section.figures[`${name}_word_slots`] = kept.slots;
    }
    record(section, `${name}.${key}`, `${name}: ${label}`, 'query', result.instructions, {
      methodInstructions: result.methodInstructions,
      note: kept ? `${kept.words} of ${kept.slots} word slots filled` : undefined,
    });
  }
  const verifiedBody = utf8.encode(JSON.stringify({ text: SHORT_TEXT }));
  const redirect = await rest(canister, 'query', `${url}?verified=true`, verifiedBody);
  if (!redirect.upgrade) throw new Error('REST ?verified=true did not ask for an upgrade to an update call');
  record(section, `${name}.rest.verified_redirect`, `${name}: REST ?verified=true, the query that answers "upgrade"`, 'query', redirect.instructions);
  const verified = await rest(canister, 'update', `${url}?verified=true`, verifiedBody);
  record(section, `${name}.rest.update_short`, `${name}: REST verified (http_request_update), short text`, 'update', verified.instructions, {
    methodInstructions: verified.methodInstructions,
  });
}

/** begin_upload of a small probe file, then abort_upload; the begin's instructions. */
async function probeBegin(canister: Canister): Promise<number> {
  const arg = candidArgs([IDL.Text, IDL.Nat64, IDL.Text], ['core-load-probe', 1024n, '00'.repeat(32)]);
  const begin = await measureUpdate(canister, 'begin_upload', arg, DEFAULT_CONTROLLER);
  const result = decodeReply<{ ok?: { upload_id: number }; err?: { code: string; message: string } }>(types.UploadResult, begin.reply);
  if (!result.ok) throw new Error(`begin_upload: ${result.err?.code}: ${result.err?.message}`);
  await measureUpdate(canister, 'abort_upload', candidArgs([IDL.Nat32], [result.ok.upload_id]), DEFAULT_CONTROLLER);
  return begin.instructions;
}

/**
 * The core (engine, registry, wire) is compiled on the first update that needs it: a query
 * before any update compiles it for that call only (its state is discarded), the first
 * begin_upload compiles and keeps it, a later begin_upload finds it loaded.
 */
async function measureCoreLoad(section: Section, canister: Canister): Promise<void> {
  const missing = await measureQuery(canister, 'predict', candidArgs([IDL.Text, types.Input], ['no-such-model', { text: utf8.encode(SHORT_TEXT) }]));
  record(section, 'decentai.query_before_update', 'predict query before any update (compiles the core for this call only; answers not_found)', 'query', missing.instructions);
  const listed = await measureQuery(canister, 'list_models', candidArgs([], []));
  record(section, 'decentai.list_models_before_update', 'list_models before any update (precomputed empty answer, no core)', 'query', listed.instructions);
  const first = await probeBegin(canister);
  record(section, 'decentai.first_update', 'first update after install: begin_upload (compiles and keeps the core)', 'update', first);
  const later = await probeBegin(canister);
  record(section, 'decentai.begin_upload_loaded', 'a later begin_upload (core already loaded)', 'update', later);
  section.figures.core_load = first - later;
}

/** Upgrades of a canister holding 1 and 64 small models: post_upgrade reads the registry only; timers load the models. */
async function measureUpgradeScaling(ctx: BenchContext, section: Section, host: Host, wasm: Uint8Array): Promise<void> {
  const small = convertTfjsModel(await writeEmbeddingModel(`${buildDir}/synthetic/embedding-200x8`, 200, 8), 'float32').bytes;
  const figures: Record<number, number> = {};
  for (const count of [1, 64]) {
    ctx.progress(`canister: upgrade with ${count} stored model(s)`);
    const canister = await host.install(wasm);
    for (let i = 0; i < count; i++) await uploadModel(canister, `m${i}`, small);
    const logStart = canister.messageLog.length;
    const upgrade = await canister.upgrade(wasm);
    if (upgrade.status !== 'replied') throw new Error(`upgrade with ${count} models failed: ${upgrade.rejectMessage}`);
    const loads = canister.messageLog.slice(logStart).filter((m) => m.kind === 'update' && m.method.includes('timer_executor'));
    const largest = Math.max(0, ...loads.map((m) => Number(m.instructions)));
    figures[count] = Number(upgrade.instructions);
    record(section, `decentai.upgrade_${count}_model${count === 1 ? '' : 's'}`, `upgrade with ${count} stored model(s) (${formatBytes(small.length)} each): post_upgrade reads the registry, loads none`, 'upgrade', Number(upgrade.instructions), {
      note: `then ${loads.length} timer message(s) load the models, the largest ${formatInstructions(largest)}`,
    });
    section.figures[`load_message_max_${count}`] = largest;
    const answer = await predict(canister, 'query', `m${count - 1}`, { tokens: Int32Array.from({ length: 20 }, (_, i) => i) });
    if (answer.ok.predictions.length !== 1) throw new Error(`m${count - 1} does not answer after the upgrade`);
  }
  section.figures.upgrade_ratio_64_vs_1 = figures[64] / figures[1];
}

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'canister',
    'decentai canister',
    'canister/ built by Azle and run on the in-process host. Init keeps only thin Azle glue: the core (engine, registry, wire; minified by scripts/build-canister.ts) is a string compiled with `new Function` by the first update that needs it, or by post_upgrade when models are stored; a query before any update compiles it for that call only. "in method" is the performance counter the canister reports in its answer (read just before it encodes the reply); the rest of the whole message is Azle dispatch, argument reading and reply.',
  );
  ctx.progress('building decentai');
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);
  record(section, 'decentai.init', 'init (no model yet: thin glue; the core is an environment variable of the wasm data, compiled later)', 'install', Number(canister.lastInitInstructions));
  const emptyUpgrade = await canister.upgrade(wasm);
  if (emptyUpgrade.status !== 'replied') throw new Error(`decentai upgrade failed: ${emptyUpgrade.rejectMessage}`);
  record(section, 'decentai.upgrade_empty', 'upgrade before any model (nothing stored: post_upgrade leaves the core unloaded)', 'upgrade', Number(emptyUpgrade.instructions));
  await measureCoreLoad(section, canister);

  const models = modelDirs(ctx.spamModelDir, ctx.defaultModelDir);
  if (!ctx.spamModelDir) section.skipped.push('spam model: ../shared/models/spam-detection is absent');
  for (const { name, dir } of models) await measureModel(ctx, section, canister, name, dir);

  // The int8 file's commit as the only model: on the shared canister it is the third upload,
  // and the registry's bookkeeping grows with the models already stored.
  if (ctx.spamModelDir) {
    const alone = await host.install(wasm);
    const int8 = convertTfjsModel(`${ctx.spamModelDir}/model.json`, 'int8').bytes;
    const upload = await uploadModel(alone, 'spam-int8', int8);
    record(section, 'spam.upload.int8.commit_alone', `spam int8: commit_upload as the only model (a fresh canister)`, 'update', upload.commit);
  }

  // Per-byte upload and verification figures need full chunks: a synthetic model of a few MiB.
  // quick: one full 1 MiB chunk and a short second one (each byte appended is hashed on chain, ~12.6K instructions of host time)
  const vocabulary = ctx.quick ? 17_500 : 160_000;
  const syntheticDir = `${buildDir}/synthetic/embedding-${vocabulary}x16`;
  const synthetic = convertTfjsModel(await writeEmbeddingModel(syntheticDir, vocabulary, 16), 'float32').bytes;
  ctx.progress(`canister: upload a ${formatBytes(synthetic.length)} synthetic model`);
  const upload = await uploadModel(canister, 'synthetic', synthetic);
  const full = upload.appends.filter((a) => a.bytes === upload.appends[0].bytes);
  const appendPerByte = full.reduce((n, a) => n + a.instructions, 0) / full.reduce((n, a) => n + a.bytes, 0);
  record(section, 'synthetic.upload.append_chunk', `synthetic ${formatBytes(synthetic.length)}: one full append_chunk (${formatBytes(full[0].bytes)})`, 'update', full[0].instructions, {
    note: `${appendPerByte.toFixed(1)} instructions/byte; ${formatInstructions(appendPerByte * 1024 * 1024)} per MiB`,
  });
  record(section, 'synthetic.upload.commit', `synthetic ${formatBytes(synthetic.length)}: commit_upload`, 'update', upload.commit);
  const verify = await verifyModel(canister, 'synthetic', upload.model.version);
  if (!verify.verified) throw new Error('verify of the synthetic model did not answer verified');
  record(section, 'synthetic.upload.verify', `synthetic ${formatBytes(synthetic.length)}: verify (answers the check made at commit, no hashing), ${verify.calls} call(s)`, 'update', verify.instructions);
  // The SHA-256 runs in append_chunk, as the chunks arrive: an append's cost per byte is the hash's.
  section.figures.append_per_byte = appendPerByte;
  section.figures.append_per_mib = appendPerByte * 1024 * 1024;
  section.figures.chunk_bytes = full[0].bytes;
  section.figures.append_per_chunk = full[0].instructions;
  section.figures.verify_per_byte = appendPerByte;

  await measureUpgradeScaling(ctx, section, host, wasm);

  ctx.progress('canister: upgrade carrying every model');
  const upgrade = await canister.upgrade(wasm);
  if (upgrade.status !== 'replied') throw new Error(`decentai upgrade failed: ${upgrade.rejectMessage}`);
  record(section, 'decentai.upgrade', `upgrade, ${models.length * QUANTIZATIONS.length + 1} models stored (post_upgrade compiles the core and reads the registry; timers load the models)`, 'upgrade', Number(upgrade.instructions));
  section.figures.upgrade_models = models.length * QUANTIZATIONS.length + 1;
  for (const { name } of models) {
    const after = await predict(canister, 'query', name, { text: utf8.encode(SHORT_TEXT) });
    record(section, `${name}.candid.predict_short_after_upgrade`, `${name}: Candid predict, short text, after the upgrade`, 'query', after.instructions, {
      methodInstructions: after.methodInstructions,
    });
  }
  return section;
}
