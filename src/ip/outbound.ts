/**
 * Building outgoing packets: the IP header in front of a transport payload, and fragmentation
 * when the packet is larger than the interface MTU (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for
 * IPv6 — a source host fragments its own datagrams with a Fragment header).
 */
import type { IpAddress } from './address.js';
import { emitIpv4Header, IPV4_MIN_HEADER_LENGTH, IPV4_MAX_TOTAL_LENGTH } from './ipv4.js';
import { emitIpv6FragmentHeader, emitIpv6Header, IPV6_FRAGMENT_HEADER_LENGTH, IPV6_HEADER_LENGTH, IPV6_MAX_PAYLOAD_LENGTH } from './ipv6.js';
import { IP_PROTOCOL } from './types.js';

export interface PacketSpec {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  readonly ttl: number;
  readonly payload: Uint8Array;
  readonly mtu: number;
  readonly identification: number;
}

/** IPv4 packets for one datagram, or 'tooBig' (DF set and over the MTU, or over 65535 bytes). */
export function buildIpv4Packets(spec: PacketSpec & { readonly dontFragment: boolean }): Uint8Array[] | 'tooBig' {
  const totalLength = IPV4_MIN_HEADER_LENGTH + spec.payload.length;
  if (totalLength > IPV4_MAX_TOTAL_LENGTH) return 'tooBig';
  const base = { src: spec.src, dst: spec.dst, protocol: spec.protocol, ttl: spec.ttl, identification: spec.identification, dontFragment: spec.dontFragment };
  if (totalLength <= spec.mtu) {
    const packet = new Uint8Array(totalLength);
    emitIpv4Header({ ...base, moreFragments: false, fragmentOffset: 0, totalLength }, packet);
    packet.set(spec.payload, IPV4_MIN_HEADER_LENGTH);
    return [packet];
  }
  // RFC 791 §3.2: with DF set a datagram that does not fit is not fragmented.
  if (spec.dontFragment) return 'tooBig';
  // RFC 791 §3.2: fragment data in multiples of 8 bytes; every fragment but the last has MF set.
  const chunk = Math.floor((spec.mtu - IPV4_MIN_HEADER_LENGTH) / 8) * 8;
  const packets: Uint8Array[] = [];
  for (let offset = 0; offset < spec.payload.length; offset += chunk) {
    const end = Math.min(spec.payload.length, offset + chunk);
    const length = IPV4_MIN_HEADER_LENGTH + end - offset;
    const packet = new Uint8Array(length);
    emitIpv4Header({ ...base, moreFragments: end < spec.payload.length, fragmentOffset: offset, totalLength: length }, packet);
    packet.set(spec.payload.subarray(offset, end), IPV4_MIN_HEADER_LENGTH);
    packets.push(packet);
  }
  return packets;
}

/** IPv6 packets for one datagram (fragmented with a Fragment header when over the MTU), or 'tooBig'. */
export function buildIpv6Packets(spec: PacketSpec): Uint8Array[] | 'tooBig' {
  if (spec.payload.length > IPV6_MAX_PAYLOAD_LENGTH) return 'tooBig';
  const header = { src: spec.src, dst: spec.dst, hopLimit: spec.ttl };
  if (IPV6_HEADER_LENGTH + spec.payload.length <= spec.mtu) {
    const packet = new Uint8Array(IPV6_HEADER_LENGTH + spec.payload.length);
    emitIpv6Header({ ...header, nextHeader: spec.protocol, payloadLength: spec.payload.length }, packet);
    packet.set(spec.payload, IPV6_HEADER_LENGTH);
    return [packet];
  }
  // RFC 8200 §4.5: the fragmentable part is cut into multiples of 8 bytes, each behind a copy of
  // the unfragmentable part (here the fixed header alone) and a Fragment header.
  const overhead = IPV6_HEADER_LENGTH + IPV6_FRAGMENT_HEADER_LENGTH;
  const chunk = Math.floor((spec.mtu - overhead) / 8) * 8;
  if (chunk <= 0 || spec.payload.length + IPV6_FRAGMENT_HEADER_LENGTH > IPV6_MAX_PAYLOAD_LENGTH) return 'tooBig';
  const packets: Uint8Array[] = [];
  for (let offset = 0; offset < spec.payload.length; offset += chunk) {
    const end = Math.min(spec.payload.length, offset + chunk);
    const packet = new Uint8Array(overhead + end - offset);
    emitIpv6Header({ ...header, nextHeader: IP_PROTOCOL.IPV6_FRAGMENT, payloadLength: packet.length - IPV6_HEADER_LENGTH }, packet);
    emitIpv6FragmentHeader(spec.protocol, offset, end < spec.payload.length, spec.identification, packet, IPV6_HEADER_LENGTH);
    packet.set(spec.payload.subarray(offset, end), overhead);
    packets.push(packet);
  }
  return packets;
}
