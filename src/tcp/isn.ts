/**
 * Initial sequence numbers (RFC 6528 §3): ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), with M a timer ticking every 4 microseconds and F a keyed hash (HMAC-SHA-256
 * here, truncated to 32 bits) under a secret chosen at random for each stack.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IpAddress } from '../ip/address.js';
import { InvalidArgumentError } from '../errors.js';

export class IsnGenerator {
  private readonly secret: Uint8Array;

  /** `secret`: at least 16 bytes; omit it for a fresh random one. */
  constructor(secret: Uint8Array = randomBytes(32)) {
    if (secret.length < 16) throw new InvalidArgumentError(`ISN secret must be at least 16 bytes, got ${secret.length}`);
    this.secret = Uint8Array.from(secret);
  }

  /** The ISN for a connection at time `now` (ms). */
  isn(localAddress: IpAddress, localPort: number, remoteAddress: IpAddress, remotePort: number, now: number): number {
    const ports = Uint8Array.of(localPort >>> 8, localPort & 0xff, remotePort >>> 8, remotePort & 0xff);
    const digest = createHmac('sha256', this.secret).update(localAddress.bytes).update(ports).update(remoteAddress.bytes).digest();
    const hash = digest.readUInt32BE(0);
    // RFC 6528 §3: M, a 4-microsecond timer (250 ticks per ms), modulo 2^32.
    const ticks = Math.floor(now * 250) % 0x1_0000_0000;
    return (ticks + hash) >>> 0;
  }
}
