/**
 * What a connection sends: the SYN / SYN-ACK, data and FIN within the peer's window and the
 * congestion window, pure ACKs, window updates, RSTs and challenge ACKs. All segments go to the
 * Tcb's queue as TcpReprs (payloads are send-buffer slices).
 */
import { NO_OPTIONS, type TcpOptions } from './options.js';
import { TcpFlags, type TcpRepr } from './segment.js';
import { seqAdd, seqDiff, seqGt, seqLt, seqMin } from './seq.js';
import { canSendData, isSynchronized, type Tcb } from './tcb.js';
import { synOptions } from './handshake.js';
import { nagleHolds, noteSmallSegment } from './nagle.js';
import { bytesInFlight, congestionWindow, flightSize, sendSackRetransmissions, sendSackTailRetransmissions } from './recovery.js';

const EMPTY = new Uint8Array(0);

/** The window field to advertise, updating the advertised right edge (RFC 9293 §3.8.6.2.2). */
export function advertiseWindow(tcb: Tcb, syn: boolean): number {
  const available = tcb.receiveBuffer.window;
  if (syn) {
    // RFC 7323 §2.2: the window field of a SYN is never scaled.
    const field = Math.min(available, 0xffff);
    tcb.rcvAdvertisedEdge = seqAdd(tcb.rcvNxt, field);
    return field;
  }
  const scale = 2 ** tcb.rcvWindShift;
  const current = Math.max(0, seqDiff(tcb.rcvAdvertisedEdge, tcb.rcvNxt));
  let window = available;
  // RFC 9293 §3.8.6.2.2: never shrink the window (the right edge does not move left), and
  // receiver SWS avoidance: open it only by at least min(RCV.BUFF / 2, MSS).
  if (window < current || window - current < windowUpdateThreshold(tcb)) window = current;
  let field = Math.min(Math.floor(window / scale), 0xffff);
  // RFC 7323 Appendix F: on the scale's granularity, keeping the edge means rounding up — but
  // never past what the buffer holds (data in the window must fit); else retract by < 2^shift.
  const keptEdge = Math.ceil(current / scale);
  if (field * scale < current && keptEdge * scale <= available) field = Math.min(keptEdge, 0xffff);
  const edge = seqAdd(tcb.rcvNxt, field * scale);
  if (seqGt(edge, tcb.rcvAdvertisedEdge)) tcb.rcvAdvertisedEdge = edge;
  return field;
}

/** How much the window must grow before it is worth announcing (RFC 9293 §3.8.6.2.2). */
export function windowUpdateThreshold(tcb: Tcb): number {
  return Math.min(Math.floor(tcb.receiveBuffer.capacity / 2), tcb.advertisedMss);
}

/** True when reads have reopened the window enough for a window update. */
export function windowUpdateDue(tcb: Tcb): boolean {
  if (tcb.state !== 'ESTABLISHED' && tcb.state !== 'FIN-WAIT-1' && tcb.state !== 'FIN-WAIT-2') return false;
  const current = Math.max(0, seqDiff(tcb.rcvAdvertisedEdge, tcb.rcvNxt));
  return tcb.receiveBuffer.window - current >= windowUpdateThreshold(tcb);
}

function segmentOptions(tcb: Tcb, now: number, payloadLength: number): TcpOptions {
  // RFC 7323 §3.2: once negotiated, every non-RST segment carries a timestamp echoing TS.Recent.
  const timestamp = tcb.timestamps ? { value: tcb.tsValue(now), echo: tcb.tsRecent } : undefined;
  if (tcb.sackPermitted && tcb.sackReceiver.hasBlocks) {
    // RFC 2018 §3: as many blocks as fit (3 beside a timestamp, else 4), and never so many that
    // the segment outgrows the MSS.
    const room = Math.min(tcb.peerMss, tcb.advertisedMss, tcb.pathMss) - (timestamp ? 12 : 0) - payloadLength;
    const fit = Math.min(timestamp ? 3 : 4, Math.floor((room - 4) / 8));
    if (fit > 0) {
      const sackBlocks = tcb.sackReceiver.take(fit);
      return timestamp ? { timestamp, sackBlocks } : { sackBlocks };
    }
  }
  return timestamp ? { timestamp } : NO_OPTIONS;
}

/** Build and queue a segment from the current variables; ACK segments record Last.ACK.sent. */
function queue(tcb: Tcb, now: number, flags: number, seq: number, payload: Uint8Array, options?: TcpOptions): void {
  const syn = (flags & TcpFlags.SYN) !== 0;
  const withAck = (flags & TcpFlags.ACK) !== 0;
  if (withAck) {
    tcb.lastAckSent = tcb.rcvNxt;
    // RFC 1122 §4.2.3.2: any segment carrying our ACK settles the delayed ACK.
    tcb.delayedAckAt = Infinity;
    tcb.unackedReceived = 0;
  }
  tcb.queueSegment({
    srcPort: tcb.localPort,
    dstPort: tcb.remotePort,
    seq,
    ack: withAck ? tcb.rcvNxt : 0,
    flags,
    window: advertiseWindow(tcb, syn),
    urgent: 0,
    options: options ?? (syn ? NO_OPTIONS : segmentOptions(tcb, now, payload.length)),
    payload,
  });
}

/** RFC 9293 §3.10.1 OPEN call (active): enter SYN-SENT and send <SEQ=ISS><CTL=SYN>. */
export function sendOpeningSyn(tcb: Tcb, now: number): void {
  tcb.setState('SYN-SENT'); // §3.10.1: active OPEN → SYN-SENT
  sendSyn(tcb, now);
}

/** (Re)send our SYN — or SYN-ACK in SYN-RECEIVED — and arm the retransmission timer. */
export function sendSyn(tcb: Tcb, now: number): void {
  const synAck = tcb.state === 'SYN-RECEIVED';
  const first = tcb.sndMax === tcb.iss;
  queue(tcb, now, synAck ? TcpFlags.SYN | TcpFlags.ACK : TcpFlags.SYN, tcb.iss, EMPTY, synOptions(tcb, now, synAck));
  tcb.sndNxt = seqAdd(tcb.iss, 1);
  if (first) {
    tcb.sndMax = tcb.sndNxt;
    tcb.rttSeq = tcb.sndNxt;
    tcb.rttStart = now;
  } else {
    tcb.rttSeq = undefined; // Karn's rule (RFC 6298 §3): a retransmitted SYN gives no sample
  }
  if (tcb.retransmitAt === Infinity) tcb.retransmitAt = now + tcb.rto.rto;
}

/** A pure ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (SND.NXT before any timeout rewind: SND.MAX). */
export function sendAck(tcb: Tcb, now: number): void {
  queue(tcb, now, TcpFlags.ACK, tcb.sndMax, EMPTY);
}

/** RFC 5961 §3.2, §4.2, §5.2: a challenge ACK, subject to the rate limit (§7). */
export function sendChallengeAck(tcb: Tcb, now: number): void {
  if (!tcb.challengeAcks.allow(now)) {
    tcb.count('challengeAcksSuppressed');
    return;
  }
  tcb.count('challengeAcks');
  sendAck(tcb, now);
}

/** A reset from this connection: <SEQ=seq><CTL=RST>. */
export function sendReset(tcb: Tcb, seq: number): void {
  tcb.queueSegment({
    srcPort: tcb.localPort,
    dstPort: tcb.remotePort,
    seq: seq >>> 0,
    ack: 0,
    flags: TcpFlags.RST,
    window: 0,
    urgent: 0,
    options: NO_OPTIONS,
    payload: EMPTY,
  });
  tcb.count('resetsOut');
}

/** RFC 9293 §3.10.5 ABORT call. */
export function abortConnection(tcb: Tcb, now: number): void {
  void now;
  if (tcb.state === 'CLOSED') return;
  // §3.10.5: in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT send <SEQ=SND.NXT><CTL=RST>;
  // in SYN-SENT, CLOSING, LAST-ACK and TIME-WAIT just delete the TCB.
  const state = tcb.state;
  if (state === 'SYN-RECEIVED' || state === 'ESTABLISHED' || state === 'FIN-WAIT-1' || state === 'FIN-WAIT-2' || state === 'CLOSE-WAIT') {
    sendReset(tcb, tcb.sndMax);
  }
  tcb.setState('CLOSED'); // §3.10.5: enter CLOSED
}

/** Persist interval after `probes` probes: the RTO, doubled per probe (RFC 9293 §3.8.6.1). */
export function persistInterval(tcb: Tcb): number {
  return Math.min(tcb.config.maxRto, tcb.rto.rto * 2 ** tcb.persistProbes);
}

/**
 * Send what the state and the windows allow, then a pure ACK if one is owed and nothing else
 * carried it. Called after every event.
 */
export function transmit(tcb: Tcb, now: number, options?: { windowUpdateCheck?: boolean }): void {
  if (tcb.state === 'CLOSED') {
    tcb.ackNeeded = false;
    return;
  }
  if (options?.windowUpdateCheck && windowUpdateDue(tcb)) tcb.ackNeeded = true;
  let sent = false;
  if (canSendData(tcb.state)) {
    sent = sendSackRetransmissions(tcb, now); // RFC 6675 NextSeg rule 1
    sent = sendData(tcb, now) || sent; // rule 2: new data
    sent = sendSackTailRetransmissions(tcb, now) || sent; // rule 3
  }
  if (tcb.ackNeeded && !sent && isSynchronizedOrSynReceived(tcb)) sendAck(tcb, now);
  tcb.ackNeeded = false;
}

function isSynchronizedOrSynReceived(tcb: Tcb): boolean {
  return isSynchronized(tcb.state) || tcb.state === 'SYN-RECEIVED';
}

/**
 * Data and FIN from SND.NXT: RFC 9293 §3.8.6 (windows), §3.8.6.2.1 (sender SWS), §3.7.4 (Nagle),
 * RFC 5681 / RFC 6675 (the congestion window against FlightSize or pipe), RFC 6298 §5.1.
 */
function sendData(tcb: Tcb, now: number): boolean {
  const mss = tcb.sendMss;
  const finAllowed = tcb.finQueued && !tcb.finAcked && (tcb.state === 'FIN-WAIT-1' || tcb.state === 'LAST-ACK' || tcb.state === 'CLOSING');
  if (tcb.cwndValidation.nonValidatedPeriodExpired(now)) {
    // RFC 7661 §4.3: after a whole non-validated period, halve cwnd (not below the initial window).
    tcb.congestion.limitWindow(Math.max(tcb.congestion.window() / 2, tcb.config.initialCwndSegments * mss));
  }
  const cwnd = congestionWindow(tcb);
  let sent = false;
  for (let guard = 0; guard < 100_000; guard++) {
    const base = tcb.sendBufferStart;
    // RFC 6675 §5.1: resending after a timeout skips what the peer has SACKed.
    if (tcb.sackPermitted && seqLt(tcb.sndNxt, tcb.sndMax)) {
      const sacked = tcb.sackScoreboard.rangeAt(tcb.sndNxt);
      if (sacked !== undefined) {
        tcb.sndNxt = seqMin(sacked.right, tcb.sndMax);
        continue;
      }
    }
    const offset = seqDiff(tcb.sndNxt, base);
    const buffered = tcb.sendBuffer.length;
    const unsent = buffered - offset;
    if (unsent < 0) break; // our FIN is already out
    const inFlight = seqDiff(tcb.sndNxt, tcb.sndUna);
    const usable = Math.min(tcb.sndWnd - inFlight, cwnd - bytesInFlight(tcb));
    let length = Math.max(0, Math.min(unsent, usable, mss));
    if (tcb.sackPermitted && seqLt(tcb.sndNxt, tcb.sndMax)) {
      const nextSacked = tcb.sackScoreboard.nextSackedAbove(tcb.sndNxt);
      if (nextSacked !== undefined) length = Math.min(length, seqDiff(nextSacked, tcb.sndNxt));
    }
    // RFC 9293 §3.8.6.2.1: sender SWS avoidance — hold a short, window-limited segment while
    // data is in flight, unless it is at least half the largest window the peer offered.
    if (length > 0 && length < mss && length < unsent && inFlight > 0 && length < tcb.maxSndWnd / 2) length = 0;
    if (nagleHolds(tcb, tcb.sndNxt, length, unsent, finAllowed)) length = 0;
    const fin = finAllowed && offset + length === buffered;
    if (length === 0 && !fin) break;
    const seq = tcb.sndNxt;
    const payload = length > 0 ? tcb.sendBuffer.slice(offset, length) : EMPTY;
    let flags = TcpFlags.ACK;
    if (length > 0 && offset + length === buffered) flags |= TcpFlags.PSH;
    if (fin) flags |= TcpFlags.FIN;
    const retransmission = seqLt(seq, tcb.sndMax);
    if (!retransmission && tcb.sndMax === tcb.sndUna) tcb.lastAckProgressAt = now; // the user timeout counts from here
    queue(tcb, now, flags, seq, payload);
    sent = true;
    tcb.sndNxt = seqAdd(seq, length + (fin ? 1 : 0));
    if (retransmission) tcb.count('retransmittedSegments');
    else noteSmallSegment(tcb, tcb.sndNxt, length);
    if (seqGt(tcb.sndNxt, tcb.sndMax)) tcb.sndMax = tcb.sndNxt;
    tcb.cwndValidation.onSend(flightSize(tcb), now, tcb.rto.srtt);
    // Karn's rule (RFC 6298 §3): time only a segment that is sent for the first time.
    if (!retransmission && tcb.rttSeq === undefined && !tcb.timestamps) {
      tcb.rttSeq = tcb.sndNxt;
      tcb.rttStart = now;
    }
    if (tcb.retransmitAt === Infinity) tcb.retransmitAt = now + tcb.rto.rto; // RFC 6298 §5.1
    tcb.persistAt = Infinity;
    tcb.persistProbes = 0;
    if (fin) break;
  }
  updatePersistTimer(tcb, now);
  return sent;
}

/**
 * Resend up to `maxLength` bytes from `seq` (below SND.MAX) without moving SND.NXT: fast
 * retransmit (RFC 5681 §3.2), NewReno partial ACKs (RFC 6582), SACK holes (RFC 6675). Returns
 * the sequence space resent (with the FIN if it falls there).
 */
export function retransmitFrom(tcb: Tcb, seq: number, maxLength: number, now: number): number {
  const offset = seqDiff(seq, tcb.sendBufferStart);
  const buffered = tcb.sendBuffer.length;
  if (offset < 0 || !seqLt(seq, tcb.sndMax)) return 0;
  const length = Math.max(0, Math.min(maxLength, buffered - offset, seqDiff(tcb.sndMax, seq)));
  const finSent = tcb.finQueued && !tcb.finAcked && seqGt(tcb.sndMax, tcb.finSeq);
  const fin = finSent && offset + length === buffered;
  if (length === 0 && !fin) return 0;
  let flags = TcpFlags.ACK;
  if (length > 0 && offset + length === buffered) flags |= TcpFlags.PSH;
  if (fin) flags |= TcpFlags.FIN;
  queue(tcb, now, flags, seq, length > 0 ? tcb.sendBuffer.slice(offset, length) : EMPTY);
  tcb.count('retransmittedSegments');
  // Karn's rule (RFC 6298 §3): a timed segment that is resent gives no sample.
  if (tcb.rttSeq !== undefined && seqGt(tcb.rttSeq, seq)) tcb.rttSeq = undefined;
  if (tcb.retransmitAt === Infinity) tcb.retransmitAt = now + tcb.rto.rto;
  return length + (fin ? 1 : 0);
}

/** RFC 1122 §4.2.3.6: a keepalive probe, <SEQ=SND.NXT−1><ACK=RCV.NXT>, no data (the peer answers with an ACK). */
export function sendKeepaliveProbe(tcb: Tcb, now: number): void {
  queue(tcb, now, TcpFlags.ACK, seqAdd(tcb.sndMax, -1), EMPTY);
  tcb.count('keepaliveProbes');
}

/** RFC 9293 §3.8.6.1: with a zero window, data waiting and nothing in flight, probe the window. */
function updatePersistTimer(tcb: Tcb, now: number): void {
  const unsent = tcb.sendBuffer.length - seqDiff(tcb.sndNxt, tcb.sendBufferStart);
  const waiting = unsent > 0 && tcb.sndWnd === 0 && tcb.sndNxt === tcb.sndUna;
  if (!waiting) {
    if (tcb.sndWnd > 0) {
      tcb.persistAt = Infinity;
      tcb.persistProbes = 0;
    }
    return;
  }
  tcb.retransmitAt = Infinity;
  if (tcb.persistAt === Infinity) tcb.persistAt = now + persistInterval(tcb);
}

/** A zero-window probe: one byte of new data at SND.NXT, SND.NXT itself unchanged (§3.8.6.1). */
export function sendWindowProbe(tcb: Tcb, now: number): void {
  const offset = seqDiff(tcb.sndNxt, tcb.sendBufferStart);
  if (offset >= tcb.sendBuffer.length) return;
  const payload = tcb.sendBuffer.slice(offset, 1);
  queue(tcb, now, TcpFlags.ACK, tcb.sndNxt, payload);
  if (tcb.sndMax === tcb.sndUna && tcb.sndProbeEnd === undefined) tcb.lastAckProgressAt = now;
  tcb.sndProbeEnd = seqAdd(tcb.sndNxt, 1);
  tcb.count('windowProbes');
}
