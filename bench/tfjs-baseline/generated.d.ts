// Types of the modules bench/tfjs-baseline/build.ts generates into bench/build/tfjs-baseline/
// (gitignored: the TF.js bundle is 2.4 MB and the model must never be copied into the repo).

declare module '*/build/tfjs-baseline/tfjs.js' {
  export * from '@tensorflow/tfjs';
}

declare module '*/build/tfjs-baseline/model.js' {
  /** The model.json of the TF.js layers model, parsed. */
  export const modelJson: {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  /** All weight shards concatenated, base64: decoded inside the `load` update, as the seed did. */
  export const weightsBase64: string;
  /** Token for each id (entry i is the token of id i). */
  export const vocab: string[];
  export const labels: string[];
  export const sequenceLength: number;
  export const padId: number;
  export const startId: number;
  export const unknownId: number;
}
