// The layer classes @tensorflow/tfjs-layers registers that the converter does not run,
// each with the reason, which is the converter's one-line error for it. Together with the
// supported classes (converter/convert.ts SUPPORTED_LAYERS and the families of
// converter/layers/index.ts) this is the whole of tfjs-layers: test/layer-audit.test.ts
// enumerates TF.js's registered classes and checks each is in exactly one of the two.
// A class neither supports nor lists (a custom layer, Lambda) gets the error naming the
// layer, its class and the supported classes.

const CELL = 'an RNN cell is not a layer of a model (it runs inside an RNN layer); use the LSTM, GRU or SimpleRNN layer';

export const REFUSED_LAYERS: Readonly<Record<string, string>> = {
  RNN: 'the generic RNN wrapper (a cell named in its config) is not supported; use the LSTM, GRU or SimpleRNN layer',
  GRUCell: CELL,
  LSTMCell: CELL,
  SimpleRNNCell: CELL,
  StackedRNNCells: CELL,
  ConvLSTM2D: 'convolutional recurrent layers are not implemented',
  ConvLSTM2DCell: 'convolutional recurrent layers are not implemented',
  Conv3DTranspose: 'transposed 3-D convolution is not implemented (Conv2DTranspose is)',
  CenterCrop:
    "TF.js's CenterCrop samples the image with cropAndResize (nearest) rather than cropping it, and resizes when the image is smaller; the engine reproduces neither: crop the input before predicting",
  Resizing:
    "TF.js's Resizing resizes with aligned corners (alignCorners = !cropToAspectRatio, not a crop) where Keras uses half-pixel centres, so no single answer would be right: resize the input before predicting",
  RandomWidth: 'TF.js resizes to a random width even at inference, so its output has no fixed shape or value to match',
};

/** The reason a class is refused, or undefined. */
export function refusedLayer(className: string): string | undefined {
  return Object.hasOwn(REFUSED_LAYERS, className) ? REFUSED_LAYERS[className] : undefined;
}
