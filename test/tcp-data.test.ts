import { describe, expect, it } from 'vitest';
import { ACK, bytes, established, FIN, fromPeer, fromUs, IRS, ISS, LOCAL, PSH, REMOTE, synSent, testConfig, WINDOW } from './tcp-fixtures.js';

const text = (s: string) => bytes(s);

describe('receiving data', () => {
  it('in-order data is acknowledged, readable, and shrinks the window until read', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK | PSH, payload: text('hello') }))).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 6, flags: ACK, window: WINDOW - 5 }),
    ]);
    expect(harness.takeEventNames()).toEqual(['readable']);
    expect(harness.readAll()).toBe('hello');
    expect(harness.drain()).toEqual([]); // 5 bytes reopened: below the SWS threshold, no update
  });

  it('out-of-order segments are kept and delivered when the hole fills', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 6, ack: ISS + 1, flags: ACK, payload: text('world') }))).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK }),
    ]);
    expect(harness.send(fromPeer({ seq: IRS + 14, ack: ISS + 1, flags: ACK | FIN, payload: text('!!') }))).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK }),
    ]);
    expect(harness.conn.tcb.receiveBuffer.intervals()).toEqual([[5, 10], [13, 15]]);
    expect(harness.conn.readableLength).toBe(0);
    harness.send(fromPeer({ seq: IRS + 11, ack: ISS + 1, flags: ACK, payload: text('???') }));
    // Fill the first hole: 'hello' joins 'world' and the '???' piece; the '!!'+FIN waits on nothing.
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: text('hello') }))).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 17, flags: ACK, window: WINDOW - 15 }),
    ]);
    expect(harness.readAll()).toBe('helloworld???!!');
    expect(harness.conn.state).toBe('CLOSE-WAIT');
    expect(harness.conn.peerFinished).toBe(true);
  });

  it('overlapping retransmissions are trimmed to the new bytes', () => {
    const harness = established();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: text('abc') }));
    harness.send(fromPeer({ seq: IRS + 2, ack: ISS + 1, flags: ACK, payload: text('bcdef') }));
    expect(harness.readAll()).toBe('abcdef');
    expect(harness.conn.tcb.rcvNxt).toBe(IRS + 7);
  });

  it('a reader that stops reading closes the window; reading reopens it with a window update (§3.8.6.2.2)', () => {
    const harness = established();
    const full = new Uint8Array(WINDOW).fill(1);
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: full }))).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 1 + WINDOW, flags: ACK, window: 0 }),
    ]);
    // More data is refused while the window is closed.
    harness.send(fromPeer({ seq: IRS + 1 + WINDOW, ack: ISS + 1, flags: ACK, payload: text('x') }));
    expect(harness.conn.readableLength).toBe(WINDOW);
    // Reading 1000 bytes (< MSS) is not worth an update: receiver SWS avoidance.
    harness.conn.read(1000, harness.now);
    expect(harness.drain()).toEqual([]);
    // Reading past one MSS is.
    harness.conn.read(1000, harness.now);
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1 + WINDOW, flags: ACK, window: 2000 })]);
  });
});

describe('sending data', () => {
  it('write() is bounded by the send buffer and reports writable when ACKs free space', () => {
    const harness = established(testConfig({ sendBufferSize: 4000 }));
    expect(harness.write(new Uint8Array(5000))).toBe(4000);
    const out = harness.drain();
    expect(out.map((s) => [s.seq, s.payload.length, s.flags])).toEqual([
      [ISS + 1, 1460, ACK],
      [ISS + 1461, 1460, ACK],
      [ISS + 2921, 1080, ACK | PSH],
    ]);
    harness.takeEventNames();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1461, flags: ACK }));
    expect(harness.takeEventNames()).toEqual(['writable']);
    expect(harness.conn.writableSpace).toBe(1460);
  });

  it('respects the peer window and sends more as it opens', () => {
    const harness = established();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 1000 }));
    harness.write(new Uint8Array(3000));
    expect(harness.drain().map((s) => s.payload.length)).toEqual([1000]);
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1001, flags: ACK, window: 3000 })).map((s) => s.payload.length)).toEqual([1460, 540]);
  });

  it('zero window: persist probes of one byte with exponential backoff until the window opens (§3.8.6.1)', () => {
    const harness = established();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 0 }));
    harness.write('abc');
    expect(harness.drain()).toEqual([]);
    const probe = fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK, payload: text('a') });
    // RTO is 200 ms after the 0 ms handshake sample: probes at 200, +400, +800, +1600.
    expect(harness.advanceTo(3000)).toEqual([[200, probe], [600, probe], [1400, probe], [3000, probe]]);
    expect(harness.conn.state).toBe('ESTABLISHED');
    // The window opens: everything goes.
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 100 }))).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK | PSH, payload: text('abc') }),
    ]);
    expect(harness.conn.pollAt()).toBe(3200); // the retransmission timer, not the persist timer
  });

  it('a probe the peer accepts advances SND.UNA', () => {
    const harness = established();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 0 }));
    harness.write('abc');
    harness.advanceTo(200);
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK, window: 10 }))).toEqual([
      fromUs({ seq: ISS + 2, ack: IRS + 1, flags: ACK | PSH, payload: text('bc') }),
    ]);
  });
});

describe('retransmission (RFC 6298)', () => {
  it('retransmits from SND.UNA with a doubling RTO and gives up with ETIMEDOUT after dataRetries', () => {
    const harness = established(testConfig({ dataRetries: 4 }));
    harness.write('data');
    const first = harness.drain();
    expect(first).toHaveLength(1);
    const sent = harness.advanceTo(100_000);
    expect(sent.map(([t]) => t)).toEqual([200, 600, 1400, 3000]);
    for (const [, segment] of sent) expect(segment).toEqual(first[0]);
    expect(harness.takeEventNames()).toEqual(['error:ETIMEDOUT', 'state:ESTABLISHED>CLOSED', 'closed']);
    expect(harness.conn.pollAt()).toBe(Infinity);
  });

  it('the RTO is capped by maxRto', () => {
    const harness = established(testConfig({ dataRetries: 6, maxRto: 1000 }));
    harness.write('x');
    harness.drain();
    expect(harness.advanceTo(10_000).map(([t]) => t)).toEqual([200, 600, 1400, 2400, 3400, 4400]);
  });

  it('samples RTT from segments sent once, never from retransmissions (Karn)', () => {
    const harness = established();
    const rto = harness.conn.tcb.rto;
    harness.now = 1000;
    harness.write('a');
    harness.drain();
    harness.now = 1100;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK }));
    // Second sample: RTTVAR = 3/4·0 + 1/4·100, SRTT = 7/8·0 + 1/8·100 → RTO = 12.5 + 100.
    expect(rto.srtt).toBeCloseTo(12.5);
    expect(rto.rto).toBe(200); // clamped to minRto
    harness.write('b');
    harness.drain();
    const retransmits = harness.advanceTo(harness.now + 200);
    expect(retransmits).toHaveLength(1);
    expect(rto.rto).toBe(400);
    harness.now += 50;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 3, flags: ACK }));
    expect(rto.srtt).toBeCloseTo(12.5); // no sample from the retransmitted segment
    expect(rto.rto).toBe(400); // the backed-off RTO stays until a valid sample
    harness.write('c');
    harness.drain();
    harness.now += 300;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 4, flags: ACK }));
    expect(rto.srtt).toBeCloseTo(0.875 * 12.5 + 0.125 * 300);
    expect(rto.rto).toBeCloseTo(rto.srtt! + 4 * rto.rttvar);
  });

  it('an ACK of new data restarts the timer; all acknowledged stops it (§5.2, §5.3)', () => {
    const harness = established();
    harness.write(new Uint8Array(3000));
    harness.drain();
    expect(harness.conn.pollAt()).toBe(200);
    harness.now = 150;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1461, flags: ACK }));
    expect(harness.conn.pollAt()).toBe(150 + harness.conn.tcb.rto.rto);
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 3001, flags: ACK }));
    expect(harness.conn.pollAt()).toBe(Infinity);
  });

  it('a timeout goes back to SND.UNA and the congestion window collapses to one segment', () => {
    const harness = established(testConfig({ congestionControl: 'reno', sendBufferSize: 65536 }));
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 65535 }));
    harness.write(new Uint8Array(20_000));
    expect(harness.drain()).toHaveLength(10); // RFC 6928: an initial window of 10 segments
    const resent = harness.advanceTo(200);
    expect(resent.map(([, s]) => [s.seq, s.payload.length])).toEqual([[ISS + 1, 1460]]);
    // The ACK of that one segment lets two more out (slow start).
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1461, flags: ACK, window: 65535 })).map((s) => s.seq)).toEqual([ISS + 1461, ISS + 2921]);
  });
});

describe('ICMP errors (RFC 1122 §4.2.3.9, RFC 5927, RFC 1191)', () => {
  const report = (kind: 'fragmentationNeeded' | 'portUnreachable', seq: number, mtu = 0) => {
    const quoted = new Uint8Array(8);
    new DataView(quoted.buffer).setUint32(4, seq);
    return { family: 4 as const, kind, type: 3, code: kind === 'portUnreachable' ? 3 : 4, mtu, originalSrc: LOCAL, originalDst: REMOTE, originalProtocol: 6, originalPayload: quoted, reporter: REMOTE };
  };

  it('fragmentation needed lowers the MSS and resends from SND.UNA at once', () => {
    const harness = established();
    harness.write(new Uint8Array(2000));
    harness.drain();
    harness.conn.onIcmpError(report('fragmentationNeeded', ISS + 1, 1000), harness.now);
    expect(harness.drain().map((s) => [s.seq, s.payload.length])).toEqual([[ISS + 1, 960], [ISS + 961, 960], [ISS + 1921, 80]]);
  });

  it('an error quoting a sequence number outside SND.UNA..SND.MAX is ignored (RFC 5927 §4.1)', () => {
    const harness = synSent();
    harness.conn.onIcmpError(report('portUnreachable', ISS + 500), 0);
    expect(harness.conn.state).toBe('SYN-SENT');
    harness.conn.onIcmpError(report('portUnreachable', ISS), 0);
    expect(harness.takeEventNames()).toContain('error:ECONNREFUSED');
  });
});
