// Real zoo models in the real canister wasm on the host: an MNIST CNN, an LSTM text
// model and a Bidirectional LSTM model from ../shared/zoo, converted as `npm run
// convert` does, uploaded, committed and predicted (Candid tensor inputs and REST)
// with the same scores, bit for bit, as the engine in Node.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { uploadModel } from '../client/upload.ts';
import { convertFiles } from '../converter/files.ts';
import { loadModel, type EngineModel } from '../engine/index.ts';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host, lastCall } from '../host/index.ts';
import { idlFactory, type DecentAIService, type PredictOk, type Result } from '../canister/types.ts';
import { callHttp } from '../scripts/lib/gateway.ts';
import { mulberry32 } from '../train/prng.ts';

const ZOO = resolve(import.meta.dirname, '../../shared/zoo');
/** The three issue-8 models (bench/lib/zoo.ts measures the same ones). */
export const ZOO_CANISTER_MODELS = {
  cnn: 'AlexTrinityBlock__Tensorflow-opencv-webcam-mnist__models',
  lstm: 'edublancas__adl-hw4__model_js',
  bilstm: 'basile-bron__Title-clickbait-detection__modeljs',
} as const;
const present = existsSync(ZOO) && Object.values(ZOO_CANISTER_MODELS).every((d) => existsSync(resolve(ZOO, d, 'model.json')));
if (!present) console.log(`canister zoo test skipped: ${ZOO} (with the three models) is absent`);

let actor: DecentAIService;
const models: Record<string, { bytes: Uint8Array; model: EngineModel }> = {};

function scoresOf(r: Result<PredictOk>): number[][] {
  if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
  return r.ok.predictions.map((p) => Array.from(p.scores));
}

describe.skipIf(!present)('zoo models in the canister', () => {
  beforeAll(async () => {
    const { wasm } = await buildAzleCanister('decentai');
    const host = await Host.create();
    const canister = await host.install(wasm);
    const admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
    actor = createActor<DecentAIService>(canister, idlFactory);
    for (const [name, folder] of Object.entries(ZOO_CANISTER_MODELS)) {
      const bytes = convertFiles(resolve(ZOO, folder, 'model.json')).bytes;
      models[name] = { bytes, model: loadModel(bytes) };
      const r = await uploadModel(admin, name, bytes, { verify: false });
      expect(r.model).toMatchObject({ name, version: 1, active: true });
    }
  });

  it('lists each model input with its name, shape and dtype', async () => {
    const list = await actor.list_models();
    const inputs = Object.fromEntries(list.map((m) => [m.name, m.inputs.map((t) => [Array.from(t.shape), t.dtype])]));
    expect(inputs).toEqual({ cnn: [[[28, 28, 1], 'float32']], lstm: [[[20], 'int32']], bilstm: [[[20], 'int32']] });
  });

  it('MNIST CNN: a 28×28×1 image as a float32 blob, a uint8 blob and REST octet-stream, bit for bit like the engine', async () => {
    const { model } = models.cnn;
    const random = mulberry32(8);
    const image = Float32Array.from({ length: 784 }, () => random());
    const want = Array.from(model.predictVector(image));
    const blob = { tensor: { name: [] as [], shape: [28, 28, 1], data: { float32_le: new Uint8Array(image.buffer) } } };
    // a query answers when the prediction measured at commit fits the canister's query budget (registry.ts
    // QUERY_PREDICT_BUDGET), else too_heavy naming predict_update; the update answers either way
    const q = await actor.predict('cnn', blob);
    if ('err' in q) expect(q.err).toMatchObject({ code: 'too_heavy', message: expect.stringContaining('predict_update') });
    else expect(scoresOf(q)).toEqual([want]);
    expect(scoresOf(await actor.predict_update('cnn', blob))).toEqual([want]);
    console.log(`zoo cnn: Candid predict_update (28×28×1 float32_le blob) ${lastCall(actor as never)!.instructions} instructions`);
    const pixels = Uint8Array.from(image, (v) => Math.floor(v * 256));
    expect(scoresOf(await actor.predict_update('cnn', { tensor: { name: [], shape: [1, 28, 28, 1], data: { uint8: pixels } } }))).toEqual([Array.from(model.predictVector(pixels))]);
    const r = await callHttp(actor, { method: 'POST', url: '/models/cnn/predict?shape=28,28,1', headers: [['content-type', 'application/octet-stream']], body: new Uint8Array(image.buffer) });
    expect(r.status).toBe(200);
    const j = JSON.parse(new TextDecoder().decode(r.body)) as { predictions: { scores: Record<string, number> }[] };
    expect(model.labels.map((l) => Math.fround(j.predictions[0].scores[l]))).toEqual(want);
  });

  it('LSTM and Bidirectional LSTM text models: token ids (one, and a batch of 3) bit for bit like the engine', async () => {
    for (const name of ['lstm', 'bilstm']) {
      const { model } = models[name];
      const random = mulberry32(name.length);
      const batch = [0, 1, 2].map(() => Array.from({ length: 20 }, () => Math.floor(random() * model.vocabSize)));
      const want = batch.map((ids) => Array.from(model.predictTokens(ids)));
      expect(scoresOf(await actor.predict(name, { tensor: { name: [], shape: [20], data: { int32: batch[0] } } })), name).toEqual([want[0]]);
      console.log(`zoo ${name}: Candid predict (20 token ids) ${lastCall(actor as never)!.instructions} instructions`);
      expect(scoresOf(await actor.predict(name, { tensor: { name: [], shape: [3, 20], data: { int32: batch.flat() } } })), name).toEqual(want);
      expect(scoresOf(await actor.predict(name, { tokens_batch: batch })), name).toEqual(want);
    }
  });
});
