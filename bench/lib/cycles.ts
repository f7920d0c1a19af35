// Cycle prices, from the IC's published cost table (dfinity/developer-docs
// docs/reference/cycles-costs.md, adapted from the portal's gas-cost page):
// on a 13-node application subnet an update message costs a 5,000,000-cycle base
// fee plus 1 cycle per instruction; receiving an ingress message costs 1,200,000
// plus 2,000 per byte; a 34-node subnet costs 34/13 of a 13-node one; queries are
// free today (the "update-equivalent" prices a query as if it were an update).

export const UPDATE_BASE_FEE_13 = 5_000_000;
export const CYCLES_PER_INSTRUCTION_13 = 1;
export const INGRESS_MESSAGE_FEE_13 = 1_200_000;
export const INGRESS_BYTE_FEE_13 = 2_000;
export const SUBNET_34_SCALE = 34 / 13;

export const PRICE_SOURCE =
  'IC cost table (dfinity/developer-docs docs/reference/cycles-costs.md, from the portal gas-cost page)';

/** Execution cycles of one update message of `instructions` on a 13-node subnet. */
export function updateExecutionCycles13(instructions: number): number {
  return UPDATE_BASE_FEE_13 + CYCLES_PER_INSTRUCTION_13 * instructions;
}

/** Cycles charged for receiving an ingress message of `payloadBytes` on a 13-node subnet. */
export function ingressCycles13(payloadBytes: number): number {
  return INGRESS_MESSAGE_FEE_13 + INGRESS_BYTE_FEE_13 * payloadBytes;
}

export function scaleTo34Nodes(cycles13: number): number {
  return Math.round(cycles13 * SUBNET_34_SCALE);
}

export type CallKind = 'update' | 'query' | 'install' | 'upgrade';

export interface CallCycles {
  /** Cycles charged today on a 13-node subnet (0 for queries). */
  charged13: number;
  charged34: number;
  /** What the message would cost as an update (equals charged for updates). */
  updateEquivalent13: number;
  updateEquivalent34: number;
}

/** Execution cycles of one message; install and upgrade are priced like an update message. */
export function callCycles(kind: CallKind, instructions: number): CallCycles {
  const asUpdate = updateExecutionCycles13(instructions);
  const charged = kind === 'query' ? 0 : asUpdate;
  return {
    charged13: charged,
    charged34: scaleTo34Nodes(charged),
    updateEquivalent13: asUpdate,
    updateEquivalent34: scaleTo34Nodes(asUpdate),
  };
}

/** The constants, for results.md and results.json. */
export function priceConstants(): Record<string, number | string> {
  return {
    source: PRICE_SOURCE,
    updateBaseFee13: UPDATE_BASE_FEE_13,
    cyclesPerInstruction13: CYCLES_PER_INSTRUCTION_13,
    ingressMessageFee13: INGRESS_MESSAGE_FEE_13,
    ingressByteFee13: INGRESS_BYTE_FEE_13,
    subnet34Scale: '34/13',
    queries: 'free today',
  };
}
