/**
 * A stream's idle timeout (setTimeout) on the stack's clock, not a Node timer: it is one more
 * Pollable of the stack's scheduler, so it runs under ManualClock exactly like TCP's timers
 * and costs nothing per read or write (touch() only stores a time). It fires once per idle
 * period: after firing it waits for the next activity before arming again.
 */
import type { Clock } from '../clock.js';
import type { Pollable } from '../timers.js';

/** The part of a stack the timer needs (Stack satisfies it). */
export interface IdleTimerHost {
  readonly clock: Clock;
  addPollable(pollable: Pollable): void;
  removePollable?(pollable: Pollable): void;
  reschedule(): void;
}

export class IdleTimer implements Pollable {
  private idleMs = 0;
  private lastActivity = 0;
  private armed = false;
  private registered = false;

  constructor(
    private readonly host: IdleTimerHost,
    /** Called from the scheduler: must only schedule work, never run application code. */
    private readonly onIdle: () => void,
  ) {}

  get timeout(): number {
    return this.idleMs;
  }

  /** Start (ms > 0) or stop (0) the idle timeout, counting from now. */
  set(ms: number): void {
    this.idleMs = ms;
    if (ms === 0) {
      this.stop();
      return;
    }
    this.lastActivity = this.host.clock.now();
    this.armed = true;
    if (!this.registered) {
      this.registered = true;
      this.host.addPollable(this); // reschedules
    } else {
      this.host.reschedule();
    }
  }

  /** Read or write activity: the idle period starts again. */
  touch(): void {
    if (this.idleMs === 0) return;
    this.lastActivity = this.host.clock.now();
    if (!this.armed) {
      this.armed = true;
      this.host.reschedule();
    }
  }

  stop(): void {
    this.armed = false;
    if (this.registered) {
      this.registered = false;
      this.host.removePollable?.(this);
    }
  }

  pollAt(): number {
    return this.armed ? this.lastActivity + this.idleMs : Infinity;
  }

  poll(now: number): void {
    if (!this.armed || now < this.lastActivity + this.idleMs) return;
    this.armed = false;
    this.onIdle();
  }
}

/** A host for the idle timer of a stream without a stack: one Node timer (unref'd, as Node's). */
export function nodeTimerHost(): IdleTimerHost {
  let timer: NodeJS.Timeout | undefined;
  const pollables = new Set<Pollable>();
  const host: IdleTimerHost = {
    clock: { now: () => performance.now(), wakeAt: () => {}, dispose: () => {} },
    addPollable: (pollable) => {
      pollables.add(pollable);
      host.reschedule();
    },
    removePollable: (pollable) => {
      pollables.delete(pollable);
      host.reschedule();
    },
    reschedule: () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      let at = Infinity;
      for (const pollable of pollables) at = Math.min(at, pollable.pollAt());
      if (!Number.isFinite(at)) return;
      timer = setTimeout(() => {
        timer = undefined;
        for (const pollable of [...pollables]) pollable.poll(performance.now());
        host.reschedule();
      }, Math.max(0, at - performance.now()));
      timer.unref();
    },
  };
  return host;
}
