/**
 * CUBIC (RFC 9438): the window follows W_cubic(t) = C·(t − K)³ + W_max after a reduction by
 * β = 0.7, with a Reno-friendly estimate W_est as its floor. Slow start, byte counting and the
 * timeout response are NewReno's (RFC 9438 §4.10, §4.8). Windows in the formulas are in segments,
 * time in seconds, as in the RFC.
 */
import type { AckSample } from '../congestion.js';
import { NewReno } from './reno.js';

/** RFC 9438 §5: C = 0.4, β_cubic = 0.7; α_cubic = 3·(1 − β)/(1 + β) (§4.3). */
const C = 0.4;
const BETA = 0.7;
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

export class Cubic extends NewReno {
  override readonly name = 'cubic';
  /** W_max and the W_max before it (fast convergence, §4.7), in segments. */
  private wMax = 0;
  private lastWMax = 0;
  /** K in seconds (§4.2 eq. 2). */
  private k = 0;
  /** Start of the current congestion-avoidance epoch (ms), undefined until its first ACK. */
  private epochStart: number | undefined;
  /** W_est in segments (§4.3). */
  private wEst = 0;

  override onLoss(flightSize: number, now: number): void {
    void flightSize;
    void now;
    const cwndSegments = this.cwnd / this.mss;
    // §4.7 fast convergence: release bandwidth faster when W_max keeps shrinking.
    this.wMax = cwndSegments < this.lastWMax ? (cwndSegments * (1 + BETA)) / 2 : cwndSegments;
    this.lastWMax = cwndSegments;
    // §4.6: ssthresh = cwnd · β_cubic (at least 2 segments, RFC 5681), cwnd = ssthresh.
    this.ssthresh = Math.max(Math.floor(this.cwnd * BETA), 2 * this.mss);
    this.cwnd = this.ssthresh;
    this.bytesAcked = 0;
    this.epochStart = undefined;
  }

  override onRetransmitTimeout(flightSize: number, now: number): void {
    // §4.8: on a timeout CUBIC reduces like a loss (W_max, ssthresh), then cwnd = 1 segment.
    this.onLoss(flightSize, now);
    this.cwnd = this.mss;
    this.slowStartLimit = 1;
  }

  protected override congestionAvoidance(sample: AckSample): void {
    const cwndSegments = this.cwnd / this.mss;
    if (this.epochStart === undefined) {
      // §4.2: the epoch starts with the first ACK of congestion avoidance.
      this.epochStart = sample.now;
      this.wEst = cwndSegments;
      if (this.wMax < cwndSegments) {
        this.wMax = cwndSegments;
        this.k = 0;
      } else {
        this.k = Math.cbrt((this.wMax - cwndSegments) / C); // §4.2 eq. 2 with cwnd_epoch
      }
    }
    const rtt = (sample.srtt ?? 100) / 1000;
    const t = (sample.now - this.epochStart) / 1000;
    const ackedSegments = sample.acked / this.mss;
    // §4.3: the Reno-friendly estimate; α becomes 1 once W_est reaches W_max.
    const alpha = this.wEst >= this.wMax ? 1 : ALPHA;
    this.wEst += (alpha * ackedSegments) / cwndSegments;
    if (this.wEst > this.cubicWindow(t)) {
      this.growTo(this.wEst); // §4.3: the Reno-friendly region
      return;
    }
    // §4.4 / §4.5: aim at W_cubic one RTT ahead, bounded to [cwnd, 1.5·cwnd].
    const target = Math.min(Math.max(this.cubicWindow(t + rtt), cwndSegments), 1.5 * cwndSegments);
    this.growTo(cwndSegments + ((target - cwndSegments) / cwndSegments) * ackedSegments);
  }

  /** §4.2 eq. 1: W_cubic(t) = C·(t − K)³ + W_max. */
  private cubicWindow(t: number): number {
    return C * (t - this.k) ** 3 + this.wMax;
  }

  private growTo(segments: number): void {
    const bytes = Math.floor(segments * this.mss);
    if (bytes > this.cwnd) this.cwnd = bytes;
  }

  /** Test hook: the cubic parameters now. */
  describe(): { wMax: number; k: number; ssthresh: number; cwnd: number } {
    return { wMax: this.wMax, k: this.k, ssthresh: this.ssthresh, cwnd: this.cwnd };
  }
}
