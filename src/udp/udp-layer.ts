/**
 * A minimal UDP (RFC 768): a port table. A datagram to a bound port goes to its listener; to an
 * unbound port it is answered with ICMP Port Unreachable (RFC 1122 §4.1.3.1) by the IP layer.
 */
import type { IpAddress } from '../ip/address.js';
import { IP_PROTOCOL, type IcmpErrorReport, type IpDatagram, type NetInterface, type OutboundDatagram, type ProtocolHandler, type SendResult } from '../ip/types.js';
import { InvalidArgumentError } from '../errors.js';
import type { Counters } from '../stats.js';
import { emitUdp, parseUdp } from './udp.js';

export interface UdpDatagram {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly srcPort: number;
  readonly dstPort: number;
  /** A view valid only during the callback. */
  readonly data: Uint8Array;
  readonly iface: NetInterface;
}

export type UdpListener = (datagram: UdpDatagram, now: number) => void;
export type UdpErrorListener = (report: IcmpErrorReport, now: number) => void;

export interface UdpHost {
  readonly counters: Counters;
  send(datagram: OutboundDatagram): SendResult;
  sourceFor(dst: IpAddress): IpAddress | undefined;
  replyPortUnreachable(datagram: IpDatagram, now: number): boolean;
}

export class UdpLayer implements ProtocolHandler {
  private readonly ports = new Map<number, UdpListener>();
  private readonly errorListeners = new Set<UdpErrorListener>();

  constructor(private readonly host: UdpHost) {}

  /** Receive datagrams to `port` (any local address). Returns the function that unbinds. */
  bind(port: number, listener: UdpListener): () => void {
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new InvalidArgumentError(`UDP port must be 1..65535, got ${port}`);
    if (this.ports.has(port)) throw new InvalidArgumentError(`UDP port ${port} is already bound`);
    this.ports.set(port, listener);
    return () => {
      if (this.ports.get(port) === listener) this.ports.delete(port);
    };
  }

  /** Be told of ICMP errors quoting UDP datagrams we sent. */
  onIcmpError(listener: UdpErrorListener): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  send(options: { src?: IpAddress; dst: IpAddress; srcPort: number; dstPort: number; data: Uint8Array; ttl?: number }): SendResult {
    const src = options.src ?? this.host.sourceFor(options.dst);
    if (src === undefined) return 'noRoute';
    const payload = emitUdp(options.srcPort, options.dstPort, options.data, src, options.dst);
    const result = this.host.send({ src, dst: options.dst, protocol: IP_PROTOCOL.UDP, payload, ttl: options.ttl });
    if (result === 'sent') this.host.counters.count('udp.out');
    return result;
  }

  receive(datagram: IpDatagram, now: number): void {
    const counters = this.host.counters;
    const udp = parseUdp(datagram.payload, datagram.src, datagram.dst);
    if (typeof udp === 'string') return counters.drop('udp', udp);
    counters.count('udp.in');
    const listener = this.ports.get(udp.dstPort);
    if (listener === undefined) {
      counters.drop('udp', 'udpNoSocket');
      this.host.replyPortUnreachable(datagram, now);
      return;
    }
    try {
      listener({ src: datagram.src, dst: datagram.dst, srcPort: udp.srcPort, dstPort: udp.dstPort, data: udp.data, iface: datagram.iface }, now);
    } catch {
      counters.count('udp.listenerErrors');
    }
  }

  receiveIcmpError(report: IcmpErrorReport, now: number): void {
    this.host.counters.count('udp.icmpErrors');
    for (const listener of [...this.errorListeners]) {
      try {
        listener(report, now);
      } catch {
        this.host.counters.count('udp.listenerErrors');
      }
    }
  }
}
