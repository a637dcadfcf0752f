/**
 * Time for the stack. Nothing in src/ip or src/tcp reads the wall clock or calls
 * setTimeout: time comes in as a number of milliseconds from a Clock (DESIGN.md decision 3).
 * The same code runs on RealClock over a TUN device and on ManualClock in simulation.
 */
export interface Clock {
  /** Monotonic milliseconds (may be fractional). */
  now(): number;
  /**
   * Ask to be woken at time `at` (ms, same scale as now()). A later call replaces the
   * earlier request: the stack keeps one timer structure and asks only for its next deadline.
   * `at = Infinity` cancels.
   */
  wakeAt(at: number, callback: () => void): void;
  /** Release any pending wake-up so the process can exit. */
  dispose(): void;
}

/** The real, monotonic clock, backed by one Node timer at most. */
export class RealClock implements Clock {
  private timer: NodeJS.Timeout | undefined;
  private readonly origin = performance.now();

  now(): number {
    return performance.now() - this.origin;
  }

  wakeAt(at: number, callback: () => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!Number.isFinite(at)) return;
    const delay = Math.max(0, at - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      callback();
    }, delay);
    this.timer.unref?.();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * A clock that moves only when told to. `advance(ms)` runs due wake-ups in order, so a test
 * can say "200 ms pass" and see exactly the retransmissions that follow.
 */
export class ManualClock implements Clock {
  private current: number;
  private wake: { at: number; callback: () => void } | undefined;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  wakeAt(at: number, callback: () => void): void {
    this.wake = Number.isFinite(at) ? { at, callback } : undefined;
  }

  /** The time the clock has been asked to wake at, or Infinity. */
  nextWake(): number {
    return this.wake?.at ?? Infinity;
  }

  /** Move time forward by `ms`, firing every wake-up that falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    // Bounded: a callback that keeps re-arming for "now" cannot loop forever.
    for (let fired = 0; fired < 1_000_000; fired++) {
      const wake = this.wake;
      if (wake === undefined || wake.at > target) break;
      this.wake = undefined;
      if (wake.at > this.current) this.current = wake.at;
      wake.callback();
    }
    if (target > this.current) this.current = target;
  }

  dispose(): void {
    this.wake = undefined;
  }
}
