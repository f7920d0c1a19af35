// Plain version of vector-search.ts, straight from the definition, for the tests: every
// item scored over the same int8 vectors, then sorted (key descending, then slot).

import type { TopK } from './vector-search.ts';

/** Top k by key s_i·inv_i (s_i = Σ_j v_ij·q_j, inv_i = 1/‖v_i‖), scores key/‖q‖; `q` already int8. */
export function searchInt8Reference(values: Int8Array, count: number, dims: number, q: Int8Array, k: number): TopK {
  const all: { slot: number; key: number }[] = [];
  for (let s = 0; s < count; s++) {
    let dot = 0;
    let squares = 0;
    for (let d = 0; d < dims; d++) {
      dot += values[s * dims + d] * q[d];
      squares += values[s * dims + d] ** 2;
    }
    all.push({ slot: s, key: dot * (squares > 0 ? 1 / Math.sqrt(squares) : 0) });
  }
  all.sort((a, b) => b.key - a.key || a.slot - b.slot);
  let squares = 0;
  for (let d = 0; d < dims; d++) squares += q[d] ** 2;
  const top = all.slice(0, k);
  return { slots: top.map((t) => t.slot), scores: top.map((t) => t.key * (1 / Math.sqrt(squares))) };
}
