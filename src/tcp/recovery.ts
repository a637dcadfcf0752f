/**
 * Loss detection and recovery on ACK arrival: duplicate ACKs (RFC 5681 §2), fast retransmit and
 * NewReno fast recovery (RFC 5681 §3.2, RFC 6582 §3.2) without SACK, SACK-based recovery with
 * the RFC 6675 scoreboard and pipe when SACK was negotiated, and the exit on a full ACK. The
 * congestion-control algorithm (congestion.ts) only sizes cwnd and ssthresh; this file decides
 * what to resend and how the window behaves inside recovery.
 */
import type { TcpRepr } from './segment.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLt } from './seq.js';
import type { Tcb } from './tcb.js';
import { retransmitFrom } from './connection-output.js';

/** What the ACK step learned from one segment. */
export interface AckInfo {
  /** Sequence space newly acknowledged (SND.UNA moved by this much). */
  readonly newlyAcked: number;
  /** Data bytes among them (what congestion control counts, RFC 3465). */
  readonly dataAcked: number;
  /** RFC 5681 §2 (a)–(d): outstanding data, no payload, no SYN/FIN, SEG.ACK = SND.UNA. */
  readonly duplicateCandidate: boolean;
  /** RFC 5681 §2 (e): the advertised window did not change. */
  readonly sameWindow: boolean;
  /** The retransmission deadline before this ACK restarted it (RFC 6582 §3.2 step 5). */
  readonly previousRetransmitAt: number;
}

/** FlightSize (RFC 5681 §2): data sent and not yet acknowledged. */
export function flightSize(tcb: Tcb): number {
  return Math.max(0, seqDiff(tcb.sndMax, tcb.sndUna));
}

/** True while SACK-based loss recovery (RFC 6675) is running. */
export function inSackRecovery(tcb: Tcb): boolean {
  return tcb.inRecovery && tcb.sackPermitted;
}

/** The congestion window the sender works with now (NewReno inflation inside recovery). */
export function congestionWindow(tcb: Tcb): number {
  const cwnd = tcb.congestion.window();
  // RFC 3042 §2 limited transmit: the first two duplicate ACKs each let one new segment out
  // (FlightSize up to cwnd + 2·SMSS) without changing cwnd.
  if (!tcb.inRecovery) return tcb.dupAcks > 0 && tcb.dupAcks < tcb.config.dupThresh ? cwnd + Math.min(tcb.dupAcks, 2) * tcb.sendMss : cwnd;
  if (tcb.sackPermitted) return cwnd;
  return Math.max(tcb.sendMss, cwnd + tcb.recoveryInflation); // RFC 5681 §3.2 steps 3–4, RFC 6582 step 5
}

/** Bytes the sender counts against cwnd: RFC 6675's pipe in SACK recovery, else SND.NXT − SND.UNA. */
export function bytesInFlight(tcb: Tcb): number {
  if (inSackRecovery(tcb)) return tcb.sackScoreboard.pipe(tcb.sndUna, tcb.sndMax, tcb.config.dupThresh, tcb.sendMss);
  return Math.max(0, seqDiff(tcb.sndNxt, tcb.sndUna));
}

/** The ACK step's loss-recovery part, after SND.UNA and SND.WND were updated. */
export function onAckArrived(tcb: Tcb, segment: TcpRepr, info: AckInfo, now: number): void {
  let newlySacked = 0;
  if (tcb.sackPermitted) {
    tcb.sackScoreboard.advance(tcb.sndUna);
    newlySacked = tcb.sackScoreboard.update(segment.options.sackBlocks, tcb.sndUna, tcb.sndMax);
  }
  if (info.newlyAcked > 0) {
    tcb.dupAcks = 0;
    if (tcb.inRecovery) onAckInRecovery(tcb, info, now);
    else if (info.dataAcked > 0)
      tcb.congestion.onAck({ acked: info.dataAcked, now, srtt: tcb.rto.srtt, validated: tcb.cwndValidation.validated(tcb.congestion.window(), now) });
    if (!tcb.inRecovery && tcb.sackPermitted && lossBySack(tcb)) enterRecovery(tcb, now);
    return;
  }
  // RFC 5681 §2 duplicate ACK; with SACK (RFC 6675 §2) an ACK that SACKs new data counts too.
  if (!info.duplicateCandidate || !(info.sameWindow || newlySacked > 0)) return;
  tcb.dupAcks++;
  tcb.count('dupAcksIn');
  if (tcb.inRecovery) {
    if (!tcb.sackPermitted) tcb.recoveryInflation += tcb.sendMss; // RFC 5681 §3.2 step 4
    return;
  }
  if (tcb.dupAcks >= tcb.config.dupThresh || (tcb.sackPermitted && lossBySack(tcb))) enterRecovery(tcb, now);
}

/** RFC 6675 §5: IsLost(HighACK + 1) starts recovery even before DupThresh duplicate ACKs. */
function lossBySack(tcb: Tcb): boolean {
  return !tcb.sackScoreboard.isEmpty && tcb.sackScoreboard.isLost(tcb.sndUna, tcb.config.dupThresh, tcb.sendMss);
}

/**
 * RFC 6582 §3.2 step 2 / RFC 6675 §5 step 4: enter fast recovery — unless the cumulative ACK
 * does not cover more than `recover` (losses of a window already recovered from).
 */
function enterRecovery(tcb: Tcb, now: number): void {
  if (!seqGt(tcb.sndUna, tcb.recoverySeq)) return; // RFC 6582 §3.2 step 2: no new recovery
  if (flightSize(tcb) === 0) return;
  tcb.inRecovery = true;
  tcb.recoverySeq = tcb.sndMax; // RFC 6582 §3.2 step 3: recover = highest sequence number sent
  tcb.firstPartialAck = true;
  tcb.congestion.onLoss(flightSize(tcb), now); // RFC 5681 §3.2 step 2 / RFC 9438 §4.6: ssthresh, cwnd
  tcb.cwndValidation.onLoss();
  tcb.count('fastRetransmits');
  if (tcb.sackPermitted) {
    // RFC 6675 §5 step 4.3: retransmit the first segment NextSeg picks (or SND.UNA's), then
    // step C sends more while cwnd − pipe >= SMSS.
    tcb.sackScoreboard.highRxt = tcb.sndUna;
    const hole = tcb.sackScoreboard.nextLostHole(tcb.sndUna, tcb.config.dupThresh, tcb.sendMss);
    const seq = hole?.seq ?? tcb.sndUna;
    const sent = retransmitFrom(tcb, seq, Math.min(hole?.length ?? tcb.sendMss, tcb.sendMss), now);
    tcb.sackScoreboard.highRxt = seqAdd(seq, sent);
    return;
  }
  // RFC 5681 §3.2 step 3: retransmit the lost segment, cwnd = ssthresh + 3·SMSS.
  tcb.recoveryInflation = tcb.config.dupThresh * tcb.sendMss;
  retransmitFrom(tcb, tcb.sndUna, tcb.sendMss, now);
}

/** RFC 6582 §3.2 steps 3 (full ACK) and 5 (partial ACK); RFC 6675 §5 exit. */
function onAckInRecovery(tcb: Tcb, info: AckInfo, now: number): void {
  if (seqGe(tcb.sndUna, tcb.recoverySeq)) {
    exitRecovery(tcb);
    // RFC 6582 §3.2 step 3 option 2: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
    tcb.congestion.limitWindow(Math.min(tcb.congestion.slowStartThreshold(), Math.max(flightSize(tcb), tcb.sendMss) + tcb.sendMss));
    return;
  }
  if (tcb.sackPermitted) return; // RFC 6675: the scoreboard and pipe drive what is resent next
  // RFC 6582 §3.2 step 5: partial ACK — resend the first unacknowledged segment, deflate by the
  // amount acknowledged and add back one SMSS if that was at least one SMSS.
  tcb.count('partialAcks');
  retransmitFrom(tcb, tcb.sndUna, tcb.sendMss, now);
  tcb.recoveryInflation -= info.newlyAcked;
  if (info.newlyAcked >= tcb.sendMss) tcb.recoveryInflation += tcb.sendMss;
  // RFC 6582 §3.2 step 5: reset the retransmit timer only on the first partial ACK (Impatient).
  if (!tcb.firstPartialAck) tcb.retransmitAt = info.previousRetransmitAt;
  tcb.firstPartialAck = false;
}

function exitRecovery(tcb: Tcb): void {
  tcb.inRecovery = false;
  tcb.recoveryInflation = 0;
  tcb.dupAcks = 0;
}

/**
 * RFC 6582 §3.2 step 4 / RFC 6675 §5.1 on a retransmission timeout: leave recovery, set
 * recover = SND.MAX (no fast retransmit for the duplicates the go-back-N resends cause), and
 * after a second timeout in a row forget SACK information (the receiver may have reneged,
 * RFC 2018 §8).
 */
export function onRetransmitTimeoutRecovery(tcb: Tcb): void {
  exitRecovery(tcb);
  tcb.recoverySeq = tcb.sndMax;
  if (tcb.retries > 1) tcb.sackScoreboard.clear(tcb.sndUna);
  else tcb.sackScoreboard.highRxt = tcb.sndUna;
}

/**
 * RFC 6675 §5 step C: in SACK recovery, resend lost holes while cwnd − pipe >= SMSS (NextSeg
 * rule 1); new data (rule 2) is left to the ordinary send path. Returns whether anything went.
 */
export function sendSackRetransmissions(tcb: Tcb, now: number): boolean {
  if (!inSackRecovery(tcb)) return false;
  const mss = tcb.sendMss;
  let sent = false;
  for (let guard = 0; guard < 10_000; guard++) {
    const pipe = bytesInFlight(tcb);
    if (tcb.congestion.window() - pipe < mss) break;
    const hole = tcb.sackScoreboard.nextLostHole(tcb.sndUna, tcb.config.dupThresh, mss);
    if (hole === undefined) break;
    const length = retransmitFrom(tcb, hole.seq, Math.min(hole.length, mss), now);
    if (length === 0) break;
    tcb.sackScoreboard.highRxt = seqAdd(hole.seq, length);
    sent = true;
  }
  return sent;
}

/**
 * RFC 6675 §4 NextSeg rule 3, after new data (rule 2) had its turn: while cwnd − pipe still
 * allows a segment, resend the next unSACKed segment above HighRxt and below the highest SACKed
 * byte even if it is not yet deemed lost. (Rule 4, the rescue retransmission, is not done: in
 * the simulation table it only added spurious retransmissions.)
 */
export function sendSackTailRetransmissions(tcb: Tcb, now: number): boolean {
  if (!inSackRecovery(tcb)) return false;
  const mss = tcb.sendMss;
  const board = tcb.sackScoreboard;
  let sent = false;
  for (let guard = 0; guard < 10_000 && tcb.congestion.window() - bytesInFlight(tcb) >= mss; guard++) {
    const next = board.nextUnsackedAbove(tcb.sndUna);
    if (next === undefined) break;
    const length = retransmitFrom(tcb, next.seq, Math.min(next.length, mss), now);
    if (length === 0) break;
    board.highRxt = seqAdd(next.seq, length);
    sent = true;
  }
  return sent;
}

/** Whether sequence number `seq` lies below SND.MAX (a retransmission, not new data). */
export function isRetransmission(tcb: Tcb, seq: number): boolean {
  return seqLt(seq, tcb.sndMax);
}
