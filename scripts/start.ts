// npm start: build the canister (when its sources changed), install it on the
// in-process IC host, upload the default model (plus ../shared/models/spam-detection
// when present, plus every --model NAME=PATH), and serve the canister's REST API on
// http://127.0.0.1:$PORT the way the IC's HTTP gateway does, and the replica's /api/… interface
// on the same port (root key and controller identity kept in the state folder).
//
//   npm start -- [--port N] [--state DIR] [--model NAME=PATH]... [--no-shared]
//   PATH: a model.json (converted on the fly), a directory holding one, or a converted file.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { join, relative } from 'node:path';
import { IDL } from '@dfinity/candid';
import { parseArgs } from 'node:util';
import { argsErrorMessage } from '../engine/cli-args.ts';
import { buildAzleCanister, createActor, Host, IcHttpInterface, loadOrCreateReplicaKeys } from '../host/index.ts';
import { idlFactory, type DecentAIService } from '../canister/types.ts';
import { progressBar, uploadModel } from '../client/upload.ts';
import { defaultModel, readModel, REPO_ROOT, SHARED_SPAM_DIR, sharedSpamModel, type ModelSource } from './lib/models.ts';
import { loadOrCreatePemIdentity } from './lib/identity.ts';
import { gatewayHandler } from './lib/gateway.ts';

const USAGE = `usage: npm start -- [--port N] [--state DIR] [--model NAME=PATH]... [--no-shared] [--quiet]

Builds the decentai canister (when its sources changed), installs it on the in-process
IC host, uploads the default model (plus ../shared/models/spam-detection when present,
plus every --model), and serves its REST API on http://127.0.0.1:PORT (default 8080, or $PORT),
with the IC's HTTP interface (/api/v2/status, query, call, read_state) on the same port for
@dfinity/agent, icp-cli and npm run upload.

  --port N             port to listen on (0: any free port)
  --state DIR          where the host's root key and the controller identity PEM are kept
                       (default .decentai/ in the repository; made on the first run)
  --model NAME=PATH    also upload PATH as NAME: a model.json (converted on the fly),
                       a directory holding one, or a converted .dcai file
  --no-shared          do not upload ../shared/models/spam-detection
  --quiet              no progress bars and no request log
  -h, --help           this text`;

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function readOptions() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        state: { type: 'string' },
        model: { type: 'string', multiple: true },
        'no-shared': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    return fail(`${argsErrorMessage(e)}\n${USAGE}`);
  }
}

async function main(): Promise<void> {
  const values = readOptions();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad port ${values.port ?? process.env.PORT}`);

  const sources: ModelSource[] = [defaultModel((m) => console.warn(`warning: ${m}`))];
  if (!values['no-shared']) {
    const spam = sharedSpamModel();
    if (spam) sources.push(spam);
    else console.log(`note: ${relative(process.cwd(), SHARED_SPAM_DIR) || SHARED_SPAM_DIR} is absent: serving the default model only (no spam-detection model; the tests that need ../shared skip)`);
  }
  for (const spec of values.model ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) fail(`--model takes NAME=PATH, got ${JSON.stringify(spec)}`);
    try {
      sources.push(readModel(spec.slice(0, eq), spec.slice(eq + 1)));
    } catch (e) {
      fail(`--model ${spec}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const t0 = Date.now();
  console.log('building the canister (cached when its sources did not change)…');
  const { wasm } = await buildAzleCanister('decentai');
  // Serving people: the canister sees the wall clock (tests keep the host's deterministic one).
  const host = await Host.create({ startTimeNs: BigInt(Date.now()) * 1_000_000n });
  const stateDir = values.state ?? join(REPO_ROOT, '.decentai');
  const pemPath = join(stateDir, 'identity.pem');
  const controller = loadOrCreatePemIdentity(pemPath);
  const ic = new IcHttpInterface(host, loadOrCreateReplicaKeys(stateDir));
  // The wasm's sha256 (what read_state's module_hash shows), told to the canister for GET /api and GET /models.
  const moduleHash = createHash('sha256').update(wasm).digest('hex');
  const canister = await host.install(wasm, { controllers: [controller.getPrincipal()], arg: new Uint8Array(IDL.encode([IDL.Opt(IDL.Text)], [[moduleHash]])) });
  console.log(`installed decentai on the in-process host (init: ${canister.lastInitInstructions.toLocaleString('en-US')} instructions)`);
  const admin = createActor<DecentAIService>(canister, idlFactory, { caller: controller.getPrincipal() });
  // the gateway's http_request_update is an ingress message, inspected (canister_inspect_message) as on the IC
  const anonymous = createActor<DecentAIService>(canister, idlFactory, { inspect: true });

  const tty = process.stdout.isTTY && !values.quiet;
  for (const s of sources) {
    const r = await uploadModel(admin, s.name, s.bytes, {
      onProgress: (p) => {
        if (tty) process.stdout.write(`\r  ${s.name.padEnd(16)} ${progressBar(p)}   `);
      },
    });
    if (tty) process.stdout.write('\n');
    console.log(`  ${s.name}: v${r.model.version}, ${s.bytes.length} bytes${s.how === 'converted' ? ' (converted from ' + s.path + ')' : ''}, sha256 ${r.sha256.slice(0, 16)}…, verified on chain`);
  }

  // As the IC's gateway: every query answer must verify against the root key (certification v2).
  const verifier = { rootKey: ic.rootKey, canisterId: canister.id.toUint8Array(), nowNs: () => host.timeNs };
  const rest = gatewayHandler(anonymous, values.quiet ? undefined : (line) => console.log(line), verifier);
  const server = createServer(async (req, res) => {
    if (!(await ic.handle(req, res))) await rest(req, res);
  });
  server.on('error', (e) => fail(`cannot listen on 127.0.0.1:${port}: ${e.message}`));
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    console.log(`\ndecentAI ready in ${((Date.now() - t0) / 1000).toFixed(1)} s on http://127.0.0.1:${actual} (models: ${sources.map((s) => s.name).join(', ')}; canister wasm sha256 ${moduleHash})`);
    console.log(`  curl -s -X POST localhost:${actual}/models/default/predict -d '{"text":"check out my channel"}'`);
    const rel = relative(process.cwd(), pemPath);
    const pem = rel && !rel.startsWith('..') ? rel : pemPath;
    console.log(`IC replica API on http://127.0.0.1:${actual} (root key: fetch it, e.g. shouldFetchRootKey / icp -k fetch)`);
    console.log(`  canister id: ${canister.id.toText()}`);
    console.log(`  controller:  ${controller.getPrincipal().toText()} (identity PEM: ${pem})`);
    console.log(`  npm run upload -- --network http://127.0.0.1:${actual} --canister ${canister.id.toText()} --identity ${pem} --name NAME FILE`);
    console.log('Ctrl-C to stop.');
  });

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nstopping…');
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// One line for the user; the stack only when asked for (DEBUG=1).
main().catch((e) => fail(e instanceof Error ? (process.env.DEBUG ? (e.stack ?? e.message) : e.message) : String(e)));
