/** IPv4, IPv6 (+ extension chain), ICMP and UDP codecs on packets crafted with scapy. */
import { describe, expect, test } from 'vitest';
import { emitIcmp4, parseIcmp4 } from '../src/ip/icmp4.js';
import { emitIcmp6, parseIcmp6 } from '../src/ip/icmp6.js';
import { emitIpv4Header, parseIpv4, type Ipv4Repr } from '../src/ip/ipv4.js';
import { emitIpv6Header, parseIpv6, type Ipv6Repr } from '../src/ip/ipv6.js';
import { walkIpv6Chain } from '../src/ip/ipv6-ext.js';
import { emitUdp, parseUdp } from '../src/udp/udp.js';
import { addr, fixIpv4Checksum, hex, ipv6, toHex } from './ip-fixtures.js';

// scapy: IP(src='10.0.0.1',dst='10.0.0.2',id=0x1234,ttl=64,options=[NOP,NOP,NOP,EOL])/ICMP(id=0x77,seq=3)/b'hello'
const V4_OPTIONS_ECHO = '4600002512340000400151a10a0000010a000002010101000800b3b30077000368656c6c6f';
// scapy: IP(src='10.0.0.1',dst='10.0.0.2',id=0x1234,ttl=64)/ICMP(id=0x77,seq=3)/b'hello'
const V4_ECHO = '4500002112340000400154a60a0000010a0000020800b3b30077000368656c6c6f';
// scapy: IPv6(src='fd07::1',dst='fd07::2')/ICMPv6EchoRequest(id=0x77,seq=3,data=b'hello')
const V6_ECHO = '60000000000d3a40fd070000000000000000000000000001fd070000000000000000000000000002800041590077000368656c6c6f';
// scapy: ...IPv6ExtHdrHopByHop(options=[RouterAlert()])/IPv6ExtHdrDestOpt(options=[PadN(4 bytes)])/ICMPv6EchoRequest
const V6_HBH_DST_ECHO =
  '60000000001d0040fd070000000000000000000000000001fd0700000000000000000000000000023c000502000001003a00010400000000800041590077000368656c6c6f';
// scapy: ...IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x87, 4 bytes)])/ICMPv6EchoRequest
const V6_UNKNOWN_OPTION = '6000000000153c40fd070000000000000000000000000001fd0700000000000000000000000000023a00870400000000800041590077000368656c6c6f';
// scapy: ...IPv6ExtHdrRouting(type=0,segleft=1,addresses=['fd07::3'])/ICMPv6EchoRequest(id=1,seq=1)
const V6_ROUTING0 =
  '6000000000202b40fd070000000000000000000000000001fd0700000000000000000000000000023a02000100000000fd070000000000000000000000000003800085a700010001';
// scapy: IP(src='10.0.0.1',dst='10.0.0.2',id=7)/UDP(sport=1234,dport=9)/b'data'
const V4_UDP = '4500002000070000401166c40a0000010a00000204d20009000c0e3664617461';
// scapy: IPv6(src='fd07::1',dst='fd07::2')/UDP(sport=1234,dport=9)/b'data'
const V6_UDP = '60000000000c1140fd070000000000000000000000000001fd07000000000000000000000000000204d20009000c282664617461';

const v4 = (bytes: Uint8Array): Ipv4Repr => {
  const repr = parseIpv4(bytes);
  if (typeof repr === 'string') throw new Error(`unexpected drop ${repr}`);
  return repr;
};
const v6 = (bytes: Uint8Array): Ipv6Repr => {
  const repr = parseIpv6(bytes);
  if (typeof repr === 'string') throw new Error(`unexpected drop ${repr}`);
  return repr;
};

describe('IPv4 (RFC 791)', () => {
  test('parses a header with options, skipping them by IHL', () => {
    const repr = v4(hex(V4_OPTIONS_ECHO));
    expect(repr.headerLength).toBe(24);
    expect(repr.totalLength).toBe(37);
    expect(repr.identification).toBe(0x1234);
    expect(repr.ttl).toBe(64);
    expect(repr.protocol).toBe(1);
    expect(repr.src.key).toBe('10.0.0.1');
    expect(repr.dst.key).toBe('10.0.0.2');
    expect(repr.dontFragment).toBe(false);
    expect(repr.fragmentOffset).toBe(0);
    expect(toHex(repr.payload)).toBe('0800b3b30077000368656c6c6f');
  });

  test('every truncation is badLength', () => {
    const full = hex(V4_OPTIONS_ECHO);
    for (let length = 0; length < full.length; length++) expect(parseIpv4(full.subarray(0, length))).toBe('badLength');
  });

  test('bytes beyond total length (link padding) are ignored', () => {
    const padded = new Uint8Array(hex(V4_ECHO).length + 7);
    padded.set(hex(V4_ECHO));
    const repr = v4(padded);
    expect(repr.packet.length).toBe(33);
    expect(toHex(repr.payload)).toBe('0800b3b30077000368656c6c6f');
  });

  test('inconsistent fields name their reason', () => {
    const edit = (fn: (p: Uint8Array) => void, fix = true) => {
      const packet = hex(V4_ECHO);
      fn(packet);
      return parseIpv4(fix ? fixIpv4Checksum(packet) : packet);
    };
    expect(edit((p) => (p[0] = 0x55))).toBe('badVersion');
    expect(edit((p) => (p[0] = 0x44))).toBe('badHeader');
    expect(edit((p) => (p[0] = 0x49))).toBe('badLength'); // IHL 36 > total length 33
    expect(edit((p) => (p[3] = 19))).toBe('badLength'); // total length < header
    expect(edit((p) => (p[3] = 34))).toBe('badLength'); // total length > buffer
    expect(edit((p) => (p[8] = 63), false)).toBe('badChecksum');
    expect(edit((p) => p.set([224, 0, 0, 1], 12))).toBe('badAddress');
    expect(edit((p) => p.set([255, 255, 255, 255], 12))).toBe('badAddress');
  });

  test('emit writes the same header as scapy', () => {
    const out = new Uint8Array(20);
    emitIpv4Header(
      { src: addr('10.0.0.1'), dst: addr('10.0.0.2'), protocol: 1, ttl: 64, identification: 0x1234, dontFragment: false, moreFragments: false, fragmentOffset: 0, totalLength: 33 },
      out,
    );
    expect(toHex(out)).toBe(V4_ECHO.slice(0, 40));
  });

  test('flags and fragment offset round-trip', () => {
    const out = new Uint8Array(28);
    emitIpv4Header(
      { src: addr('10.0.0.1'), dst: addr('10.0.0.2'), protocol: 17, ttl: 5, identification: 0xbeef, dontFragment: true, moreFragments: true, fragmentOffset: 8 * 1000, totalLength: 28 },
      out,
    );
    const repr = v4(out);
    expect([repr.dontFragment, repr.moreFragments, repr.fragmentOffset, repr.identification, repr.ttl]).toEqual([true, true, 8000, 0xbeef, 5]);
  });
});

describe('IPv6 (RFC 8200)', () => {
  test('parses the fixed header', () => {
    const repr = v6(hex(V6_ECHO));
    expect([repr.src.key, repr.dst.key, repr.nextHeader, repr.hopLimit, repr.payloadLength]).toEqual(['fd07::1', 'fd07::2', 58, 64, 13]);
  });

  test('every truncation is badLength; other faults name their reason', () => {
    const full = hex(V6_ECHO);
    for (let length = 0; length < full.length; length++) expect(parseIpv6(full.subarray(0, length))).toBe('badLength');
    const version = hex(V6_ECHO);
    version[0] = 0x40;
    expect(parseIpv6(version)).toBe('badVersion');
    const multicastSource = hex(V6_ECHO);
    multicastSource[8] = 0xff;
    expect(parseIpv6(multicastSource)).toBe('badAddress');
    const jumbo = hex(V6_ECHO);
    jumbo[4] = 0;
    jumbo[5] = 0;
    jumbo[6] = 0;
    expect(parseIpv6(jumbo)).toBe('unsupportedExtension');
  });

  test('emit writes the same header as scapy', () => {
    const out = new Uint8Array(40);
    emitIpv6Header({ src: addr('fd07::1'), dst: addr('fd07::2'), nextHeader: 58, hopLimit: 64, payloadLength: 13 }, out);
    expect(toHex(out)).toBe(V6_ECHO.slice(0, 80));
  });

  test('walks hop-by-hop and destination options to the upper layer', () => {
    const chain = walkIpv6Chain(v6(hex(V6_HBH_DST_ECHO)).packet, false);
    expect(chain).toEqual({ kind: 'upper', protocol: 58, offset: 56, nextHeaderField: 48 });
  });

  test('unknown option types follow their two high bits (RFC 8200 §4.2)', () => {
    const withType = (type: number) => {
      const packet = hex(V6_UNKNOWN_OPTION);
      packet[42] = type;
      return packet;
    };
    expect(walkIpv6Chain(withType(0x07), false)).toMatchObject({ kind: 'upper', protocol: 58 });
    expect(walkIpv6Chain(withType(0x47), false)).toEqual({ kind: 'drop', reason: 'badOption' });
    expect(walkIpv6Chain(withType(0x87), true)).toMatchObject({ kind: 'paramProblem', code: 2, pointer: 42, evenIfMulticast: true });
    expect(walkIpv6Chain(withType(0xc7), false)).toMatchObject({ kind: 'paramProblem', code: 2, pointer: 42, evenIfMulticast: false });
    expect(walkIpv6Chain(withType(0xc7), true)).toEqual({ kind: 'drop', reason: 'badOption' });
    // An option overrunning its header.
    const overrun = hex(V6_UNKNOWN_OPTION);
    overrun[43] = 5;
    expect(walkIpv6Chain(overrun, false)).toEqual({ kind: 'drop', reason: 'badOption' });
  });

  test('a routing header with segments left is a parameter problem at its type; with none it is skipped', () => {
    expect(walkIpv6Chain(hex(V6_ROUTING0), false)).toMatchObject({ kind: 'paramProblem', code: 0, pointer: 42 });
    const done = hex(V6_ROUTING0);
    done[43] = 0;
    expect(walkIpv6Chain(done, false)).toMatchObject({ kind: 'upper', protocol: 58, offset: 64 });
  });

  test('hop-by-hop after another header is a parameter problem code 1', () => {
    // Destination options (next = hop-by-hop) then a hop-by-hop header.
    const packet = ipv6({ nextHeader: 60, payload: Uint8Array.of(0, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0) });
    expect(walkIpv6Chain(packet, false)).toMatchObject({ kind: 'paramProblem', code: 1, pointer: 40 });
  });

  test('a chain longer than the bound is dropped; a cut header is badLength', () => {
    const headers = new Uint8Array(8 * 20);
    for (let i = 0; i < 20; i++) headers.set([60, 0, 1, 4, 0, 0, 0, 0], i * 8);
    expect(walkIpv6Chain(ipv6({ nextHeader: 60, payload: headers }), false)).toEqual({ kind: 'drop', reason: 'unsupportedExtension' });
    expect(walkIpv6Chain(ipv6({ nextHeader: 60, payload: Uint8Array.of(58, 1, 0, 0) }), false)).toEqual({ kind: 'drop', reason: 'badLength' });
  });

  test('fragment header fields, and the §4.5 checks', () => {
    const data = new Uint8Array(16);
    const fragment = ipv6({ nextHeader: 44, payload: Uint8Array.of(17, 0, 0x00, 0x19, 0xde, 0xad, 0xbe, 0xef, ...data) });
    expect(walkIpv6Chain(fragment, false)).toEqual({
      kind: 'fragment',
      headerOffset: 40,
      nextHeaderField: 6,
      nextHeader: 17,
      fragmentOffset: 24,
      moreFragments: true,
      identification: 0xdeadbeef,
      dataOffset: 48,
    });
    const odd = ipv6({ nextHeader: 44, payload: Uint8Array.of(17, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3) });
    expect(walkIpv6Chain(odd, false)).toMatchObject({ kind: 'paramProblem', code: 0, pointer: 4 });
    const beyond = ipv6({ nextHeader: 44, payload: Uint8Array.of(17, 0, 0xff, 0xf8, 0, 0, 0, 1, ...data) });
    expect(walkIpv6Chain(beyond, false)).toMatchObject({ kind: 'paramProblem', code: 0, pointer: 42 });
  });
});

describe('ICMP (RFC 792, RFC 4443)', () => {
  test('ICMPv4 echo: parse and emit agree with scapy', () => {
    const message = hex(V4_ECHO).subarray(20);
    const icmp = parseIcmp4(message);
    if (typeof icmp === 'string') throw new Error(icmp);
    expect([icmp.type, icmp.code, icmp.identifier, icmp.sequence]).toEqual([8, 0, 0x77, 3]);
    expect(toHex(emitIcmp4(8, 0, (0x77 << 16) | 3, hex('68656c6c6f')))).toBe(toHex(message));
    const bad = message.slice();
    bad[9] ^= 1;
    expect(parseIcmp4(bad)).toBe('badChecksum');
    expect(parseIcmp4(message.subarray(0, 7))).toBe('badLength');
  });

  test('ICMPv6 echo: checksum over the pseudo-header', () => {
    const message = hex(V6_ECHO).subarray(40);
    const icmp = parseIcmp6(message, addr('fd07::1'), addr('fd07::2'));
    if (typeof icmp === 'string') throw new Error(icmp);
    expect([icmp.type, icmp.identifier, icmp.sequence]).toEqual([128, 0x77, 3]);
    expect(toHex(emitIcmp6(128, 0, (0x77 << 16) | 3, hex('68656c6c6f'), addr('fd07::1'), addr('fd07::2')))).toBe(toHex(message));
    // The same bytes between other addresses do not verify.
    expect(parseIcmp6(message, addr('fd07::1'), addr('fd07::3'))).toBe('badChecksum');
  });
});

describe('UDP (RFC 768)', () => {
  test('parse and emit agree with scapy over IPv4 and IPv6', () => {
    const u4 = hex(V4_UDP).subarray(20);
    const repr = parseUdp(u4, addr('10.0.0.1'), addr('10.0.0.2'));
    expect(repr).toMatchObject({ srcPort: 1234, dstPort: 9 });
    expect(toHex(emitUdp(1234, 9, hex('64617461'), addr('10.0.0.1'), addr('10.0.0.2')))).toBe(toHex(u4));
    const u6 = hex(V6_UDP).subarray(40);
    expect(parseUdp(u6, addr('fd07::1'), addr('fd07::2'))).toMatchObject({ srcPort: 1234, dstPort: 9 });
    expect(toHex(emitUdp(1234, 9, hex('64617461'), addr('fd07::1'), addr('fd07::2')))).toBe(toHex(u6));
  });

  test('checksum rules: zero is "none" over IPv4, invalid over IPv6', () => {
    const u4 = hex(V4_UDP).subarray(20).slice();
    u4[6] = 0;
    u4[7] = 0;
    expect(parseUdp(u4, addr('10.0.0.1'), addr('10.0.0.2'))).toMatchObject({ dstPort: 9 });
    const u6 = hex(V6_UDP).subarray(40).slice();
    u6[6] = 0;
    u6[7] = 0;
    expect(parseUdp(u6, addr('fd07::1'), addr('fd07::2'))).toBe('badChecksum');
    const corrupt = hex(V4_UDP).subarray(20).slice();
    corrupt[8] ^= 0x40;
    expect(parseUdp(corrupt, addr('10.0.0.1'), addr('10.0.0.2'))).toBe('badChecksum');
  });

  test('length field checks', () => {
    const u4 = hex(V4_UDP).subarray(20);
    for (let length = 0; length < 8; length++) expect(parseUdp(u4.subarray(0, length), addr('10.0.0.1'), addr('10.0.0.2'))).toBe('badLength');
    const long = u4.slice();
    long[5] = 13;
    expect(parseUdp(long, addr('10.0.0.1'), addr('10.0.0.2'))).toBe('badLength');
    const short = u4.slice();
    short[5] = 7;
    expect(parseUdp(short, addr('10.0.0.1'), addr('10.0.0.2'))).toBe('badLength');
  });
});
