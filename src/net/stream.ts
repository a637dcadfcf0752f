/**
 * `Stream` (alias `Socket`): a TCP connection as a `stream.Duplex` with net.Stream semantics
 * (see shared/NET_STREAM.md). Backpressure is end to end: a chunk's write callback runs only
 * once the TCP send buffer has taken all of it, and received data leaves the TCP receive
 * buffer only while push() wants more, so a paused reader closes the advertised window.
 * TCP events reach the stream synchronously from the layer and are acted on in a nextTick, so
 * application code never runs inside the stack's input path.
 */
import { Duplex } from 'node:stream';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import type { IpAddress } from '../ip/address.js';
import type { TcpEvent } from '../tcp/connection.js';
import type { TcpConnectionOwner, TcpSocketHandle } from '../tcp/socket-handle.js';
import { NetError, type NetErrorCode } from './errors.js';
import type { ByteTransport } from './secure-transport.js';
import { SecureSession, createEngine, sessionOf, type Credentials, type PeerCertificate, type SecureOptions } from './secure.js';
import { tcpLayerOf, type NetStack } from './layer-of.js';
import { IdleTimer, nodeTimerHost } from './idle-timer.js';
import type { Resolver } from './resolver.js';
import { parseConnectArgs, startConnect, type ConnectOptions, type ConnectRequest } from './connect.js';

export type ReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';

export interface StreamOptions {
  /** The stack to connect through (needed by connect()). */
  stack?: NetStack;
  /** Stay half-open after the peer's FIN until end() is called (default true, as net.Stream). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  /** Bytes held in user space before write() says false (default 1: the TCP send buffer is the buffer). */
  writableHighWaterMark?: number;
  /** Resolves host names for connect() (default: the stack's `resolver`, else the HOSTS table). */
  resolver?: Resolver;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

type WriteCallback = (error?: Error | null) => void;

export class Stream extends Duplex implements TcpConnectionOwner {
  private readonly stack: NetStack | undefined;
  private handle: TcpSocketHandle | undefined;
  private isConnecting = false;
  private pendingWrite: { bytes: Uint8Array; callback: WriteCallback } | undefined;
  private pendingFinal: WriteCallback | undefined;
  private finSent = false;
  private readWanted = false;
  private eofPushed = false;
  private serviceQueued = false;
  private established = false;
  private tcpError: NetErrorCode | undefined;
  private connectionGone = false;
  private hadError = false;
  private target: { host: string; port: number } | undefined;
  private local: { address: IpAddress; port: number } | undefined;
  private remote: { address: IpAddress; port: number } | undefined;
  private readCount = 0;
  private writtenCount = 0;
  private idleTimer: IdleTimer | undefined;
  private readonly resolver: Resolver | undefined;
  /** Counts connect() calls, so a late name resolution for an older attempt is ignored. */
  private attempt = 0;
  private closeEmitted = false;
  private noDelayWanted = false;
  private keepAliveWanted: { enable: boolean; initialDelay: number } = { enable: false, initialDelay: 0 };
  /** TLS between the TCP handle and the Duplex, once setSecure() was called (src/net/secure.ts). */
  private secure: SecureSession | undefined;

  constructor(options: StreamOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? true,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark ?? 1,
      decodeStrings: true,
      emitClose: false, // 'close' carries had_error: emitted by _destroy
      autoDestroy: true,
    });
    this.stack = options.stack;
    this.resolver = options.resolver;
  }

  /** @internal A connection accepted by a Server: already established. */
  static fromAccepted(handle: TcpSocketHandle, options: StreamOptions = {}): Stream {
    const stream = new Stream(options);
    stream.handle = handle;
    stream.established = true;
    stream.rememberEndpoints(handle);
    handle.owner = stream;
    stream.queueService(); // data or the peer's FIN may already be waiting
    return stream;
  }

  /**
   * Open a connection to host:port (host defaults to the stack's loopback, 127.0.0.1), or
   * connect({ port, host, family, localAddress, localPort }). An IP literal (v4 or v6) connects
   * at once; a name goes through the resolver first. A closed stream may connect again.
   */
  connect(options: ConnectOptions, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    return this.connectWith(parseConnectArgs(args));
  }

  private connectWith(request: ConnectRequest): this {
    const stack = this.stack;
    if (stack === undefined) throw new InvalidStateError('a Stream needs { stack } to connect');
    if (this.isConnecting || (this.handle !== undefined && !this.destroyed)) throw new InvalidStateError('the Stream is already connected or connecting');
    if (this.destroyed && !this.closeEmitted) {
      this.once('close', () => this.connectWith(request)); // reconnect once the old 'close' is out
      return this;
    }
    if (this.destroyed) this.resetForReconnect();
    if (request.listener !== undefined) this.once('connect', request.listener);
    this.target = { host: request.host, port: request.port };
    this.isConnecting = true;
    const attempt = ++this.attempt;
    startConnect(stack, this.resolver, request, this, {
      isCurrent: () => attempt === this.attempt && this.isConnecting && !this.destroyed,
      failed: (error) => this.destroy(error),
      resolved: (address, host) => this.emit('lookup', null, address.toString(), address.family, host),
      opened: (handle) => {
        this.handle = handle;
        this.rememberEndpoints(handle);
        if (this.noDelayWanted) handle.setNoDelay(true);
        if (this.keepAliveWanted.enable) handle.setKeepAlive(true, this.keepAliveWanted.initialDelay);
      },
    });
    return this;
  }

  /** Back to a fresh, unconnected stream after 'close', keeping options, encoding and listeners. */
  private resetForReconnect(): void {
    this.handle = undefined;
    this.pendingWrite = undefined;
    this.pendingFinal = undefined;
    this.finSent = this.readWanted = this.eofPushed = this.established = this.connectionGone = this.hadError = this.closeEmitted = false;
    this.tcpError = undefined;
    this.local = this.remote = undefined;
    this.readCount = this.writtenCount = 0;
    (this as unknown as { _undestroy(): void })._undestroy(); // as Node's net.Socket does
    this.read(0); // the first read of the new connection, as net.Socket's afterConnect
  }

  // ---- State ----

  get readyState(): ReadyState {
    if (this.isConnecting) return 'opening';
    if (this.destroyed || !this.established) return 'closed';
    const readable = !this.readableEnded; // 'end' (the peer's FIN, all data read) makes it writeOnly
    const writable = !this.writableEnded;
    if (readable && writable) return 'open';
    if (readable) return 'readOnly';
    if (writable) return 'writeOnly';
    return 'closed';
  }
  get connecting(): boolean {
    return this.isConnecting;
  }
  get pending(): boolean {
    return !this.established || this.destroyed;
  }
  get remoteAddress(): string | undefined {
    return this.remote?.address.toString();
  }
  get remotePort(): number | undefined {
    return this.remote?.port;
  }
  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.remote === undefined ? undefined : familyName(this.remote.address);
  }
  get localAddress(): string | undefined {
    return this.local?.address.toString();
  }
  get localPort(): number | undefined {
    return this.local?.port;
  }
  get localFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.local === undefined ? undefined : familyName(this.local.address);
  }
  get bytesRead(): number {
    return this.readCount;
  }
  get bytesWritten(): number {
    return this.writtenCount;
  }
  address(): AddressInfo | Record<string, never> {
    return this.local === undefined ? {} : { address: this.local.address.toString(), family: familyName(this.local.address), port: this.local.port };
  }

  // ---- Options ----

  /**
   * Idle timeout: 'timeout' after `ms` without reads or writes (0 disables). Does not close.
   * Runs on the stack's clock (so under ManualClock too); without a stack, on a Node timer.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`timeout must be a finite number >= 0, got ${String(ms)}`);
    if (callback !== undefined && typeof callback !== 'function') throw new InvalidArgumentError('timeout callback must be a function');
    if (ms === 0) {
      this.idleTimer?.set(0);
      if (callback !== undefined) this.removeListener('timeout', callback);
      return this;
    }
    if (callback !== undefined) this.once('timeout', callback);
    if (this.destroyed) return this;
    this.idleTimer ??= new IdleTimer(this.stack ?? nodeTimerHost(), () => process.nextTick(() => !this.destroyed && this.emit('timeout')));
    this.idleTimer.set(ms);
    return this;
  }

  /** The idle timeout in ms (0: none). */
  get timeout(): number {
    return this.idleTimer?.timeout ?? 0;
  }

  /** Disable Nagle (RFC 9293 §3.7.4); may be called before connect. */
  setNoDelay(noDelay = true): this {
    this.noDelayWanted = Boolean(noDelay);
    if (this.handle !== undefined && !this.handle.closed) this.handle.setNoDelay(this.noDelayWanted);
    return this;
  }

  /** Keepalive probes after `initialDelay` ms idle (0 keeps the previous/default delay); may be called before connect. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (typeof initialDelay !== 'number' || !(initialDelay >= 0)) throw new InvalidArgumentError(`initialDelay must be a number >= 0, got ${String(initialDelay)}`);
    this.keepAliveWanted = { enable: Boolean(enable), initialDelay: initialDelay > 0 ? initialDelay : this.keepAliveWanted.initialDelay };
    if (this.handle !== undefined && !this.handle.closed) this.handle.setKeepAlive(this.keepAliveWanted.enable, this.keepAliveWanted.initialDelay);
    return this;
  }

  /** Close with a RST at once, whatever the state (modern Node's resetAndDestroy). 'close'(false). */
  resetAndDestroy(): this {
    if (this.handle !== undefined && !this.handle.closed) this.handle.abort();
    return this.destroy();
  }

  // ---- Writing ----

  /** true when the TCP send buffer took all of it, false when some waits in user space. */
  override write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    const wanted = super.write(chunk, encoding as BufferEncoding, callback);
    // Node decides before _write runs; our _write may have placed the whole chunk at once.
    return wanted || (this.writableLength === 0 && !this.destroyed && !this.writableEnded);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.pendingWrite = { bytes: chunk, callback };
    this.continueWrite();
  }

  override _final(callback: WriteCallback): void {
    this.pendingFinal = callback;
    this.continueFinal();
  }

  /** Where the data path reads and writes: the TLS transport of a secure stream, else the TCP handle. */
  private get transport(): ByteTransport | undefined {
    return this.secure?.transport ?? this.handle;
  }

  private continueWrite(): void {
    const pending = this.pendingWrite;
    const transport = this.transport;
    if (pending === undefined || transport === undefined || !this.established) return;
    const accepted = transport.write(pending.bytes);
    this.writtenCount += accepted;
    if (accepted > 0) this.touch();
    if (accepted >= pending.bytes.length) {
      this.pendingWrite = undefined;
      pending.callback();
    } else {
      pending.bytes = pending.bytes.subarray(accepted); // the rest goes on 'writable'
    }
  }

  private continueFinal(): void {
    const callback = this.pendingFinal;
    const transport = this.transport;
    if (callback === undefined || transport === undefined || !this.established) return;
    if (!this.finSent) {
      this.finSent = true;
      transport.shutdown(); // RFC 9293 §3.10.4: FIN after the queued data (half-close); TLS: close_notify first
    }
    if (transport.shutdownPending === true) return; // TLS records still waiting for room in the TCP send buffer
    this.pendingFinal = undefined;
    callback();
  }

  // ---- Reading ----

  override _read(): void {
    this.readWanted = true;
    this.pull();
  }

  private pull(): void {
    const transport = this.transport;
    if (transport === undefined || !this.established || this.destroyed) return;
    if (this.readWanted) {
      const taken = transport.readWhile((chunk) => {
        this.readCount += chunk.length;
        const more = this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
        if (!more) this.readWanted = false;
        return more && !this.destroyed;
      });
      if (taken > 0) this.touch();
    }
    if (!this.eofPushed && transport.peerFinished && transport.readableLength === 0) {
      this.eofPushed = true;
      this.push(null); // the peer's FIN: 'end' once everything has been read
    }
  }

  // ---- Events from the TCP layer ----

  /** @internal Called by the TcpLayer, never reentrantly; the reaction runs in a nextTick. */
  onTcpEvent(event: TcpEvent): void {
    switch (event.type) {
      case 'error':
        this.tcpError ??= event.code;
        break;
      case 'closed':
        this.connectionGone = true;
        break;
      case 'state':
        return;
      default:
        break;
    }
    this.queueService();
  }

  private queueService(): void {
    if (this.serviceQueued) return;
    this.serviceQueued = true;
    process.nextTick(() => {
      this.serviceQueued = false;
      this.service();
    });
  }

  private service(): void {
    const handle = this.handle;
    if (this.destroyed || handle === undefined) return;
    if (this.isConnecting && isEstablished(handle)) {
      this.isConnecting = false;
      this.established = true;
      this.rememberEndpoints(handle);
      this.touch();
      this.emit('connect');
      this.emit('ready');
    }
    if (this.destroyed) return;
    if (this.established) this.secure?.transport.pump(); // TLS: the handshake and queued records move on
    this.continueWrite();
    this.continueFinal();
    this.pull();
    const unreachable = tcpLayerOf(this.stack!).icmpErrorOf(handle); // Linux: reported instead of ETIMEDOUT
    if (this.tcpError !== undefined) {
      // A TLS failure read before the reset (the peer's alert, then its RST) is the better reason.
      this.destroy(this.secure?.transport.failed ?? this.errorFor(this.tcpError === 'ETIMEDOUT' ? (unreachable ?? 'ETIMEDOUT') : this.tcpError));
    } else if (this.connectionGone && this.isConnecting && unreachable !== undefined) {
      this.destroy(this.errorFor(unreachable)); // ICMP unreachable in SYN-SENT
    } else if (this.connectionGone && !(handle.peerFinished && this.finSent)) {
      // Closed under us without an error of its own: the stack is being torn down. Like
      // destroy(): 'close'(false), no 'error' that nobody may be listening for.
      this.destroy();
    }
  }

  private errorFor(code: NetErrorCode): NetError {
    const syscall = this.isConnecting ? 'connect' : this.pendingWrite !== undefined && code !== 'ECONNRESET' ? 'write' : 'read';
    const address = this.remote?.address.toString() ?? this.target?.host;
    return new NetError(code, syscall, address, this.remote?.port ?? this.target?.port);
  }

  // ---- Secure streams (TLS 1.3: src/net/secure.ts) ----

  /** Start TLS: client after connect(), server side in the 'connection' handler. 'secure' follows. */
  setSecure(credentials?: Credentials, options: SecureOptions = {}): this {
    if (this.secure !== undefined) throw new InvalidStateError('setSecure() was already called on this stream');
    if (this.destroyed || (this.handle === undefined && !this.isConnecting)) throw new InvalidStateError('setSecure() needs a connecting or connected stream');
    const role = this.target === undefined ? 'server' : 'client';
    const engine = createEngine(role, credentials, options, this.target); // bad credentials throw now
    const start = (handle: TcpSocketHandle): void => {
      this.secure = new SecureSession(this, handle, engine, () => this.queueService());
      this.queueService();
    };
    if (this.handle !== undefined) start(this.handle);
    else this.prependOnceListener('connect', () => this.handle !== undefined && start(this.handle)); // a name still resolving
    return this;
  }
  /** true when the peer's certificate verified (chain to the CAs, dates, host name). */
  verifyPeer(): boolean {
    return sessionOf(this.secure, 'verifyPeer').verifyPeer();
  }
  /** The peer's leaf certificate in Node's shape, or {} before the handshake / without one. */
  getPeerCertificate(): PeerCertificate | Record<string, never> {
    return sessionOf(this.secure, 'getPeerCertificate').getPeerCertificate();
  }
  /** The TLS session of a secure stream (negotiated parameters, authorizationError), else undefined. */
  get secureSession(): SecureSession | undefined {
    return this.secure;
  }
  get encrypted(): boolean {
    return this.secure !== undefined;
  }

  // ---- Teardown ----

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.idleTimer?.set(0);
    this.isConnecting = false;
    const handle = this.handle;
    if (handle !== undefined && !handle.closed) {
      handle.owner = undefined;
      // A connection closed cleanly both ways is left to finish (LAST-ACK, TIME-WAIT); otherwise RST.
      if (!(handle.peerFinished && this.finSent)) handle.abort();
    }
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    this.hadError = error !== null && error !== undefined;
    callback(error);
    pending?.callback(error ?? new NetError('EPIPE', 'write', this.remoteAddress, this.remotePort));
    // After the 'error' that callback(error) scheduled: 'close' is always last.
    process.nextTick(() => {
      this.closeEmitted = true;
      this.emit('close', this.hadError);
    });
  }

  private touch(): void {
    this.idleTimer?.touch();
  }

  private rememberEndpoints(handle: TcpSocketHandle): void {
    this.local = { address: handle.localAddress, port: handle.localPort };
    this.remote = { address: handle.remoteAddress, port: handle.remotePort };
  }
}

export { Stream as Socket };

function isEstablished(handle: TcpSocketHandle): boolean {
  const state = handle.state;
  return state !== 'SYN-SENT' && state !== 'SYN-RECEIVED' && state !== 'CLOSED' && state !== 'LISTEN';
}

function familyName(address: IpAddress): 'IPv4' | 'IPv6' {
  return address.family === 4 ? 'IPv4' : 'IPv6';
}

/** Open a connection: `createConnection(stack, 80, '10.0.0.1', () => ...)` or `createConnection(stack, { port, host })`. */
export function createConnection(stack: NetStack, port: number | string | ConnectOptions, host?: string | (() => void), connectListener?: () => void): Stream {
  if (typeof port === 'object') return new Stream({ stack, allowHalfOpen: port.allowHalfOpen }).connect(port, typeof host === 'function' ? host : connectListener);
  return typeof host === 'function' ? new Stream({ stack }).connect(port, '127.0.0.1', host) : new Stream({ stack }).connect(port, host, connectListener);
}
