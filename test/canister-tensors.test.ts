// N-D, batched, named and raw-byte inputs through the canister's methods in Node
// (Candid with @dfinity/candid, REST through http_request): the same scores as the
// engine, every shape checked, errors that name the expected shape and dtype.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { uploadModel } from '../client/upload.ts';
import { loadModel, type EngineModel } from '../engine/index.ts';
import type { DecentAIService, Input, PredictOk, Result } from '../canister/types.ts';
import { callHttp } from '../scripts/lib/gateway.ts';
import { defaultModel } from '../scripts/lib/models.ts';
import { mulberry32 } from '../train/prng.ts';
import { newRegistry, nodeActor } from './canister-helpers.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

const SHAPE = [6, 6, 2];
const SIZE = 72;
let actor: DecentAIService;
let cnn: EngineModel;
let tokens: EngineModel;
let inputName: string;

function values(seed: number, n = SIZE): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n }, () => random() * 4 - 2);
}

function ok(r: Result<PredictOk>): number[][] {
  if ('err' in r) throw new Error(`${r.err.code}: ${r.err.message}`);
  return r.ok.predictions.map((p) => Array.from(p.scores));
}

async function err(input: Input, model = 'cnn'): Promise<{ code: string; message: string }> {
  const r = await actor.predict(model, input);
  if ('ok' in r) throw new Error('expected an error');
  return r.err;
}

/** Nested arrays of a row-major Float32Array of the given shape. */
function nest(flat: ArrayLike<number>, shape: number[]): unknown {
  if (shape.length === 1) return Array.from(flat);
  const step = flat.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(Array.prototype.slice.call(flat, i * step, (i + 1) * step), shape.slice(1)));
}

const want = (x: Float32Array) => Array.from(cnn.predictVector(x));

beforeAll(async () => {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: SHAPE, filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  const bytes = await convertTfjsModel(m, { labelsText: 'a\nb\nc\nd\n' });
  cnn = loadModel(bytes);
  const d = defaultModel();
  tokens = loadModel(d.bytes);
  const { reg } = newRegistry();
  actor = nodeActor(reg);
  await uploadModel(actor, 'cnn', bytes, { verify: false });
  await uploadModel(actor, 'tokens', d.bytes, { verify: false });
  const info = await actor.model_info('cnn', []);
  if ('err' in info) throw new Error(info.err.message);
  inputName = info.ok.inputs[0].name;
});

describe('Candid tensor inputs', () => {
  it('lists each input and output with name, shape and dtype', async () => {
    const list = await actor.list_models();
    const c = list.find((x) => x.name === 'cnn')!;
    expect(c.inputs.map((t) => ({ ...t, shape: Array.from(t.shape) }))).toEqual([{ name: inputName, shape: SHAPE, dtype: 'float32' }]);
    expect(c.outputs.map((t) => ({ ...t, shape: Array.from(t.shape) }))).toEqual([{ name: expect.any(String), shape: [4], dtype: 'float32' }]);
    const t = list.find((x) => x.name === 'tokens')!;
    expect(t.inputs.map((x) => ({ dtype: x.dtype, shape: Array.from(x.shape) }))).toEqual([{ dtype: 'int32', shape: Array.from(tokens.inputShape) }]);
  });

  it('predicts an N-D tensor (float32 values, little-endian float32 and uint8 blobs) like the engine', async () => {
    const x = values(1);
    expect(ok(await actor.predict('cnn', { tensor: { name: [], shape: SHAPE, data: { float32: Array.from(x) } } }))).toEqual([want(x)]);
    expect(ok(await actor.predict('cnn', { tensor: { name: [], shape: [], data: { float32: Array.from(x) } } }))).toEqual([want(x)]);
    expect(ok(await actor.predict('cnn', { tensor: { name: [inputName], shape: SHAPE, data: { float32_le: new Uint8Array(x.buffer) } } }))).toEqual([want(x)]);
    const bytes = Uint8Array.from({ length: SIZE }, (_, i) => (i * 37) % 256);
    expect(ok(await actor.predict('cnn', { tensor: { name: [], shape: SHAPE, data: { uint8: bytes } } }))).toEqual([want(Float32Array.from(bytes))]);
    expect(ok(await actor.predict_update('cnn', { tensors: [{ name: [inputName], shape: SHAPE, data: { float32: Array.from(x) } }] }))).toEqual([want(x)]);
  });

  it('takes a batch on a leading axis', async () => {
    const x = values(2, 3 * SIZE);
    const items = [0, 1, 2].map((i) => x.slice(i * SIZE, (i + 1) * SIZE));
    expect(ok(await actor.predict('cnn', { tensor: { name: [], shape: [3, ...SHAPE], data: { float32_le: new Uint8Array(x.buffer) } } }))).toEqual(items.map(want));
    expect(ok(await actor.predict('cnn', { tensor: { name: [], shape: [3, SIZE], data: { float32: Array.from(x) } } }))).toEqual(items.map(want));
  });

  it('takes token ids as an int32 tensor (shorter is padded)', async () => {
    const ids = [3, 1, 4, 1, 5];
    expect(ok(await actor.predict('tokens', { tensor: { name: [], shape: [5], data: { int32: ids } } }))).toEqual([Array.from(tokens.predictTokens(ids))]);
    expect((await err({ tensor: { name: [], shape: [1, tokens.inputSize + 1], data: { int32: new Array(tokens.inputSize + 1).fill(1) } } }, 'tokens')).code).toBe('wrong_shape');
  });

  it('refuses wrong shapes, lengths, names and blobs with an error naming what it expects', async () => {
    const x = values(3);
    const e1 = await err({ tensor: { name: [], shape: [6, 6, 3], data: { float32: Array.from(x) } } });
    expect(e1.code).toBe('wrong_shape');
    expect(e1.message).toContain('[6,6,2]');
    expect(e1.message).toContain('float32');
    const e2 = await err({ tensor: { name: [], shape: SHAPE, data: { float32: Array.from(x.subarray(0, 70)) } } });
    expect(e2).toMatchObject({ code: 'wrong_length' });
    expect(e2.message).toMatch(/needs 72 values; got 70/);
    expect((await err({ tensor: { name: ['nope'], shape: SHAPE, data: { float32: Array.from(x) } } })).message).toMatch(/no input 'nope'/);
    expect((await err({ tensor: { name: [], shape: SHAPE, data: { float32_le: new Uint8Array(7) } } })).message).toMatch(/not a whole number of float32/);
    expect((await err({ tensors: [] })).message).toMatch(/no input tensor/);
    const nan = x.slice();
    nan[5] = NaN;
    expect((await err({ tensor: { name: [], shape: SHAPE, data: { float32: Array.from(nan) } } })).code).toBe('bad_input');
    expect((await err({ tensor: { name: [], shape: [65, ...SHAPE], data: { float32: Array.from(new Float32Array(65 * SIZE)) } } })).code).toBe('too_large');
  });
});

describe('REST tensor inputs', () => {
  const post = (url: string, body: Uint8Array | string, type = 'application/json') =>
    callHttp(actor, { method: 'POST', url, headers: [['content-type', type]], body: typeof body === 'string' ? new TextEncoder().encode(body) : body });
  const answer = async (url: string, body: Uint8Array | string, type?: string) => {
    const r = await post(url, body, type);
    const j = JSON.parse(new TextDecoder().decode(r.body));
    return { status: r.status, j };
  };
  const scores = (j: { predictions: { scores: Record<string, number> }[] }) => j.predictions.map((p) => cnn.labels.map((l) => Math.fround(p.scores[l])));

  it('GET /models lists inputs and outputs', async () => {
    const r = await callHttp(actor, { method: 'GET', url: '/models/cnn', headers: [], body: new Uint8Array() });
    const j = JSON.parse(new TextDecoder().decode(r.body));
    expect(j.model.inputs).toEqual([{ name: inputName, shape: SHAPE, dtype: 'float32' }]);
    expect(j.model.outputs).toEqual([{ name: expect.any(String), shape: [4], dtype: 'float32' }]);
  });

  it('takes nested arrays, a flat array with its shape, {shape, values} and named inputs', async () => {
    const x = values(4);
    const two = values(5, 2 * SIZE);
    for (const body of [
      { input: nest(x, SHAPE) },
      { input: Array.from(x) },
      { input: Array.from(x), shape: SHAPE },
      { input: { shape: SHAPE, values: Array.from(x) } },
      { inputs: { [inputName]: nest(x, SHAPE) } },
    ]) {
      const { status, j } = await answer('/models/cnn/predict', JSON.stringify(body));
      expect(status, JSON.stringify(body).slice(0, 40)).toBe(200);
      expect(scores(j)).toEqual([want(x)]);
    }
    const { j } = await answer('/models/cnn/predict', JSON.stringify({ input: nest(two, [2, ...SHAPE]) }));
    expect(scores(j)).toEqual([want(two.slice(0, SIZE)), want(two.slice(SIZE))]);
  });

  it('takes raw little-endian float32 or uint8 bodies (application/octet-stream)', async () => {
    const x = values(6);
    const raw = new Uint8Array(x.buffer);
    for (const url of ['/models/cnn/predict', '/models/cnn/predict?shape=6,6,2', '/models/cnn/predict?dtype=float32&shape=1,6,6,2', '/models/cnn/predict?verified=true']) {
      const { status, j } = await answer(url, raw, 'application/octet-stream');
      expect(status, url).toBe(200);
      expect(scores(j)).toEqual([want(x)]);
    }
    const bytes = Uint8Array.from({ length: 2 * SIZE }, (_, i) => (i * 13) % 256);
    const { j } = await answer('/models/cnn/predict?dtype=uint8', bytes, 'application/octet-stream');
    expect(scores(j)).toEqual([want(Float32Array.from(bytes.subarray(0, SIZE))), want(Float32Array.from(bytes.subarray(SIZE)))]);
  });

  it('answers 400 with a message naming the expected shape and dtype', async () => {
    const x = values(7);
    const cases: [string, Uint8Array | string, string | undefined, RegExp][] = [
      ['/models/cnn/predict', JSON.stringify({ input: nest(x, [2, 36]) }), undefined, /expected shape \[6,6,2\] float32/],
      ['/models/cnn/predict', JSON.stringify({ input: [[1, 2], [3]] }), undefined, /ragged/],
      ['/models/cnn/predict', JSON.stringify({ input: Array.from(x), shape: [6, 6, 3] }), undefined, /expected shape \[6,6,2\]/],
      ['/models/cnn/predict', JSON.stringify({ inputs: { nope: Array.from(x) } }), undefined, /no input 'nope'/],
      ['/models/cnn/predict', JSON.stringify({ input: ['a'] }), undefined, /expected a number/],
      ['/models/cnn/predict', new Uint8Array(10), 'application/octet-stream', /4 bytes per value/],
      ['/models/cnn/predict', new Uint8Array(8), 'application/octet-stream', /shape \[6,6,2\]: 72 values \(288 bytes\) per item; got 8 bytes/],
      ['/models/cnn/predict?shape=6,6', new Uint8Array(288), 'application/octet-stream', /expected shape \[6,6,2\]/],
      ['/models/cnn/predict?dtype=int64', new Uint8Array(288), 'application/octet-stream', /float32 \(little-endian\) or uint8/],
    ];
    for (const [url, body, type, message] of cases) {
      const { status, j } = await answer(url, body, type);
      expect(status, String(message)).toBe(400);
      expect(j.error.message).toMatch(message);
    }
  });

  it('keeps the token forms: {"input": ids} on a tokens model predicts like predictTokens', async () => {
    const ids = [2, 7, 1, 8];
    const r = await answer('/models/tokens/predict', JSON.stringify({ input: ids }));
    expect(r.status).toBe(200);
    expect(r.j.predictions[0].scores[tokens.labels[0]]).toBeCloseTo(tokens.predictTokens(ids)[0], 6);
  });
});
