/**
 * A link wrapper that prints one line per packet:
 *   mem-a 12.345 > IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 65535, length 0
 * `>` is outbound (send), `<` inbound (receive); the time is ms since the tracer was made.
 */
import { RealClock, type Clock } from '../clock.js';
import type { Link, PacketBatch } from './link.js';
import { LinkWrapperBase } from './wrapper.js';
import { describePacket } from './describe.js';

export interface TracerOptions {
  /** Where lines go (default console.error). */
  write?: (line: string) => void;
  clock?: Clock;
  /** Prefix of every line (default the inner link's name). */
  label?: string;
}

export class Tracer extends LinkWrapperBase {
  private readonly write: (line: string) => void;
  private readonly clock: Clock;
  private readonly start: number;
  private readonly label: string;

  constructor(inner: Link, options: TracerOptions = {}) {
    super(inner);
    this.write = options.write ?? ((line) => console.error(line));
    this.clock = options.clock ?? new RealClock();
    this.start = this.clock.now();
    this.label = options.label ?? inner.name;
  }

  protected override onSend(packets: PacketBatch): void {
    this.trace('>', packets);
    this.inner.send(packets);
  }

  protected override onReceive(batch: PacketBatch): void {
    this.trace('<', batch);
    this.receiver?.(batch);
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
