/**
 * A Link moves whole IP packets (no link-layer header: TUN in IFF_TUN|IFF_NO_PI mode).
 * Packets travel in batches: one call per batch in each direction (DESIGN.md decision 1).
 *
 * Ownership: the Uint8Arrays handed to a receiver are views that are valid only during the
 * callback (a TUN device reuses its read buffer); a receiver that keeps a packet copies it.
 * The arrays passed to send() belong to the link once sent; the caller must not reuse them.
 */
export type PacketBatch = readonly Uint8Array[];

export type BatchReceiver = (packets: PacketBatch) => void;

export interface Link {
  /** Largest IP packet the link carries, in bytes. */
  readonly mtu: number;
  /** A short name for traces and errors ("tun0", "mem-a", "lo"). */
  readonly name: string;
  /** Send a batch of IP packets. Never throws for a bad packet; a closed link drops silently. */
  send(packets: PacketBatch): void;
  /** Install the receiver of inbound batches (one receiver per link; a second call replaces it). */
  setReceiver(receiver: BatchReceiver): void;
  /** Stop the link and release everything it holds. Idempotent. */
  close(): void;
}

/** A Link wrapper: composes around an inner link (FaultInjector(Tracer(PcapWriter(tun)))). */
export interface LinkWrapper extends Link {
  readonly inner: Link;
}
