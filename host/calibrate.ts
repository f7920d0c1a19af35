/**
 * `npm run calibrate`: builds Azle's hello-world canister, runs init, setMessage("Goodbye world!")
 * and getMessage() on the in-process host and prints one JSON line with the instructions of each,
 * compared with what Azle publishes for setMessage on a replica.
 */
import { IDL } from '@dfinity/candid';
import { buildAzleCanister } from './build.ts';
import { Host } from './host.ts';

/** Azle's published instructions for hello-world's setMessage("Goodbye world!") on a replica. */
export const AZLE_PUBLISHED_SET_MESSAGE = 1_404_869n;
export const CALIBRATION_TOLERANCE = 0.15;

async function main(): Promise<number> {
  const { wasm } = await buildAzleCanister('hello');
  const host = await Host.create();
  const canister = await host.install(wasm);
  const set = await canister.update('setMessage', new Uint8Array(IDL.encode([IDL.Text], ['Goodbye world!'])));
  if (set.status !== 'replied') throw new Error(`setMessage was rejected: ${set.rejectMessage}`);
  const get = await canister.query('getMessage', new Uint8Array(IDL.encode([], [])));
  if (get.status !== 'replied') throw new Error(`getMessage was rejected: ${get.rejectMessage}`);
  const [message] = IDL.decode([IDL.Text], get.reply ?? new Uint8Array());
  if (message !== 'Goodbye world!') throw new Error(`getMessage returned ${JSON.stringify(message)}, expected "Goodbye world!"`);

  const ratio = Number(set.instructions) / Number(AZLE_PUBLISHED_SET_MESSAGE);
  const withinBound = Math.abs(ratio - 1) <= CALIBRATION_TOLERANCE;
  console.log(
    JSON.stringify({
      init: Number(canister.lastInitInstructions),
      setMessage: Number(set.instructions),
      getMessage: Number(get.instructions),
      azlePublishedSetMessage: Number(AZLE_PUBLISHED_SET_MESSAGE),
      ratio: Number(ratio.toFixed(4)),
      withinBound,
    }),
  );
  return withinBound ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`calibrate: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
