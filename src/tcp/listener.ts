/**
 * Listeners (RFC 9293 §3.10.1 passive OPEN): one per (address, port), where the address may be
 * "any" of one family (0.0.0.0) or of both (::, as Node's dual-stack default). Each keeps a SYN
 * backlog count (half-open connections) and an accept queue of established ones, both bounded.
 */
import type { IpAddress, IpFamily } from '../ip/address.js';

/** The socket-layer side of a listener (a Server). */
export interface ListenerOwner {
  /** Connections wait in the accept queue: call `TcpLayer.accept(listener)`. */
  onAcceptable(): void;
}

/** Which local addresses a listener takes: one address, every address of a family, or all. */
export type ListenAddress = { readonly kind: 'one'; readonly address: IpAddress } | { readonly kind: 'any'; readonly family: IpFamily | 'both' };

export class TcpListener<Handle = unknown> {
  /** SYN-RECEIVED connections of this listener (the SYN backlog). */
  halfOpen = 0;
  readonly acceptQueue: Handle[] = [];
  closed = false;

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

  get size(): number {
    return this.byKey.size;
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
    this.byKey.set(listener.key, listener);
    let set = this.ports.get(listener.port);
    if (!set) this.ports.set(listener.port, (set = new Set()));
    set.add(listener);
  }

  remove(listener: TcpListener<Handle>): void {
    if (this.byKey.get(listener.key) === listener) this.byKey.delete(listener.key);
    const set = this.ports.get(listener.port);
    set?.delete(listener);
    if (set?.size === 0) this.ports.delete(listener.port);
  }

  /** The listener for a segment to (dst, port): the exact address first, then "any". */
  lookup(dst: IpAddress, port: number): TcpListener<Handle> | undefined {
    if (!this.ports.has(port)) return undefined;
    return this.byKey.get(`${dst.key}|${port}`) ?? this.byKey.get(`*${dst.family}|${port}`) ?? this.byKey.get(`*both|${port}`);
  }

  all(): TcpListener<Handle>[] {
    return [...this.byKey.values()];
  }
}
