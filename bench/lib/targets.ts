// The targets, evaluated from one run's sections. Each returns a TargetResult
// whose statement contains the word "target"; a figure that was not measured yields
// "not measured" with the reason, never "met". Informational lines sit beside a target
// (the same measure with a confound removed): they are never met or missed.
import { formatInstructions, formatRatio } from './format.ts';
import type { Section, TargetResult, TargetStatus } from './results.ts';

type Figures = ReadonlyMap<string, number>;

/** All numeric figures of all sections, keyed "<section>.<key>", plus every call as "<call id>". */
export function collectFigures(sections: readonly Section[]): Figures {
  const figures = new Map<string, number>();
  for (const section of sections) {
    for (const [key, value] of Object.entries(section.figures)) {
      if (typeof value === 'number' && Number.isFinite(value)) figures.set(`${section.id}.${key}`, value);
    }
    for (const call of section.calls) {
      figures.set(call.id, call.instructions);
      if (call.methodInstructions !== undefined) figures.set(`${call.id}.method`, call.methodInstructions);
    }
  }
  return figures;
}

function compare(measured: number | null, op: '<=' | '>=', limit: number): TargetStatus {
  if (measured === null || !Number.isFinite(measured)) return 'not measured';
  return (op === '<=' ? measured <= limit : measured >= limit) ? 'met' : 'missed';
}

function ratio(numerator: number | undefined, denominator: number | undefined): number | null {
  if (numerator === undefined || denominator === undefined || denominator === 0) return null;
  return numerator / denominator;
}

interface TargetSpec {
  id: string;
  statement: string;
  measure: (f: Figures) => number | null;
  op: '<=' | '>=';
  limit: number;
  show: (value: number) => string;
  /** Which figures it needs, named in "not measured". */
  needs: string;
  /** Shown beside the targets, never met or missed. */
  informational?: boolean;
}

const instructions = (v: number): string => `${formatInstructions(v)} instructions`;

export const TARGET_SPECS: readonly TargetSpec[] = [
  {
    id: 'candid_predict_short',
    statement: 'target: Candid predict, spam model, short text ≤ 0.6M instructions (whole message)',
    measure: (f) => f.get('spam.candid.predict_short') ?? null,
    op: '<=',
    limit: 600_000,
    show: instructions,
    needs: 'the spam model on the decentai canister',
  },
  {
    id: 'rest_predict',
    statement: 'target: REST predict (http_request query), spam model, short text ≤ 1.5M instructions',
    measure: (f) => f.get('spam.rest.query_short') ?? null,
    op: '<=',
    limit: 1_500_000,
    show: instructions,
    needs: 'the spam model on the decentai canister',
  },
  {
    id: 'body_size',
    statement:
      'target: REST predict with a 64 KB body ≤ 1.2 × a 100 B body holding the same words (both {"text": …} with the same words, which fill the sequence, the string padded with spaces: the model reads the same tokens, only the body grows)',
    measure: (f) => ratio(f.get('spam.rest.query_64k_same'), f.get('spam.rest.query_100b_same')),
    op: '<=',
    limit: 1.2,
    show: (v) => formatRatio(v, 3),
    needs: 'REST predict on 100 B and 64 KB bodies holding the same words',
  },
  {
    id: 'body_size_floor',
    statement:
      "informational, beside the target above: the floor of that ratio, the 100 B prediction plus what any JSON body costs per byte natively: Azle's msgArgData() copy of the argument and the string's closing quote found by memchr (Uint8Array indexOf)",
    measure: (f) => {
      const small = f.get('spam.rest.query_100b_same');
      const copy = f.get('profile.msgargdata_per_byte');
      const scan = f.get('profile.json_quote_scan_per_byte');
      if (small === undefined || copy === undefined || scan === undefined) return null;
      return (small + (copy + scan) * (65_536 - 100)) / small;
    },
    op: '<=',
    limit: 1.2,
    show: (v) => formatRatio(v, 3),
    needs: 'the 100 B REST prediction and the profile canister\'s msgArgData and memchr per byte',
    informational: true,
  },
  {
    id: 'body_size_same_words',
    statement: 'informational, beside the target above: REST predict with a 64 KB body vs a 100 B body, both starting with the same words, which fill the sequence, the 64 KB one then holding words past it (read by no model)',
    measure: (f) => ratio(f.get('spam.rest.query_64k_full'), f.get('spam.rest.query_100b_full')),
    op: '<=',
    limit: 1.2,
    show: (v) => formatRatio(v, 3),
    needs: 'REST predict on 100 B and 64 KB bodies with the same leading words',
    informational: true,
  },
  {
    id: 'init',
    statement: "target: decentai init ≤ 1.05 × an empty Azle canister's init (the hello canister, host/fixtures/hello)",
    measure: (f) => ratio(f.get('decentai.init'), f.get('floors.hello_init')),
    op: '<=',
    limit: 1.05,
    show: (v) => formatRatio(v, 3),
    needs: 'decentai and hello canister inits',
  },
  {
    id: 'commit',
    statement: 'target: commit of the spam model ≤ 30M instructions (float32 file)',
    measure: (f) => f.get('spam.upload.commit') ?? null,
    op: '<=',
    limit: 30_000_000,
    show: instructions,
    needs: 'upload of the spam model',
  },
  {
    id: 'commit_int8',
    statement: 'target: commit of the spam model ≤ 30M instructions (int8 file)',
    measure: (f) => f.get('spam.upload.int8.commit_alone') ?? f.get('spam.upload.int8.commit') ?? null,
    op: '<=',
    limit: 30_000_000,
    show: instructions,
    needs: 'upload of the spam model',
  },
  {
    id: 'append_per_byte',
    statement: 'target: appending a chunk, stored and SHA-256 hashed as it arrives (issue 10: verify before activate), ≤ 14,000 instructions per byte (so a 1 MiB chunk, the uploader\'s, stays near a third of the 40B update limit)',
    measure: (f) => f.get('canister.append_per_byte') ?? null,
    op: '<=',
    limit: 14_000,
    show: (v) => `${v.toFixed(1)} instructions/byte`,
    needs: 'an upload of a model of at least one full chunk',
  },
  {
    id: 'verify_per_byte',
    statement: 'target: on-chain SHA-256 verification < 26,000 instructions per byte (a plain JS SHA-256 in QuickJS; it runs in append_chunk as chunks arrive)',
    measure: (f) => f.get('canister.verify_per_byte') ?? null,
    op: '<=',
    limit: 26_000,
    show: (v) => `${v.toFixed(1)} instructions/byte`,
    needs: 'on-chain verification of an uploaded model',
  },
  {
    id: 'upgrade_ratio_64_vs_1',
    statement: 'target: upgrade (post_upgrade) with 64 stored models ≤ 2 × with 1 stored model (models load afterwards, one per timer message)',
    measure: (f) => f.get('canister.upgrade_ratio_64_vs_1') ?? null,
    op: '<=',
    limit: 2,
    show: (v) => formatRatio(v, 3),
    needs: 'upgrades of canisters holding 1 and 64 models',
  },
  {
    id: 'big_float32_90mb',
    statement: "target: the bench's 85.8 MiB float32 model uploads, commits, survives an upgrade and answers a query (measured: that query's instructions, under the 5B query limit; full run only)",
    measure: (f) => f.get('big.float32.predict_after_upgrade') ?? null,
    op: '<=',
    limit: 5_000_000_000,
    show: instructions,
    needs: 'the full bench (not --quick): the big section',
  },
  {
    id: 'vs_tfjs_canister',
    statement: 'target: ≥ 50 × fewer instructions per prediction than TF.js in the canister (spam model, whole message)',
    measure: (f) => ratio(f.get('tfjs.predict'), f.get('spam.candid.predict_short')),
    op: '>=',
    limit: 50,
    show: (v) => formatRatio(v, 1),
    needs: 'the TF.js baseline and the decentai Candid predict',
  },
  {
    id: 'vs_tfjs_node',
    statement: 'target: ≥ 50 × faster than @tensorflow/tfjs in Node for one prediction',
    measure: (f) => f.get('node.single_speedup') ?? null,
    op: '>=',
    limit: 50,
    show: (v) => formatRatio(v, 1),
    needs: 'the engine and @tensorflow/tfjs in Node',
  },
  {
    id: 'int8_size',
    statement: 'target: int8 file ≤ 35% of the TF.js files (spam model)',
    measure: (f) => f.get('size.int8_fraction') ?? null,
    op: '<=',
    limit: 0.35,
    show: (v) => `${(v * 100).toFixed(1)}%`,
    needs: 'the converter and the spam model',
  },
  {
    id: 'int8_labels',
    statement: 'target: int8 gives identical labels to float32 on the texts',
    measure: (f) => f.get('size.int8_label_disagreements') ?? null,
    op: '<=',
    limit: 0,
    show: (v) => `${v} disagreements`,
    needs: 'the converter, the engine and the spam model',
  },
  {
    id: 'macs_per_query',
    statement: 'target: ≥ 40M multiply-adds answered in one query under the 5B limit (best dense kernel, measured)',
    measure: (f) => f.get('scaling.max_macs_under_query_limit') ?? null,
    op: '>=',
    limit: 40_000_000,
    show: (v) => `${formatInstructions(v)} multiply-adds`,
    needs: 'the scaling models on the decentai canister',
  },
  {
    id: 'instructions_per_mac',
    statement: 'target: ≤ 120 instructions per multiply-add (best dense kernel, slope between the two largest square layers)',
    measure: (f) => f.get('scaling.best_instructions_per_mac') ?? null,
    op: '<=',
    limit: 120,
    show: (v) => `${v.toFixed(1)} instructions/multiply-add`,
    needs: 'the scaling models on the decentai canister',
  },
  ...(['cnn', 'lstm', 'bilstm'] as const).map((id) => ({
    id: `zoo_${id}_query`,
    statement: `target: one prediction of the zoo ${{ cnn: 'MNIST CNN (28×28×1 image)', lstm: 'LSTM text model (20 token ids)', bilstm: 'Bidirectional LSTM text model (20 token ids)' }[id]} answers in a query: ≤ 5B instructions (whole message; issue 8)`,
    measure: (f: Figures) => f.get(`zoo.${id}.predict`) ?? null,
    op: '<=' as const,
    limit: 5_000_000_000,
    show: instructions,
    needs: 'the zoo models (../shared/zoo) on the decentai canister',
  })),
  {
    id: 'zoo_largest_cnn',
    statement: "informational, beside the zoo targets above: the largest CNN of the zoo MNIST model's shape (Conv 3×3 F → pool → Conv 3×3 2F → pool → Dense 10 on 28×28×1) answering in one query, in multiply-adds (measured: the next F is refused)",
    measure: (f) => f.get('zoo.largest_cnn_macs') ?? null,
    op: '>=',
    limit: 0,
    show: (v) => `${formatInstructions(v)} multiply-adds`,
    needs: 'the zoo section without --quick',
    informational: true,
  },
  {
    id: 'zoo_largest_lstm',
    statement: "informational, beside the zoo targets above: the largest LSTM of the zoo LSTM text model's shape (20 ids → Embedding 16 → LSTM U → Dense 3) answering in one query, in multiply-adds (measured: U + 4 is refused)",
    measure: (f) => f.get('zoo.largest_lstm_macs') ?? null,
    op: '>=',
    limit: 0,
    show: (v) => `${formatInstructions(v)} multiply-adds`,
    needs: 'the zoo section without --quick',
    informational: true,
  },
  {
    id: 'dense_int8_mac_512',
    statement: 'target: int8 Dense 512×512 ≤ 135 instructions per multiply-add (the whole layer as loadModel runs it: input quantization, kernel, extraction, scale and bias; in the canister)',
    measure: (f) => f.get('profile.dense_512_chosen_per_mac') ?? null,
    op: '<=',
    limit: 135,
    show: (v) => `${v.toFixed(1)} instructions/multiply-add`,
    needs: 'the profile canister',
  },
  {
    id: 'dense_int8_mac_1024',
    statement: 'target: int8 Dense 1024×1024 ≤ 120 instructions per multiply-add (the whole layer as loadModel runs it; in the canister)',
    measure: (f) => f.get('profile.dense_1024_chosen_per_mac') ?? null,
    op: '<=',
    limit: 120,
    show: (v) => `${v.toFixed(1)} instructions/multiply-add`,
    needs: 'the profile canister',
  },
  {
    id: 'conv2d_int8_mac',
    statement: 'informational, beside the Dense targets: int8 Conv2D 64 filters × 3×3 on 12×12×32 (one layer, one prediction inside the profile canister, the kernel loadModel picks: lowered onto BigInt lanes), instructions per multiply-add (the float32 file and the other int8 kernels: the profile table)',
    measure: (f) => f.get('profile.conv2d_int8_mac') ?? null,
    op: '<=',
    limit: Infinity,
    show: (v) => `${v.toFixed(1)} instructions/multiply-add`,
    needs: 'the profile canister',
    informational: true,
  },
  {
    id: 'conv2d_float32_mac',
    statement: 'target: float32 Conv2D 64 filters × 3×3 on 12×12×32 (the zoo MNIST CNN\'s second convolution; one layer, one prediction inside the profile canister, the float kernel loadModel picks: fixed-point BigInt lanes) ≤ 700 instructions per multiply-add (convolve: 1,515)',
    measure: (f) => f.get('profile.conv2d_float32_mac') ?? null,
    op: '<=',
    limit: 700,
    show: (v) => `${v.toFixed(1)} instructions/multiply-add`,
    needs: 'the profile canister',
  },
  {
    id: 'conv2d_float32_first_mac',
    statement: 'target: float32 Conv2D 32 filters × 3×3 on 28×28×1 (a first convolution: taps in runs of 3; the kernel loadModel picks: loops over im2col rows, the patch in locals) ≤ 1,600 instructions per multiply-add (convolve: 4,104)',
    measure: (f) => f.get('profile.conv2d_float32_first_mac') ?? null,
    op: '<=',
    limit: 1_600,
    show: (v) => `${v.toFixed(1)} instructions/multiply-add`,
    needs: 'the profile canister',
  },
  {
    id: 'zoo_cnn_query_budget',
    statement: 'target: one prediction of the zoo MNIST CNN (float32, 2.4M multiply-adds) ≤ 2.5B instructions, well inside the canister\'s query budget (~4.71B, canister/registry.ts QUERY_PREDICT_BUDGET; whole message; was 4.265B, an update)',
    measure: (f) => f.get('zoo.cnn.predict') ?? null,
    op: '<=',
    limit: 2_500_000_000,
    show: instructions,
    needs: 'the zoo models (../shared/zoo) on the decentai canister',
  },
  {
    id: 'lstm_int8_mac',
    statement: 'informational, beside the Dense targets: int8 LSTM(128) on 20 steps × 64 features (one layer, one prediction inside the profile canister, the kernels loadModel picks: gate matmuls on BigInt lanes), instructions per multiply-add',
    measure: (f) => f.get('profile.lstm_int8_mac') ?? null,
    op: '<=',
    limit: Infinity,
    show: (v) => `${v.toFixed(1)} instructions/multiply-add`,
    needs: 'the profile canister',
    informational: true,
  },
  {
    id: 'spread_pack',
    statement:
      'informational, beside the macs_per_query target: an int8 model whose packing passes one message (full run: three Dense 1536×1536 on BigInt lanes, 7.08M weights, ~41B to pack; --quick: 768×768 twice under a 1B budget) is built over several messages after commit_upload (canister/build.ts, ≤ 20B of packing a message; loading answered meanwhile): the largest message of commit and build, instructions',
    measure: (f) => f.get('scaling.spread_pack_max_message') ?? null,
    op: '<=',
    limit: Infinity,
    show: (v) => `${formatInstructions(v)} instructions in the largest message`,
    needs: 'the scaling models on the decentai canister',
    informational: true,
  },
  {
    id: 'lane_pack_per_weight',
    statement: 'informational, beside the Dense targets: packing an int8 kernel into BigInt lanes at load (packLaneKernel, hex digits from tables, 1024×1024), instructions per weight (the alternatives measured: the profile table)',
    measure: (f) => f.get('profile.dense_1024_pack_lanes_hex_bytes_per_weight') ?? null,
    op: '<=',
    limit: Infinity,
    show: (v) => `${v.toFixed(0)} instructions/weight`,
    needs: 'the profile canister',
    informational: true,
  },
  {
    id: 'embed_search_10k',
    statement: 'target: search over 10k vectors of 64 dims (Candid query, top 10) ≤ 200M instructions',
    measure: (f) => f.get('embed.candid.search_10k') ?? null,
    op: '<=',
    limit: 200_000_000,
    show: instructions,
    needs: 'the m2v model (../shared/models) on the decentai canister',
  },
  {
    id: 'embed_search_100k',
    statement: 'target: search over 100k vectors of 64 dims answered in one query (≤ 5B instructions; as search_update when a query refuses it)',
    measure: (f) => f.get('embed.candid.search_100k') ?? f.get('embed.candid.search_update_100k') ?? null,
    op: '<=',
    limit: 5_000_000_000,
    show: instructions,
    needs: 'the m2v model and a full run (--quick skips the 100k collection)',
  },
  {
    id: 'embed_short',
    statement: 'informational, beside the search targets: embed of a short sentence (Candid query, m2v)',
    measure: (f) => f.get('embed.candid.embed_short') ?? null,
    op: '<=',
    limit: Infinity,
    show: instructions,
    needs: 'the m2v model on the decentai canister',
    informational: true,
  },
  {
    id: 'embed_add_item',
    statement: 'informational, beside the search targets: add_items per item with a given 64-dim vector (update)',
    measure: (f) => f.get('embed.candid.add_item_vector') ?? null,
    op: '<=',
    limit: Infinity,
    show: instructions,
    needs: 'the m2v model on the decentai canister',
    informational: true,
  },
];

export function evaluateTargets(sections: readonly Section[], details: Readonly<Record<string, string>> = {}): TargetResult[] {
  const figures = collectFigures(sections);
  return TARGET_SPECS.map((spec) => {
    const measured = spec.measure(figures);
    const compared = compare(measured, spec.op, spec.limit);
    const status = spec.informational && compared !== 'not measured' ? 'informational' : compared;
    return {
      id: spec.id,
      statement: spec.statement,
      measured,
      measuredText: measured === null ? '—' : spec.show(measured),
      status,
      detail: status === 'not measured' ? `needs ${spec.needs}` : details[spec.id],
    };
  });
}
