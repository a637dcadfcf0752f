/**
 * TCP options with their defaults. One resolved TcpConfig is shared by the connections of a
 * stack (or given per connection); `resolveTcpConfig` checks a partial one and fills defaults.
 */
import { InvalidArgumentError } from '../errors.js';
import { ChallengeAckLimiter } from './challenge-ack.js';

/** 'cubic' (RFC 9438, the default as in Linux), 'reno' (NewReno, RFC 5681 + RFC 6582), 'none' (window only). */
export type CongestionControlName = 'cubic' | 'reno' | 'none';
const CONGESTION_CONTROL_NAMES: readonly string[] = ['cubic', 'reno', 'none'];

export interface TcpConfig {
  /** Bytes the application may queue for sending (write() accepts up to this). */
  readonly sendBufferSize: number;
  /** Bytes of received data held for the application at first; the advertised window follows it. */
  readonly receiveBufferSize: number;
  /**
   * Receive-buffer autotuning: the buffer (and so the window) may grow up to this many bytes
   * while the application reads as fast as data arrives (like Linux's tcp_rmem[2]); at or below
   * receiveBufferSize (e.g. 0) the buffer stays fixed. The window-scale shift is chosen for it.
   */
  readonly receiveBufferMax: number;
  /** MSS we advertise when the route does not say (RFC 9293 §3.7.1); 1460 = 1500 - 40. */
  readonly mss: number;
  /** Offer window scaling (RFC 7323 §2). */
  readonly windowScaling: boolean;
  /** Offer timestamps (RFC 7323 §3). */
  readonly timestamps: boolean;
  /** Offer SACK-permitted (RFC 2018 §2): SACK blocks on receive, RFC 6675 loss recovery on send. */
  readonly sack: boolean;
  /** Maximum segment lifetime in ms; TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2). */
  readonly msl: number;
  /** RFC 6298 §2.4 says 1 s; Linux uses 200 ms, so do we by default. */
  readonly minRto: number;
  /** RFC 6298 §2.5: an upper bound may be placed on RTO, at least 60 s. */
  readonly maxRto: number;
  /** RFC 6298 §2.1: RTO before any sample, 1 s. */
  readonly initialRto: number;
  /** SYN (and SYN-ACK) retransmissions before ETIMEDOUT (Linux tcp_syn_retries = 6). */
  readonly synRetries: number;
  /** Data retransmissions before ETIMEDOUT (Linux tcp_retries2 = 15). */
  readonly dataRetries: number;
  /** Initial congestion window in segments (RFC 6928: 10). */
  readonly initialCwndSegments: number;
  /** 'cubic' (RFC 9438), 'reno' (NewReno: RFC 5681, RFC 6582) or 'none' (window only, for exact tests). */
  readonly congestionControl: CongestionControlName;
  /** Disable Nagle's algorithm (RFC 9293 §3.7.4): send small segments at once (TCP_NODELAY). */
  readonly noDelay: boolean;
  /** Delayed-ACK timer in ms (RFC 1122 §4.2.3.2: well below 500 ms); 0 acknowledges every segment at once. */
  readonly delayedAckTimeout: number;
  /** Data segments acknowledged at once at the start of a connection (quick-ack, like Linux's 16). */
  readonly quickAcks: number;
  /** Duplicate ACKs that trigger a fast retransmit (RFC 5681 §3.2 DupThresh = 3). */
  readonly dupThresh: number;
  /** Send keepalive probes on an idle connection (RFC 1122 §4.2.3.6; off by default, as the RFC asks). */
  readonly keepAlive: boolean;
  /** Idle time before the first keepalive probe, ms (RFC 1122 §4.2.3.6: no less than two hours by default). */
  readonly keepAliveIdle: number;
  /** Time between unanswered keepalive probes, ms (Linux tcp_keepalive_intvl = 75 s). */
  readonly keepAliveInterval: number;
  /** Unanswered probes before the connection fails with ETIMEDOUT (Linux tcp_keepalive_probes = 9). */
  readonly keepAliveCount: number;
  /** RFC 5482 semantics: abort (ETIMEDOUT) when sent data stays unacknowledged this long, ms; 0 = off. */
  readonly userTimeout: number;
  /** RFC 7323 §5.5: PAWS forgets TS.Recent after this idle time (24 days). */
  readonly pawsIdleLimit: number;
  /** Challenge ACKs per second (RFC 5961 §7 suggests a global limit: share `challengeAckLimiter`). */
  readonly challengeAckLimit: number;
  /** A limiter shared by every connection of a stack; when absent each connection has its own. */
  readonly challengeAckLimiter?: ChallengeAckLimiter;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = Object.freeze({
  sendBufferSize: 256 * 1024,
  receiveBufferSize: 256 * 1024,
  receiveBufferMax: 4 * 1024 * 1024,
  mss: 1460,
  windowScaling: true,
  timestamps: true,
  sack: true,
  msl: 30_000,
  minRto: 200,
  maxRto: 120_000,
  initialRto: 1000,
  synRetries: 6,
  dataRetries: 15,
  initialCwndSegments: 10,
  congestionControl: 'cubic',
  challengeAckLimit: 10,
  noDelay: false,
  delayedAckTimeout: 40,
  quickAcks: 16,
  dupThresh: 3,
  keepAlive: false,
  keepAliveIdle: 7_200_000,
  keepAliveInterval: 75_000,
  keepAliveCount: 9,
  userTimeout: 0,
  pawsIdleLimit: 24 * 24 * 3600 * 1000,
});

/** Fill defaults and check ranges; throws InvalidArgumentError for a bad value. */
export function resolveTcpConfig(partial: Partial<TcpConfig> = {}): TcpConfig {
  const config: TcpConfig = { ...DEFAULT_TCP_CONFIG, ...stripUndefined(partial) };
  positiveInteger('sendBufferSize', config.sendBufferSize, 1, 2 ** 30);
  positiveInteger('receiveBufferSize', config.receiveBufferSize, 1, 2 ** 30);
  positiveInteger('receiveBufferMax', config.receiveBufferMax, 0, 2 ** 30);
  positiveInteger('mss', config.mss, 64, 65535);
  positiveInteger('msl', config.msl, 0, 2 ** 31);
  positiveInteger('synRetries', config.synRetries, 0, 255);
  positiveInteger('dataRetries', config.dataRetries, 0, 255);
  positiveInteger('initialCwndSegments', config.initialCwndSegments, 1, 1000);
  positiveInteger('challengeAckLimit', config.challengeAckLimit, 0, 1e9);
  if (!(config.minRto > 0 && config.minRto <= config.maxRto)) throw new InvalidArgumentError(`minRto must be > 0 and <= maxRto, got ${config.minRto}`);
  if (!(config.initialRto >= config.minRto && config.initialRto <= config.maxRto)) {
    throw new InvalidArgumentError(`initialRto must lie within [minRto, maxRto], got ${config.initialRto}`);
  }
  if (!CONGESTION_CONTROL_NAMES.includes(config.congestionControl)) {
    throw new InvalidArgumentError(`congestionControl must be one of ${CONGESTION_CONTROL_NAMES.join(', ')}, got ${String(config.congestionControl)}`);
  }
  positiveInteger('delayedAckTimeout', config.delayedAckTimeout, 0, 500); // RFC 1122 §4.2.3.2: MUST be less than 0.5 s
  positiveInteger('quickAcks', config.quickAcks, 0, 1000);
  positiveInteger('dupThresh', config.dupThresh, 1, 100);
  positiveInteger('keepAliveIdle', config.keepAliveIdle, 1, 2 ** 31);
  positiveInteger('keepAliveInterval', config.keepAliveInterval, 1, 2 ** 31);
  positiveInteger('keepAliveCount', config.keepAliveCount, 1, 255);
  positiveInteger('userTimeout', config.userTimeout, 0, 2 ** 31);
  positiveInteger('pawsIdleLimit', config.pawsIdleLimit, 1, 2 ** 40);
  return Object.freeze(config);
}

function positiveInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`TCP option ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
