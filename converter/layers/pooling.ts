// Keras pooling, zero padding, cropping and up-sampling → engine/layers/pooling.ts's kinds.

import { ConvertError, describe, isDim } from '../config.ts';
import { axisInts, channelsLast, paddingOf, withChannelsFirst } from './convolution.ts';
import type { ConvertContext, LayerConverter } from './family.ts';

function spatialRank(context: ConvertContext, rank: number): number[] {
  const { input, where } = context;
  if (input.length !== rank + 1) throw new ConvertError(`${where} needs an input of rank ${rank + 1} (spatial × ${rank}, channels), got [${input}]`);
  return input.slice(0, rank);
}

function pooling(rank: 1 | 2 | 3, average: boolean, classNames: string[]): LayerConverter {
  const kind = `${average ? 'average' : 'max'}_pooling_${rank}d`;
  return {
    classNames,
    convert(context) {
      const { config } = context.layer;
      const where = context.where;
      channelsLast(config, where);
      const dims = spatialRank(context, rank);
      const poolSize = axisInts(config.pool_size, rank, 2, where, 'pool_size');
      const strides = config.strides === undefined || config.strides === null ? poolSize : axisInts(config.strides, rank, 1, where, 'strides');
      const { before, after, cropped } = paddingOf(config.padding, dims, poolSize, strides, false, where, context);
      context.store(kind, 'linear', [...poolSize, ...strides, ...before, ...after]);
      return [...cropped.map((n, a) => Math.floor((n + before[a] + after[a] - poolSize[a]) / strides[a]) + 1), context.input[rank]];
    },
  };
}

function globalPooling(rank: 2 | 3, average: boolean, classNames: string[]): LayerConverter {
  return {
    classNames,
    convert(context) {
      const { config } = context.layer;
      channelsLast(config, context.where);
      if (config.keepdims === true) throw new ConvertError(`${context.where}: keepdims true is not supported (TF.js has no such option)`);
      spatialRank(context, rank);
      context.store(`global_${average ? 'average' : 'max'}_pooling_${rank}d`, 'linear');
      return [context.input[rank]];
    },
  };
}

/** Keras padding/cropping: an int (all sides), [a, b] per axis or for 1-D [before, after], or [[before, after], ...]. */
function beforeAfter(value: unknown, rank: number, fallback: number, where: string, what: string): { before: number[]; after: number[] } {
  const bad = (): never => {
    throw new ConvertError(`${where}: ${what} ${describe(value)} must be an int, ${rank === 1 ? '[before, after]' : `${rank} ints or ${rank} [before, after] pairs`}`);
  };
  const int = (item: unknown): number => (isDim(item) ? item : bad());
  if (value === undefined || value === null) value = fallback;
  if (typeof value === 'number') return { before: new Array<number>(rank).fill(int(value)), after: new Array<number>(rank).fill(int(value)) };
  if (!Array.isArray(value)) return bad();
  if (rank === 1 && value.length === 2 && value.every((item) => typeof item === 'number')) return { before: [int(value[0])], after: [int(value[1])] };
  if (value.length !== rank) return bad();
  const pairs = value.map((item) => (Array.isArray(item) ? (item.length === 2 ? item : bad()) : [item, item]));
  return { before: pairs.map((pair) => int(pair[0])), after: pairs.map((pair) => int(pair[1])) };
}

function padOrCrop(rank: 1 | 2 | 3, crop: boolean, classNames: string[]): LayerConverter {
  return {
    classNames,
    convert(context) {
      const { config } = context.layer;
      const where = context.where;
      channelsLast(config, where);
      const dims = spatialRank(context, rank);
      const { before, after } = beforeAfter(crop ? config.cropping : config.padding, rank, crop ? 0 : 1, where, crop ? 'cropping' : 'padding');
      const out = dims.map((n, a) => (crop ? n - before[a] - after[a] : n + before[a] + after[a]));
      if (out.some((n) => n < 1)) throw new ConvertError(`${where}: cropping [${before}] + [${after}] leaves nothing of input [${dims}]`);
      context.store(crop ? 'cropping' : 'zero_padding', 'linear', [...before, ...after]);
      return [...out, context.input[rank]];
    },
  };
}

function upSampling(rank: 1 | 2 | 3, classNames: string[]): LayerConverter {
  return {
    classNames,
    convert(context) {
      const { config } = context.layer;
      const where = context.where;
      channelsLast(config, where);
      const interpolation = config.interpolation ?? 'nearest';
      // only UpSampling2D has the option in TF.js, which knows 'nearest' and 'bilinear'
      const known = rank === 2 ? ['nearest', 'bilinear'] : ['nearest'];
      if (typeof interpolation !== 'string' || !known.includes(interpolation)) {
        throw new ConvertError(`${where}: interpolation ${describe(config.interpolation)} is not supported; only ${known.map((name) => `'${name}'`).join(' or ')} (as TF.js)`);
      }
      const dims = spatialRank(context, rank);
      const size = axisInts(rank === 1 ? (config.size ?? config.length) : config.size, rank, 2, where, 'size');
      // bilinear as TF.js runs it (resizeBilinear without half-pixel centres; Keras on TF 2 uses them, TF.js is the reference)
      context.store(interpolation === 'bilinear' ? 'up_sampling_bilinear' : 'up_sampling', 'linear', size);
      return [...dims.map((n, a) => n * size[a]), context.input[rank]];
    },
  };
}

export const POOLING_CONVERTERS: readonly LayerConverter[] = [
  pooling(1, false, ['MaxPooling1D', 'MaxPool1D']),
  pooling(2, false, ['MaxPooling2D', 'MaxPool2D']),
  pooling(3, false, ['MaxPooling3D', 'MaxPool3D']),
  pooling(1, true, ['AveragePooling1D', 'AvgPool1D']),
  pooling(2, true, ['AveragePooling2D', 'AvgPool2D']),
  pooling(3, true, ['AveragePooling3D', 'AvgPool3D']),
  globalPooling(2, true, ['GlobalAveragePooling2D', 'GlobalAvgPool2D']),
  globalPooling(2, false, ['GlobalMaxPooling2D', 'GlobalMaxPool2D']),
  globalPooling(3, true, ['GlobalAveragePooling3D', 'GlobalAvgPool3D']),
  globalPooling(3, false, ['GlobalMaxPooling3D', 'GlobalMaxPool3D']),
  padOrCrop(1, false, ['ZeroPadding1D']),
  padOrCrop(2, false, ['ZeroPadding2D']),
  padOrCrop(3, false, ['ZeroPadding3D']),
  padOrCrop(1, true, ['Cropping1D']),
  padOrCrop(2, true, ['Cropping2D']),
  padOrCrop(3, true, ['Cropping3D']),
  upSampling(1, ['UpSampling1D']),
  upSampling(2, ['UpSampling2D']),
  upSampling(3, ['UpSampling3D']),
].map(withChannelsFirst);
