/**
 * A link wrapper that prints one line per packet:
 *   mem-a 12.345 > IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 65535, length 0
 * `>` is outbound (send), `<` inbound (receive); the time is ms since the tracer was made.
 */
import { RealClock, type Clock } from '../clock.js';
import type { BatchReceiver, Link, LinkWrapper, PacketBatch } from './link.js';
import { describePacket } from './describe.js';

export interface TracerOptions {
  /** Where lines go (default console.error). */
  write?: (line: string) => void;
  clock?: Clock;
  /** Prefix of every line (default the inner link's name). */
  label?: string;
}

export class Tracer implements LinkWrapper {
  readonly mtu: number;
  readonly name: string;
  private receiver: BatchReceiver | undefined;
  private closed = false;
  private readonly write: (line: string) => void;
  private readonly clock: Clock;
  private readonly start: number;
  private readonly label: string;

  constructor(
    readonly inner: Link,
    options: TracerOptions = {},
  ) {
    this.mtu = inner.mtu;
    this.name = inner.name;
    this.write = options.write ?? ((line) => console.error(line));
    this.clock = options.clock ?? new RealClock();
    this.start = this.clock.now();
    this.label = options.label ?? inner.name;
    inner.setReceiver((batch) => {
      if (this.closed) return;
      this.trace('<', batch);
      this.receiver?.(batch);
    });
  }

  send(packets: PacketBatch): void {
    if (this.closed || packets.length === 0) return;
    this.trace('>', packets);
    this.inner.send(packets);
  }

  setReceiver(receiver: BatchReceiver): void {
    this.receiver = receiver;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.receiver = undefined;
    this.inner.close();
  }

  private trace(direction: '>' | '<', packets: PacketBatch): void {
    const time = (this.clock.now() - this.start).toFixed(3);
    for (const packet of packets) {
      try {
        this.write(`${this.label} ${time} ${direction} ${describePacket(packet)}`);
      } catch {
        // A failing sink must not break the link.
      }
    }
  }
}
