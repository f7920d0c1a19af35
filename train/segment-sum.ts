// A fast CPU kernel for UnsortedSegmentSum, the op behind the gradient of Gather (and so of
// an Embedding layer). The stock tfjs CPU kernel loops over every segment (every vocabulary
// row) and masks the whole input each time: O(vocab · n · d). Training an Embedding(2003, 16)
// took ~280 s per epoch with it. This one scatter-adds each input row into its segment once:
// O(n · d).
import * as tf from '@tensorflow/tfjs';

const KERNEL_NAME = 'UnsortedSegmentSum';
const BACKEND_NAME = 'cpu';

/**
 * out[s] = Σ x[i] over the rows i with segmentIds[i] = s, for s in [0, numSegments); ids out of
 * range are dropped, as the stock kernel does. Sums are accumulated in float64 in row order
 * and rounded once, like the stock kernel's Sum, so the results are bit-identical to it.
 */
export function segmentSum(
  x: ArrayLike<number>,
  rowSize: number,
  segmentIds: ArrayLike<number>,
  numSegments: number,
): Float64Array {
  const sums = new Float64Array(numSegments * rowSize);
  for (let row = 0; row < segmentIds.length; row++) {
    const segment = segmentIds[row];
    if (segment < 0 || segment >= numSegments) continue;
    const from = row * rowSize;
    const to = segment * rowSize;
    for (let k = 0; k < rowSize; k++) sums[to + k] += x[from + k];
  }
  return sums;
}

const fastUnsortedSegmentSum: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs;
  const numSegments = attrs?.numSegments;
  if (!(backend instanceof tf.MathBackendCPU)) throw new Error(`${KERNEL_NAME}: expected the cpu backend`);
  if (x === undefined || segmentIds === undefined) throw new Error(`${KERNEL_NAME}: missing x or segmentIds`);
  if (typeof numSegments !== 'number') throw new Error(`${KERNEL_NAME}: numSegments must be a number`);
  // Gradients are float32; that is the only case training needs.
  if (x.dtype !== 'float32') throw new Error(`${KERNEL_NAME}: only float32 is supported, got ${x.dtype}`);

  const ids = backend.readSync(segmentIds.dataId);
  const values = backend.readSync(x.dataId);
  if (!(ids instanceof Int32Array || ids instanceof Float32Array)) throw new Error(`${KERNEL_NAME}: bad segmentIds`);
  if (!(values instanceof Float32Array)) throw new Error(`${KERNEL_NAME}: bad x values`);
  // segmentIds index the leading dimensions of x; the rest is one row.
  const rowSize = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const sums = segmentSum(values, rowSize, ids, numSegments);
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  return backend.makeTensorInfo(outShape, 'float32', Float32Array.from(sums));
};

/** The stock kernel while the fast one is installed, to put back. */
let stockKernel: tf.KernelConfig | undefined;

/** Replace the stock cpu UnsortedSegmentSum with the fast one (idempotent). */
export function useFastSegmentSum(): void {
  if (stockKernel !== undefined) return;
  const current = tf.getKernel(KERNEL_NAME, BACKEND_NAME);
  if (current === undefined) throw new Error(`no ${BACKEND_NAME} ${KERNEL_NAME} kernel registered`);
  stockKernel = current;
  tf.unregisterKernel(KERNEL_NAME, BACKEND_NAME);
  tf.registerKernel({ kernelName: KERNEL_NAME, backendName: BACKEND_NAME, kernelFunc: fastUnsortedSegmentSum });
}

/** Put the stock kernel back (for comparisons). */
export function useStockSegmentSum(): void {
  if (stockKernel === undefined) return;
  tf.unregisterKernel(KERNEL_NAME, BACKEND_NAME);
  tf.registerKernel(stockKernel);
  stockKernel = undefined;
}
