/**
 * What the TCP layer needs from its stack (the `Stack` of src/stack.ts satisfies it), and the
 * route choice for an active open: outgoing interface (for the MSS) and source address.
 */
import type { Clock } from '../clock.js';
import { IpAddress, type IpFamily } from '../ip/address.js';
import type { NetInterface, OutboundDatagram, ProtocolHandler, SendResult } from '../ip/types.js';
import type { Counters } from '../stats.js';
import type { Pollable } from '../timers.js';

export interface TcpHostIp {
  registerProtocol(protocol: number, handler: ProtocolHandler): void;
  send(datagram: OutboundDatagram): SendResult;
  /** Longest-prefix match (the IP layer's RouteTable). */
  readonly routes?: { lookup(dst: IpAddress): { readonly iface: NetInterface } | undefined };
  /** The interface a datagram to dst leaves by (own addresses: loopback). */
  routeFor?(dst: IpAddress): NetInterface | undefined;
  /** The source address the IP layer would pick for dst. */
  selectSource?(dst: IpAddress): IpAddress | undefined;
  isLocalAddress?(address: IpAddress): boolean;
}

export interface TcpHost {
  readonly clock: Clock;
  readonly counters: Counters;
  readonly ip: TcpHostIp;
  /** The loopback interface (127.0.0.1/8, ::1). */
  readonly loopback?: NetInterface;
  /** Every configured interface (the loopback included or not). */
  interfaces?(): readonly NetInterface[];
  addPollable(pollable: Pollable): void;
  removePollable?(pollable: Pollable): void;
  reschedule(): void;
}

export interface TcpRoute {
  readonly iface: NetInterface | undefined;
  readonly src: IpAddress;
  /** The MTU of the outgoing interface (for the MSS). */
  readonly mtu: number;
}

function allInterfaces(host: TcpHost): NetInterface[] {
  const out: NetInterface[] = [];
  if (host.interfaces) for (const iface of host.interfaces()) out.push(iface);
  if (host.loopback && !out.includes(host.loopback)) out.push(host.loopback);
  return out;
}

/** True if `address` is one of the stack's own addresses (or a loopback address). */
export function isLocalAddress(host: TcpHost, address: IpAddress): boolean {
  if (address.isLoopback) return true;
  if (host.ip.isLocalAddress) return host.ip.isLocalAddress(address);
  return allInterfaces(host).some((iface) => iface.addresses.some((cidr) => cidr.address.equals(address)));
}

function loopbackSource(family: IpFamily): IpAddress {
  return family === 4 ? IpAddress.LOOPBACK4 : IpAddress.LOOPBACK6;
}

/**
 * Where a connection to `dst` leaves from. Own addresses and loopback addresses go over the
 * loopback interface with a source equal to the destination (as Linux does); anything else
 * follows the routing table, with the first address of the interface's family as source.
 */
export function routeFor(host: TcpHost, dst: IpAddress): TcpRoute | undefined {
  const ip = host.ip;
  if (ip.routeFor !== undefined && ip.selectSource !== undefined) {
    const iface = ip.routeFor(dst);
    const src = iface === undefined ? undefined : ip.selectSource(dst);
    return iface === undefined || src === undefined ? undefined : { iface, src, mtu: iface.mtu };
  }
  const loopbackMtu = host.loopback?.mtu ?? 65536;
  if (dst.isLoopback) return { iface: host.loopback, src: dst.family === 4 ? dst : loopbackSource(6), mtu: loopbackMtu };
  if (isLocalAddress(host, dst)) return { iface: host.loopback, src: dst, mtu: loopbackMtu };
  const route = host.ip.routes?.lookup(dst);
  if (!route) return undefined;
  const source = route.iface.addresses.find((cidr) => cidr.address.family === dst.family);
  if (!source) return undefined;
  return { iface: route.iface, src: source.address, mtu: route.iface.mtu };
}

/**
 * RFC 9293 §3.7.1 / RFC 879: the MSS to advertise is the MTU less the IP and TCP headers; an
 * IPv4 packet is at most 65535 bytes (RFC 791 total length), so a 65536 loopback MTU gives 65495.
 */
export function mssForMtu(mtu: number, family: IpFamily): number {
  const packetLimit = family === 4 ? Math.min(mtu, 65535) : mtu;
  return Math.max(64, Math.min(65535, packetLimit - (family === 4 ? 40 : 60)));
}
