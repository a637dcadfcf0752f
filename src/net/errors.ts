/**
 * Errors of the socket API, shaped like Node's system errors: a stable `code`, the negative
 * Linux `errno`, the `syscall` that failed, and the `address`/`port` involved.
 * message: "connect ECONNREFUSED 10.0.0.1:80". Delivered through 'error' events, never thrown
 * from inside the stack.
 */
import { TuntcpError } from '../errors.js';

/** Linux errno values (include/uapi/asm-generic/errno*.h), negated as libuv reports them. */
export const ERRNO = {
  EPIPE: -32,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
  ENETUNREACH: -101,
  ECONNABORTED: -103,
  ECONNRESET: -104,
  ETIMEDOUT: -110,
  ECONNREFUSED: -111,
  EHOSTUNREACH: -113,
  /** libuv's UV_EAI_NONAME as Node reports it for an unknown host name. */
  ENOTFOUND: -3008,
} as const;

export type NetErrorCode = keyof typeof ERRNO;
export type NetSyscall = 'connect' | 'read' | 'write' | 'listen' | 'bind' | 'getaddrinfo';

export class NetError extends TuntcpError {
  readonly errno: number;
  readonly syscall: NetSyscall;
  readonly address: string | undefined;
  readonly port: number | undefined;

  constructor(code: NetErrorCode, syscall: NetSyscall, address?: string, port?: number) {
    // As Node's exceptionWithHostPort: "connect ECONNREFUSED fd07::1:9" (no brackets for IPv6).
    const where = address === undefined ? '' : port === undefined ? ` ${address}` : ` ${address}:${port}`;
    super(code, `${syscall} ${code}${where}`);
    this.errno = ERRNO[code];
    this.syscall = syscall;
    this.address = address;
    this.port = port;
  }
}

/** Modern Node's error for write() after end(): code ERR_STREAM_WRITE_AFTER_END. */
export class WriteAfterEndError extends TuntcpError {
  constructor() {
    super('ERR_STREAM_WRITE_AFTER_END', 'write after end');
  }
}
