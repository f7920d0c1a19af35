// Validation helpers shared by engine/format.ts and the layer families: each
// throws ModelFormatError with a message naming the layer.

import type { ModelFormatErrorCode } from '../api.ts';
import { ModelFormatError } from '../errors.ts';
import type { ParsedLayer, ParsedTensor } from '../format.ts';

export function fail(code: ModelFormatErrorCode, message: string): never {
  throw new ModelFormatError(code, message);
}

/** The layer's tensors, after checking their count (one of `tensorCounts`) and the param count. */
export function expectCounts(
  layer: ParsedLayer,
  tensors: readonly ParsedTensor[],
  tensorCounts: number | readonly number[],
  paramCount: number | readonly number[],
  where: string,
): ParsedTensor[] {
  const counts = typeof tensorCounts === 'number' ? [tensorCounts] : tensorCounts;
  const params = typeof paramCount === 'number' ? [paramCount] : paramCount;
  if (!counts.includes(layer.tensors.length)) fail('bad_layer', `${where}: has ${layer.tensors.length} tensors, expected ${counts.join(' or ')}`);
  if (!params.includes(layer.params.length)) fail('bad_layer', `${where}: has ${layer.params.length} params, expected ${params.join(' or ')}`);
  return layer.tensors.map((tensorIndex) => {
    if (tensorIndex >= tensors.length) fail('bad_layer', `${where}: tensor index ${tensorIndex} is not below tensorCount ${tensors.length}`);
    return tensors[tensorIndex];
  });
}

/** int8 (row scales) only where `quantized` is 'int8', int8_cols only where it is 'int8_cols'. */
export function expectDType(tensor: ParsedTensor, quantized: 'int8' | 'int8_cols' | null, where: string): void {
  if ((tensor.dtype === 'int8' || tensor.dtype === 'int8_cols') && tensor.dtype !== quantized) {
    const allowed = quantized === null ? 'float32 or float16' : `float32, float16 or ${quantized}`;
    fail('bad_tensor', `${where}: tensor '${tensor.name}' is ${tensor.dtype}; here it must be ${allowed}`);
  }
}

export function expectShape(tensor: ParsedTensor, wanted: readonly number[], where: string): void {
  if (tensor.shape.length !== wanted.length || tensor.shape.some((dim, i) => dim !== wanted[i])) {
    fail('bad_shape', `${where}: tensor '${tensor.name}' has shape [${tensor.shape}], expected [${wanted}]`);
  }
}

/** A param that must be an integer in [min, max]. */
export function intParam(layer: ParsedLayer, index: number, min: number, max: number, what: string, where: string): number {
  const value = layer.params[index];
  if (!Number.isInteger(value) || value < min || value > max) fail('bad_layer', `${where}: ${what} ${value} must be an integer in [${min}, ${max}]`);
  return value;
}

export function product(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Pads per-axis values in front with `fill` to three spatial axes (1-D and 2-D run as 3-D). */
export function lift(values: readonly number[], fill: number): number[] {
  const out = values.slice();
  while (out.length < 3) out.unshift(fill);
  return out;
}
