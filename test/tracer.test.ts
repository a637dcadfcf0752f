import { describe, expect, it } from 'vitest';
import { describePacket } from '../src/link/describe.js';
import { Tracer } from '../src/link/tracer.js';
import { MemoryLink } from '../src/link/memory.js';
import { SimScheduler, settleMicrotasks } from '../src/link/sim-scheduler.js';
import { ManualClock } from '../src/clock.js';
import { Random } from '../src/random.js';

/** Real packets built with scapy (python3 -c 'from scapy.all import *; bytes(IP()/TCP(...)).hex()'), checksums included. */
const VECTORS = {
  syn: '4500003c00010000400666b90a0000010a0000029c400050000003e800000000a002faf0685b0000020405b40402080a000030390000000001030307',
  synack: '4500003400020000400666c00a0000020a00000100509c4000001388000003e98012fe88a8ae0000020405780101040201030309',
  data: '450000a000030000400666530a0000010a0000029c400050000003e900001389a01801f6928e0000010105120000177000001b5800001f4000002328' + '78'.repeat(100),
  rst: '4500002800000000400666ce0a0000020a00000100509c4000000000000003e950140000fb540000',
  udp: '45000030000400004011a8fcc0a801050808080814e90035001caa6c7171717171717171717171717171717171717171',
  ping: '4500005400050000400166a20a0000010a00000208009978123400077070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070',
  unreach: '4500003c00060000400166b90a0000020a0000010303111d000000004500002000040000401166c70a0000010a00000213880035000cf53371717171',
  fragNeeded: '4500004400070000400165b40a0000fe0a000001030414b100000578450000280004000040065dba0a0000010a0909099c4001bb000000000000000050022000d4d40000',
  frag1: '450005dc424220004011fecc0a0000010a000002045708ae07d860c8' + '7a'.repeat(1472),
  frag2: '45000224424200b9401121cc0a0000010a000002' + '7a'.repeat(528),
  ping6: '6000000000183a40fd000000000000000000000000000001fd00000000000000000000000000000280007a4d004d000361616161616161616161616161616161',
  ns: '6000000000203afffe800000000000000000000000000001ff0200000000000000000001ff00000287007a9700000000fe8000000000000000000000000000020101020000000001',
  na: '6000000000203afffe800000000000000000000000000002fe8000000000000000000000000000018800181a60000000fe8000000000000000000000000000020201020000000002',
  rs: '6000000000083afffe800000000000000000000000000001ff02000000000000000000000000000285007d3600000000',
  ra: '6000000000383afffe8000000000000000000000000000ffff0200000000000000000000000000018600b731408807080000000000000000030440c0ffffffffffffffff0000000020010db800010000000000000000000005010000000005c8',
  ptb: '6000000000443a40fd0000000000000000000000000000fefd00000000000000000000000000000102009746000005006000000000140640fd000000000000000000000000000001fd0000000000000000000000000000099c4001bb000000000000000050022000f7db0000',
  unreach6: '6000000000383a40fd0000000000000000000000000000fefd00000000000000000000000000000101049259000000006000000000081140fd000000000000000000000000000001fd000000000000000000000000000002138800350008f21c',
  frag6a: '6000000004d82c40fd000000000000000000000000000001fd0000000000000000000000000000021100000100abcdef0001000206485dbb' + '79'.repeat(0x4d8 - 16),
  frag6b: '6000000001802c40fd000000000000000000000000000001fd000000000000000000000000000002110004d000abcdef' + '79'.repeat(0x180 - 8),
  syn6: '600000000020004020010db800000000000000000000000120010db80000000000000000000000020600010400000000c35000160000002a000000006002ffff79350000020405a0',
};

const packet = (name: keyof typeof VECTORS): Uint8Array => Uint8Array.from(Buffer.from(VECTORS[name], 'hex'));

describe('describePacket on real packets', () => {
  it('TCP: tcpdump-like flags, seq, ack, window, options and length', () => {
    expect(describePacket(packet('syn'))).toBe(
      'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 12345 ecr 0,nop,wscale 7], length 0',
    );
    expect(describePacket(packet('synack'))).toBe(
      'IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1400,nop,nop,sackOK,nop,wscale 9], length 0',
    );
    expect(describePacket(packet('data'))).toBe(
      'IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1001, ack 5001, win 502, options [nop,nop,sack 2 {6000:7000}{8000:9000}], length 100',
    );
    expect(describePacket(packet('rst'))).toBe('IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [R.], seq 0, ack 1001, win 0, length 0');
    expect(describePacket(packet('syn6'))).toBe(
      'IP6 2001:db8::1.50000 > 2001:db8::2.22: Flags [S], seq 42, win 65535, options [mss 1440], length 0',
    );
  });

  it('UDP ports and length', () => {
    expect(describePacket(packet('udp'))).toBe('IP 192.168.1.5.5353 > 8.8.8.8.53: UDP, length 20');
  });

  it('ICMP: echo with id and seq, unreachable codes with the quoted packet, need-to-frag with the MTU', () => {
    expect(describePacket(packet('ping'))).toBe('IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 7, length 64');
    expect(describePacket(packet('unreach'))).toBe(
      'IP 10.0.0.2 > 10.0.0.1: ICMP port unreachable (UDP 10.0.0.1.5000 > 10.0.0.2.53), length 40',
    );
    expect(describePacket(packet('fragNeeded'))).toBe(
      'IP 10.0.0.254 > 10.0.0.1: ICMP unreachable - need to frag (mtu 1400) (TCP 10.0.0.1.40000 > 10.9.9.9.443), length 48',
    );
    const reply = packet('ping');
    reply[20] = 0; // type 0: echo reply (checksum no longer matters to describe)
    expect(describePacket(reply)).toContain('ICMP echo reply, id 4660, seq 7');
  });

  it('ICMPv6: echo, neighbour discovery, packet too big, unreachable', () => {
    expect(describePacket(packet('ping6'))).toBe('IP6 fd00::1 > fd00::2: ICMP6, echo request, id 77, seq 3, length 24');
    expect(describePacket(packet('ns'))).toBe('IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 32');
    expect(describePacket(packet('na'))).toBe(
      'IP6 fe80::2 > fe80::1: ICMP6, neighbor advertisement, tgt is fe80::2, flags [solicited, override], length 32',
    );
    expect(describePacket(packet('rs'))).toBe('IP6 fe80::1 > ff02::2: ICMP6, router solicitation, length 8');
    expect(describePacket(packet('ra'))).toBe(
      'IP6 fe80::ff > ff02::1: ICMP6, router advertisement, hop limit 64, flags [managed], router lifetime 1800s, prefix 2001:db8:1::/64, mtu 1480, length 56',
    );
    expect(describePacket(packet('ptb'))).toBe(
      'IP6 fd00::fe > fd00::1: ICMP6, packet too big, mtu 1280 (TCP fd00::1.40000 > fd00::9.443), length 68',
    );
    expect(describePacket(packet('unreach6'))).toBe(
      'IP6 fd00::fe > fd00::1: ICMP6, destination unreachable, port unreachable (UDP fd00::1.5000 > fd00::2.53), length 56',
    );
  });

  it('fragments: id, offset, MF; the first one still shows the transport header', () => {
    expect(describePacket(packet('frag1'))).toBe('IP 10.0.0.1.1111 > 10.0.0.2.2222: UDP, length 2000 (frag id 16962 offset 0 MF)');
    expect(describePacket(packet('frag2'))).toBe('IP 10.0.0.1 > 10.0.0.2: UDP fragment, length 528 (frag id 16962 offset 1480)');
    expect(describePacket(packet('frag6a'))).toBe('IP6 fd00::1.1 > fd00::2.2: UDP, length 1600 (frag id 11259375 offset 0 MF)');
    expect(describePacket(packet('frag6b'))).toBe('IP6 fd00::1 > fd00::2: UDP fragment, length 376 (frag id 11259375 offset 1232)');
  });
});

describe('describePacket on malformed input', () => {
  it('names what is wrong', () => {
    expect(describePacket(new Uint8Array(0))).toBe('malformed packet (empty)');
    expect(describePacket(Uint8Array.of(0x55, 0, 0, 0))).toBe('malformed packet (IP version 5, 4 bytes)');
    expect(describePacket(packet('syn').subarray(0, 19))).toBe('malformed IPv4 (19 bytes, shorter than a header)');
    const shortIhl = packet('syn');
    shortIhl[0] = 0x44;
    expect(describePacket(shortIhl)).toBe('malformed IPv4 (header length 16 < 20)');
    expect(describePacket(packet('syn').subarray(0, 50))).toBe('malformed IPv4 (total length 60 > 50 bytes received)');
    expect(describePacket(packet('ping6').subarray(0, 39))).toBe('malformed IPv6 (39 bytes, shorter than a header)');
    expect(describePacket(packet('ping6').subarray(0, 50))).toBe('malformed IPv6 (payload length 24 > 10 bytes received)');
  });

  it('reports a bad header checksum, a bad data offset and bad TCP options', () => {
    const badSum = packet('syn');
    badSum[8] = 1; // TTL changed without fixing the checksum
    expect(describePacket(badSum)).toMatch(/Flags \[S\].*\[bad ip cksum\]$/);
    const badOffset = packet('rst');
    badOffset[32] = 0xf0; // data offset 60 > 20-byte segment
    expect(describePacket(badOffset)).toBe('IP 10.0.0.2.80 > 10.0.0.1.40000: malformed TCP (data offset 60 bytes, segment 20)');
    const badOption = packet('syn');
    badOption[41] = 40; // MSS option claims 40 bytes
    expect(describePacket(badOption)).toContain('options [bad opts (kind 2 length 40)]');
  });

  it('describes every truncation and random corruption of every vector without an internal error', () => {
    // describePacket catches anything as a last resort and says "internal error": that must never be needed.
    const random = new Random(99);
    const failures: string[] = [];
    let described = 0;
    const check = (bytes: Uint8Array): void => {
      const line = describePacket(bytes);
      described++;
      if (typeof line !== 'string' || line.length === 0 || line.includes('internal error')) failures.push(Buffer.from(bytes).toString('hex'));
    };
    for (const name of Object.keys(VECTORS) as (keyof typeof VECTORS)[]) {
      const whole = packet(name);
      for (let length = 0; length <= Math.min(whole.length, 200); length++) check(whole.subarray(0, length));
      for (let round = 0; round < 200; round++) {
        const mutated = whole.slice(0, Math.min(whole.length, 200));
        for (let flips = 1 + random.int(4); flips > 0; flips--) mutated[random.int(mutated.length)] = random.int(256);
        check(mutated);
      }
      check(random.bytes(random.int(120)));
    }
    expect(failures).toEqual([]);
    expect(described).toBeGreaterThan(20 * 200);
  });
});

describe('Tracer', () => {
  it('prints one line per packet with direction, relative time and the summary', async () => {
    const clock = new ManualClock(1000);
    const [a, b] = MemoryLink.pair();
    const lines: string[] = [];
    const traced = new Tracer(a, { clock, label: 'client', write: (line) => lines.push(line) });
    expect([traced.name, traced.mtu, traced.inner]).toEqual([a.name, a.mtu, a]);
    const received: number[] = [];
    traced.setReceiver((batch) => received.push(batch.length));
    b.setReceiver(() => {});
    traced.send([packet('syn'), packet('ping')]);
    clock.advance(12.5);
    b.send([packet('synack')]);
    await settleMicrotasks();
    expect(lines).toEqual([
      'client 0.000 > IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 12345 ecr 0,nop,wscale 7], length 0',
      'client 0.000 > IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 7, length 64',
      'client 12.500 < IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1400,nop,nop,sackOK,nop,wscale 9], length 0',
    ]);
    expect(received).toEqual([1]);
    expect(b.stats.received).toBe(2);
    traced.close();
    expect(a.isClosed).toBe(true);
    traced.send([packet('ping')]);
    expect(lines.length).toBe(3);
  });

  it('uses the inner link name as the label and survives a throwing sink', () => {
    const sim = new SimScheduler();
    const [a, b] = MemoryLink.pair({ names: ['eth-sim', 'peer'], clock: sim, schedule: sim.schedule });
    const lines: string[] = [];
    let calls = 0;
    const traced = new Tracer(a, {
      clock: sim,
      write: (line) => {
        if (calls++ === 0) throw new Error('sink broken');
        lines.push(line);
      },
    });
    let delivered = 0;
    b.setReceiver((batch) => (delivered += batch.length));
    traced.send([packet('udp'), packet('rs')]);
    sim.runUntilIdle();
    expect(delivered).toBe(2);
    expect(lines).toEqual(['eth-sim 0.000 > IP6 fe80::1 > ff02::2: ICMP6, router solicitation, length 8']);
  });
});
