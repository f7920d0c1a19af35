// Where the instructions go, for each target: sentences built from one run's figures
// (the canister's own counter, the floors and the profile canister), attached to the
// target lines of the report.
import { formatBytes, formatInstructions } from './format.ts';

type Figures = ReadonlyMap<string, number>;

const I = formatInstructions;

/** Every part present, or undefined (a sentence needs all its figures). */
function all(figures: Figures, keys: string[]): number[] | undefined {
  const values = keys.map((key) => figures.get(key));
  return values.every((v): v is number => v !== undefined) ? values : undefined;
}

export function targetDetails(f: Figures): Record<string, string> {
  const details: Record<string, string> = {};

  const candid = all(f, ['spam.candid.predict_short', 'spam.candid.predict_short.method', 'floors.empty_manual', 'profile.float32_predicttext_tokenize_layers', 'profile.float32_tokenize', 'profile.float32_predicttokens_layers_only']);
  if (candid) {
    const [whole, method, floor, predictText, tokenize, layers] = candid;
    details.candid_predict_short =
      `whole ${I(whole)} = outside the method ${I(whole - method)} (an empty manual-mode method costs ${I(floor)}) + in the method ${I(method)}: ` +
      `engine predictText ${I(predictText)} (tokenize ${I(tokenize)}, layers ${I(layers)} for a model of ~200 multiply-adds) and ${I(method - predictText)} of Candid reading, registry lookup and answer building`;
  }

  const rest = all(f, ['spam.rest.query_short', 'spam.rest.query_short.method', 'profile.float32_predicttext_tokenize_layers', 'floors.http_request']);
  if (rest) {
    const [whole, method, predictText, candidHttp] = rest;
    details.rest_predict =
      `whole ${I(whole)} (a Candid-decoded http_request alone costs ${I(candidHttp)} here) = outside the method ${I(whole - method)} + in the method ${I(method)}: ` +
      `engine predictText ${I(predictText)} and ${I(method - predictText)} of request reading, JSON and answer building`;
  }

  const body = all(f, ['spam.rest.query_100b', 'spam.rest.query_64k', 'spam.rest.query_100b.method', 'spam.rest.query_64k.method']);
  if (body) {
    const [small, large, smallMethod, largeMethod] = body;
    details.body_size = `100 B ${I(small)}, 64 KB ${I(large)}: +${I(large - small)}, of which ${I(largeMethod - smallMethod)} inside the method (reading the larger body)`;
  }

  const init = all(f, ['decentai.init', 'floors.init']);
  if (init) {
    const [ours, floor] = init;
    details.init = `decentai ${I(ours)} vs an Azle canister with only empty methods ${I(floor)}: +${I(ours - floor)} to evaluate the canister's own code (engine, registry, Candid codec) at start`;
  }

  const commit = all(f, [
    'spam.upload.commit',
    'profile.float32_loadmodel_in_the_load_update',
    'profile.float32_of_which_parsemodelfile_checks_metadata_tables',
    'profile.float32_textdecoder_decode_of_16_kb_a_vocabulary',
    'profile.float32_canister_decodeutf8_of_the_same_16_kb',
    'profile.float32_string_fromcharcode_of_the_same_16_kb_4_kb_at_a_time_ascii_only',
  ]);
  if (commit) {
    const [whole, load, parse, textDecoder, decodeUtf8, ascii] = commit;
    details.commit =
      `commit ${I(whole)}; engine loadModel of the same file alone costs ${I(load)} in the profile canister, parseModelFile ${I(parse)} of it. ` +
      `Azle's TextDecoder is pure JS: decoding a 16 KB vocabulary costs ${I(textDecoder)} with it, ${I(decodeUtf8)} with canister/utf8.ts decodeUtf8 and ${I(ascii)} with String.fromCharCode over 4 KB runs (an ASCII fast path); ` +
      `the rest of the commit (${I(whole - load)}) is Azle's Candid, reading the chunks back and registry bookkeeping`;
  }

  const tfjs = all(f, ['tfjs.predict', 'spam.candid.predict_short', 'tfjs.init', 'tfjs.load']);
  if (tfjs) {
    const [theirs, ours, init, load] = tfjs;
    details.vs_tfjs_canister = `TF.js predict ${I(theirs)} vs decentai ${I(ours)}; TF.js also costs ${I(init)} to init and ${I(load)} to load the model`;
  }

  const node = all(f, ['node.single_engine_us', 'node.single_tfjs_us', 'node.batch64_speedup']);
  if (node) {
    const [engine, tf, batch] = node;
    details.vs_tfjs_node = `one prediction: engine ${engine.toFixed(2)} µs, TF.js ${tf.toFixed(0)} µs; batch of 64: engine ${batch.toFixed(0)}× faster`;
  }

  const size = all(f, ['size.spam_int8_bytes', 'size.spam_tfjs_bytes', 'size.spam_int8_headerAndMetadata_bytes', 'size.spam_int8_values_bytes', 'size.spam_int8_int8Scales_bytes', 'size.spam_tfjs_weights_bytes']);
  if (size) {
    const [bytes, tfjsBytes, header, values, scales, weightsOnly] = size;
    details.int8_size =
      `${formatBytes(bytes)} of ${formatBytes(tfjsBytes)} (model.json + shards + vocab + labels; ${((bytes / weightsOnly) * 100).toFixed(0)}% of model.json + shards alone): ` +
      `header and metadata ${formatBytes(header)} (mostly the 2,003-word vocabulary), int8 values ${formatBytes(values)}, float32 scales ${formatBytes(scales)}`;
  }

  const loops = all(f, ['profile.loop_empty_loop', 'profile.loop_float32array_dot', 'profile.loop_float32array_dot_unrolled_8', 'profile.loop_int8array_dot_unrolled_8', 'scaling.best_instructions_per_mac']);
  if (loops) {
    const [empty, dot, unrolled, intUnrolled, best] = loops;
    details.instructions_per_mac =
      `best kernel ${best.toFixed(0)}/multiply-add; in this QuickJS an empty loop iteration costs ${empty.toFixed(0)}, a plain dot product ${dot.toFixed(0)} and an 8× unrolled one ${unrolled.toFixed(0)} (int8: ${intUnrolled.toFixed(0)}) per element: ` +
      `the kernels are at the interpreter's floor for one multiply-add per element, so ≤ 500 needs several multiply-adds per interpreted operation (e.g. two int8 lanes packed in one float64 multiply)`;
    details.macs_per_query = `at ${best.toFixed(0)} instructions per multiply-add, 5B instructions hold ~${I(5e9 / best)} multiply-adds`;
  }
  return details;
}
