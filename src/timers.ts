/**
 * The stack's one clock wake-up. Every component that keeps deadlines (reassembly, TCP
 * connections, pings) is a Pollable; the scheduler asks the Clock to wake it at the earliest
 * `pollAt()` and then polls every component that is due (DESIGN.md decision 3).
 */
import type { Clock } from './clock.js';
import type { Counters } from './stats.js';

export interface Pollable {
  /** The next time this component needs `poll`, in clock ms; Infinity when none. */
  pollAt(): number;
  /** Do what is due at `now`. Must not throw (a throw is counted and swallowed). */
  poll(now: number): void;
}

export class PollScheduler {
  private readonly pollables = new Set<Pollable>();
  private scheduledAt = Infinity;
  private closed = false;
  private polling = false;
  /** Deadlines are never scheduled at or before the last wake-up: a component still due after its poll waits 1 ms. */
  private floor = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly counters: Counters,
  ) {}

  add(pollable: Pollable): void {
    this.pollables.add(pollable);
    this.reschedule();
  }

  remove(pollable: Pollable): void {
    this.pollables.delete(pollable);
    this.reschedule();
  }

  /** Recompute the earliest deadline and move the clock wake-up if it changed. */
  reschedule(): void {
    if (this.closed || this.polling) return;
    let earliest = Infinity;
    for (const pollable of this.pollables) {
      const at = safePollAt(pollable);
      if (at < earliest) earliest = at;
    }
    if (earliest < this.floor) earliest = this.floor;
    if (earliest === this.scheduledAt) return;
    this.scheduledAt = earliest;
    this.clock.wakeAt(earliest, () => this.wake());
  }

  close(): void {
    this.closed = true;
    this.pollables.clear();
    this.scheduledAt = Infinity;
    this.clock.wakeAt(Infinity, () => {});
    this.clock.dispose();
  }

  private wake(): void {
    if (this.closed) return;
    this.scheduledAt = Infinity;
    const now = this.clock.now();
    this.floor = now + 1;
    this.polling = true;
    try {
      for (const pollable of [...this.pollables]) {
        if (safePollAt(pollable) > now) continue;
        try {
          pollable.poll(now);
        } catch {
          this.counters.count('stack.pollErrors');
        }
      }
    } finally {
      this.polling = false;
    }
    this.reschedule();
  }
}

function safePollAt(pollable: Pollable): number {
  try {
    const at = pollable.pollAt();
    return Number.isNaN(at) ? Infinity : at;
  } catch {
    return Infinity;
  }
}
