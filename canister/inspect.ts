// canister_inspect_message (issue 10): the IC runs it on one node before an ingress update
// call enters consensus, so a refusal there costs the canister nothing of the call. Refused:
// a non-controller's call of an admin method, and an argument over its method's bound. It runs
// for ingress update calls only (not for queries, nor for calls from canisters): the methods
// keep their own checks (`forbidden`, `too_large`, …), which answer everything else.
//
// It is imported by the Azle glue (canister/index.ts), where code costs init instructions by the
// byte: so the rules are one string searched natively, and the check is a few lines.

/**
 * ` method:bound` for each method with a bound (bytes of its Candid argument), `!` after the bound
 * when only controllers may call it. A method not listed is accepted (bounded by the IC's 2 MiB).
 * Bounds: 4 KiB for arguments of names and numbers (a model name is ≤ 256 bytes); append_chunk
 * 1 MiB of chunk + 4 KiB; delete_items 1,000 ids of ≤ 256 bytes; http_request(_update) a 1 MiB
 * body + 64 KiB of url and headers (a larger body is 413 anyway); add_items up to the IC's 2 MiB.
 */
export const INSPECT_RULES =
  ' begin_upload:4096! append_chunk:1052672! upload_status:4096! commit_upload:4096! abort_upload:4096! activate:4096! delete_model:4096! set_build_budget:4096!' +
  ' create_collection:4096! drop_collection:4096! add_items:2097152! delete_items:300000! verify:4096 list_models:4096 model_versions:4096' +
  ' model_info:4096 read_model:4096 list_uploads:4096 list_collections:4096 http_request:1114112 http_request_update:1114112 ';

/** Why an ingress call of `method` with an argument of `bytes` bytes is refused, or '' to accept it. */
export function inspectRefusal(method: string, bytes: number, controller: () => boolean): string {
  const at = INSPECT_RULES.indexOf(' ' + method + ':');
  if (at < 0) return '';
  const rule = INSPECT_RULES.slice(at + method.length + 2, INSPECT_RULES.indexOf(' ', at + 1));
  if (rule.endsWith('!') && !controller()) return `forbidden: only a controller of the canister may call ${method} (refused by canister_inspect_message)`;
  if (bytes > parseInt(rule)) return `too_large: the argument of ${method} is ${bytes} bytes, over its bound of ${parseInt(rule)} (refused by canister_inspect_message)`;
  return '';
}
