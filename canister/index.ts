// decentAI inference canister (Azle stable mode): thin glue over registry.ts
// (models in stable memory), methods.ts (each method as bytes → bytes, with
// hand-coded Candid) and rest.ts (the REST API).
//
// Every method is manual: it reads the raw argument and replies raw Candid,
// skipping Azle's Candid layer (~1.2M instructions a call, quadratic `text`).
// The decorators carry the real Candid types only while Azle generates the .did
// at build time (in its Node wasm environment); in the canister they are empty,
// because Azle prints the whole interface at every start and that costs ~100M
// instructions of init for no use.

import {
  IDL,
  init,
  isController,
  msgArgData,
  msgCaller,
  msgReply,
  performanceCounter,
  postUpgrade,
  query,
  StableBTreeMap,
  time,
  update,
} from 'azle';

import * as M from './methods.ts';
import { Registry, type BytesMap } from './registry.ts';
import { idlFactory } from './types.ts';
import { prepare } from './wire.ts';

const BUILD = (globalThis as { _azleNodejsWasmEnvironment?: boolean })._azleNodejsWasmEnvironment === true;
const service = BUILD ? (idlFactory({ IDL: IDL as any }) as unknown as { _fields: [string, IDL.FuncClass][] }) : undefined;

/** The argument types of a method (at build time only). */
function args(name: string): any[] {
  return service ? service._fields.find(([n]) => n === name)![1].argTypes : [];
}
/** The return type of a method (at build time only). */
function ret(name: string): any {
  return service ? service._fields.find(([n]) => n === name)![1].retTypes[0] : undefined;
}
const manual = { manual: true };

const identity = { toBytes: (b: Uint8Array): Uint8Array => b, fromBytes: (b: Uint8Array): Uint8Array => b };

function stableMap(memoryId: number): BytesMap {
  const map = new StableBTreeMap<Uint8Array, Uint8Array>(memoryId, identity, identity);
  return {
    get: (k) => map.get(k),
    insert: (k, v) => void map.insert(k, v),
    remove: (k) => void map.remove(k),
  };
}

const registry = new Registry(stableMap(0), stableMap(1), { now: time, prepare });
const ctx: M.Ctx = {
  reg: registry,
  isController: () => isController(msgCaller()),
  instructions: () => performanceCounter(0),
};

export default class {
  @init([])
  init(): void {}

  @postUpgrade([])
  postUpgrade(): void {
    registry.restore();
  }

  // Uploads and administration (controllers only).
  @update(args('begin_upload'), ret('begin_upload'), manual)
  begin_upload(): void {
    msgReply(M.begin_upload(ctx, msgArgData()));
  }

  @update(args('append_chunk'), ret('append_chunk'), manual)
  append_chunk(): void {
    msgReply(M.append_chunk(ctx, msgArgData()));
  }

  @query(args('upload_status'), ret('upload_status'), manual)
  upload_status(): void {
    msgReply(M.upload_status(ctx, msgArgData()));
  }

  @query(args('list_uploads'), ret('list_uploads'), manual)
  list_uploads(): void {
    msgReply(M.list_uploads(ctx, msgArgData()));
  }

  @update(args('commit_upload'), ret('commit_upload'), manual)
  commit_upload(): void {
    msgReply(M.commit_upload(ctx, msgArgData()));
  }

  @update(args('abort_upload'), ret('abort_upload'), manual)
  abort_upload(): void {
    msgReply(M.abort_upload(ctx, msgArgData()));
  }

  @update(args('activate'), ret('activate'), manual)
  activate(): void {
    msgReply(M.activate(ctx, msgArgData()));
  }

  @update(args('delete_model'), ret('delete_model'), manual)
  delete_model(): void {
    msgReply(M.delete_model(ctx, msgArgData()));
  }

  // Models, identity and verification (anyone).
  @query(args('list_models'), ret('list_models'), manual)
  list_models(): void {
    msgReply(M.list_models(ctx, msgArgData()));
  }

  @query(args('model_versions'), ret('model_versions'), manual)
  model_versions(): void {
    msgReply(M.model_versions(ctx, msgArgData()));
  }

  @query(args('model_info'), ret('model_info'), manual)
  model_info(): void {
    msgReply(M.model_info(ctx, msgArgData()));
  }

  @query(args('read_model'), ret('read_model'), manual)
  read_model(): void {
    msgReply(M.read_model(ctx, msgArgData()));
  }

  @update(args('verify'), ret('verify'), manual)
  verify(): void {
    msgReply(M.verify(ctx, msgArgData()));
  }

  // Predictions: a query (one node answers) or an update (the subnet agrees).
  @query(args('predict'), ret('predict'), manual)
  predict(): void {
    msgReply(M.predict(ctx, msgArgData()));
  }

  @update(args('predict_update'), ret('predict_update'), manual)
  predict_update(): void {
    msgReply(M.predict(ctx, msgArgData()));
  }

  // REST, through the HTTP gateway.
  @query(args('http_request'), ret('http_request'), manual)
  http_request(): void {
    msgReply(M.http(ctx, msgArgData(), false));
  }

  @update(args('http_request_update'), ret('http_request_update'), manual)
  http_request_update(): void {
    msgReply(M.http(ctx, msgArgData(), true));
  }
}
