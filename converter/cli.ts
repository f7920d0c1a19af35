// npm run convert -- <model.json | dir | static embedding folder> -o <out.dcai> [--vocab F] [--labels F] [--label-descriptions F] [--quantize float32|float16|int8] [--name N] [--max-length L] [--vocab-table auto|on|off]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { argsErrorMessage, isArgsError } from '../engine/cli-args.ts';
import { CONVERTER_NAME, ConvertError, DEFAULT_MAX_LENGTH, VOCAB_TABLE_MIN_TOKENS, type ConvertSummary, type Quantization } from './convert.ts';
import { convertFiles } from './files.ts';
import { convertStaticEmbedding, isStaticEmbeddingFolder } from './static-embedding.ts';

const HELP = `${CONVERTER_NAME}: converts a TF.js layers model into a decentAI model file.

usage: npm run convert -- <model.json | directory holding one> -o <out.dcai> [options]
       npm run convert -- <model2vec or StaticEmbedding folder> -o <out.dcai> [--quantize Q] [--name N] [--max-length T]

Reads the TF.js layers model (model.json, its weight shards, and vocab, labels.txt and
label-descriptions.txt from beside it) and writes one decentAI model file (.dcai,
docs/FORMAT.md) for npm run predict, npm run upload and npm start --model.

  -o, --output F      the .dcai file to write (required)
      --vocab F       vocabulary ("token index" per line); default: vocab or vocab.txt beside model.json
      --labels F      one label per line; default: labels.txt beside model.json, else "0".."n-1"
      --label-descriptions F
                      what each label means, one line per label; default:
                      label-descriptions.txt beside model.json, else none
      --quantize Q    float32 (default, exact), float16, or int8 (a scale per output channel)
                      for every kernel and embedding table; float16 also rounds biases, PReLU
                      alpha and normalization gamma/beta (int8 keeps those float32); moving
                      means/variances and Normalization/Rescaling constants stay float32
      --name N        model name; default: model.json's directory name
      --max-length L  size of variable-length (None) input dimensions, e.g. a text model's
                      sequence length (default ${DEFAULT_MAX_LENGTH}); longer inputs are refused
      --vocab-table T auto (default: from ${VOCAB_TABLE_MIN_TOKENS} tokens on), on or off: also write the
                      vocabulary as a hash table, so loading builds no token object (~22 bytes
                      and ~5,200 fewer load instructions per token, ~3,500 more per known word read)
  -h, --help          this text
`;

function printSummary(summary: ConvertSummary, output: string): void {
  const rows = summary.layers.map((layer) => [`${layer.name} (${layer.className})`, `[${layer.outputShape.join(', ')}]`, String(layer.parameters)]);
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column].length), column === 0 ? 5 : 12));
  console.log(`${summary.name}  (${summary.quantize})`);
  console.log(`${'layer'.padEnd(widths[0])}  ${'output shape'.padEnd(widths[1])}  parameters`);
  for (const [layer, shape, parameters] of rows) console.log(`${layer.padEnd(widths[0])}  ${shape.padEnd(widths[1])}  ${parameters}`);
  console.log(`total parameters: ${summary.parameters}`);
  console.log(`wrote ${output}: ${summary.bytes} bytes (${(summary.ratio * 100).toFixed(1)}% of the TF.js files' ${summary.sourceBytes} bytes)`);
}

function writeOutput(path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes);
  } catch (error) {
    throw new ConvertError(`cannot write '${path}': ${error instanceof Error ? error.message : String(error)}`);
  }
}

function vocabTableOption(text: string | undefined): 'auto' | 'on' | 'off' | undefined {
  if (text === undefined || text === 'auto' || text === 'on' || text === 'off') return text;
  throw new ConvertError(`--vocab-table must be auto, on or off, not '${text}'`);
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      vocab: { type: 'string' },
      labels: { type: 'string' },
      'label-descriptions': { type: 'string' },
      quantize: { type: 'string' },
      name: { type: 'string' },
      'max-length': { type: 'string' },
      'vocab-table': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length !== 1) throw new ConvertError('give exactly one model.json or a directory holding one (see --help)');
  if (!values.output) throw new ConvertError('give the output file with -o (see --help)');
  const quantize = values.quantize ?? 'float32';
  if (quantize !== 'float32' && quantize !== 'float16' && quantize !== 'int8') throw new ConvertError(`--quantize must be float32, float16 or int8, not '${quantize}'`);
  const maxLengthText = values['max-length'];
  const maxLength = maxLengthText === undefined ? undefined : Number(maxLengthText);
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 1)) throw new ConvertError(`--max-length must be a positive integer, not '${maxLengthText}'`);
  if (isStaticEmbeddingFolder(positionals[0])) {
    const embedding = convertStaticEmbedding(positionals[0], { quantize, name: values.name, maxTokens: maxLength });
    writeOutput(values.output, embedding.bytes);
    const s = embedding.summary;
    console.log(`${s.name}: ${s.flavour} static embedding, ${s.vocabSize} tokens × ${s.dims} dims (${s.quantize}${s.vocabQuantized ? ', from vocabulary quantization' : ''}), ${s.normalize ? 'normalized' : 'not normalized'}, texts cut at ${s.maxChars} characters`);
    console.log(`wrote ${values.output}: ${s.bytes} bytes`);
    return;
  }
  const result = convertFiles(positionals[0], { vocab: values.vocab, labels: values.labels, labelDescriptions: values['label-descriptions'], quantize: quantize satisfies Quantization, name: values.name, maxLength, vocabTable: vocabTableOption(values['vocab-table']) });
  writeOutput(values.output, result.bytes);
  printSummary(result.summary, values.output);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ConvertError) && !isArgsError(error)) throw error;
  console.error(`convert: ${argsErrorMessage(error)}`);
  process.exitCode = 1;
}
