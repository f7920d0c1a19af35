// The canister's "core": everything but the Azle glue (canister/index.ts).
// host/generate-core.ts bundles this module (minified) into a text the build
// carries as an environment variable of the wasm data (scripts/azle-build.ts);
// the glue evaluates it on first need (the first update, or post_upgrade when
// models are stored). It costs init ~35-40 instructions per byte (parsed code
// ~850): so init stays close to an empty Azle canister's, and the core is
// compiled once, when it is used.
// Nothing here may import 'azle': the glue passes in what the core needs.

import { prepareCertifier } from './certification.ts';
import * as M from './methods.ts';
import { Registry } from './registry.ts';
import { prepare } from './wire.ts';
import { Collections, COLLECTIONS_MEMORY_ID } from './collections.ts';
import { useCandidEncoder } from './utf8.ts';
import { collectCyclesIfDue } from './collector.ts';

export { M, Registry, prepare, prepareCertifier, Collections, COLLECTIONS_MEMORY_ID, useCandidEncoder, collectCyclesIfDue };
