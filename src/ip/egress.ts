/**
 * Where packets go: interfaces and their addresses, routes, source address selection, and the
 * output path (header, fragmentation, one batch per interface per turn).
 */
import type { IpAddress, IpCidr } from './address.js';
import { Interface } from './interface.js';
import { buildIpv4Packets, buildIpv6Packets } from './outbound.js';
import { RouteTable } from './routes.js';
import { IP_PROTOCOL, type NetInterface, type OutboundDatagram, type SendResult } from './types.js';
import { InvalidArgumentError } from '../errors.js';
import type { Link } from '../link/link.js';
import type { Counters } from '../stats.js';

export interface InterfaceOptions {
  readonly name: string;
  readonly addresses?: readonly IpCidr[];
  readonly mtu?: number;
  readonly isLoopback?: boolean;
}

const DEFAULT_TTL = 64;

/** Counter names per family, built once (not a template string per packet). */
const COUNTER_NAMES = {
  4: { outLayer: 'ipv4out', outDatagrams: 'ipv4.outDatagrams', sent: 'ipv4.sent', fragmentsCreated: 'ipv4.fragmentsCreated' },
  6: { outLayer: 'ipv6out', outDatagrams: 'ipv6.outDatagrams', sent: 'ipv6.sent', fragmentsCreated: 'ipv6.fragmentsCreated' },
} as const;

export class Egress {
  readonly routes = new RouteTable();
  private readonly ifaces: Interface[] = [];
  private readonly localAddresses = new Set<string>();
  private readonly directedBroadcasts = new Set<string>();
  private readonly txQueues = new Map<Interface, Uint8Array[]>();
  private flushScheduled = false;
  private closed = false;
  private nextIdentification4 = 1;
  private nextIdentification6 = 1;
  private loopbackIface: Interface | undefined;

  constructor(private readonly counters: Counters) {}

  addInterface(link: Link, options: InterfaceOptions): NetInterface {
    const mtu = options.mtu ?? link.mtu;
    if (!Number.isInteger(mtu) || mtu < 68) throw new InvalidArgumentError(`interface ${options.name}: mtu must be an integer >= 68, got ${mtu}`);
    if (this.ifaces.some((i) => i.name === options.name)) throw new InvalidArgumentError(`an interface named "${options.name}" already exists`);
    const addresses = options.addresses ?? [];
    for (const cidr of addresses) {
      if (this.localAddresses.has(cidr.address.key)) throw new InvalidArgumentError(`address ${cidr.address} is already configured`);
      if (cidr.address.isMulticast || cidr.address.isUnspecified || cidr.address.isBroadcast) throw new InvalidArgumentError(`${cidr} is not a unicast address`);
    }
    const iface = new Interface(options.name, link, mtu, [...addresses], options.isLoopback ?? false);
    this.ifaces.push(iface);
    for (const cidr of addresses) {
      this.localAddresses.add(cidr.address.key);
      const broadcast = cidr.broadcast;
      if (broadcast !== undefined) this.directedBroadcasts.add(broadcast.key);
      // An on-link route for each address's prefix.
      this.routes.add(cidr, iface, true);
    }
    if (iface.isLoopback && this.loopbackIface === undefined) this.loopbackIface = iface;
    return iface;
  }

  addRoute(prefix: IpCidr, iface: NetInterface): void {
    this.routes.add(prefix, this.own(iface));
  }

  interfaces(): NetInterface[] {
    return [...this.ifaces];
  }

  isLocalAddress(address: IpAddress): boolean {
    return this.localAddresses.has(address.key);
  }

  /** 255.255.255.255 or the directed broadcast address of one of our IPv4 prefixes. */
  isBroadcast(address: IpAddress): boolean {
    return address.isBroadcast || this.directedBroadcasts.has(address.key);
  }

  /** The interface a datagram to dst leaves by (our own addresses go through loopback). */
  routeFor(dst: IpAddress): NetInterface | undefined {
    if (this.loopbackIface !== undefined && this.isLocalAddress(dst)) return this.loopbackIface;
    return this.routes.lookup(dst)?.iface;
  }

  /** Source address for a datagram to dst: dst itself if local, else an address of the outgoing interface. */
  selectSource(dst: IpAddress): IpAddress | undefined {
    if (this.isLocalAddress(dst)) return dst;
    const iface = this.routeFor(dst) as Interface | undefined;
    if (iface === undefined) return undefined;
    const candidates = iface.addressesOf(dst.family);
    const best = candidates.find((cidr) => cidr.contains(dst)) ?? candidates[0];
    if (best !== undefined) return best.address;
    for (const other of this.ifaces) {
      const address = other.isLoopback ? undefined : other.addressesOf(dst.family)[0];
      if (address !== undefined) return address.address;
    }
    return undefined;
  }


  /** Route, pick a source, build the header, fragment if needed, queue on the interface. */
  send(datagram: OutboundDatagram): SendResult {
    const family = datagram.dst.family;
    const names = COUNTER_NAMES[family];
    if (this.closed) return 'linkDown';
    if (datagram.src !== undefined && datagram.src.family !== family) {
      throw new InvalidArgumentError(`source ${datagram.src} and destination ${datagram.dst} are of different families`);
    }
    const iface = this.routeFor(datagram.dst) as Interface | undefined;
    const src = iface === undefined ? undefined : (datagram.src ?? this.selectSource(datagram.dst));
    if (iface === undefined || src === undefined) {
      this.counters.drop(names.outLayer, 'noRoute');
      return 'noRoute';
    }
    const spec = {
      src,
      dst: datagram.dst,
      protocol: datagram.protocol,
      ttl: datagram.ttl ?? DEFAULT_TTL,
      payload: datagram.payload,
      headroom: datagram.headroom ?? 0,
      mtu: iface.mtu,
      identification: family === 4 ? this.nextIdentification4 : this.nextIdentification6,
      dontFragment: datagram.dontFragment ?? datagram.protocol === IP_PROTOCOL.TCP,
    };
    const packets = family === 4 ? buildIpv4Packets(spec) : buildIpv6Packets(spec);
    if (packets === 'tooBig') {
      this.counters.drop(names.outLayer, 'tooBig');
      return 'tooBig';
    }
    if (family === 4) this.nextIdentification4 = (this.nextIdentification4 + 1) & 0xffff;
    else if (packets.length > 1) this.nextIdentification6 = (this.nextIdentification6 + 1) >>> 0;
    this.counters.count(names.outDatagrams);
    this.counters.count(names.sent, packets.length);
    if (packets.length > 1) this.counters.count(names.fragmentsCreated, packets.length);
    this.enqueue(iface, packets);
    return 'sent';
  }

  /** Send every queued packet now: one link.send(batch) per interface. */
  flush(): void {
    this.flushScheduled = false;
    for (const [iface, queue] of this.txQueues) {
      if (queue.length === 0) continue;
      this.txQueues.set(iface, []);
      try {
        iface.link.send(queue);
      } catch {
        this.counters.count('ip.linkSendErrors');
      }
    }
  }

  /** Send an ICMP / ICMPv6 echo request. */
  close(): void {
    this.closed = true;
    this.txQueues.clear();
  }

  private enqueue(iface: Interface, packets: Uint8Array[]): void {
    let queue = this.txQueues.get(iface);
    if (queue === undefined) this.txQueues.set(iface, (queue = []));
    for (const packet of packets) queue.push(packet);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }
  /** The Interface object behind a NetInterface of this stack (throws for a foreign one). */
  own(iface: NetInterface): Interface {
    if (!(iface instanceof Interface) || !this.ifaces.includes(iface)) throw new InvalidArgumentError(`${iface?.name ?? iface} is not an interface of this stack`);
    return iface;
  }
}
