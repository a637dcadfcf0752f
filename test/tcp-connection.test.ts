import { describe, expect, it } from 'vitest';
import { ChallengeAckLimiter } from '../src/tcp/challenge-ack.js';
import { listenerVerdict, replyToClosedPort } from '../src/tcp/closed-port.js';
import { TcpConnection } from '../src/tcp/connection.js';
import {
  ACK, closeWait, closing, established, FIN, finWait1, finWait2, fromPeer, fromUs, Harness, IRS, ISS, lastAck,
  params, RST, SYN, synReceived, synSent, testConfig, timeWait, WINDOW,
} from './tcp-fixtures.js';

describe('opening handshake', () => {
  it('active open sends a SYN with MSS and enters SYN-SENT (§3.10.1)', () => {
    const harness = new Harness(TcpConnection.connect(params(testConfig())));
    expect(harness.drain()).toEqual([fromUs({ seq: ISS, flags: SYN, options: { mss: 1460 } })]);
    expect(harness.conn.state).toBe('SYN-SENT');
  });

  it('offers window scale, SACK-permitted and timestamps when enabled', () => {
    const config = testConfig({ windowScaling: true, timestamps: true, sack: true, receiveBufferSize: 256 * 1024 });
    const harness = new Harness(TcpConnection.connect({ ...params(config), mss: 1400 }));
    const [syn] = harness.drain();
    expect(syn!.options).toEqual({ mss: 1400, windowScale: 3, sackPermitted: true, timestamp: { value: harness.conn.tcb.tsValue(0), echo: 0 } });
    expect(syn!.window).toBe(65535);
  });

  it('SYN-SENT + SYN-ACK → ESTABLISHED with an ACK (§3.10.7.3)', () => {
    const harness = synSent();
    harness.now = 50;
    expect(harness.send(fromPeer({ seq: IRS, ack: ISS + 1, flags: SYN | ACK, options: { mss: 1200 } }))).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK }),
    ]);
    expect(harness.conn.state).toBe('ESTABLISHED');
    expect(harness.takeEventNames()).toEqual(['state:CLOSED>SYN-SENT', 'state:SYN-SENT>ESTABLISHED', 'established']);
    expect(harness.conn.tcb.sendMss).toBe(1200);
    expect(harness.conn.tcb.rto.srtt).toBe(50); // the SYN's round trip is the first sample
  });

  it('passive open: SYN → SYN-ACK, then ACK → ESTABLISHED (§3.10.7.2, §3.10.7.4)', () => {
    const harness = new Harness(TcpConnection.acceptSyn(fromPeer({ seq: IRS, flags: SYN, options: { mss: 1000 } }), params(testConfig())));
    expect(harness.drain()).toEqual([fromUs({ seq: ISS, ack: IRS + 1, flags: SYN | ACK, options: { mss: 1460 } })]);
    expect(harness.conn.state).toBe('SYN-RECEIVED');
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK }))).toEqual([]);
    expect(harness.conn.state).toBe('ESTABLISHED');
    expect(harness.conn.tcb.sendMss).toBe(1000);
  });

  it('the SYN-ACK offers only what the peer offered (RFC 7323 §2.2, RFC 2018 §2)', () => {
    const config = testConfig({ windowScaling: true, timestamps: true, sack: true });
    const syn = fromPeer({ seq: IRS, flags: SYN, options: { mss: 1460, sackPermitted: true } });
    const harness = new Harness(TcpConnection.acceptSyn(syn, params(config)));
    expect(harness.drain()).toEqual([fromUs({ seq: ISS, ack: IRS + 1, flags: SYN | ACK, options: { mss: 1460, sackPermitted: true } })]);
    expect(harness.conn.tcb.windowScaling).toBe(false);
    expect(harness.conn.tcb.timestamps).toBe(false);
  });

  it('negotiates window scaling and timestamps both ways and echoes TS.Recent (RFC 7323)', () => {
    const config = testConfig({ windowScaling: true, timestamps: true, receiveBufferSize: 1 << 20 });
    const syn = fromPeer({ seq: IRS, flags: SYN, window: 65535, options: { mss: 1460, windowScale: 7, timestamp: { value: 777, echo: 0 } } });
    const harness = new Harness(TcpConnection.acceptSyn(syn, params(config)));
    const tsval = harness.conn.tcb.tsValue(0);
    expect(harness.drain()).toEqual([
      fromUs({ seq: ISS, ack: IRS + 1, flags: SYN | ACK, window: 65535, options: { mss: 1460, windowScale: 5, timestamp: { value: tsval, echo: 777 } } }),
    ]);
    harness.now = 10;
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, window: 100, options: { timestamp: { value: 780, echo: tsval } } }));
    expect(harness.conn.tcb.sndWnd).toBe(100 << 7); // scaled by the peer's shift
    expect(harness.conn.tcb.tsRecent).toBe(780); // RFC 7323 §4.3
    harness.write('hi');
    const [data] = harness.drain();
    expect(data!.options).toEqual({ timestamp: { value: harness.conn.tcb.tsValue(10), echo: 780 } });
    expect(data!.window).toBe((1 << 20) >> 5); // our window, scaled by our shift
    expect(harness.conn.tcb.sendMss).toBe(1460 - 12);
  });

  it('simultaneous open: SYN-SENT + SYN → SYN-RECEIVED, then SYN-ACK → ESTABLISHED (§3.10.7.3, §3.5 fig. 7)', () => {
    const harness = synSent();
    expect(harness.send(fromPeer({ seq: IRS, flags: SYN, options: { mss: 1460 } }))).toEqual([
      fromUs({ seq: ISS, ack: IRS + 1, flags: SYN | ACK, options: { mss: 1460 } }),
    ]);
    expect(harness.conn.state).toBe('SYN-RECEIVED');
    harness.send(fromPeer({ seq: IRS, ack: ISS + 1, flags: SYN | ACK, options: { mss: 1460 } }));
    expect(harness.conn.state).toBe('ESTABLISHED');
  });

  it('two connections opening simultaneously reach ESTABLISHED through each other', () => {
    const config = testConfig();
    const a = TcpConnection.connect(params(config));
    const b = TcpConnection.connect({ ...params(config), localPort: 49152, remotePort: 80, iss: IRS });
    const toB = a.takeSegments();
    const toA = b.takeSegments();
    for (const s of toB) b.onSegment(s, 1);
    for (const s of toA) a.onSegment(s, 1);
    for (let round = 0; round < 4; round++) {
      for (const s of a.takeSegments()) b.onSegment(s, 2);
      for (const s of b.takeSegments()) a.onSegment(s, 2);
    }
    expect([a.state, b.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });

  it('SYN-SENT: an ACK that misses our SYN gets <SEQ=SEG.ACK><CTL=RST> (§3.10.7.3)', () => {
    const harness = synSent();
    expect(harness.send(fromPeer({ seq: IRS, ack: ISS + 5, flags: SYN | ACK }))).toEqual([fromUs({ seq: ISS + 5, flags: RST, window: 0 })]);
    expect(harness.conn.state).toBe('SYN-SENT');
  });

  it('SYN-SENT: RST with an acceptable ACK → ECONNREFUSED; without ACK it is ignored (RFC 5961 §3.2)', () => {
    const harness = synSent();
    expect(harness.send(fromPeer({ seq: 0, flags: RST }))).toEqual([]);
    expect(harness.conn.state).toBe('SYN-SENT');
    harness.takeEventNames();
    harness.send(fromPeer({ seq: 0, ack: ISS + 1, flags: RST | ACK }));
    expect(harness.takeEventNames()).toEqual(['error:ECONNREFUSED', 'state:SYN-SENT>CLOSED', 'closed']);
  });

  it('SYN-RECEIVED: a repeated SYN gets the SYN-ACK again; a bad ACK gets RST (§3.10.7.4)', () => {
    const harness = synReceived();
    expect(harness.send(fromPeer({ seq: IRS, flags: SYN, options: { mss: 1460 } }))).toEqual([
      fromUs({ seq: ISS, ack: IRS + 1, flags: SYN | ACK, options: { mss: 1460 } }),
    ]);
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 9, flags: ACK }))).toEqual([fromUs({ seq: ISS + 9, flags: RST, window: 0 })]);
    expect(harness.conn.state).toBe('SYN-RECEIVED');
  });

  it('SYN-RECEIVED (passive): RST at RCV.NXT closes quietly (back to LISTEN)', () => {
    const harness = synReceived();
    harness.takeEventNames();
    harness.send(fromPeer({ seq: IRS + 1, flags: RST }));
    expect(harness.takeEventNames()).toEqual(['state:SYN-RECEIVED>CLOSED', 'closed']);
  });

  it('retransmits the SYN with backoff and gives up with ETIMEDOUT after synRetries', () => {
    const harness = synSent(testConfig({ synRetries: 3 }));
    const sent = harness.advanceTo(100_000);
    expect(sent.map(([t]) => t)).toEqual([1000, 3000, 7000]);
    expect(sent.every(([, s]) => s.flags === SYN && s.seq === ISS)).toBe(true);
    expect(harness.conn.state).toBe('CLOSED');
    expect(harness.takeEventNames()).toEqual(['state:CLOSED>SYN-SENT', 'error:ETIMEDOUT', 'state:SYN-SENT>CLOSED', 'closed']);
    expect(harness.now).toBe(100_000);
  });

  it('SYN-RECEIVED retransmits the SYN-ACK', () => {
    const harness = synReceived();
    const sent = harness.advanceTo(3500);
    expect(sent).toEqual([
      [1000, fromUs({ seq: ISS, ack: IRS + 1, flags: SYN | ACK, options: { mss: 1460 } })],
      [3000, fromUs({ seq: ISS, ack: IRS + 1, flags: SYN | ACK, options: { mss: 1460 } })],
    ]);
  });
});

describe('closed ports and listeners', () => {
  it('CLOSED: ACK → <SEQ=SEG.ACK><CTL=RST>; no ACK → RST,ACK covering the segment; RST → nothing (§3.10.7.1)', () => {
    expect(replyToClosedPort(fromPeer({ seq: 7, ack: 99, flags: ACK }))).toEqual(fromUs({ seq: 99, flags: RST, window: 0 }));
    expect(replyToClosedPort(fromPeer({ seq: 7, flags: SYN }))).toEqual(fromUs({ seq: 0, ack: 8, flags: RST | ACK, window: 0 }));
    expect(replyToClosedPort(fromPeer({ seq: 7, flags: FIN, payload: new Uint8Array(3) }))).toEqual(fromUs({ seq: 0, ack: 11, flags: RST | ACK, window: 0 }));
    expect(replyToClosedPort(fromPeer({ seq: 7, flags: RST }))).toBeUndefined();
  });

  it('LISTEN: RST ignored, ACK reset, SYN accepted, anything else dropped (§3.10.7.2)', () => {
    expect(listenerVerdict(fromPeer({ flags: RST }))).toBe('drop');
    expect(listenerVerdict(fromPeer({ ack: 5, flags: ACK | SYN }))).toEqual(fromUs({ seq: 5, flags: RST, window: 0 }));
    expect(listenerVerdict(fromPeer({ flags: SYN }))).toBe('accept');
    expect(listenerVerdict(fromPeer({ flags: FIN }))).toBe('drop');
  });
});

describe('closing sequences', () => {
  it('our FIN first: ESTABLISHED → FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED after 2·MSL', () => {
    const harness = established();
    harness.conn.shutdown(0);
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: FIN | ACK })]);
    expect(harness.conn.state).toBe('FIN-WAIT-1');
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK }))).toEqual([]);
    expect(harness.conn.state).toBe('FIN-WAIT-2');
    harness.now = 100;
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }))).toEqual([fromUs({ seq: ISS + 2, ack: IRS + 2, flags: ACK })]);
    expect(harness.conn.state).toBe('TIME-WAIT');
    expect(harness.conn.pollAt()).toBe(2100);
    harness.advanceTo(2099);
    expect(harness.conn.state).toBe('TIME-WAIT');
    harness.advanceTo(2100);
    expect(harness.conn.state).toBe('CLOSED');
    expect(harness.takeEventNames()).toEqual([
      'state:ESTABLISHED>FIN-WAIT-1', 'state:FIN-WAIT-1>FIN-WAIT-2', 'peerFin', 'state:FIN-WAIT-2>TIME-WAIT', 'state:TIME-WAIT>CLOSED', 'closed',
    ]);
  });

  it('their FIN first: ESTABLISHED → CLOSE-WAIT → LAST-ACK → CLOSED', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: FIN | ACK }))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 2, flags: ACK })]);
    expect(harness.conn.state).toBe('CLOSE-WAIT');
    expect(harness.conn.peerFinished).toBe(true);
    harness.conn.shutdown(0);
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 2, flags: FIN | ACK })]);
    expect(harness.conn.state).toBe('LAST-ACK');
    expect(harness.send(fromPeer({ seq: IRS + 2, ack: ISS + 2, flags: ACK }))).toEqual([]);
    expect(harness.conn.state).toBe('CLOSED');
    expect(harness.conn.pollAt()).toBe(Infinity);
  });

  it('both at once: FIN-WAIT-1 + FIN → CLOSING → (ACK) TIME-WAIT', () => {
    const harness = finWait1();
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: FIN | ACK }))).toEqual([fromUs({ seq: ISS + 2, ack: IRS + 2, flags: ACK })]);
    expect(harness.conn.state).toBe('CLOSING');
    expect(harness.send(fromPeer({ seq: IRS + 2, ack: ISS + 2, flags: ACK }))).toEqual([]);
    expect(harness.conn.state).toBe('TIME-WAIT');
  });

  it('FIN-WAIT-1 + FIN that also acks our FIN → TIME-WAIT directly', () => {
    const harness = finWait1();
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }))).toEqual([fromUs({ seq: ISS + 2, ack: IRS + 2, flags: ACK })]);
    expect(harness.conn.state).toBe('TIME-WAIT');
  });

  it('CLOSING retransmits our FIN on timeout (RTO 200 ms after a 0 ms handshake sample, then doubled)', () => {
    const harness = closing();
    const fin = fromUs({ seq: ISS + 1, ack: IRS + 2, flags: FIN | ACK });
    expect(harness.advance(1000)).toEqual([[200, fin], [600, fin]]);
  });

  it('LAST-ACK retransmits our FIN, then an ACK closes', () => {
    const harness = lastAck();
    expect(harness.advance(300)).toEqual([[200, fromUs({ seq: ISS + 1, ack: IRS + 2, flags: FIN | ACK })]]);
    harness.send(fromPeer({ seq: IRS + 2, ack: ISS + 2, flags: ACK }));
    expect(harness.conn.state).toBe('CLOSED');
  });

  it('TIME-WAIT: a retransmitted FIN is acknowledged and restarts 2·MSL (§3.10.7.4)', () => {
    const harness = timeWait();
    harness.now = 500;
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }))).toEqual([fromUs({ seq: ISS + 2, ack: IRS + 2, flags: ACK })]);
    expect(harness.conn.pollAt()).toBe(2500);
  });

  it('RFC 1337: TIME-WAIT ignores RST', () => {
    const harness = timeWait();
    expect(harness.send(fromPeer({ seq: IRS + 2, flags: RST }))).toEqual([]);
    expect(harness.conn.state).toBe('TIME-WAIT');
  });

  it('half-close: after our FIN the peer keeps sending and we keep acknowledging (FIN-WAIT-2)', () => {
    const harness = finWait2();
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK, payload: new Uint8Array([1, 2, 3]) }))).toEqual([
      fromUs({ seq: ISS + 2, ack: IRS + 4, flags: ACK, window: WINDOW - 3 }),
    ]);
    expect(Array.from(harness.conn.read()!)).toEqual([1, 2, 3]);
    expect(() => harness.conn.write(new Uint8Array(1), 0)).toThrow(/after shutdown/);
  });

  it('half-close the other way: in CLOSE-WAIT we keep sending until we close', () => {
    const harness = closeWait();
    harness.write('more');
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 2, flags: ACK | 0x08, payload: new TextEncoder().encode('more') })]);
    harness.send(fromPeer({ seq: IRS + 2, ack: ISS + 5, flags: ACK }));
    expect(harness.conn.writableLength).toBe(0);
    harness.conn.shutdown(0);
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 5, ack: IRS + 2, flags: FIN | ACK })]);
  });

  it('the FIN goes after queued data (§3.10.4)', () => {
    const harness = established();
    harness.write('abc');
    harness.conn.shutdown(0);
    expect(harness.drain()).toEqual([
      fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK | 0x08, payload: new TextEncoder().encode('abc') }),
      fromUs({ seq: ISS + 4, ack: IRS + 1, flags: FIN | ACK }),
    ]);
  });

  it('shutdown in SYN-RECEIVED waits for ESTABLISHED, then sends the FIN', () => {
    const harness = synReceived();
    harness.conn.shutdown(0);
    expect(harness.drain()).toEqual([]);
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK }))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: FIN | ACK })]);
    expect(harness.conn.state).toBe('FIN-WAIT-1');
  });

  it('abort sends <SEQ=SND.NXT><CTL=RST> and closes (§3.10.5)', () => {
    const harness = established();
    harness.conn.abort(0);
    expect(harness.drain()).toEqual([fromUs({ seq: ISS + 1, flags: RST, window: 0 })]);
    expect(harness.takeEventNames()).toEqual(['state:ESTABLISHED>CLOSED', 'closed']);
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK }));
    expect(harness.drain()).toEqual([]);
  });

  it('abort in SYN-SENT sends nothing', () => {
    const harness = synSent();
    harness.conn.abort(0);
    expect(harness.drain()).toEqual([]);
    expect(harness.conn.state).toBe('CLOSED');
  });
});

describe('RST and SYN rules in synchronized states (RFC 5961)', () => {
  const states = { established, finWait1, finWait2, closeWait } as const;
  for (const [name, fixture] of Object.entries(states)) {
    it(`${name}: RST exactly at RCV.NXT resets with ECONNRESET (§3.2)`, () => {
      const harness = fixture();
      const rcvNxt = harness.conn.tcb.rcvNxt;
      harness.send(fromPeer({ seq: rcvNxt, flags: RST }));
      expect(harness.takeEventNames().slice(0, 1)).toEqual(['error:ECONNRESET']);
      expect(harness.conn.state).toBe('CLOSED');
    });
  }

  it('in-window RST not at RCV.NXT → challenge ACK, connection kept', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 100, flags: RST }))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK })]);
    expect(harness.conn.state).toBe('ESTABLISHED');
  });

  it('out-of-window RST is dropped silently', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 1 + WINDOW, flags: RST }))).toEqual([]);
    expect(harness.send(fromPeer({ seq: IRS, flags: RST }))).toEqual([]);
    expect(harness.conn.state).toBe('ESTABLISHED');
  });

  it('SYN in a synchronized state → challenge ACK (§4.2), whatever its sequence number', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 10, flags: SYN }))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK })]);
    expect(harness.conn.state).toBe('ESTABLISHED');
  });

  it('challenge ACKs are rate-limited per second (§7), and a shared limiter spans connections', () => {
    const limiter = new ChallengeAckLimiter(2);
    const a = established(testConfig({ challengeAckLimiter: limiter }));
    const b = established(testConfig({ challengeAckLimiter: limiter }));
    expect(a.send(fromPeer({ seq: IRS + 10, flags: RST }))).toHaveLength(1);
    expect(b.send(fromPeer({ seq: IRS + 10, flags: RST }))).toHaveLength(1);
    expect(a.send(fromPeer({ seq: IRS + 10, flags: RST }))).toEqual([]);
    a.now = 999;
    expect(a.send(fromPeer({ seq: IRS + 10, flags: SYN }))).toEqual([]);
    a.now = 1000;
    expect(a.send(fromPeer({ seq: IRS + 10, flags: SYN }))).toHaveLength(1);
  });

  it('LAST-ACK and CLOSING: RST at RCV.NXT closes without an error', () => {
    const last = lastAck();
    last.send(fromPeer({ seq: IRS + 2, flags: RST }));
    expect(last.takeEventNames()).toEqual(['state:LAST-ACK>CLOSED', 'closed']);
    const both = closing();
    both.send(fromPeer({ seq: IRS + 2, flags: RST }));
    expect(both.takeEventNames()).toEqual(['state:CLOSING>CLOSED', 'closed']);
  });

  it('an ACK for data not yet sent is answered with an ACK and dropped (§3.10.7.4)', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 50, flags: ACK }))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK })]);
    expect(harness.conn.tcb.sndUna).toBe(ISS + 1);
  });

  it('an ACK older than SND.UNA − MAX.SND.WND is dropped with a challenge ACK (RFC 5961 §5.2)', () => {
    const harness = established();
    const payload = new Uint8Array([9]);
    expect(harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1 - WINDOW - 10, flags: ACK, payload }))).toEqual([fromUs({ seq: ISS + 1, ack: IRS + 1, flags: ACK })]);
    expect(harness.conn.readableLength).toBe(0); // the data was not taken
  });

  it('a segment without ACK is dropped (§3.10.7.4 fifth step)', () => {
    const harness = established();
    expect(harness.send(fromPeer({ seq: IRS + 1, payload: new Uint8Array([1]) }))).toEqual([]);
    expect(harness.conn.readableLength).toBe(0);
  });
});

describe('segment acceptance test (§3.10.7.4)', () => {
  const states = { established, finWait1, finWait2, closeWait, closing, lastAck, timeWait } as const;
  for (const [name, fixture] of Object.entries(states)) {
    it(`${name}: an old duplicate is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`, () => {
      const harness = fixture();
      const { sndNxt, rcvNxt } = harness.conn.tcb;
      const reply = harness.send(fromPeer({ seq: IRS - 100, ack: ISS + 1, flags: ACK, payload: new Uint8Array(10) }));
      expect(reply).toHaveLength(1);
      expect(reply[0]).toMatchObject({ seq: sndNxt, ack: rcvNxt, flags: ACK });
    });
    it(`${name}: a segment beyond the window is answered with an ACK and not taken`, () => {
      const harness = fixture();
      const { sndNxt, rcvNxt } = harness.conn.tcb;
      const reply = harness.send(fromPeer({ seq: rcvNxt + WINDOW, ack: ISS + 1, flags: ACK, payload: new Uint8Array(10) }));
      expect(reply).toHaveLength(1);
      expect(reply[0]).toMatchObject({ seq: sndNxt, ack: rcvNxt, flags: ACK });
      expect(harness.conn.tcb.receiveBuffer.outOfOrderBytes).toBe(0);
    });
  }

  it('zero-window: only a segment at RCV.NXT is taken for its ACK; its data is refused', () => {
    const harness = established();
    harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK, payload: new Uint8Array(WINDOW) }));
    expect(harness.conn.tcb.rcvNxt).toBe(IRS + 1 + WINDOW);
    harness.write('x');
    harness.drain();
    expect(harness.send(fromPeer({ seq: IRS + 1 + WINDOW, ack: ISS + 2, flags: ACK, payload: new Uint8Array([7]) }))).toEqual([
      fromUs({ seq: ISS + 2, ack: IRS + 1 + WINDOW, flags: ACK, window: 0 }),
    ]);
    expect(harness.conn.tcb.sndUna).toBe(ISS + 2); // the ACK was processed
  });
});
