/** Shared helpers for the IP-layer tests: packet builders and a capturing link. */
import { ManualClock } from '../src/clock.js';
import { IpAddress, IpCidr } from '../src/ip/address.js';
import { emitIcmp4 } from '../src/ip/icmp4.js';
import { emitIcmp6 } from '../src/ip/icmp6.js';
import { IpLayer, type IpLayerOptions } from '../src/ip/ip-layer.js';
import { emitIpv4Header } from '../src/ip/ipv4.js';
import { emitIpv6Header } from '../src/ip/ipv6.js';
import type { NetInterface } from '../src/ip/types.js';
import type { BatchReceiver, Link, PacketBatch } from '../src/link/link.js';
import { Counters } from '../src/stats.js';
import { emitUdp } from '../src/udp/udp.js';

export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const addr = (text: string): IpAddress => IpAddress.parse(text);

/** A link that records what is sent and lets the test inject received batches. */
export class CaptureLink implements Link {
  readonly name = 'capture';
  readonly sent: Uint8Array[] = [];
  readonly batches: number[] = [];
  receiver: BatchReceiver | undefined;
  closed = false;
  constructor(readonly mtu = 1500) {}
  send(packets: PacketBatch): void {
    this.batches.push(packets.length);
    this.sent.push(...packets);
  }
  setReceiver(receiver: BatchReceiver): void {
    this.receiver = receiver;
  }
  close(): void {
    this.closed = true;
  }
  /** Everything sent since the last call. */
  take(): Uint8Array[] {
    return this.sent.splice(0);
  }
}

export interface LayerFixture {
  ip: IpLayer;
  clock: ManualClock;
  counters: Counters;
  link: CaptureLink;
  iface: NetInterface;
  /** Receive packets on the interface, flush, and return what the layer sent in answer. */
  exchange(...packets: Uint8Array[]): Uint8Array[];
}

/** An IpLayer with one interface 10.7.0.2/24 + fd07::2/64 on a CaptureLink, on a ManualClock. */
export function layerFixture(options: Partial<IpLayerOptions> = {}, mtu = 1500): LayerFixture {
  const clock = new ManualClock(1000);
  const counters = new Counters();
  const ip = new IpLayer({ clock, counters, ...options });
  const link = new CaptureLink(mtu);
  const iface = ip.addInterface(link, { name: 'cap0', addresses: [IpCidr.parse('10.7.0.2/24'), IpCidr.parse('fd07::2/64')] });
  ip.addRoute(IpCidr.parse('0.0.0.0/0'), iface);
  ip.addRoute(IpCidr.parse('::/0'), iface);
  return {
    ip,
    clock,
    counters,
    link,
    iface,
    exchange(...packets) {
      ip.receive(packets, iface);
      ip.flush();
      return link.take();
    },
  };
}

export interface V4Spec {
  src?: string;
  dst?: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  offset?: number;
}

export function ipv4(spec: V4Spec): Uint8Array {
  const out = new Uint8Array(20 + spec.payload.length);
  emitIpv4Header(
    {
      src: addr(spec.src ?? '10.7.0.1'),
      dst: addr(spec.dst ?? '10.7.0.2'),
      protocol: spec.protocol,
      ttl: spec.ttl ?? 64,
      identification: spec.id ?? 0x7777,
      dontFragment: spec.df ?? false,
      moreFragments: spec.mf ?? false,
      fragmentOffset: spec.offset ?? 0,
      totalLength: out.length,
    },
    out,
  );
  out.set(spec.payload, 20);
  return out;
}

export function ipv6(spec: { src?: string; dst?: string; nextHeader: number; payload: Uint8Array; hopLimit?: number }): Uint8Array {
  const out = new Uint8Array(40 + spec.payload.length);
  emitIpv6Header(
    { src: addr(spec.src ?? 'fd07::1'), dst: addr(spec.dst ?? 'fd07::2'), nextHeader: spec.nextHeader, hopLimit: spec.hopLimit ?? 64, payloadLength: spec.payload.length },
    out,
  );
  out.set(spec.payload, 40);
  return out;
}

export function echo4(options: { src?: string; dst?: string; id?: number; seq?: number; data?: Uint8Array } = {}): Uint8Array {
  const data = options.data ?? Uint8Array.of(1, 2, 3, 4);
  return ipv4({ src: options.src, dst: options.dst, protocol: 1, payload: emitIcmp4(8, 0, ((options.id ?? 7) << 16) | (options.seq ?? 1), data) });
}

export function echo6(options: { src?: string; dst?: string; id?: number; seq?: number; data?: Uint8Array } = {}): Uint8Array {
  const src = options.src ?? 'fd07::1';
  const dst = options.dst ?? 'fd07::2';
  const data = options.data ?? Uint8Array.of(1, 2, 3, 4);
  return ipv6({ src, dst, nextHeader: 58, payload: emitIcmp6(128, 0, ((options.id ?? 7) << 16) | (options.seq ?? 1), data, addr(src), addr(dst)) });
}

export function udp4(options: { src?: string; dst?: string; srcPort?: number; dstPort?: number; data?: Uint8Array } = {}): Uint8Array {
  const src = options.src ?? '10.7.0.1';
  const dst = options.dst ?? '10.7.0.2';
  const payload = emitUdp(options.srcPort ?? 1234, options.dstPort ?? 9, options.data ?? Uint8Array.of(0xaa, 0xbb), addr(src), addr(dst));
  return ipv4({ src, dst, protocol: 17, payload });
}

export function udp6(options: { src?: string; dst?: string; srcPort?: number; dstPort?: number; data?: Uint8Array } = {}): Uint8Array {
  const src = options.src ?? 'fd07::1';
  const dst = options.dst ?? 'fd07::2';
  const payload = emitUdp(options.srcPort ?? 1234, options.dstPort ?? 9, options.data ?? Uint8Array.of(0xaa, 0xbb), addr(src), addr(dst));
  return ipv6({ src, dst, nextHeader: 17, payload });
}

/** Recompute an IPv4 header checksum in place (after a test edits a field). */
export function fixIpv4Checksum(packet: Uint8Array): Uint8Array {
  const headerLength = (packet[0]! & 0x0f) * 4;
  packet[10] = 0;
  packet[11] = 0;
  let sum = 0;
  for (let i = 0; i < headerLength && i + 1 < packet.length; i += 2) sum += (packet[i]! << 8) | packet[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  packet[10] = checksum >> 8;
  packet[11] = checksum & 0xff;
  return packet;
}
