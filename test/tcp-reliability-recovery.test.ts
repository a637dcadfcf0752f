/**
 * Loss recovery in packets: fast retransmit and NewReno (RFC 5681 §3.2, RFC 6582), SACK-based
 * recovery (RFC 6675), timeouts (RFC 6298 §5, RFC 5681 §3.1) and CUBIC's reduction (RFC 9438).
 */
import { describe, expect, it } from 'vitest';
import type { TcpConfig } from '../src/tcp/config.js';
import { TcpConnection } from '../src/tcp/connection.js';
import type { SackBlock } from '../src/tcp/options.js';
import type { TcpRepr } from '../src/tcp/segment.js';
import { ACK, fromPeer, Harness, IRS, ISS, params, SYN, testConfig } from './tcp-fixtures.js';

const MSS = 1460;
/** Sequence number of our n-th full segment. */
const S = (n: number) => ISS + 1 + n * MSS;

/** ESTABLISHED with a 64 KiB peer window; SACK negotiated when asked. */
function open(overrides: Partial<TcpConfig>, sack = false): Harness {
  const config = testConfig({ sendBufferSize: 65536, congestionControl: 'reno', sack, ...overrides });
  const harness = new Harness(TcpConnection.acceptSyn(fromPeer({ seq: IRS, flags: SYN, window: 65535, options: { mss: MSS, ...(sack ? { sackPermitted: true } : {}) } }), params(config)));
  harness.drain();
  harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 65535 }));
  harness.takeEventNames();
  return harness;
}

const ackOf = (ack: number, sackBlocks?: SackBlock[]) => fromPeer({ seq: IRS + 1, ack, flags: ACK, window: 65535, options: sackBlocks ? { sackBlocks } : {} });
const seqs = (segments: TcpRepr[]) => segments.map((s) => s.seq);

describe('fast retransmit and NewReno (RFC 5681 §3.2, RFC 6582)', () => {
  it('three duplicate ACKs trigger exactly one retransmission of SND.UNA; cwnd = ssthresh + 3·MSS', () => {
    const harness = open({});
    harness.write(new Uint8Array(10 * MSS));
    expect(harness.drain()).toHaveLength(10); // RFC 6928 initial window
    expect(harness.send(ackOf(S(0)))).toEqual([]);
    expect(harness.send(ackOf(S(0)))).toEqual([]);
    const third = harness.send(ackOf(S(0)));
    expect(third.map((s) => [s.seq, s.payload.length])).toEqual([[S(0), MSS]]);
    const tcb = harness.conn.tcb;
    expect(tcb.inRecovery).toBe(true);
    expect(tcb.congestion.slowStartThreshold()).toBe(5 * MSS); // FlightSize / 2
    expect(harness.conn.congestionWindow).toBe(8 * MSS);
    expect(harness.send(ackOf(S(0)))).toEqual([]); // a fourth only inflates the window
    expect(harness.conn.congestionWindow).toBe(9 * MSS);
  });

  it('limited transmit: each of the first two duplicate ACKs sends one new segment (RFC 3042 §2)', () => {
    const harness = open({});
    harness.write(new Uint8Array(20 * MSS));
    expect(harness.drain()).toHaveLength(10);
    expect(seqs(harness.send(ackOf(S(0))))).toEqual([S(10)]);
    expect(seqs(harness.send(ackOf(S(0))))).toEqual([S(11)]);
    expect(seqs(harness.send(ackOf(S(0))))).toEqual([S(0)]); // the fast retransmit, and nothing new
    expect(harness.conn.tcb.congestion.slowStartThreshold()).toBe(6 * MSS); // FlightSize 12 segments / 2
  });

  it('a changed window or a segment with data is not a duplicate ACK (RFC 5681 §2)', () => {
    const harness = open({});
    harness.write(new Uint8Array(10 * MSS));
    harness.drain();
    harness.send(ackOf(S(0)));
    harness.send(ackOf(S(0)));
    harness.send(fromPeer({ seq: IRS + 1, ack: S(0), flags: ACK, window: 60000 }));
    harness.send(fromPeer({ seq: IRS + 1, ack: S(0), flags: ACK, window: 60000, payload: new Uint8Array(1) }));
    expect(harness.conn.tcb.dupAcks).toBe(2);
    expect(harness.conn.tcb.inRecovery).toBe(false);
  });

  it('partial ACKs resend the next hole at once; the full ACK ends recovery with cwnd <= ssthresh', () => {
    const harness = open({});
    harness.write(new Uint8Array(10 * MSS));
    harness.drain();
    for (let i = 0; i < 3; i++) harness.send(ackOf(S(0)));
    // Segments 0–1 arrive (the retransmission filled the first hole); segment 2 was lost too.
    expect(seqs(harness.send(ackOf(S(2))))).toEqual([S(2)]);
    expect(harness.conn.tcb.inRecovery).toBe(true);
    // Another partial ACK, another single retransmission.
    expect(seqs(harness.send(ackOf(S(5))))).toEqual([S(5)]);
    expect(harness.send(ackOf(S(10)))).toEqual([]);
    expect(harness.conn.tcb.inRecovery).toBe(false);
    expect(harness.conn.congestionWindow).toBe(2 * MSS); // min(ssthresh, max(FlightSize, MSS) + MSS)
  });

  it('duplicate ACKs after a timeout do not start a new recovery (RFC 6582 §3.2 step 2: recover)', () => {
    const harness = open({});
    harness.write(new Uint8Array(10 * MSS));
    harness.drain();
    expect(seqs(harness.advance(200).map(([, s]) => s))).toEqual([S(0)]);
    for (let i = 0; i < 3; i++) harness.send(ackOf(S(0)));
    expect(harness.conn.tcb.inRecovery).toBe(false);
  });
});

describe('retransmission timeout (RFC 6298 §5, RFC 5681 §3.1)', () => {
  it('collapses cwnd to one segment and sets ssthresh (NewReno: FlightSize / 2)', () => {
    const harness = open({});
    harness.write(new Uint8Array(10 * MSS));
    harness.drain();
    harness.advance(200);
    expect(harness.conn.congestionWindow).toBe(MSS);
    expect(harness.conn.tcb.congestion.slowStartThreshold()).toBe(5 * MSS);
  });

  it('CUBIC: ssthresh = 0.7·cwnd on a timeout and on a fast retransmit (RFC 9438 §4.6, §4.8)', () => {
    const timeout = open({ congestionControl: 'cubic' });
    timeout.write(new Uint8Array(10 * MSS));
    timeout.drain();
    timeout.advance(200);
    expect(timeout.conn.congestionWindow).toBe(MSS);
    expect(timeout.conn.tcb.congestion.slowStartThreshold()).toBe(Math.floor(10 * MSS * 0.7));
    const dup = open({ congestionControl: 'cubic' });
    dup.write(new Uint8Array(10 * MSS));
    dup.drain();
    for (let i = 0; i < 3; i++) dup.send(ackOf(S(0)));
    expect(dup.conn.tcb.congestion.slowStartThreshold()).toBe(Math.floor(10 * MSS * 0.7));
  });
});

describe('SACK-based recovery (RFC 6675)', () => {
  it('retransmits only the holes the scoreboard finds lost', () => {
    const harness = open({}, true);
    harness.write(new Uint8Array(10 * MSS));
    expect(harness.drain()).toHaveLength(10);
    // Segments 0 and 3 are lost; the peer SACKs the rest as it arrives (most recent block first).
    const retransmitted: number[] = [];
    const arrivals: SackBlock[][] = [
      [{ left: S(1), right: S(3) }],
      [{ left: S(4), right: S(5) }, { left: S(1), right: S(3) }],
      [{ left: S(4), right: S(6) }, { left: S(1), right: S(3) }],
      [{ left: S(4), right: S(7) }, { left: S(1), right: S(3) }],
      [{ left: S(4), right: S(8) }, { left: S(1), right: S(3) }],
      [{ left: S(4), right: S(9) }, { left: S(1), right: S(3) }],
      [{ left: S(4), right: S(10) }, { left: S(1), right: S(3) }],
    ];
    for (const blocks of arrivals) retransmitted.push(...seqs(harness.send(ackOf(S(0), blocks))));
    expect(harness.conn.tcb.sackScoreboard.blocks()).toEqual([[S(1), S(3)], [S(4), S(10)]]);
    // The retransmitted segment 0 arrives: the cumulative ACK stops at the next hole.
    retransmitted.push(...seqs(harness.send(ackOf(S(3), [{ left: S(4), right: S(10) }]))));
    retransmitted.push(...seqs(harness.send(ackOf(S(10)))));
    expect(retransmitted).toEqual([S(0), S(3)]);
    expect(harness.conn.tcb.inRecovery).toBe(false);
  });

  it('after a timeout, go-back-N skips what the peer has SACKed (RFC 6675 §5.1)', () => {
    const harness = open({}, true);
    harness.write(new Uint8Array(4 * MSS));
    harness.drain();
    harness.send(ackOf(S(0), [{ left: S(2), right: S(4) }]));
    expect(harness.advance(200).map(([, s]) => s.seq)).toEqual([S(0)]);
    // cwnd grows to two segments, but only S(1) is resent: S(2) and S(3) are SACKed.
    expect(seqs(harness.send(ackOf(S(1), [{ left: S(2), right: S(4) }])))).toEqual([S(1)]);
    expect(harness.send(ackOf(S(4)))).toEqual([]);
    expect(harness.conn.pollAt()).toBe(Infinity);
  });
});

describe('SACK scoreboard', () => {
  it('IsLost and pipe follow RFC 6675 §4', async () => {
    const { SackScoreboard } = await import('../src/tcp/sack.js');
    const board = new SackScoreboard();
    board.highRxt = 0;
    // HighACK 0, HighData 10 segments of 100 bytes; segments 1 and 5–6 SACKed.
    board.update([{ left: 100, right: 200 }, { left: 500, right: 700 }], 0, 1000);
    expect(board.isLost(0, 3, 100)).toBe(true); // 300 bytes SACKed above > 2·SMSS
    expect(board.isLost(200, 3, 100)).toBe(false); // 200 bytes above: not more than 2·SMSS
    // pipe: hole [0,100) lost → 0; hole [200,500) not lost → 300; tail [700,1000) → 300.
    expect(board.pipe(0, 1000, 3, 100)).toBe(600);
    expect(board.nextLostHole(0, 3, 100)).toEqual({ seq: 0, length: 100 });
    board.highRxt = 100; // the lost hole was retransmitted: it counts again, and is no longer next
    expect(board.pipe(0, 1000, 3, 100)).toBe(700);
    expect(board.nextLostHole(0, 3, 100)).toBeUndefined();
  });

  it('a peer SACKing every other byte cannot grow the scoreboard without bound', () => {
    const harness = open({ sendBufferSize: 65536 }, true);
    harness.write(new Uint8Array(10 * MSS));
    harness.drain();
    for (let i = 0; i < 1000; i++) {
      const left = S(0) + 2 + 8 * i;
      harness.send(ackOf(S(0), [0, 2, 4, 6].map((k) => ({ left: left + k, right: left + k + 1 }))));
    }
    expect(harness.conn.tcb.sackScoreboard.blocks().length).toBeLessThanOrEqual(256);
    expect(harness.send(ackOf(S(10)))).toEqual([]);
    expect(harness.conn.tcb.sackScoreboard.isEmpty).toBe(true);
  });
});

describe('robustness', () => {
  it('random ACKs, SACK blocks and timestamps never throw and keep the send-side invariants', async () => {
    const { Random } = await import('../src/random.js');
    const { seqLe } = await import('../src/tcp/seq.js');
    for (const congestionControl of ['cubic', 'reno'] as const) {
      const random = new Random(99);
      const harness = open({ congestionControl, timestamps: true }, true);
      const tcb = harness.conn.tcb;
      for (let step = 0; step < 3000; step++) {
        if (random.chance(0.2)) harness.write(new Uint8Array(random.range(1, 4000)));
        const around = (base: number) => (base + random.range(-3000, 30000)) >>> 0;
        const blocks = Array.from({ length: random.range(0, 4) }, () => {
          const left = around(tcb.sndUna);
          return { left, right: (left + random.range(-10, 5000)) >>> 0 };
        });
        const ack = random.chance(0.5) ? tcb.sndUna : around(tcb.sndUna);
        harness.send(fromPeer({ seq: IRS + 1, ack, flags: ACK, window: random.range(0, 65535), options: { sackBlocks: blocks, timestamp: { value: random.nextUint32(), echo: random.nextUint32() } } }));
        if (random.chance(0.1)) harness.advance(random.range(1, 2000));
        if (harness.conn.state !== 'ESTABLISHED') break;
        expect(seqLe(tcb.sndUna, tcb.sndNxt) && seqLe(tcb.sndNxt, tcb.sndMax)).toBe(true);
        expect(harness.conn.congestionWindow).toBeGreaterThanOrEqual(tcb.sendMss);
        for (const [left, right] of tcb.sackScoreboard.blocks()) expect(seqLe(tcb.sndUna, left) && seqLe(right, tcb.sndMax)).toBe(true);
      }
    }
  });
});
