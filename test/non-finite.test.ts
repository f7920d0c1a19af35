// Never NaN or Infinity in an answer (issue 10): non-finite inputs are refused with
// `bad_input`, and a non-finite output (a value overflowing float32 inside the model) is an
// error naming the layer, in the engine, over Candid and over REST (422).

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { uploadModel } from '../client/upload.ts';
import { InputError, loadModel, type EngineModel } from '../engine/index.ts';
import type { DecentAIService, Input } from '../canister/types.ts';
import { callHttp } from '../scripts/lib/gateway.ts';
import { newRegistry, nodeActor } from './canister-helpers.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

/**
 * 8 inputs → dense_in (16, relu, weights 1) → dense_big (16, weights 1e20) → dense_out (2, softmax).
 * For inputs of size ~1 every value stays finite; for 1e18 dense_big's sums reach 1.6e39,
 * past float32's 3.4e38: it writes Infinity, and the softmax after it NaN.
 */
function overflowModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ name: 'dense_in', units: 16, activation: 'relu', inputShape: [8] }));
  m.add(tf.layers.dense({ name: 'dense_big', units: 16 }));
  m.add(tf.layers.dense({ name: 'dense_out', units: 2, activation: 'softmax' }));
  m.layers[0].setWeights([tf.ones([8, 16]), tf.zeros([16])]);
  m.layers[1].setWeights([tf.fill([16, 16], 1e20), tf.zeros([16])]);
  m.layers[2].setWeights([tf.fill([16, 2], 1e-30), tf.zeros([2])]);
  return m;
}

const OVERFLOW = new Array(8).fill(1e18);
const NORMAL = [0.5, -1, 2, 0, 1, 1, 0.25, -0.5];

let model: EngineModel;
let actor: DecentAIService;

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'none';
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  const bytes = await convertTfjsModel(overflowModel(), { labelsText: 'a\nb' });
  model = loadModel(bytes);
  const { reg } = newRegistry();
  actor = nodeActor(reg);
  await uploadModel(actor, 'overflow', bytes, { verify: false });
});

describe('engine', () => {
  it('answers finite scores for a normal input (the check costs one pass over the output)', () => {
    const scores = Array.from(model.predictVector(NORMAL));
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(scores[0] + scores[1]).toBeCloseTo(1, 5);
  });

  it('names the first layer whose values are not finite, on every input path', () => {
    const want = /^non_finite_output: .*layer 'dense_big' \(dense\) gave Infinity at index 0/;
    expect(code(() => model.predictVector(OVERFLOW))).toMatch(want);
    expect(code(() => model.predictInputs([OVERFLOW]))).toMatch(want);
    expect(code(() => model.predictVectorBatch([NORMAL, OVERFLOW]))).toMatch(want);
    // the model still answers after the error (its buffers hold no stale state that matters)
    expect(Array.from(model.predictVector(NORMAL)).every(Number.isFinite)).toBe(true);
  });

  it('refuses non-finite inputs, and values past float32, with bad_input', () => {
    for (const bad of [NaN, Infinity, -Infinity, 1e39]) {
      const x = NORMAL.slice();
      x[3] = bad;
      expect(code(() => model.predictVector(x))).toMatch(/^bad_input: .*index 3/);
      expect(code(() => model.predictInputs([x]))).toMatch(/^bad_input: .*index 3/);
    }
  });
});

describe('canister (Candid and REST)', () => {
  const err = async (input: Input) => {
    const r = await actor.predict('overflow', input);
    if ('ok' in r) throw new Error(`expected an error, got scores ${Array.from(r.ok.predictions[0].scores)}`);
    return r.err;
  };
  const post = async (body: string) => {
    const r = await callHttp(actor, { method: 'POST', url: '/models/overflow/predict', headers: [['content-type', 'application/json']], body: new TextEncoder().encode(body) });
    const text = new TextDecoder().decode(r.body);
    return { status: r.status, text, j: JSON.parse(text) as { error?: { code: string; message: string } } };
  };

  it('a non-finite output is err non_finite_output over Candid, 422 over REST, naming the layer; never NaN', async () => {
    const e = await err({ vector: OVERFLOW });
    expect(e.code).toBe('non_finite_output');
    expect(e.message).toMatch(/layer 'dense_big' \(dense\)/);
    expect((await err({ tensor: { name: [], shape: [2, 8], data: { float32: [...NORMAL, ...OVERFLOW] } } })).code).toBe('non_finite_output');
    const rest = await post(`{"input":[${OVERFLOW.join(',')}]}`);
    expect(rest.status).toBe(422);
    expect(rest.j.error?.code).toBe('non_finite_output');
    expect(rest.j.error?.message).toMatch(/layer 'dense_big'/);
    expect(rest.text).not.toMatch(/NaN|Infinity"?[,}]/);
    // the exact input: {"input":[3.4e38 ×8]} answered 200 with "scores":{"c0":NaN,…}
    const exact = await post(`{"input":[${new Array(8).fill('3.4e38').join(',')}]}`);
    expect(exact.status).toBe(422);
    expect(exact.j.error?.message).toMatch(/layer 'dense_in' \(dense\) gave Infinity/);
    expect((await err({ vector: new Array(8).fill(3.4e38) })).code).toBe('non_finite_output');
    const fine = await post(`{"input":[${NORMAL.join(',')}]}`);
    expect(fine.status).toBe(200);
  });

  it('non-finite inputs are bad_input over Candid and 400 bad_input over REST', async () => {
    const x = NORMAL.slice();
    x[2] = NaN;
    expect((await err({ vector: x })).code).toBe('bad_input');
    expect((await err({ tensor: { name: [], shape: [8], data: { float32_le: new Uint8Array(Float32Array.from(x).buffer) } } })).code).toBe('bad_input');
    for (const n of ['1e39', '1e400', '-1e400']) {
      const r = await post(`{"input":[1,2,${n},4,5,6,7,8]}`);
      expect(r.status).toBe(400);
      expect(r.j.error?.code).toBe('bad_input');
    }
  });
});
