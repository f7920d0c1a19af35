// The engine's public contract, shared by converter/, canister/, bench/ and test/.
// engine/index.ts re-exports these types with their implementations.

export type DType = 'float32' | 'float16' | 'int8' | 'int8_cols';
export type InputKind = 'tokens' | 'vector';

export type MetadataValue = number | boolean | string | number[] | boolean[] | string[];

/** Error codes of ModelFormatError (a defective model file). */
export type ModelFormatErrorCode =
  | 'truncated'
  | 'bad_magic'
  | 'bad_version'
  | 'bad_length'
  | 'bad_checksum'
  | 'bad_metadata'
  | 'bad_layer'
  | 'bad_tensor'
  | 'bad_shape';

/** Error codes of InputError (a bad prediction input). */
export type InputErrorCode = 'wrong_kind' | 'wrong_length' | 'wrong_shape' | 'bad_token' | 'bad_input' | 'no_tokenizer' | 'non_finite_output';

export interface LayerSummary {
  name: string;
  kind: string; // e.g. "dense", "embedding"
  activation: string; // e.g. "relu", "linear"
  outputShape: number[];
  parameters: number;
  /** Whether its weights are int8 in the file (int8 kernels; the commit's cost estimate reads it). */
  int8?: boolean;
}

/** One model input or output: its name, shape without the batch dimension, and dtype. */
export interface TensorSpec {
  name: string;
  shape: readonly number[];
  dtype: 'float32' | 'int32';
}

/** What loadModel returns. Every buffer is allocated at load; predictions allocate nothing. */
export interface Model {
  readonly name: string;
  readonly labels: readonly string[];
  readonly inputKind: InputKind;
  readonly inputShape: readonly number[];
  /** Number of values in one input (product of inputShape). */
  readonly inputSize: number;
  readonly outputSize: number;
  readonly parameterCount: number;
  readonly byteLength: number;
  readonly layers: readonly LayerSummary[];
  readonly metadata: ReadonlyMap<string, MetadataValue>;
  readonly hasTokenizer: boolean;
  /** The model's inputs, in file order (one entry for a single-input model; a tokens model's is int32). */
  readonly inputs: readonly TensorSpec[];
  /** The model's outputs, in file order; outputSize is the sum of their sizes. */
  readonly outputs: readonly TensorSpec[];

  /** Scores for one sequence of token ids (length ≤ sequence length; shorter is padded). The returned array is the model's own output buffer: copy it before the next call. */
  predictTokens(ids: ArrayLike<number>): Float32Array;
  /**
   * One prediction from one flat row-major array per input, in `inputs` order, each of
   * exactly its shape's size. float32 inputs must be finite; int32 inputs are truncated
   * toward zero as TF.js casts them (a tokens input's ids must then lie in the vocabulary).
   * Returns every output's values concatenated in `outputs` order, in the model's own
   * buffer (copy it before the next call).
   */
  predictInputs(inputs: readonly ArrayLike<number>[]): Float32Array;
  /** Scores for one float input of inputSize values. Same buffer rule. */
  predictVector(input: ArrayLike<number>): Float32Array;
  /** Scores for one text (tokens models with a tokenizer). Same buffer rule. */
  predictText(text: string): Float32Array;
  /** Token ids of a text, written into the model's own token buffer (or `out`). */
  tokenize(text: string, out?: Int32Array): Int32Array;
  /** Batch predictions: scores of item i at [i*outputSize, (i+1)*outputSize). Writes into `out` when given (no allocation). */
  predictTexts(texts: readonly string[], out?: Float32Array): Float32Array;
  predictTokensBatch(batch: readonly ArrayLike<number>[], out?: Float32Array): Float32Array;
  predictVectorBatch(batch: readonly ArrayLike<number>[], out?: Float32Array): Float32Array;
  /** Index of the largest score (first on ties). */
  argmax(scores: ArrayLike<number>): number;
}
