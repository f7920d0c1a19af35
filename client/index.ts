// Client side of the decentai canister: its Candid interface (idlFactory, TypeScript
// types) and the chunked, resumable, hash-checked model uploader.
export * from '../canister/types.ts';
export * from './upload.ts';
