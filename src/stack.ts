/**
 * The public object: one stack = a clock, counters, an IP layer with its interfaces (always a
 * loopback), and the one clock wake-up shared by every component with deadlines.
 */
import { TcpLayer, type TcpLayerOptions } from './tcp/tcp-layer.js';
import { createConnection, createServer, defaultResolver, type ConnectOptions, type Resolver, type Server, type ServerOptions, type Stream } from './net/index.js';
import { TlsApi } from './net/secure-api.js';
import { RealClock, type Clock } from './clock.js';
import { InvalidArgumentError, InvalidStateError } from './errors.js';
import { IpAddress, IpCidr } from './ip/address.js';
import { IpLayer } from './ip/ip-layer.js';
import type { NetInterface } from './ip/types.js';
import type { Link } from './link/link.js';
import { LoopbackLink } from './link/loopback.js';
import { Counters, type StatsSnapshot } from './stats.js';
import { PollScheduler, type Pollable } from './timers.js';

export type { Pollable } from './timers.js';

export interface StackOptions {
  clock?: Clock;
  /** TCP options: connection config (buffers, RTO bounds, MSL...), backlog sizes, ISN secret. */
  tcp?: TcpLayerOptions;
  icmpRateLimit?: { perSecond: number; burst: number };
  reassembly?: { timeoutMs?: number; maxBytes?: number };
  /** Resolves host names for connect() (default: the HOSTS table, `localhost` → 127.0.0.1). */
  resolver?: Resolver;
}

export interface InterfaceConfig {
  name?: string;
  addresses?: Array<string | IpCidr>;
  /** Default: the link's MTU. */
  mtu?: number;
  /** Default true: default routes for v4/v6 via this interface if it has addresses of that family and none exists yet. */
  defaultRoute?: boolean;
}

export interface PingReply {
  readonly seq: number;
  readonly rttMs: number;
  /** ICMP bytes received (header + data), as ping prints them. */
  readonly bytes: number;
  readonly from: string;
}

export interface StackPingOptions {
  /** Echo requests to send (default 1). */
  count?: number;
  /** Data bytes per request (default 56). */
  size?: number;
  /** Between requests (default 1000 ms). */
  intervalMs?: number;
  /** How long to wait for a reply after the last request (default 1000 ms). */
  timeoutMs?: number;
}

export class Stack {
  readonly clock: Clock;
  readonly counters = new Counters();
  readonly ip: IpLayer;
  readonly loopback: NetInterface;
  /** The stack's TCP: demux, listeners, connections (src/tcp). */
  readonly tcp: TcpLayer;
  /** Host names for connect(); replace it to plug DNS or a table of your own. */
  resolver: Resolver;
  /** TLS 1.3 over this stack's TCP, like node:tls: `stack.tls.connect(options)`, `stack.tls.createServer(options, listener)`. */
  readonly tls: TlsApi = new TlsApi(this);
  private readonly scheduler: PollScheduler;
  private readonly links: Link[] = [];
  private readonly activePings = new Set<() => void>();
  private nextPingId = 1;
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: StackOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    this.resolver = options.resolver ?? defaultResolver;
    this.ip = new IpLayer({ clock: this.clock, counters: this.counters, icmpRateLimit: options.icmpRateLimit, reassembly: options.reassembly });
    this.scheduler = new PollScheduler(this.clock, this.counters);
    this.scheduler.add(this.ip);
    this.loopback = this.attach(new LoopbackLink({ mtu: 65536, name: 'lo' }), {
      name: 'lo',
      addresses: [IpCidr.parse('127.0.0.1/8'), IpCidr.parse('::1/128')],
      isLoopback: true,
    });
    this.tcp = TcpLayer.of(this, options.tcp);
  }

  addInterface(link: Link, config: InterfaceConfig = {}): NetInterface {
    if (this.closed) throw new InvalidStateError('the stack is closed');
    const addresses = (config.addresses ?? []).map((a) => (typeof a === 'string' ? IpCidr.parse(a) : a));
    const name = config.name ?? link.name ?? `if${this.links.length}`;
    const iface = this.attach(link, { name, addresses, mtu: config.mtu, isLoopback: false });
    if (config.defaultRoute ?? true) {
      for (const family of [4, 6] as const) {
        if (addresses.some((a) => a.address.family === family) && !this.ip.routes.hasDefault(family)) {
          this.ip.addRoute(IpCidr.parse(family === 4 ? '0.0.0.0/0' : '::/0'), iface);
        }
      }
    }
    return iface;
  }

  addRoute(prefix: string | IpCidr, via: NetInterface | string): void {
    const cidr = typeof prefix === 'string' ? IpCidr.parse(prefix) : prefix;
    const iface = typeof via === 'string' ? this.ip.interfaces().find((i) => i.name === via) : via;
    if (iface === undefined) throw new InvalidArgumentError(`no interface named "${String(via)}"`);
    this.ip.addRoute(cidr, iface);
  }

  interfaces(): NetInterface[] {
    return this.ip.interfaces();
  }

  /** A TCP server on this stack (net.createServer): `stack.createServer(s => ...).listen(80)`. */
  createServer(options?: ServerOptions | ((stream: Stream) => void), listener?: (stream: Stream) => void): Server {
    return createServer(this, options, listener);
  }

  /** A TCP connection from this stack (net.createConnection); host defaults to 127.0.0.1. */
  createConnection(port: number | string, host?: string, listener?: () => void): Stream;
  createConnection(options: ConnectOptions, listener?: () => void): Stream;
  createConnection(port: number | string | ConnectOptions, host?: string | (() => void), listener?: () => void): Stream {
    return createConnection(this, port, host, listener);
  }

  stats(): StatsSnapshot {
    return this.counters.snapshot();
  }

  addPollable(pollable: Pollable): void {
    this.scheduler.add(pollable);
  }

  removePollable(pollable: Pollable): void {
    this.scheduler.remove(pollable);
  }

  /** Recompute the clock wake-up after a component's deadlines changed. */
  reschedule(): void {
    this.scheduler.reschedule();
    this.updateKeepAlive();
  }

  /** Ping `dst`: resolves with the replies that came back in time (missing ones are absent). */
  ping(dst: string | IpAddress, options: StackPingOptions = {}): Promise<PingReply[]> {
    if (this.closed) return Promise.reject(new InvalidStateError('the stack is closed'));
    const target = typeof dst === 'string' ? IpAddress.parse(dst) : dst;
    const count = options.count ?? 1;
    const size = options.size ?? 56;
    const interval = options.intervalMs ?? 1000;
    const timeout = options.timeoutMs ?? 1000;
    if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`ping count must be a positive integer, got ${count}`);
    if (!(interval >= 0) || !(timeout >= 0)) throw new InvalidArgumentError('ping intervalMs and timeoutMs must be >= 0');
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId % 0xffff) + 1;
    return new Promise<PingReply[]>((resolve) => {
      const sentAt = new Map<number, number>();
      const replies: PingReply[] = [];
      let nextSeq = 1;
      let nextSendAt = this.clock.now();
      let finishAt = Infinity;
      const finish = (): void => {
        stopListening();
        this.scheduler.remove(pollable);
        this.activePings.delete(finish);
        this.updateKeepAlive();
        replies.sort((a, b) => a.seq - b.seq);
        resolve(replies);
      };
      const stopListening = this.ip.onEchoReply((reply, now) => {
        if (reply.id !== id || !reply.from.equals(target) || !sentAt.has(reply.seq)) return;
        if (replies.some((r) => r.seq === reply.seq)) return;
        replies.push({ seq: reply.seq, rttMs: now - sentAt.get(reply.seq)!, bytes: reply.data.length + 8, from: reply.from.key });
        if (replies.length === count && nextSeq > count) queueMicrotask(finish);
      });
      const pollable: Pollable = {
        pollAt: () => Math.min(nextSeq <= count ? nextSendAt : Infinity, finishAt),
        poll: (now) => {
          if (nextSeq <= count && now >= nextSendAt) {
            const seq = nextSeq++;
            sentAt.set(seq, now);
            this.ip.ping(target, { id, seq, size });
            nextSendAt = now + interval;
            if (nextSeq > count) finishAt = now + timeout;
          }
          if (now >= finishAt) finish();
        },
      };
      this.activePings.add(finish);
      this.updateKeepAlive();
      this.scheduler.add(pollable);
      // The first request goes out now rather than at the next clock wake-up.
      pollable.poll(this.clock.now());
      this.scheduler.reschedule();
    });
  }

  /** Close every link (loopback included) and the clock wake-up. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const finish of [...this.activePings]) finish();
    this.tcp.close(); // resets what is open; the RSTs leave with the flush below
    this.ip.flush();
    this.ip.close();
    this.scheduler.close();
    for (const link of this.links) {
      try {
        link.close();
      } catch {
        this.counters.count('stack.linkCloseErrors');
      }
    }
    this.updateKeepAlive();
  }

  private attach(link: Link, options: { name: string; addresses: IpCidr[]; mtu?: number; isLoopback: boolean }): NetInterface {
    const iface = this.ip.addInterface(link, options);
    this.links.push(link);
    link.setReceiver((batch) => {
      this.ip.receive(batch, iface);
      this.scheduler.reschedule();
    });
    return iface;
  }

  /**
   * RealClock's timer is unref'd so an idle stack never holds a process open. What would hold a
   * kernel socket's process open holds ours too, with one ref'd idle timer: an outstanding ping
   * (a promise someone awaits), a listening server, an open TCP connection.
   */
  private updateKeepAlive(): void {
    const busy = this.activePings.size > 0 || (!this.closed && this.tcp !== undefined && this.tcp.openSocketCount > 0);
    const needed = busy && this.clock instanceof RealClock;
    if (needed && this.keepAlive === undefined) this.keepAlive = setInterval(() => {}, 1 << 30);
    if (!needed && this.keepAlive !== undefined) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }
}
