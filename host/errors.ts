/** IC reject codes (interface spec) and the IC error codes the host produces. */
export const RejectCode = {
  SysFatal: 1,
  SysTransient: 2,
  DestinationInvalid: 3,
  CanisterReject: 4,
  CanisterError: 5,
  SysUnknown: 6,
} as const;

export const ErrorCode = {
  CanisterNotFound: 'IC0301',
  CanisterRejectedMessage: 'IC0406',
  CanisterTrapped: 'IC0502',
  CanisterCalledTrap: 'IC0503',
  CanisterContractViolation: 'IC0504',
  CanisterDidNotReply: 'IC0506',
  CanisterInstructionLimitExceeded: 'IC0522',
  CanisterMethodNotFound: 'IC0536',
} as const;

/** Thrown inside a system API import to abort the running message like an IC trap. */
export class CanisterTrap extends Error {
  constructor(
    message: string,
    readonly errorCode: string = ErrorCode.CanisterTrapped,
  ) {
    super(message);
    this.name = 'CanisterTrap';
  }
}

/** Thrown by actors (and `Host.install`) when a call is rejected. Mirrors the agent's reject errors. */
export class CallError extends Error {
  constructor(
    readonly rejectCode: number,
    readonly rejectMessage: string,
    readonly errorCode?: string,
    readonly method?: string,
  ) {
    super(`${method ? `Call to '${method}' rejected` : 'Call rejected'} (reject code ${rejectCode}${errorCode ? `, ${errorCode}` : ''}): ${rejectMessage}`);
    this.name = 'CallError';
  }
}
