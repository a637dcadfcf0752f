/**
 * Listeners (RFC 9293 §3.10.1 passive OPEN): one per (address, port), where the address may be
 * "any" of one family (0.0.0.0) or of both (::, as Node's dual-stack default). Each keeps a SYN
 * backlog count (half-open connections) and an accept queue of established ones, both bounded.
 */
import type { IpAddress, IpFamily } from '../ip/address.js';
import type { NetInterface } from '../ip/types.js';

/** The socket-layer side of a listener (a Server). */
export interface ListenerOwner {
  /** Connections wait in the accept queue: call `TcpLayer.accept(listener)`. */
  onAcceptable(): void;
}

/** Which local addresses a listener takes: one address, every address of a family, or all. */
export type ListenAddress = { readonly kind: 'one'; readonly address: IpAddress } | { readonly kind: 'any'; readonly family: IpFamily | 'both' };

/** Where a segment for no connection came from and went to (for an any-destination listener's filter). */
export interface SegmentEndpoints {
  readonly dst: IpAddress;
  readonly dstPort: number;
  readonly src: IpAddress;
  readonly srcPort: number;
  readonly iface: NetInterface;
}

/**
 * An any-destination listener (the VPN endpoint, like gVisor's TCP forwarder): it takes
 * connections to every address and port, on one interface or all, that `accepts` lets through.
 */
export interface AnyDestination {
  /** Only segments arriving on this interface (default: any interface). */
  readonly iface?: NetInterface;
  /** Take this connection? (default: all). A throw counts as no. */
  readonly accepts?: (endpoints: SegmentEndpoints) => boolean;
}

export class TcpListener<Handle = unknown> {
  /** SYN-RECEIVED connections of this listener (the SYN backlog). */
  halfOpen = 0;
  readonly acceptQueue: Handle[] = [];
  closed = false;
  /** Set for an any-destination listener (its `port` is then 0). */
  anyDestination: AnyDestination | undefined;

  constructor(
    readonly local: ListenAddress,
    readonly port: number,
    /** Accept-queue limit (listen()'s backlog). */
    readonly acceptQueueLimit: number,
    /** SYN-backlog limit. */
    readonly synBacklogLimit: number,
    readonly owner: ListenerOwner,
  ) {}

  /** The address to report (0.0.0.0 / :: for "any"). */
  get key(): string {
    return listenerKey(this.local, this.port);
  }
}

export function listenerKey(local: ListenAddress, port: number): string {
  return local.kind === 'one' ? `${local.address.key}|${port}` : `*${local.family}|${port}`;
}

function overlaps(a: ListenAddress, b: ListenAddress): boolean {
  if (a.kind === 'one' && b.kind === 'one') return a.address.equals(b.address);
  if (a.kind === 'any' && b.kind === 'any') return a.family === 'both' || b.family === 'both' || a.family === b.family;
  const any = (a.kind === 'any' ? a : b) as { family: IpFamily | 'both' };
  const one = (a.kind === 'one' ? a : b) as { address: IpAddress };
  return any.family === 'both' || any.family === one.address.family;
}

export class ListenerTable<Handle> {
  private readonly byKey = new Map<string, TcpListener<Handle>>();
  private readonly ports = new Map<number, Set<TcpListener<Handle>>>();
  private readonly anyDestination: TcpListener<Handle>[] = [];

  get size(): number {
    return this.byKey.size + this.anyDestination.length;
  }

  /** Any-destination listeners, in the order they were added. */
  get anyDestinationListeners(): readonly TcpListener<Handle>[] {
    return this.anyDestination;
  }

  /** True if `port` is taken by a listener whose addresses overlap `local`. */
  conflicts(local: ListenAddress, port: number): boolean {
    for (const listener of this.ports.get(port) ?? []) if (overlaps(listener.local, local)) return true;
    return false;
  }

  portInUse(port: number): boolean {
    return (this.ports.get(port)?.size ?? 0) > 0;
  }

  add(listener: TcpListener<Handle>): void {
    if (listener.anyDestination !== undefined) {
      this.anyDestination.push(listener);
      return;
    }
    this.byKey.set(listener.key, listener);
    let set = this.ports.get(listener.port);
    if (!set) this.ports.set(listener.port, (set = new Set()));
    set.add(listener);
  }

  remove(listener: TcpListener<Handle>): void {
    const anyIndex = this.anyDestination.indexOf(listener);
    if (anyIndex >= 0) {
      this.anyDestination.splice(anyIndex, 1);
      return;
    }
    if (this.byKey.get(listener.key) === listener) this.byKey.delete(listener.key);
    const set = this.ports.get(listener.port);
    set?.delete(listener);
    if (set?.size === 0) this.ports.delete(listener.port);
  }

  /**
   * The listener for a segment to (dst, port): the exact address first, then "any", then an
   * any-destination listener whose interface and filter take it (given `endpoints`).
   */
  lookup(dst: IpAddress, port: number, endpoints?: SegmentEndpoints): TcpListener<Handle> | undefined {
    const bound = this.ports.has(port) ? (this.byKey.get(`${dst.key}|${port}`) ?? this.byKey.get(`*${dst.family}|${port}`) ?? this.byKey.get(`*both|${port}`)) : undefined;
    if (bound !== undefined || endpoints === undefined) return bound;
    for (const listener of this.anyDestination) if (takes(listener.anyDestination!, endpoints)) return listener;
    return undefined;
  }

  all(): TcpListener<Handle>[] {
    return [...this.byKey.values(), ...this.anyDestination];
  }
}

function takes(any: AnyDestination, endpoints: SegmentEndpoints): boolean {
  if (any.iface !== undefined && any.iface !== endpoints.iface) return false;
  if (any.accepts === undefined) return true;
  try {
    return any.accepts(endpoints) === true;
  } catch {
    return false;
  }
}
