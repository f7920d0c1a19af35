// npm run upload -- [--network URL] [--canister ID] [--identity PEM] [--chunk BYTES] [--no-verify] --name NAME FILE
//
// Uploads a model to a decentai canister on a real replica (dfx's local one by
// default) through @dfinity/agent: chunked, resumable (run it again after an
// interruption), hash-checked on chain after commit, with a progress bar.
// FILE: a converted model file, or a model.json (converted on the fly).
// The caller must be a controller: by default dfx's current identity is used.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { argsErrorMessage } from '../engine/cli-args.ts';
import { Actor, HttpAgent } from '@dfinity/agent';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { MAX_CHUNK_BYTES, progressBar, uploadModel } from '../client/upload.ts';
import { dfxIdentityPem, PemIdentity } from './lib/identity.ts';
import { readModel, REPO_ROOT } from './lib/models.ts';

const USAGE = `usage: npm run upload -- [options] --name NAME FILE

Uploads a model to a running decentai canister: chunked, resumable (run it again after an
interruption), SHA-256 checked on chain before it is activated, with a progress bar.
It needs a replica serving the canister: dfx (dfx start; dfx deploy decentai), icp-cli's
network, or npm start (whose ready line prints the exact command, with --network,
--canister and --identity). The caller must be a controller of the canister.

  FILE              a converted .dcai file, a model.json (converted on the fly) or a
                    directory holding one
  --name NAME       the model's name in the canister (required)
  --network URL     the replica's URL (default http://127.0.0.1:4943, dfx's local replica);
                    the root key is fetched for 127.0.0.1/localhost only
  --canister ID     the canister id (default: decentai's id in .dfx/local/canister_ids.json,
                    or canister_ids.json for other networks)
  --identity PEM    a controller's identity PEM file (default: dfx's current identity)
  --chunk BYTES     bytes per append_chunk call (default and largest: ${MAX_CHUNK_BYTES}, which the
                    canister stores and hashes in ~13B instructions, a third of an update's 40B)
  --no-verify       skip the final verify call (default: verify; the hash is also checked
                    while the chunks arrive)
  -h, --help        this text`;

function fail(message: string): never {
  console.error(`upload: ${message}`);
  process.exit(1);
}

/** The canister id dfx recorded for "decentai" on the local network (or in canister_ids.json for others). */
function canisterIdFromDfx(local: boolean): string | undefined {
  const files = local ? [join(REPO_ROOT, '.dfx', 'local', 'canister_ids.json')] : [join(REPO_ROOT, 'canister_ids.json')];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const ids = JSON.parse(readFileSync(f, 'utf8')) as Record<string, Record<string, string>>;
    const entry = ids.decentai;
    if (entry) return entry.local ?? entry.ic ?? Object.values(entry)[0];
  }
  return undefined;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      network: { type: 'string' },
      canister: { type: 'string' },
      identity: { type: 'string' },
      name: { type: 'string' },
      chunk: { type: 'string' },
      'no-verify': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.name || positionals.length !== 1) fail(`give --name NAME and one FILE\n${USAGE}`);
  const network = values.network ?? 'http://127.0.0.1:4943';
  const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(network);
  const canisterId = values.canister ?? canisterIdFromDfx(local);
  if (!canisterId) fail('no --canister given and no decentai id found in .dfx/local/canister_ids.json (run `dfx deploy` first)');
  const pemPath = values.identity ?? dfxIdentityPem();
  if (!pemPath) fail('no --identity PEM given and no dfx identity found: uploads must come from a controller');
  const identity = PemIdentity.fromPem(readFileSync(pemPath, 'utf8'));
  const source = readModel(values.name, positionals[0]);
  const chunkSize = values.chunk ? Number(values.chunk) : MAX_CHUNK_BYTES;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) fail(`bad --chunk ${values.chunk}`);

  const agent = await HttpAgent.create({ host: network, identity, shouldFetchRootKey: local });
  const actor = Actor.createActor<DecentAIService>(idlFactory as never, { agent, canisterId });
  console.error(`uploading ${source.path}${source.how === 'converted' ? ' (converted)' : ''} as "${values.name}" to ${canisterId} on ${network} as ${identity.getPrincipal().toText()}`);
  const r = await uploadModel(actor, values.name, source.bytes, {
    chunkSize,
    verify: !values['no-verify'],
    onProgress: (p) => process.stderr.write(`\r${progressBar(p)}   `),
  });
  process.stderr.write('\n');
  if (r.resumedFrom > 0) console.error(`resumed from byte ${r.resumedFrom}`);
  console.log(JSON.stringify({ name: r.model.name, version: r.model.version, bytes: source.bytes.length, sha256: r.sha256, verified: r.model.verified }, null, 2));
}

main().catch((e) => fail(argsErrorMessage(e)));
