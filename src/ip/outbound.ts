/**
 * Building outgoing packets: the IP header in front of a transport payload, and fragmentation
 * when the packet is larger than the interface MTU (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for
 * IPv6 — a source host fragments its own datagrams with a Fragment header).
 */
import type { IpAddress } from './address.js';
import { emitIpv4Header, IPV4_MIN_HEADER_LENGTH, IPV4_MAX_TOTAL_LENGTH, type Ipv4HeaderFields } from './ipv4.js';
import { emitIpv6FragmentHeader, emitIpv6Header, IPV6_FRAGMENT_HEADER_LENGTH, IPV6_HEADER_LENGTH, IPV6_MAX_PAYLOAD_LENGTH } from './ipv6.js';
import { allocatePacket } from './packet-memory.js';
import { IP_PROTOCOL } from './types.js';

export interface PacketSpec {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  readonly ttl: number;
  readonly payload: Uint8Array;
  /** Free bytes before `payload` in its buffer (OutboundDatagram.headroom); default 0. */
  readonly headroom?: number;
  readonly mtu: number;
  readonly identification: number;
}

/**
 * The packet for an unfragmented datagram: the payload with the header room in front of it when
 * the sender reserved it (no copy), else a new packet with the payload copied in.
 */
function packetAround(payload: Uint8Array, headroom: number, headerLength: number): Uint8Array {
  if (headroom >= headerLength) return new Uint8Array(payload.buffer, payload.byteOffset - headerLength, headerLength + payload.length);
  const packet = allocatePacket(headerLength + payload.length);
  packet.set(payload, headerLength);
  return packet;
}

/** IPv4 packets for one datagram, or 'tooBig' (DF set and over the MTU, or over 65535 bytes). */
export function buildIpv4Packets(spec: PacketSpec & { readonly dontFragment: boolean }): Uint8Array[] | 'tooBig' {
  const totalLength = IPV4_MIN_HEADER_LENGTH + spec.payload.length;
  if (totalLength > IPV4_MAX_TOTAL_LENGTH) return 'tooBig';
  if (totalLength <= spec.mtu) {
    const packet = packetAround(spec.payload, spec.headroom ?? 0, IPV4_MIN_HEADER_LENGTH);
    emitIpv4Header(ipv4Fields(spec, false, 0, totalLength), packet);
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
    const packet = allocatePacket(length);
    emitIpv4Header(ipv4Fields(spec, end < spec.payload.length, offset, length), packet);
    packet.set(spec.payload.subarray(offset, end), IPV4_MIN_HEADER_LENGTH);
    packets.push(packet);
  }
  return packets;
}

/** IPv6 packets for one datagram (fragmented with a Fragment header when over the MTU), or 'tooBig'. */
export function buildIpv6Packets(spec: PacketSpec): Uint8Array[] | 'tooBig' {
  if (spec.payload.length > IPV6_MAX_PAYLOAD_LENGTH) return 'tooBig';
  if (IPV6_HEADER_LENGTH + spec.payload.length <= spec.mtu) {
    const packet = packetAround(spec.payload, spec.headroom ?? 0, IPV6_HEADER_LENGTH);
    emitIpv6Header({ src: spec.src, dst: spec.dst, hopLimit: spec.ttl, nextHeader: spec.protocol, payloadLength: spec.payload.length }, packet);
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
    const packet = allocatePacket(overhead + end - offset);
    emitIpv6Header({ src: spec.src, dst: spec.dst, hopLimit: spec.ttl, nextHeader: IP_PROTOCOL.IPV6_FRAGMENT, payloadLength: packet.length - IPV6_HEADER_LENGTH }, packet);
    emitIpv6FragmentHeader(spec.protocol, offset, end < spec.payload.length, spec.identification, packet, IPV6_HEADER_LENGTH);
    packet.set(spec.payload.subarray(offset, end), overhead);
    packets.push(packet);
  }
  return packets;
}

/** The header fields of one IPv4 packet of a datagram (a plain literal: no spread on the hot path). */
function ipv4Fields(spec: PacketSpec & { readonly dontFragment: boolean }, moreFragments: boolean, fragmentOffset: number, totalLength: number): Ipv4HeaderFields {
  return {
    src: spec.src,
    dst: spec.dst,
    protocol: spec.protocol,
    ttl: spec.ttl,
    identification: spec.identification,
    dontFragment: spec.dontFragment,
    moreFragments,
    fragmentOffset,
    totalLength,
  };
}
