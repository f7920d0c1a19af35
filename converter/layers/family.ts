// The contract between converter/convert.ts and one layer family's mapping
// (converter/layers/<family>.ts, named like engine/layers/<family>.ts): from a
// Keras layer config and its weights to layer-table entries (docs/FORMAT.md).

import type { ActivationName } from '../../engine/format.ts';
import type { KerasLayer } from '../config.ts';

export interface ConvertContext {
  readonly layer: KerasLayer;
  /** "layer 'conv2d' (Conv2D)", to start error messages with. */
  readonly where: string;
  /** The layer's (first) input shape without the batch dimension. */
  readonly input: readonly number[];
  /** Every input's shape, in order (merge layers read several). */
  readonly inputs: readonly (readonly number[])[];
  /** The layer's weight `param` (manifest name `layer/param`), checked to have shape `expected`. */
  weight(param: string, expected: readonly number[]): Float32Array;
  /** True when the manifest has weight `param` for this layer. */
  hasWeight(param: string): boolean;
  /**
   * The params of this layer's weights in the manifest: each name's part after `layer/`
   * (scope prefix and ":0" dropped), e.g. "lstm_cell/kernel" or "forward_lstm/lstm_cell_1/bias".
   */
  weightParams(): string[];
  /**
   * Stores a tensor for the entry made by the next `store`. 'kernel': quantized as
   * --quantize says, int8 with one scale per row (dims[0] = the output channel);
   * 'vector' (a bias, PReLU alpha, gamma, beta): float16 in float16 files, else float32;
   * 'statistic' (subtracted from or dividing the input: moving mean/variance, Normalization
   * mean/variance, Rescaling constants): always float32, as a float16 mean errs by
   * |mean|·2⁻¹¹, which a small standard deviation then magnifies.
   */
  addTensor(param: string, shape: readonly number[], values: Float32Array, kind: 'kernel' | 'vector' | 'statistic'): void;
  /**
   * The step mask arriving with the input (TF.js passes it through every layer to the next
   * recurrent one): mode 0 none, 1 token ids ≠ 0 (Embedding mask_zero), 2 a Masking layer's;
   * `steps` is its length.
   */
  readonly mask: StepMask;
  /** Every input's mask, in order (merge layers combine them). */
  readonly masks: readonly StepMask[];
  /** Replaces the mask after this layer (Masking sets one, a recurrent layer without return_sequences clears it). */
  setMask(mask: StepMask): void;
  /** Appends a layer entry with the tensors added since the last store. */
  store(kind: string, activation: ActivationName, params?: readonly number[]): void;
}

export interface StepMask {
  /** 0 none, 1 token ids ≠ 0, 2 a Masking layer's (the engine's modes), or MASK_UNUSABLE. */
  readonly mode: number;
  readonly steps: number;
  /** Mode 2: the Masking layer's name (two Masking layers make different masks). */
  readonly origin?: string;
  /** MASK_UNUSABLE: why no layer can use it, the line a layer reading it refuses with. */
  readonly reason?: string;
}

export const NO_MASK: StepMask = { mode: 0, steps: 0 };

/**
 * A mask TF.js carries on that the engine does not reproduce (a merge's, see
 * converter/layers/merge.ts): harmless until a layer that reads masks receives it.
 */
export const MASK_UNUSABLE = -1;

export function unusableMask(steps: number, reason: string): StepMask {
  return { mode: MASK_UNUSABLE, steps, reason };
}

export interface LayerConverter {
  /** Keras class names this mapping converts (e.g. 'Conv2D'). */
  readonly classNames: readonly string[];
  /** How many inputs the layer reads; default exactly one. */
  readonly inputCount?: { readonly min: number; readonly max: number };
  /** Stores the layer's entries (none for an identity) and returns its output shape. */
  convert(context: ConvertContext): number[];
}
