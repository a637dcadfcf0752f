import { describe, expect, it } from 'vitest';
import { IpAddress } from '../src/ip/address.js';
import { finishChecksum, pseudoHeaderSum, sumBytes } from '../src/ip/checksum.js';
import { emitTcpSegment, parseTcpSegment, TcpFlags, TcpHeader, type TcpRepr } from '../src/tcp/segment.js';

const A = IpAddress.parse('10.0.0.1');
const B = IpAddress.parse('10.0.0.2');
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// Crafted with scapy: bytes(IP(src=..., dst=...)/TCP(...))[20:].hex()
const SYN_V4 = 'c00000501122334400000000a002ffff4d050000020405b40402080a0001e2400000000001030307';
const DATA_V4 = '0050c000fffffff011223345801801f535f500000101080a000000070001e24068656c6c6f';
const SACK_V6 = '04d201bb0000000100000002a01000643197000001010512000003e8000007d000000bb800000fa0';
const UNKNOWN_OPTION_V4 = '00010002000000050000000080022000e3a90000630401020204021800000000';

describe('TcpHeader view', () => {
  it('reads fields at their offsets', () => {
    const header = new TcpHeader(hex(SYN_V4));
    expect([header.srcPort, header.dstPort, header.seq, header.ack, header.headerLength, header.flags, header.window, header.checksum, header.urgentPointer]).toEqual([
      49152, 80, 0x11223344, 0, 40, TcpFlags.SYN, 65535, 0x4d05, 0,
    ]);
  });
});

describe('parseTcpSegment / emitTcpSegment', () => {
  it('parses a SYN with MSS, SACK-permitted, timestamps and window scale, and emits it back byte for byte', () => {
    const bytes = hex(SYN_V4);
    const segment = parseTcpSegment(bytes, A, B) as TcpRepr;
    expect(segment).toEqual({
      srcPort: 49152, dstPort: 80, seq: 0x11223344, ack: 0, flags: TcpFlags.SYN, window: 65535, urgent: 0,
      options: { mss: 1460, sackPermitted: true, timestamp: { value: 123456, echo: 0 }, windowScale: 7 },
      payload: new Uint8Array(0),
    });
    expect(toHex(emitTcpSegment(segment, A, B))).toBe(SYN_V4);
  });

  it('parses data with a payload that is a view of the input (zero copy)', () => {
    const bytes = hex(DATA_V4);
    const segment = parseTcpSegment(bytes, B, A) as TcpRepr;
    expect(segment).toMatchObject({ seq: 0xfffffff0, ack: 0x11223345, flags: TcpFlags.PSH | TcpFlags.ACK, window: 501, options: { timestamp: { value: 7, echo: 123456 } } });
    expect(new TextDecoder().decode(segment.payload)).toBe('hello');
    expect(segment.payload.buffer).toBe(bytes.buffer);
    expect(toHex(emitTcpSegment(segment, B, A))).toBe(DATA_V4);
  });

  it('parses SACK blocks over IPv6 (pseudo-header of RFC 8200 §8.1)', () => {
    const src = IpAddress.parse('fd07::1');
    const dst = IpAddress.parse('fd07::2');
    const segment = parseTcpSegment(hex(SACK_V6), src, dst) as TcpRepr;
    expect(segment.options).toEqual({ sackBlocks: [{ left: 1000, right: 2000 }, { left: 3000, right: 4000 }] });
    expect(toHex(emitTcpSegment(segment, src, dst))).toBe(SACK_V6);
    expect(parseTcpSegment(hex(SACK_V6), src, IpAddress.parse('fd07::3'))).toBe('badChecksum');
  });

  it('skips an unknown option by its length and stops at EOL', () => {
    const segment = parseTcpSegment(hex(UNKNOWN_OPTION_V4), A, B) as TcpRepr;
    expect(segment.options).toEqual({ mss: 536 });
  });

  it('rejects a bad checksum and short segments', () => {
    const bytes = hex(SYN_V4);
    bytes[17] ^= 1;
    expect(parseTcpSegment(bytes, A, B)).toBe('badChecksum');
    expect(parseTcpSegment(hex(SYN_V4).subarray(0, 19), A, B)).toBe('badLength');
  });
});

/** A header with the given data-offset byte and options, checksum made valid. */
function withOptions(options: number[], dataOffsetWords?: number, totalPad = true): Uint8Array {
  const padded = [...options];
  while (totalPad && padded.length % 4 !== 0) padded.push(0);
  const bytes = new Uint8Array(20 + padded.length);
  bytes[1] = 1; // ports 1 → 2
  bytes[3] = 2;
  bytes[12] = (dataOffsetWords ?? (20 + padded.length) / 4) << 4;
  bytes[13] = TcpFlags.SYN;
  bytes.set(padded, 20);
  const checksum = finishChecksum(sumBytes(bytes, 0, bytes.length, pseudoHeaderSum(A, B, 6, bytes.length)));
  bytes[16] = checksum >> 8;
  bytes[17] = checksum & 0xff;
  return bytes;
}

describe('malformed headers and option lists are dropped as tcpMalformed, never thrown', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['data offset below 5', withOptions([], 4)],
    ['data offset beyond the segment', withOptions([], 6)],
    ['zero option length', withOptions([99, 0, 0, 0])],
    ['option length 1', withOptions([99, 1, 0, 0])],
    ['option length overflowing the header', withOptions([99, 8, 0, 0])],
    ['kind without a length byte', withOptions([1, 1, 1, 2])],
    ['MSS of length 3', withOptions([2, 3, 5, 0])],
    ['MSS of length 6', withOptions([2, 6, 5, 0, 0, 0, 0, 0])],
    ['window scale of length 4', withOptions([3, 4, 7, 0])],
    ['SACK-permitted of length 3', withOptions([4, 3, 0, 0])],
    ['timestamps of length 8', withOptions([8, 8, 0, 0, 0, 0, 0, 0])],
    ['SACK with 6 bytes', withOptions([5, 8, 0, 0, 0, 0, 0, 0])],
    ['SACK with no block', withOptions([5, 2, 0, 0])],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      expect(parseTcpSegment(bytes, A, B)).toBe('tcpMalformed');
    });
  }

  it('NOP padding and EOL followed by garbage are fine', () => {
    expect((parseTcpSegment(withOptions([1, 1, 1, 0, 99, 0, 0, 0]), A, B) as TcpRepr).options).toEqual({});
  });

  it('random bytes never throw', () => {
    let state = 12345;
    for (let i = 0; i < 2000; i++) {
      const length = 20 + (i % 48);
      const bytes = new Uint8Array(length);
      for (let j = 0; j < length; j++) bytes[j] = (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
      bytes[12] = (Math.min(15, 5 + (i % 11)) << 4) | (bytes[12]! & 0x0f);
      const checksum = finishChecksum(sumBytes(bytes.fill(0, 16, 18), 0, length, pseudoHeaderSum(A, B, 6, length)));
      bytes[16] = checksum >> 8;
      bytes[17] = checksum & 0xff;
      const result = parseTcpSegment(bytes, A, B);
      // Either a parsed segment whose payload starts after the header, or a malformed drop.
      if (typeof result === 'string') expect(result).toBe('tcpMalformed');
      else expect(result.payload.length).toBe(length - new TcpHeader(bytes).headerLength);
    }
  });
});
