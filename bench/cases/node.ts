// Node side: the engine against @tensorflow/tfjs (pure JS, cpu backend) on the same
// model and the same token ids, one prediction and a batch of 64, timed in one run.
import { loadModel } from '../../engine/index.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatRatio } from '../lib/format.ts';
import { convertTfjsModel, tfjsArtifacts } from '../lib/models.ts';
import type { Section } from '../lib/results.ts';
import { agreementTexts, SHORT_TEXT } from '../lib/texts.ts';

type Tf = typeof import('@tensorflow/tfjs');

/** TF.js greets Node users on stdout; the report owns stdout, so send it to stderr. */
async function importTfjsQuietly(): Promise<Tf> {
  const log = console.log;
  const warn = console.warn;
  console.log = (...args: unknown[]) => console.error(...args);
  console.warn = (...args: unknown[]) => console.error(...args);
  try {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    await tf.ready();
    return tf;
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

/**
 * Microseconds per call of `fn`: the best of 5 rounds of at least `minMillis / 5` each,
 * after a warm-up. The best round is the least disturbed by other processes on the machine.
 */
function timePerCall(fn: () => void, minMillis: number): number {
  for (let i = 0; i < 20; i++) fn();
  const roundLimit = BigInt(Math.ceil(minMillis / 5)) * 1_000_000n;
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < roundLimit) {
      for (let i = 0; i < 10; i++) fn();
      calls += 10;
      elapsed = process.hrtime.bigint() - start;
    }
    best = Math.min(best, Number(elapsed) / 1000 / calls);
  }
  return best;
}

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'node',
    'Node: engine vs @tensorflow/tfjs',
    'Same model, same token ids (tokenizing excluded on both sides); wall time per call in this process, the best of 5 rounds (the machine is shared); TF.js is the pure-JS package on its cpu backend (tfjs-node is not used).',
  );
  const dir = ctx.spamModelDir ?? ctx.defaultModelDir;
  const modelName = ctx.spamModelDir ? 'spam' : 'default';
  const engine = loadModel(convertTfjsModel(`${dir}/model.json`, 'float32').bytes);
  const tf = await importTfjsQuietly();
  const artifacts = tfjsArtifacts(dir);
  const tfModel = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const sequence = engine.inputSize;

  const ids = Int32Array.from(engine.tokenize(SHORT_TEXT));
  const texts = agreementTexts(ctx.quick ? 40 : 10).slice(0, 64);
  const batchIds = texts.map((text) => Int32Array.from(engine.tokenize(text)));
  const flatBatch = new Int32Array(64 * sequence);
  batchIds.forEach((row, i) => flatBatch.set(row, i * sequence));
  const batchOut = new Float32Array(64 * engine.outputSize);

  const tfPredict = (values: Int32Array, rows: number): Float32Array =>
    tf.tidy(() => (tfModel.predict(tf.tensor2d(values, [rows, sequence], 'int32')) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array);

  // The two must agree before their speeds mean anything.
  const engineScores = Array.from(engine.predictTokens(ids));
  const tfScores = Array.from(tfPredict(ids, 1));
  const maxDifference = Math.max(...engineScores.map((s, i) => Math.abs(s - tfScores[i])));

  const minMillis = ctx.quick ? 300 : 2000;
  ctx.progress('timing single predictions');
  const engineSingle = timePerCall(() => engine.predictTokens(ids), minMillis);
  const tfSingle = timePerCall(() => tfPredict(ids, 1), minMillis);
  ctx.progress('timing batches of 64');
  const engineBatch = timePerCall(() => engine.predictTokensBatch(batchIds, batchOut), minMillis);
  const tfBatch = timePerCall(() => tfPredict(flatBatch, 64), minMillis);
  const engineText = timePerCall(() => engine.predictText(SHORT_TEXT), minMillis);

  Object.assign(section.figures, {
    model: modelName,
    max_score_difference_vs_tfjs: maxDifference,
    single_engine_us: engineSingle,
    single_tfjs_us: tfSingle,
    single_speedup: tfSingle / engineSingle,
    batch64_engine_us: engineBatch,
    batch64_tfjs_us: tfBatch,
    batch64_speedup: tfBatch / engineBatch,
    text_engine_us: engineText,
  });
  const us = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  section.tables.push({
    headers: ['case', 'engine (µs)', '@tensorflow/tfjs (µs)', 'engine faster by'],
    rows: [
      [`one prediction (${modelName} model, token ids)`, us(engineSingle), us(tfSingle), formatRatio(tfSingle / engineSingle)],
      ['batch of 64', us(engineBatch), us(tfBatch), formatRatio(tfBatch / engineBatch)],
      ['one prediction from text (engine tokenizes)', us(engineText), '—', ''],
      ['largest score difference, engine vs TF.js', maxDifference.toExponential(2), '', ''],
    ],
  });
  tfModel.dispose();
  return section;
}
