// REST calls to the decentai canister as the IC's HTTP gateway makes them, with the
// canister's own Candid types (canister/types.ts).
import { IDL } from '@dfinity/candid';

import { makeTypes, type HeaderField, type HttpResponse } from '../../canister/types.ts';

const { HttpRequest, HttpResponse: HttpResponseType } = makeTypes(IDL);

/** The three headers a browser-ish client sends with a JSON POST. */
export const TYPICAL_HEADERS: HeaderField[] = [
  ['host', 'example.icp0.io'],
  ['content-type', 'application/json'],
  ['accept', 'application/json'],
];

/** The Candid http_request argument (the gateway asks for certificate version 2 unless told otherwise). */
export function httpRequestArg(
  method: string,
  url: string,
  body: Uint8Array,
  headers: HeaderField[] = TYPICAL_HEADERS,
  certificateVersion: [] | [number] = [2],
): Uint8Array {
  return new Uint8Array(IDL.encode([HttpRequest], [{ method, url, headers, body, certificate_version: certificateVersion }]));
}

export function decodeHttpResponse(reply: Uint8Array): HttpResponse {
  return IDL.decode([HttpResponseType], reply)[0] as unknown as HttpResponse;
}
