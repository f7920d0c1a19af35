// Size per quantization (TF.js files vs one flat binary) and, for float16 and int8,
// label agreement and the largest score change against float32 on a set of texts.
import { loadModel, parseModelFile } from '../../engine/index.ts';
import type { BenchContext } from '../lib/context.ts';
import { formatBytes } from '../lib/format.ts';
import { convertTfjsModel, modelDirs, QUANTIZATIONS, tfjsFileSizes } from '../lib/models.ts';
import type { Section } from '../lib/results.ts';
import { agreementTexts } from '../lib/texts.ts';

/** Where a .dcai file's bytes go: header + metadata (vocabulary) + tables, tensor values, int8 scales, padding. */
function byteBreakdown(bytes: Uint8Array): { headerAndMetadata: number; values: number; int8Scales: number; padding: number } {
  const parsed = parseModelFile(bytes);
  const dataOffset = Math.min(...parsed.tensors.map((t) => t.offset));
  // int8 tensors hold one byte per value plus their float32 scales (per row or per column).
  const int8Scales = parsed.tensors.filter((t) => t.dtype.startsWith('int8')).reduce((n, t) => n + t.byteLength - t.size, 0);
  const tensorBytes = parsed.tensors.reduce((n, t) => n + t.byteLength, 0);
  return {
    headerAndMetadata: dataOffset,
    values: tensorBytes - int8Scales,
    int8Scales,
    padding: bytes.length - dataOffset - tensorBytes,
  };
}

export async function run(ctx: BenchContext): Promise<Section> {
  const texts = agreementTexts(ctx.quick ? 20 : 5);
  const section = ctx.openSection(
    'size',
    'Size and agreement per quantization',
    `"TF.js files" is everything the TF.js model needs to predict on text (model.json, weight shards, vocab, labels.txt), which one .dcai file replaces. Agreement is over ${texts.length} texts (8 comments and a fixed sample of the SpamAssassin corpus); "largest score change" is the largest |score − float32 score| over all texts and outputs.`,
  );
  const dirs = modelDirs(ctx.spamModelDir, ctx.defaultModelDir);
  if (!ctx.spamModelDir) section.skipped.push('spam model: ../shared/models/spam-detection is absent');
  const rows: string[][] = [];
  for (const { name, dir } of dirs) {
    ctx.progress(`size: ${name}`);
    const files = tfjsFileSizes(dir);
    rows.push([name, 'TF.js files', formatBytes(files.total), '100%', `model.json ${formatBytes(files.modelJson)}, shards ${formatBytes(files.shards)}, vocab ${formatBytes(files.vocab)}`, '', '']);
    section.figures[`${name}_tfjs_bytes`] = files.total;
    section.figures[`${name}_tfjs_weights_bytes`] = files.modelJson + files.shards;

    const reference: number[][] = [];
    for (const quantize of QUANTIZATIONS) {
      const { bytes } = convertTfjsModel(`${dir}/model.json`, quantize);
      const model = loadModel(bytes);
      let disagreements = 0;
      let largestChange = 0;
      texts.forEach((text, t) => {
        const scores = Array.from(model.predictText(text));
        if (quantize === 'float32') {
          reference.push(scores);
          return;
        }
        const base = reference[t];
        if (model.argmax(scores) !== model.argmax(base)) disagreements++;
        for (let i = 0; i < scores.length; i++) largestChange = Math.max(largestChange, Math.abs(scores[i] - base[i]));
      });
      const fraction = bytes.length / files.total;
      const breakdown = byteBreakdown(bytes);
      for (const [part, size] of Object.entries(breakdown)) section.figures[`${name}_${quantize}_${part}_bytes`] = size;
      section.figures[`${name}_${quantize}_bytes`] = bytes.length;
      section.figures[`${name}_${quantize}_fraction`] = fraction;
      if (quantize !== 'float32') {
        section.figures[`${name}_${quantize}_label_disagreements`] = disagreements;
        section.figures[`${name}_${quantize}_largest_score_change`] = largestChange;
      }
      rows.push([
        name,
        `.dcai ${quantize}`,
        formatBytes(bytes.length),
        `${(fraction * 100).toFixed(1)}%`,
        `${((bytes.length / (files.modelJson + files.shards)) * 100).toFixed(1)}% of model.json + shards; header+metadata ${formatBytes(breakdown.headerAndMetadata)}, values ${formatBytes(breakdown.values)}${breakdown.int8Scales ? `, int8 scales ${formatBytes(breakdown.int8Scales)}` : ''}, padding ${formatBytes(breakdown.padding)}`,
        quantize === 'float32' ? 'reference' : `${texts.length - disagreements}/${texts.length}`,
        quantize === 'float32' ? '' : largestChange.toExponential(2),
      ]);
    }
  }
  // The targets are stated on the spam model; without it they stay unmeasured.
  if (ctx.spamModelDir) {
    section.figures.int8_fraction = section.figures.spam_int8_fraction;
    section.figures.int8_label_disagreements = section.figures.spam_int8_label_disagreements;
  }
  section.tables.push({
    headers: ['model', 'file', 'bytes', 'of TF.js files', 'detail', 'same label as float32', 'largest score change'],
    rows,
  });
  return section;
}
