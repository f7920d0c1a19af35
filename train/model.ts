// The classifier, in the shape of the TF.js spam-detection model (Model Maker average word
// vectors): InputLayer [null, 20] int32 → Embedding → GlobalAveragePooling1D → Dense relu →
// Dropout → Dense softmax. Layer names mirror that model's, so the weights are named alike.
import * as tf from '@tensorflow/tfjs';
import { SEQUENCE_LENGTH, SPECIAL_TOKENS, VOCAB_WORDS } from './tokenizer.ts';

export interface ModelOptions {
  seed: number;
  embeddingSize: number;
  hiddenUnits: number;
  dropoutRate: number;
  classes: number;
}

/**
 * tf.layers.dropout with a seed draws the same mask at every step (tf.dropout reseeds its
 * generator from the seed on each call), and without one it draws from Math.random. This
 * Dropout draws a fresh mask per training step from (seed, step), so masks vary like they
 * should and two runs are identical. It serialises exactly as tfjs's Dropout.
 */
export class SteppedSeedDropout extends tf.layers.Layer {
  static className = 'Dropout';
  private readonly rate: number;
  private readonly seed: number;
  private step = 0;

  constructor(args: { rate: number; seed: number; name: string }) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || this.rate <= 0) return input;
    const stepSeed = `${this.seed}/${this.step++}`;
    return tf.dropout(input, this.rate, undefined, stepSeed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { rate: this.rate, noiseShape: null, seed: this.seed, ...super.getConfig() };
  }
}

export function buildModel(options: ModelOptions): tf.Sequential {
  const { seed } = options;
  const model = tf.sequential({ name: 'default-spam' });
  model.add(tf.layers.inputLayer({ batchInputShape: [null, SEQUENCE_LENGTH], dtype: 'int32', name: 'input_1' }));
  model.add(
    tf.layers.embedding({
      name: 'embedding',
      inputDim: SPECIAL_TOKENS.length + VOCAB_WORDS,
      outputDim: options.embeddingSize,
      inputLength: SEQUENCE_LENGTH,
      maskZero: false,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
    }),
  );
  model.add(tf.layers.globalAveragePooling1d({ name: 'global_average_pooling1d' }));
  model.add(
    tf.layers.dense({
      name: 'dense',
      units: options.hiddenUnits,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  model.add(new SteppedSeedDropout({ name: 'dropout', rate: options.dropoutRate, seed: seed + 2 }));
  model.add(
    tf.layers.dense({
      name: 'dense_1',
      units: options.classes,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
    }),
  );
  return model;
}
