/**
 * Packet-level fixtures for TcpConnection tests (smoltcp style): one connection, a manual time
 * number, `send(segment)` in and the exact segments out. "Remote" is the peer we impersonate.
 */
import { IpAddress } from '../src/ip/address.js';
import { resolveTcpConfig, type TcpConfig } from '../src/tcp/config.js';
import { TcpConnection, type TcpEvent } from '../src/tcp/connection.js';
import { NO_OPTIONS } from '../src/tcp/options.js';
import { TcpFlags, type TcpRepr } from '../src/tcp/segment.js';

export const LOCAL = IpAddress.v4(10, 0, 0, 1);
export const REMOTE = IpAddress.v4(10, 0, 0, 2);
export const LOCAL_PORT = 80;
export const REMOTE_PORT = 49152;
/** Our ISS and the peer's. */
export const ISS = 10_000;
export const IRS = 5_000;
export const WINDOW = 8192;

export const { FIN, SYN, RST, PSH, ACK } = TcpFlags;

/** Plain options: no window scaling, timestamps or SACK, no congestion control, no receive-buffer autotuning; small MSL. */
export function testConfig(overrides: Partial<TcpConfig> = {}): TcpConfig {
  return resolveTcpConfig({
    sendBufferSize: WINDOW,
    receiveBufferSize: WINDOW,
    receiveBufferMax: 0,
    mss: 1460,
    windowScaling: false,
    timestamps: false,
    sack: false,
    congestionControl: 'none',
    msl: 1000,
    minRto: 200,
    initialRto: 1000,
    maxRto: 60_000,
    ...overrides,
  });
}

const EMPTY = new Uint8Array(0);

/** A segment from the peer to us. */
export function fromPeer(fields: Partial<TcpRepr>): TcpRepr {
  return { srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, seq: 0, ack: 0, flags: 0, window: WINDOW, urgent: 0, options: NO_OPTIONS, payload: EMPTY, ...fields };
}

/** A segment we are expected to send. */
export function fromUs(fields: Partial<TcpRepr>): TcpRepr {
  return { srcPort: LOCAL_PORT, dstPort: REMOTE_PORT, seq: 0, ack: 0, flags: 0, window: WINDOW, urgent: 0, options: NO_OPTIONS, payload: EMPTY, ...fields };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Drives one connection on a manual time number. */
export class Harness {
  now = 0;
  readonly events: TcpEvent[] = [];

  constructor(readonly conn: TcpConnection) {
    this.events.push(...conn.takeEvents());
  }

  /** Deliver a segment; returns exactly what the connection sent in reply. */
  send(segment: TcpRepr): TcpRepr[] {
    this.conn.onSegment(segment, this.now);
    return this.drain();
  }

  /** Segments (and events) produced since the last drain. */
  drain(): TcpRepr[] {
    this.events.push(...this.conn.takeEvents());
    return this.conn.takeSegments().map(normalise);
  }

  write(text: string | Uint8Array): number {
    const n = this.conn.write(typeof text === 'string' ? bytes(text) : text, this.now);
    return n;
  }

  /** Read everything buffered as text. */
  readAll(): string {
    let text = '';
    for (let chunk = this.conn.read(Infinity, this.now); chunk !== undefined; chunk = this.conn.read(Infinity, this.now)) {
      text += new TextDecoder().decode(chunk);
    }
    return text;
  }

  /** Let time pass to `target`, running every timer due on the way; returns [time, segment] pairs. */
  advanceTo(target: number): Array<[number, TcpRepr]> {
    const out: Array<[number, TcpRepr]> = [];
    for (let guard = 0; guard < 10_000; guard++) {
      const at = this.conn.pollAt();
      if (at > target) break;
      this.now = Math.max(this.now, at);
      this.conn.poll(this.now);
      for (const segment of this.drain()) out.push([this.now, segment]);
    }
    this.now = Math.max(this.now, target);
    return out;
  }

  advance(ms: number): Array<[number, TcpRepr]> {
    return this.advanceTo(this.now + ms);
  }

  /** Event types seen so far, 'state' events as "state:FROM>TO"; clears the list. */
  takeEventNames(): string[] {
    this.drain();
    const names = this.events.map((e) => (e.type === 'state' ? `state:${e.from}>${e.to}` : e.type === 'error' ? `error:${e.code}` : e.type));
    this.events.length = 0;
    return names;
  }
}

/** Copy payloads so expectations compare bytes, not views of the send buffer. */
function normalise(segment: TcpRepr): TcpRepr {
  return { ...segment, payload: Uint8Array.from(segment.payload) };
}

export function params(config: TcpConfig, now = 0) {
  return { localAddress: LOCAL, localPort: LOCAL_PORT, remoteAddress: REMOTE, remotePort: REMOTE_PORT, iss: ISS, config, now };
}

/** CLOSED → SYN-SENT: our SYN already drained. */
export function synSent(config = testConfig()): Harness {
  const harness = new Harness(TcpConnection.connect(params(config)));
  harness.drain();
  return harness;
}

/** LISTEN → SYN-RECEIVED from the peer's SYN; our SYN-ACK already drained. */
export function synReceived(config = testConfig()): Harness {
  const harness = new Harness(TcpConnection.acceptSyn(fromPeer({ seq: IRS, flags: SYN, options: { mss: 1460 } }), params(config)));
  harness.drain();
  return harness;
}

/** ESTABLISHED (passive side): SND.NXT = ISS + 1, RCV.NXT = IRS + 1. */
export function established(config = testConfig()): Harness {
  const harness = synReceived(config);
  harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: ACK }));
  harness.takeEventNames();
  return harness;
}

/** FIN-WAIT-1: we called shutdown(); our FIN (seq ISS + 1) is out, not acknowledged. */
export function finWait1(config = testConfig()): Harness {
  const harness = established(config);
  harness.conn.shutdown(harness.now);
  harness.drain();
  harness.takeEventNames();
  return harness;
}

/** FIN-WAIT-2: our FIN acknowledged. */
export function finWait2(config = testConfig()): Harness {
  const harness = finWait1(config);
  harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: ACK }));
  harness.takeEventNames();
  return harness;
}

/** CLOSE-WAIT: the peer's FIN (seq IRS + 1) received and acknowledged. */
export function closeWait(config = testConfig()): Harness {
  const harness = established(config);
  harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: FIN | ACK }));
  harness.takeEventNames();
  return harness;
}

/** LAST-ACK: CLOSE-WAIT and then our FIN. */
export function lastAck(config = testConfig()): Harness {
  const harness = closeWait(config);
  harness.conn.shutdown(harness.now);
  harness.drain();
  harness.takeEventNames();
  return harness;
}

/** CLOSING: both FINs crossed; ours not yet acknowledged. */
export function closing(config = testConfig()): Harness {
  const harness = finWait1(config);
  harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 1, flags: FIN | ACK }));
  harness.takeEventNames();
  return harness;
}

/** TIME-WAIT: FIN-WAIT-2 and then the peer's FIN. */
export function timeWait(config = testConfig()): Harness {
  const harness = finWait2(config);
  harness.send(fromPeer({ seq: IRS + 1, ack: ISS + 2, flags: FIN | ACK }));
  harness.takeEventNames();
  return harness;
}
