/**
 * The opening handshake's option negotiation (RFC 9293 §3.7.1 MSS, RFC 7323 §2 window scale
 * and §3 timestamps, RFC 2018 §2 SACK-permitted) and the passive open from a listener's SYN.
 */
import type { TcpConfig } from './config.js';
import type { TcpOptions } from './options.js';
import type { TcpRepr } from './segment.js';
import { seqAdd } from './seq.js';
import type { Tcb } from './tcb.js';
import { sendSyn } from './connection-output.js';

/** RFC 7323 §2.3: the largest shift allowed is 14. */
export const MAX_WINDOW_SHIFT = 14;

/** The smallest shift that lets the receive buffer fit the 16-bit window field. */
export function windowShiftFor(config: TcpConfig): number {
  let shift = 0;
  // Autotuning may grow the buffer to receiveBufferMax: the shift must let that window be said.
  const largest = Math.max(config.receiveBufferSize, config.receiveBufferMax);
  while (shift < MAX_WINDOW_SHIFT && largest / 2 ** shift > 0xffff) shift++;
  return shift;
}

/**
 * Options of our SYN (everything enabled) or SYN-ACK (only what the peer's SYN offered:
 * RFC 7323 §2.2 and §3.2, RFC 2018 §2).
 */
export function synOptions(tcb: Tcb, now: number, synAck: boolean): TcpOptions {
  const config = tcb.config;
  const options: { -readonly [K in keyof TcpOptions]: TcpOptions[K] } = { mss: tcb.advertisedMss };
  if (synAck ? tcb.windowScaling : config.windowScaling) options.windowScale = windowShiftFor(config);
  if (synAck ? tcb.sackPermitted : config.sack) options.sackPermitted = true;
  if (synAck ? tcb.timestamps : config.timestamps) options.timestamp = { value: tcb.tsValue(now), echo: synAck ? tcb.tsRecent : 0 };
  return options;
}

/** Take the peer's SYN options; each feature is on only when both sides offered it. */
export function negotiateFromSyn(tcb: Tcb, syn: TcpRepr): void {
  const config = tcb.config;
  const options = syn.options;
  // RFC 9293 §3.7.1: without an MSS option assume 536 (IPv4) or 1220 (IPv6).
  if (options.mss !== undefined && options.mss > 0) tcb.peerMss = options.mss;
  // RFC 7323 §2.2: window scaling only when both SYNs carry the option; shifts above 14 are 14.
  if (config.windowScaling && options.windowScale !== undefined) {
    tcb.windowScaling = true;
    tcb.sndWindShift = Math.min(options.windowScale, MAX_WINDOW_SHIFT);
    tcb.rcvWindShift = windowShiftFor(config);
  } else {
    tcb.windowScaling = false;
    tcb.sndWindShift = 0;
    tcb.rcvWindShift = 0;
  }
  // RFC 7323 §3.2: timestamps only when both SYNs carry them; TS.Recent from the SYN.
  tcb.timestamps = config.timestamps && options.timestamp !== undefined;
  if (tcb.timestamps) tcb.tsRecent = options.timestamp!.value;
  // RFC 2018 §2: SACK-permitted when both offered it.
  tcb.sackPermitted = config.sack && options.sackPermitted === true;
  tcb.congestion.setMss(tcb.sendMss);
}

/** Record the peer's initial sequence number and (unscaled, RFC 7323 §2.2) SYN window. */
export function takePeerSyn(tcb: Tcb, syn: TcpRepr): void {
  tcb.irs = syn.seq;
  tcb.rcvNxt = seqAdd(syn.seq, 1);
  tcb.rcvAdvertisedEdge = tcb.rcvNxt;
  tcb.sndWnd = syn.window;
  tcb.maxSndWnd = Math.max(tcb.maxSndWnd, syn.window);
  tcb.sndWl1 = syn.seq;
  tcb.sndWl2 = syn.ack;
  negotiateFromSyn(tcb, syn);
}

/** RFC 9293 §3.10.7.2 LISTEN, SYN bit: set RCV.NXT/IRS, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
export function openFromSyn(tcb: Tcb, syn: TcpRepr, now: number): void {
  tcb.state = 'LISTEN';
  tcb.passiveOpen = true;
  takePeerSyn(tcb, syn);
  tcb.sndWl2 = tcb.iss;
  tcb.setState('SYN-RECEIVED'); // §3.10.7.2: LISTEN + SYN → SYN-RECEIVED
  sendSyn(tcb, now);
}
