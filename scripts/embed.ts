// npm run embed -- <model> [text]... [--similarity] [--json]
// Embeds texts in Node with the engine, exactly as the canister's `embed` does. <model>: a
// converted embedding model file, or a model2vec / sentence-transformers StaticEmbedding folder
// (converted on the fly). Texts come as arguments, else one per line on standard input.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { argsErrorMessage, isArgsError } from '../engine/cli-args.ts';
import { cosine, StaticEmbeddingModel } from '../engine/embedding-model.ts';
import { loadModel } from '../engine/index.ts';
import { readModel } from './lib/models.ts';

const HELP = `usage: npm run embed -- <model> [text]... [options]

Embeds each text with a static embedding model (mean of token vectors, as model2vec) and
prints one line per text: its vector (first values, dims, norm), or JSON with --json.

  <model>            a converted model file, or a model2vec / StaticEmbedding folder
                     (e.g. ../shared/models/m2v-bge-base-64d-vq128)
  --similarity       print the cosine similarity of every pair of texts instead
  --json             print {"dims", "vectors"} (or {"similarities"}) as JSON
  -h, --help         this text
Without texts, reads one text per line from standard input.
`;

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { similarity: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (positionals.length < 1) throw new Error('give a model (see --help)');
  const source = readModel('model', positionals[0]);
  const model = loadModel(source.bytes);
  if (!(model instanceof StaticEmbeddingModel)) throw new Error(`${positionals[0]} is not an embedding model: use npm run predict`);
  let texts = positionals.slice(1);
  if (texts.length === 0) texts = readFileSync(0, 'utf8').split('\n').filter((line) => line.length > 0);
  const vectors = texts.map((text) => model.embed(text).slice());
  if (values.similarity) {
    const rows: { a: string; b: string; similarity: number }[] = [];
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) rows.push({ a: texts[i], b: texts[j], similarity: cosine(vectors[i], vectors[j]) });
    if (values.json) console.log(JSON.stringify({ similarities: rows }));
    else for (const r of rows) console.log(`${r.similarity.toFixed(4)}  ${JSON.stringify(r.a)} ~ ${JSON.stringify(r.b)}`);
    return;
  }
  if (values.json) return console.log(JSON.stringify({ dims: model.dims, vectors: vectors.map((v) => Array.from(v)) }));
  vectors.forEach((v, i) => {
    const head = Array.from(v.subarray(0, 4), (x) => x.toFixed(4)).join(', ');
    console.log(`${JSON.stringify(texts[i])}: [${head}, …] (${model.dims} dims, norm ${Math.hypot(...v).toFixed(4)})`);
  });
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof Error) && !isArgsError(error)) throw error;
  console.error(`embed: ${isArgsError(error) ? argsErrorMessage(error) : (error as Error).message}`);
  process.exitCode = 1;
}
