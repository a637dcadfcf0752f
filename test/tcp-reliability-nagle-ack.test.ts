/** Nagle (RFC 9293 §3.7.4), setNoDelay, and delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2), in packets. */
import { describe, expect, it } from 'vitest';
import { ACK, bytes, established, fromPeer, fromUs, IRS, ISS, PSH, testConfig, WINDOW } from './tcp-fixtures.js';

describe('Nagle (RFC 9293 §3.7.4)', () => {
  it('coalesces small writes while a small segment is unacknowledged', () => {
    const harness = established();
    harness.write('a');
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK | PSH, payload: bytes('a') })]);
    harness.write('b');
    harness.write('c');
    expect(harness.drain()).toEqual([]); // held: 'a' is still in flight
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK }))).toEqual([
      fromUs({ seq: ISS + 2, ack: IRS + 1, flags: ACK | PSH, payload: bytes('bc') }),
    ]);
  });

  it('setNoDelay(true) sends each small write at once; turning it off again holds them', () => {
    const harness = established();
    harness.conn.setNoDelay(true);
    for (const text of ['a', 'b', 'c']) harness.write(text);
    expect(harness.drain().map((s) => [s.seq, new TextDecoder().decode(s.payload)])).toEqual([
      [ISS + 1, 'a'],
      [ISS + 2, 'b'],
      [ISS + 3, 'c'],
    ]);
    harness.conn.setNoDelay(false);
    harness.write('d');
    expect(harness.drain()).toEqual([]);
    harness.conn.setNoDelay(true, harness.now); // flushes what Nagle held
    expect(harness.drain().map((s) => s.payload.length)).toEqual([1]);
  });

  it('the noDelay config option turns Nagle off for the connection', () => {
    const harness = established(testConfig({ noDelay: true }));
    harness.write('a');
    harness.write('b');
    expect(harness.drain()).toHaveLength(2);
  });

  it('full-sized segments are never held; the short tail waits for the short segment before it', () => {
    const harness = established(testConfig({ sendBufferSize: 16384 }));
    harness.write('x'); // a short segment in flight
    harness.drain();
    harness.write(new Uint8Array(3000));
    expect(harness.drain().map((s) => s.payload.length)).toEqual([1460, 1460]); // the 80-byte tail waits
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK })).map((s) => s.payload.length)).toEqual([80]);
  });

  it('a FIN flushes what Nagle holds', () => {
    const harness = established();
    harness.write('a');
    harness.write('b');
    harness.drain();
    harness.conn.shutdown(harness.now);
    expect(harness.drain().map((s) => [s.seq, s.payload.length, s.flags])).toEqual([[ISS + 2, 1, ACK | PSH | 1]]);
  });
});

describe('delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2)', () => {
  const delayed = () => established(testConfig({ quickAcks: 0, delayedAckTimeout: 40, receiveBufferSize: 65535 }));
  const data = (offset: number, length: number) => fromPeer({ seq: IRS + 1 + offset, ack: ISS + 1, flags: ACK, payload: new Uint8Array(length) });

  it('one small segment is acknowledged when the 40 ms timer fires, not before', () => {
    const harness = delayed();
    harness.now = 1000;
    expect(harness.send(data(0, 100))).toEqual([]);
    expect(harness.conn.pollAt()).toBe(1040);
    expect(harness.advance(39)).toEqual([]);
    expect(harness.advance(1)).toEqual([[1040, fromUs({ seq: ISS + 1, ack: IRS + 101, flags: ACK, window: 65535 - 100 })]]);
  });

  it('the second full-sized segment is acknowledged at once', () => {
    const harness = delayed();
    expect(harness.send(data(0, 1460))).toEqual([]);
    expect(harness.send(data(1460, 1460))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 2921, flags: ACK, window: 65535 - 2920 })]);
    expect(harness.conn.pollAt()).toBe(Infinity); // the ACK settled the timer
  });

  it('out-of-order data and data that fills the hole are acknowledged at once', () => {
    const harness = delayed();
    expect(harness.send(data(1460, 100))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK, window: 65535 })]);
    expect(harness.send(data(0, 1460))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1561, flags: ACK, window: 65535 - 1560 })]);
  });

  it('a duplicate segment is acknowledged at once', () => {
    const harness = delayed();
    harness.send(data(0, 100));
    harness.advance(40);
    expect(harness.send(data(0, 100))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 101, flags: ACK, window: 65535 - 100 })]);
  });

  it('quick-ack: the first segments of a connection are acknowledged at once', () => {
    const harness = established(testConfig({ quickAcks: 2 }));
    expect(harness.send(data(0, 10))).toHaveLength(1);
    expect(harness.send(data(10, 10))).toHaveLength(1);
    expect(harness.send(data(20, 10))).toEqual([]); // now delayed
    expect(harness.advance(40)).toEqual([[40, fromUs({ seq: ISS + 1, ack: IRS + 31, flags: ACK, window: WINDOW - 30 })]]);
  });

  it('data of ours carries the owed ACK, so no separate ACK follows', () => {
    const harness = delayed();
    harness.send(data(0, 100));
    harness.write('reply');
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 101, flags: ACK | PSH, window: 65535 - 100, payload: bytes('reply') })]);
    expect(harness.conn.pollAt()).toBe(harness.conn.tcb.retransmitAt); // no delayed ACK pending
  });

  it('delayedAckTimeout 0 acknowledges every segment at once', () => {
    const harness = established(testConfig({ quickAcks: 0, delayedAckTimeout: 0 }));
    expect(harness.send(data(0, 10))).toHaveLength(1);
  });
});
