/**
 * Congestion window validation for application-limited senders (RFC 7661). The window is
 * "validated" while the sender has recently used at least half of it (§4.1, pipeACK >= ½·cwnd);
 * only then may an ACK grow it, so a sender that idles along at a low rate does not build up a
 * window it never tested. We measure use as the largest FlightSize seen over the pipeACK
 * sampling period (§4.1: at least 3 RTTs; max(3·SRTT, 1 s) here), which the sender knows at
 * once, rather than acknowledged bytes per RTT. After a non-validated period of 5 minutes
 * (§4.3, NVP) the window is halved, no lower than the initial window.
 */

/** RFC 7661 §4.3: the non-validated period. */
export const NON_VALIDATED_PERIOD = 5 * 60 * 1000;

export class CwndValidation {
  private bucketStart = -Infinity;
  private currentMax = 0;
  private previousMax = 0;
  /** When the window stopped being validated, or undefined while validated. */
  private nonValidatedSince: number | undefined;

  /** Record the FlightSize after a transmission. */
  onSend(flightSize: number, now: number, srtt: number | undefined): void {
    const period = Math.max(3 * (srtt ?? 1000), 1000);
    if (now - this.bucketStart >= period) {
      this.previousMax = this.currentMax;
      this.currentMax = 0;
      this.bucketStart = now;
    }
    if (flightSize > this.currentMax) this.currentMax = flightSize;
  }

  /** RFC 7661 §4.1: validated when the recent use is at least half of cwnd. */
  validated(cwnd: number, now: number): boolean {
    const used = Math.max(this.currentMax, this.previousMax);
    const validated = cwnd === Infinity || used * 2 >= cwnd;
    if (validated) this.nonValidatedSince = undefined;
    else if (this.nonValidatedSince === undefined) this.nonValidatedSince = now;
    return validated;
  }

  /** RFC 7661 §4.3: true once the window has been non-validated for the whole NVP (then restarts the count). */
  nonValidatedPeriodExpired(now: number): boolean {
    if (this.nonValidatedSince === undefined || now - this.nonValidatedSince < NON_VALIDATED_PERIOD) return false;
    this.nonValidatedSince = now;
    return true;
  }

  /** A congestion event ends the non-validated phase's bookkeeping (the window was just reduced). */
  onLoss(): void {
    this.nonValidatedSince = undefined;
  }
}
