// One layer family check against TF.js: a Sequential of an InputLayer and the given
// layers, random weights and inputs (seeded), converted and run by the engine.
import * as tf from '@tensorflow/tfjs';
import { convertModel, type Quantization } from '../converter/convert.ts';
import { loadModel, type LoadOptions } from '../engine/index.ts';
import { mulberry32 } from '../train/prng.ts';
import { convertTfjsModel } from './tfjs-fixtures.ts';

export interface LayerCase {
  inputShape: number[];
  layers: () => tf.layers.Layer[];
  /** Layers of an equivalent model TF.js predicts with (same weights), where TF.js cannot run `layers`. */
  tfjsLayers?: () => tf.layers.Layer[];
  seed: number;
  /** Edits the saved topology before conversion (Keras options TF.js does not write). */
  editTopology?: (topology: unknown) => void;
}

export interface LayerRun {
  /** Engine and TF.js outputs, one row per input. */
  engine: Float32Array[];
  tfjs: Float32Array[];
  inputs: Float32Array[];
  /** Largest |weight| of the model and largest |input|. */
  maxWeight: number;
  /** The converted file. */
  bytes: Uint8Array;
}

/** Builds, converts and runs `layerCase` on `count` inputs in [-1, 1]. */
export async function runLayerCase(
  layerCase: LayerCase,
  count: number,
  quantize: Quantization = 'float32',
  int8: 'integer' | 'float' = 'integer',
  int8Kernel: LoadOptions['int8Kernel'] = 'auto',
  floatKernel: LoadOptions['floatKernel'] = 'auto',
): Promise<LayerRun> {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: layerCase.inputShape }));
  for (const layer of layerCase.layers()) model.add(layer);
  const next = mulberry32(layerCase.seed);
  let maxWeight = 0;
  const weights = model.getWeights().map((weight) => {
    // fan-in scaled so activations stay O(1) and a relative bound means something
    const fanIn = weight.shape.length > 1 ? weight.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const values = new Float32Array(weight.size).map(() => ((next() * 2 - 1) * 1.7) / Math.sqrt(fanIn));
    for (const v of values) maxWeight = Math.max(maxWeight, Math.abs(v));
    return tf.tensor(values, weight.shape);
  });
  model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  const bytes = await convertTfjsModel(model, { quantize, editTopology: layerCase.editTopology });
  const engine = loadModel(bytes, { int8, int8Kernel, floatKernel });
  const size = layerCase.inputShape.reduce((a, b) => a * b, 1);
  const inputs = Array.from({ length: count }, () => new Float32Array(size).map(() => next() * 2 - 1));
  const x = tf.tensor(inputs.flatMap((input) => Array.from(input)), [count, ...layerCase.inputShape]);
  let predictor: tf.LayersModel = model;
  if (layerCase.tfjsLayers) {
    const equivalent = tf.sequential();
    equivalent.add(tf.layers.inputLayer({ inputShape: layerCase.inputShape }));
    for (const layer of layerCase.tfjsLayers()) equivalent.add(layer);
    equivalent.setWeights(model.getWeights());
    predictor = equivalent;
  }
  const y = predictor.predict(x) as tf.Tensor;
  if (predictor !== model) predictor.dispose();
  const values = y.dataSync() as Float32Array;
  const width = values.length / count;
  x.dispose();
  y.dispose();
  model.dispose();
  return {
    engine: inputs.map((input) => engine.predictVector(Array.from(input)).slice()),
    tfjs: inputs.map((_, i) => values.slice(i * width, (i + 1) * width)),
    inputs,
    maxWeight,
    bytes,
  };
}

/** The first element where |a − b| > bound(b), described, or null. */
export function firstMismatch(run: LayerRun, bound: (expected: number) => number): string | null {
  for (let r = 0; r < run.tfjs.length; r++) {
    if (run.engine[r].length !== run.tfjs[r].length) return `input ${r}: engine has ${run.engine[r].length} outputs, TF.js ${run.tfjs[r].length}`;
    for (let i = 0; i < run.tfjs[r].length; i++) {
      const a = run.engine[r][i];
      const b = run.tfjs[r][i];
      if (!(Math.abs(a - b) <= bound(b))) return `input ${r} output ${i}: engine ${a} vs TF.js ${b} (bound ${bound(b)})`;
    }
  }
  return null;
}

export const relative = (tolerance: number) => (b: number) => tolerance * Math.max(1, Math.abs(b));

/** Converts `model` (weights set from `seed`, variances positive) and compares the engine with model.predict on 3 inputs. */
export async function compareModelWithTfjs(model: tf.Sequential, seed: number, tolerance: number, integers = 0): Promise<string | null> {
  const next = mulberry32(seed);
  model.setWeights(
    model.weights.map((w) => {
      const shape = w.shape as number[];
      return tf.tensor(new Float32Array(shape.reduce((x, y) => x * y, 1)).map(() => (w.name.includes('variance') ? 0.1 + next() * 2 : next() * 2 - 1)), shape);
    }),
  );
  const engine = loadModel(await convertTfjsModel(model));
  const shape = model.inputs[0].shape.slice(1) as number[];
  const size = shape.reduce((x, y) => x * y, 1);
  for (let n = 0; n < 3; n++) {
    // integer inputs: token ids below `integers` plus a fraction TF.js truncates away
    const input = Float32Array.from({ length: size }, () => (integers > 0 ? Math.floor(next() * integers) + next() * 0.9 : next() * 6 - 3));
    const expected = tf.tidy(() => (model.predict(tf.tensor(input, [1, ...shape])) as tf.Tensor).dataSync());
    const actual = engine.predictVector(input);
    for (let i = 0; i < expected.length; i++) if (!(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i])))) return `output ${i}: engine ${actual[i]} vs TF.js ${expected[i]}`;
  }
  model.dispose();
  return null;
}

/** The converter's error for a Sequential of an InputLayer of `shape` and one layer `className` named 'x' (no weights), or 'converted'. */
export function refusalOf(shape: readonly number[], className: string, config: Record<string, unknown> = {}): string {
  const layers = [{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, ...shape] } }, { class_name: className, config: { name: 'x', ...config } }];
  const modelJson = { modelTopology: { class_name: 'Sequential', config: { name: 'm', layers } }, weightsManifest: [] };
  try {
    convertModel({ modelJson, readWeightFile: () => new Uint8Array(0) });
  } catch (error) {
    return (error as Error).message;
  }
  return 'converted';
}
