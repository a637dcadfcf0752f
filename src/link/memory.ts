/**
 * In-memory links: a connected pair of endpoints (what one sends, the other receives).
 * Delivery is asynchronous — one queueMicrotask per batch, in order — so a stack that sends
 * while handling a received batch never re-enters itself. With `schedule` (e.g. a
 * SimScheduler's) or a latency, each batch is delivered at `clock.now() + latencyMs` instead.
 */
import { RealClock, type Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import type { BatchReceiver, Link, PacketBatch } from './link.js';
import { realTimeSchedule, type ScheduleFn } from './sim-scheduler.js';

export interface MemoryLinkStats {
  /** Packets accepted by send() for delivery. */
  sent: number;
  /** Packets handed to this end's receiver. */
  received: number;
  /** Packets dropped at this end: larger than the MTU, sent on a closed link, or arriving with no receiver / after close. */
  dropped: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface MemoryLinkOptions {
  mtu?: number;
  /** Names of the two ends (default "mem-a", "mem-b"). */
  names?: readonly [string, string];
  /** One-way latency in ms (default 0: microtask delivery unless `schedule` is given). */
  latencyMs?: number;
  /** Time source for timed delivery (default RealClock). */
  clock?: Clock;
  /** Timer for timed delivery (default a Node timer; pass SimScheduler.schedule in simulations). */
  schedule?: ScheduleFn;
}

export function validateMtu(mtu: number, what: string): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 0x1_0000_0000) {
    throw new InvalidArgumentError(`${what}: mtu must be an integer >= 68, got ${mtu}`);
  }
  return mtu;
}

/** How a batch travels from send() to the far end: a microtask, or a timer at a later time. */
export type Deliver = (run: () => void) => void;

export function makeDeliver(options: { latencyMs?: number; clock?: Clock; schedule?: ScheduleFn }, what: string): Deliver {
  const latency = options.latencyMs ?? 0;
  if (!(latency >= 0 && Number.isFinite(latency))) throw new InvalidArgumentError(`${what}: latencyMs must be >= 0, got ${latency}`);
  if (latency === 0 && options.schedule === undefined) return queueMicrotask;
  const clock = options.clock ?? new RealClock();
  const schedule = options.schedule ?? realTimeSchedule(clock);
  return (run) => schedule(clock.now() + latency, run);
}

export class MemoryLink implements Link {
  readonly stats: MemoryLinkStats = { sent: 0, received: 0, dropped: 0, bytesSent: 0, bytesReceived: 0 };
  private receiver: BatchReceiver | undefined;
  /** The end that receives what this end sends (this end itself for a loopback). */
  protected peer!: MemoryLink;
  private closed = false;

  protected constructor(
    readonly name: string,
    readonly mtu: number,
    private readonly deliver: Deliver,
  ) {}

  /** Two connected ends. */
  static pair(options: MemoryLinkOptions = {}): [MemoryLink, MemoryLink] {
    const mtu = validateMtu(options.mtu ?? 1500, 'MemoryLink.pair');
    const [nameA, nameB] = options.names ?? ['mem-a', 'mem-b'];
    const deliver = makeDeliver(options, 'MemoryLink.pair');
    const a = new MemoryLink(nameA, mtu, deliver);
    const b = new MemoryLink(nameB, mtu, deliver);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(packets: PacketBatch): void {
    if (packets.length === 0) return;
    if (this.closed) {
      this.stats.dropped += packets.length;
      return;
    }
    // The batch container may be reused by the caller; the packets themselves are ours now.
    const accepted: Uint8Array[] = [];
    for (const packet of packets) {
      if (packet.length > this.mtu) {
        this.stats.dropped++;
        continue;
      }
      accepted.push(packet);
      this.stats.sent++;
      this.stats.bytesSent += packet.length;
    }
    if (accepted.length === 0) return;
    const peer = this.peer;
    this.deliver(() => peer.arrive(accepted));
  }

  setReceiver(receiver: BatchReceiver): void {
    this.receiver = receiver;
  }

  /** Closes both ends (the one end of a loopback): nothing more is delivered either way. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.receiver = undefined;
    this.peer.close();
  }

  private arrive(packets: Uint8Array[]): void {
    const receiver = this.receiver;
    if (this.closed || receiver === undefined) {
      this.stats.dropped += packets.length;
      return;
    }
    this.stats.received += packets.length;
    for (const packet of packets) this.stats.bytesReceived += packet.length;
    receiver(packets);
  }
}
