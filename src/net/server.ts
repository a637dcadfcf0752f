/**
 * `Server`: a listener that hands each established connection over as a Stream
 * ('connection'), with net.Server's listen/close/address/getConnections/maxConnections.
 */
import { EventEmitter } from 'node:events';
import { InvalidArgumentError, InvalidStateError, TuntcpError } from '../errors.js';
import { listenAddressOf, type TcpLayer, type TcpListener, type TcpSocketHandle } from '../tcp/tcp-layer.js';
import type { ListenAddress, ListenerOwner } from '../tcp/listener.js';
import { NetError } from './errors.js';
import type { NetInterface } from '../ip/types.js';
import type { SegmentEndpoints } from '../tcp/listener.js';
import { resolveHost, tcpLayerOf, validatePort, type NetStack } from './layer-of.js';
import { Stream, type AddressInfo } from './stream.js';

export interface ServerOptions {
  /** Accepted streams stay half-open after the peer's FIN (default true, as net.Stream). */
  allowHalfOpen?: boolean;
  /** Accepted streams start paused (their window closes until resume()). */
  pauseOnConnect?: boolean;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
  /**
   * Accept connections to ANY destination address and port arriving on a device (the VPN
   * endpoint, like gVisor's TCP forwarder / tun2socks); each stream's localAddress/localPort
   * is the original destination. Bound listeners still take what they match first.
   */
  any?: boolean;
  /** With `any`: take only connections this returns true for (others are refused with RST). */
  filter?: (local: Endpoint, remote: Endpoint) => boolean;
  /** With `any`: only connections arriving on this interface (or the interface of that name). */
  interface?: NetInterface | string;
}

/** An address and port, as a filter sees them. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

type ConnectionListener = (stream: Stream) => void;

export class Server extends EventEmitter implements ListenerOwner {
  /** Connections beyond this are refused with RST (and counted as tcp.maxConnectionsRefused). */
  maxConnections = Infinity;
  private readonly layer: TcpLayer;
  private listener: TcpListener<TcpSocketHandle> | undefined;
  private readonly streams = new Set<Stream>();
  private closing = false;
  private acceptQueued = false;
  private readonly options: ServerOptions;

  constructor(
    private readonly stack: NetStack,
    options: ServerOptions = {},
    connectionListener?: ConnectionListener,
  ) {
    super();
    this.layer = tcpLayerOf(stack);
    this.options = { ...options };
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  /**
   * listen(port, [host], [backlog], [callback]) or listen({ port, host, backlog }, [callback]).
   * Without host: every address of the stack, both families. 'listening' or 'error' follow.
   */
  listen(...args: unknown[]): this {
    if (this.listener !== undefined) throw new InvalidStateError('the server is already listening');
    if (typeof args[0] === 'object' && args[0] !== null && (args[0] as ListenOptions).any === true) {
      return this.listenAnyDestination(args[0] as ListenOptions, typeof args[1] === 'function' ? (args[1] as () => void) : undefined);
    }
    const { port, host, backlog, callback } = parseListenArgs(args);
    if (callback !== undefined) this.once('listening', callback);
    let local: ListenAddress;
    if (host === undefined || host === '::' || host === '0.0.0.0') {
      local = listenAddressOf(host);
    } else {
      const address = resolveHost(host);
      if (address === undefined) {
        process.nextTick(() => this.emit('error', new NetError('ENOTFOUND', 'getaddrinfo', host)));
        return this;
      }
      local = { kind: 'one', address };
    }
    const result = this.layer.listen(local, port, this, backlog);
    if (typeof result === 'string') {
      process.nextTick(() => this.emit('error', new NetError(result, 'listen', host ?? '::', port)));
      return this;
    }
    this.listener = result;
    this.closing = false;
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  private listenAnyDestination(options: ListenOptions, callback: (() => void) | undefined): this {
    const { filter, backlog } = options;
    if (filter !== undefined && typeof filter !== 'function') throw new InvalidArgumentError('filter must be a function');
    if (options.port !== undefined || options.host !== undefined) throw new InvalidArgumentError('listen({ any: true }) takes every address and port: give a filter instead of port/host');
    let iface: NetInterface | undefined;
    if (typeof options.interface === 'string') {
      iface = this.stack.interfaces?.().find((candidate) => candidate.name === options.interface);
      if (iface === undefined) throw new InvalidArgumentError(`no interface named "${options.interface}"`);
    } else {
      iface = options.interface;
    }
    const accepts =
      filter === undefined
        ? undefined
        : (at: SegmentEndpoints): boolean => filter({ address: at.dst.toString(), port: at.dstPort }, { address: at.src.toString(), port: at.srcPort });
    if (callback !== undefined) this.once('listening', callback);
    this.listener = this.layer.listenAnyDestination(this, { iface, accepts, backlog });
    this.closing = false;
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  address(): AddressInfo | null {
    const listener = this.listener;
    if (listener === undefined) return null;
    const local = listener.local;
    if (local.kind === 'one') return { address: local.address.toString(), family: local.address.family === 4 ? 'IPv4' : 'IPv6', port: listener.port };
    return local.family === 4 ? { address: '0.0.0.0', family: 'IPv4', port: listener.port } : { address: '::', family: 'IPv6', port: listener.port };
  }

  /** Stop accepting; 'close' once every accepted connection has closed. */
  close(callback?: (error?: Error) => void): this {
    const listener = this.listener;
    if (listener === undefined) {
      if (callback !== undefined) process.nextTick(() => callback(new TuntcpError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      return this;
    }
    if (callback !== undefined) this.once('close', () => callback());
    this.listener = undefined;
    this.closing = true;
    this.layer.unlisten(listener);
    this.maybeEmitClose();
    return this;
  }

  getConnections(callback: (error: Error | null, count: number) => void): this {
    const count = this.streams.size;
    process.nextTick(() => callback(null, count));
    return this;
  }

  /** @internal The listener's accept queue has connections (called by the TcpLayer). */
  onAcceptable(): void {
    if (this.acceptQueued) return;
    this.acceptQueued = true;
    process.nextTick(() => {
      this.acceptQueued = false;
      this.acceptAll();
    });
  }

  private acceptAll(): void {
    const listener = this.listener;
    if (listener === undefined) return;
    for (let handle = this.layer.accept(listener); handle !== undefined; handle = this.layer.accept(listener)) {
      if (this.streams.size >= this.maxConnections) {
        this.stack.counters.count('tcp.maxConnectionsRefused');
        handle.abort();
        continue;
      }
      const stream = Stream.fromAccepted(handle, { stack: this.stack, allowHalfOpen: this.options.allowHalfOpen });
      if (this.options.pauseOnConnect) stream.pause();
      this.streams.add(stream);
      stream.once('close', () => {
        this.streams.delete(stream);
        this.maybeEmitClose();
      });
      this.emit('connection', stream);
    }
  }

  private maybeEmitClose(): void {
    if (!this.closing || this.streams.size > 0) return;
    this.closing = false;
    process.nextTick(() => this.emit('close'));
  }
}

function parseListenArgs(args: unknown[]): { port: number; host: string | undefined; backlog: number | undefined; callback: (() => void) | undefined } {
  const rest = [...args];
  const callback = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as () => void) : undefined;
  let port: unknown;
  let host: unknown;
  let backlog: unknown;
  if (typeof rest[0] === 'object' && rest[0] !== null) {
    ({ port, host, backlog } = rest[0] as ListenOptions);
  } else {
    [port, host, backlog] = rest;
    if (typeof host === 'number') [host, backlog] = [undefined, host];
  }
  if (host !== undefined && host !== null && typeof host !== 'string') throw new InvalidArgumentError(`host must be a string, got ${typeof host}`);
  if (backlog !== undefined && (typeof backlog !== 'number' || !Number.isFinite(backlog))) throw new InvalidArgumentError(`backlog must be a number, got ${String(backlog)}`);
  return { port: validatePort(port ?? 0, 'port', true), host: (host ?? undefined) as string | undefined, backlog: backlog as number | undefined, callback };
}

/** `createServer(stack, [options], [connectionListener])`, as net.createServer. */
export function createServer(stack: NetStack, options?: ServerOptions | ConnectionListener, connectionListener?: ConnectionListener): Server {
  if (typeof options === 'function') return new Server(stack, {}, options);
  return new Server(stack, options ?? {}, connectionListener);
}
