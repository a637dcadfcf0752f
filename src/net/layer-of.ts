/**
 * How the socket API reaches a stack's TCP layer (one per stack, `TcpLayer.of`), and the
 * synchronous name check used where no resolver can be awaited (a server's listen address).
 */
import type { IpAddress } from '../ip/address.js';
import { TcpLayer } from '../tcp/tcp-layer.js';
import type { TcpHost } from '../tcp/host.js';
import { InvalidArgumentError } from '../errors.js';
import { HOSTS, parseLiteral, type Resolver } from './resolver.js';

/** A stack as the socket API sees it: a TCP host, optionally with a resolver for host names. */
export type NetStack = TcpHost & { readonly resolver?: Resolver };

/** The stack's TCP layer (`TcpLayer.of`: created with default options on first use). */
export function tcpLayerOf(stack: NetStack): TcpLayer {
  return TcpLayer.of(stack);
}

/** An IP literal or a name from HOSTS (its first address); undefined when unknown. */
export function resolveHost(host: string): IpAddress | undefined {
  const literal = parseLiteral(host);
  if (literal !== undefined) return literal;
  const mapped = HOSTS.get(host.toLowerCase());
  return mapped === undefined || mapped.length === 0 ? undefined : parseLiteral(mapped[0]!);
}

export function validatePort(port: unknown, what: string, zeroAllowed: boolean): number {
  const value = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (zeroAllowed ? 0 : 1) || value > 65535) {
    throw new InvalidArgumentError(`${what} must be an integer in [${zeroAllowed ? 0 : 1}, 65535], got ${String(port)}`);
  }
  return value;
}
