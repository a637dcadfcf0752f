/**
 * The retransmission timeout (RFC 6298). Samples come only from segments sent once
 * (Karn's rule, §3: the caller never samples a retransmitted segment); a timeout doubles the
 * RTO (§5.5) and the doubled value stays until the next valid sample recomputes it.
 */
export interface RtoOptions {
  readonly initialRto: number;
  readonly minRto: number;
  readonly maxRto: number;
}

/** Clock granularity G (RFC 6298 §2): our clock is in milliseconds. */
const CLOCK_GRANULARITY = 1;

export class RtoEstimator {
  /** Smoothed RTT, undefined before the first sample. */
  srtt: number | undefined;
  rttvar = 0;
  /** The current RTO in ms (with backoff applied). */
  rto: number;
  /** How many times the RTO has been doubled since the last sample. */
  backoffs = 0;

  constructor(private readonly options: RtoOptions) {
    this.rto = options.initialRto; // RFC 6298 §2.1
  }

  /** Feed one RTT measurement R (ms). */
  sample(rtt: number): void {
    const r = Math.max(rtt, 0);
    if (this.srtt === undefined) {
      // RFC 6298 §2.2: the first measurement.
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // RFC 6298 §2.3: beta = 1/4, alpha = 1/8, RTTVAR updated with the old SRTT.
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.backoffs = 0;
    this.rto = this.clamp(this.srtt + Math.max(CLOCK_GRANULARITY, 4 * this.rttvar));
  }

  /** RFC 6298 §5.5: back off the timer after it expires. */
  backoff(): void {
    this.backoffs++;
    this.rto = this.clamp(this.rto * 2);
  }

  private clamp(rto: number): number {
    // RFC 6298 §2.4 (minimum, an option here) and §2.5 (maximum).
    return Math.min(this.options.maxRto, Math.max(this.options.minRto, rto));
  }
}
