/**
 * A small seeded pseudo-random generator (xoshiro128**, Blackman & Vigna 2018), seeded through
 * splitmix32 so any integer seed gives a well-mixed state. Deterministic for a seed: the same
 * seed always yields the same sequence, which makes simulations and fault injection repeatable.
 * Not for cryptography (use node:crypto for that).
 */
import { InvalidArgumentError } from './errors.js';

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new InvalidArgumentError(`Random seed must be a finite number, got ${seed}`);
    // splitmix32 expands one 32-bit seed into four state words (never all zero).
    let x = Math.trunc(seed) >>> 0;
    // Fold in the high bits of a large seed so 2**32 and 0 differ.
    x = (x ^ Math.trunc(seed / 0x1_0000_0000)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An integer in [0, n), for 1 <= n <= 2**32. */
  int(n: number): number {
    if (!(n >= 1 && n <= 0x1_0000_0000)) throw new InvalidArgumentError(`Random.int(n) needs 1 <= n <= 2**32, got ${n}`);
    return Math.floor(this.next() * Math.floor(n));
  }

  /** A float in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability p (p <= 0: never, p >= 1: always). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** n random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let word = this.nextUint32();
      for (let j = i; j < i + 4 && j < n; j++, word >>>= 8) out[j] = word & 0xff;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
