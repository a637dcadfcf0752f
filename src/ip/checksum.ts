/**
 * The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of
 * 16-bit big-endian words. Sums are kept unfolded in a JS number and folded at the end, so
 * partial sums (pseudo-header + header + payload) can be added together.
 */
import type { IpAddress } from './address.js';

/** Ranges at least this long are summed as 32-bit words (below it, the setup costs more than it saves). */
const WORD_SUM_MIN_LENGTH = 128;
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Ones'-complement sum (unfolded) of bytes[start, end), added to `initial`. */
export function sumBytes(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  if (end - i >= WORD_SUM_MIN_LENGTH && LITTLE_ENDIAN_HOST && ((bytes.byteOffset + i) & 1) === 0) {
    // Align to a 32-bit boundary with one big-endian 16-bit word if needed, then sum words.
    if (((bytes.byteOffset + i) & 3) !== 0) {
      sum += (bytes[i]! << 8) | bytes[i + 1]!;
      i += 2;
    }
    const words = (end - i) >>> 2;
    sum += sumAlignedWords(bytes, i, words);
    i += words * 4;
  }
  // Two 16-bit words per step; an unfolded sum stays exact far beyond any packet size.
  const evenEnd = end - ((end - i) & 1);
  for (; i + 3 < evenEnd; i += 4) {
    sum += ((bytes[i]! << 8) | bytes[i + 1]!) + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  for (; i < evenEnd; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  // RFC 1071 §4.1: an odd trailing byte is padded with a zero byte.
  if (evenEnd !== end) sum += bytes[end - 1]! << 8;
  return sum;
}

/**
 * The big-endian 16-bit sum of `words` 32-bit words at a 4-byte-aligned bytes[start], read as
 * host (little-endian) 32-bit words: RFC 1071 §2 (A) lets us add 32-bit words and fold later,
 * and §2 (B) says the sum is byte-order independent — fold, then swap the two bytes.
 */
function sumAlignedWords(bytes: Uint8Array, start: number, words: number): number {
  const view = new Uint32Array(bytes.buffer, bytes.byteOffset + start, words);
  let little = 0; // at most 2^32 per word: exact in a double for any packet
  let w = 0;
  for (; w + 3 < words; w += 4) little += view[w]! + view[w + 1]! + view[w + 2]! + view[w + 3]!;
  for (; w < words; w++) little += view[w]!;
  const folded = foldSum(little);
  return ((folded & 0xff) << 8) | (folded >>> 8);
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
