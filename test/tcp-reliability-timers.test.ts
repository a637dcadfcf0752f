/**
 * Timestamps (RFC 7323 §4 RTT, §5 PAWS), SACK blocks we generate (RFC 2018, RFC 2883),
 * keepalive (RFC 1122 §4.2.3.6) and the user timeout (RFC 5482 semantics), in packets.
 */
import { describe, expect, it } from 'vitest';
import type { TcpConfig } from '../src/tcp/config.js';
import { TcpConnection } from '../src/tcp/connection.js';
import { ACK, established, fromPeer, fromUs, Harness, IRS, ISS, params, RST, SYN, testConfig, WINDOW } from './tcp-fixtures.js';

/** ESTABLISHED with timestamps (and SACK when asked) negotiated; the peer's clock starts at 1000. */
function withOptions(overrides: Partial<TcpConfig> = {}, sack = false): Harness {
  const config = testConfig({ timestamps: true, sack, ...overrides });
  const syn = fromPeer({ seq: IRS, flags: SYN, options: { mss: 1460, timestamp: { value: 1000, echo: 0 }, ...(sack ? { sackPermitted: true } : {}) } });
  const harness = new Harness(TcpConnection.acceptSyn(syn, params(config)));
  harness.drain();
  harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, options: { timestamp: { value: 1001, echo: harness.conn.tcb.tsValue(0) } } }));
  harness.takeEventNames();
  return harness;
}

describe('timestamps (RFC 7323)', () => {
  it('every ACK of new data gives an RTT sample from TSecr, even for a retransmitted segment (§4.1)', () => {
    const harness = withOptions();
    const tcb = harness.conn.tcb;
    harness.now = 1000;
    harness.write('a');
    harness.drain();
    harness.advanceTo(1200); // the RTO fires: 'a' is resent at 1200
    const sentAt = tcb.tsValue(1200);
    harness.now = 1230;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK, options: { timestamp: { value: 1002, echo: sentAt } } }));
    // The handshake's sample was 0 ms; this one is 30 ms: SRTT = 7/8·0 + 1/8·30.
    expect(tcb.rto.srtt).toBeCloseTo(30 / 8);
  });

  it('an ACK echoing a TSval from before a timeout gives no RTT sample (RFC 6298 §5.7; §5.3 R2 precedes R3)', () => {
    const harness = withOptions();
    const tcb = harness.conn.tcb;
    harness.now = 1000;
    harness.write('a');
    harness.drain();
    const firstSentAt = tcb.tsValue(1000);
    harness.advanceTo(1200); // the RTO fires: 'a' is resent; the peer rejects the duplicate and echoes the first TSval
    const rtoAfterTimeout = tcb.rto.rto;
    harness.now = 1230;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK, options: { timestamp: { value: 1002, echo: firstSentAt } } }));
    expect(tcb.sndUna).toBe(ISS + 2);
    expect(tcb.rto.srtt).toBe(0); // only the handshake's sample: the 230 ms "sample" was refused
    expect(tcb.rto.rto).toBe(rtoAfterTimeout); // the backoff stays until a valid sample (§5.7)
  });

  it('PAWS drops an old duplicate (TSval < TS.Recent) and answers with an ACK (§5.3 R1)', () => {
    const harness = withOptions();
    const ts = (value: number) => ({ timestamp: { value, echo: 0 } });
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, options: ts(2000), payload: new Uint8Array(10) }));
    expect(harness.conn.tcb.tsRecent).toBe(2000);
    harness.readAll();
    // An old duplicate from a previous incarnation, with a sequence number in the window.
    const reply = harness.send(fromPeer({ seq: IRS + 11, ack: ISS + 1, flags: ACK, options: ts(1500), payload: new Uint8Array(10) }));
    expect(reply).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 11, flags: ACK, window: WINDOW - 10, options: { timestamp: { value: harness.conn.tcb.tsValue(harness.now), echo: 2000 } } })]);
    expect(harness.conn.readableLength).toBe(0);
    expect(harness.conn.tcb.rcvNxt).toBe(IRS + 11);
  });

  it('after 24 idle days TS.Recent is forgotten and an older TSval is accepted (§5.5)', () => {
    const harness = withOptions();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, options: { timestamp: { value: 2000, echo: 0 } }, payload: new Uint8Array(10) }));
    harness.now += 24 * 24 * 3600 * 1000 + 1;
    harness.send(fromPeer({ seq: IRS + 11, ack: ISS + 1, flags: ACK, options: { timestamp: { value: 5, echo: 0 } }, payload: new Uint8Array(10) }));
    expect(harness.conn.tcb.rcvNxt).toBe(IRS + 21);
    expect(harness.conn.tcb.tsRecent).toBe(5);
  });
});

describe('SACK blocks we send (RFC 2018 §4, RFC 2883)', () => {
  const data = (offset: number, length: number) => fromPeer({ seq: IRS + 1 + offset, ack: ISS + 1, flags: ACK, payload: new Uint8Array(length) });

  it('reports out-of-order data, the newest block first, and drops blocks RCV.NXT passes', () => {
    const harness = established(testConfig({ sack: true }));
    const tcb = harness.conn.tcb;
    tcb.sackPermitted = true; // the fixture's SYN did not offer it; the receiver side needs only the flag
    expect(harness.send(data(100, 10))[0]!.options.sackBlocks).toEqual([{ left: IRS + 101, right: IRS + 111 }]);
    expect(harness.send(data(200, 10))[0]!.options.sackBlocks).toEqual([
      { left: IRS + 201, right: IRS + 211 },
      { left: IRS + 101, right: IRS + 111 },
    ]);
    expect(harness.send(data(110, 10))[0]!.options.sackBlocks).toEqual([
      { left: IRS + 101, right: IRS + 121 },
      { left: IRS + 201, right: IRS + 211 },
    ]);
    // The hole before 101 fills: only the block beyond the next hole remains.
    expect(harness.send(data(0, 100))[0]!.options.sackBlocks).toEqual([{ left: IRS + 201, right: IRS + 211 }]);
  });

  it('at most three blocks beside a timestamp', () => {
    const harness = withOptions({ receiveBufferSize: 65535 }, true);
    const seg = (offset: number) => fromPeer({ seq: IRS + 1 + offset, ack: ISS + 1, flags: ACK, payload: new Uint8Array(10), options: { timestamp: { value: 1002, echo: 0 } } });
    let last: ReturnType<Harness['send']> = [];
    for (const offset of [100, 200, 300, 400]) last = harness.send(seg(offset));
    expect(last[0]!.options.sackBlocks?.map((b) => b.left - IRS - 1)).toEqual([400, 300, 200]);
  });

  it('a duplicate segment is reported once in a D-SACK block (RFC 2883 §4)', () => {
    const harness = established(testConfig({ sack: true }));
    harness.conn.tcb.sackPermitted = true;
    harness.send(data(0, 10));
    expect(harness.send(data(0, 10))[0]!.options.sackBlocks).toEqual([{ left: IRS + 1, right: IRS + 11 }]);
    harness.send(data(100, 10));
    expect(harness.send(data(100, 10))[0]!.options.sackBlocks).toEqual([{ left: IRS + 101, right: IRS + 111 }]);
  });
});

describe('keepalive (RFC 1122 §4.2.3.6)', () => {
  const config = testConfig({ keepAlive: true, keepAliveIdle: 1000, keepAliveInterval: 100, keepAliveCount: 3 });
  const probe = fromUs({ seq: ISS, ack: IRS + 1, flags: ACK });

  it('probes after the idle time, every interval, then RST and ETIMEDOUT after count probes', () => {
    const harness = established(config);
    expect(harness.advanceTo(10_000)).toEqual([
      [1000, probe],
      [1100, probe],
      [1200, probe],
      [1300, fromUs({ seq: ISS + 1, flags: RST, window: 0 })],
    ]);
    expect(harness.takeEventNames()).toEqual(['error:ETIMEDOUT', 'state:ESTABLISHED>CLOSED', 'closed']);
  });

  it('an answer to a probe restarts the idle count', () => {
    const harness = established(config);
    harness.advanceTo(1100);
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK }));
    expect(harness.advanceTo(2200).map(([t]) => t)).toEqual([2100, 2200]);
    expect(harness.conn.state).toBe('ESTABLISHED');
  });

  it('setKeepAlive(true, delay) turns it on with its own idle time; setKeepAlive(false) off', () => {
    const harness = established();
    expect(harness.conn.pollAt()).toBe(Infinity);
    harness.conn.setKeepAlive(true, 500, harness.now);
    expect(harness.advanceTo(500)).toEqual([[500, fromUs({ seq: ISS, ack: IRS + 1, flags: ACK, window: WINDOW })]]);
    harness.conn.setKeepAlive(false);
    expect(harness.conn.pollAt()).toBe(Infinity);
  });
});

describe('user timeout (RFC 5482 semantics)', () => {
  it('data unacknowledged for userTimeout ms aborts the connection with ETIMEDOUT', () => {
    const harness = established(testConfig({ userTimeout: 1000 }));
    harness.write('x');
    harness.drain();
    expect(harness.advanceTo(5000).map(([t]) => t)).toEqual([200, 600]); // retransmissions, then the verdict at 1000
    expect(harness.takeEventNames()).toEqual(['error:ETIMEDOUT', 'state:ESTABLISHED>CLOSED', 'closed']);
    expect(harness.now).toBe(5000);
  });

  it('progress restarts the count; setUserTimeout changes it per connection', () => {
    const harness = established();
    harness.conn.setUserTimeout(300);
    harness.write('x');
    harness.drain();
    harness.now = 250;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK }));
    expect(harness.conn.pollAt()).toBe(Infinity);
    expect(() => harness.conn.setUserTimeout(-1)).toThrow(/user timeout/);
  });
});
