/**
 * Typed errors. One class per condition, each with a stable `code` (STYLE.md: ws/undici).
 * Errors from API misuse are thrown synchronously; errors of a connection are delivered
 * asynchronously as events and never thrown from inside the stack.
 */
export class TuntcpError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A caller passed an argument of the wrong type or out of range. */
export class InvalidArgumentError extends TuntcpError {
  constructor(message: string) {
    super('ERR_INVALID_ARG_VALUE', message);
  }
}

/** An operation on an object that is closed or in the wrong state for it. */
export class InvalidStateError extends TuntcpError {
  constructor(message: string) {
    super('ERR_INVALID_STATE', message);
  }
}
