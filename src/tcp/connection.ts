/**
 * A TCP connection: the RFC 9293 state machine with no I/O. Segments and time go in, effects
 * come out; nothing here reads a clock, sets a timer or touches a device.
 *
 * ## Driving a connection (the TcpLayer's job)
 * - Create one: `TcpConnection.connect(params)` (active open: SYN-SENT, a SYN is queued) or,
 *   for a SYN that reached a listener, `TcpConnection.acceptSyn(syn, params)` (passive open:
 *   SYN-RECEIVED, a SYN-ACK is queued). The layer picks the ISS (`IsnGenerator`, RFC 6528) and
 *   the MSS from the route's MTU, and owns the 4-tuple demux, listeners, SYN backlog, accept
 *   queue, and the replies of closed ports and listeners (`replyToClosedPort`, `listenerVerdict`).
 * - Feed it: `onSegment(segment, now)` for every parsed segment of its 4-tuple (the payload may
 *   be a view valid only during the call: the connection copies what it keeps);
 *   `onIcmpError(report, now)` for ICMP errors quoting its segments;
 *   `poll(now)` when `pollAt()` is due (timers are data here: retransmit, persist, TIME-WAIT).
 * - After EVERY call into the connection (onSegment, poll, write, shutdown, abort, read), drain
 *   `takeSegments()` (TcpReprs to encode with `emitTcpSegment(repr, localAddress, remoteAddress)`;
 *   payloads are slices of the send buffer, valid until the next call) and `takeEvents()`, and
 *   re-read `pollAt()`. Nothing is sent or reported reentrantly, so event handlers may call
 *   back into the connection freely.
 * - Forget it on the 'closed' event (state CLOSED; TIME-WAIT ends with it too).
 *
 * ## Application side (the socket layer's job)
 * - `write(bytes)` → bytes accepted (bounded by the free send buffer; the rest is the caller's
 *   to retry after a 'writable' event). `shutdown()` sends our FIN after the queued data
 *   (half-close), `abort()` sends RST and closes at once.
 * - `read(maxBytes)` returns the next received chunk (or undefined): the bytes leave the receive
 *   buffer and the advertised window reopens. A reader that stops calling read() closes the
 *   window, which is how backpressure reaches the peer. `readableLength` counts unread bytes,
 *   `peerFinished` says whether the peer's FIN has arrived (end of stream once unread is 0).
 * - Options per connection: `setNoDelay(on)` (Nagle off, RFC 9293 §3.7.4), `setKeepAlive(enable,
 *   initialDelayMs)` (RFC 1122 §4.2.3.6), `setUserTimeout(ms)` (RFC 5482 semantics); the stack-wide
 *   defaults are in TcpConfig (noDelay, keepAlive*, userTimeout, delayedAckTimeout, congestionControl).
 * - Events: 'established', 'readable', 'peerFin', 'writable', 'error' (ECONNRESET, ECONNREFUSED,
 *   ETIMEDOUT), 'state' (every transition, for tracing), 'closed' (last event).
 */
import type { IpAddress } from '../ip/address.js';
import type { IcmpErrorReport } from '../ip/types.js';
import { applyIcmpError } from './icmp-errors.js';
import { adjustReceiveSpace } from './receive-autotune.js';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import type { TcpConfig } from './config.js';
import type { TcpRepr } from './segment.js';
import { Tcb, type TcpConnectionParams, type TcpEvent, type TcpState } from './tcb.js';
import { processSegment } from './connection-input.js';
import { abortConnection, sendOpeningSyn, transmit } from './connection-output.js';
import { nextDeadline, pollTimers, touchKeepalive } from './timers.js';
import { congestionWindow } from './recovery.js';
import { openFromSyn } from './handshake.js';

export type { TcpConnectionParams, TcpEvent, TcpState, TcpErrorCode } from './tcb.js';

export class TcpConnection {
  /** The control block: internal state, exposed read-only for tests and tracing. */
  readonly tcb: Tcb;

  private constructor(tcb: Tcb) {
    this.tcb = tcb;
  }

  /** Active open (RFC 9293 §3.10.1 OPEN call): SYN-SENT with a SYN queued. */
  static connect(params: TcpConnectionParams): TcpConnection {
    const tcb = new Tcb(params);
    sendOpeningSyn(tcb, params.now);
    return new TcpConnection(tcb);
  }

  /**
   * Passive open from a SYN that reached a listener (RFC 9293 §3.10.7.2, LISTEN state, SYN bit):
   * SYN-RECEIVED with a SYN-ACK queued. The caller has checked that `syn` carries SYN and
   * neither ACK nor RST (`listenerVerdict` returns 'accept').
   */
  static acceptSyn(syn: TcpRepr, params: TcpConnectionParams): TcpConnection {
    const tcb = new Tcb(params);
    openFromSyn(tcb, syn, params.now);
    return new TcpConnection(tcb);
  }

  get state(): TcpState {
    return this.tcb.state;
  }
  get localAddress(): IpAddress {
    return this.tcb.localAddress;
  }
  get localPort(): number {
    return this.tcb.localPort;
  }
  get remoteAddress(): IpAddress {
    return this.tcb.remoteAddress;
  }
  get remotePort(): number {
    return this.tcb.remotePort;
  }
  /** Unread received bytes. */
  get readableLength(): number {
    return this.tcb.receiveBuffer.unread;
  }
  /** Bytes queued for sending and not yet acknowledged. */
  get writableLength(): number {
    return this.tcb.sendBuffer.length;
  }
  /** Free space in the send buffer: what write() would accept now. */
  get writableSpace(): number {
    return this.tcb.canWrite() ? this.tcb.sendBuffer.free : 0;
  }
  /** True once the peer's FIN has been received in order (no more data will come). */
  get peerFinished(): boolean {
    return this.tcb.peerFinReceived;
  }

  /** The congestion window in bytes now (Infinity with congestionControl 'none'), for tracing. */
  get congestionWindow(): number {
    return congestionWindow(this.tcb);
  }

  /**
   * Nagle's algorithm off (true) or on (false, the default): with it off every write goes out at
   * once, however small (TCP_NODELAY). Turning it off flushes what Nagle was holding.
   */
  setNoDelay(noDelay: boolean, now?: number): void {
    this.tcb.noDelay = noDelay;
    if (noDelay && now !== undefined && this.tcb.state !== 'CLOSED') transmit(this.tcb, now);
  }

  /**
   * RFC 1122 §4.2.3.6 keepalive: probe after `initialDelayMs` idle (0 or absent: keep the
   * configured idle time), every keepAliveInterval, and fail with ETIMEDOUT after
   * keepAliveCount unanswered probes. The idle time counts from `now` when given, else from the
   * last segment received.
   */
  setKeepAlive(enable: boolean, initialDelayMs = 0, now?: number): void {
    if (!Number.isFinite(initialDelayMs) || initialDelayMs < 0) throw new InvalidArgumentError(`keepalive initial delay must be >= 0 ms, got ${initialDelayMs}`);
    this.tcb.keepAliveEnabled = enable;
    if (initialDelayMs > 0) this.tcb.keepAliveIdle = initialDelayMs;
    if (!enable) this.tcb.keepaliveAt = Infinity;
    else if (now !== undefined) touchKeepalive(this.tcb, now);
    else touchKeepalive(this.tcb, this.tcb.lastSegmentAt); // idle counted from the last segment received
  }

  /** RFC 5482 semantics: abort with ETIMEDOUT when sent data stays unacknowledged `ms` long (0: off). */
  setUserTimeout(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0) throw new InvalidArgumentError(`user timeout must be an integer >= 0 ms, got ${ms}`);
    this.tcb.userTimeout = ms;
  }

  /** A segment of this connection's 4-tuple arrived. Never throws for any segment. */
  onSegment(segment: TcpRepr, now: number): void {
    if (this.tcb.state === 'CLOSED') return;
    processSegment(this.tcb, segment, now);
    transmit(this.tcb, now);
  }

  /** An ICMP error quoting one of our segments (RFC 1122 §4.2.3.9, RFC 5927, RFC 1191). */
  onIcmpError(report: IcmpErrorReport, now: number): void {
    if (this.tcb.state === 'CLOSED') return;
    applyIcmpError(this.tcb, report);
    transmit(this.tcb, now);
  }

  /** Run the timers that are due at `now`. */
  poll(now: number): void {
    pollTimers(this.tcb, now);
    transmit(this.tcb, now);
  }

  /** When poll() must next be called (ms), or Infinity. */
  pollAt(): number {
    return nextDeadline(this.tcb);
  }

  /**
   * RFC 9293 §3.10.2 SEND call: queue bytes; returns how many were accepted (the send buffer is
   * bounded). The bytes are copied. Throws InvalidStateError after shutdown() or once closed.
   */
  write(bytes: Uint8Array, now: number): number {
    if (!this.tcb.canWrite()) throw new InvalidStateError(`cannot write to a TCP connection in state ${this.tcb.state}${this.tcb.finQueued ? ' after shutdown' : ''}`);
    const accepted = this.tcb.sendBuffer.write(bytes);
    if (accepted < bytes.length) this.tcb.writableWanted = true;
    transmit(this.tcb, now);
    return accepted;
  }

  /**
   * Read the next chunk of received data (at most maxBytes), or undefined when none is
   * buffered. Reading frees receive-buffer space: the window reopens (a window update is sent
   * when it grew enough, RFC 9293 §3.8.6.2.2).
   */
  read(maxBytes = Infinity, now?: number): Uint8Array | undefined {
    const chunk = this.tcb.receiveBuffer.read(maxBytes);
    if (chunk !== undefined && now !== undefined) this.flushWindowUpdate(now);
    return chunk;
  }

  /**
   * After reads without `now`, let the connection send the window update they may call for —
   * also when receive-buffer autotuning grew the buffer because the reader keeps up.
   */
  flushWindowUpdate(now: number): void {
    adjustReceiveSpace(this.tcb, now);
    transmit(this.tcb, now, { windowUpdateCheck: true });
  }

  /** RFC 9293 §3.10.4 CLOSE call: send our FIN after the queued data (half-close). Idempotent. */
  shutdown(now: number): void {
    this.tcb.requestClose(now);
    transmit(this.tcb, now);
  }

  /** RFC 9293 §3.10.5 ABORT call: send RST (in a synchronized state) and close at once. */
  abort(now: number): void {
    abortConnection(this.tcb, now);
  }

  /** Segments to send, in order (then cleared). */
  takeSegments(): TcpRepr[] {
    return this.tcb.takeSegments();
  }

  /** Events for the socket layer, in order (then cleared). */
  takeEvents(): TcpEvent[] {
    return this.tcb.takeEvents();
  }
}
