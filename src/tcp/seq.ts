/**
 * Sequence-number arithmetic (RFC 9293 §3.4): 32-bit numbers compared modulo 2^32.
 * Every comparison of sequence numbers in the stack goes through this module: `a < b` on two
 * sequence numbers is wrong as soon as they straddle the wrap, `seqLt(a, b)` is not.
 * Comparisons are valid while the two numbers are less than 2^31 apart.
 */

/** a < b (mod 2^32). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b (mod 2^32). */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b (mod 2^32). */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a >= b (mod 2^32). */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** a + n mod 2^32, as an unsigned 32-bit number (n may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance b → a: how far `a` is ahead of `b` (negative when behind). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return seqGe(a, b) ? a : b;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return seqLe(a, b) ? a : b;
}

/** start <= seq < start + length (mod 2^32); false for an empty window. */
export function inWindow(seq: number, start: number, length: number): boolean {
  const offset = (seq - start) >>> 0;
  return length > 0 && offset < length;
}

/** low <= seq <= high (mod 2^32). */
export function seqBetween(low: number, seq: number, high: number): boolean {
  return seqLe(low, seq) && seqLe(seq, high);
}
