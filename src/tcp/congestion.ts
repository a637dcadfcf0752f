/**
 * Congestion control behind a small interface, so loss recovery and other algorithms
 * (NewReno, CUBIC, SACK-based) can plug in later. The connection asks `window()` how many bytes
 * may be in flight and reports the three events below; nothing else.
 */
import type { CongestionControlName } from './config.js';

export interface CongestionControl {
  readonly name: string;
  /** Bytes the sender may have in flight (cwnd). */
  window(): number;
  /** `acked` new bytes were acknowledged. */
  onAck(acked: number, now: number): void;
  /** The retransmission timer expired with `inFlight` bytes outstanding (RFC 5681 §3.1). */
  onRetransmitTimeout(inFlight: number, now: number): void;
  /** The sender's MSS became known (after the handshake). */
  setMss(mss: number): void;
}

/** Slow start and congestion avoidance (RFC 5681 §3.1), without fast retransmit. */
export class RenoLite implements CongestionControl {
  readonly name = 'reno';
  private cwnd: number;
  private ssthresh = Infinity;
  private partialAcked = 0;

  constructor(
    private mss: number,
    private readonly initialSegments: number,
  ) {
    this.cwnd = initialSegments * mss; // RFC 6928
  }

  window(): number {
    return this.cwnd;
  }

  setMss(mss: number): void {
    if (mss === this.mss) return;
    this.cwnd = Math.max(mss, Math.round((this.cwnd / this.mss) * mss));
    this.mss = mss;
  }

  onAck(acked: number): void {
    if (this.cwnd < this.ssthresh) {
      // RFC 5681 §3.1 slow start (RFC 3465 byte counting, L = 2·SMSS).
      this.cwnd += Math.min(acked, 2 * this.mss);
      return;
    }
    // RFC 5681 §3.1 congestion avoidance: one MSS per window of data acknowledged.
    this.partialAcked += acked;
    if (this.partialAcked >= this.cwnd) {
      this.partialAcked -= this.cwnd;
      this.cwnd += this.mss;
    }
  }

  onRetransmitTimeout(inFlight: number): void {
    // RFC 5681 §3.1 eq. 4 and the loss window of one segment.
    this.ssthresh = Math.max(Math.floor(inFlight / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.partialAcked = 0;
  }
}

/** No congestion control: only the peer's window limits the sender (exact-timing tests). */
export class NoCongestionControl implements CongestionControl {
  readonly name = 'none';
  window(): number {
    return Infinity;
  }
  onAck(): void {}
  onRetransmitTimeout(): void {}
  setMss(): void {}
}

export function createCongestionControl(name: CongestionControlName, mss: number, initialSegments: number): CongestionControl {
  return name === 'none' ? new NoCongestionControl() : new RenoLite(mss, initialSegments);
}
