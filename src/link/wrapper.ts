/**
 * The plumbing every link wrapper shares (Tracer, PcapWriter, FaultInjector): it takes the
 * inner link's MTU and name, sits between the inner link and its own receiver, ignores traffic
 * once closed, and closes the inner link with itself. A subclass says only what it does to
 * each batch on the way out (onSend) and on the way in (onReceive).
 */
import type { BatchReceiver, Link, LinkWrapper, PacketBatch } from './link.js';

export abstract class LinkWrapperBase implements LinkWrapper {
  readonly mtu: number;
  readonly name: string;
  protected receiver: BatchReceiver | undefined;
  protected closed = false;

  constructor(readonly inner: Link) {
    this.mtu = inner.mtu;
    this.name = inner.name;
    inner.setReceiver((batch) => {
      if (this.closed) return;
      this.onReceive(batch);
    });
  }

  send(packets: PacketBatch): void {
    if (this.closed || packets.length === 0) return;
    this.onSend(packets);
  }

  setReceiver(receiver: BatchReceiver): void {
    this.receiver = receiver;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.receiver = undefined;
    this.onClose();
    this.inner.close();
  }

  /** An outbound batch (never empty, never after close); pass it on with `this.inner.send`. */
  protected abstract onSend(packets: PacketBatch): void;
  /** An inbound batch from the inner link (never after close); pass it on with `this.receiver?.(batch)`. */
  protected abstract onReceive(batch: PacketBatch): void;
  /** Release what the wrapper holds, just before the inner link is closed. */
  protected onClose(): void {}
}
