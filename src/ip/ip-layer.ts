/**
 * The IP layer: interfaces, routes, IPv4/IPv6 input (validation, reassembly, demux to
 * ProtocolHandlers, ICMP) and output (route, source address, header, fragmentation, one batch
 * per interface per turn). Time comes in as a number; I/O goes out through each interface's link.
 *
 * Accounting: every packet handed to `receive` ends in exactly one of `ip.inDelivered`,
 * `ip.inDropped` (with a reason under `drop.*`) or `ip.inFragmentsQueued`, so that
 * `ip.inReceived` = delivered + dropped + queued at all times.
 */
import { IpAddress, IpCidr, type IpFamily } from './address.js';
import { IcmpErrorSender, type IcmpErrorHost } from './icmp-errors.js';
import { receiveIcmp4, receiveIcmp6, type EchoReply, type IcmpInputHost } from './icmp-input.js';
import { emitIcmp4, ICMP4_TYPE } from './icmp4.js';
import { emitIcmp6, ICMP6_TYPE, isNdpOrMld } from './icmp6.js';
import type { DestinationKind, Inbound } from './inbound.js';
import { Egress, type InterfaceOptions } from './egress.js';
import type { Interface } from './interface.js';
import { parseIpv4, IPV4 } from './ipv4.js';
import { parseIpv6, IPV6, IPV6_FRAGMENT_HEADER_LENGTH } from './ipv6.js';
import { walkIpv6Chain } from './ipv6-ext.js';
import { Reassembler, type FragmentInput, type ReassemblyOptions, type ReassemblyResult, type ReassemblyTimeout } from './reassembly.js';
import { RouteTable } from './routes.js';
import { IP_PROTOCOL, type IpDatagram, type NetInterface, type OutboundDatagram, type ProtocolHandler, type SendResult } from './types.js';
import type { Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import type { Link, PacketBatch } from '../link/link.js';
import type { Counters, DropReason } from '../stats.js';
import { UdpLayer } from '../udp/udp-layer.js';

export interface IpLayerOptions {
  readonly clock: Clock;
  readonly counters: Counters;
  /** ICMP error rate limit (RFC 4443 §2.4(f)); default 1000/s, burst 50. */
  readonly icmpRateLimit?: { readonly perSecond: number; readonly burst: number };
  readonly reassembly?: ReassemblyOptions;
}

export type { InterfaceOptions } from './egress.js';

export interface PingOptions {
  readonly id: number;
  readonly seq: number;
  /** Data bytes after the 8-byte ICMP header (default 56, like ping). */
  readonly size?: number;
  readonly data?: Uint8Array;
  readonly src?: IpAddress;
  readonly ttl?: number;
}

export type EchoReplyListener = (reply: EchoReply, now: number) => void;

const ALL_NODES = IpAddress.parse('ff02::1');

export class IpLayer {
  readonly counters: Counters;
  /** The stack's minimal UDP: a port table; unbound ports get ICMP Port Unreachable. */
  readonly udp: UdpLayer;
  private readonly clock: Clock;
  private readonly egress: Egress;
  private readonly handlers = new Map<number, ProtocolHandler>();
  private readonly echoListeners = new Set<EchoReplyListener>();
  private readonly reassembler: Reassembler;
  private readonly errors: IcmpErrorSender;
  private readonly icmpHost: IcmpInputHost;
  private closed = false;
  /** Interfaces (or all of them) on which TCP to foreign destinations is accepted. */
  private readonly promiscuous = new Set<NetInterface>();
  private promiscuousAll = false;
  /** Whether the packet being processed has had its outcome counted. */
  private outcomeRecorded = false;
  /** The datagram being delivered to a handler, with what is needed to answer it with an ICMP error. */
  private current: { readonly datagram: IpDatagram; readonly inbound: Inbound } | undefined;
  /** The last exception caught while processing a packet (for debugging; counted as internalError). */
  lastInternalError: unknown;

  constructor(options: IpLayerOptions) {
    this.clock = options.clock;
    this.counters = options.counters;
    this.egress = new Egress(this.counters);
    this.reassembler = new Reassembler(this.counters, options.reassembly, (timeout, now) => this.reassemblyTimedOut(timeout, now));
    const errorHost: IcmpErrorHost = {
      counters: this.counters,
      send: (datagram) => this.send(datagram),
      replySource: (inbound) => this.replySource(inbound),
      isBroadcast: (address) => this.isBroadcast(address),
    };
    const rate = options.icmpRateLimit ?? { perSecond: 1000, burst: 50 };
    if (!(rate.perSecond >= 0) || !(rate.burst >= 0)) throw new InvalidArgumentError('icmpRateLimit: perSecond and burst must be >= 0');
    this.errors = new IcmpErrorSender(errorHost, rate);
    this.icmpHost = {
      counters: this.counters,
      send: (datagram) => this.send(datagram),
      isLocalAddress: (address) => this.isLocalAddress(address),
      handlerFor: (protocol) => this.handlers.get(protocol),
      replySource: (inbound) => this.replySource(inbound),
      handled: () => this.handled(),
      dropped: (layer, reason) => this.dropped(layer, reason),
      echoReplied: (reply, now) => this.echoReplied(reply, now),
    };
    this.udp = new UdpLayer({
      counters: this.counters,
      send: (datagram) => this.send(datagram),
      sourceFor: (dst) => this.selectSource(dst),
      replyPortUnreachable: (datagram, now) => this.replyPortUnreachable(datagram, now),
    });
    this.handlers.set(IP_PROTOCOL.UDP, this.udp);
  }

  // ---- configuration ----

  addInterface(link: Link, options: InterfaceOptions): NetInterface {
    return this.egress.addInterface(link, options);
  }

  addRoute(prefix: IpCidr, iface: NetInterface): void {
    this.egress.addRoute(prefix, iface);
  }

  interfaces(): NetInterface[] {
    return this.egress.interfaces();
  }

  get routes(): RouteTable {
    return this.egress.routes;
  }

  registerProtocol(protocol: number, handler: ProtocolHandler): void {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new InvalidArgumentError(`protocol must be 0..255, got ${protocol}`);
    if (protocol === IP_PROTOCOL.ICMP || protocol === IP_PROTOCOL.ICMPV6) throw new InvalidArgumentError('ICMP is handled by the IP layer itself');
    const existing = this.handlers.get(protocol);
    if (existing !== undefined && existing !== this.udp) throw new InvalidArgumentError(`protocol ${protocol} already has a handler`);
    this.handlers.set(protocol, handler);
  }

  unregisterProtocol(protocol: number): void {
    this.handlers.delete(protocol);
  }

  isLocalAddress(address: IpAddress): boolean {
    return this.egress.isLocalAddress(address);
  }

  /**
   * Accept TCP addressed to ANY unicast destination arriving on `target` (an interface, or
   * 'all'), not only to our own addresses: the explicit opt-in of an any-destination TCP
   * listener (a VPN endpoint). Nothing else changes: other protocols, ICMP echo included,
   * still answer only for our own addresses.
   */
  setPromiscuous(target: NetInterface | 'all', enabled: boolean): void {
    if (target === 'all') this.promiscuousAll = enabled;
    else if (enabled) this.promiscuous.add(target);
    else this.promiscuous.delete(target);
  }

  /** Whether TCP to foreign destinations is accepted on `iface`. */
  isPromiscuous(iface: NetInterface): boolean {
    return this.promiscuousAll || this.promiscuous.has(iface);
  }

  /** 255.255.255.255 or the directed broadcast address of one of our IPv4 prefixes. */
  isBroadcast(address: IpAddress): boolean {
    return this.egress.isBroadcast(address);
  }

  /** The interface a datagram to dst leaves by (our own addresses go through loopback). */
  routeFor(dst: IpAddress): NetInterface | undefined {
    return this.egress.routeFor(dst);
  }

  /** Source address for a datagram to dst: dst itself if local, else an address of the outgoing interface. */
  selectSource(dst: IpAddress): IpAddress | undefined {
    return this.egress.selectSource(dst);
  }

  // ---- output ----

  /** Route, pick a source, build the header, fragment if needed, queue on the interface. */
  send(datagram: OutboundDatagram): SendResult {
    return this.egress.send(datagram);
  }

  /** Send every queued packet now: one link.send(batch) per interface. */
  flush(): void {
    this.egress.flush();
  }

  ping(dst: IpAddress, options: PingOptions): SendResult {
    const data = options.data ?? echoPattern(options.size ?? 56);
    const rest = (((options.id & 0xffff) << 16) | (options.seq & 0xffff)) >>> 0;
    const family = dst.family;
    let payload: Uint8Array;
    let src = options.src;
    if (family === 4) {
      payload = emitIcmp4(ICMP4_TYPE.ECHO_REQUEST, 0, rest, data);
    } else {
      src ??= this.selectSource(dst);
      if (src === undefined) {
        this.counters.drop('ipv6out', 'noRoute');
        return 'noRoute';
      }
      payload = emitIcmp6(ICMP6_TYPE.ECHO_REQUEST, 0, rest, data, src, dst);
    }
    const protocol = family === 4 ? IP_PROTOCOL.ICMP : IP_PROTOCOL.ICMPV6;
    const result = this.send({ src, dst, protocol, payload, ttl: options.ttl, dontFragment: false });
    if (result === 'sent') {
      this.counters.count(`icmp${family}.out`);
      this.counters.count(`icmp${family}.outEchoRequests`);
    }
    return result;
  }

  /** Be told of every echo reply received; returns the function that stops it. */
  onEchoReply(listener: EchoReplyListener): () => void {
    this.echoListeners.add(listener);
    return () => this.echoListeners.delete(listener);
  }

  /**
   * Answer the datagram being delivered right now with ICMP Port Unreachable (RFC 1122
   * §4.1.3.1; RFC 4443 §3.1 code 4), if the ICMP rules allow. Only valid during receive().
   */
  replyPortUnreachable(datagram: IpDatagram, now: number): boolean {
    const current = this.current;
    if (current === undefined || current.datagram !== datagram) return false;
    const spec = datagram.family === 4 ? { type: ICMP4_TYPE.DEST_UNREACHABLE, code: 3, rest: 0 } : { type: ICMP6_TYPE.DEST_UNREACHABLE, code: 4, rest: 0 };
    return this.errors.send(current.inbound, spec, now);
  }

  // ---- timers (Pollable) ----

  pollAt(): number {
    return this.reassembler.pollAt();
  }

  poll(now: number): void {
    this.reassembler.poll(now);
  }

  /** Bytes held by reassembly (for tests and stats). */
  get reassemblyBytes(): number {
    return this.reassembler.bytes;
  }

  close(): void {
    this.closed = true;
    this.egress.close();
    this.reassembler.clear();
    this.echoListeners.clear();
  }

  // ---- input ----

  /** Process a batch received on `iface`. Never throws for any packet content. */
  receive(batch: PacketBatch, iface: NetInterface): void {
    if (this.closed) return;
    const own = this.egress.own(iface);
    const now = this.clock.now();
    for (const packet of batch) {
      this.outcomeRecorded = false;
      this.counters.count('ip.inReceived');
      try {
        const version = packet.length > 0 ? packet[0]! >> 4 : 0;
        if (version === 4) this.receiveIpv4(packet, own, now, false);
        else if (version === 6) this.receiveIpv6(packet, own, now, 0);
        else this.dropped('ip', packet.length === 0 ? 'badLength' : 'badVersion');
        if (!this.outcomeRecorded) this.dropped('ip', 'internalError');
      } catch (error) {
        this.lastInternalError = error;
        this.counters.count('ip.internalErrors');
        if (!this.outcomeRecorded) this.dropped('ip', 'internalError');
      } finally {
        this.current = undefined;
      }
    }
    for (const handler of this.handlers.values()) {
      try {
        handler.endOfBatch?.(now);
      } catch (error) {
        this.lastInternalError = error;
        this.counters.count('ip.internalErrors');
      }
    }
  }

  private receiveIpv4(bytes: Uint8Array, iface: Interface, now: number, reassembled: boolean): void {
    if (!reassembled) this.counters.count('ipv4.received');
    const repr = parseIpv4(bytes);
    if (typeof repr === 'string') return this.dropped('ipv4', repr);
    if (isMartian(repr.src, repr.dst, iface)) return this.dropped('ipv4', 'badAddress');
    const dstKind = this.classifyIpv4(repr.dst, iface) ?? this.foreignTcp(repr.dst, iface, repr.protocol);
    if (dstKind === undefined) return this.dropped('ipv4', 'notForUs');
    // Broadcasts are accepted only for UDP and ICMP (no TCP to a broadcast, RFC 1122 §4.2.3.10).
    if (dstKind !== 'unicast' && repr.protocol !== IP_PROTOCOL.UDP && repr.protocol !== IP_PROTOCOL.ICMP) return this.dropped('ipv4', 'notForUs');
    if (repr.moreFragments || repr.fragmentOffset !== 0) {
      this.counters.count('ipv4.fragmentsReceived');
      const fragment: FragmentInput = {
        family: 4,
        src: repr.src,
        dst: repr.dst,
        identification: repr.identification,
        protocol: repr.protocol,
        packet: repr.packet,
        headerLength: repr.headerLength,
        dataOffset: repr.headerLength,
        fragmentOffset: repr.fragmentOffset,
        moreFragments: repr.moreFragments,
        iface,
      };
      return this.afterReassembly(4, this.reassembler.add(fragment, now), iface, now, 0);
    }
    const inbound: Inbound = {
      family: 4,
      packet: repr.packet,
      src: repr.src,
      dst: repr.dst,
      dstKind,
      iface,
      ttl: repr.ttl,
      protocol: repr.protocol,
      payloadOffset: repr.headerLength,
      nextHeaderField: IPV4.PROTOCOL,
      nonFirstFragment: false,
    };
    this.deliver(inbound, now);
  }

  /** `depth` counts re-entries (reassembled or atomic-fragment packets), bounded against nesting. */
  private receiveIpv6(bytes: Uint8Array, iface: Interface, now: number, depth: number): void {
    if (depth === 0) this.counters.count('ipv6.received');
    if (depth > 2) return this.dropped('ipv6', 'unsupportedExtension');
    const repr = parseIpv6(bytes);
    if (typeof repr === 'string') return this.dropped('ipv6', repr);
    if (isMartian(repr.src, repr.dst, iface)) return this.dropped('ipv6', 'badAddress');
    const ownKind = this.classifyIpv6(repr.dst, iface);
    // The upper protocol is known only after the chain walk: a foreign destination is checked there.
    const foreign = ownKind === undefined && this.foreignTcp(repr.dst, iface, IP_PROTOCOL.TCP) !== undefined;
    const dstKind = ownKind ?? (foreign ? 'unicast' : undefined);
    if (dstKind === undefined) return this.dropped('ipv6', 'notForUs');
    const chain = walkIpv6Chain(repr.packet, dstKind === 'multicast');
    const base = { family: 6 as const, packet: repr.packet, src: repr.src, dst: repr.dst, dstKind, iface, ttl: repr.hopLimit };
    switch (chain.kind) {
      case 'drop':
        return this.dropped('ipv6', chain.reason);
      case 'paramProblem': {
        const inbound: Inbound = { ...base, protocol: undefined, payloadOffset: 0, nextHeaderField: 0, nonFirstFragment: false };
        // RFC 4443 §3.4: the pointer is the offset of the offending octet in the original packet.
        this.errors.send(inbound, { type: ICMP6_TYPE.PARAMETER_PROBLEM, code: chain.code, rest: chain.pointer, evenIfMulticast: chain.evenIfMulticast }, now);
        return this.dropped('ipv6', chain.reason);
      }
      case 'fragment': {
        if (chain.fragmentOffset === 0 && !chain.moreFragments) {
          // RFC 6946 §4: an atomic fragment is processed in isolation, outside reassembly.
          this.counters.count('ipv6.atomicFragments');
          return this.receiveIpv6(withoutFragmentHeader(repr.packet, chain.headerOffset, chain.nextHeaderField, chain.nextHeader), iface, now, depth + 1);
        }
        this.counters.count('ipv6.fragmentsReceived');
        const fragment: FragmentInput = {
          family: 6,
          src: repr.src,
          dst: repr.dst,
          identification: chain.identification,
          protocol: 0,
          packet: repr.packet,
          headerLength: chain.headerOffset,
          dataOffset: chain.dataOffset,
          fragmentOffset: chain.fragmentOffset,
          moreFragments: chain.moreFragments,
          nextHeaderField: chain.nextHeaderField,
          nextHeader: chain.nextHeader,
          iface,
        };
        return this.afterReassembly(6, this.reassembler.add(fragment, now), iface, now, depth);
      }
      case 'upper': {
        if (foreign && chain.protocol !== IP_PROTOCOL.TCP) return this.dropped('ipv6', 'notForUs');
        // RFC 8200 §4.7: No Next Header — nothing follows; the packet is consumed.
        if (chain.protocol === IP_PROTOCOL.IPV6_NO_NEXT) {
          this.counters.count('ipv6.noNextHeader');
          return this.handled();
        }
        // Of link-local multicast we take only ICMPv6: anything to all-nodes (echo), and NDP/MLD
        // (counted and ignored) to the other groups; we join no group for anything else.
        if (dstKind === 'multicast') {
          const icmpType = repr.packet[chain.offset];
          const wanted = chain.protocol === IP_PROTOCOL.ICMPV6 && (repr.dst.equals(ALL_NODES) || (icmpType !== undefined && isNdpOrMld(icmpType)));
          if (!wanted) return this.dropped('ipv6', 'notForUs');
        }
        const inbound: Inbound = { ...base, protocol: chain.protocol, payloadOffset: chain.offset, nextHeaderField: chain.nextHeaderField, nonFirstFragment: false };
        return this.deliver(inbound, now);
      }
    }
  }

  private afterReassembly(family: IpFamily, result: ReassemblyResult, iface: Interface, now: number, depth: number): void {
    const layer = family === 4 ? 'ipv4' : 'ipv6';
    switch (result.kind) {
      case 'queued':
        this.counters.count('ip.inFragmentsQueued');
        this.outcomeRecorded = true;
        return;
      case 'dropped':
        return this.dropped(layer, result.reason);
      case 'complete':
        this.counters.count(`${layer}.reassembled`);
        if (family === 4) return this.receiveIpv4(result.packet, iface, now, true);
        return this.receiveIpv6(result.packet, iface, now, depth + 1);
    }
  }

  /** Hand a whole datagram to ICMP or to the transport registered for its protocol. */
  private deliver(inbound: Inbound, now: number): void {
    const protocol = inbound.protocol!;
    const layer = inbound.family === 4 ? 'ipv4' : 'ipv6';
    if (inbound.family === 4 && protocol === IP_PROTOCOL.ICMP) return receiveIcmp4(this.icmpHost, inbound, now);
    if (inbound.family === 6 && protocol === IP_PROTOCOL.ICMPV6) return receiveIcmp6(this.icmpHost, inbound, now);
    const handler = this.handlers.get(protocol);
    if (handler === undefined) {
      // RFC 1122 §3.2.2.1: protocol unreachable (type 3 code 2); RFC 8200 §4 / RFC 4443 §3.4:
      // Parameter Problem code 1 pointing at the Next Header field that named it.
      const spec =
        inbound.family === 4
          ? { type: ICMP4_TYPE.DEST_UNREACHABLE, code: 2, rest: 0 }
          : { type: ICMP6_TYPE.PARAMETER_PROBLEM, code: 1, rest: inbound.nextHeaderField };
      this.errors.send(inbound, spec, now);
      return this.dropped(layer, 'unknownProtocol');
    }
    const datagram: IpDatagram = {
      family: inbound.family,
      src: inbound.src,
      dst: inbound.dst,
      protocol,
      ttl: inbound.ttl,
      payload: inbound.packet.subarray(inbound.payloadOffset),
      iface: inbound.iface,
    };
    this.counters.count(inbound.family === 4 ? 'ipv4.delivered' : 'ipv6.delivered');
    this.handled();
    this.current = { datagram, inbound };
    try {
      handler.receive(datagram, now);
    } finally {
      this.current = undefined;
    }
  }

  private classifyIpv4(dst: IpAddress, iface: Interface): DestinationKind | undefined {
    if (this.isLocalAddress(dst)) return 'unicast';
    // Anything in 127/8 arriving on loopback is ours (RFC 1122 §3.2.1.3 (g)).
    if (iface.isLoopback && dst.bytes[0] === 127) return 'unicast';
    if (this.isBroadcast(dst)) return 'broadcast';
    // We join no IPv4 multicast group.
    return undefined;
  }

  private classifyIpv6(dst: IpAddress, iface: Interface): DestinationKind | undefined {
    if (this.isLocalAddress(dst)) return 'unicast';
    // Link-local scope multicast (ff02::/16): all-nodes, all-routers, MLDv2, solicited-node...
    if (dst.bytes[0] === 0xff && dst.bytes[1] === 0x02) return 'multicast';
    void iface;
    return undefined;
  }

  /** 'unicast' for TCP to a foreign unicast address on a promiscuous interface (else undefined). */
  private foreignTcp(dst: IpAddress, iface: Interface, protocol: number): DestinationKind | undefined {
    if (protocol !== IP_PROTOCOL.TCP || !this.isPromiscuous(iface) || iface.isLoopback) return undefined;
    if (dst.isMulticast || dst.isUnspecified || this.isBroadcast(dst)) return undefined;
    return 'unicast';
  }

  /** Our address to answer `inbound` from: the one it was sent to, or one on the way back. */
  private replySource(inbound: Inbound): IpAddress | undefined {
    if (inbound.dstKind === 'unicast') return inbound.dst;
    const own = (inbound.iface as Interface).addressesOf(inbound.family);
    return own.find((cidr) => cidr.contains(inbound.src))?.address ?? own[0]?.address ?? this.selectSource(inbound.src);
  }

  private reassemblyTimedOut(timeout: ReassemblyTimeout, now: number): void {
    const packet = timeout.firstFragment;
    const v4 = timeout.family === 4;
    const src = IpAddress.fromBytes(packet, v4 ? IPV4.SRC : IPV6.SRC, v4 ? 4 : 16);
    const dst = IpAddress.fromBytes(packet, v4 ? IPV4.DST : IPV6.DST, v4 ? 4 : 16);
    const inbound: Inbound = {
      family: timeout.family,
      packet,
      src,
      dst,
      dstKind: this.isLocalAddress(dst) ? 'unicast' : 'multicast',
      iface: timeout.iface,
      ttl: 0,
      protocol: v4 ? packet[IPV4.PROTOCOL] : undefined,
      payloadOffset: v4 ? (packet[0]! & 0x0f) * 4 : 0,
      nextHeaderField: 0,
      nonFirstFragment: false,
    };
    // RFC 792 (type 11 code 1) / RFC 8200 §4.5 (type 3 code 1): fragment reassembly time exceeded.
    const spec = v4 ? { type: ICMP4_TYPE.TIME_EXCEEDED, code: 1, rest: 0 } : { type: ICMP6_TYPE.TIME_EXCEEDED, code: 1, rest: 0 };
    if (this.errors.send(inbound, spec, now)) this.counters.count(`icmp${timeout.family}.outReassemblyTimeouts`);
  }

  private echoReplied(reply: EchoReply, now: number): void {
    for (const listener of [...this.echoListeners]) {
      try {
        listener(reply, now);
      } catch {
        this.counters.count('ip.listenerErrors');
      }
    }
  }

  private handled(): void {
    this.counters.count('ip.inDelivered');
    this.outcomeRecorded = true;
  }

  private dropped(layer: string, reason: DropReason): void {
    this.counters.drop(layer, reason);
    this.counters.count('ip.inDropped');
    this.outcomeRecorded = true;
  }

}

/** RFC 1122 §3.2.1.3 (g), RFC 4291 §2.5.3: loopback addresses never arrive from outside. */
function isMartian(src: IpAddress, dst: IpAddress, iface: Interface): boolean {
  return !iface.isLoopback && (src.isLoopback || dst.isLoopback);
}

/** The packet without its (atomic) Fragment header, the preceding Next Header patched. */
function withoutFragmentHeader(packet: Uint8Array, headerOffset: number, nextHeaderField: number, nextHeader: number): Uint8Array {
  const out = new Uint8Array(packet.length - IPV6_FRAGMENT_HEADER_LENGTH);
  out.set(packet.subarray(0, headerOffset), 0);
  out.set(packet.subarray(headerOffset + IPV6_FRAGMENT_HEADER_LENGTH), headerOffset);
  out[nextHeaderField] = nextHeader;
  const payloadLength = out.length - 40;
  out[IPV6.PAYLOAD_LENGTH] = payloadLength >> 8;
  out[IPV6.PAYLOAD_LENGTH + 1] = payloadLength & 0xff;
  return out;
}

/** Echo data like ping's: bytes counting up from 0x10 after the first. */
function echoPattern(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0 || size > 65507) throw new InvalidArgumentError(`ping size must be 0..65507, got ${size}`);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i + 0x10) & 0xff;
  return data;
}
