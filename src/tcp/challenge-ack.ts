/**
 * RFC 5961 §7: challenge ACKs are rate-limited so an attacker cannot turn us into an ACK
 * amplifier. The RFC (and Linux's tcp_challenge_ack_limit) counts per stack: share one limiter
 * across connections through TcpConfig.challengeAckLimiter; by default each connection has one.
 */
export class ChallengeAckLimiter {
  private windowStart = -Infinity;
  private sentInWindow = 0;

  /** At most `perSecond` challenge ACKs in any one-second window (aligned on the first use). */
  constructor(readonly perSecond: number) {}

  /** True (and counted) when one more challenge ACK may be sent at time `now` (ms). */
  allow(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.sentInWindow = 0;
    }
    if (this.sentInWindow >= this.perSecond) return false;
    this.sentInWindow++;
    return true;
  }
}
