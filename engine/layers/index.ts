// Every layer kind beyond the core seven (engine/format.ts), by family. A family adds
// its kinds here; codes are unique (see docs/FORMAT.md's layer table):
//   8–29 convolution and pooling (engine/layers/convolution.ts, pooling.ts)
//   30–49 recurrent (engine/layers/recurrent.ts)
//   50–89 activation (50–54), merge (60–67), reshape (70–72), normalization (80–83) (engine/layers/*.ts)

import { ACTIVATION_KINDS } from './activation.ts';
import { CONVOLUTION_KINDS } from './convolution.ts';
import type { LayerKindSpec } from './family.ts';
import { MERGE_KINDS } from './merge.ts';
import { POOLING_KINDS } from './pooling.ts';
import { RECURRENT_KINDS } from './recurrent.ts';
import { NORMALIZATION_KINDS } from './normalization.ts';
import { RESHAPE_KINDS } from './reshape.ts';

export const FAMILY_KINDS: readonly LayerKindSpec[] = [
  ...CONVOLUTION_KINDS,
  ...POOLING_KINDS,
  ...RECURRENT_KINDS,
  ...ACTIVATION_KINDS,
  ...RESHAPE_KINDS,
  ...MERGE_KINDS,
  ...NORMALIZATION_KINDS,
];

const byName = new Map<string, LayerKindSpec>();
const byCode = new Map<number, LayerKindSpec>();
for (const spec of FAMILY_KINDS) {
  if (byName.has(spec.name) || byCode.has(spec.code) || spec.code < 8) throw new Error(`layer kind ${spec.code} '${spec.name}' is defined twice or uses a core code`);
  byName.set(spec.name, spec);
  byCode.set(spec.code, spec);
}

export function familyKindByName(name: string): LayerKindSpec | undefined {
  return byName.get(name);
}

export function familyKindByCode(code: number): LayerKindSpec | undefined {
  return byCode.get(code);
}
