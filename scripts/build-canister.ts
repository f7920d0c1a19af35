/**
 * Builds the decentai canister: first generates canister/core.generated.js (host/generate-core.ts:
 * the core, bundled and minified, as a string the Azle glue evaluates on first need), then runs
 * `azle build`. dfx.json's decentai entry builds through this script, and buildAzleCanister
 * (host/build.ts: tests, `npm start`, the bench) calls generateCore before it hashes and builds.
 *
 *   npm run build:canister               # generate + build decentai → .azle/decentai/decentai.wasm, prints its sha256
 *   tsx scripts/build-canister.ts --generate-only
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCore } from '../host/generate-core.ts';

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith('--')) ?? 'decentai';
  const path = await generateCore();
  console.log(`wrote ${path} (${readFileSync(path).length} bytes)`);
  if (!args.includes('--generate-only')) {
    // Azle's build with canonical embedded data (scripts/azle-build.ts): the same commit gives the same wasm in any folder.
    const { azleBuild, templateSha256 } = await import('./azle-build.ts');
    try {
      const { wasmPath, sha256 } = await azleBuild(name);
      console.log(`wrote ${wasmPath} (${readFileSync(wasmPath).length} bytes; Azle template sha256 ${templateSha256()})`);
      console.log(`sha256 ${sha256}`);
    } catch (e) {
      console.error(`build-canister: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    }
  }
}
