// Cycle prices (canister/cycles.ts holds the numbers and their source) and what the
// bench derives from them; queries are free today (the "update-equivalent" prices a
// query as if it were an update).

import { CYCLES_PER_INSTRUCTION_13, INGRESS_BYTE_FEE_13, INGRESS_MESSAGE_FEE_13, SUBNET_34_SCALE, UPDATE_BASE_FEE_13 } from '../../canister/cycles.ts';

// The constants live in canister/cycles.ts, which the web page's script is also written from.
export { CYCLES_PER_INSTRUCTION_13, INGRESS_BYTE_FEE_13, INGRESS_MESSAGE_FEE_13, SUBNET_34_SCALE, UPDATE_BASE_FEE_13 };

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
