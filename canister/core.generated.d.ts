// Types of canister/core.generated.js, which host/generate-core.ts writes
// (gitignored; `npm run build:canister`, buildAzleCanister and `npm start` make it).

/** The sha256 of the core's source (canister/core.ts bundled and minified, as the body of a function returning
 * its exports), which travels beside this module (host/generate-core.ts CORE_SOURCE) into the wasm data. */
export declare const CORE_SHA256: string;
/** canister/types.ts (idlFactory) the same way: evaluated only at build time, for the .did. */
export declare const TYPES: string;
/** The reply of list_models / model_versions while no model was ever stored. */
export declare const EMPTY_MODELS: Uint8Array;
/** The reply of list_uploads while no upload was ever begun. */
export declare const EMPTY_UPLOADS: Uint8Array;
/** The root hash of the build's HTTP certification tree (host/http-certification.ts): the canister's certified data. */
export declare const CERTIFIED_DATA: Uint8Array;
/** The constant parts of the certification headers (canister/certification.ts). */
export declare const CERTIFICATION: import('./certification.ts').CertificationConstants;
