/**
 * The per-packet fast paths keep their meaning: the 32-bit-word checksum equals the plain
 * 16-bit big-endian sum, and the receive buffer's block storage keeps read()'s chunks while
 * readContiguous() joins neighbours; a batch of segments is acknowledged once.
 */
import { describe, expect, it } from 'vitest';
import { foldSum, sumBytes } from '../src/ip/checksum.js';
import { allocatePacket, allocateWithHeadroom } from '../src/ip/packet-memory.js';
import { ReceiveBuffer } from '../src/tcp/receive-buffer.js';
import { Random } from '../src/random.js';
import { ManualClock } from '../src/clock.js';
import { IpAddress } from '../src/ip/address.js';
import { parseIpv4 } from '../src/ip/ipv4.js';
import { IP_PROTOCOL } from '../src/ip/types.js';
import { MemoryLink } from '../src/link/memory.js';
import { Stack } from '../src/stack.js';
import { NO_OPTIONS } from '../src/tcp/options.js';
import { emitTcpSegment, parseTcpSegment, TcpFlags, type TcpRepr } from '../src/tcp/segment.js';
import { TcpLayer, listenAddressOf } from '../src/tcp/tcp-layer.js';
import { ipv4 } from './ip-fixtures.js';

/** RFC 1071 by the book: 16-bit big-endian words, an odd last byte padded with zero. */
function referenceSum(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += (bytes[i]! << 8) | (i + 1 < end ? bytes[i + 1]! : 0);
  return foldSum(sum);
}

describe('checksum over 32-bit words', () => {
  it('equals the 16-bit big-endian sum at every alignment and length', () => {
    const random = new Random(5);
    const bytes = random.bytes(4096);
    for (const length of [0, 1, 2, 3, 20, 127, 128, 129, 130, 1460, 1461, 1500, 4000]) {
      for (let start = 0; start < 8; start++) {
        expect(foldSum(sumBytes(bytes, start, start + length)), `length ${length} at ${start}`).toBe(referenceSum(bytes, start, start + length));
      }
    }
  });

  it('adds the initial sum and works on views into a larger buffer', () => {
    const outer = new Random(9).bytes(3000);
    const view = outer.subarray(6, 2006);
    expect(foldSum(sumBytes(view, 0, view.length, 0x1234))).toBe(foldSum(referenceSum(outer, 6, 2006) + 0x1234));
  });

  it('all ones sums to 0xffff (folded), as a verifying packet does', () => {
    const bytes = new Uint8Array(1024).fill(0xff);
    expect(foldSum(sumBytes(bytes))).toBe(0xffff);
  });
});

describe('packet memory', () => {
  it('hands out zeroed, disjoint bytes, 8-byte aligned, with header room in front', () => {
    const a = allocatePacket(100);
    a.fill(7);
    const b = allocateWithHeadroom(20, 60);
    expect(b.byteOffset % 4).toBe(0);
    expect(Array.from(new Uint8Array(b.buffer, b.byteOffset - 20, 80)).every((x) => x === 0)).toBe(true);
    expect(a.byteOffset % 8).toBe(0);
    expect(Array.from(a).every((x) => x === 7)).toBe(true);
  });
});

describe('receive buffer blocks', () => {
  it('read() returns one segment at a time; readContiguous() joins adjacent ones up to maxBytes', () => {
    const buffer = new ReceiveBuffer(10_000);
    buffer.write(0, Uint8Array.of(1, 2));
    buffer.write(0, Uint8Array.of(3));
    buffer.write(0, Uint8Array.of(4, 5, 6));
    expect(Array.from(buffer.read(10)!)).toEqual([1, 2]);
    expect(Array.from(buffer.readContiguous(3)!)).toEqual([3, 4, 5]);
    expect(Array.from(buffer.readContiguous()!)).toEqual([6]);
    expect(buffer.readContiguous()).toBeUndefined();
    expect(buffer.unread).toBe(0);
  });

  it('data delivered from out-of-order storage and later segments all come out, in order', () => {
    const buffer = new ReceiveBuffer(10_000);
    buffer.write(2, Uint8Array.of(3, 4));
    expect(buffer.write(0, Uint8Array.of(1, 2))).toBe(4);
    buffer.write(0, Uint8Array.of(5));
    const out: number[] = [];
    for (let chunk = buffer.readContiguous(); chunk !== undefined; chunk = buffer.readContiguous()) out.push(...chunk);
    expect(out).toEqual([1, 2, 3, 4, 5]);
  });

  it('a chunk handed out is never overwritten by later data', () => {
    const buffer = new ReceiveBuffer(200_000);
    buffer.write(0, new Uint8Array(1000).fill(1));
    const first = buffer.readContiguous()!;
    for (let i = 0; i < 100; i++) buffer.write(0, new Uint8Array(1000).fill(2));
    expect(first.every((x) => x === 1)).toBe(true);
    let total = 0;
    for (let chunk = buffer.readContiguous(); chunk !== undefined; chunk = buffer.readContiguous()) {
      expect(chunk.every((x) => x === 2)).toBe(true);
      total += chunk.length;
    }
    expect(total).toBe(100_000);
  });
});

describe('one cumulative ACK per inbound batch', () => {
  const PEER = IpAddress.parse('10.9.0.1');
  const US = IpAddress.parse('10.9.0.2');
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  async function established() {
    const stack = new Stack({ clock: new ManualClock(1000) });
    const [ours, theirs] = MemoryLink.pair({ mtu: 1500 });
    stack.addInterface(ours, { addresses: ['10.9.0.2/24'] });
    const received: TcpRepr[] = [];
    theirs.setReceiver((batch) => {
      for (const packet of batch) {
        const ip = parseIpv4(packet);
        if (typeof ip === 'string' || ip.protocol !== IP_PROTOCOL.TCP) continue;
        const segment = parseTcpSegment(ip.payload.slice(), ip.src, ip.dst);
        if (typeof segment !== 'string') received.push(segment);
      }
    });
    const packet = (fields: Partial<TcpRepr> & { flags: number }): Uint8Array => {
      const repr: TcpRepr = { srcPort: 40000, dstPort: 80, seq: 0, ack: 0, window: 65535, urgent: 0, options: NO_OPTIONS, payload: new Uint8Array(0), ...fields };
      return ipv4({ src: PEER.toString(), dst: US.toString(), protocol: IP_PROTOCOL.TCP, payload: emitTcpSegment(repr, PEER, US), id: 1, df: true });
    };
    TcpLayer.of(stack).listen(listenAddressOf(undefined), 80, { onAcceptable() {} });
    theirs.send([packet({ seq: 1000, flags: TcpFlags.SYN })]);
    await turn();
    const synAck = received.splice(0)[0]!;
    const ack = (synAck.seq + 1) >>> 0;
    theirs.send([packet({ seq: 1001, ack, flags: TcpFlags.ACK })]);
    await turn();
    const data = (offset: number) => packet({ seq: 1001 + offset * 100, ack, flags: TcpFlags.ACK, payload: new Uint8Array(100).fill(offset) });
    return { stack, theirs, received, data };
  }

  it('a batch of in-order segments gets one ACK for all of them; separate batches one each', async () => {
    const { stack, theirs, received, data } = await established();
    theirs.send([0, 1, 2, 3, 4, 5].map(data));
    await turn();
    expect(received.splice(0).map((s) => [s.ack, s.payload.length, s.flags])).toEqual([[1001 + 600, 0, TcpFlags.ACK]]);
    expect(stack.counters.get('tcp.acksCoalesced')).toBe(5);
    theirs.send([data(6)]);
    await turn();
    theirs.send([data(7)]);
    await turn();
    expect(received.splice(0).map((s) => s.ack)).toEqual([1001 + 700, 1001 + 800]); // quick-ack mode: every segment
    stack.close();
  });

  it('duplicate ACKs in a batch are all sent, after the held cumulative ACK', async () => {
    const { stack, theirs, received, data } = await established();
    theirs.send([data(0), data(2), data(3)]);
    await turn();
    expect(received.splice(0).map((s) => s.ack)).toEqual([1101, 1101, 1101]);
    stack.close();
  });
});
