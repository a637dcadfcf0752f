/**
 * The congestion-control algorithms on their own (RFC 5681, RFC 3465, RFC 9438) and window
 * validation for application-limited senders (RFC 7661) through a connection.
 */
import { describe, expect, it } from 'vitest';
import { Cubic, NewReno, createCongestionControl } from '../src/tcp/congestion.js';
import { resolveTcpConfig } from '../src/tcp/config.js';
import { TcpConnection } from '../src/tcp/connection.js';
import { ACK, fromPeer, Harness, IRS, ISS, params, SYN, testConfig } from './tcp-fixtures.js';

const MSS = 1000;
const ack = (acked: number, now: number, srtt = 100) => ({ acked, now, srtt, validated: true });

describe('NewReno window arithmetic', () => {
  it('slow start counts bytes, at most 2·SMSS per ACK (RFC 3465 §2.2), 1·SMSS after a timeout (§2.3)', () => {
    const reno = new NewReno(MSS, 10);
    expect(reno.window()).toBe(10 * MSS); // RFC 6928
    reno.onAck(ack(10 * MSS, 0)); // one stretch ACK for ten segments
    expect(reno.window()).toBe(12 * MSS);
    reno.onAck(ack(500, 1));
    expect(reno.window()).toBe(12 * MSS + 500);
    reno.onRetransmitTimeout(20 * MSS, 2);
    expect([reno.window(), reno.slowStartThreshold()]).toEqual([MSS, 10 * MSS]);
    reno.onAck(ack(5 * MSS, 3));
    expect(reno.window()).toBe(2 * MSS);
  });

  it('congestion avoidance adds one SMSS per cwnd of bytes acknowledged (RFC 5681 §3.1)', () => {
    const reno = new NewReno(MSS, 10);
    reno.onLoss(20 * MSS, 0); // ssthresh = cwnd = 10·MSS
    for (let i = 0; i < 9; i++) reno.onAck(ack(MSS, i));
    expect(reno.window()).toBe(10 * MSS);
    reno.onAck(ack(MSS, 10));
    expect(reno.window()).toBe(11 * MSS);
  });

  it('an unvalidated window does not grow (RFC 7661 §4.3)', () => {
    const reno = new NewReno(MSS, 10);
    reno.onAck({ acked: MSS, now: 0, srtt: 100, validated: false });
    expect(reno.window()).toBe(10 * MSS);
  });
});

describe('CUBIC (RFC 9438)', () => {
  it('reduces by β = 0.7 and climbs back to W_max about K seconds later, concave then convex', () => {
    const cubic = new Cubic(MSS, 10);
    for (let i = 0; i < 45; i++) cubic.onAck(ack(2 * MSS, 0)); // slow start to 100 segments
    expect(cubic.window()).toBe(100 * MSS);
    cubic.onLoss(100 * MSS, 0);
    expect(cubic.window()).toBe(70 * MSS);
    const k = Math.cbrt((100 * 0.3) / 0.4); // §4.2 eq. 2: 4.22 s
    const windowAt: number[] = [];
    // One ACK per segment, 100 ms of RTT, window-sized flights.
    let now = 0;
    for (let second = 1; second <= 7; second++) {
      while (now < second * 1000) {
        const flight = cubic.window();
        for (let sent = 0; sent < flight; sent += MSS) cubic.onAck(ack(MSS, now));
        now += 100;
      }
      windowAt.push(cubic.window() / MSS);
    }
    expect(cubic.describe().k).toBeCloseTo(k, 5);
    // Fast growth first, a plateau near W_max = 100 around K, then faster growth again.
    expect(windowAt[0]! - 70).toBeGreaterThan(windowAt[3]! - windowAt[2]!);
    expect(Math.abs(windowAt[3]! - 100)).toBeLessThan(3);
    expect(windowAt[6]! - windowAt[5]!).toBeGreaterThan(windowAt[4]! - windowAt[3]!);
  });

  it('fast convergence lowers W_max when losses come before the last W_max was reached (§4.7)', () => {
    const cubic = new Cubic(MSS, 100);
    cubic.onLoss(0, 0); // W_max = 100
    cubic.onLoss(0, 1); // cwnd 70 < 100: W_max = 70·(1 + 0.7)/2
    expect(cubic.describe().wMax).toBeCloseTo(59.5);
  });

  it('is the default; none has no window', () => {
    expect(resolveTcpConfig().congestionControl).toBe('cubic');
    expect(createCongestionControl('cubic', MSS, 10).name).toBe('cubic');
    expect(createCongestionControl('none', MSS, 10).window()).toBe(Infinity);
    expect(() => resolveTcpConfig({ congestionControl: 'bbr' as never })).toThrow(/congestionControl/);
  });
});

describe('window validation through a connection (RFC 7661)', () => {
  it('an application-limited sender keeps its initial window; a window-limited one grows it', () => {
    const config = testConfig({ congestionControl: 'reno', sendBufferSize: 65536, noDelay: true });
    const harness = new Harness(TcpConnection.acceptSyn(fromPeer({ seq: IRS, flags: SYN, window: 65535, options: { mss: 1460 } }), params(config)));
    harness.drain();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 65535 }));
    let seq = ISS + 1;
    for (let i = 0; i < 20; i++) {
      harness.now += 10;
      harness.write(new Uint8Array(100));
      harness.drain();
      seq += 100;
      harness.send(fromPeer({ seq: IRS + 1, ack: seq, flags: ACK, window: 65535 }));
    }
    expect(harness.conn.congestionWindow).toBe(10 * 1460);
    harness.write(new Uint8Array(14600));
    harness.drain();
    harness.send(fromPeer({ seq: IRS + 1, ack: seq + 14600, flags: ACK, window: 65535 }));
    expect(harness.conn.congestionWindow).toBe(12 * 1460);
  });
});
