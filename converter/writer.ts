// Writes the decentAI model file (docs/FORMAT.md) from already-encoded parts. The
// code tables come from engine/format.ts so writer and reader cannot disagree.

import type { DType } from '../engine/api.ts';
import { checksumWords } from '../engine/checksum.ts';
import {
  ACTIVATIONS,
  CHECKSUM_BYTES,
  DATA_ALIGNMENT,
  CHAIN_FAMILY_VERSION,
  DTYPES,
  GRAPH_VERSION,
  MIN_FORMAT_VERSION,
  layerKindCode,
  MAGIC,
  VALUE_ARRAY,
  VALUE_BOOL,
  VALUE_F32,
  VALUE_I32,
  VALUE_STRING,
  VALUE_U32,
  type ActivationName,
  type LayerKindName,
} from '../engine/format.ts';

export type MetadataEntry =
  | { key: string; type: 'u32' | 'i32' | 'f32'; value: number }
  | { key: string; type: 'bool'; value: boolean }
  | { key: string; type: 'string'; value: string }
  | { key: string; type: 'u32[]' | 'i32[]' | 'f32[]'; value: number[] }
  /** u32 values that depend on where they land: given the file offset of the first element (the vocabulary table aligns its keys to 8). */
  | { key: string; type: 'placed u32[]'; value: (elementsOffset: number) => number[] }
  | { key: string; type: 'bool[]'; value: boolean[] }
  | { key: string; type: 'string[]'; value: string[] };

export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** The encoded data, exactly as FORMAT.md lays it out for `dtype`. */
  data: Uint8Array;
}

export interface LayerEntry {
  name: string;
  /** A layer kind, or 'input' (a model input of a graph: params [dtype code, ...shape]). */
  kind: LayerKindName;
  activation: ActivationName;
  tensors: number[];
  params: number[];
  /** Graph files (version 3): the entries this one reads, by table index (output 0 of each). */
  inputs?: number[];
}

export interface ModelFileParts {
  metadata: MetadataEntry[];
  layers: LayerEntry[];
  tensors: TensorEntry[];
}

const TYPE_CODES: Record<string, number> = { u32: VALUE_U32, i32: VALUE_I32, f32: VALUE_F32, bool: VALUE_BOOL, string: VALUE_STRING };

/** A growable little-endian byte buffer. */
class ByteWriter {
  private buffer = new Uint8Array(1024);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(count: number): number {
    const at = this.length;
    if (at + count > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, at + count));
      grown.set(this.buffer);
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += count;
    return at;
  }

  u32(value: number): void {
    const at = this.reserve(4); // may replace this.view
    this.view.setUint32(at, value, true);
  }

  i32(value: number): void {
    const at = this.reserve(4); // may replace this.view
    this.view.setInt32(at, value, true);
  }

  f32(value: number): void {
    const at = this.reserve(4); // may replace this.view
    this.view.setFloat32(at, value, true);
  }

  setU32(at: number, value: number): void {
    this.view.setUint32(at, value, true);
  }

  bytes(data: Uint8Array): void {
    const at = this.reserve(data.length); // may replace this.buffer
    this.buffer.set(data, at);
  }

  string(text: string): void {
    const data = new TextEncoder().encode(text);
    this.u32(data.length);
    this.bytes(data);
    this.padTo(4);
  }

  padTo(alignment: number): void {
    this.reserve((alignment - (this.length % alignment)) % alignment); // new bytes are zero
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function writeScalar(out: ByteWriter, type: string, value: number | boolean | string): void {
  if (type === 'u32') out.u32(value as number);
  else if (type === 'i32') out.i32(value as number);
  else if (type === 'f32') out.f32(value as number);
  else if (type === 'bool') out.u32(value ? 1 : 0);
  else out.string(value as string);
}

/** Serializes the parts into one model file, checksum included. */
export function writeModelFile(parts: ModelFileParts): Uint8Array {
  const out = new ByteWriter();
  out.u32(MAGIC);
  // the lowest version that holds the model: core-only chains stay version 1, chains version 2, graphs 3
  const graph = parts.layers.some((layer) => layer.inputs !== undefined);
  out.u32(graph ? GRAPH_VERSION : parts.layers.every((layer) => layerKindCode(layer.kind) < 8) ? MIN_FORMAT_VERSION : CHAIN_FAMILY_VERSION);
  out.u32(0); // fileLength, patched below
  out.u32(parts.metadata.length);
  out.u32(parts.layers.length);
  out.u32(parts.tensors.length);
  out.u32(0); // dataOffset, patched below
  out.u32(0); // flags

  for (const entry of parts.metadata) {
    out.string(entry.key);
    if (entry.type === 'placed u32[]') {
      // after the value type, element type and count words
      const values = (entry.value as (elementsOffset: number) => number[])(out.length + 12);
      out.u32(VALUE_ARRAY);
      out.u32(VALUE_U32);
      out.u32(values.length);
      for (const value of values) out.u32(value);
    } else if (entry.type.endsWith('[]')) {
      const elementType = entry.type.slice(0, -2);
      const values = entry.value as (number | boolean | string)[];
      out.u32(VALUE_ARRAY);
      out.u32(TYPE_CODES[elementType]);
      out.u32(values.length);
      for (const value of values) writeScalar(out, elementType, value);
    } else {
      out.u32(TYPE_CODES[entry.type]);
      writeScalar(out, entry.type, entry.value as number | boolean | string);
    }
  }

  for (const layer of parts.layers) {
    out.string(layer.name);
    out.u32(layerKindCode(layer.kind));
    out.u32(ACTIVATIONS.indexOf(layer.activation));
    if (graph) {
      const inputs = layer.inputs ?? [];
      out.u32(inputs.length);
      for (const entry of inputs) {
        out.u32(entry);
        out.u32(0); // output index: every kind has one output
      }
    }
    out.u32(layer.tensors.length);
    for (const index of layer.tensors) out.u32(index);
    out.u32(layer.params.length);
    for (const param of layer.params) out.f32(param);
  }

  const offsetSlots: number[] = [];
  for (const tensor of parts.tensors) {
    out.string(tensor.name);
    out.u32(DTYPES.indexOf(tensor.dtype));
    out.u32(tensor.shape.length);
    for (const dim of tensor.shape) out.u32(dim);
    offsetSlots.push(out.length);
    out.u32(0); // offset, patched below
    out.u32(tensor.data.length);
  }

  out.padTo(DATA_ALIGNMENT);
  out.setU32(24, out.length);
  parts.tensors.forEach((tensor, index) => {
    out.padTo(DATA_ALIGNMENT);
    out.setU32(offsetSlots[index], out.length);
    out.bytes(tensor.data);
  });
  out.padTo(4);
  out.setU32(8, out.length + CHECKSUM_BYTES);
  const body = out.result();
  const [a, b] = checksumWords(body, body.length);
  out.u32(a);
  out.u32(b);
  return out.result();
}
