import type { InputErrorCode, ModelFormatErrorCode } from './api.ts';

/** A defective model file. The message says exactly what and where. */
export class ModelFormatError extends Error {
  readonly code: ModelFormatErrorCode;
  constructor(code: ModelFormatErrorCode, message: string) {
    super(message);
    this.name = 'ModelFormatError';
    this.code = code;
  }
}

/** A prediction input the model cannot take (wrong kind, length, token id or value). */
export class InputError extends Error {
  readonly code: InputErrorCode;
  constructor(code: InputErrorCode, message: string) {
    super(message);
    this.name = 'InputError';
    this.code = code;
  }
}
