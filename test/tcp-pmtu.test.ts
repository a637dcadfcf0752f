/**
 * Path MTU discovery in packets (RFC 1191, RFC 8201) and the RFC 5927 defences: a stack on a
 * ManualClock, a hand-made peer writing raw IPv4/IPv6 packets on a MemoryLink. A genuine
 * "fragmentation needed" / "packet too big" lowers the MSS and resends at once; forged or
 * implausible reports change nothing and never close a synchronized connection.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { IpAddress } from '../src/ip/address.js';
import { emitIcmp4 } from '../src/ip/icmp4.js';
import { emitIcmp6 } from '../src/ip/icmp6.js';
import { parseIpv4 } from '../src/ip/ipv4.js';
import { parseIpv6 } from '../src/ip/ipv6.js';
import { IP_PROTOCOL } from '../src/ip/types.js';
import { MemoryLink } from '../src/link/memory.js';
import { createConnection, type Stream } from '../src/net/stream.js';
import { Stack } from '../src/stack.js';
import { NO_OPTIONS } from '../src/tcp/options.js';
import { emitTcpSegment, parseTcpSegment, TcpFlags, type TcpRepr } from '../src/tcp/segment.js';
import { ipv4, ipv6 } from './ip-fixtures.js';

const { SYN, ACK } = TcpFlags;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const IRS = 70_000;

interface Sent {
  packet: Uint8Array;
  segment: TcpRepr;
}

/** The stack (10.9.0.2 / fd09::2) and a raw peer (10.9.0.1 / fd09::1) on one MemoryLink pair. */
class Fixture {
  readonly clock = new ManualClock(1000);
  readonly stack: Stack;
  readonly sent: Sent[] = [];
  private readonly link: MemoryLink;
  readonly peer: IpAddress;
  readonly us: IpAddress;
  stream!: Stream;
  iss = 0;
  ourPort = 0;

  constructor(readonly family: 4 | 6) {
    this.stack = new Stack({ clock: this.clock, tcp: { config: { timestamps: false, sack: false, windowScaling: false } } });
    const [ours, theirs] = MemoryLink.pair({ mtu: 1500 });
    this.stack.addInterface(ours, { addresses: ['10.9.0.2/24', 'fd09::2/64'] });
    this.link = theirs;
    this.peer = IpAddress.parse(family === 4 ? '10.9.0.1' : 'fd09::1');
    this.us = IpAddress.parse(family === 4 ? '10.9.0.2' : 'fd09::2');
    theirs.setReceiver((batch) => {
      for (const raw of batch) {
        const packet = raw.slice();
        const ip = family === 4 ? parseIpv4(packet) : parseIpv6(packet);
        if (typeof ip === 'string') continue;
        const protocol = 'protocol' in ip ? ip.protocol : ip.nextHeader;
        if (protocol !== IP_PROTOCOL.TCP) continue;
        const payload = 'protocol' in ip ? ip.payload : ip.packet.subarray(40);
        const segment = parseTcpSegment(payload, ip.src, ip.dst);
        if (typeof segment === 'string') throw new Error(`the stack sent a bad segment: ${segment}`);
        this.sent.push({ packet, segment });
      }
    });
  }

  take(): Sent[] {
    return this.sent.splice(0);
  }

  sendTcp(fields: Partial<TcpRepr> & { flags: number }): void {
    const repr: TcpRepr = { srcPort: 80, dstPort: this.ourPort, seq: 0, ack: 0, window: 65535, urgent: 0, options: NO_OPTIONS, payload: new Uint8Array(0), ...fields };
    const tcp = emitTcpSegment(repr, this.peer, this.us);
    const src = this.peer.toString();
    const dst = this.us.toString();
    this.link.send([this.family === 4 ? ipv4({ src, dst, protocol: IP_PROTOCOL.TCP, payload: tcp, df: true }) : ipv6({ src, dst, nextHeader: IP_PROTOCOL.TCP, payload: tcp })]);
  }

  /** A router (the peer's address, as on a TUN) reports that `original` was too big for `mtu`. */
  sendTooBig(original: Uint8Array, mtu: number): void {
    const src = this.peer.toString();
    const dst = this.us.toString();
    if (this.family === 4) this.link.send([ipv4({ src, dst, protocol: IP_PROTOCOL.ICMP, payload: emitIcmp4(3, 4, mtu & 0xffff, original.subarray(0, 28 + 20)) })]);
    else this.link.send([ipv6({ src, dst, nextHeader: IP_PROTOCOL.ICMPV6, payload: emitIcmp6(2, 0, mtu, original.subarray(0, 1232), this.peer, this.us) })]);
  }

  /** Destination unreachable with `code` quoting `original` (ICMPv4 type 3 / ICMPv6 type 1). */
  sendUnreachable(original: Uint8Array, code: number): void {
    const src = this.peer.toString();
    const dst = this.us.toString();
    if (this.family === 4) this.link.send([ipv4({ src, dst, protocol: IP_PROTOCOL.ICMP, payload: emitIcmp4(3, code, 0, original.subarray(0, 48)) })]);
    else this.link.send([ipv6({ src, dst, nextHeader: IP_PROTOCOL.ICMPV6, payload: emitIcmp6(1, code, 0, original.subarray(0, 1232), this.peer, this.us) })]);
  }

  /** Our client connects; the peer completes the handshake offering MSS 1460 / 1440. */
  async establish(): Promise<void> {
    this.stream = createConnection(this.stack, 80, this.peer.toString());
    this.stream.on('error', () => {});
    await turn();
    const [syn] = this.take();
    expect(syn!.segment.flags).toBe(SYN);
    this.iss = syn!.segment.seq;
    this.ourPort = syn!.segment.srcPort;
    this.sendTcp({ seq: IRS, ack: this.iss + 1, flags: SYN | ACK, options: { mss: this.family === 4 ? 1460 : 1440 } });
    await turn();
    await turn();
    expect(this.stream.readyState).toBe('open');
    this.take();
  }

  async write(bytes: number): Promise<Sent[]> {
    this.stream.write(new Uint8Array(bytes));
    await turn();
    await turn();
    return this.take();
  }

  get tcb() {
    const handles = [...(this.stack.tcp as unknown as { connections: Map<string, { connection: { tcb: import('../src/tcp/tcb.js').Tcb } }> }).connections.values()];
    return handles[0]!.connection.tcb;
  }
}

const fixtures: Fixture[] = [];
async function established(family: 4 | 6): Promise<Fixture> {
  const f = new Fixture(family);
  fixtures.push(f);
  await f.establish();
  return f;
}

afterEach(() => {
  for (const f of fixtures.splice(0)) {
    f.stream?.destroy();
    f.stack.close();
  }
});

const lengths = (sent: Sent[]): Array<[number, number]> => sent.map((s) => [s.segment.seq, s.segment.payload.length]);

describe.each([
  { family: 4 as const, mss: 1460, header: 40, mtu: 1000, tooSmall: 575, minimum: 576 },
  { family: 6 as const, mss: 1440, header: 60, mtu: 1400, tooSmall: 1279, minimum: 1280 },
])('IPv$family: ICMP "too big" (RFC 1191 / RFC 8201) checked against RFC 5927', ({ family, mss, header, mtu, tooSmall, minimum }) => {
  test('a genuine report lowers the MSS and resends from SND.UNA at once, in smaller segments', async () => {
    const f = await established(family);
    const first = await f.write(3000);
    expect(lengths(first)).toEqual([
      [f.iss + 1, mss],
      [f.iss + 1 + mss, mss],
      [f.iss + 1 + 2 * mss, 3000 - 2 * mss],
    ]);
    const cwndBefore = f.tcb.congestion.window();
    f.sendTooBig(first[1]!.packet, mtu); // the second segment was too big somewhere on the path
    await turn();
    const small = mtu - header;
    const resent = f.take();
    expect(lengths(resent)).toEqual(
      Array.from({ length: Math.ceil(3000 / small) }, (_, i) => [f.iss + 1 + i * small, Math.min(small, 3000 - i * small)]),
    );
    expect(resent.every((s) => s.packet.length <= mtu)).toBe(true);
    expect(f.tcb.sendMss).toBe(small);
    expect(f.tcb.congestion.window()).toBeGreaterThanOrEqual(Math.min(cwndBefore, 10 * small)); // not a congestion signal
    expect(f.stack.counters.get('tcp.pathMtuUpdates')).toBe(1);
    // New data goes out at the new size too.
    const more = await f.write(2 * small);
    expect(more.map((s) => s.segment.payload.length)).toEqual([small, small]);
  });

  test('a report quoting a sequence number outside SND.UNA..SND.NXT is ignored (a blind forgery)', async () => {
    const f = await established(family);
    const sent = await f.write(3000);
    // The peer acknowledges everything; then a "too big" quoting that (now acknowledged) segment arrives.
    f.sendTcp({ seq: IRS + 1, ack: f.iss + 3001, flags: ACK });
    await turn();
    f.take();
    f.sendTooBig(sent[0]!.packet, mtu);
    // And one quoting a sequence number we never sent.
    const forged = sent[0]!.packet.slice();
    const tcpOffset = family === 4 ? 20 : 40;
    new DataView(forged.buffer).setUint32(tcpOffset + 4, (f.iss + 1_000_000) >>> 0);
    f.sendTooBig(forged, mtu);
    await turn();
    expect(f.take()).toEqual([]);
    expect(f.tcb.pathMss).toBe(Infinity);
    expect(f.stack.counters.get('drop.tcpIcmpOutOfWindow')).toBe(2);
    expect(lengths(await f.write(2000))).toEqual([
      [f.iss + 3001, mss],
      [f.iss + 3001 + mss, 2000 - mss],
    ]);
  });

  test(`an MTU below ${minimum}, or one that would not lower the MSS, changes nothing`, async () => {
    const f = await established(family);
    const sent = await f.write(3000);
    f.sendTooBig(sent[0]!.packet, tooSmall);
    f.sendTooBig(sent[0]!.packet, 0); // RFC 1191 §5: an old router that does not say
    f.sendTooBig(sent[0]!.packet, mss + header); // not smaller than what we send
    await turn();
    expect(f.take()).toEqual([]);
    expect(f.tcb.pathMss).toBe(Infinity);
    expect(f.stack.counters.get('drop.tcpIcmpMtuTooSmall')).toBe(2);
    expect(f.stack.counters.get('tcp.icmpPathMtuIgnored')).toBe(1);
    // The smallest legal MTU is accepted.
    f.sendTooBig(sent[0]!.packet, minimum);
    await turn();
    expect(f.tcb.sendMss).toBe(minimum - header);
  });

  test('unreachable errors in a synchronized state are soft: the connection lives on', async () => {
    const f = await established(family);
    const sent = await f.write(1000);
    for (const code of family === 4 ? [0, 1, 2, 3, 13] : [0, 1, 3, 4]) f.sendUnreachable(sent[0]!.packet, code);
    await turn();
    expect(f.stream.destroyed).toBe(false);
    expect(f.tcb.state).toBe('ESTABLISHED');
    f.sendTcp({ seq: IRS + 1, ack: f.iss + 1001, flags: ACK, payload: Uint8Array.of(1, 2, 3) });
    await turn();
    expect(f.tcb.sndUna).toBe((f.iss + 1001) >>> 0);
    expect(f.tcb.rcvNxt).toBe((IRS + 4) >>> 0);
  });
});
