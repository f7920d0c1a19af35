// The contract between the plan runner (engine/model.ts), the file reader
// (engine/format.ts) and one layer family (engine/layers/<family>.ts).
//
// A family file holds, for each layer kind it adds: its code in the layer table
// (docs/FORMAT.md), the rule that checks its tensors and params and derives its
// output shape, and `prepare`, which turns one layer of a file into a ready
// kernel at load (weights as views into the file, scratch allocated once). The
// plain reference of the same kernels lives beside it in
// engine/layers/<family>.reference.ts, and the converter's mapping from Keras
// in converter/layers/<family>.ts.

import type { Int8KernelChoice } from '../kernels-int8.ts';
import type { ActivationName, ParsedLayer, ParsedModelFile, ParsedTensor } from '../format.ts';

export interface LayerKindSpec {
  /** Code in the layer table; codes 1–7 are the core kinds of engine/format.ts. */
  readonly code: number;
  /** Kind name as stored by the converter and shown in LayerSummary (snake_case). */
  readonly name: string;
  /** How many inputs a layer of this kind reads (format version 3 graphs); default exactly one. */
  readonly inputCount?: { readonly min: number; readonly max: number };
  /**
   * Checks the layer's tensors and params against its input shape and returns its
   * output shape; throws ModelFormatError (engine/layers/checks.ts) for a defect.
   * `input` is the first input's shape; layer.inputShapes holds every input's.
   */
  outputShape(layer: ParsedLayer, input: readonly number[], tensors: readonly ParsedTensor[], where: string): number[];
  /** Prepares the layer's kernel at load. */
  prepare(context: PrepareContext): PreparedLayer;
}

export interface PrepareContext {
  readonly file: ParsedModelFile;
  /** The layer, with inputShape and outputShape filled in by the reader. */
  readonly layer: ParsedLayer;
  /** True when int8 tensors should run as integers (LoadOptions.int8 'integer'); false to dequantize. */
  readonly integerInt8: boolean;
  /** With integerInt8: which int8 matrix kernel (kernels-int8.ts); 'auto' (default) by shape. */
  readonly int8Kernel?: Int8KernelChoice;
  /** Float kernels of convolutions: 'auto' (default) by shape, 'lanes' (fixed-point BigInt lanes) or 'loops' (convolve). */
  readonly floatKernel?: 'auto' | 'lanes' | 'rows' | 'loops';
  /** The model's token ids (tokens models; filled before every run): an Embedding mask_zero's mask is ids ≠ 0. */
  readonly tokens?: Int32Array;
  /**
   * One per model, a flag per step (1 = keep): written by a Masking layer's run, read by the
   * recurrent layers after it (their mask param 2).
   */
  readonly stepMask?: Uint8Array;
}

export interface PreparedLayer {
  /**
   * Reads the layer's input from `source` (row-major, layer.inputShape) and writes its
   * output to `target` (row-major, layer.outputShape; never the same array as any
   * source). `sources` holds every input in order (sources[0] is `source`), for kinds
   * of several inputs. Arrays may be longer than the shapes need: read and write from 0.
   * Allocates nothing. The layer's activation is applied by the runner afterwards,
   * unless `fusedActivation` is true.
   */
  run(source: Float32Array, target: Float32Array, sources: readonly Float32Array[]): void;
  /** True when run already applied layer.activation. */
  readonly fusedActivation?: boolean;
}

export type { ActivationName };
