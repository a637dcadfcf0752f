/**
 * The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of
 * 16-bit big-endian words. Sums are kept unfolded in a JS number and folded at the end, so
 * partial sums (pseudo-header + header + payload) can be added together.
 */
import type { IpAddress } from './address.js';

/** Ones'-complement sum (unfolded) of bytes[start, end), added to `initial`. */
export function sumBytes(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  // Two 16-bit words per step; an unfolded sum stays exact far beyond any packet size.
  const evenEnd = end - ((end - start) & 1);
  for (; i + 3 < evenEnd; i += 4) {
    sum += ((bytes[i]! << 8) | bytes[i + 1]!) + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  for (; i < evenEnd; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  // RFC 1071 §4.1: an odd trailing byte is padded with a zero byte.
  if (evenEnd !== end) sum += bytes[end - 1]! << 8;
  return sum;
}

/** Fold an unfolded sum to 16 bits (end-around carry). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value for a sum: ~fold(sum) & 0xffff. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** Checksum of a byte range (the value to store in a checksum field that was zero). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(sumBytes(bytes, start, end));
}

/** True when a range that includes its checksum field sums to 0xffff (i.e. verifies). */
export function checksumVerifies(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): boolean {
  return foldSum(sumBytes(bytes, start, end, initial)) === 0xffff;
}

/**
 * Pseudo-header sum for TCP/UDP/ICMPv6: RFC 793 §3.1 (IPv4: src, dst, zero, protocol, length)
 * and RFC 8200 §8.1 (IPv6: src, dst, 32-bit length, three zero bytes, next header).
 * Both reduce to: sum(src) + sum(dst) + protocol + length.
 */
export function pseudoHeaderSum(src: IpAddress, dst: IpAddress, protocol: number, length: number): number {
  return sumBytes(src.bytes) + sumBytes(dst.bytes) + protocol + (length & 0xffff) + Math.floor(length / 0x10000);
}

/** RFC 1624 eqn. 3: update a checksum when one 16-bit word changes from `old` to `updated`. */
export function updateChecksum(checksum: number, old: number, updated: number): number {
  return ~foldSum((~checksum & 0xffff) + (~old & 0xffff) + updated) & 0xffff;
}
