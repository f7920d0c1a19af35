// Floors: what Azle costs for a message that does nothing, in the same build and host
// as the decentai canister: init (of this canister and of the minimal hello canister,
// host/fixtures/hello, the "empty Azle canister"), upgrade, empty Candid and
// manual-mode methods, empty methods with each predict's signature, and a
// Candid-decoded http_request.
import { IDL } from '@dfinity/candid';

import { makeTypes } from '../../canister/types.ts';
import { buildAzleCanister, Host } from '../../host/index.ts';
import { candidArgs, measureQuery, measureUpdate, record } from '../lib/calls.ts';
import type { BenchContext } from '../lib/context.ts';
import { httpRequestArg, TYPICAL_HEADERS } from '../lib/http.ts';
import type { Section } from '../lib/results.ts';
import { SHORT_TEXT, textOfBytes } from '../lib/texts.ts';

const utf8 = new TextEncoder();
const decentaiTypes = makeTypes(IDL);

export async function run(ctx: BenchContext): Promise<Section> {
  const section = ctx.openSection(
    'floors',
    'Floors: empty methods in the same Azle build',
    'bench/floors: an Azle stable-mode canister whose methods return at once. Every decentai figure below includes at least the matching floor. The hello canister (host/fixtures/hello: one query and one update) is the minimal Azle canister the issue\'s "empty Azle canister init" refers to.',
  );
  ctx.progress('building hello');
  const hello = await buildAzleCanister('hello');
  const helloCanister = await (await Host.create()).install(hello.wasm);
  record(section, 'floors.hello_init', 'init of the hello canister (host/fixtures/hello: the minimal Azle canister)', 'install', Number(helloCanister.lastInitInstructions));
  ctx.progress('building bench_floors');
  const { wasm } = await buildAzleCanister('bench_floors');
  const host = await Host.create();
  const canister = await host.install(wasm);
  record(section, 'floors.init', 'init (canister with only empty methods)', 'install', Number(canister.lastInitInstructions));

  const none = candidArgs([], []);
  const rows: [string, string, 'update' | 'query', Uint8Array, string][] = [
    ['floors.empty_query', 'empty Candid query () -> (text)', 'query', none, 'empty_query'],
    ['floors.empty_update', 'empty Candid update () -> (text)', 'update', none, 'empty_update'],
    ['floors.empty_manual', 'empty manual-mode query', 'query', none, 'empty_manual'],
    ['floors.empty_manual_update', 'empty manual-mode update', 'update', none, 'empty_manual_update'],
    ['floors.empty_predict', "empty method with predict's signature (text, Input) -> (PredictResult), Candid, short text", 'query', candidArgs([IDL.Text, decentaiTypes.Input], ['spam', { text: utf8.encode(SHORT_TEXT) }]), 'empty_predict'],
    ['floors.empty_predict_update', "empty method with predict_update's signature, Candid, short text", 'update', candidArgs([IDL.Text, decentaiTypes.Input], ['spam', { text: utf8.encode(SHORT_TEXT) }]), 'empty_predict_update'],
    ['floors.empty_predict_text', 'empty (text) -> (vec float32), short text', 'query', candidArgs([IDL.Text], [SHORT_TEXT]), 'empty_predict_text'],
    ['floors.empty_predict_text_64k', 'empty (text) -> (vec float32), 64 KB text', 'query', candidArgs([IDL.Text], [textOfBytes(65_536)]), 'empty_predict_text'],
    ['floors.empty_predict_tokens', 'empty (vec int32) -> (vec float32), 20 ids', 'query', candidArgs([IDL.Vec(IDL.Int32)], [new Int32Array(20)]), 'empty_predict_tokens'],
    ['floors.http_request', `Candid http_request, ${TYPICAL_HEADERS.length} headers, 100 B body`, 'query', httpRequestArg('POST', '/predict', utf8.encode(textOfBytes(100))), 'http_request'],
    ['floors.http_request_64k', `Candid http_request, ${TYPICAL_HEADERS.length} headers, 64 KB body`, 'query', httpRequestArg('POST', '/predict', utf8.encode(textOfBytes(65_536))), 'http_request'],
    ['floors.http_request_update', 'Candid http_request_update, 100 B body', 'update', httpRequestArg('POST', '/predict', utf8.encode(textOfBytes(100))), 'http_request_update'],
  ];
  for (const [id, label, kind, arg, method] of rows) {
    const { instructions } = kind === 'update' ? await measureUpdate(canister, method, arg) : await measureQuery(canister, method, arg);
    record(section, id, label, kind, instructions);
  }
  const upgrade = await canister.upgrade(wasm);
  if (upgrade.status !== 'replied') throw new Error(`floors upgrade failed: ${upgrade.rejectMessage}`);
  record(section, 'floors.upgrade', 'upgrade (same wasm)', 'upgrade', Number(upgrade.instructions));
  return section;
}
