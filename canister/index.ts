// decentAI inference canister (Azle stable mode): thin glue over the core
// (canister/core.ts: registry.ts with the models in stable memory, methods.ts
// with each method as bytes → bytes and hand-coded Candid, rest.ts the REST API).
//
// The core is not in this module: host/generate-core.ts bundles it, minified,
// into a text the build carries as an environment variable of Azle's wasm data
// (scripts/azle-build.ts), which reaches process.env natively at init (~35-40
// instructions a byte, against ~850 for parsed code and ~92 for a string
// literal), and load() compiles it on first need. So init is close to an empty
// Azle canister's, and the core is compiled once, by the first call that needs
// it (a query's state is discarded, so only updates and post_upgrade keep it loaded):
// - updates load it (the first update pays the one-time cost);
// - post_upgrade loads it when the registry was ever written, and restores it;
// - queries while it is not loaded: the registry is then empty (nothing was
//   ever written), so list_models, model_versions and list_uploads answer
//   precomputed replies; the other queries load it for that call only.
//
// Every method is manual: it reads the raw argument and replies raw Candid,
// skipping Azle's Candid layer (~1.2M instructions a call, quadratic `text`).
// The decorators carry the real Candid types only while Azle generates the .did
// at build time (in its Node wasm environment); in the canister they are empty,
// because Azle prints the whole interface at every start and that costs ~100M
// instructions of init for no use.

import {
  certifiedDataSet,
  dataCertificate,
  IDL,
  init,
  inspectMessage,
  isController,
  msgArgData,
  msgCaller,
  msgMethodName,
  msgReply,
  performanceCounter,
  postUpgrade,
  query,
  setTimer,
  time,
  trap,
  update,
} from 'azle';

import type * as Core from './core.ts';
import { CERTIFICATION, CERTIFIED_DATA, EMPTY_MODELS, EMPTY_UPLOADS, TYPES } from './core.generated.js';
import { inspectRefusal } from './inspect.ts';
import { moduleHashFromArg } from './module-hash.ts';
import type { BytesMap } from './registry.ts';
import type { idlFactory } from './types.ts';

const BUILD = (globalThis as { _azleNodejsWasmEnvironment?: boolean })._azleNodejsWasmEnvironment === true;
const service = BUILD
  ? ((new Function(TYPES)() as { idlFactory: typeof idlFactory }).idlFactory({ IDL: IDL as any }) as unknown as { _fields: [string, IDL.FuncClass][] })
  : undefined;

/** The argument types of a method (at build time only). */
function args(name: string): any[] {
  return service ? service._fields.find(([n]) => n === name)![1].argTypes : [];
}
/** The return type of a method (at build time only). */
function ret(name: string): any {
  return service ? service._fields.find(([n]) => n === name)![1].retTypes[0] : undefined;
}
const manual = { manual: true };

/** The stable B-tree map calls of Azle 0.33's runtime (what its StableBTreeMap class wraps; scripts/azle-build.ts pins that release). */
interface AzleStableMaps {
  stableBTreeMapInit(memoryId: number): void;
  stableBTreeMapGet(memoryId: number, key: Uint8Array): Uint8Array | ArrayBuffer | undefined;
  stableBTreeMapInsert(memoryId: number, key: Uint8Array, value: Uint8Array): unknown;
  stableBTreeMapRemove(memoryId: number, key: Uint8Array): unknown;
}

/**
 * A stable map of bytes to bytes, on Azle's runtime calls directly: its StableBTreeMap class
 * (serializers, the experimental mode's paths, methods unused here) is ~12 KB of code, which
 * QuickJS parsed at every init and post_upgrade for ~5M instructions.
 */
function stableMap(memoryId: number): BytesMap {
  const ic = (globalThis as unknown as { _azleIc: AzleStableMaps })._azleIc;
  ic.stableBTreeMapInit(memoryId);
  return {
    get: (k) => {
      const v = ic.stableBTreeMapGet(memoryId, k);
      return v === undefined || v instanceof Uint8Array ? v : new Uint8Array(v);
    },
    insert: (k, v) => void ic.stableBTreeMapInsert(memoryId, k, v),
    remove: (k) => void ic.stableBTreeMapRemove(memoryId, k),
  };
}

/** The registry's state key in memory 0 ("registry", registry.ts): present once anything was written. */
const STATE_KEY = new Uint8Array([114, 101, 103, 105, 115, 116, 114, 121]);

interface Loaded {
  M: typeof Core.M;
  ctx: Core.M.Ctx;
}
let core: Loaded | undefined;
/** The sha256 of the wasm installed, when the installer said it (module-hash.ts). */
let moduleHash: string | undefined;
const installArg = BUILD ? [IDL.Opt(IDL.Text)] : [];

/**
 * The core's source: the build (scripts/azle-build.ts) carries it in Azle's wasm data as an
 * environment variable, which Azle copies into process.env natively at init. A string literal
 * here cost ~92 instructions a byte of QuickJS parsing at every init and post_upgrade.
 */
function coreSource(): string {
  const source = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DECENTAI_CORE;
  return source ?? trap('decentai: this wasm carries no core (DECENTAI_CORE): build it with npm run build:canister (scripts/azle-build.ts)');
}

/** The core, compiled and set up on first call (kept by updates and post_upgrade; a query's copy is discarded). */
function load(): Loaded {
  if (core === undefined) {
    const c = new Function(coreSource())() as typeof Core;
    // texts to UTF-8 natively (Azle's Candid encoder, in Rust): stored records cost ~25x less to write
    c.useCandidEncoder((globalThis as unknown as { _azleIc: { candidEncode(candid: string): Uint8Array } })._azleIc.candidEncode);
    const reg = new c.Registry(stableMap(0), stableMap(1), { now: time, prepare: c.prepare, instructions: () => performanceCounter(0) });
    core = {
      M: c.M,
      ctx: {
        reg,
        isController: () => isController(msgCaller()),
        instructions: () => performanceCounter(0),
        moduleHash: () => moduleHash,
        certifier: c.prepareCertifier(CERTIFICATION, dataCertificate),
        certify: { set: certifiedDataSet, later: setTimer, root: CERTIFIED_DATA },
        // vector collections: their own stable memory (canister/collections.ts), read back on first use
        collections: new c.Collections(stableMap(c.COLLECTIONS_MEMORY_ID), time),
      },
    };
    // the core's objects are counted now: a collection due soon runs here, where the first update or
    // post_upgrade pays it once, not in every query after (each would run it again: queries roll back)
    c.collectCyclesIfDue();
  }
  return core;
}

/** Runs method `name` of the core on this message's argument and replies its answer (one helper: code costs init per byte). */
function run(name: keyof typeof Core.M, update?: boolean): void {
  const { M, ctx } = load();
  msgReply((M[name] as (ctx: Core.M.Ctx, arg: Uint8Array, update?: boolean) => Uint8Array)(ctx, msgArgData(), update));
}

/** Whether a timer will free expired uploads (one at a time, set for the next expiry). */
let expiryArmed = false;

/** Sets a timer for the next upload expiry, when uploads are open and none is set. */
function expireUploadsLater(): void {
  const seconds = core?.ctx.reg.secondsToNextExpiry() ?? null;
  if (expiryArmed || seconds === null) return;
  expiryArmed = true;
  setTimer(seconds + 1, () => {
    expiryArmed = false;
    core?.ctx.reg.expireUploads();
    expireUploadsLater();
  });
}

/**
 * Loads the next model restored by post_upgrade in its own message, and again until none is left.
 * A build spread over messages (canister/build.ts) takes its next step a second later: the
 * messages between answer its `loading` (Retry-After 2 s), and other calls run in between.
 */
function loadModelsLater(): void {
  if (core === undefined || core.ctx.reg.loading().length === 0) return;
  setTimer(core.ctx.reg.building() ? 1 : 0, () => {
    if (core !== undefined && core.ctx.reg.loadNext()) loadModelsLater();
  });
}

/** Fills the collections' int8 search indexes, a few blocks per timer message, until none is left. */
function indexCollectionsLater(): void {
  setTimer(0, () => {
    if (core?.ctx.collections?.indexNext()) indexCollectionsLater();
  });
}

export default class {
  @init(installArg, manual)
  init(): void {
    moduleHash = moduleHashFromArg(msgArgData());
    certifiedDataSet(CERTIFIED_DATA); // the HTTP certification tree's root (a constant of the build)
  }

  // Ingress update calls only (canister/inspect.ts): a stranger's admin call or an oversized
  // argument is refused before execution: ic0.trap with the reason, which the caller sees.
  @inspectMessage(manual)
  inspect(): boolean {
    const why = inspectRefusal(msgMethodName(), msgArgData().length, () => isController(msgCaller()));
    if (why) trap(why);
    return true;
  }

  @postUpgrade(installArg, manual)
  postUpgrade(): void {
    moduleHash = moduleHashFromArg(msgArgData());
    certifiedDataSet(CERTIFIED_DATA);
    if (stableMap(0).get(STATE_KEY) !== undefined) {
      // Reads the registry only; the models load one per timer message (until then they answer `loading`).
      load().ctx.reg.restore();
      core!.M.modelsChanged(core!.ctx); // GET /models certified again, in a timer message
      loadModelsLater();
      expireUploadsLater();
      // vector collections (canister/collections.ts): read back whole, in their own stable memory;
      // their int8 indexes filled by timers, a few blocks per message (searches scan floats until then)
      load().ctx.collections?.restore();
      indexCollectionsLater();
    }
  }

  // Uploads and administration (controllers only).
  @update(args('begin_upload'), ret('begin_upload'), manual)
  begin_upload(): void {
    run('begin_upload');
    expireUploadsLater();
  }

  @update(args('append_chunk'), ret('append_chunk'), manual)
  append_chunk(): void {
    run('append_chunk');
  }

  @query(args('upload_status'), ret('upload_status'), manual)
  upload_status(): void {
    run('upload_status');
  }

  @query(args('list_uploads'), ret('list_uploads'), manual)
  list_uploads(): void {
    if (core === undefined) return msgReply(EMPTY_UPLOADS); // nothing was ever stored
    msgReply(core.M.list_uploads(core.ctx, msgArgData()));
  }

  @update(args('commit_upload'), ret('commit_upload'), manual)
  commit_upload(): void {
    run('commit_upload');
    loadModelsLater(); // a model too large to build in this message is built by timers (canister/build.ts)
  }

  @update(args('abort_upload'), ret('abort_upload'), manual)
  abort_upload(): void {
    run('abort_upload');
  }

  @update(args('activate'), ret('activate'), manual)
  activate(): void {
    run('activate');
    loadModelsLater();
  }

  @update(args('set_build_budget'), ret('set_build_budget'), manual)
  set_build_budget(): void {
    run('set_build_budget');
  }

  @update(args('delete_model'), ret('delete_model'), manual)
  delete_model(): void {
    run('delete_model');
  }

  // Models, identity and verification (anyone).
  @query(args('list_models'), ret('list_models'), manual)
  list_models(): void {
    if (core === undefined) return msgReply(EMPTY_MODELS); // nothing was ever stored
    msgReply(core.M.list_models(core.ctx, msgArgData()));
  }

  @query(args('model_versions'), ret('model_versions'), manual)
  model_versions(): void {
    if (core === undefined) return msgReply(EMPTY_MODELS); // nothing was ever stored
    msgReply(core.M.model_versions(core.ctx, msgArgData()));
  }

  @query(args('model_info'), ret('model_info'), manual)
  model_info(): void {
    run('model_info');
  }

  @query(args('read_model'), ret('read_model'), manual)
  read_model(): void {
    run('read_model');
  }

  @update(args('verify'), ret('verify'), manual)
  verify(): void {
    run('verify');
  }

  // Predictions: a query (one node answers) or an update (the subnet agrees).
  @query(args('predict'), ret('predict'), manual)
  predict(): void {
    run('predict');
  }

  @update(args('predict_update'), ret('predict_update'), manual)
  predict_update(): void {
    run('predict', true);
  }

  // Embeddings and vector search (canister/embed.ts): queries, verified updates, admin updates.
  @query(args('embed'), ret('embed'), manual)
  embed(): void {
    run('embed');
  }

  @update(args('embed_update'), ret('embed_update'), manual)
  embed_update(): void {
    run('embed');
  }

  @query(args('similarity'), ret('similarity'), manual)
  similarity(): void {
    run('similarity');
  }

  @update(args('similarity_update'), ret('similarity_update'), manual)
  similarity_update(): void {
    run('similarity');
  }

  @query(args('list_collections'), ret('list_collections'), manual)
  list_collections(): void {
    run('list_collections');
  }

  @query(args('search'), ret('search'), manual)
  search(): void {
    run('search');
  }

  @update(args('search_update'), ret('search_update'), manual)
  search_update(): void {
    run('search_update');
  }

  @update(args('create_collection'), ret('create_collection'), manual)
  create_collection(): void {
    run('create_collection');
  }

  @update(args('drop_collection'), ret('drop_collection'), manual)
  drop_collection(): void {
    run('drop_collection');
  }

  @update(args('add_items'), ret('add_items'), manual)
  add_items(): void {
    run('add_items');
  }

  @update(args('delete_items'), ret('delete_items'), manual)
  delete_items(): void {
    run('delete_items');
  }

  // REST, through the HTTP gateway.
  @query(args('http_request'), ret('http_request'), manual)
  http_request(): void {
    run('http', false);
  }

  @update(args('http_request_update'), ret('http_request_update'), manual)
  http_request_update(): void {
    run('http', true);
  }
}
