// The engine's one entry point for canister/, converter/, bench/, tools and tests.

export type {
  DType,
  InputErrorCode,
  InputKind,
  LayerSummary,
  MetadataValue,
  Model,
  ModelFormatErrorCode,
  TensorSpec,
} from './api.ts';
export { InputError, ModelFormatError } from './errors.ts';
export { loadModel, type EngineModel, type LoadOptions } from './model.ts';
export { bindInputs, flattenNested, inputSpecs, outputSpecs, predictBound, rawTensors, shapeText, type BoundInputs, type GivenTensor } from './inputs.ts';
export {
  parseModelFile,
  tensorFloat32,
  tensorInt8,
  type ParsedLayer,
  type ParsedModelFile,
  type ParsedTensor,
  type TokenizerSpec,
} from './format.ts';
export { WordTokenizer, type WordTokenizerSpec } from './tokenizer.ts';
export { ACTIVATION_NAMES, activationCode, type ActivationName } from './activations.ts';
/** The raw kernels, for benchmarks and tools. */
export * as kernels from './kernels.ts';
export { DeferredPacking, PACK_INSTRUCTIONS_PER_WEIGHT, type PackingJob } from './deferred-packing.ts';
