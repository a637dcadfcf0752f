/**
 * ICMPv4 codec (RFC 792): the 8-byte header (type, code, checksum, 4 type-specific bytes) and
 * a body. The checksum covers the whole ICMP message.
 */
import { checksumVerifies, internetChecksum } from './checksum.js';
import type { DropReason } from '../stats.js';

export const ICMP4_HEADER_LENGTH = 8;

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

export class Icmp4Packet {
  constructor(readonly bytes: Uint8Array) {}
  get type(): number {
    return this.bytes[0]!;
  }
  get code(): number {
    return this.bytes[1]!;
  }
  get checksum(): number {
    return (this.bytes[2]! << 8) | this.bytes[3]!;
  }
  /** Echo identifier / sequence (RFC 792 echo). */
  get identifier(): number {
    return (this.bytes[4]! << 8) | this.bytes[5]!;
  }
  get sequence(): number {
    return (this.bytes[6]! << 8) | this.bytes[7]!;
  }
  /** Next-hop MTU of a Fragmentation Needed message (RFC 1191 §4). */
  get nextHopMtu(): number {
    return (this.bytes[6]! << 8) | this.bytes[7]!;
  }
  /** Parameter Problem pointer (RFC 792). */
  get pointer(): number {
    return this.bytes[4]!;
  }
  get body(): Uint8Array {
    return this.bytes.subarray(ICMP4_HEADER_LENGTH);
  }
}

/** Check length and checksum; the view is then safe to read. */
export function parseIcmp4(bytes: Uint8Array): Icmp4Packet | DropReason {
  if (bytes.length < ICMP4_HEADER_LENGTH) return 'badLength';
  if (!checksumVerifies(bytes)) return 'badChecksum';
  return new Icmp4Packet(bytes);
}

/**
 * Build an ICMPv4 message: header with the 4 type-specific bytes given as a 32-bit word, then
 * `body`; checksum computed.
 */
export function emitIcmp4(type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(ICMP4_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = code;
  out[4] = (rest >>> 24) & 0xff;
  out[5] = (rest >>> 16) & 0xff;
  out[6] = (rest >>> 8) & 0xff;
  out[7] = rest & 0xff;
  out.set(body, ICMP4_HEADER_LENGTH);
  const checksum = internetChecksum(out);
  out[2] = checksum >> 8;
  out[3] = checksum & 0xff;
  return out;
}
