// Cycle prices, from the IC's published cost table (dfinity/developer-docs
// docs/reference/cycles-costs.md, adapted from the portal's gas-cost page):
// on a 13-node application subnet an update message costs a 5,000,000-cycle base
// fee plus 1 cycle per instruction; receiving an ingress message costs 1,200,000
// plus 2,000 per byte; a 34-node subnet costs 34/13 of a 13-node one; queries are
// free today. The one source of these numbers: bench/lib/cycles.ts re-exports them,
// and the web page's script (canister/page-source.ts) is written from them.

export const UPDATE_BASE_FEE_13 = 5_000_000;
export const CYCLES_PER_INSTRUCTION_13 = 1;
export const INGRESS_MESSAGE_FEE_13 = 1_200_000;
export const INGRESS_BYTE_FEE_13 = 2_000;
export const SUBNET_NODES = 13;
export const LARGE_SUBNET_NODES = 34;
export const SUBNET_34_SCALE = LARGE_SUBNET_NODES / SUBNET_NODES;
