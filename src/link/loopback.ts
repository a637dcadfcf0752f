/**
 * A link whose output is its own input: send() delivers back to its receiver, asynchronously
 * (one microtask per batch, in order) so the stack never re-enters itself.
 */
import type { Clock } from '../clock.js';
import type { BatchReceiver, Link, PacketBatch } from './link.js';
import { makeDeliver, newMemoryLinkStats, validateMtu, type Deliver, type MemoryLinkStats } from './memory.js';
import type { ScheduleFn } from './sim-scheduler.js';

export interface LoopbackLinkOptions {
  mtu?: number;
  name?: string;
  latencyMs?: number;
  clock?: Clock;
  schedule?: ScheduleFn;
}

export class LoopbackLink implements Link {
  readonly mtu: number;
  readonly name: string;
  readonly stats: MemoryLinkStats = newMemoryLinkStats();
  private receiver: BatchReceiver | undefined;
  private closed = false;
  private readonly deliver: Deliver;

  constructor(options: LoopbackLinkOptions = {}) {
    this.mtu = validateMtu(options.mtu ?? 65536, 'LoopbackLink');
    this.name = options.name ?? 'lo';
    this.deliver = makeDeliver(options, 'LoopbackLink');
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
    if (accepted.length > 0) this.deliver(() => this.arrive(accepted));
  }

  setReceiver(receiver: BatchReceiver): void {
    this.receiver = receiver;
  }

  close(): void {
    this.closed = true;
    this.receiver = undefined;
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
