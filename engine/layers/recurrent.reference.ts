// Plain reference of the recurrent kernels (engine/layers/recurrent.ts) for tests:
// Keras's weight layout (kernel [inputDim, gates·units], recurrent kernel
// [units, gates·units], columns in gate order), whole-vector operations, no
// fusing, the cell equations as tfjs-layers / Keras write them.

import { activationReference } from '../kernels-reference.ts';
import { GRU, LSTM, MERGE_CONCAT, MERGE_MUL, MERGE_NONE, MERGE_SUM, type RecurrentConfig } from './recurrent.ts';

export interface DirectionWeights {
  /** [inputDim, gates·units], row-major. */
  kernel: ArrayLike<number>;
  /** [units, gates·units], row-major. */
  recurrent: ArrayLike<number>;
  /** [gates·units], or [2, 3·units] for GRU reset_after. */
  bias: ArrayLike<number>;
}

/** x [n] · m [n, cols] → [cols]. */
function vecMat(x: ArrayLike<number>, m: ArrayLike<number>, cols: number): number[] {
  const out = new Array<number>(cols).fill(0);
  for (let i = 0; i < x.length; i++) for (let c = 0; c < cols; c++) out[c] += x[i] * m[i * cols + c];
  return out;
}

const add = (a: readonly number[], b: readonly number[]): number[] => a.map((v, i) => v + b[i]);
const mul = (a: readonly number[], b: readonly number[]): number[] => a.map((v, i) => v * b[i]);
const act = (code: number, v: readonly number[]): number[] => Array.from(activationReference(code, v, v.length));
const gate = (v: readonly number[], g: number, units: number): number[] => v.slice(g * units, (g + 1) * units);

/** One cell step: the new [h, c] from [h, c] and input x. */
function cellStep(config: RecurrentConfig, w: DirectionWeights, x: readonly number[], h: number[], c: number[]): [number[], number[]] {
  const u = config.units;
  const gates = config.cell === LSTM ? 4 : config.cell === GRU ? 3 : 1;
  const cols = gates * u;
  const bias = Array.from(w.bias);
  const xw = add(vecMat(x, w.kernel, cols), bias.slice(0, cols));
  if (config.cell === LSTM) {
    const zs = add(xw, vecMat(h, w.recurrent, cols));
    const i = act(config.recurrentActivation, gate(zs, 0, u));
    const f = act(config.recurrentActivation, gate(zs, 1, u));
    const cNew = add(mul(f, c), mul(i, act(config.activation, gate(zs, 2, u))));
    const o = act(config.recurrentActivation, gate(zs, 3, u));
    return [mul(o, act(config.activation, cNew)), cNew];
  }
  if (config.cell === GRU) {
    let hh: number[];
    let z: number[];
    if (config.resetAfter) {
      const inner = add(vecMat(h, w.recurrent, cols), bias.slice(cols));
      z = act(config.recurrentActivation, add(gate(xw, 0, u), gate(inner, 0, u)));
      const r = act(config.recurrentActivation, add(gate(xw, 1, u), gate(inner, 1, u)));
      hh = act(config.activation, add(gate(xw, 2, u), mul(r, gate(inner, 2, u))));
    } else {
      const rk = Array.from(w.recurrent);
      const rkZR = rk.flatMap((_, i) => (i % cols < 2 * u ? [rk[i]] : []));
      const rkH = rk.flatMap((_, i) => (i % cols >= 2 * u ? [rk[i]] : []));
      const inner = vecMat(h, rkZR, 2 * u);
      z = act(config.recurrentActivation, add(gate(xw, 0, u), gate(inner, 0, u)));
      const r = act(config.recurrentActivation, add(gate(xw, 1, u), gate(inner, 1, u)));
      hh = act(config.activation, add(gate(xw, 2, u), vecMat(mul(r, h), rkH, u)));
    }
    const hNew = add(mul(z, h), mul(z.map((v) => 1 - v), hh));
    return [hNew, c];
  }
  const hNew = act(config.activation, add(xw, vecMat(h, w.recurrent, u)));
  return [hNew, c];
}

/** The layer's outputs for one direction: per step in processing order. */
function runDirection(config: RecurrentConfig, w: DirectionWeights, input: readonly number[][], goBackwards: boolean, keep: readonly boolean[]): number[][] {
  const order = input.map((_, t) => t);
  if (goBackwards) order.reverse();
  let h = new Array<number>(config.units).fill(0);
  let c = new Array<number>(config.units).fill(0);
  const outputs: number[][] = [];
  for (const t of order) {
    // a masked step keeps the state and repeats the previous output (tfjs-layers rnn())
    if (keep[t]) [h, c] = cellStep(config, w, input[t], h, c);
    outputs.push(h);
  }
  return outputs;
}

/** The layer's output, flat: [steps, width] with returnSequences, else [width]. `keep[t]` false masks step t. */
export function recurrentReference(
  config: RecurrentConfig,
  directions: readonly DirectionWeights[],
  input: readonly number[][],
  keep: readonly boolean[] = input.map(() => true),
): Float32Array {
  const forward = runDirection(config, directions[0], input, config.goBackwards, keep);
  const pick = (outputs: number[][]): number[][] => (config.returnSequences ? outputs : [outputs[outputs.length - 1]]);
  if (config.merge === MERGE_NONE) return Float32Array.from(pick(forward).flat());
  const backward = runDirection(config, directions[1], input, !config.goBackwards, keep);
  if (config.returnSequences) backward.reverse();
  const a = pick(forward);
  const b = pick(backward);
  const rows = a.map((row, r) => {
    if (config.merge === MERGE_CONCAT) return [...row, ...b[r]];
    if (config.merge === MERGE_SUM) return add(row, b[r]);
    if (config.merge === MERGE_MUL) return mul(row, b[r]);
    return row.map((v, i) => (v + b[r][i]) / 2);
  });
  return Float32Array.from(rows.flat());
}
