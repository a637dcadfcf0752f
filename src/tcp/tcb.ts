/**
 * The transmission control block (RFC 9293 §3.3.1): every variable of one connection, with
 * the RFC's names. Internal to src/tcp: TcpConnection is the public face; connection-input,
 * connection-output, handshake and timers operate on this block.
 */
import type { IpAddress } from '../ip/address.js';
import type { Counters } from '../stats.js';
import { ChallengeAckLimiter } from './challenge-ack.js';
import type { TcpConfig } from './config.js';
import { createCongestionControl, type CongestionControl } from './congestion.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { ReceiveSpace } from './receive-autotune.js';
import { CwndValidation } from './cwnd-validation.js';
import { RtoEstimator } from './rto.js';
import { SackReceiver, SackScoreboard } from './sack.js';
import type { TcpRepr } from './segment.js';
import { SendBuffer } from './send-buffer.js';
import { seqAdd, seqGt } from './seq.js';

/** The eleven states of RFC 9293 §3.3.2. LISTEN belongs to the layer's listeners. */
export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export type TcpErrorCode = 'ECONNRESET' | 'ECONNREFUSED' | 'ETIMEDOUT';

export type TcpEvent =
  | { readonly type: 'state'; readonly from: TcpState; readonly to: TcpState }
  /** The handshake completed (entered ESTABLISHED). */
  | { readonly type: 'established' }
  /** New in-order data can be read. */
  | { readonly type: 'readable' }
  /** The peer's FIN arrived in order: no data after what is buffered. */
  | { readonly type: 'peerFin' }
  /** Send-buffer space was freed after a write() accepted less than it was given. */
  | { readonly type: 'writable' }
  /** The connection failed; a 'closed' event follows. */
  | { readonly type: 'error'; readonly code: TcpErrorCode }
  /** The connection reached CLOSED: the layer forgets it. Always the last event. */
  | { readonly type: 'closed' };

/** States in which both sides' ISNs are known (RFC 9293 §3.10.7.4 "synchronized"). */
export function isSynchronized(state: TcpState): boolean {
  return state !== 'CLOSED' && state !== 'LISTEN' && state !== 'SYN-SENT' && state !== 'SYN-RECEIVED';
}

/** States in which the peer may still send data (we have not processed its FIN). */
export function canReceiveData(state: TcpState): boolean {
  return state === 'ESTABLISHED' || state === 'FIN-WAIT-1' || state === 'FIN-WAIT-2';
}

/** States in which queued data (and our FIN) may go out. */
export function canSendData(state: TcpState): boolean {
  return state === 'ESTABLISHED' || state === 'CLOSE-WAIT' || state === 'FIN-WAIT-1' || state === 'LAST-ACK' || state === 'CLOSING';
}

/** Who the connection is between and how it is configured. */
export interface TcpConnectionParams {
  readonly localAddress: IpAddress;
  readonly localPort: number;
  readonly remoteAddress: IpAddress;
  readonly remotePort: number;
  /** Our initial send sequence number (IsnGenerator, RFC 6528). */
  readonly iss: number;
  /** The MSS to advertise, from the route's MTU (MTU − 40 for IPv4, − 60 for IPv6); default config.mss. */
  readonly mss?: number;
  readonly config: TcpConfig;
  /** The time of creation (ms, the stack clock). */
  readonly now: number;
  /** Where to count segments, retransmissions and drops ("tcp.*", "drop.*"). */
  readonly counters?: Counters;
}

export class Tcb {
  state: TcpState = 'CLOSED';
  readonly localAddress: IpAddress;
  readonly localPort: number;
  readonly remoteAddress: IpAddress;
  readonly remotePort: number;
  readonly config: TcpConfig;
  readonly counters: Counters | undefined;

  // Send sequence variables (RFC 9293 §3.3.1).
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  /**
   * The highest sequence number sent so far. SND.NXT rewinds to SND.UNA on a retransmission
   * timeout (go-back-N); pure ACKs and RSTs carry SND.MAX (what Linux calls snd_nxt), so they
   * stay acceptable to a peer that already has the data we are resending.
   */
  sndMax: number;
  /** End of an unacknowledged zero-window probe byte (beyond SND.MAX), if any. */
  sndProbeEnd: number | undefined = undefined;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** The largest window the peer has offered (RFC 5961 §5.2 MAX.SND.WND, §3.8.6.2.1 SWS). */
  maxSndWnd = 0;
  /** Shift applied to the peer's window field (its Rcv.Wind.Shift; 0 unless negotiated). */
  sndWindShift = 0;

  // Receive sequence variables.
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the window we last advertised (RCV.NXT + RCV.WND at that time). */
  rcvAdvertisedEdge = 0;
  /** Shift applied to our window field (Rcv.Wind.Shift, RFC 7323 §2.2). */
  rcvWindShift = 0;

  // Negotiated options.
  /** The MSS we advertise (from the route). */
  readonly advertisedMss: number;
  /** The peer's MSS (RFC 9293 §3.7.1; default 536 / 1220 when absent). */
  peerMss = 536;
  /** MSS allowed by the path MTU (RFC 1191 / RFC 8201); Infinity until an ICMP error says less. */
  pathMss = Infinity;
  windowScaling = false;
  timestamps = false;
  sackPermitted = false;
  /** TS.Recent (RFC 7323 §4.3). */
  tsRecent = 0;
  /** Last.ACK.sent (RFC 7323 §4.3). */
  lastAckSent = 0;
  /** Per-connection offset added to our TSval clock (RFC 7323 §5.4). */
  readonly tsOffset: number;
  /** When TS.Recent was last set (RFC 7323 §5.5: PAWS forgets it after 24 idle days). */
  tsRecentAt = 0;

  readonly sendBuffer: SendBuffer;
  readonly receiveBuffer: ReceiveBuffer;
  /** Receive-buffer autotuning state (receive-autotune.ts). */
  readonly receiveSpace: ReceiveSpace;
  readonly rto: RtoEstimator;
  congestion: CongestionControl;
  readonly challengeAcks: ChallengeAckLimiter;

  /** The app asked for our FIN (shutdown()). */
  finQueued = false;
  finAcked = false;
  /** The SYN (ours) has been acknowledged. */
  synAcked = false;
  peerFinReceived = false;
  /** Sequence number of a FIN that arrived beyond a hole, processed when RCV.NXT reaches it. */
  pendingFinSeq: number | undefined;
  /** We were created from a listener's SYN (RFC 9293 §3.10.7.4: RST in SYN-RECEIVED). */
  passiveOpen = false;
  /** Send an ACK at the end of this event even if no data goes out. */
  ackNeeded = false;
  /** A write() was cut short; report 'writable' when space frees. */
  writableWanted = false;

  // Timers: data, not callbacks (absolute ms; Infinity = not armed).
  retransmitAt = Infinity;
  persistAt = Infinity;
  timeWaitAt = Infinity;
  /** RFC 1122 §4.2.3.2: a delayed ACK owed by this time. */
  delayedAckAt = Infinity;
  /** RFC 1122 §4.2.3.6: the next keepalive probe (or the verdict after the last one). */
  keepaliveAt = Infinity;
  /** Consecutive retransmission timeouts for the oldest unacknowledged segment. */
  retries = 0;
  /** Persist probes sent since the window closed (for the backoff). */
  persistProbes = 0;
  /** Round-trip timing of one segment (Karn's rule: never a retransmitted one). */
  rttSeq: number | undefined;
  rttStart = 0;
  /**
   * Our TSval when the retransmission timer last fired, undefined before: an ACK echoing an older
   * TSval names a transmission from before the timeout and gives no RTT sample (RFC 6298 §5.7, Karn).
   */
  timeoutTsValue: number | undefined;

  // Nagle and delayed ACK (RFC 9293 §3.7.4, RFC 1122 §4.2.3.2, RFC 5681 §4.2).
  /** setNoDelay(true): Nagle's algorithm off. */
  noDelay: boolean;
  /** End of the last sub-MSS segment sent (Minshall's Nagle: hold another while it is unacknowledged). */
  lastSmallSegmentEnd: number;
  /** Bytes received in order since our last ACK (ACK at least every second full-sized segment). */
  unackedReceived = 0;
  /** Data segments still to acknowledge at once (quick-ack at connection start). */
  quickAcksLeft: number;

  // Loss recovery (recovery.ts): RFC 5681 §3.2, RFC 6582, RFC 6675.
  /** Duplicate ACKs in a row. */
  dupAcks = 0;
  /** In fast recovery (NewReno, or SACK-based when SACK was negotiated). */
  inRecovery = false;
  /** RFC 6582 "recover": the highest sequence number sent when recovery (or a timeout) began. */
  recoverySeq: number;
  /** NewReno's window inflation above cwnd while in recovery (RFC 5681 §3.2 steps 3–4). */
  recoveryInflation = 0;
  /** RFC 6582 §3.2 step 5: the first partial ACK resets the retransmission timer. */
  firstPartialAck = false;
  readonly sackScoreboard = new SackScoreboard();
  readonly sackReceiver = new SackReceiver();
  readonly cwndValidation = new CwndValidation();

  // Keepalive and user timeout (RFC 1122 §4.2.3.6, RFC 5482).
  keepAliveEnabled: boolean;
  keepAliveIdle: number;
  keepAliveProbes = 0;
  /** When the last acceptable segment arrived (the keepalive idle count starts here). */
  lastSegmentAt: number;
  /** Abort when sent data stays unacknowledged this long (ms); 0 = off. */
  userTimeout: number;
  /** When SND.UNA last advanced, or data went out with nothing outstanding. */
  lastAckProgressAt: number;

  private segments: TcpRepr[] = [];
  private events: TcpEvent[] = [];

  constructor(params: TcpConnectionParams) {
    this.localAddress = params.localAddress;
    this.localPort = params.localPort;
    this.remoteAddress = params.remoteAddress;
    this.remotePort = params.remotePort;
    this.config = params.config;
    this.counters = params.counters;
    this.iss = params.iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.advertisedMss = params.mss ?? params.config.mss;
    this.peerMss = params.localAddress.family === 6 ? 1220 : 536;
    this.tsOffset = seqAdd(this.iss, 0x5a5a5a5a);
    this.sendBuffer = new SendBuffer(params.config.sendBufferSize);
    this.receiveBuffer = new ReceiveBuffer(params.config.receiveBufferSize);
    this.receiveSpace = new ReceiveSpace(params.now);
    this.rto = new RtoEstimator(params.config);
    this.congestion = createCongestionControl(params.config.congestionControl, this.advertisedMss, params.config.initialCwndSegments);
    this.challengeAcks = params.config.challengeAckLimiter ?? new ChallengeAckLimiter(params.config.challengeAckLimit);
    this.noDelay = params.config.noDelay;
    this.lastSmallSegmentEnd = this.iss;
    this.quickAcksLeft = params.config.quickAcks;
    this.recoverySeq = this.iss;
    this.keepAliveEnabled = params.config.keepAlive;
    this.keepAliveIdle = params.config.keepAliveIdle;
    this.userTimeout = params.config.userTimeout;
    this.lastAckProgressAt = params.now;
    this.lastSegmentAt = params.now;
    this.tsRecentAt = params.now;
  }

  /** Largest payload per segment: the smaller MSS, less the timestamp option (RFC 9293 §3.7.1). */
  get sendMss(): number {
    return Math.max(1, Math.min(this.peerMss, this.advertisedMss, this.pathMss) - (this.timestamps ? 12 : 0));
  }

  /** The highest acknowledgment number the peer may send: SND.MAX, or a probe byte's end. */
  get highestAckable(): number {
    return this.sndProbeEnd !== undefined && seqGt(this.sndProbeEnd, this.sndMax) ? this.sndProbeEnd : this.sndMax;
  }

  /** Sequence number of the first byte in the send buffer. */
  get sendBufferStart(): number {
    return this.synAcked ? this.sndUna : seqAdd(this.iss, 1);
  }

  /** Sequence number our FIN takes (valid once finQueued). */
  get finSeq(): number {
    return seqAdd(this.sendBufferStart, this.sendBuffer.length);
  }

  /** Our TSval at `now` (RFC 7323 §5.4: a 1 ms clock with a per-connection offset). */
  tsValue(now: number): number {
    return (Math.floor(now) + this.tsOffset) >>> 0;
  }

  canWrite(): boolean {
    return !this.finQueued && (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED' || this.state === 'ESTABLISHED' || this.state === 'CLOSE-WAIT');
  }

  setState(to: TcpState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.events.push({ type: 'state', from, to });
    if (to === 'ESTABLISHED') this.events.push({ type: 'established' });
    if (to === 'CLOSED') {
      this.retransmitAt = this.persistAt = this.timeWaitAt = this.delayedAckAt = this.keepaliveAt = Infinity;
      this.events.push({ type: 'closed' });
    }
  }

  /** RFC 9293 §3.10.4 CLOSE call, per state. */
  requestClose(now: number): void {
    void now;
    switch (this.state) {
      case 'SYN-SENT':
        this.setState('CLOSED'); // §3.10.4: SYN-SENT — delete the TCB
        return;
      case 'SYN-RECEIVED':
        this.finQueued = true; // §3.10.4: queued until ESTABLISHED is entered
        return;
      case 'ESTABLISHED':
        this.finQueued = true;
        this.setState('FIN-WAIT-1'); // §3.10.4: ESTABLISHED — FIN after queued data, enter FIN-WAIT-1
        return;
      case 'CLOSE-WAIT':
        this.finQueued = true;
        this.setState('LAST-ACK'); // §3.10.4: CLOSE-WAIT — FIN after queued data, enter LAST-ACK
        return;
      default:
        return; // already closing or closed: nothing more to do
    }
  }

  fail(code: TcpErrorCode): void {
    this.events.push({ type: 'error', code });
    this.setState('CLOSED');
  }

  emitEvent(event: TcpEvent): void {
    this.events.push(event);
  }

  queueSegment(segment: TcpRepr): void {
    this.segments.push(segment);
    this.counters?.count('tcp.segmentsOut');
  }

  count(name: string): void {
    this.counters?.count(`tcp.${name}`);
  }

  drop(reason: string): void {
    this.counters?.drop('tcp', reason);
  }

  takeSegments(): TcpRepr[] {
    const out = this.segments;
    this.segments = [];
    return out;
  }

  takeEvents(): TcpEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}
