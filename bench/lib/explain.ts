// Where the instructions go, for each target: sentences built from one run's figures
// (the canister's own counter, the floors, the profile canister and the scaling
// models), attached to the target lines of the report. The only numbers written here
// are external references, said to be so.
import { formatBytes, formatInstructions, formatInteger, formatRatio } from './format.ts';
import { QUERY_MARGIN, QUERY_PREDICT_BUDGET, QUERY_RESERVE } from '../../canister/registry.ts';
import { BUILD_MESSAGE_BUDGET } from '../../canister/build.ts';

type Figures = ReadonlyMap<string, number>;

const I = formatInstructions;

/** Every part present, or undefined (a sentence needs all its figures). */
function all(figures: Figures, keys: string[]): number[] | undefined {
  const values = keys.map((key) => figures.get(key));
  return values.every((v): v is number => v !== undefined) ? values : undefined;
}

export function targetDetails(f: Figures): Record<string, string> {
  const details: Record<string, string> = {};
  /** A remainder that may fall within the re-run noise of the steps it is the difference of. */
  const about = (value: number, of: number, noise = ' (within the noise of re-running each step)'): string => (Math.abs(value) < of * 0.01 ? `~0${noise}` : `~${I(value)}`);


  const candid = all(f, ['spam.candid.predict_short', 'spam.candid.predict_short.method', 'floors.empty_manual', 'profile.float32_predicttext_tokenize_layers', 'profile.float32_tokenize', 'profile.float32_predicttokens_layers_only']);
  if (candid) {
    const [whole, method, floor, predictText, tokenize, layers] = candid;
    details.candid_predict_short =
      `whole ${I(whole)} = outside the method ${I(whole - method)} (an empty manual-mode method costs ${I(floor)}) + in the method ${I(method)}: ` +
      `engine predictText ${I(predictText)} (measured apart: tokenize ${I(tokenize)}, layers ${I(layers)}) and ${I(method - predictText)} of Candid reading, registry lookup and answer building`;
  }

  const rest = all(f, ['spam.rest.query_short', 'spam.rest.query_short.method', 'profile.float32_predicttext_tokenize_layers', 'floors.http_request']);
  if (rest) {
    const [whole, method, predictText, candidHttp] = rest;
    details.rest_predict =
      `whole ${I(whole)} (a Candid-decoded http_request alone costs ${I(candidHttp)} here) = outside the method ${I(whole - method)} + in the method ${I(method)}: ` +
      `engine predictText ${I(predictText)} and ${I(method - predictText)} of request reading, JSON and answer building`;
  }

  const body = all(f, ['spam.rest.query_100b_same', 'spam.rest.query_64k_same', 'spam.rest.query_100b_same.method', 'spam.rest.query_64k_same.method', 'canister.spam_rest_query_100b_same_words', 'canister.spam_rest_query_64k_same_words', 'canister.spam_word_slots']);
  const copyPerByte = f.get('profile.msgargdata_per_byte');
  const scanPerByte = f.get('profile.json_quote_scan_per_byte');
  const extraBytes = 65_536 - 100;
  /** A bodyScans figure (bench/profile/scans.ts, the same pair of bodies), per byte of the string. */
  const scan = (key: string): string => {
    const v = f.get(`profile.body_scan_${key}_per_byte`);
    return v === undefined ? '?' : v >= 100 ? formatInteger(Math.round(v)) : v.toFixed(2);
  };
  const cut = all(f, ['profile.body_scan_text_prefix_100b', 'profile.body_scan_text_prefix_64k', 'profile.body_scan_quick_cut_64k', 'profile.body_scan_indexof_call_64k']);
  if (body) {
    const [small, large, smallMethod, largeMethod, smallWords, largeWords, slots] = body;
    const inMethod = largeMethod - smallMethod;
    const rest = copyPerByte === undefined || scanPerByte === undefined ? undefined : inMethod - (copyPerByte + scanPerByte) * extraBytes;
    const floors =
      rest === undefined || copyPerByte === undefined || scanPerByte === undefined
        ? ''
        : ` Of it, per byte and native: Azle's msgArgData() copies the whole argument into the JS heap (${copyPerByte.toFixed(2)}/byte, ~${I(copyPerByte * extraBytes)}, unavoidable with Azle: a method cannot read only part of its argument) ` +
          `and the string's closing quote is found by memchr (Uint8Array indexOf, ${scanPerByte.toFixed(2)}/byte, ~${I(scanPerByte * extraBytes)}: every byte of a JSON string must be looked at, since a raw quote anywhere ends it and changes what the body means; no other native of this runtime finds a byte for less, see body_size_floor); ` +
          `the other ~${I(rest)} is cutting a long text at its words (a short one is decoded whole)` +
          (cut
            ? `: textPrefix ${I(cut[1])} on the 64 KB string against ${I(cut[0])} on the 100 B one, of which quickCut ${I(cut[2])} (one Uint8Array indexOf call per word read, ${I(cut[3])} a call, each call's fixed cost)`
            : '');
    details.body_size =
      `100 B ${I(small)}, 64 KB ${I(large)}, ${smallWords} and ${largeWords} of ${slots} word slots filled (the same tokens, the same layers): +${I(large - small)}, ${I(inMethod)} of it inside the method.${floors}`;
  }
  if (body && copyPerByte !== undefined && scanPerByte !== undefined) {
    const small = body[0];
    // what a 64 KB body may cost per byte more than the 100 B one, at the target's 1.2×
    const budget = (0.2 * small) / extraBytes;
    const measured = f.get('profile.body_scan_u8_indexof_quote_per_byte') !== undefined;
    details.body_size_floor =
      `the 100 B prediction ${I(small)} + 64 KB − 100 B at ${(copyPerByte + scanPerByte).toFixed(2)} instructions/byte (msgArgData ${copyPerByte.toFixed(2)} + memchr ${scanPerByte.toFixed(2)}) = ${I(small + (copyPerByte + scanPerByte) * extraBytes)}; ` +
      `Azle's copy alone would give ${formatRatio((small + copyPerByte * extraBytes) / small, 3)}. No JSON body of 64 KB can come under this line in this runtime` +
      ((small + (copyPerByte + scanPerByte) * extraBytes) / small > 1.2
        ? `: the floor is above the 1.2× target, so the target cannot be met on Azle 0.33 whatever the canister does (only a smaller per-byte cost of the argument copy, Azle's, would move it)`
        : '') +
      (measured
        ? `. 1.2× allows ${budget.toFixed(2)} instructions a byte in all; the copy takes ${copyPerByte.toFixed(2)}, leaving ${(budget - copyPerByte).toFixed(2)} to look at every byte of the string (a raw quote anywhere ends it). ` +
          `Every native way measured in the profile canister on the same pair of bodies (bench/profile/scans.ts, instructions per byte of the string): ` +
          `finding a byte at any position: memchr (Uint8Array indexOf ${scan('u8_indexof_quote')}, includes ${scan('u8_includes_quote')}, Int8Array indexOf ${scan('i8_indexof_quote')}), Uint8Array lastIndexOf ${scan('u8_lastindexof_quote')} (a plain C loop), ` +
          `and a strict string check (the 32 control characters too, which JSON.parse refuses) by memchr ${scan('u8_indexof_34_bytes')}; ` +
          `cheaper ones match whole elements only, so a quote among other bytes goes unseen: BigUint64Array indexOf ${scan('b64_indexof')}, Float64Array indexOf ${scan('f64_indexof')}, Float64Array includes(NaN) ${scan('f64_includes_nan')}, Uint32Array indexOf ${scan('u32_indexof')}, Float32Array includes(NaN) ${scan('f32_includes_nan')}, Uint16Array indexOf ${scan('u16_indexof')}; ` +
          `copies look at nothing (Uint8Array set ${scan('u8_set_same_type')}, slice ${scan('u8_slice')}) and those that change the element type go element by element (Uint16Array set ${scan('u8_to_u16_set')}, Uint8ClampedArray set ${scan('u8_to_clamped_set')}, new Uint16Array ${scan('u16_from_u8')}); ` +
          `every string method needs the bytes as a string first, ${scan('latin1_fromcharcode')} a byte (String.fromCharCode.apply), then indexOf ${scan('string_indexof_quote')}, includes ${scan('string_includes_quote')}, split ${scan('string_split_quote')}, === ${scan('string_equals_copy')}, JSON.parse ${scan('json_parse_string')}, a regex ${scan('regex_test_controls')}, escape ${scan('escape')}; Math.max.apply ${scan('math_max_apply')}; the bytes as decimal text (Uint8Array join, then indexOf of ",34,") ${scan('join_then_indexof')}; Array.prototype.indexOf on the bytes ${scan('array_indexof_generic')}; ` +
          `Azle's own: TextDecoder (JavaScript, @sinonjs/text-encoding) ${scan('textdecoder_fatal_16k')}, candidDecode (Rust) ${scan('candid_decode_16k')}, and msgArgData() ${scan('msgargdata')} (the whole argument: Azle 0.33 gives no partial read and no other way to the argument). ` +
          `The cheapest native that finds a byte, memchr, costs more than the ${(budget - copyPerByte).toFixed(2)} left`
        : '');
  }
  const bodyPure = all(f, ['spam.rest.query_100b_full', 'spam.rest.query_64k_full', 'spam.rest.query_100b_full.method', 'spam.rest.query_64k_full.method', 'canister.spam_rest_query_100b_full_words', 'canister.spam_rest_query_64k_full_words', 'canister.spam_word_slots']);
  if (bodyPure) {
    const [small, large, smallMethod, largeMethod, smallWords, largeWords, slots] = bodyPure;
    const inMethod = largeMethod - smallMethod;
    details.body_size_same_words =
      `100 B ${I(small)}, 64 KB ${I(large)}, ${smallWords} and ${largeWords} of ${slots} word slots filled (same tokens, same layers; the 64 KB body's words past the sequence are scanned for the quote like spaces, never tokenized): +${I(large - small)}, ` +
      `of which ${I(inMethod)} inside the method and ${about(large - small - inMethod, large - small, '')} outside it`;
  }

  const init = all(f, ['decentai.init', 'floors.hello_init', 'floors.init']);
  if (init) {
    const [ours, hello, floor] = init;
    const parts = [
      `decentai ${I(ours)} vs the hello canister ${I(hello)} (+${I(ours - hello)}) and vs the floors canister (only empty methods, bench/floors) ${I(floor)} (${formatRatio(ours / floor, 3)}): ` +
        `init evaluates only the thin Azle glue, which carries the core (engine, registry, wire, minified) as an environment variable of the wasm data (DECENTAI_CORE, copied natively), not compiled at init`,
    ];
    const load = all(f, ['decentai.first_update', 'decentai.begin_upload_loaded', 'decentai.query_before_update']);
    if (load) {
      const [first, later, query] = load;
      parts.push(
        `the core is compiled once, by the first update that needs it: the first begin_upload after install costs ${I(first)} vs ${I(later)} for a later one (+${I(first - later)}); ` +
          `a query before any update compiles it for that call only (predict answering not_found: ${I(query)})`,
      );
    }
    const upgrade = all(f, ['decentai.upgrade_empty', 'decentai.upgrade', 'canister.upgrade_models', 'floors.upgrade']);
    if (upgrade) {
      const [empty, full, models, floorUpgrade] = upgrade;
      parts.push(
        `upgrade: ${I(empty)} with nothing stored (the floors canister: ${I(floorUpgrade)}), ${I(full)} with ${models} models stored (post_upgrade compiles the core and reads the registry; timers then load the models, one per message)`,
      );
    }
    details.init = parts.join('; ');
  }

  const commitOf = (quantize: 'float32' | 'int8', commitId: string): string | undefined => {
    const p = `profile.${quantize}_load_`;
    const figures = all(f, [commitId, `${p}load`, `${p}checksum`, `${p}vocab_decode`, `${p}vocab_bytes`, `${p}vocab_split`, `${p}tokenizer_map`, `${p}vocab_tokens`]);
    if (!figures) return undefined;
    const [whole, load, checksum, decode, vocabBytes, split, map, tokens] = figures;
    const append = f.get(commitId.replace(/\.commit(_alone)?$/, '.append'));
    const loaded = load - checksum;
    return (
      `${quantize} file: commit ${I(whole)}${commitId.endsWith('_alone') ? ' as the only model on a fresh canister' : ''}. ` +
      `It checks the bytes by the SHA-256 hashed as the chunks arrived, so the engine loads the file without its own checksum: loadModel of the same file in the profile canister ${I(load)}, less its checksum ${I(checksum)}, ~${I(loaded)} ` +
      `(decoding the ${formatBytes(vocabBytes)} vocabulary ${I(decode)}, splitting it ${I(split)}, the tokenizer's Map of ${formatInteger(tokens)} tokens ${I(map)}, each re-run alone); ` +
      `the other ${about(whole - loaded, whole)} is Azle's dispatch, reading the chunks back from stable memory, the trial prediction commit measures, the wire parts of the model's replies, the model record's JSON (~650 characters, made UTF-8 natively by Azle's Candid encoder, canister/utf8.ts encodeJsonUtf8: ~0.5M, where the interpreted loop took ~1.6M at ~2,500 instructions a character) and the reply (~0.9M). ` +
      `Two costs that are no work of the commit's own run instead in the append_chunk that completes the upload (canister/methods.ts readyForCommit${append === undefined ? '' : `; this file's appends: ${I(append)}, hashing at ~12.6K instructions a byte`}): ` +
      `the Candid reply encoder of ModelInfo (~3M, once per wasm instance), and QuickJS's cycle collection (~9M with the core and a model loaded) when it is due within ~16K allocations. ` +
      `QuickJS-ng in Azle counts every live allocation as 8 bytes (malloc_usable_size answers 0 on wasm32-wasi), so the collector runs at the object creation that takes the live allocations past 1.5× what the last collection left, in whichever message that is: ` +
      `it fell in this commit's engine load (the int8 file's took 27.1M in a fresh canister's first commit vs 18.5M committed again; measured with the canister's counter around each step, outside this run). ` +
      `JavaScript has no call to run it, so canister/collector.ts makes it due: it holds fresh strings until a WeakRef to an unreachable cycle is cleared (~1K instructions an allocation, ~13M in all for the spam model's append). ` +
      `So the commit starts with at least ~16K allocations of room (half the live ones after a collection), more than a model like this one keeps`
    );
  };
  // A fresh canister's first commit against the same file committed third on the shared canister.
  const growth = all(f, ['spam.upload.int8.commit', 'spam.upload.int8.commit_alone']);
  const growthNote = growth
    ? `. On the shared canister, as the third model uploaded, the int8 commit costs ${I(growth[0])} vs ${I(growth[1])} alone: the same work, beside the registry's records of the models stored before it`
    : '';
  const commitFloat32 = commitOf('float32', 'spam.upload.commit');
  const commitInt8 = commitOf('int8', f.has('spam.upload.int8.commit_alone') ? 'spam.upload.int8.commit_alone' : 'spam.upload.int8.commit');
  if (commitFloat32) details.commit = commitFloat32;
  if (commitInt8) details.commit_int8 = `${commitInt8}${growthNote}`;

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

  const kernels = all(f, ['scaling.dense_float32_instructions_per_mac', 'scaling.dense_int8_instructions_per_mac', 'scaling.best_instructions_per_mac', 'profile.loop_empty_loop', 'profile.loop_float32array_dot', 'profile.loop_float32array_dot_unrolled_8']);
  if (kernels) {
    const [float32, int8, best, empty, dot, unrolled] = kernels;
    const bestName = best === int8 ? 'the int8 kernel loadModel picks (BigInt lanes at these sizes)' : best === float32 ? 'the float32 kernel' : 'the best kernel';
    const packing = f.get('scaling.dense_int8_commit_per_weight');
    details.instructions_per_mac =
      `${bestName}: ${best.toFixed(0)} per multiply-add (int8 files: one native BigInt add per input column does the multiply-adds of all outputs, engine/kernels-lanes.ts); the float32 kernel (float32 and float16 files): ${float32.toFixed(0)}. ` +
      `In this QuickJS an empty loop iteration costs ${empty.toFixed(0)}, a plain dot product ${dot.toFixed(0)} and an 8× unrolled one ${unrolled.toFixed(0)} per element: one multiply-add per interpreted operation cannot reach 120` +
      (packing === undefined ? '' : `; the packing is paid at commit: ${packing.toFixed(0)} commit instructions per int8 weight (slope; checksum and checks included)`);
  }
  const spreadBuild = all(f, ['scaling.spread_pack_weights', 'scaling.spread_pack_budget', 'scaling.spread_pack_messages', 'scaling.spread_pack_commit', 'scaling.spread_pack_total']);
  const spreadText = spreadBuild
    ? `${formatInteger(spreadBuild[0])} int8 weights built by ${formatInteger(spreadBuild[2])} timer message(s) after a ${I(spreadBuild[3])} commit under a ${I(spreadBuild[1])} budget per message (all messages ${I(spreadBuild[4])}` +
      (f.get('scaling.spread_pack_max_message') === undefined ? '; it did not answer' : `, the largest ${I(f.get('scaling.spread_pack_max_message') as number)}`) +
      ')'
    : undefined;
  if (spreadText !== undefined) details.spread_pack = spreadText;
  const macs = all(f, ['scaling.max_macs_under_query_limit', 'scaling.best_instructions_per_mac']);
  if (macs) {
    const [max, best] = macs;
    const measured = all(f, ['scaling.largest_answered_side', 'scaling.largest_answered_instructions', 'scaling.largest_answered_commit']);
    const rowsTrial = all(f, ['scaling.rows_trial_macs', 'scaling.rows_trial_rows', 'scaling.rows_trial_side', 'scaling.rows_trial_instructions', 'scaling.rows_trial_commit', 'scaling.rows_trial_answered']);
    if (rowsTrial && rowsTrial[0] === max) {
      const [trialMacs, rows, side, instructions, commit, answered] = rowsTrial;
      const spread = f.get('scaling.rows_trial_input_spread');
      const perWeight = f.get('scaling.dense_int8_commit_per_weight');
      details.macs_per_query =
        `one int8 Dense ${side}×${side} applied to each of ${rows} input rows (then pooling and Dense(2)): ${formatInteger(trialMacs)} multiply-adds ${answered ? 'answered' : 'not answered'} in one query, ${I(instructions)} whole message (${(instructions / trialMacs).toFixed(0)} per multiply-add); ` +
        `committing it (lane packing of ${formatInteger(side * side)} weights, then one trial prediction) took ${I(commit)} (${((commit / 40e9) * 100).toFixed(0)}% of the 40B update limit). ` +
        `The canister answers queries for predictions measured at commit up to ${I(QUERY_PREDICT_BUDGET)} (canister/registry.ts: the 5B limit less ${I(QUERY_RESERVE)} for the rest of the message, over 1 + ${QUERY_MARGIN} for another input` +
        (spread === undefined ? ')' : `; another input moved this query by ${(spread * 100).toFixed(1)}%)`) +
        (perWeight === undefined
          ? ''
          : `. A square layer of as many multiply-adds (${formatInteger(Math.ceil(Math.sqrt(trialMacs)))}², one weight each) would need its lane packing, ~${perWeight.toFixed(0)} instructions per weight (the slope of the int8 commits), ~${I(perWeight * trialMacs)}: more than one message holds, so the canister builds it over several (canister/build.ts: ≤ ${I(BUILD_MESSAGE_BUDGET)} of packing a message, the name answering \`loading\` until built, then the trial prediction` +
              (spreadText === undefined ? ')' : `; spread_pack: ${spreadText})`));
    } else if (measured) {
      const [side, instructions, commit] = measured;
      const rejected = f.get('scaling.smallest_rejected_side');
      const kernel = best === f.get('scaling.dense_int8_instructions_per_mac') ? 'int8 file, packed int8 kernel' : 'best kernel';
      details.macs_per_query =
        `largest square layer answered in one query (${kernel}): ${side}×${side} = ${formatInteger(side * side)} multiply-adds, ${I(instructions)} whole message (${(instructions / (side * side)).toFixed(0)} per multiply-add)` +
        (rejected === undefined ? '' : `; ${rejected}×${rejected} was rejected at the 5B limit`) +
        `; committing it took ${I(commit)} (${((commit / 40e9) * 100).toFixed(0)}% of the 40B update limit; the packing runs at commit when it fits one message's ${I(BUILD_MESSAGE_BUDGET)} build budget, else over several: spread_pack). At ${best.toFixed(0)} per multiply-add the slope predicts ~${I(5e9 / best)}`;
    } else {
      details.macs_per_query = `extrapolated from the slope (--quick runs no layer near the limit): at ${best.toFixed(0)} instructions per multiply-add, the canister's query budget (${I(QUERY_PREDICT_BUDGET)}, measured at commit) holds ~${I(max)} multiply-adds`;
    }
  }
  for (const [id, unit, key] of [['zoo_largest_cnn', 'F', 'cnn_filters'], ['zoo_largest_lstm', 'U', 'lstm_units']] as const) {
    const largest = all(f, [`zoo.largest_${key}`, `zoo.largest_${id.slice(12)}_instructions`]);
    if (largest) details[id] = `${unit} = ${formatInteger(largest[0])}, ${I(largest[1])} instructions (whole message) of the 5B query limit`;
  }
  return details;
}
