/**
 * The socket layer's grip on one connection. Every call goes into the TcpConnection and then
 * back through the layer (`settle`), which sends the queued segments, reports the events and
 * refiles the connection's deadline — the contract of src/tcp/connection.ts.
 */
import type { IpAddress } from '../ip/address.js';
import type { TcpConnection, TcpEvent, TcpState } from './connection.js';
import type { HeapItem } from './deadline-heap.js';
import type { TcpListener } from './listener.js';

/** Who hears a connection's events (a Stream). Called after segments went out, never reentrantly. */
export interface TcpConnectionOwner {
  onTcpEvent(event: TcpEvent): void;
}

/** The part of TcpLayer a handle calls back into. */
export interface TcpHandleHost {
  now(): number;
  settle(handle: TcpSocketHandle): void;
}

export class TcpSocketHandle implements HeapItem {
  deadline = Infinity;
  heapIndex = -1;
  owner: TcpConnectionOwner | undefined;
  /** The listener this passive connection came from, until it is accepted (or dies). */
  listener: TcpListener<TcpSocketHandle> | undefined;
  /** Established and waiting in the listener's accept queue. */
  queued = false;
  /** The connection has reached CLOSED and left the layer's tables. */
  closed = false;
  /** Its local port came from the ephemeral range (released when it closes). */
  ephemeral = false;
  /** The acknowledgment number of the last ACK-carrying segment sent (or held) for it. */
  lastAckSent: number | undefined = undefined;

  constructor(
    private readonly host: TcpHandleHost,
    /** The demux key (local address|port|remote address|port). */
    readonly key: string,
    readonly connection: TcpConnection,
  ) {}

  get state(): TcpState {
    return this.connection.state;
  }
  get localAddress(): IpAddress {
    return this.connection.localAddress;
  }
  get localPort(): number {
    return this.connection.localPort;
  }
  get remoteAddress(): IpAddress {
    return this.connection.remoteAddress;
  }
  get remotePort(): number {
    return this.connection.remotePort;
  }
  get readableLength(): number {
    return this.connection.readableLength;
  }
  get writableSpace(): number {
    return this.closed ? 0 : this.connection.writableSpace;
  }
  get writableLength(): number {
    return this.connection.writableLength;
  }
  get peerFinished(): boolean {
    return this.connection.peerFinished;
  }

  /** Queue bytes for sending; returns how many the send buffer took (0 once it cannot take any). */
  write(bytes: Uint8Array): number {
    // A write the buffer cannot take at all still goes in: the connection then owes a 'writable'.
    if (this.closed || !this.connection.tcb.canWrite()) return 0;
    const accepted = this.connection.write(bytes, this.host.now());
    this.host.settle(this);
    return accepted;
  }

  /**
   * Read received chunks while `take` returns true (and data remains), then let the window
   * reopen with a single window update. Returns the number of bytes read.
   */
  readWhile(take: (chunk: Uint8Array) => boolean, maxBytes = Infinity): number {
    let total = 0;
    for (;;) {
      // As connection.read(maxBytes), but segments that lie back to back come out as one chunk.
      const chunk = this.connection.tcb.receiveBuffer.readContiguous(maxBytes);
      if (chunk === undefined) break;
      total += chunk.length;
      if (!take(chunk)) break;
    }
    if (total > 0 && !this.closed) {
      this.connection.flushWindowUpdate(this.host.now());
      this.host.settle(this);
    }
    return total;
  }

  /** Nagle off (true) or on (RFC 9293 §3.7.4). */
  setNoDelay(noDelay: boolean): void {
    if (this.closed) return;
    this.connection.setNoDelay(noDelay, this.host.now());
    this.host.settle(this);
  }

  /** Keepalive probes after `initialDelayMs` idle (0: the configured default), RFC 1122 §4.2.3.6. */
  setKeepAlive(enable: boolean, initialDelayMs: number): void {
    if (this.closed) return;
    this.connection.setKeepAlive(enable, initialDelayMs, this.host.now());
    this.host.settle(this);
  }

  /** Our FIN after the queued data (half-close). */
  shutdown(): void {
    if (this.closed) return;
    this.connection.shutdown(this.host.now());
    this.host.settle(this);
  }

  /** RST (when synchronized) and CLOSED at once. */
  abort(): void {
    if (this.closed) return;
    this.connection.abort(this.host.now());
    this.host.settle(this);
  }
}
