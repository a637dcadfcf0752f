/**
 * How the socket API reaches a stack's TCP layer (one per stack, `TcpLayer.of`), and the small
 * host-name table it resolves with.
 */
import { IpAddress } from '../ip/address.js';
import { TcpLayer } from '../tcp/tcp-layer.js';
import type { TcpHost } from '../tcp/host.js';
import { InvalidArgumentError } from '../errors.js';

/** A stack as the socket API sees it. */
export type NetStack = TcpHost;

/** The stack's TCP layer (`TcpLayer.of`: created with default options on first use). */
export function tcpLayerOf(stack: NetStack): TcpLayer {
  return TcpLayer.of(stack);
}

/** The resolver of host names: a small table (documented hook for DNS later). */
export const HOSTS: ReadonlyMap<string, string> = new Map([
  ['localhost', '127.0.0.1'],
  ['ip6-localhost', '::1'],
]);

/** An IP literal or a name from HOSTS; undefined when unknown. */
export function resolveHost(host: string): IpAddress | undefined {
  const literal = IpAddress.tryParse(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if (literal !== undefined) return literal;
  const mapped = HOSTS.get(host.toLowerCase());
  return mapped === undefined ? undefined : IpAddress.parse(mapped);
}

export function validatePort(port: unknown, what: string, zeroAllowed: boolean): number {
  const value = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (zeroAllowed ? 0 : 1) || value > 65535) {
    throw new InvalidArgumentError(`${what} must be an integer in [${zeroAllowed ? 0 : 1}, 65535], got ${String(port)}`);
  }
  return value;
}
