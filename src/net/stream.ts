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
import { resolveHost, tcpLayerOf, validatePort, type NetStack } from './layer-of.js';

export type ReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';

export interface StreamOptions {
  /** The stack to connect through (needed by connect()). */
  stack?: NetStack;
  /** Stay half-open after the peer's FIN until end() is called (default true, as net.Stream). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  /** Bytes held in user space before write() says false (default 1: the TCP send buffer is the buffer). */
  writableHighWaterMark?: number;
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
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private noDelayWanted = false;
  private keepAliveWanted: { enable: boolean; initialDelay: number } = { enable: false, initialDelay: 0 };

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

  /** Open a connection to host:port (default the stack's loopback, 127.0.0.1). */
  connect(port: number | string, host = '127.0.0.1', connectListener?: () => void): this {
    if (this.stack === undefined) throw new InvalidStateError('a Stream needs { stack } to connect');
    if (this.handle !== undefined || this.isConnecting || this.destroyed) throw new InvalidStateError('the Stream is already connected or closed');
    const remotePort = validatePort(port, 'port', false);
    if (typeof host !== 'string') throw new InvalidArgumentError(`host must be a string, got ${typeof host}`);
    if (connectListener !== undefined) this.once('connect', connectListener);
    this.target = { host, port: remotePort };
    this.isConnecting = true;
    const address = resolveHost(host);
    if (address === undefined) {
      process.nextTick(() => this.destroy(new NetError('ENOTFOUND', 'getaddrinfo', host)));
      return this;
    }
    const result = tcpLayerOf(this.stack).connect({ remoteAddress: address, remotePort }, this);
    if (typeof result === 'string') {
      process.nextTick(() => this.destroy(new NetError(result, 'connect', address.toString(), remotePort)));
      return this;
    }
    this.handle = result;
    this.rememberEndpoints(result);
    if (this.noDelayWanted) result.setNoDelay(true);
    if (this.keepAliveWanted.enable) result.setKeepAlive(true, this.keepAliveWanted.initialDelay);
    return this;
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

  /** Idle timeout: 'timeout' after `ms` without reads or writes (0 disables). Does not close. */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`timeout must be a finite number >= 0, got ${String(ms)}`);
    if (callback !== undefined && typeof callback !== 'function') throw new InvalidArgumentError('timeout callback must be a function');
    this.idleMs = ms;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (ms === 0) {
      if (callback !== undefined) this.removeListener('timeout', callback);
      return this;
    }
    if (callback !== undefined) this.once('timeout', callback);
    if (!this.destroyed) this.idleTimer = setTimeout(() => this.emit('timeout'), ms);
    return this;
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

  private continueWrite(): void {
    const pending = this.pendingWrite;
    const handle = this.handle;
    if (pending === undefined || handle === undefined || !this.established) return;
    const accepted = handle.write(pending.bytes);
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
    if (callback === undefined || this.handle === undefined || !this.established) return;
    this.pendingFinal = undefined;
    this.finSent = true;
    this.handle.shutdown(); // RFC 9293 §3.10.4: FIN after the queued data (half-close)
    callback();
  }

  // ---- Reading ----

  override _read(): void {
    this.readWanted = true;
    this.pull();
  }

  private pull(): void {
    const handle = this.handle;
    if (handle === undefined || !this.established || this.destroyed) return;
    if (this.readWanted) {
      const taken = handle.readWhile((chunk) => {
        this.readCount += chunk.length;
        const more = this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
        if (!more) this.readWanted = false;
        return more && !this.destroyed;
      });
      if (taken > 0) this.touch();
    }
    if (!this.eofPushed && handle.peerFinished && handle.readableLength === 0) {
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
    this.continueWrite();
    this.continueFinal();
    this.pull();
    if (this.tcpError !== undefined) {
      this.destroy(this.errorFor(this.tcpError));
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

  // ---- Teardown ----

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
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
    process.nextTick(() => this.emit('close', this.hadError));
  }

  private touch(): void {
    if (this.idleMs > 0 && this.idleTimer !== undefined) this.idleTimer.refresh();
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

/** Open a connection: `createConnection(stack, 80, '10.0.0.1', () => ...)`. */
export function createConnection(stack: NetStack, port: number | string, host = '127.0.0.1', connectListener?: () => void): Stream {
  return new Stream({ stack }).connect(port, host, connectListener);
}
