/**
 * What ICMPv4 (RFC 792) and ICMPv6 (RFC 4443 §2.1) share: an 8-byte header — type, code,
 * checksum, 4 type-specific bytes (echo identifier and sequence, MTU, pointer) — then a body.
 * Only the checksum differs: ICMPv6 adds a pseudo-header (RFC 8200 §8.1).
 */
import { checksumVerifies } from './checksum.js';
import type { DropReason } from '../stats.js';

export const ICMP_HEADER_LENGTH = 8;

export class IcmpPacket {
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
  /** Echo identifier / sequence (RFC 792 echo, RFC 4443 §4.1). */
  get identifier(): number {
    return (this.bytes[4]! << 8) | this.bytes[5]!;
  }
  get sequence(): number {
    return (this.bytes[6]! << 8) | this.bytes[7]!;
  }
  get body(): Uint8Array {
    return this.bytes.subarray(ICMP_HEADER_LENGTH);
  }
}

/** Why a message must be dropped (too short, bad checksum), or undefined when its view is safe to read. */
export function checkIcmp(bytes: Uint8Array, pseudoHeaderSum = 0): DropReason | undefined {
  if (bytes.length < ICMP_HEADER_LENGTH) return 'badLength';
  if (!checksumVerifies(bytes, 0, bytes.length, pseudoHeaderSum)) return 'badChecksum';
  return undefined;
}

/**
 * Build an ICMP message: header with the 4 type-specific bytes given as a 32-bit word, then
 * `body`; the checksum is `checksumOf` the message with its checksum field zero.
 */
export function emitIcmp(type: number, code: number, rest: number, body: Uint8Array, checksumOf: (message: Uint8Array) => number): Uint8Array {
  const out = new Uint8Array(ICMP_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = code;
  out[4] = (rest >>> 24) & 0xff;
  out[5] = (rest >>> 16) & 0xff;
  out[6] = (rest >>> 8) & 0xff;
  out[7] = rest & 0xff;
  out.set(body, ICMP_HEADER_LENGTH);
  const checksum = checksumOf(out);
  out[2] = checksum >> 8;
  out[3] = checksum & 0xff;
  return out;
}
