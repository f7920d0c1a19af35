// TF.js models saved in memory and converted, as the tests build them: one place for
// the save handler and the model.json wrapping.
import * as tf from '@tensorflow/tfjs';
import { convertModel, type Quantization } from '../converter/convert.ts';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** A model as `model.save` writes it: topology, weight specs and all weight bytes in one buffer. */
export interface SavedModel {
  topology: unknown;
  specs: WeightSpec[];
  data: Uint8Array;
}

export async function saveInMemory(model: tf.LayersModel): Promise<SavedModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs || artifacts.weightData === undefined) throw new Error('tfjs saved no weights');
  const data = artifacts.weightData;
  const bytes = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return { topology: artifacts.modelTopology, specs: artifacts.weightSpecs as WeightSpec[], data: new Uint8Array(bytes) };
}

/** Saves `model` and converts it with convertModel (model.json with one weight file). */
export async function convertTfjsModel(
  model: tf.LayersModel,
  options: { vocabText?: string; labelsText?: string; quantize?: Quantization; editTopology?: (topology: unknown) => void } = {},
): Promise<Uint8Array> {
  const saved = await saveInMemory(model);
  // Keras options TF.js does not write (e.g. Conv2DTranspose's output_padding) are added here
  options.editTopology?.(saved.topology);
  const modelJson = { format: 'layers-model', modelTopology: saved.topology, weightsManifest: [{ paths: ['weights.bin'], weights: saved.specs }] };
  return convertModel(
    { modelJson, readWeightFile: () => saved.data, vocabText: options.vocabText, labelsText: options.labelsText },
    { quantize: options.quantize },
  ).bytes;
}
