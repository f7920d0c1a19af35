// Plain version of kernels-lanes.ts, straight from the definition, for the tests.

/** sums[o] = Σ_k kernel[o][k] · quantized[k] (kernel transposed, [units][inputSize]), as plain numbers. */
export function laneIntegerSumsReference(kernel: Int8Array, units: number, inputSize: number, quantized: Int8Array): Int32Array {
  const sums = new Int32Array(units);
  for (let o = 0; o < units; o++) {
    let sum = 0;
    for (let k = 0; k < inputSize; k++) sum += kernel[o * inputSize + k] * quantized[k];
    sums[o] = sum;
  }
  return sums;
}
