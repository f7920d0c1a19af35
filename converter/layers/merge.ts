// Keras merge layers → engine/layers/merge.ts: Add, Subtract, Multiply, Average, Maximum,
// Minimum (elementwise, broadcast as TF.js), Concatenate (axis) and Dot (axes, normalize).
// Keras axes count the batch dimension (axis 0) and may be negative; the file stores
// axes over the shapes without it.

import { ModelFormatError } from '../../engine/errors.ts';
import { broadcastShape } from '../../engine/layers/merge.ts';
import { ConvertError, describe } from '../config.ts';
import type { ConvertContext, LayerConverter } from './family.ts';

const MANY = { min: 2, max: Infinity };
const TWO = { min: 2, max: 2 };

/** A Keras axis (batch-inclusive, maybe negative) of a tensor of `rank` dims without the batch, as an index into those dims. */
function featureAxis(context: ConvertContext, value: unknown, rank: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ConvertError(`${context.where}: ${what} ${describe(value)} is not an integer`);
  const axis = value < 0 ? rank + 1 + value : value;
  if (axis === 0) throw new ConvertError(`${context.where}: ${what} ${value} is the batch axis; only axes of the samples are supported`);
  if (axis < 1 || axis > rank) throw new ConvertError(`${context.where}: ${what} ${value} is outside the input's ${rank + 1} axes`);
  return axis - 1;
}

function shapesText(shapes: readonly (readonly number[])[]): string {
  return shapes.map((shape) => `[${shape}]`).join(', ');
}

function elementwise(className: string, kind: string, inputCount: { min: number; max: number }): LayerConverter {
  return {
    classNames: [className],
    inputCount,
    convert(context) {
      let output: number[];
      try {
        output = broadcastShape(context.inputs, context.where);
      } catch (error) {
        if (error instanceof ModelFormatError) throw new ConvertError(`${context.where}: input shapes ${shapesText(context.inputs)} cannot be broadcast together (as TF.js requires)`);
        throw error;
      }
      context.store(kind, 'linear');
      return output;
    },
  };
}

function concatenate(context: ConvertContext): number[] {
  const { inputs } = context;
  const rank = inputs[0].length;
  const kerasAxis = context.layer.config.axis ?? -1;
  // tfjs-layers' concatenate turns every negative axis into the last one; Keras does not
  if (typeof kerasAxis === 'number' && kerasAxis < -1) {
    throw new ConvertError(`${context.where}: axis ${kerasAxis} is not supported (TF.js concatenates on the last axis for every negative axis, Keras does not); use axis ${rank + 1 + kerasAxis}`);
  }
  const axis = featureAxis(context, kerasAxis, rank, 'axis');
  if (inputs.some((shape) => shape.length !== rank || shape.some((dim, i) => i !== axis && dim !== inputs[0][i]))) {
    throw new ConvertError(`${context.where}: inputs ${shapesText(inputs)} must have matching shapes except on the concatenation axis ${axis + 1}`);
  }
  const output = inputs[0].slice();
  output[axis] = inputs.reduce((sum, shape) => sum + shape[axis], 0);
  context.store('concatenate', 'linear', [axis]);
  return output;
}

function dot(context: ConvertContext): number[] {
  const { config } = context.layer;
  const [x, y] = context.inputs;
  if (x.length > 2 || y.length > 2) throw new ConvertError(`${context.where}: inputs ${shapesText(context.inputs)}: Dot supports inputs of rank ≤ 2 besides the batch, as TF.js`);
  const axes = Array.isArray(config.axes) ? config.axes : [config.axes, config.axes];
  if (axes.length !== 2) throw new ConvertError(`${context.where}: axes ${describe(config.axes)} must be one integer or two`);
  const a = featureAxis(context, axes[0], x.length, 'axes[0]');
  const b = featureAxis(context, axes[1], y.length, 'axes[1]');
  if (x[a] !== y[b]) throw new ConvertError(`${context.where}: axis ${a + 1} of [${x}] (${x[a]}) and axis ${b + 1} of [${y}] (${y[b]}) differ in size`);
  const normalize = config.normalize ?? false;
  if (typeof normalize !== 'boolean') throw new ConvertError(`${context.where}: normalize ${describe(normalize)} is not true or false`);
  context.store('dot', 'linear', [a, b, normalize ? 1 : 0]);
  const output = [...x.filter((_, i) => i !== a), ...y.filter((_, i) => i !== b)];
  return output.length === 0 ? [1] : output;
}

export const MERGE_CONVERTERS: readonly LayerConverter[] = [
  elementwise('Add', 'add', MANY),
  elementwise('Subtract', 'subtract', TWO),
  elementwise('Multiply', 'multiply', MANY),
  elementwise('Average', 'average', MANY),
  elementwise('Maximum', 'maximum', MANY),
  elementwise('Minimum', 'minimum', MANY),
  { classNames: ['Concatenate'], inputCount: MANY, convert: concatenate },
  { classNames: ['Dot'], inputCount: TWO, convert: dot },
];
