/**
 * ICMPv4 codec (RFC 792): the 8-byte header (type, code, checksum, 4 type-specific bytes) and
 * a body. The checksum covers the whole ICMP message.
 */
import { internetChecksum } from './checksum.js';
import { checkIcmp, emitIcmp, IcmpPacket } from './icmp-header.js';
import type { DropReason } from '../stats.js';

export const ICMP4_TYPE = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
} as const;

/** Destination Unreachable codes (RFC 792; 4 with next-hop MTU per RFC 1191 §4). */
export const ICMP4_UNREACHABLE = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAGMENTATION_NEEDED: 4,
  SOURCE_ROUTE_FAILED: 5,
  NET_PROHIBITED: 9,
  HOST_PROHIBITED: 10,
  ADMIN_PROHIBITED: 13,
} as const;

/** Time Exceeded codes (RFC 792). */
export const ICMP4_TIME_EXCEEDED = { TTL: 0, REASSEMBLY: 1 } as const;

/** RFC 1122 §3.2.2: error messages are every type that is not a query or reply. */
export function isIcmp4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export class Icmp4Packet extends IcmpPacket {
  /** Next-hop MTU of a Fragmentation Needed message (RFC 1191 §4). */
  get nextHopMtu(): number {
    return (this.bytes[6]! << 8) | this.bytes[7]!;
  }
  /** Parameter Problem pointer (RFC 792). */
  get pointer(): number {
    return this.bytes[4]!;
  }
}

/** Check length and checksum; the view is then safe to read. */
export function parseIcmp4(bytes: Uint8Array): Icmp4Packet | DropReason {
  return checkIcmp(bytes) ?? new Icmp4Packet(bytes);
}

/**
 * Build an ICMPv4 message: header with the 4 type-specific bytes given as a 32-bit word, then
 * `body`; checksum computed (RFC 792: over the whole ICMP message).
 */
export function emitIcmp4(type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  return emitIcmp(type, code, rest, body, internetChecksum);
}
