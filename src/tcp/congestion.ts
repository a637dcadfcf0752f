/**
 * Congestion control behind a small pluggable interface (DESIGN.md suggestion 6). The
 * connection asks `window()` how many bytes may be in flight and reports four events: new data
 * acknowledged, a loss found by duplicate ACKs or SACK (fast retransmit), a retransmission
 * timeout, and a new MSS. Loss *recovery* (which segments to resend, NewReno's window inflation,
 * RFC 6675's pipe) lives in recovery.ts; the algorithms here only size cwnd and ssthresh.
 * Variants: `cubic` (RFC 9438, default), `reno` (RFC 5681 + RFC 6582), `none` (exact tests).
 */
import type { CongestionControlName } from './config.js';
import { Cubic } from './congestion/cubic.js';
import { NoCongestionControl } from './congestion/none.js';
import { NewReno } from './congestion/reno.js';

/** What an ACK of new data tells the algorithm. */
export interface AckSample {
  /** New bytes acknowledged (RFC 3465 counts bytes, not ACKs). */
  readonly acked: number;
  readonly now: number;
  /** Smoothed RTT in ms, when known (CUBIC's time base). */
  readonly srtt: number | undefined;
  /**
   * RFC 7661 §4: the window is validated (the sender used at least half of it recently);
   * an application-limited sender does not grow cwnd.
   */
  readonly validated: boolean;
}

export interface CongestionControl {
  readonly name: string;
  /** Bytes the sender may have in flight (cwnd). */
  window(): number;
  /** The slow-start threshold in bytes (Infinity before the first loss). */
  slowStartThreshold(): number;
  /** New data was acknowledged outside loss recovery. */
  onAck(sample: AckSample): void;
  /** Fast retransmit (RFC 5681 §3.2 step 2): reduce ssthresh; cwnd becomes ssthresh. */
  onLoss(flightSize: number, now: number): void;
  /** The retransmission timer expired with `flightSize` bytes outstanding (RFC 5681 §3.1). */
  onRetransmitTimeout(flightSize: number, now: number): void;
  /** Cap cwnd (RFC 6582 §3.2 step 3 full ACK; RFC 7661 §4.4 reductions). */
  limitWindow(bytes: number): void;
  /** The sender's MSS became known (after the handshake) or changed (path MTU). */
  setMss(mss: number): void;
}

export function createCongestionControl(name: CongestionControlName, mss: number, initialSegments: number): CongestionControl {
  switch (name) {
    case 'none':
      return new NoCongestionControl();
    case 'reno':
      return new NewReno(mss, initialSegments);
    default:
      return new Cubic(mss, initialSegments);
  }
}

export { Cubic, NewReno, NoCongestionControl };
