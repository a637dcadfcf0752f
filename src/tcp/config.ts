/**
 * TCP options with their defaults. One resolved TcpConfig is shared by the connections of a
 * stack (or given per connection); `resolveTcpConfig` checks a partial one and fills defaults.
 */
import { InvalidArgumentError } from '../errors.js';
import { ChallengeAckLimiter } from './challenge-ack.js';

export type CongestionControlName = 'reno' | 'none';

export interface TcpConfig {
  /** Bytes the application may queue for sending (write() accepts up to this). */
  readonly sendBufferSize: number;
  /** Bytes of received data held for the application; the advertised window follows it. */
  readonly receiveBufferSize: number;
  /** MSS we advertise when the route does not say (RFC 9293 §3.7.1); 1460 = 1500 - 40. */
  readonly mss: number;
  /** Offer window scaling (RFC 7323 §2). */
  readonly windowScaling: boolean;
  /** Offer timestamps (RFC 7323 §3). */
  readonly timestamps: boolean;
  /** Offer SACK-permitted (RFC 2018 §2); the SACK scoreboard itself is not built yet. */
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
  /** 'reno' (slow start + congestion avoidance, RFC 5681) or 'none' (window only, for exact tests). */
  readonly congestionControl: CongestionControlName;
  /** Challenge ACKs per second (RFC 5961 §7 suggests a global limit: share `challengeAckLimiter`). */
  readonly challengeAckLimit: number;
  /** A limiter shared by every connection of a stack; when absent each connection has its own. */
  readonly challengeAckLimiter?: ChallengeAckLimiter;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = Object.freeze({
  sendBufferSize: 256 * 1024,
  receiveBufferSize: 256 * 1024,
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
  congestionControl: 'reno',
  challengeAckLimit: 10,
});

/** Fill defaults and check ranges; throws InvalidArgumentError for a bad value. */
export function resolveTcpConfig(partial: Partial<TcpConfig> = {}): TcpConfig {
  const config: TcpConfig = { ...DEFAULT_TCP_CONFIG, ...stripUndefined(partial) };
  positiveInteger('sendBufferSize', config.sendBufferSize, 1, 2 ** 30);
  positiveInteger('receiveBufferSize', config.receiveBufferSize, 1, 2 ** 30);
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
  if (config.congestionControl !== 'reno' && config.congestionControl !== 'none') {
    throw new InvalidArgumentError(`congestionControl must be 'reno' or 'none', got ${String(config.congestionControl)}`);
  }
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
