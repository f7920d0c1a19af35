// A graph model with two named inputs and two outputs (built with tf.model) in the real canister
// wasm on the host: uploaded, committed and predicted over Candid `tensors` and REST
// `{"inputs":{…}}`, with the same scores as the engine in Node and TF.js.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { uploadModel } from '../client/upload.ts';
import { loadModel, type EngineModel } from '../engine/index.ts';
import { buildAzleCanister, createActor, DEFAULT_CONTROLLER, Host } from '../host/index.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { callHttp } from '../scripts/lib/gateway.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

let actor: DecentAIService;
let engine: EngineModel;
let expected: number[];
const A = [0.5, -1, 2, 0.25];
const B = [1, 2, 3, -4, 5, -6];

beforeAll(async () => {
  const a = tf.input({ shape: [4], name: 'a' });
  const b = tf.input({ shape: [2, 3], name: 'b' });
  const left = tf.layers.dense({ units: 5, activation: 'relu', name: 'left' }).apply(a) as tf.SymbolicTensor;
  const right = tf.layers.flatten({ name: 'flat' }).apply(b) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'join' }).apply([left, right]) as tf.SymbolicTensor;
  const first = tf.layers.dense({ units: 2, activation: 'softmax', name: 'first' }).apply(joined) as tf.SymbolicTensor;
  const second = tf.layers.dense({ units: 3, name: 'second' }).apply(tf.layers.add({ name: 'skip' }).apply([left, left]) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [a, b], outputs: [first, second] });
  const bytes = await convertTfjsModel(model);
  engine = loadModel(bytes);
  const out = model.predict([tf.tensor([A]), tf.tensor([[B.slice(0, 3), B.slice(3)]])]) as tf.Tensor[];
  expected = [...out[0].dataSync(), ...out[1].dataSync()];

  const { wasm } = await buildAzleCanister('decentai');
  const host = await Host.create();
  const canister = await host.install(wasm);
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: DEFAULT_CONTROLLER });
  actor = createActor<DecentAIService>(canister, idlFactory);
  await uploadModel(admin, 'two', bytes);
}, 300_000);

describe('a two-input, two-output graph model in the canister', () => {
  it('lists both inputs and outputs, and predicts over Candid tensors like the engine and TF.js', async () => {
    const info = await actor.model_info('two', []);
    if ('err' in info) throw new Error(info.err.message);
    expect(info.ok.inputs.map((i) => [i.name, Array.from(i.shape), i.dtype])).toEqual([['a', [4], 'float32'], ['b', [2, 3], 'float32']]);
    expect(info.ok.outputs.map((o) => o.name)).toEqual(['first', 'second']);
    const r = await actor.predict('two', {
      tensors: [
        { name: ['a'], shape: [4], data: { float32: A } },
        { name: ['b'], shape: [2, 3], data: { float32: B } },
      ],
    });
    if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
    const scores = Array.from(r.ok.predictions[0].scores);
    expect(scores).toEqual(Array.from(engine.predictInputs([A, B])));
    scores.forEach((s, i) => expect(s).toBeCloseTo(expected[i], 5));
  });

  it('predicts over REST {"inputs":{…}} (nested arrays), and names a missing input', async () => {
    const body = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const res = await callHttp(actor, { method: 'POST', url: '/models/two/predict', headers: [], body: body({ inputs: { a: A, b: [B.slice(0, 3), B.slice(3)] } }) });
    expect(res.status).toBe(200);
    const answer = JSON.parse(new TextDecoder().decode(res.body)) as { predictions: { scores: Record<string, number> }[] };
    expect(Object.values(answer.predictions[0].scores).map((v) => Math.fround(v))).toEqual(Array.from(engine.predictInputs([A, B])));
    const missing = await callHttp(actor, { method: 'POST', url: '/models/two/predict', headers: [], body: body({ inputs: { a: A } }) });
    expect(missing.status).toBe(400);
    expect(new TextDecoder().decode(missing.body)).toMatch(/\bb\b/);
  });
});
