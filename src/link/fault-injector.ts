/**
 * A link wrapper that impairs traffic like a bad network: drop, duplicate, reorder, corrupt,
 * delay with jitter and a bandwidth limit with a bounded queue. Each direction has its own
 * impairment path and its own seeded generator, so a run is exactly repeatable for a seed.
 *
 * Timing uses a ScheduleFn, not Clock.wakeAt (a Clock holds one wake-up, which the stack owns):
 * in simulations pass `{ clock: sim, schedule: sim.schedule }` from a SimScheduler.
 * Order of stages per packet: drop → corrupt → duplicate → reorder → rate limit → delay/jitter.
 * Delay and jitter keep packets in order (jitter never reorders; `reorder` does that).
 */
import { RealClock, type Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { Random } from '../random.js';
import type { Link, PacketBatch } from './link.js';
import { LinkWrapperBase } from './wrapper.js';
import { realTimeSchedule, type ScheduleFn } from './sim-scheduler.js';

export interface FaultInjectorOptions {
  /** Seed of the generators: the same seed gives the same impairments. */
  seed: number;
  /** Probability that a packet is dropped. */
  drop?: number;
  /** Probability that a packet is sent twice. */
  duplicate?: number;
  /** Probability that a packet is held back and released after the next one (or after reorderHoldMs). */
  reorder?: number;
  /** How long a held-back packet waits for a successor before it goes out alone (default 1 ms). */
  reorderHoldMs?: number;
  /** Probability that one random bit of a packet is flipped (on a copy). */
  corrupt?: number;
  /** Fixed one-way delay in ms. */
  delayMs?: number;
  /** Each packet's delay varies uniformly by ± jitterMs (order is kept). */
  jitterMs?: number;
  /** Bandwidth limit in Mbit/s (serialization delay); packets beyond the queue limit are dropped. */
  rateMbit?: number;
  /** Bytes the rate limiter may queue before it drops (default 1 MiB). */
  queueLimitBytes?: number;
  /** Which traffic to impair (default both). */
  direction?: 'both' | 'send' | 'receive';
  clock?: Clock;
  /** Timer for delayed packets (default a Node timer relative to clock.now()). */
  schedule?: ScheduleFn;
}

export interface FaultCounts {
  /** Packets that entered this direction. */
  packets: number;
  /** Packets that came out (including duplicates). */
  passed: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  delayed: number;
  /** Dropped because the rate limiter's queue was full. */
  queueDropped: number;
}

const newCounts = (): FaultCounts => ({
  packets: 0,
  passed: 0,
  dropped: 0,
  duplicated: 0,
  reordered: 0,
  corrupted: 0,
  delayed: 0,
  queueDropped: 0,
});

interface Impairments {
  drop: number;
  duplicate: number;
  reorder: number;
  reorderHoldMs: number;
  corrupt: number;
  delayMs: number;
  jitterMs: number;
  /** Bytes per ms, or 0 for unlimited. */
  rateBytesPerMs: number;
  queueLimitBytes: number;
}

export class FaultInjector extends LinkWrapperBase {
  readonly sendStats: FaultCounts = newCounts();
  readonly receiveStats: FaultCounts = newCounts();
  private readonly sendPath: ImpairedPath | undefined;
  private readonly receivePath: ImpairedPath | undefined;

  constructor(inner: Link, options: FaultInjectorOptions) {
    const impairments = validate(options);
    super(inner);
    const clock = options.clock ?? new RealClock();
    const schedule = options.schedule ?? realTimeSchedule(clock);
    const direction = options.direction ?? 'both';
    // Once closed, held and delayed packets are forgotten: each path checks isOpen() before it emits.
    const isOpen = (): boolean => !this.closed;
    if (direction !== 'receive') {
      this.sendPath = new ImpairedPath(impairments, new Random(options.seed), clock, schedule, this.sendStats, false, isOpen, (batch) =>
        this.inner.send(batch),
      );
    }
    if (direction !== 'send') {
      // A second, independent stream of randomness: receive-side draws never shift send-side ones.
      this.receivePath = new ImpairedPath(
        impairments,
        new Random(options.seed + 0x5bd1e995),
        clock,
        schedule,
        this.receiveStats,
        true,
        isOpen,
        (batch) => this.receiver?.(batch),
      );
    }
  }

  /** Both directions added up. */
  get stats(): FaultCounts {
    const total = newCounts();
    for (const key of Object.keys(total) as (keyof FaultCounts)[]) total[key] = this.sendStats[key] + this.receiveStats[key];
    return total;
  }

  protected override onSend(packets: PacketBatch): void {
    if (this.sendPath) this.sendPath.process(packets);
    else this.inner.send(packets);
  }

  protected override onReceive(batch: PacketBatch): void {
    if (this.receivePath) this.receivePath.process(batch);
    else this.receiver?.(batch);
  }
}

/** One direction's impairments, emitting batches to `emit`. */
class ImpairedPath {
  private held: Uint8Array | undefined;
  private heldToken = 0;
  /** When the rate limiter's wire is next free (ms). */
  private wireFreeAt = -Infinity;
  /** Delivery time of the latest packet so far: later packets never overtake it. */
  private lastDeliveryAt = -Infinity;
  /** The newest scheduled batch, still open for packets due at the same time. */
  private openBatch: { at: number; packets: Uint8Array[]; sent: boolean } | undefined;

  constructor(
    private readonly impairments: Impairments,
    private readonly random: Random,
    private readonly clock: Clock,
    private readonly schedule: ScheduleFn,
    private readonly counts: FaultCounts,
    /** Receive side: input views die with the callback, so anything kept is copied. */
    private readonly inputIsBorrowed: boolean,
    private readonly isOpen: () => boolean,
    private readonly emit: (batch: Uint8Array[]) => void,
  ) {}

  process(batch: PacketBatch): void {
    const { drop, corrupt, duplicate } = this.impairments;
    const random = this.random;
    const out: Uint8Array[] = [];
    for (const original of batch) {
      this.counts.packets++;
      if (random.chance(drop)) {
        this.counts.dropped++;
        continue;
      }
      let packet = original;
      if (packet.length > 0 && random.chance(corrupt)) {
        packet = packet.slice(); // never mutate the caller's bytes
        const bit = random.int(packet.length * 8);
        packet[bit >>> 3]! ^= 0x80 >>> (bit & 7);
        this.counts.corrupted++;
      }
      this.reorderStage(packet, out);
      if (random.chance(duplicate)) {
        this.counts.duplicated++;
        this.reorderStage(packet.slice(), out);
      }
    }
    this.shape(out, this.inputIsBorrowed);
  }

  private reorderStage(packet: Uint8Array, out: Uint8Array[]): void {
    const held = this.held;
    if (held !== undefined) {
      // The held packet goes out right after its successor.
      this.held = undefined;
      out.push(packet, held);
      return;
    }
    if (!this.random.chance(this.impairments.reorder)) {
      out.push(packet);
      return;
    }
    this.counts.reordered++;
    this.held = this.inputIsBorrowed ? packet.slice() : packet;
    const token = ++this.heldToken;
    this.schedule(this.clock.now() + this.impairments.reorderHoldMs, () => {
      // No successor came in time: release it alone.
      if (this.heldToken !== token || this.held === undefined) return;
      const alone = this.held;
      this.held = undefined;
      this.shape([alone], false);
    });
  }

  /** Rate limit and delay, then emit now or later. `borrowed`: copy what is kept past this call. */
  private shape(packets: Uint8Array[], borrowed: boolean): void {
    if (packets.length === 0 || !this.isOpen()) return;
    const { delayMs, jitterMs, rateBytesPerMs, queueLimitBytes } = this.impairments;
    if (delayMs === 0 && jitterMs === 0 && rateBytesPerMs === 0 && this.lastDeliveryAt <= this.clock.now()) {
      this.counts.passed += packets.length;
      this.emit(packets);
      return;
    }
    const now = this.clock.now();
    const immediate: Uint8Array[] = [];
    for (const packet of packets) {
      let departure = now;
      if (rateBytesPerMs > 0) {
        const backlogBytes = Math.max(0, this.wireFreeAt - now) * rateBytesPerMs;
        if (backlogBytes + packet.length > queueLimitBytes) {
          this.counts.queueDropped++;
          continue;
        }
        // Serialization: the packet leaves when the wire is free and its bits are out.
        this.wireFreeAt = Math.max(now, this.wireFreeAt) + packet.length / rateBytesPerMs;
        departure = this.wireFreeAt;
      }
      let at = departure + delayMs;
      if (jitterMs > 0) at = Math.max(departure, at + this.random.range(-jitterMs, jitterMs));
      at = Math.max(at, this.lastDeliveryAt);
      this.lastDeliveryAt = at;
      if (at <= now) {
        immediate.push(packet);
        continue;
      }
      this.counts.delayed++;
      this.enqueue(at, borrowed ? packet.slice() : packet);
    }
    if (immediate.length > 0) {
      this.counts.passed += immediate.length;
      this.emit(immediate);
    }
  }

  private enqueue(at: number, packet: Uint8Array): void {
    const open = this.openBatch;
    if (open !== undefined && !open.sent && open.at === at) {
      open.packets.push(packet);
      return;
    }
    const batch = { at, packets: [packet], sent: false };
    this.openBatch = batch;
    this.schedule(at, () => {
      batch.sent = true;
      if (!this.isOpen()) return;
      this.counts.passed += batch.packets.length;
      this.emit(batch.packets);
    });
  }
}

function validate(options: FaultInjectorOptions): Impairments {
  if (!Number.isFinite(options.seed)) throw new InvalidArgumentError(`FaultInjector: seed must be a finite number, got ${options.seed}`);
  const probability = (name: keyof FaultInjectorOptions): number => {
    const value = (options[name] as number | undefined) ?? 0;
    if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError(`FaultInjector: ${name} must be a probability in [0, 1], got ${value}`);
    return value;
  };
  const nonNegative = (name: keyof FaultInjectorOptions, fallback: number): number => {
    const value = (options[name] as number | undefined) ?? fallback;
    if (!(value >= 0 && Number.isFinite(value))) throw new InvalidArgumentError(`FaultInjector: ${name} must be >= 0, got ${value}`);
    return value;
  };
  const rateMbit = nonNegative('rateMbit', 0);
  const direction = options.direction ?? 'both';
  if (direction !== 'both' && direction !== 'send' && direction !== 'receive') {
    throw new InvalidArgumentError(`FaultInjector: direction must be 'both', 'send' or 'receive', got ${String(direction)}`);
  }
  return {
    drop: probability('drop'),
    duplicate: probability('duplicate'),
    reorder: probability('reorder'),
    corrupt: probability('corrupt'),
    reorderHoldMs: nonNegative('reorderHoldMs', 1),
    delayMs: nonNegative('delayMs', 0),
    jitterMs: nonNegative('jitterMs', 0),
    rateBytesPerMs: (rateMbit * 1e6) / 8 / 1000,
    queueLimitBytes: nonNegative('queueLimitBytes', 1 << 20),
  };
}
