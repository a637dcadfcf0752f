/**
 * Virtual time for deterministic simulations: a priority queue of (time, sequence, callback)
 * run by advancing a clock, ManualClock-style. Several parties share one timeline: the
 * FaultInjector and MemoryLink schedule delayed deliveries with `schedule`, and each stack
 * gets its own one-wake-up Clock from `createClock()` (Clock.wakeAt holds ONE wake-up per clock).
 * Events at equal times run in the order they were scheduled.
 */
import type { Clock } from '../clock.js';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';

/** Run `fn` at time `atMs` (same scale as the clock's now()). */
export type ScheduleFn = (atMs: number, fn: () => void) => void;

export interface ScheduledEvent {
  readonly at: number;
  /** Forget the event if it has not run yet. */
  cancel(): void;
}

interface Entry extends ScheduledEvent {
  readonly seq: number;
  fn: (() => void) | undefined;
}

/** More events than this in one advance means a callback keeps rescheduling itself for "now". */
const DEFAULT_MAX_EVENTS = 10_000_000;

export class SimScheduler implements Clock {
  private current: number;
  private heap: Entry[] = [];
  private sequence = 0;
  private live = 0;
  private ownWake: ScheduledEvent | undefined;

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new InvalidArgumentError(`SimScheduler start must be finite, got ${start}`);
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Schedule `fn` at `atMs`; a time in the past runs at the current time. Bound: usable as a ScheduleFn. */
  readonly schedule = (atMs: number, fn: () => void): ScheduledEvent => {
    if (Number.isNaN(atMs)) throw new InvalidArgumentError('SimScheduler.schedule: time is NaN');
    const entry: Entry = {
      at: Math.max(atMs, this.current),
      seq: this.sequence++,
      fn,
      cancel: () => {
        if (entry.fn !== undefined) {
          entry.fn = undefined;
          this.live--;
        }
      },
    };
    if (entry.at === Infinity) return entry; // never due
    this.live++;
    this.push(entry);
    return entry;
  };

  /** Clock.wakeAt for the scheduler itself (one wake-up; a later call replaces it). */
  wakeAt(at: number, callback: () => void): void {
    this.ownWake?.cancel();
    this.ownWake = Number.isFinite(at) ? this.schedule(at, callback) : undefined;
  }

  /** A new Clock on this timeline with its own single wake-up slot (one per stack). */
  createClock(): Clock {
    let wake: ScheduledEvent | undefined;
    return {
      now: () => this.current,
      wakeAt: (at, callback) => {
        wake?.cancel();
        wake = Number.isFinite(at) ? this.schedule(at, callback) : undefined;
      },
      dispose: () => {
        wake?.cancel();
        wake = undefined;
      },
    };
  }

  /** Number of events still to run. */
  get pending(): number {
    return this.live;
  }

  /** Time of the next event, or Infinity. */
  nextAt(): number {
    this.discardCancelled();
    return this.heap[0]?.at ?? Infinity;
  }

  /** ManualClock-compatible name for nextAt(). */
  nextWake(): number {
    return this.nextAt();
  }

  advance(ms: number): number {
    return this.advanceTo(this.current + ms);
  }

  /** Run every event due at or before `target` (including ones they schedule), then set the time to `target`. Returns the number run. */
  advanceTo(target: number, maxEvents = DEFAULT_MAX_EVENTS): number {
    let ran = 0;
    while (this.runNext(target)) {
      if (++ran >= maxEvents) throw new InvalidStateError(`SimScheduler: more than ${maxEvents} events before t=${target} ms`);
    }
    if (target > this.current) this.current = target;
    return ran;
  }

  /** Run events until none is left (time jumps from one to the next). Returns the number run. */
  runUntilIdle(maxEvents = DEFAULT_MAX_EVENTS): number {
    let ran = 0;
    while (this.runNext(Infinity)) {
      if (++ran >= maxEvents) throw new InvalidStateError(`SimScheduler: still busy after ${maxEvents} events`);
    }
    return ran;
  }

  /**
   * Like advance(), but lets queued microtasks (e.g. MemoryLink deliveries) run before each
   * event and at the end, so microtask-driven parts and timed parts interleave as in real time.
   */
  async advanceSettled(ms: number, maxEvents = DEFAULT_MAX_EVENTS): Promise<number> {
    const target = this.current + ms;
    let ran = 0;
    await settleMicrotasks();
    while (this.runNext(target)) {
      if (++ran >= maxEvents) throw new InvalidStateError(`SimScheduler: more than ${maxEvents} events before t=${target} ms`);
      await settleMicrotasks();
    }
    if (target > this.current) this.current = target;
    return ran;
  }

  /** Drop every pending event. */
  dispose(): void {
    for (const entry of this.heap) entry.fn = undefined;
    this.heap = [];
    this.live = 0;
    this.ownWake = undefined;
  }

  private runNext(limit: number): boolean {
    this.discardCancelled();
    const head = this.heap[0];
    if (head === undefined || head.at > limit) return false;
    this.pop();
    const fn = head.fn!;
    head.fn = undefined;
    this.live--;
    if (head.at > this.current) this.current = head.at;
    fn();
    return true;
  }

  private discardCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === undefined) this.pop();
  }

  private static before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!SimScheduler.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && SimScheduler.before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && SimScheduler.before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

/** Resolve after every microtask queued so far (and those they queue) has run. */
export function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The default ScheduleFn on real time: a Node timer relative to `clock.now()`, unref'd so it never holds the process open. */
export function realTimeSchedule(clock: Clock): ScheduleFn {
  return (atMs, fn) => {
    const timer = setTimeout(fn, Math.max(0, atMs - clock.now()));
    timer.unref?.();
  };
}
