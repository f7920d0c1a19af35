// The decentai canister on the in-process host: init, upload / commit / verify per
// quantization, predictions (Candid and REST, query and update, texts of growing
// size, tokens, batches) and an upgrade carrying every model, for the default and
// the spam models.
import { IDL } from '@dfinity/candid';

import { buildAzleCanister, Host, type Canister } from '../../host/index.ts';
import { measureQuery, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes, formatInstructions } from '../lib/format.ts';
import { predict, uploadModel, verifyModel, type PredictInputValue } from '../lib/decentai.ts';
import { decodeHttpResponse, httpRequestArg } from '../lib/http.ts';
import { convertTfjsModel, modelDirs, QUANTIZATIONS } from '../lib/models.ts';
import type { Section } from '../lib/results.ts';
import { writeEmbeddingModel } from '../lib/synthetic.ts';
import { buildDir } from '../lib/paths.ts';
import { COMMENTS, SHORT_TEXT, textOfBytes } from '../lib/texts.ts';

const utf8 = new TextEncoder();

/** A JSON body {"text": "..."} of exactly `bytes` bytes. */
function restBody(bytes: number): Uint8Array {
  const overhead = '{"text":""}'.length;
  return utf8.encode(JSON.stringify({ text: textOfBytes(Math.max(0, bytes - overhead)) }));
}

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
    record(section, `${prefix}.commit`, `${name} ${quantize}: commit_upload (checks, loads the model)`, 'update', upload.commit);
    const verify = await verifyModel(canister, modelName, upload.model.version);
    if (!verify.verified) throw new Error(`verify of ${modelName} did not match its SHA-256`);
    record(section, `${prefix}.verify`, `${name} ${quantize}: verify (on-chain SHA-256), ${verify.calls} call(s)`, 'update', verify.instructions, {
      note: `${(verify.instructions / verify.bytes).toFixed(1)} instructions/byte`,
    });
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
    ['rest.query_tokens', 'REST predict, 20 token ids', utf8.encode(JSON.stringify({ tokens: Array.from({ length: 20 }, (_, i) => (i * 37) % 200) }))],
    ['rest.query_batch_64', 'REST predict, batch of 64 texts', utf8.encode(JSON.stringify({ texts: Array.from({ length: 64 }, (_, i) => COMMENTS[i % COMMENTS.length]) }))],
  ];
  for (const [key, label, body] of restCases) {
    const result = await rest(canister, 'query', url, body);
    record(section, `${name}.${key}`, `${name}: ${label}`, 'query', result.instructions, { methodInstructions: result.methodInstructions });
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

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'canister',
    'decentai canister',
    'canister/ built by Azle and run on the in-process host. "in method" is the performance counter the canister reports in its answer (read just before it encodes the reply); the rest of the whole message is Azle dispatch, argument reading and reply.',
  );
  ctx.progress('building decentai');
  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);
  record(section, 'decentai.init', 'init (no model yet)', 'install', Number(canister.lastInitInstructions));

  const models = modelDirs(ctx.spamModelDir, ctx.defaultModelDir);
  if (!ctx.spamModelDir) section.skipped.push('spam model: ../shared/models/spam-detection is absent');
  for (const { name, dir } of models) await measureModel(ctx, section, canister, name, dir);

  // Per-byte upload and verification figures need full chunks: a synthetic model of a few MiB.
  const vocabulary = ctx.quick ? 80_000 : 160_000;
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
  const verifyPerByte = verify.instructions / verify.bytes;
  record(section, 'synthetic.upload.verify', `synthetic ${formatBytes(synthetic.length)}: verify, ${verify.calls} call(s)`, 'update', verify.instructions, {
    note: `${verifyPerByte.toFixed(1)} instructions/byte`,
  });
  section.figures.append_per_byte = appendPerByte;
  section.figures.append_per_mib = appendPerByte * 1024 * 1024;
  section.figures.verify_per_byte = verifyPerByte;

  ctx.progress('canister: upgrade carrying every model');
  const upgrade = await canister.upgrade(wasm);
  if (upgrade.status !== 'replied') throw new Error(`decentai upgrade failed: ${upgrade.rejectMessage}`);
  record(section, 'decentai.upgrade', `upgrade, ${models.length * QUANTIZATIONS.length + 1} models stored (restores and loads each)`, 'upgrade', Number(upgrade.instructions));
  for (const { name } of models) {
    const after = await predict(canister, 'query', name, { text: utf8.encode(SHORT_TEXT) });
    record(section, `${name}.candid.predict_short_after_upgrade`, `${name}: Candid predict, short text, after the upgrade`, 'query', after.instructions, {
      methodInstructions: after.methodInstructions,
    });
  }
  return section;
}
