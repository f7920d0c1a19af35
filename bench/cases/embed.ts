// Embeddings and vector search in the decentai canister: the real m2v model (model2vec,
// 64 dims) uploaded; embed of a short sentence (query), similarity of one pair, items added
// with given vectors and with texts embedded on chain (per item), and searches over
// collections of 1k, 10k and 100k random 64-dim vectors (exact: the int8 index finds the
// candidates, the floats rank them; a query each), and an upgrade with the collection (its
// index rebuilt by timer messages).
import { existsSync } from 'node:fs';
import { IDL } from '@dfinity/candid';

import { makeTypes } from '../../canister/types.ts';
import { convertStaticEmbedding } from '../../converter/static-embedding.ts';
import { buildAzleCanister, DEFAULT_CONTROLLER, Host } from '../../host/index.ts';
import { candidArgs, decodeReply, measureQuery, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { uploadModel } from '../lib/decentai.ts';
import type { Section } from '../lib/results.ts';
import { COLLECTION_LIMITS, INDEX_BLOCKS_PER_MESSAGE } from '../../canister/collections.ts';
import { SEARCH_BLOCK_ITEMS } from '../../engine/vector-search.ts';

const M2V = '../shared/models/m2v-bge-base-64d-vq128';
const t = makeTypes(IDL);
const SHORT_SENTENCE = 'a short sentence to embed on chain';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

function ok(reply: Uint8Array, type: IDL.Type, what: string): void {
  const r = decodeReply<{ ok?: unknown; err?: { code: string; message: string } }>(type, reply);
  if (r.err) throw new Error(`${what}: ${r.err.code}: ${r.err.message}`);
}

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection('embed', 'Embeddings and vector search', `The real m2v model (${M2V}, 64 dims) in the decentai canister; collections of random 64-dim vectors searched exactly (the int8 index finds candidates, the floats rank them: the brute force's top k).`);
  if (!existsSync(`${M2V}/model.safetensors`)) {
    section.skipped.push(`${M2V} not found`);
    return section;
  }
  const { wasm } = await buildAzleCanister('decentai');
  const canister = await (await Host.create()).install(wasm);
  // quick: the float16 file, half the bytes to hash on chain as they are uploaded (~12.6K instructions of host time a
  // byte); its table is decoded to float32 at commit, so embed runs the same kernel on the same shapes
  ctx.progress('embed: uploading m2v');
  await uploadModel(canister, 'm2v', convertStaticEmbedding(M2V, ctx.quick ? { quantize: 'float16' } : {}).bytes);
  if (ctx.quick) section.skipped.push('--quick: m2v uploaded as its float16 file (half the bytes; decoded to the same float32 table at commit)');

  const embed = await measureQuery(canister, 'embed', candidArgs([IDL.Text, IDL.Vec(IDL.Text)], ['m2v', [SHORT_SENTENCE]]));
  ok(embed.reply, t.EmbedResult, 'embed');
  record(section, 'embed.candid.embed_short', `Candid embed query, m2v, "${SHORT_SENTENCE}"`, 'query', embed.instructions);
  const similarity = await measureQuery(canister, 'similarity', candidArgs([IDL.Text, IDL.Vec(IDL.Tuple(IDL.Text, IDL.Text))], ['m2v', [['the city', 'the town']]]));
  ok(similarity.reply, t.SimilarityResult, 'similarity');
  record(section, 'embed.candid.similarity_pair', 'Candid similarity query, one pair of two-word texts', 'query', similarity.instructions);

  const random = seeded(1);
  const maxQuery = Math.floor(COLLECTION_LIMITS.maxIndexedQueryValues / 64);
  const sizes = ctx.quick ? [1000, 10_000] : [1000, 10_000, 100_000];
  const batch = 1000;
  let filled = 0;
  const create = await measureUpdate(canister, 'create_collection', candidArgs([IDL.Text, IDL.Text], ['bench', 'm2v']), DEFAULT_CONTROLLER);
  ok(create.reply, t.CollectionResult, 'create_collection');
  const addArg = (count: number, withText: boolean) =>
    candidArgs([IDL.Text, IDL.Vec(t.NewItem)], [
      'bench',
      Array.from({ length: count }, () => {
        const id = `item${filled++}`;
        return withText
          ? { id, text: [`${SHORT_SENTENCE} number ${filled}`], vector: [], metadata: [] }
          : { id, text: [], vector: [Array.from({ length: 64 }, random)], metadata: [] };
      }),
    ]);
  const texts = await measureUpdate(canister, 'add_items', addArg(10, true), DEFAULT_CONTROLLER);
  ok(texts.reply, t.CountResult, 'add_items');
  record(section, 'embed.candid.add_item_text', 'add_items update, per item: a short text embedded on chain (10 items / call)', 'update', texts.instructions / 10);
  let firstBatch = 0;
  for (const size of sizes) {
    while (filled < size) {
      ctx.progress(`embed: collection at ${filled} items`);
      const add = await measureUpdate(canister, 'add_items', addArg(Math.min(batch, size - filled), false), DEFAULT_CONTROLLER);
      ok(add.reply, t.CountResult, 'add_items');
      if (firstBatch === 0) {
        firstBatch = add.instructions;
        record(section, 'embed.candid.add_item_vector', `add_items update, per item: a given 64-dim vector (${batch} items / call)`, 'update', add.instructions / batch);
      }
    }
    const arg = candidArgs([IDL.Text, t.SearchQuery], ['bench', { text: [SHORT_SENTENCE], vector: [], k: 10 }]);
    const label = `${size / 1000}k`;
    // beyond one query's scan the query refuses: search_update answers (the same scan)
    const inQuery = size <= maxQuery;
    const search = inQuery ? await measureQuery(canister, 'search', arg) : await measureUpdate(canister, 'search_update', arg);
    ok(search.reply, t.SearchResult, 'search');
    const id = inQuery ? `embed.candid.search_${label}` : `embed.candid.search_update_${label}`;
    record(section, id, `Candid ${inQuery ? 'search query' : 'search_update (a query refuses it)'}, top 10 by cosine over ${size.toLocaleString('en')} vectors of 64 dims (query text embedded first)`, inQuery ? 'query' : 'update', search.instructions);
    section.figures[`search_${label}_per_vector`] = search.instructions / size;
  }
  if (ctx.quick) section.skipped.push('--quick: the 100k collection is not filled');
  // an upgrade: post_upgrade reads the collection back, timer messages rebuild its int8 index
  // (searches scan the floats until then); then the same search as above
  const logged = canister.messageLog.length;
  const upgrade = await canister.upgrade(wasm);
  if (upgrade.status !== 'replied') throw new Error(`embed: upgrade failed: ${upgrade.rejectMessage}`);
  // Azle's timers run as ic-cdk's timer_executor self-calls
  const timers = canister.messageLog.slice(logged).filter((m) => m.kind === 'update' && m.method.includes('timer_executor')).map((m) => Number(m.instructions));
  record(section, 'embed.upgrade_collection', `upgrade with the ${filled.toLocaleString('en')}-item collection (post_upgrade reads it back)`, 'upgrade', Number(upgrade.instructions));
  record(section, 'embed.index_rebuild_message_max', `the costliest timer message after it (${timers.length} in all, ${(timers.reduce((a, b) => a + b, 0) / 1e9).toFixed(2)}B together: the m2v model loaded, the index rebuilt ${INDEX_BLOCKS_PER_MESSAGE} blocks of ${SEARCH_BLOCK_ITEMS} items a message)`, 'update', Math.max(0, ...timers));
  const again = await measureQuery(canister, 'search', candidArgs([IDL.Text, t.SearchQuery], ['bench', { text: [SHORT_SENTENCE], vector: [], k: 10 }]));
  ok(again.reply, t.SearchResult, 'search');
  record(section, 'embed.candid.search_after_upgrade', `the last search again after the upgrade and the index rebuild`, 'query', again.instructions);
  return section;
}
