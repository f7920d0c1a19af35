// The install (and upgrade) argument: `opt text`, the sha256 of the wasm being installed, as
// `npm run build:canister` prints it. A canister cannot read its own module hash, so its
// installer says it, and GET / and GET /models repeat it; the IC's read_state
// `canister/<id>/module_hash` stays the authority to compare it with (README, "Verify").
// Read by hand: the glue parses this at init, where @dfinity/candid would cost millions.

/** DIDL, one type (opt text), one argument of type 0. */
const PREFIX = [0x44, 0x49, 0x44, 0x4c, 1, 0x6e, 0x71, 1, 0];

/** The module hash in an install argument: undefined for no argument or null; throws on anything else. */
export function moduleHashFromArg(arg: Uint8Array): string | undefined {
  var n = arg.length;
  var i = 0;
  while (i < 9 && i < n && arg[i] === PREFIX[i]) i++;
  if (n === 0 || (n === 6 && i === 4 && arg[4] === 0 && arg[5] === 0)) return undefined; // no argument at all, or `()`
  if (i === 9 && n === 10 && arg[9] === 0) return undefined; // (null)
  if (i === 9 && n === 75 && arg[9] === 1 && arg[10] === 64) {
    var hex = '';
    for (i = 11; i < 75; i++) {
      var c = arg[i];
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) break;
      hex += String.fromCharCode(c);
    }
    if (i === 75) return hex;
  }
  throw new Error('the install argument must be (opt text): null, or the wasm\'s sha256 as 64 lowercase hex digits (npm run build:canister prints it)');
}
