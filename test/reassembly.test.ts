/** Reassembly (RFC 791/815, RFC 8200 §4.5, RFC 5722) and fragmentation, as properties over random cases. */
import { describe, expect, test } from 'vitest';
import { IpCidr } from '../src/ip/address.js';
import { Interface } from '../src/ip/interface.js';
import { parseIpv4 } from '../src/ip/ipv4.js';
import { parseIpv6 } from '../src/ip/ipv6.js';
import { walkIpv6Chain } from '../src/ip/ipv6-ext.js';
import { buildIpv4Packets, buildIpv6Packets } from '../src/ip/outbound.js';
import { Reassembler, type FragmentInput, type ReassemblyResult, type ReassemblyTimeout } from '../src/ip/reassembly.js';
import { Random } from '../src/random.js';
import { Counters } from '../src/stats.js';
import { CaptureLink, addr, ipv4 } from './ip-fixtures.js';

const iface = new Interface('t0', new CaptureLink(), 1500, [IpCidr.parse('10.7.0.2/24')], false);

/** A received packet as the input path would hand it to the reassembler. */
function fragmentOf(packet: Uint8Array): FragmentInput {
  if ((packet[0]! >> 4) === 4) {
    const repr = parseIpv4(packet);
    if (typeof repr === 'string') throw new Error(repr);
    return { family: 4, src: repr.src, dst: repr.dst, identification: repr.identification, protocol: repr.protocol, packet: repr.packet, headerLength: repr.headerLength, dataOffset: repr.headerLength, fragmentOffset: repr.fragmentOffset, moreFragments: repr.moreFragments, iface };
  }
  const repr = parseIpv6(packet);
  if (typeof repr === 'string') throw new Error(repr);
  const chain = walkIpv6Chain(repr.packet, false);
  if (chain.kind !== 'fragment') throw new Error(`not a fragment: ${chain.kind}`);
  return { family: 6, src: repr.src, dst: repr.dst, identification: chain.identification, protocol: 0, packet: repr.packet, headerLength: chain.headerOffset, dataOffset: chain.dataOffset, fragmentOffset: chain.fragmentOffset, moreFragments: chain.moreFragments, nextHeaderField: chain.nextHeaderField, nextHeader: chain.nextHeader, iface };
}

/** IPv4 fragments of `payload` cut at random multiples of 8. */
function randomFragments4(random: Random, payload: Uint8Array, id: number): Uint8Array[] {
  const cuts = [0];
  while (cuts[cuts.length - 1]! < payload.length) cuts.push(Math.min(payload.length, cuts[cuts.length - 1]! + 8 * (1 + random.int(64))));
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) out.push(fragment4(payload, cuts[i]!, cuts[i + 1]!, id, cuts[i + 1]! < payload.length));
  return out;
}

function fragment4(payload: Uint8Array, start: number, end: number, id: number, more: boolean, protocol = 17): Uint8Array {
  return ipv4({ protocol, payload: payload.subarray(start, end), id, mf: more, offset: start });
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function feed(reassembler: Reassembler, packets: Uint8Array[], now = 0): ReassemblyResult[] {
  return packets.map((packet) => reassembler.add(fragmentOf(packet), now));
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const completed = (results: ReassemblyResult[]) => results.filter((r) => r.kind === 'complete').map((r) => (r as { packet: Uint8Array }).packet);

describe('reassembly properties', () => {
  test('random IPv4 datagrams, random cuts, random order, duplicates → the identical datagram', () => {
    const random = new Random(1);
    for (let round = 0; round < 200; round++) {
      const counters = new Counters();
      const reassembler = new Reassembler(counters);
      const payload = random.bytes(1 + random.int(6000));
      const id = random.int(65536);
      const fragments = randomFragments4(random, payload, id);
      const withDuplicates = [...fragments, ...fragments.filter(() => random.chance(0.3))];
      const results = feed(reassembler, shuffle(random, withDuplicates));
      const whole = buildIpv4Packets({ src: addr('10.7.0.1'), dst: addr('10.7.0.2'), protocol: 17, ttl: 64, payload, mtu: 65535, identification: id, dontFragment: false });
      if (fragments.length === 1) {
        // A single "fragment" with MF = 0 and offset 0 is no fragment at all; skip.
        continue;
      }
      const out = completed(results);
      // (Copies arriving after completion can, rarely, form the datagram a second time.)
      expect(out.length).toBeGreaterThanOrEqual(1);
      for (const packet of out) expect(same(packet, (whole as Uint8Array[])[0]!)).toBe(true);
      // Before completion every extra copy was a harmless duplicate; copies arriving after it
      // start a new datagram that never completes (and would time out).
      const done = results.findIndex((r) => r.kind === 'complete');
      for (const result of results.slice(0, done)) expect(result.kind === 'queued' || (result.kind === 'dropped' && result.reason === 'reassemblyDuplicate')).toBe(true);
      if (done === results.length - 1) expect([reassembler.size, reassembler.bytes]).toEqual([0, 0]);
    }
  });

  test('our fragmentation round-trips through reassembly (IPv4 and IPv6, random MTUs)', () => {
    const random = new Random(2);
    for (let round = 0; round < 100; round++) {
      const payload = random.bytes(random.int(9000));
      const mtu = 68 + random.int(1500);
      const spec = { src: addr(round % 2 ? 'fd07::1' : '10.7.0.1'), dst: addr(round % 2 ? 'fd07::2' : '10.7.0.2'), protocol: 58, ttl: 64, payload, identification: round + 1 };
      const fragmented = round % 2 ? buildIpv6Packets({ ...spec, mtu }) : buildIpv4Packets({ ...spec, mtu, dontFragment: false });
      const whole = round % 2 ? buildIpv6Packets({ ...spec, mtu: 70000 }) : buildIpv4Packets({ ...spec, mtu: 70000, dontFragment: false });
      if (fragmented === 'tooBig' || whole === 'tooBig') throw new Error('tooBig');
      for (const packet of fragmented) expect(packet.length).toBeLessThanOrEqual(mtu);
      if (fragmented.length === 1) {
        expect(same(fragmented[0]!, whole[0]!)).toBe(true);
        continue;
      }
      const reassembler = new Reassembler(new Counters());
      const out = completed(feed(reassembler, shuffle(random, [...fragmented])));
      expect(out.length).toBe(1);
      expect(same(out[0]!, whole[0]!)).toBe(true);
    }
  });

  test('any overlap drops the whole datagram, and its later fragments until the timeout (RFC 5722)', () => {
    const random = new Random(3);
    for (let round = 0; round < 100; round++) {
      const counters = new Counters();
      const reassembler = new Reassembler(counters, { timeoutMs: 1000 });
      const payload = random.bytes(64 + random.int(2000));
      const fragments = randomFragments4(random, payload, 9);
      if (fragments.length < 2) continue;
      // An extra fragment that overlaps others partly, with different bytes.
      const start = 8 * random.int(Math.floor((payload.length - 1) / 8));
      const end = Math.min(payload.length, start + 8 * (2 + random.int(8)));
      const altered = payload.slice();
      for (let i = start; i < end; i++) altered[i] = altered[i]! ^ 0xff;
      const overlapping = fragment4(altered, start, end, 9, end < payload.length);
      const order = shuffle(random, [...fragments]);
      // Somewhere before the last original fragment, so the datagram cannot complete first.
      order.splice(random.int(order.length), 0, overlapping);
      const results = feed(reassembler, order, 10);
      expect(completed(results)).toEqual([]);
      expect(results.some((r) => r.kind === 'dropped' && (r.reason === 'reassemblyOverlap' || r.reason === 'badFragment'))).toBe(true);
      // Until the timer runs out, even a complete clean set is refused...
      expect(completed(feed(reassembler, fragments, 500))).toEqual([]);
      reassembler.poll(1010);
      expect(reassembler.size).toBe(0);
      // ...and after it, the same fragments make the datagram.
      expect(completed(feed(reassembler, fragments, 1020)).length).toBe(1);
    }
  });

  test('the byte cap holds, evicting the oldest datagrams', () => {
    const random = new Random(4);
    const counters = new Counters();
    const reassembler = new Reassembler(counters, { maxBytes: 20_000 });
    const firsts: Uint8Array[] = [];
    for (let id = 0; id < 100; id++) {
      const payload = random.bytes(3000);
      // All but the last fragment: never completes.
      const fragments = randomFragments4(random, payload, id).slice(0, -1);
      if (fragments.length === 0) continue;
      firsts.push(fragments[0]!);
      feed(reassembler, fragments);
      expect(reassembler.bytes).toBeLessThanOrEqual(20_000);
    }
    expect(counters.get('drop.reassemblyOverCap')).toBeGreaterThan(0);
    expect(counters.get('reassembly.dropped')).toBe(counters.get('drop.reassemblyOverCap'));
  });

  test('timeout: expired datagrams are dropped; Time Exceeded only if the first fragment arrived', () => {
    const timeouts: ReassemblyTimeout[] = [];
    const counters = new Counters();
    const reassembler = new Reassembler(counters, {}, (timeout) => timeouts.push(timeout));
    const payload = new Uint8Array(64).fill(7);
    reassembler.add(fragmentOf(fragment4(payload, 0, 16, 1, true)), 100); // first fragment of datagram 1
    reassembler.add(fragmentOf(fragment4(payload, 16, 32, 2, true)), 200); // a middle fragment of datagram 2
    expect(reassembler.pollAt()).toBe(100 + 30_000);
    reassembler.poll(30_099);
    expect(reassembler.size).toBe(2);
    reassembler.poll(30_100);
    expect(reassembler.size).toBe(1);
    expect(timeouts.length).toBe(1);
    expect(timeouts[0]!.firstFragment).toEqual(fragment4(payload, 0, 16, 1, true));
    expect(reassembler.pollAt()).toBe(30_200);
    reassembler.poll(30_200);
    expect(timeouts.length).toBe(1);
    expect(counters.get('drop.reassemblyTimeout')).toBe(2);
    expect(reassembler.pollAt()).toBe(Infinity);
    expect(reassembler.bytes).toBe(0);
  });

  test('IPv6 uses a 60 s default; the option overrides both', () => {
    const six = buildIpv6Packets({ src: addr('fd07::1'), dst: addr('fd07::2'), protocol: 17, ttl: 64, payload: new Uint8Array(3000), mtu: 1280, identification: 5 });
    const reassembler = new Reassembler(new Counters());
    reassembler.add(fragmentOf((six as Uint8Array[])[0]!), 0);
    expect(reassembler.pollAt()).toBe(60_000);
    const custom = new Reassembler(new Counters(), { timeoutMs: 5000 });
    custom.add(fragmentOf((six as Uint8Array[])[0]!), 0);
    expect(custom.pollAt()).toBe(5000);
  });

  test('size and shape limits', () => {
    const reassembler = new Reassembler(new Counters());
    const data = new Uint8Array(64);
    // Reaching past 65535 bytes.
    expect(reassembler.add(fragmentOf(fragment4(new Uint8Array(65600), 65512, 65536, 1, false)), 0)).toEqual({ kind: 'dropped', reason: 'reassemblyTooLarge' });
    // A non-last fragment whose length is not a multiple of 8.
    expect(reassembler.add(fragmentOf(fragment4(data, 0, 12, 2, true)), 0)).toEqual({ kind: 'dropped', reason: 'badFragment' });
    // Two different "last" fragments.
    expect(reassembler.add(fragmentOf(fragment4(data, 16, 24, 3, false)), 0).kind).toBe('queued');
    expect(reassembler.add(fragmentOf(fragment4(data, 32, 40, 3, false)), 0)).toEqual({ kind: 'dropped', reason: 'badFragment' });
    // Protocol is part of the key: same id, other protocol, does not mix.
    expect(reassembler.add(fragmentOf(fragment4(data, 0, 16, 4, true, 17)), 0).kind).toBe('queued');
    expect(reassembler.add(fragmentOf(fragment4(data, 16, 32, 4, false, 6)), 0).kind).toBe('queued');
  });
});

describe('fragmentation', () => {
  test('IPv4: offsets in 8-byte units, MF on all but the last, DF → tooBig', () => {
    const payload = new Uint8Array(4008).map((_, i) => i & 0xff);
    const spec = { src: addr('10.7.0.1'), dst: addr('10.7.0.2'), protocol: 1, ttl: 64, payload, mtu: 1500, identification: 42 };
    const packets = buildIpv4Packets({ ...spec, dontFragment: false }) as Uint8Array[];
    const reprs = packets.map((p) => parseIpv4(p)).map((r) => (typeof r === 'string' ? expect.fail(r) : r));
    expect(reprs.map((r) => [r.fragmentOffset, r.moreFragments, r.totalLength, r.identification])).toEqual([
      [0, true, 1500, 42],
      [1480, true, 1500, 42],
      [2960, false, 20 + 1048, 42],
    ]);
    expect(buildIpv4Packets({ ...spec, dontFragment: true })).toBe('tooBig');
    expect(buildIpv4Packets({ ...spec, payload: new Uint8Array(65516), dontFragment: false })).toBe('tooBig');
  });

  test('IPv6: a Fragment header on each piece', () => {
    const payload = new Uint8Array(4008);
    const packets = buildIpv6Packets({ src: addr('fd07::1'), dst: addr('fd07::2'), protocol: 58, ttl: 64, payload, mtu: 1500, identification: 0x01020304 }) as Uint8Array[];
    const chains = packets.map((p) => walkIpv6Chain(p, false));
    expect(chains.map((c) => (c.kind === 'fragment' ? [c.fragmentOffset, c.moreFragments, c.identification, c.nextHeader] : c.kind))).toEqual([
      [0, true, 0x01020304, 58],
      [1448, true, 0x01020304, 58],
      [2896, false, 0x01020304, 58],
    ]);
    for (const packet of packets) expect(packet.length).toBeLessThanOrEqual(1500);
  });
});
