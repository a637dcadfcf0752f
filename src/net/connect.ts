/**
 * The connecting half of a Stream: connect()'s arguments (Node's two forms), and the way from a
 * host to an active open — an IP literal at once, a name through the resolver first.
 */
import { InvalidArgumentError } from '../errors.js';
import type { IpAddress } from '../ip/address.js';
import type { TcpConnectionOwner, TcpSocketHandle } from '../tcp/socket-handle.js';
import { NetError } from './errors.js';
import { tcpLayerOf, validatePort, type NetStack } from './layer-of.js';
import { defaultResolver, lookup, parseLiteral, type Resolver } from './resolver.js';

/** connect()'s options form (as net.connect's TCP options). */
export interface ConnectOptions {
  port: number | string;
  /** Default '127.0.0.1': the stack's loopback. IPv4 or IPv6 literal, or a name for the resolver. */
  host?: string;
  /** Address family wanted from the resolver (0: any). */
  family?: 0 | 4 | 6;
  /** Local address to connect from (one of the stack's). */
  localAddress?: string;
  /** Local port to connect from (default: an ephemeral one). */
  localPort?: number;
  /** Only for createConnection(options): the stream's allowHalfOpen. */
  allowHalfOpen?: boolean;
}

export interface ConnectRequest {
  readonly port: number;
  readonly host: string;
  readonly family: 0 | 4 | 6;
  readonly localAddress: IpAddress | undefined;
  readonly localPort: number | undefined;
  readonly listener: (() => void) | undefined;
}

/** connect(port, [host], [listener]) or connect(options, [listener]); throws on bad arguments. */
export function parseConnectArgs(args: readonly unknown[]): ConnectRequest {
  const [first, second, third] = args;
  let options: ConnectOptions;
  let listener: unknown;
  if (typeof first === 'object' && first !== null) {
    options = first as ConnectOptions;
    listener = second;
  } else {
    options = { port: first as number, host: typeof second === 'string' ? second : undefined };
    listener = typeof second === 'function' ? second : third;
  }
  if (listener !== undefined && typeof listener !== 'function') throw new InvalidArgumentError('the connect listener must be a function');
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw new InvalidArgumentError(`host must be a non-empty string, got ${String(host)}`);
  const family = options.family ?? 0;
  if (family !== 0 && family !== 4 && family !== 6) throw new InvalidArgumentError(`family must be 0, 4 or 6, got ${String(family)}`);
  let localAddress: IpAddress | undefined;
  if (options.localAddress !== undefined) {
    localAddress = parseLiteral(options.localAddress);
    if (localAddress === undefined) throw new InvalidArgumentError(`localAddress must be an IP address, got ${String(options.localAddress)}`);
  }
  const localPort = options.localPort === undefined ? undefined : validatePort(options.localPort, 'localPort', true);
  return { port: validatePort(options.port, 'port', false), host, family, localAddress, localPort, listener: listener as (() => void) | undefined };
}

/** What a connecting stream hears back. */
export interface ConnectSink {
  /** Still the same attempt, and still wanted? (late resolutions are dropped) */
  isCurrent(): boolean;
  opened(handle: TcpSocketHandle): void;
  /** The attempt failed: an error for 'error' (called in a later tick, never synchronously). */
  failed(error: NetError): void;
  /** The name was resolved (Node's 'lookup' event). */
  resolved(address: IpAddress, host: string): void;
}

/** Start an active open for `request`: synchronously for a literal, after the resolver for a name. */
export function startConnect(stack: NetStack, resolver: Resolver | undefined, request: ConnectRequest, owner: TcpConnectionOwner, sink: ConnectSink): void {
  const literal = parseLiteral(request.host);
  if (literal !== undefined) {
    openTo(stack, literal, request, owner, sink);
    return;
  }
  const chosen = resolver ?? stack.resolver ?? defaultResolver;
  Promise.resolve()
    .then(() => lookup(chosen, request.host, request.family))
    .then(
      (address) => {
        if (!sink.isCurrent()) return;
        if (address === undefined) return sink.failed(new NetError('ENOTFOUND', 'getaddrinfo', request.host));
        sink.resolved(address, request.host);
        if (sink.isCurrent()) openTo(stack, address, request, owner, sink);
      },
      () => {
        if (sink.isCurrent()) sink.failed(new NetError('ENOTFOUND', 'getaddrinfo', request.host));
      },
    );
}

function openTo(stack: NetStack, address: IpAddress, request: ConnectRequest, owner: TcpConnectionOwner, sink: ConnectSink): void {
  const result = tcpLayerOf(stack).connect({ remoteAddress: address, remotePort: request.port, localAddress: request.localAddress, localPort: request.localPort }, owner);
  if (typeof result === 'string') {
    const error = new NetError(result, 'connect', address.toString(), request.port);
    process.nextTick(() => sink.failed(error));
    return;
  }
  sink.opened(result);
}
