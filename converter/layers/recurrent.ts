// Keras LSTM, GRU, SimpleRNN and Bidirectional(those) → the recurrent kinds of
// engine/layers/recurrent.ts (tensors and params documented there); TimeDistributed(Dense)
// → the core Dense kind. Kernels are
// stored transposed, a row per gate unit, so int8 keeps one scale per output channel.

import { ACTIVATIONS } from '../../engine/format.ts';
import { GRU, LSTM, MASK_NONE, MASK_STEPS, MERGE_MODES, SIMPLE_RNN, PARAM_COUNT } from '../../engine/layers/recurrent.ts';
import { ConvertError, activationOf, describe, isObject, positiveInt, type Json } from '../config.ts';
import { MASK_UNUSABLE, NO_MASK, type ConvertContext, type LayerConverter } from './family.ts';

const CELLS: Record<string, { cell: number; kind: string; gates: number }> = {
  LSTM: { cell: LSTM, kind: 'lstm', gates: 4 },
  GRU: { cell: GRU, kind: 'gru', gates: 3 },
  SimpleRNN: { cell: SIMPLE_RNN, kind: 'simple_rnn', gates: 1 },
};

/** Options refused by name when true, each with its reason. */
const REFUSED_TRUE: Readonly<Record<string, string>> = {
  stateful: "the states TF.js keeps from one predict call to the next are not kept: every prediction starts from zero states",
  return_state: 'the final states as extra outputs are not implemented',
  time_major: 'TF.js has no such option',
};

/** A [rows, cols] row-major matrix transposed to [cols, rows]. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) out[c * rows + r] = values[r * cols + c];
  return out;
}

const code = (name: string): number => (ACTIVATIONS as readonly string[]).indexOf(name);

interface CellOptions {
  cell: number;
  kind: string;
  gates: number;
  units: number;
  activation: number;
  recurrentActivation: number;
  useBias: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
  resetAfter: boolean;
}

function cellOptions(className: string, config: Json, where: string): CellOptions {
  const spec = CELLS[className];
  if (!spec) throw new ConvertError(`${where}: wraps ${describe(className)}; Bidirectional supports ${Object.keys(CELLS).join(', ')}`);
  for (const [option, reason] of Object.entries(REFUSED_TRUE)) if (config[option] === true) throw new ConvertError(`${where}: ${option} true is not supported: ${reason}`);
  const resetAfter = config.reset_after === true;
  // TF.js's default recurrent activation is hard_sigmoid (Keras 2.3+ writes it explicitly)
  // (an explicit null is linear, as in TF.js's getActivation)
  const recurrentActivation = spec.cell === SIMPLE_RNN ? 'linear' : activationOf(config.recurrent_activation === undefined ? 'hard_sigmoid' : config.recurrent_activation, `${where} recurrent_activation`);
  return {
    ...spec,
    units: positiveInt(config.units, where, 'units'),
    activation: code(activationOf(config.activation === undefined ? 'tanh' : config.activation, where)),
    recurrentActivation: code(recurrentActivation),
    useBias: config.use_bias !== false,
    returnSequences: config.return_sequences === true,
    goBackwards: config.go_backwards === true,
    resetAfter: spec.cell === GRU && resetAfter,
  };
}

/**
 * The param of the layer's weight whose name ends in `last` (kernel, recurrent_kernel, bias), below
 * a first path part starting with `scope` ('forward', 'backward'; '' for any): Keras nests them
 * under cell names such as `lstm_cell_13/` or `forward_lstm_4/lstm_cell_13/`.
 */
function weightParam(context: ConvertContext, scope: string, last: string): string {
  const matches = context.weightParams().filter((param) => (scope === '' || param.split('/')[0].startsWith(scope)) && param.split('/').pop() === last);
  if (matches.length !== 1) {
    const what = `${scope ? `${scope} ` : ''}'${last}' weight`;
    throw new ConvertError(`${context.where}: ${matches.length === 0 ? `has no ${what}` : `has several ${what}s (${matches.join(', ')})`}`);
  }
  return matches[0];
}

/** Adds kernel, recurrent kernel and bias of one direction; `scope` selects the direction's weights ('' for a plain layer). */
function addDirection(context: ConvertContext, options: CellOptions, inputDim: number, scope: string): void {
  const units = options.units;
  const cols = options.gates * units;
  const find = (last: string): string => weightParam(context, scope, last);
  const direction = scope ? `${scope}/` : '';
  const kernel = context.weight(find('kernel'), [inputDim, cols]);
  const recurrent = context.weight(find('recurrent_kernel'), [units, cols]);
  context.addTensor(`${direction}kernel`, [cols, inputDim], transpose(kernel, inputDim, cols), 'kernel');
  context.addTensor(`${direction}recurrent_kernel`, [cols, units], transpose(recurrent, units, cols), 'kernel');
  const biasShape = options.resetAfter ? [2, cols] : [cols];
  const bias = options.useBias ? context.weight(find('bias'), biasShape) : new Float32Array(biasShape.reduce((a, b) => a * b, 1));
  context.addTensor(`${direction}bias`, [bias.length], bias, 'vector');
}

function storeRecurrent(context: ConvertContext, options: CellOptions, merge: number): number[] {
  const params = [
    options.units,
    options.activation,
    options.recurrentActivation,
    options.returnSequences ? 1 : 0,
    options.goBackwards ? 1 : 0,
    merge,
    options.resetAfter ? 1 : 0,
    maskOf(context),
  ];
  if (params.length !== PARAM_COUNT) throw new Error('recurrent params out of step with the engine');
  context.store(options.kind, 'linear', params);
  // TF.js passes the mask on only with the sequence (RNN.computeMask)
  if (!options.returnSequences) context.setMask(NO_MASK);
  const width = merge === 1 ? 2 * options.units : options.units;
  return options.returnSequences ? [context.input[0], width] : [width];
}

/** The mask param of a recurrent layer: the mask arriving with its input (its steps must be the layer's). */
function maskOf(context: ConvertContext): number {
  const { mask, input, where } = context;
  if (mask.mode === MASK_NONE) return MASK_NONE;
  if (mask.mode === MASK_UNUSABLE) throw new ConvertError(`${where}: receives a merge layer's mask: ${mask.reason}`);
  if (mask.steps !== input[0]) throw new ConvertError(`${where}: its ${input[0]} steps do not match the ${mask.steps} steps of the mask it receives (Embedding mask_zero or Masking)`);
  return mask.mode;
}

/** Masking(mask_value): the engine's masking kind on [steps, features]; its mask reaches the recurrent layers after it. */
const maskingConverter: LayerConverter = {
  classNames: ['Masking'],
  convert(context) {
    const { where, input, layer } = context;
    if (input.length !== 2) throw new ConvertError(`${where} needs a [steps, features] input, got [${input}] (its mask is then per step)`);
    const value = layer.config.mask_value ?? layer.config.maskValue ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConvertError(`${where}: mask_value ${describe(value)} must be a finite number`);
    context.store('masking', 'linear', [value]);
    context.setMask({ mode: MASK_STEPS, steps: input[0], origin: layer.name });
    return input.slice();
  },
};

function checkInput(context: ConvertContext): number {
  if (context.input.length !== 2) throw new ConvertError(`${context.where} needs a [steps, features] input, got [${context.input}]`);
  return context.input[1];
}

const cellConverter: LayerConverter = {
  classNames: Object.keys(CELLS),
  convert(context) {
    const inputDim = checkInput(context);
    const options = cellOptions(context.layer.className, context.layer.config, context.where);
    addDirection(context, options, inputDim, '');
    return storeRecurrent(context, options, 0);
  },
};

const bidirectionalConverter: LayerConverter = {
  classNames: ['Bidirectional'],
  convert(context) {
    const { config } = context.layer;
    const where = context.where;
    const inputDim = checkInput(context);
    if (config.backward_layer !== undefined && config.backward_layer !== null) throw new ConvertError(`${where}: backward_layer is not supported (TF.js builds the backward layer itself)`);
    const mergeMode = config.merge_mode === undefined ? 'concat' : config.merge_mode;
    const merge = (MERGE_MODES as readonly unknown[]).indexOf(mergeMode);
    if (mergeMode === null) throw new ConvertError(`${where}: merge_mode None (two outputs) is not supported; use concat, sum, mul or ave`);
    if (merge < 1) throw new ConvertError(`${where}: merge_mode ${describe(mergeMode)} is not supported; use concat, sum, mul or ave`);
    const inner = config.layer;
    if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) throw new ConvertError(`${where}: has no wrapped layer config`);
    const options = cellOptions(inner.class_name, inner.config, `${where} wrapping ${inner.class_name}`);
    addDirection(context, options, inputDim, 'forward');
    addDirection(context, options, inputDim, 'backward');
    return storeRecurrent(context, options, merge);
  },
};

/**
 * TimeDistributed(Dense): Dense applied to each step is the engine's Dense over the last axis
 * (the core 'dense' kind). Other wrapped layers are refused by name.
 */
const timeDistributedConverter: LayerConverter = {
  classNames: ['TimeDistributed'],
  convert(context) {
    const { where, input } = context;
    const inner = context.layer.config.layer;
    if (!isObject(inner) || typeof inner.class_name !== 'string' || !isObject(inner.config)) throw new ConvertError(`${where}: has no wrapped layer config`);
    if (inner.class_name !== 'Dense') throw new ConvertError(`${where}: wraps ${inner.class_name}; TimeDistributed supports only Dense`);
    if (input.length < 2) throw new ConvertError(`${where} needs an input of rank ≥ 2 [steps, ...], got [${input}]`);
    const units = positiveInt(inner.config.units, where, 'units');
    const activation = activationOf(inner.config.activation, where);
    const last = input[input.length - 1];
    const find = (name: string): string => weightParam(context, '', name);
    context.addTensor('kernel', [units, last], transpose(context.weight(find('kernel'), [last, units]), last, units), 'kernel');
    if (inner.config.use_bias !== false) context.addTensor('bias', [units], context.weight(find('bias'), [units]), 'vector');
    context.store('dense', activation);
    return [...input.slice(0, -1), units];
  },
};

export const RECURRENT_CONVERTERS: readonly LayerConverter[] = [cellConverter, bidirectionalConverter, timeDistributedConverter, maskingConverter];
