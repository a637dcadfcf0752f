/**
 * The TCP layer of a stack: the ProtocolHandler for IP protocol 6 and the driver of every
 * TcpConnection (see the contract at the top of connection.ts). It owns the 4-tuple demux, the
 * listeners with their SYN backlog and accept queue, the replies of closed ports, ISS choice
 * (RFC 6528), ephemeral ports, MSS from the route's MTU, and one deadline heap for all timers.
 */
import { resolveTcpConfig, type TcpConfig } from './config.js';
import { TcpConnection, type TcpConnectionParams, type TcpEvent } from './connection.js';
import { listenerVerdict, replyToClosedPort } from './closed-port.js';
import { DeadlineHeap } from './deadline-heap.js';
import { mssForMtu, routeFor, isLocalAddress, type TcpHost } from './host.js';
import { IsnGenerator } from './isn.js';
import { ListenerTable, TcpListener, type AnyDestination, type ListenAddress, type ListenerOwner } from './listener.js';
import { emitTcpSegment, parseTcpSegment, TcpFlags, type TcpRepr } from './segment.js';
import { TcpSocketHandle, type TcpConnectionOwner, type TcpHandleHost } from './socket-handle.js';
import { IpAddress } from '../ip/address.js';
import { IP_PROTOCOL, type IcmpErrorReport, type IpDatagram, type NetInterface } from '../ip/types.js';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import type { Pollable } from '../timers.js';
import { readUint32 } from './options.js';
import { seqBetween } from './seq.js';

export { TcpSocketHandle, type TcpConnectionOwner } from './socket-handle.js';
export { TcpListener, type ListenerOwner, type ListenAddress, type AnyDestination, type SegmentEndpoints } from './listener.js';

export const EPHEMERAL_PORT_FIRST = 49152;
/** IP header bytes reserved before each emitted segment (IPv4 without options, IPv6 fixed header). */
const IPV4_HEADER_ROOM = 20;
const IPV6_HEADER_ROOM = 40;
export const EPHEMERAL_PORT_LAST = 65535;

export interface TcpLayerOptions {
  /** Connection options (buffer sizes, RTO bounds, MSL...). */
  readonly config?: Partial<TcpConfig>;
  /** Half-open connections per listener (SYN backlog); default 256. */
  readonly synBacklog?: number;
  /** Default accept-queue length when listen() gives no backlog; default 511 (as Node). */
  readonly acceptQueue?: number;
  /** RFC 6528 secret (≥ 16 bytes); default random per layer. */
  readonly isnSecret?: Uint8Array;
  /** Random numbers in [0, 1) for the ephemeral port search start; default Math.random. */
  readonly random?: () => number;
}

export interface ConnectRequest {
  readonly remoteAddress: IpAddress;
  readonly remotePort: number;
  readonly localAddress?: IpAddress;
  readonly localPort?: number;
  /** Per-connection overrides of the layer's config. */
  readonly config?: Partial<TcpConfig>;
}

export type ConnectFailure = 'ENETUNREACH' | 'EADDRINUSE' | 'EADDRNOTAVAIL';
export type ListenFailure = 'EADDRINUSE' | 'EADDRNOTAVAIL';

type Delivery = { readonly handle: TcpSocketHandle; readonly event: TcpEvent } | { readonly listener: TcpListener<TcpSocketHandle> };

/** One TCP layer per stack: the layer of a stack, whoever created it first. */
const layersByHost = new WeakMap<TcpHost, TcpLayer>();

export class TcpLayer implements Pollable, TcpHandleHost {
  /** The stack's TCP layer, created (with `options`) on first use. */
  static of(host: TcpHost, options?: TcpLayerOptions): TcpLayer {
    return layersByHost.get(host) ?? new TcpLayer(host, options);
  }

  /** The stack's TCP layer if one was created. */
  static existing(host: TcpHost): TcpLayer | undefined {
    return layersByHost.get(host);
  }

  readonly config: TcpConfig;
  private readonly connections = new Map<string, TcpSocketHandle>();
  private readonly listeners = new ListenerTable<TcpSocketHandle>();
  private readonly heap = new DeadlineHeap<TcpSocketHandle>();
  private readonly isn: IsnGenerator;
  /** Local ports of active opens (ephemeral or bound), with the number of connections on each. */
  private readonly boundPorts = new Map<number, number>();
  private readonly synBacklog: number;
  private readonly defaultAcceptQueue: number;
  private readonly random: () => number;
  private readonly deliveries: Delivery[] = [];
  /** The connection of the last segment demultiplexed (a cache: checked before use). */
  private recentHandle: TcpSocketHandle | undefined;
  /** Inside an inbound batch (between receive() and the IP layer's endOfBatch). */
  private inBatch = false;
  /** Pure ACKs held until the end of the inbound batch, one per connection (see output()). */
  private readonly heldAcks = new Map<TcpSocketHandle, TcpRepr>();
  private delivering = false;
  private reportedPollAt = Infinity;
  private closed = false;
  private timeWaitCount = 0;
  private reportedBusy = false;
  /** Unreachable errors from ICMP, per connection (RFC 1122 §4.2.3.9 soft errors). */
  private readonly icmpErrors = new WeakMap<TcpSocketHandle, UnreachableError>();
  /** Interfaces this layer made promiscuous for its any-destination listeners. */
  private readonly promiscuousIfaces = new Set<NetInterface>();

  constructor(
    private readonly host: TcpHost,
    options: TcpLayerOptions = {},
  ) {
    if (layersByHost.has(host)) throw new InvalidStateError('this stack already has a TCP layer (use TcpLayer.of(stack))');
    this.config = resolveTcpConfig(options.config);
    this.synBacklog = positive('synBacklog', options.synBacklog ?? 256);
    this.defaultAcceptQueue = positive('acceptQueue', options.acceptQueue ?? 511);
    this.isn = new IsnGenerator(options.isnSecret);
    this.random = options.random ?? Math.random;
    host.ip.registerProtocol(IP_PROTOCOL.TCP, {
      receive: (datagram, now) => this.receive(datagram, now),
      receiveIcmpError: (report, now) => this.receiveIcmpError(report, now),
      endOfBatch: () => this.releaseHeldAcks(),
    });
    host.addPollable(this);
    layersByHost.set(host, this);
  }

  /** Connections in the demux table (TIME-WAIT ones included). */
  get connectionCount(): number {
    return this.connections.size;
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  /**
   * Listeners plus connections an application may still be waiting on (TIME-WAIT excluded):
   * what would keep a process with kernel sockets alive. The stack holds the event loop open
   * while this is above zero.
   */
  get openSocketCount(): number {
    return this.closed ? 0 : this.listeners.size + this.connections.size - this.timeWaitCount;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  now(): number {
    return this.host.clock.now();
  }

  // ---- Input ----

  /** A TCP datagram addressed to this stack. Never throws for any input. */
  receive(datagram: IpDatagram, now: number): void {
    if (this.closed) return;
    this.inBatch = true;
    const segment = parseTcpSegment(datagram.payload, datagram.src, datagram.dst);
    if (typeof segment === 'string') {
      this.host.counters.drop('tcp', segment);
      return;
    }
    // Segments come in runs for one connection: try the last one first. Received addresses are
    // shared objects (ipv4AddressAt), so a hit is identity, without building the demux key.
    const recent = this.recentHandle;
    if (
      recent !== undefined &&
      !recent.closed &&
      recent.localPort === segment.dstPort &&
      recent.remotePort === segment.srcPort &&
      recent.localAddress === datagram.dst &&
      recent.remoteAddress === datagram.src
    ) {
      recent.connection.onSegment(segment, now);
      this.settle(recent);
      return;
    }
    // RFC 9293 §3.9.1 / RFC 1122 §4.2.3.10: no TCP to or from broadcast/multicast addresses.
    if (datagram.dst.isMulticast || datagram.dst.isBroadcast || datagram.src.isMulticast || datagram.src.isUnspecified) {
      this.host.counters.drop('tcp', 'badAddress');
      return;
    }
    const handle = this.connections.get(connectionKey(datagram.dst, segment.dstPort, datagram.src, segment.srcPort));
    if (handle !== undefined) {
      this.recentHandle = handle;
      handle.connection.onSegment(segment, now);
      this.settle(handle);
      return;
    }
    this.host.counters.count('tcp.segmentsIn');
    const endpoints = { dst: datagram.dst, dstPort: segment.dstPort, src: datagram.src, srcPort: segment.srcPort, iface: datagram.iface };
    const listener = this.listeners.lookup(datagram.dst, segment.dstPort, endpoints);
    if (listener !== undefined) this.toListener(listener, segment, datagram, now);
    else this.toClosedPort(segment, datagram);
  }

  /** RFC 9293 §3.10.7.1: no socket — answer with a RST (none for a RST). */
  private toClosedPort(segment: TcpRepr, datagram: IpDatagram): void {
    this.host.counters.drop('tcp', 'tcpNoSocket');
    const reply = replyToClosedPort(segment);
    if (reply !== undefined) this.sendReset(reply, datagram);
  }

  /** RFC 9293 §3.10.7.2: a segment for a listener. */
  private toListener(listener: TcpListener<TcpSocketHandle>, segment: TcpRepr, datagram: IpDatagram, now: number): void {
    const verdict = listenerVerdict(segment);
    if (verdict === 'drop') {
      this.host.counters.count('tcp.listenDropped');
      return;
    }
    if (verdict !== 'accept') {
      this.sendReset(verdict, datagram);
      return;
    }
    if (listener.halfOpen >= listener.synBacklogLimit) {
      this.host.counters.drop('tcp', 'tcpBacklogFull');
      return;
    }
    if (listener.acceptQueue.length >= listener.acceptQueueLimit) {
      this.host.counters.drop('tcp', 'tcpAcceptQueueFull');
      return;
    }
    const params = this.connectionParams(datagram.dst, segment.dstPort, datagram.src, segment.srcPort, mssForMtu(datagram.iface.mtu, datagram.family), this.config, now);
    const handle = new TcpSocketHandle(this, connectionKey(datagram.dst, segment.dstPort, datagram.src, segment.srcPort), TcpConnection.acceptSyn(segment, params));
    handle.listener = listener;
    listener.halfOpen++;
    this.connections.set(handle.key, handle);
    this.noteOccupancy();
    this.host.counters.count('tcp.passiveOpens');
    this.settle(handle);
  }

  private sendReset(reply: TcpRepr, datagram: IpDatagram): void {
    this.host.counters.count('tcp.resetsOut');
    this.host.counters.count('tcp.segmentsOut');
    this.transmit(reply, datagram.dst, datagram.src);
  }

  /** An ICMP error quoting one of our segments (we were its source): handed to its connection. */
  receiveIcmpError(report: IcmpErrorReport, now: number): void {
    if (this.closed) return;
    const quoted = report.originalPayload;
    if (quoted.length < 4) return;
    const localPort = (quoted[0]! << 8) | quoted[1]!;
    const remotePort = (quoted[2]! << 8) | quoted[3]!;
    const handle = this.connections.get(connectionKey(report.originalSrc, localPort, report.originalDst, remotePort));
    if (handle === undefined) {
      this.host.counters.count('tcp.icmpErrorsNoSocket');
      return;
    }
    const reachError = unreachableError(report.kind);
    // RFC 5927 §4.1: only a report quoting a sequence number we have in flight counts.
    const tcb = handle.connection.tcb;
    const inWindow = quoted.length >= 8 && seqBetween(tcb.sndUna, readUint32(quoted, 4), tcb.sndMax);
    if (reachError !== undefined && inWindow) {
      // RFC 1122 §4.2.3.9 calls these soft errors; like Linux (tcp_v4_err), an attempt still in
      // SYN-SENT fails at once, and a synchronized connection keeps the error to report instead
      // of ETIMEDOUT if it later times out.
      this.icmpErrors.set(handle, reachError);
      if (handle.state === 'SYN-SENT') {
        this.host.counters.count('tcp.connectUnreachable');
        handle.connection.abort(now);
        this.settle(handle);
        return;
      }
    }
    handle.connection.onIcmpError(report, now);
    this.settle(handle);
  }

  /** The unreachable error an ICMP report left on this connection (EHOSTUNREACH/ENETUNREACH), if any. */
  icmpErrorOf(handle: TcpSocketHandle): UnreachableError | undefined {
    return this.icmpErrors.get(handle);
  }

  // ---- Timers ----

  /**
   * The deadline the stack's wake-up is armed for: never later than the earliest connection
   * deadline, but allowed to be earlier (see settle()).
   */
  pollAt(): number {
    return this.closed ? Infinity : this.reportedPollAt;
  }

  poll(now: number): void {
    // Bounded: each connection polled runs its due timers and is refiled at a later deadline.
    for (let budget = this.heap.size * 2 + 16; budget > 0 && this.heap.earliest() <= now; budget--) {
      const handle = this.heap.peek()!;
      this.heap.update(handle, Infinity);
      handle.connection.poll(now);
      this.settle(handle);
    }
    this.reportedPollAt = this.heap.earliest();
  }

  // ---- Opening ----

  /** Active open (RFC 9293 §3.10.1): a SYN goes out; `owner` hears the events. */
  connect(request: ConnectRequest, owner: TcpConnectionOwner): TcpSocketHandle | ConnectFailure {
    if (this.closed) throw new InvalidStateError('the TCP layer is closed');
    checkPort('remotePort', request.remotePort, false);
    const route = routeFor(this.host, request.remoteAddress);
    if (route === undefined) return 'ENETUNREACH';
    const localAddress = request.localAddress ?? route.src;
    if (request.localAddress !== undefined && !isLocalAddress(this.host, localAddress)) return 'EADDRNOTAVAIL';
    let localPort = request.localPort;
    if (localPort === undefined || localPort === 0) {
      localPort = this.allocateEphemeralPort();
      if (localPort === undefined) return 'EADDRNOTAVAIL';
    }
    checkPort('localPort', localPort, false);
    const key = connectionKey(localAddress, localPort, request.remoteAddress, request.remotePort);
    if (this.connections.has(key)) return 'EADDRINUSE';
    const config = request.config === undefined ? this.config : resolveTcpConfig({ ...this.config, ...request.config });
    const params = this.connectionParams(localAddress, localPort, request.remoteAddress, request.remotePort, mssForMtu(route.mtu, request.remoteAddress.family), config, this.now());
    const handle = new TcpSocketHandle(this, key, TcpConnection.connect(params));
    handle.owner = owner;
    handle.ephemeral = true;
    this.boundPorts.set(localPort, (this.boundPorts.get(localPort) ?? 0) + 1);
    this.connections.set(key, handle);
    this.noteOccupancy();
    this.host.counters.count('tcp.activeOpens');
    this.settle(handle);
    return handle;
  }

  /**
   * Passive open (RFC 9293 §3.10.1): listen on `port` (0 = an ephemeral one) at one address or
   * any address. `backlog` bounds the accept queue.
   */
  listen(local: ListenAddress, port: number, owner: ListenerOwner, backlog?: number): TcpListener<TcpSocketHandle> | ListenFailure {
    if (this.closed) throw new InvalidStateError('the TCP layer is closed');
    checkPort('port', port, true);
    if (local.kind === 'one' && !isLocalAddress(this.host, local.address)) return 'EADDRNOTAVAIL';
    if (port === 0) {
      const free = this.allocateEphemeralPort();
      if (free === undefined) return 'EADDRINUSE';
      port = free;
    }
    if (this.listeners.conflicts(local, port)) return 'EADDRINUSE';
    const limit = backlog === undefined || !(backlog > 0) ? this.defaultAcceptQueue : Math.floor(backlog);
    const listener = new TcpListener<TcpSocketHandle>(local, port, limit, this.synBacklog, owner);
    this.listeners.add(listener);
    this.noteOccupancy();
    return listener;
  }

  /**
   * An any-destination listener: connections to every address and port (arriving on
   * `options.iface`, or any interface) that no bound listener takes and `options.accepts`
   * lets through. The IP layer is told to accept TCP for foreign destinations on that
   * interface (its explicit promiscuous opt-in) while such a listener exists.
   */
  listenAnyDestination(owner: ListenerOwner, options: AnyDestination & { readonly backlog?: number } = {}): TcpListener<TcpSocketHandle> {
    if (this.closed) throw new InvalidStateError('the TCP layer is closed');
    const limit = options.backlog === undefined || !(options.backlog > 0) ? this.defaultAcceptQueue : Math.floor(options.backlog);
    const listener = new TcpListener<TcpSocketHandle>({ kind: 'any', family: 'both' }, 0, limit, this.synBacklog, owner);
    listener.anyDestination = { iface: options.iface, accepts: options.accepts };
    this.listeners.add(listener);
    this.updatePromiscuous();
    this.noteOccupancy();
    return listener;
  }

  /** Foreign destinations are accepted for TCP exactly on the interfaces of any-destination listeners. */
  private updatePromiscuous(): void {
    const ip = this.host.ip as TcpHost['ip'] & { setPromiscuous?(target: NetInterface | 'all', enabled: boolean): void };
    if (ip.setPromiscuous === undefined) return;
    const wanted = this.listeners.anyDestinationListeners.map((listener) => listener.anyDestination!.iface ?? ('all' as const));
    ip.setPromiscuous('all', wanted.includes('all'));
    for (const iface of this.promiscuousIfaces) if (!wanted.includes(iface)) ip.setPromiscuous(iface, false);
    this.promiscuousIfaces.clear();
    for (const target of wanted) {
      if (target === 'all') continue;
      ip.setPromiscuous(target, true);
      this.promiscuousIfaces.add(target);
    }
  }

  /** Take the next established connection of `listener`; the caller sets its owner at once. */
  accept(listener: TcpListener<TcpSocketHandle>, owner?: TcpConnectionOwner): TcpSocketHandle | undefined {
    const handle = listener.acceptQueue.shift();
    if (handle === undefined) return undefined;
    handle.queued = false;
    handle.listener = undefined;
    handle.owner = owner;
    return handle;
  }

  /** Stop listening: connections not yet accepted (queued or half-open) are reset. */
  unlisten(listener: TcpListener<TcpSocketHandle>): void {
    if (listener.closed) return;
    listener.closed = true;
    this.listeners.remove(listener);
    if (listener.anyDestination !== undefined) this.updatePromiscuous();
    this.noteOccupancy();
    for (const handle of [...this.connections.values()]) if (handle.listener === listener) handle.abort();
  }

  /** Orderly teardown of the layer: every connection aborted (RST), listeners closed, no timer left. */
  close(): void {
    if (this.closed) return;
    for (const listener of this.listeners.all()) this.unlisten(listener);
    for (const handle of [...this.connections.values()]) handle.abort();
    this.closed = true;
    this.heldAcks.clear();
    this.heap.clear();
    this.connections.clear();
    this.timeWaitCount = 0;
    this.boundPorts.clear();
    this.host.removePollable?.(this);
    this.host.reschedule();
  }

  /** Tell the stack when the layer goes from idle to holding open sockets, or back. */
  private noteOccupancy(): void {
    const busy = this.openSocketCount > 0;
    if (busy === this.reportedBusy) return;
    this.reportedBusy = busy;
    this.host.reschedule();
  }

  // ---- The driver: after every call into a connection ----

  /** Send what the connection queued, report its events, refile its deadline. */
  settle(handle: TcpSocketHandle): void {
    const connection = handle.connection;
    // Bounded: only the layer's own abort (accept queue full) adds a second round.
    for (let round = 0; round < 4; round++) {
      for (const segment of connection.takeSegments()) this.output(handle, segment);
      const events = connection.takeEvents();
      if (events.length === 0) break;
      for (const event of events) {
        this.track(handle, event);
        this.deliveries.push({ handle, event });
      }
    }
    this.heap.update(handle, handle.closed ? Infinity : connection.pollAt());
    this.deliver();
    // The stack's wake-up moves only when a deadline comes earlier than the one reported. Most
    // changes move a deadline later (every ACK restarts the retransmission timer): re-arming a
    // timer for each would cost more than the one early wake-up, which finds nothing due and
    // reports the real deadline (poll()).
    const next = this.heap.earliest();
    if (next < this.reportedPollAt) {
      this.reportedPollAt = next;
      this.host.reschedule();
    }
  }

  /** The layer's own bookkeeping for an event: accept queue, tables. */
  private track(handle: TcpSocketHandle, event: TcpEvent): void {
    const listener = handle.listener;
    if (event.type === 'established' && listener !== undefined && !handle.queued) {
      listener.halfOpen--;
      if (listener.closed || listener.acceptQueue.length >= listener.acceptQueueLimit) {
        this.host.counters.drop('tcp', 'tcpAcceptQueueFull');
        handle.listener = undefined;
        handle.connection.abort(this.now()); // its RST and 'closed' are drained by settle's next round
        return;
      }
      handle.queued = true;
      listener.acceptQueue.push(handle);
      this.deliveries.push({ listener });
    } else if (event.type === 'state') {
      if (event.to === 'TIME-WAIT') this.timeWaitCount++;
      if (event.from === 'TIME-WAIT') this.timeWaitCount--;
      this.noteOccupancy();
    } else if (event.type === 'closed') {
      handle.closed = true;
      if (this.connections.get(handle.key) === handle) this.connections.delete(handle.key);
      this.noteOccupancy();
      this.heap.remove(handle);
      if (handle.ephemeral) {
        const users = (this.boundPorts.get(handle.localPort) ?? 1) - 1;
        if (users > 0) this.boundPorts.set(handle.localPort, users);
        else this.boundPorts.delete(handle.localPort);
      }
      if (listener !== undefined) {
        if (handle.queued) listener.acceptQueue.splice(listener.acceptQueue.indexOf(handle), 1);
        else listener.halfOpen--;
        handle.listener = undefined;
        handle.queued = false;
      }
    }
  }

  /** Report queued events in order; an owner's reaction that calls back in only appends. */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let i = 0; i < this.deliveries.length; i++) {
        const delivery = this.deliveries[i]!;
        try {
          if ('listener' in delivery) {
            if (!delivery.listener.closed) delivery.listener.owner.onAcceptable();
          } else {
            delivery.handle.owner?.onTcpEvent(delivery.event);
          }
        } catch {
          this.host.counters.count('tcp.ownerErrors');
        }
      }
    } finally {
      this.deliveries.length = 0;
      this.delivering = false;
    }
  }

  /**
   * Send a connection's segment — or, inside an inbound batch, hold a pure ACK that acknowledges
   * new data until the batch ends: a later ACK of the same batch replaces it, so a batch of
   * segments gets one cumulative ACK, as Linux's GRO gives one per coalesced super-segment
   * (DESIGN.md decision 2). Duplicate ACKs, SACK-carrying ACKs and every other segment go out
   * in order, after the held ACK.
   */
  private output(handle: TcpSocketHandle, segment: TcpRepr): void {
    const held = this.heldAcks.get(handle);
    const cumulativeAck = segment.flags === TcpFlags.ACK && segment.payload.length === 0 && segment.options.sackBlocks === undefined && segment.ack !== handle.lastAckSent;
    if (segment.flags & TcpFlags.ACK) handle.lastAckSent = segment.ack;
    if (this.inBatch && cumulativeAck) {
      if (held !== undefined) this.host.counters.count('tcp.acksCoalesced');
      this.heldAcks.set(handle, segment);
      return;
    }
    if (held !== undefined) {
      this.heldAcks.delete(handle);
      this.transmit(held, handle.localAddress, handle.remoteAddress);
    }
    this.transmit(segment, handle.localAddress, handle.remoteAddress);
  }

  /** The inbound batch is over: send the ACKs held for it. */
  private releaseHeldAcks(): void {
    this.inBatch = false;
    if (this.heldAcks.size === 0) return;
    for (const [handle, segment] of this.heldAcks) this.transmit(segment, handle.localAddress, handle.remoteAddress);
    this.heldAcks.clear();
  }

  private transmit(segment: TcpRepr, src: IpAddress, dst: IpAddress): void {
    // Room for the IP header in front of the segment: the IP layer writes it in place.
    const headroom = dst.family === 4 ? IPV4_HEADER_ROOM : IPV6_HEADER_ROOM;
    const payload = emitTcpSegment(segment, src, dst, headroom);
    const result = this.host.ip.send({ src, dst, protocol: IP_PROTOCOL.TCP, payload, dontFragment: true, headroom });
    if (result !== 'sent') this.host.counters.count(`tcp.send.${result}`);
  }

  private connectionParams(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number, mss: number, config: TcpConfig, now: number): TcpConnectionParams {
    const iss = this.isn.isn(localAddress, localPort, remoteAddress, remotePort, now);
    const params = { localAddress, localPort, remoteAddress, remotePort, iss, mss, config, now, counters: this.host.counters };
    return params;
  }

  /** A free port in 49152–65535, searched from a random start (RFC 6056 §3.3.1, simple). */
  private allocateEphemeralPort(): number | undefined {
    const span = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
    const start = Math.floor(this.random() * span) % span;
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_PORT_FIRST + ((start + i) % span);
      if (!this.boundPorts.has(port) && !this.listeners.portInUse(port)) return port;
    }
    return undefined;
  }
}

/** The demux key of a connection. */
export function connectionKey(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number): string {
  return `${localAddress.key}|${localPort}|${remoteAddress.key}|${remotePort}`;
}

export type UnreachableError = 'EHOSTUNREACH' | 'ENETUNREACH';

/** Linux's icmp_err_convert for the unreachable kinds that are not hard errors. */
function unreachableError(kind: IcmpErrorReport['kind']): UnreachableError | undefined {
  if (kind === 'networkUnreachable') return 'ENETUNREACH';
  if (kind === 'hostUnreachable' || kind === 'administrativelyProhibited' || kind === 'destinationUnreachable') return 'EHOSTUNREACH';
  return undefined;
}

/** "0.0.0.0"/"::"/undefined → any; an address of the stack → that one. */
export function listenAddressOf(host: string | undefined): ListenAddress {
  if (host === undefined || host === '::') return { kind: 'any', family: 'both' };
  if (host === '0.0.0.0') return { kind: 'any', family: 4 };
  return { kind: 'one', address: IpAddress.parse(host) };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`TcpLayer option ${name} must be a positive integer, got ${value}`);
  return value;
}

function checkPort(name: string, port: number, zeroAllowed: boolean): void {
  if (!Number.isInteger(port) || port < (zeroAllowed ? 0 : 1) || port > 65535) {
    throw new InvalidArgumentError(`${name} must be an integer in [${zeroAllowed ? 0 : 1}, 65535], got ${String(port)}`);
  }
}
