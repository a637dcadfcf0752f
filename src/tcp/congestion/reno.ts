/**
 * NewReno's window arithmetic (RFC 5681 §3.1, RFC 3465 byte counting, RFC 6928 initial window).
 * The fast-recovery steps of RFC 6582 that inflate and deflate the window are in recovery.ts.
 */
import type { AckSample, CongestionControl } from '../congestion.js';

export class NewReno implements CongestionControl {
  readonly name: string = 'reno';
  protected cwnd: number;
  protected ssthresh = Infinity;
  /** RFC 3465 §2.1: bytes acknowledged since cwnd last grew in congestion avoidance. */
  protected bytesAcked = 0;
  /** RFC 3465 §2.3: L = 1·SMSS in the slow start that follows a timeout, else 2·SMSS. */
  protected slowStartLimit = 2;

  constructor(
    protected mss: number,
    protected readonly initialSegments: number,
  ) {
    this.cwnd = initialSegments * mss; // RFC 6928 §2: IW = min(10·MSS, max(2·MSS, 14600))
  }

  window(): number {
    return this.cwnd;
  }

  slowStartThreshold(): number {
    return this.ssthresh;
  }

  setMss(mss: number): void {
    if (mss === this.mss) return;
    this.cwnd = Math.max(mss, Math.round((this.cwnd / this.mss) * mss));
    this.mss = mss;
  }

  onAck(sample: AckSample): void {
    if (!sample.validated) return; // RFC 7661 §4.3: no growth while the window is not validated
    if (this.cwnd < this.ssthresh) {
      // RFC 5681 §3.1 slow start with RFC 3465 §2.2 byte counting: cwnd += min(N, L·SMSS).
      this.cwnd += Math.min(sample.acked, this.slowStartLimit * this.mss);
      return;
    }
    this.slowStartLimit = 2;
    this.congestionAvoidance(sample);
  }

  /** RFC 5681 §3.1 / RFC 3465 §2.1: one SMSS per cwnd of bytes acknowledged. */
  protected congestionAvoidance(sample: AckSample): void {
    this.bytesAcked += sample.acked;
    if (this.bytesAcked >= this.cwnd) {
      this.bytesAcked -= this.cwnd;
      this.cwnd += this.mss;
    }
  }

  onLoss(flightSize: number, now: number): void {
    void now;
    this.ssthresh = this.reducedThreshold(flightSize); // RFC 5681 §3.2 step 2, eq. 4
    this.cwnd = this.ssthresh;
    this.bytesAcked = 0;
  }

  onRetransmitTimeout(flightSize: number, now: number): void {
    void now;
    // RFC 5681 §3.1: ssthresh per eq. 4 and the loss window of one segment. RFC 5681 §3.1 also
    // says a repeated timeout does not lower ssthresh again; we recompute from the flight size
    // like Linux does.
    this.ssthresh = this.reducedThreshold(flightSize);
    this.cwnd = this.mss;
    this.bytesAcked = 0;
    this.slowStartLimit = 1; // RFC 3465 §2.3
  }

  limitWindow(bytes: number): void {
    this.cwnd = Math.max(this.mss, Math.min(this.cwnd, Math.floor(bytes)));
  }

  /** RFC 5681 §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2·SMSS). */
  protected reducedThreshold(flightSize: number): number {
    return Math.max(Math.floor(flightSize / 2), 2 * this.mss);
  }
}
