// Keras merge layers → engine/layers/merge.ts: Add, Subtract, Multiply, Average, Maximum,
// Minimum (elementwise, broadcast as TF.js), Concatenate (axis) and Dot (axes, normalize).
// Keras axes count the batch dimension (axis 0) and may be negative; the file stores
// axes over the shapes without it.
//
// Masks (Embedding mask_zero, Masking) through a merge, as tfjs-layers computes them at
// predict: Concatenate ANDs its inputs' step masks (an unmasked input counts as all ones) on
// the features axis and concatenates them on the steps axis (Concatenate.computeMask, as
// Keras); Dot passes none on. The elementwise merges (Merge.computeMask) start from the first
// input's mask and AND those of inputs 2 … n − 1 but not the last, fail when one of those is
// missing, and pass the result on with an extra leading axis, which TF.js's recurrent layers
// cannot use; Keras ANDs them all. What the engine cannot reproduce becomes an unusable mask:
// a layer reading it refuses with the reason, any other passes it on harmlessly.

import { ModelFormatError } from '../../engine/errors.ts';
import { broadcastShape } from '../../engine/layers/merge.ts';
import { ConvertError, describe } from '../config.ts';
import { MASK_UNUSABLE, NO_MASK, unusableMask, type ConvertContext, type LayerConverter, type StepMask } from './family.ts';

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

const hasMask = (mask: StepMask): boolean => mask.mode !== NO_MASK.mode;

/** The mask after Add, Subtract, Multiply, Average, Maximum or Minimum (TF.js's Merge.computeMask). */
function elementwiseMask(context: ConvertContext): StepMask {
  const { masks, where } = context;
  if (!masks.some(hasMask)) return NO_MASK;
  const unusable = masks.find((mask) => mask.mode === MASK_UNUSABLE);
  if (unusable) return unusable;
  const anded = masks.slice(0, Math.max(1, masks.length - 1));
  const steps = masks.find(hasMask)?.steps ?? 0;
  if (masks.length > 2 && !anded.every(hasMask)) {
    throw new ConvertError(`${where}: TF.js cannot run it either: its mask ANDs the masks of every input but the last (Merge.computeMask), and input ${anded.findIndex((mask) => !hasMask(mask))} has none`);
  }
  if (!hasMask(masks[0])) return unusableMask(steps, "TF.js keeps only the first input's mask through a merge layer (Merge.computeMask) and drops the second's, which Keras keeps: no single answer would be right");
  return unusableMask(steps, "TF.js passes a merge layer's mask on with an extra axis (Merge.computeMask), which its recurrent layers cannot use (TF.js fails at predict)");
}

/** The same mask: Embedding mask_zero masks all read the one token input; a Masking layer's is its own. */
function sameMask(a: StepMask, b: StepMask): boolean {
  return a.mode === b.mode && a.steps === b.steps && a.origin === b.origin;
}

/** The mask after Concatenate on `axis` (of the dims without the batch): TF.js's Concatenate.computeMask. */
function concatenateMask(context: ConvertContext, axis: number): StepMask {
  const { masks, inputs, where } = context;
  const masked = masks.filter(hasMask);
  if (masked.length === 0) return NO_MASK;
  const unusable = masked.find((mask) => mask.mode === MASK_UNUSABLE);
  if (unusable) return unusable;
  const steps = masked[0].steps;
  if (inputs[0].length !== 2) return unusableMask(steps, `a mask through Concatenate of inputs of rank ${inputs[0].length} (not [steps, features]) is not supported`);
  if (axis === 0) {
    // an unmasked input's all-ones mask has its features axis, the expanded masks one value
    const wide = masks.findIndex((mask, i) => !hasMask(mask) && inputs[i][1] !== 1);
    if (wide >= 0) throw new ConvertError(`${where}: TF.js cannot run it either: Concatenate.computeMask joins a [steps, 1] mask with unmasked input ${wide}'s [${inputs[wide]}] along the steps axis`);
    return unusableMask(steps, 'masks concatenated along the steps axis (Concatenate on axis 1) are not supported');
  }
  if (!masked.every((mask) => sameMask(mask, masked[0]))) {
    return unusableMask(steps, "the AND of different masks (an Embedding mask_zero's and a Masking layer's, or two Masking layers') is not supported");
  }
  return masked[0];
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
      context.setMask(elementwiseMask(context));
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
  context.setMask(concatenateMask(context, axis));
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
  // Dot passes no mask on (Dot.computeMask), as Keras
  context.setMask(NO_MASK);
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
