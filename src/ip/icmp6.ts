/**
 * ICMPv6 codec (RFC 4443): 8-byte header + body; the checksum covers an IPv6 pseudo-header
 * (RFC 8200 §8.1) with next header 58.
 */
import type { IpAddress } from './address.js';
import { finishChecksum, pseudoHeaderSum, sumBytes } from './checksum.js';
import { checkIcmp, emitIcmp, IcmpPacket } from './icmp-header.js';
import { IP_PROTOCOL } from './types.js';
import type { DropReason } from '../stats.js';

export const ICMP6_TYPE = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  MLD_QUERY: 130,
  MLD_REPORT: 131,
  MLD_DONE: 132,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
  MLDV2_REPORT: 143,
} as const;

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const ICMP6_UNREACHABLE = { NO_ROUTE: 0, ADMIN_PROHIBITED: 1, BEYOND_SCOPE: 2, ADDRESS: 3, PORT: 4 } as const;
export const ICMP6_TIME_EXCEEDED = { HOP_LIMIT: 0, REASSEMBLY: 1 } as const;

/** RFC 4443 §2.1: types 0–127 are errors, 128–255 informational. */
export function isIcmp6Error(type: number): boolean {
  return type < 128;
}

/** NDP (RFC 4861) and MLD (RFC 2710, RFC 3810): not needed on a point-to-point TUN. */
export function isNdpOrMld(type: number): boolean {
  return (type >= 130 && type <= 137) || type === 143;
}

export class Icmp6Packet extends IcmpPacket {
  /** Packet Too Big MTU, Parameter Problem pointer: the 32-bit word at 4..8. */
  get word(): number {
    return ((this.bytes[4]! << 24) | (this.bytes[5]! << 16) | (this.bytes[6]! << 8) | this.bytes[7]!) >>> 0;
  }
}

export function parseIcmp6(bytes: Uint8Array, src: IpAddress, dst: IpAddress): Icmp6Packet | DropReason {
  return checkIcmp(bytes, pseudoHeaderSum(src, dst, IP_PROTOCOL.ICMPV6, bytes.length)) ?? new Icmp6Packet(bytes);
}

/** Build an ICMPv6 message from src to dst (the checksum depends on both). */
export function emitIcmp6(type: number, code: number, rest: number, body: Uint8Array, src: IpAddress, dst: IpAddress): Uint8Array {
  return emitIcmp(type, code, rest, body, (message) =>
    finishChecksum(sumBytes(message, 0, message.length, pseudoHeaderSum(src, dst, IP_PROTOCOL.ICMPV6, message.length))),
  );
}
