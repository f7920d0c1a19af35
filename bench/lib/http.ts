// The IC HTTP gateway's Candid types, for REST calls to canisters.
import { IDL } from '@dfinity/candid';

export const HeaderField = IDL.Tuple(IDL.Text, IDL.Text);
export const HttpRequest = IDL.Record({
  method: IDL.Text,
  url: IDL.Text,
  headers: IDL.Vec(HeaderField),
  body: IDL.Vec(IDL.Nat8),
  certificate_version: IDL.Opt(IDL.Nat16),
});
export const HttpResponse = IDL.Record({
  status_code: IDL.Nat16,
  headers: IDL.Vec(HeaderField),
  body: IDL.Vec(IDL.Nat8),
  upgrade: IDL.Opt(IDL.Bool),
});

export interface HttpResponseValue {
  status_code: number;
  headers: [string, string][];
  body: Uint8Array | number[];
  upgrade: [] | [boolean];
}

/** The three headers a browser-ish client sends with a JSON POST. */
export const TYPICAL_HEADERS: [string, string][] = [
  ['host', 'example.icp0.io'],
  ['content-type', 'application/json'],
  ['accept', 'application/json'],
];

export function httpRequestArg(method: string, url: string, body: Uint8Array, headers = TYPICAL_HEADERS): Uint8Array {
  return new Uint8Array(
    IDL.encode([HttpRequest], [{ method, url, headers, body, certificate_version: [2] }]),
  );
}

export function decodeHttpResponse(reply: Uint8Array): HttpResponseValue {
  return IDL.decode([HttpResponse], reply)[0] as unknown as HttpResponseValue;
}
