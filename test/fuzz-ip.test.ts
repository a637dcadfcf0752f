/**
 * 100 000 random and mutated packets into a live Stack: nothing throws, every packet is
 * accounted for (received = delivered + dropped + queued as fragments), no internal error, and
 * pings still work afterwards.
 */
import { afterEach, expect, test } from 'vitest';
import { IpAddress } from '../src/ip/address.js';
import { emitIcmp4 } from '../src/ip/icmp4.js';
import { emitIcmp6 } from '../src/ip/icmp6.js';
import { buildIpv4Packets, buildIpv6Packets } from '../src/ip/outbound.js';
import { MemoryLink } from '../src/link/memory.js';
import { Random } from '../src/random.js';
import { Stack } from '../src/stack.js';
import { addr, echo4, echo6, fixIpv4Checksum, ipv4, ipv6, udp4, udp6 } from './ip-fixtures.js';

const open: Stack[] = [];
afterEach(() => {
  for (const stack of open.splice(0)) stack.close();
});

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [echo4(), echo6(), udp4(), udp6(), udp4({ dstPort: 7777 }), udp6({ dstPort: 7777 }), echo4({ dst: '10.7.0.255' }), echo6({ dst: 'ff02::1' })];
  const big = new Uint8Array(4000).map((_, i) => i);
  const ping4 = emitIcmp4(8, 0, 0x10001, big);
  const ping6 = emitIcmp6(128, 0, 0x10001, big, addr('fd07::1'), addr('fd07::2'));
  // Identifications far from the ones the peer's own pings will use (its counters start at 1):
  // an overlapping fragment poisons its key until timeout (RFC 5722), so a collision would eat a ping.
  for (const [mtu, id] of [[1500, 0x9001], [600, 0x9002]] as const) {
    out.push(...(buildIpv4Packets({ src: addr('10.7.0.1'), dst: addr('10.7.0.2'), protocol: 1, ttl: 64, payload: ping4, mtu, identification: id, dontFragment: false }) as Uint8Array[]));
    out.push(...(buildIpv6Packets({ src: addr('fd07::1'), dst: addr('fd07::2'), protocol: 58, ttl: 64, payload: ping6, mtu, identification: 0x55550000 + id }) as Uint8Array[]));
  }
  const echoBody = echo6().subarray(40);
  out.push(ipv6({ nextHeader: 0, payload: Uint8Array.of(60, 0, 5, 2, 0, 0, 1, 0, 58, 0, 1, 4, 0, 0, 0, 0, ...echoBody) }));
  out.push(ipv6({ nextHeader: 43, payload: Uint8Array.of(58, 2, 0, 1, 0, 0, 0, 0, ...new Uint8Array(16), ...echoBody) }));
  out.push(ipv4({ protocol: 253, payload: new Uint8Array(12) }), ipv6({ nextHeader: 253, payload: new Uint8Array(12) }));
  out.push(ipv4({ protocol: 1, payload: emitIcmp4(3, 4, 1400, udp4({ src: '10.7.0.2', dst: '10.7.0.1' })) }));
  out.push(ipv6({ nextHeader: 58, payload: emitIcmp6(2, 0, 1280, udp6({ src: 'fd07::2', dst: 'fd07::1' }), addr('fd07::1'), addr('fd07::2')) }));
  out.push(ipv6({ nextHeader: 58, payload: emitIcmp6(135, 0, 0, new Uint8Array(16), addr('fd07::1'), addr('fd07::2')) }));
  return out;
}

function mutate(random: Random, seed: Uint8Array): Uint8Array {
  let packet: Uint8Array = seed.slice();
  const kind = random.int(7);
  if (kind === 0) {
    for (let i = random.int(4) + 1; i > 0; i--) packet[random.int(packet.length)] ^= 1 << random.int(8);
  } else if (kind === 1) {
    packet = packet.subarray(0, random.int(packet.length + 1));
  } else if (kind === 2) {
    // Length-like fields: IPv4 total length / IHL / flags+offset, IPv6 payload length / next header, UDP length.
    const v4 = packet[0]! >> 4 === 4;
    const fields = v4 ? [0, 2, 3, 6, 7, 9, 24, 25] : [4, 5, 6, 40, 41, 44, 45, 46, 47];
    const at = fields[random.int(fields.length)]!;
    if (at < packet.length) packet[at] = random.chance(0.3) ? [0, 0xff, 1, 8][random.int(4)]! : random.int(256);
  } else if (kind === 3) {
    packet = Uint8Array.from([...packet, ...random.bytes(random.int(64))]);
  } else if (kind === 4) {
    packet = random.bytes(random.int(120));
    if (packet.length > 0) packet[0] = (random.chance(0.5) ? 0x40 : 0x60) | (packet[0]! & 0x0f);
  } else if (kind === 5) {
    // Overwrite a random run of bytes in the payload region.
    const start = random.int(packet.length);
    packet.set(random.bytes(Math.min(8, packet.length - start)), start);
  }
  // kind 6: the seed unchanged (exercises duplicates and the normal path)
  // Keep many IPv4 headers valid so mutations reach the deeper layers.
  if (packet.length >= 20 && packet[0]! >> 4 === 4 && random.chance(0.6)) fixIpv4Checksum(packet);
  return packet;
}

test('100 000 random and mutated packets: no throw, every packet accounted for, pings still work', async () => {
  const [left, right] = MemoryLink.pair({ mtu: 1500 });
  const peer = new Stack();
  const stack = new Stack();
  open.push(peer, stack);
  peer.addInterface(left, { addresses: ['10.7.0.1/24', 'fd07::1/64'] });
  const iface = stack.addInterface(right, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
  const unbind = stack.ip.udp.bind(9, () => {});
  const random = new Random(20261125);
  const corpus = seeds();
  const total = 100_000;
  const batchSize = 64;
  for (let sent = 0; sent < total; ) {
    const batch: Uint8Array[] = [];
    for (; batch.length < batchSize && sent < total; sent++) batch.push(mutate(random, corpus[random.int(corpus.length)]!));
    expect(() => stack.ip.receive(batch, iface)).not.toThrow();
    stack.reschedule();
    if (sent % 4096 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));

  const c = stack.counters;
  expect(c.get('ip.internalErrors'), String(stack.ip.lastInternalError)).toBe(0);
  expect(c.get('ip.inReceived')).toBeGreaterThanOrEqual(total);
  expect(c.get('ip.inReceived')).toBe(c.get('ip.inDelivered') + c.get('ip.inDropped') + c.get('ip.inFragmentsQueued'));
  // The mutations reach many different verdicts.
  const reasons = Object.keys(stack.stats().drop ?? {});
  expect(reasons.length).toBeGreaterThanOrEqual(10);
  expect(c.get('ip.inDelivered')).toBeGreaterThan(1000);
  expect(stack.ip.reassemblyBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  unbind();

  for (const dst of ['10.7.0.2', 'fd07::2']) {
    const replies = await peer.ping(IpAddress.parse(dst), { count: 2, size: 4000, intervalMs: 5, timeoutMs: 2000 });
    expect(replies.length, `${dst} ${JSON.stringify(peer.stats())} ${JSON.stringify(stack.stats())}`).toBe(2);
  }
});
