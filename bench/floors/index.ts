// Floors: empty methods, built by the same Azle as the decentai canister, so each
// measured call can be set against what Azle's dispatch and Candid cost with no work.
import { IDL, msgReply, query, update } from 'azle';

import { makeTypes, type HttpResponse as HttpResponseValue, type PredictOk, type Result } from '../../canister/types.ts';

// The decentai canister's own Candid types, so the empty predicts have its exact signatures.
const decentai = makeTypes(IDL);
// The smallest valid answer of that signature.
const EMPTY_PREDICTION: Result<PredictOk> = {
  ok: { model: '', version: 0, sha256: '', labels: [], predictions: [], instructions: 0n },
};

// The same HTTP types as the decentai canister's, so the empty http_request has its signature.
const { HttpRequest, HttpResponse } = decentai;

// "DIDL", no types, no values: the Candid encoding of an empty reply.
const EMPTY_CANDID_REPLY = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0x00, 0x00]);

export default class {
  /** An empty Candid query `() -> (text)`. */
  @query([], IDL.Text)
  empty_query(): string {
    return '';
  }

  /** An empty Candid update `() -> (text)`. */
  @update([], IDL.Text)
  empty_update(): string {
    return '';
  }

  /** An empty manual-mode query: no Candid decoding or encoding by Azle. */
  @query([], IDL.Empty, { manual: true })
  empty_manual(): void {
    msgReply(EMPTY_CANDID_REPLY);
  }

  /** An empty manual-mode update. */
  @update([], IDL.Empty, { manual: true })
  empty_manual_update(): void {
    msgReply(EMPTY_CANDID_REPLY);
  }

  /** decentai's `predict: (text, Input) -> (PredictResult) query`, Candid-decoded by Azle, doing nothing. */
  @query([IDL.Text, decentai.Input], decentai.PredictResult)
  empty_predict(_model: string, _input: unknown): Result<PredictOk> {
    return EMPTY_PREDICTION;
  }

  /** decentai's `predict_update`, doing nothing. */
  @update([IDL.Text, decentai.Input], decentai.PredictResult)
  empty_predict_update(_model: string, _input: unknown): Result<PredictOk> {
    return EMPTY_PREDICTION;
  }

  /** Same signature as a Candid text predict; does nothing. */
  @query([IDL.Text], IDL.Vec(IDL.Float32))
  empty_predict_text(_text: string): number[] {
    return [];
  }

  /** Same signature as a Candid token predict; does nothing. */
  @query([IDL.Vec(IDL.Int32)], IDL.Vec(IDL.Float32))
  empty_predict_tokens(_tokens: Int32Array | number[]): number[] {
    return [];
  }

  /** A Candid-decoded http_request that answers 200 with an empty body. */
  @query([HttpRequest], HttpResponse)
  http_request(_request: unknown): HttpResponseValue {
    return { status_code: 200, headers: [], body: new Uint8Array(), upgrade: [] };
  }

  /** A Candid-decoded http_request_update, answering the same. */
  @update([HttpRequest], HttpResponse)
  http_request_update(_request: unknown): HttpResponseValue {
    return { status_code: 200, headers: [], body: new Uint8Array(), upgrade: [] };
  }
}
