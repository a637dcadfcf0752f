import { describe, expect, it } from 'vitest';
import { IpAddress } from '../src/ip/address.js';
import { IsnGenerator } from '../src/tcp/isn.js';
import { ReceiveBuffer } from '../src/tcp/receive-buffer.js';
import { RtoEstimator } from '../src/tcp/rto.js';
import { SendBuffer } from '../src/tcp/send-buffer.js';
import { inWindow, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin } from '../src/tcp/seq.js';

describe('sequence arithmetic (RFC 9293 §3.4)', () => {
  it('compares across the 2^32 wrap', () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqLe(5, 5) && seqGe(5, 5)).toBe(true);
    expect(seqLt(5, 5) || seqGt(5, 5)).toBe(false);
    expect(seqLt(1, 2)).toBe(true);
    expect(seqLt(2, 1)).toBe(false);
    expect(seqMax(0xffffffff, 3)).toBe(3);
    expect(seqMin(0xffffffff, 3)).toBe(0xffffffff);
  });

  it('adds and subtracts modulo 2^32', () => {
    expect(seqAdd(0xffffffff, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(0xffffffff);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqDiff(0xfffffff0, 0x10)).toBe(-0x20);
  });

  it('inWindow is half-open and wraps', () => {
    expect(inWindow(0xfffffffe, 0xfffffffe, 4)).toBe(true);
    expect(inWindow(1, 0xfffffffe, 4)).toBe(true);
    expect(inWindow(2, 0xfffffffe, 4)).toBe(false);
    expect(inWindow(0xfffffffd, 0xfffffffe, 4)).toBe(false);
    expect(inWindow(7, 7, 0)).toBe(false);
  });
});

describe('ISN (RFC 6528)', () => {
  const a = IpAddress.v4(10, 0, 0, 1);
  const b = IpAddress.v4(10, 0, 0, 2);
  const secret = new Uint8Array(32).fill(7);

  it('advances with a 4 µs clock for the same 4-tuple', () => {
    const isn = new IsnGenerator(secret);
    expect(seqDiff(isn.isn(a, 1, b, 2, 1000), isn.isn(a, 1, b, 2, 0))).toBe(250_000);
  });

  it('differs by 4-tuple and by secret', () => {
    const isn = new IsnGenerator(secret);
    const base = isn.isn(a, 1, b, 2, 0);
    expect(isn.isn(a, 1, b, 3, 0)).not.toBe(base);
    expect(isn.isn(b, 1, a, 2, 0)).not.toBe(base);
    expect(new IsnGenerator(new Uint8Array(32).fill(8)).isn(a, 1, b, 2, 0)).not.toBe(base);
    expect(() => new IsnGenerator(new Uint8Array(4))).toThrow(/16 bytes/);
  });
});

describe('RTO estimator (RFC 6298)', () => {
  const options = { initialRto: 1000, minRto: 200, maxRto: 60_000 };
  it('first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR', () => {
    const rto = new RtoEstimator(options);
    expect(rto.rto).toBe(1000);
    rto.sample(100);
    expect([rto.srtt, rto.rttvar, rto.rto]).toEqual([100, 50, 300]);
    rto.sample(200);
    expect(rto.rttvar).toBeCloseTo(0.75 * 50 + 0.25 * 100);
    expect(rto.srtt).toBeCloseTo(0.875 * 100 + 0.125 * 200);
  });
  it('backs off by doubling up to maxRto; a sample resets the backoff', () => {
    const rto = new RtoEstimator(options);
    for (let i = 0; i < 10; i++) rto.backoff();
    expect(rto.rto).toBe(60_000);
    rto.sample(10);
    expect(rto.rto).toBe(200);
  });
});

describe('send buffer', () => {
  it('is bounded, slices across chunks, and drops acknowledged bytes', () => {
    const buffer = new SendBuffer(10);
    expect(buffer.write(Uint8Array.of(1, 2, 3, 4))).toBe(4);
    expect(buffer.write(Uint8Array.of(5, 6, 7, 8, 9, 10, 11, 12))).toBe(6);
    expect(buffer.free).toBe(0);
    expect(Array.from(buffer.slice(2, 5))).toEqual([3, 4, 5, 6, 7]);
    buffer.acknowledge(3);
    expect(Array.from(buffer.slice(0, 100))).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(buffer.length).toBe(7);
  });
});

describe('receive buffer', () => {
  it('keeps out-of-order intervals within capacity and delivers them when the hole fills', () => {
    const buffer = new ReceiveBuffer(8);
    expect(buffer.write(4, Uint8Array.of(5, 6, 7, 8, 9, 10))).toBe(0); // 9, 10 beyond the window
    expect(buffer.intervals()).toEqual([[4, 8]]);
    expect(buffer.write(2, Uint8Array.of(3, 4, 5))).toBe(0); // overlaps: only 3, 4 are new
    expect(buffer.intervals()).toEqual([[2, 4], [4, 8]]);
    expect(buffer.write(0, Uint8Array.of(1, 2))).toBe(8);
    expect(buffer.outOfOrderBytes).toBe(0);
    expect(buffer.window).toBe(0);
    expect(Array.from(buffer.read(3)!)).toEqual([1, 2]);
    expect(Array.from(buffer.read(1)!)).toEqual([3]);
    expect(buffer.window).toBe(3);
  });
});
