// Plain reference of engine/kernels-lanes-fixed.ts, for the tests: the same fixed-point
// integers (weights per row, input per row) summed as plain numbers, then scaled.

import type { FixedLanes } from './kernels-lanes-fixed.ts';

/** The fixed-point integer of `value` at `inverse` (1 / scale), clamped to ±limit. */
function fixed(value: number, inverse: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, Math.round(value * inverse)));
}

/** fixedLanesRows for one row, linear activation, from the float kernel [units][n] the lanes were packed from. */
export function referenceFixedLanesRow(m: FixedLanes, kernel: Float32Array, input: Float32Array, bias: Float32Array): Float64Array {
  const n = m.inputSize;
  let high = 0;
  for (let k = 0; k < n; k++) high = Math.max(high, Math.abs(input[k]));
  const out = new Float64Array(m.units);
  for (let o = 0; o < m.units; o++) {
    if (high === 0) {
      out[o] = bias[o];
      continue;
    }
    const inverse = m.inverses[o];
    let sum = 0;
    for (let k = 0; k < n; k++) sum += fixed(kernel[o * n + k], inverse, m.limit) * fixed(input[k], m.limit / high, m.limit);
    out[o] = sum * (high / m.limit) * m.scales[o] + bias[o];
  }
  return out;
}
