/** ICMP / ICMPv6 behaviour of the IP layer: echo, errors generated and their rules, errors received. */
import { describe, expect, test } from 'vitest';
import { emitIcmp4, parseIcmp4 } from '../src/ip/icmp4.js';
import { emitIcmp6, parseIcmp6 } from '../src/ip/icmp6.js';
import { parseIpv4 } from '../src/ip/ipv4.js';
import { parseIpv6 } from '../src/ip/ipv6.js';
import type { IcmpErrorReport } from '../src/ip/types.js';
import { addr, echo4, echo6, fixIpv4Checksum, ipv4, ipv6, layerFixture, toHex, udp4, udp6 } from './ip-fixtures.js';

function icmp4Of(packet: Uint8Array) {
  const ip = parseIpv4(packet);
  if (typeof ip === 'string') throw new Error(ip);
  const icmp = parseIcmp4(ip.payload);
  if (typeof icmp === 'string') throw new Error(icmp);
  return { ip, icmp };
}

function icmp6Of(packet: Uint8Array) {
  const ip = parseIpv6(packet);
  if (typeof ip === 'string') throw new Error(ip);
  const icmp = parseIcmp6(ip.packet.subarray(40), ip.src, ip.dst);
  if (typeof icmp === 'string') throw new Error(icmp);
  return { ip, icmp };
}

describe('echo', () => {
  test('IPv4 echo request → reply from the pinged address, data echoed exactly', () => {
    const f = layerFixture();
    const data = Uint8Array.from({ length: 100 }, (_, i) => i * 7);
    const [reply, ...rest] = f.exchange(echo4({ id: 0x1234, seq: 9, data }));
    expect(rest).toEqual([]);
    const { ip, icmp } = icmp4Of(reply!);
    expect([ip.src.key, ip.dst.key, icmp.type, icmp.code, icmp.identifier, icmp.sequence]).toEqual(['10.7.0.2', '10.7.0.1', 0, 0, 0x1234, 9]);
    expect(toHex(icmp.body)).toBe(toHex(data));
    expect(f.counters.get('icmp4.inEchoRequests')).toBe(1);
    expect(f.counters.get('icmp4.outEchoReplies')).toBe(1);
  });

  test('IPv6 echo request → reply; to all-nodes the reply comes from our unicast address', () => {
    const f = layerFixture();
    const { ip, icmp } = icmp6Of(f.exchange(echo6({ id: 5, seq: 6 }))[0]!);
    expect([ip.src.key, ip.dst.key, icmp.type, icmp.identifier, icmp.sequence]).toEqual(['fd07::2', 'fd07::1', 129, 5, 6]);
    const multicast = icmp6Of(f.exchange(echo6({ dst: 'ff02::1' }))[0]!);
    expect(multicast.ip.src.key).toBe('fd07::2');
  });

  test('an echo request to a broadcast address is not answered (RFC 1122 §3.2.2.6)', () => {
    const f = layerFixture();
    expect(f.exchange(echo4({ dst: '10.7.0.255' }), echo4({ dst: '255.255.255.255' }))).toEqual([]);
  });

  test('echo replies reach the listeners', () => {
    const f = layerFixture();
    const seen: string[] = [];
    f.ip.onEchoReply((reply) => seen.push(`${reply.from}:${reply.id}:${reply.seq}:${reply.data.length}`));
    const reply4 = ipv4({ protocol: 1, payload: emitIcmp4(0, 0, (3 << 16) | 4, new Uint8Array(10)) });
    const reply6 = ipv6({ nextHeader: 58, payload: emitIcmp6(129, 0, (5 << 16) | 6, new Uint8Array(3), addr('fd07::1'), addr('fd07::2')) });
    f.exchange(reply4, reply6);
    expect(seen).toEqual(['10.7.0.1:3:4:10', 'fd07::1:5:6:3']);
  });
});

describe('errors we send', () => {
  test('UDP to a closed port → port unreachable quoting the datagram (v4 type 3 code 3, v6 type 1 code 4)', () => {
    const f = layerFixture();
    const datagram = udp4({ dstPort: 4444 });
    const { ip, icmp } = icmp4Of(f.exchange(datagram)[0]!);
    expect([ip.src.key, ip.dst.key, icmp.type, icmp.code]).toEqual(['10.7.0.2', '10.7.0.1', 3, 3]);
    expect(toHex(icmp.body)).toBe(toHex(datagram));
    const six = icmp6Of(f.exchange(udp6({ dstPort: 4444 }))[0]!);
    expect([six.icmp.type, six.icmp.code]).toEqual([1, 4]);
    expect(f.counters.get('drop.udpNoSocket')).toBe(2);
  });

  test('a bound UDP port receives; no error is sent', () => {
    const f = layerFixture();
    const got: string[] = [];
    f.ip.udp.bind(4444, (d) => got.push(`${d.src}:${d.srcPort}>${d.dstPort} ${toHex(d.data)}`));
    expect(f.exchange(udp4({ dstPort: 4444 }), udp6({ dstPort: 4444 }))).toEqual([]);
    expect(got).toEqual(['10.7.0.1:1234>4444 aabb', 'fd07::1:1234>4444 aabb']);
  });

  test('unknown protocol → v4 protocol unreachable; v6 parameter problem code 1 at the next header field', () => {
    const f = layerFixture();
    const { icmp } = icmp4Of(f.exchange(ipv4({ protocol: 253, payload: new Uint8Array(8) }))[0]!);
    expect([icmp.type, icmp.code]).toEqual([3, 2]);
    const six = icmp6Of(f.exchange(ipv6({ nextHeader: 253, payload: new Uint8Array(8) }))[0]!);
    expect([six.icmp.type, six.icmp.code, six.icmp.word]).toEqual([4, 1, 6]);
    // Behind a destination options header, the pointer names that header's Next Header byte.
    const behind = icmp6Of(f.exchange(ipv6({ nextHeader: 60, payload: Uint8Array.of(253, 0, 1, 4, 0, 0, 0, 0, 1, 2, 3, 4) }))[0]!);
    expect(behind.icmp.word).toBe(40);
    expect(f.counters.get('drop.unknownProtocol')).toBe(3);
  });

  test('unknown option with action 10 → parameter problem code 2, even to multicast', () => {
    const f = layerFixture();
    const options = Uint8Array.of(58, 0, 0x87, 4, 0, 0, 0, 0);
    const echo = echo6().subarray(40);
    const packet = ipv6({ dst: 'ff02::1', nextHeader: 60, payload: Uint8Array.of(...options, ...echo) });
    const { icmp } = icmp6Of(f.exchange(packet)[0]!);
    expect([icmp.type, icmp.code, icmp.word]).toEqual([4, 2, 42]);
  });

  test('no error about an ICMP error, a broadcast, a bad source, or a non-first fragment', () => {
    const f = layerFixture();
    const icmpError = ipv4({ protocol: 1, payload: emitIcmp4(3, 3, 0, udp4({ src: '10.7.0.9', dst: '10.7.0.1' })) });
    expect(f.exchange(icmpError)).toEqual([]); // not ours to report, and never answered
    expect(f.exchange(udp4({ dst: '10.7.0.255', dstPort: 4444 }))).toEqual([]);
    expect(f.exchange(udp4({ src: '0.0.0.0', dstPort: 4444 }))).toEqual([]);
    expect(f.exchange(udp4({ src: '10.7.0.255', dstPort: 4444 }))).toEqual([]);
    // ICMPv6 error type with an unknown next header inside would still be an error: none sent.
    const six = ipv6({ nextHeader: 58, payload: emitIcmp6(1, 4, 0, new Uint8Array(48), addr('fd07::1'), addr('fd07::2')) });
    expect(f.exchange(six)).toEqual([]);
    expect(f.counters.get('icmp4.errorsSuppressed')).toBe(3);
  });

  test('the token bucket limits errors, refilling with time', () => {
    const f = layerFixture({ icmpRateLimit: { perSecond: 10, burst: 5 } });
    const burst = Array.from({ length: 20 }, () => udp4({ dstPort: 4444 }));
    expect(f.exchange(...burst).length).toBe(5);
    expect(f.counters.get('drop.icmpRateLimited')).toBe(15);
    f.clock.advance(300); // 3 tokens
    expect(f.exchange(...burst).length).toBe(3);
    // Echo replies are not errors: not limited.
    expect(f.exchange(...Array.from({ length: 20 }, () => echo4())).length).toBe(20);
  });

  test('reassembly timeout → time exceeded code 1 when the first fragment came', () => {
    const f = layerFixture();
    const first = ipv4({ protocol: 17, payload: udp4({ dstPort: 7, data: new Uint8Array(8) }).subarray(20, 36), mf: true, id: 77 });
    expect(f.exchange(first)).toEqual([]);
    expect(f.ip.pollAt()).toBe(1000 + 30_000);
    f.ip.poll(f.ip.pollAt());
    f.ip.flush();
    const { icmp } = icmp4Of(f.link.take()[0]!);
    expect([icmp.type, icmp.code]).toEqual([11, 1]);
    expect(toHex(icmp.body)).toBe(toHex(first));
  });
});

describe('errors we receive', () => {
  test('an ICMP error quoting our UDP datagram reaches UDP with its kind and MTU', () => {
    const f = layerFixture();
    const reports: IcmpErrorReport[] = [];
    f.ip.udp.onIcmpError((report) => reports.push(report));
    const ours = udp4({ src: '10.7.0.2', dst: '10.7.0.1', srcPort: 5555, dstPort: 53 });
    f.exchange(ipv4({ protocol: 1, payload: emitIcmp4(3, 3, 0, ours) }));
    f.exchange(ipv4({ protocol: 1, payload: emitIcmp4(3, 4, 1400, ours) }));
    const ours6 = udp6({ src: 'fd07::2', dst: 'fd07::1' });
    f.exchange(ipv6({ nextHeader: 58, payload: emitIcmp6(2, 0, 1280, ours6, addr('fd07::1'), addr('fd07::2')) }));
    expect(reports.map((r) => [r.kind, r.mtu, r.originalSrc.key, r.originalDst.key, r.originalProtocol, r.reporter.key])).toEqual([
      ['portUnreachable', 0, '10.7.0.2', '10.7.0.1', 17, '10.7.0.1'],
      ['fragmentationNeeded', 1400, '10.7.0.2', '10.7.0.1', 17, '10.7.0.1'],
      ['fragmentationNeeded', 1280, 'fd07::2', 'fd07::1', 17, 'fd07::1'],
    ]);
    expect(toHex(reports[0]!.originalPayload)).toBe(toHex(ours.subarray(20)));
  });

  test('an error quoting a datagram we did not send, or too short a quote, is dropped', () => {
    const f = layerFixture();
    const reports: IcmpErrorReport[] = [];
    f.ip.udp.onIcmpError((report) => reports.push(report));
    f.exchange(ipv4({ protocol: 1, payload: emitIcmp4(3, 3, 0, udp4({ src: '10.7.0.9', dst: '10.7.0.1' })) }));
    f.exchange(ipv4({ protocol: 1, payload: emitIcmp4(3, 3, 0, udp4({ src: '10.7.0.2', dst: '10.7.0.1' }).subarray(0, 24)) }));
    expect(reports).toEqual([]);
    expect(f.counters.get('drop.badAddress')).toBe(1);
    expect(f.counters.get('drop.badLength')).toBe(1);
  });

  test('NDP and MLD are counted and ignored', () => {
    const f = layerFixture();
    const ns = ipv6({ dst: 'fd07::2', nextHeader: 58, payload: emitIcmp6(135, 0, 0, new Uint8Array(16), addr('fd07::1'), addr('fd07::2')) });
    expect(f.exchange(ns)).toEqual([]);
    // An MLDv2 report to ff02::16 and a router solicitation to ff02::2, as Linux sends on link up.
    const mld = ipv6({ dst: 'ff02::16', nextHeader: 58, payload: emitIcmp6(143, 0, 0, new Uint8Array(20), addr('fd07::1'), addr('ff02::16')) });
    const rs = ipv6({ dst: 'ff02::2', nextHeader: 58, payload: emitIcmp6(133, 0, 0, new Uint8Array(0), addr('fd07::1'), addr('ff02::2')) });
    expect(f.exchange(mld, rs)).toEqual([]);
    expect(f.counters.get('icmp6.inNdpIgnored')).toBe(3);
    expect(f.counters.get('ip.inDelivered')).toBe(3);
    // Other multicast traffic (an echo to all-routers, UDP to all-nodes) is not for us.
    expect(f.exchange(echo6({ dst: 'ff02::2' }), udp6({ dst: 'ff02::1' }))).toEqual([]);
    expect(f.counters.get('drop.notForUs')).toBe(2);
  });

  test('a corrupted ICMP checksum is dropped', () => {
    const f = layerFixture();
    const packet = echo4();
    packet[packet.length - 1] ^= 1;
    expect(f.exchange(fixIpv4Checksum(packet))).toEqual([]);
    expect(f.counters.get('drop.badChecksum')).toBe(1);
  });
});
