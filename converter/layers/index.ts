// Keras class → layer family mapping, for every class beyond the core ones of
// converter/convert.ts. A family adds its converter here (see family.ts).

import { ACTIVATION_CONVERTERS, IDENTITY_CONVERTERS } from './activation.ts';
import { CONVOLUTION_CONVERTERS } from './convolution.ts';
import type { LayerConverter } from './family.ts';
import { MERGE_CONVERTERS } from './merge.ts';
import { POOLING_CONVERTERS } from './pooling.ts';
import { RECURRENT_CONVERTERS } from './recurrent.ts';
import { NORMALIZATION_CONVERTERS } from './normalization.ts';
import { RESHAPE_CONVERTERS } from './reshape.ts';

const CONVERTERS: readonly LayerConverter[] = [
  ...CONVOLUTION_CONVERTERS,
  ...POOLING_CONVERTERS,
  ...RECURRENT_CONVERTERS,
  ...ACTIVATION_CONVERTERS,
  ...IDENTITY_CONVERTERS,
  ...RESHAPE_CONVERTERS,
  ...MERGE_CONVERTERS,
  ...NORMALIZATION_CONVERTERS,
];

const byClass = new Map<string, LayerConverter>();
for (const converter of CONVERTERS) for (const name of converter.classNames) byClass.set(name, converter);

export const FAMILY_CLASS_NAMES: readonly string[] = [...byClass.keys()];

export function familyConverter(className: string): LayerConverter | undefined {
  return byClass.get(className);
}
