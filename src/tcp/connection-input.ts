/**
 * Segment arrival (RFC 9293 §3.10.7): SYN-SENT (§3.10.7.3) and every other state (§3.10.7.4),
 * with RFC 5961's checks for RST, SYN and ACK, and RFC 7323's timestamp bookkeeping.
 */
import { hasFlag, TcpFlags, type TcpRepr } from './segment.js';
import { inWindow, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from './seq.js';
import { canReceiveData, type Tcb } from './tcb.js';
import { sendChallengeAck, sendReset, sendSyn } from './connection-output.js';
import { takePeerSyn } from './handshake.js';
import { startTimeWait, touchKeepalive } from './timers.js';
import { onAckArrived } from './recovery.js';
import { receiveData } from './receive-data.js';
import { measureReceiveRtt } from './receive-autotune.js';

export function processSegment(tcb: Tcb, segment: TcpRepr, now: number): void {
  tcb.count('segmentsIn');
  if (tcb.state === 'CLOSED' || tcb.state === 'LISTEN') return;
  if (tcb.state === 'SYN-SENT') processInSynSent(tcb, segment, now);
  else processInOtherStates(tcb, segment, now);
}

/** RFC 9293 §3.10.7.3: SYN-SENT. */
function processInSynSent(tcb: Tcb, segment: TcpRepr, now: number): void {
  const ack = hasFlag(segment, TcpFlags.ACK);
  const rst = hasFlag(segment, TcpFlags.RST);
  // First: an ACK that does not acknowledge our SYN (SEG.ACK =< ISS or > SND.NXT).
  if (ack && (seqLe(segment.ack, tcb.iss) || seqGt(segment.ack, tcb.highestAckable))) {
    if (!rst) sendReset(tcb, segment.ack); // §3.10.7.3: <SEQ=SEG.ACK><CTL=RST>
    tcb.drop('tcpBadAck');
    return;
  }
  // Second: RST. RFC 5961 §3.2 / §3.10.7.3: only with an acceptable ACK.
  if (rst) {
    if (ack) tcb.fail('ECONNREFUSED'); // §3.10.7.3: "error: connection reset", enter CLOSED
    else tcb.drop('tcpUnacceptableRst');
    return;
  }
  // Fourth: SYN.
  if (!hasFlag(segment, TcpFlags.SYN)) {
    tcb.drop('tcpNoSyn');
    return;
  }
  takePeerSyn(tcb, segment);
  if (ack) {
    acknowledge(tcb, segment, segment.ack, now);
    tcb.setState('ESTABLISHED'); // §3.10.7.3: SND.UNA > ISS → ESTABLISHED, send <ACK>
    tcb.ackNeeded = true;
    touchKeepalive(tcb, now);
    // §3.10.7.3: other text or controls continue at the sixth step (data in the SYN-ACK).
    receiveText(tcb, seqAdd(segment.seq, 1), { payload: segment.payload, fin: hasFlag(segment, TcpFlags.FIN) }, now);
    return;
  }
  // §3.10.7.3: a SYN without ACK is a simultaneous open: SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
  tcb.setState('SYN-RECEIVED');
  tcb.sndWl2 = tcb.iss;
  sendSyn(tcb, now);
}

/**
 * RFC 9293 §3.10.7.4 segment acceptance: zero-length segments must start in the window (or at
 * RCV.NXT when it is zero); others must have their first or last byte in a non-zero window.
 */
export function isAcceptable(seq: number, length: number, rcvNxt: number, rcvWnd: number): boolean {
  if (length === 0) return rcvWnd === 0 ? seq === rcvNxt : inWindow(seq, rcvNxt, rcvWnd);
  if (rcvWnd === 0) return false;
  return inWindow(seq, rcvNxt, rcvWnd) || inWindow(seqAdd(seq, length - 1), rcvNxt, rcvWnd);
}

/** RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states. */
function processInOtherStates(tcb: Tcb, segment: TcpRepr, now: number): void {
  let seq = segment.seq;
  let syn = hasFlag(segment, TcpFlags.SYN);
  const rst = hasFlag(segment, TcpFlags.RST);
  let fin = hasFlag(segment, TcpFlags.FIN);
  let payload = segment.payload;

  if (tcb.state === 'SYN-RECEIVED' && syn && !rst && seq === tcb.irs) {
    if (!hasFlag(segment, TcpFlags.ACK)) {
      sendSyn(tcb, now); // the peer repeated its SYN: our SYN-ACK was lost, send it again
      return;
    }
    // Simultaneous open (§3.5 figure 7): the peer's SYN-ACK repeats the SYN we already took.
    seq = seqAdd(seq, 1);
    syn = false;
  }

  // RFC 7323 §5.3 R1: PAWS — a timestamp older than TS.Recent marks an old duplicate.
  if (!rst && failsPaws(tcb, segment, now)) {
    tcb.ackNeeded = true; // §5.3 R1: send an acknowledgment in reply (as for an unacceptable segment)
    tcb.drop('tcpPaws');
    return;
  }

  // First: the sequence number (§3.10.7.4 acceptance test).
  const rcvWnd = Math.max(0, seqDiff(tcb.rcvAdvertisedEdge, tcb.rcvNxt));
  const length = payload.length + (syn ? 1 : 0) + (fin ? 1 : 0);
  if (!isAcceptable(seq, length, tcb.rcvNxt, rcvWnd)) {
    // §3.10.7.4: a zero window still takes the ACK (and RST) of a segment at RCV.NXT; its
    // data is dropped (a zero-window probe) and answered with an ACK.
    const zeroWindowProbe = rcvWnd === 0 && seq === tcb.rcvNxt && !syn;
    if (!zeroWindowProbe) {
      if (rst) {
        tcb.drop('tcpOutOfWindow'); // §3.10.7.4 / RFC 5961 §3.2: out-of-window RST, drop silently
        return;
      }
      // §3.10.7.4: an unacceptable segment is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
      if (tcb.state === 'TIME-WAIT' && fin) startTimeWait(tcb, now); // §3.10.7.4 TIME-WAIT: retransmitted FIN restarts 2·MSL
      // RFC 2883 §4 (1): report a wholly duplicate segment in a D-SACK block.
      if (tcb.sackPermitted && payload.length > 0 && seqLe(seqAdd(seq, payload.length), tcb.rcvNxt)) tcb.sackReceiver.onDuplicate(seq, payload.length);
      tcb.ackNeeded = true;
      tcb.drop('tcpOutOfWindow');
      return;
    }
    payload = payload.subarray(0, 0);
    fin = false;
    tcb.ackNeeded = true;
  }

  // Second: RST (RFC 5961 §3.2), after RFC 1337's TIME-WAIT rule.
  if (rst) {
    if (tcb.state === 'TIME-WAIT') {
      tcb.drop('tcpTimeWaitRst'); // RFC 1337 §3 (TW-assassination fix): ignore RST in TIME-WAIT
      return;
    }
    if (seq !== tcb.rcvNxt) {
      sendChallengeAck(tcb, now); // RFC 5961 §3.2: in the window but not exactly RCV.NXT
      return;
    }
    tcb.count('resetsIn');
    receiveReset(tcb);
    return;
  }

  // Fourth: SYN in a synchronized state (RFC 5961 §4.2, §3.10.7.4): challenge ACK, drop.
  if (syn) {
    sendChallengeAck(tcb, now);
    return;
  }

  // Fifth: the ACK field.
  if (!hasFlag(segment, TcpFlags.ACK)) {
    tcb.drop('tcpNoAck'); // §3.10.7.4: if the ACK bit is off, drop the segment
    return;
  }
  const ack = segment.ack;
  if (tcb.state === 'SYN-RECEIVED') {
    if (seqLe(ack, tcb.sndUna) || seqGt(ack, tcb.highestAckable)) {
      sendReset(tcb, ack); // §3.10.7.4 SYN-RECEIVED: unacceptable ACK → <SEQ=SEG.ACK><CTL=RST>
      return;
    }
    tcb.setState('ESTABLISHED'); // §3.10.7.4 SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT → ESTABLISHED
    tcb.sndWl1 = seqAdd(seq, -1); // let this segment set the window (§3.10.7.4: SND.WND = SEG.WND ...)
    if (tcb.finQueued) tcb.setState('FIN-WAIT-1'); // §3.10.4: the queued CLOSE now proceeds
  }
  if (seqGt(ack, tcb.highestAckable)) {
    tcb.ackNeeded = true; // §3.10.7.4: ACK for something not yet sent → send ACK, drop
    tcb.drop('tcpAckUnsent');
    return;
  }
  if (seqLt(ack, seqAdd(tcb.sndUna, -tcb.maxSndWnd))) {
    sendChallengeAck(tcb, now); // RFC 5961 §5.2: too old an ACK — discard, answer with a (limited) ACK
    tcb.drop('tcpAckTooOld');
    return;
  }
  updateTimestamp(tcb, segment, seq, now);
  touchKeepalive(tcb, now);
  // RFC 5681 §2: a duplicate ACK carries no data, no SYN/FIN, SEG.ACK = SND.UNA with data
  // outstanding and the same window; judged before this segment updates SND.UNA and SND.WND.
  const duplicateCandidate = payload.length === 0 && !fin && ack === tcb.sndUna && tcb.sndMax !== tcb.sndUna;
  const sameWindow = segment.window * 2 ** tcb.sndWindShift === tcb.sndWnd;
  const previousRetransmitAt = tcb.retransmitAt;
  const unaBefore = tcb.sndUna;
  const dataAcked = acknowledge(tcb, segment, ack, now);
  updateSendWindow(tcb, segment, seq);
  if (isSynchronizedForRecovery(tcb)) {
    onAckArrived(tcb, segment, { newlyAcked: seqDiff(tcb.sndUna, unaBefore), dataAcked, duplicateCandidate, sameWindow, previousRetransmitAt }, now);
  }
  if (tcb.finAcked && !ourFinHandled(tcb, now)) return;
  // Sixth (URG) is not supported: urgent data is delivered as ordinary data (RFC 6093 §4).
  // Seventh and eighth: text and FIN.
  if (payload.length > 0) measureReceiveRtt(tcb, seq, segment.options.timestamp?.echo, payload.length, now); // autotuning's RTT
  receiveText(tcb, seq, { payload, fin }, now);
}

/** States a FIN acknowledgment moves (§3.10.7.4 fifth step); false when the TCB is gone. */
function ourFinHandled(tcb: Tcb, now: number): boolean {
  switch (tcb.state) {
    case 'FIN-WAIT-1':
      tcb.setState('FIN-WAIT-2'); // §3.10.7.4 FIN-WAIT-1: our FIN is acknowledged → FIN-WAIT-2
      return true;
    case 'CLOSING':
      tcb.setState('TIME-WAIT'); // §3.10.7.4 CLOSING: our FIN is acknowledged → TIME-WAIT
      startTimeWait(tcb, now);
      return true;
    case 'LAST-ACK':
      tcb.setState('CLOSED'); // §3.10.7.4 LAST-ACK: our FIN is acknowledged → CLOSED
      return false;
    default:
      return true;
  }
}

/** §3.10.7.4 second step, an acceptable RST at exactly RCV.NXT, per state. */
function receiveReset(tcb: Tcb): void {
  switch (tcb.state) {
    case 'SYN-RECEIVED':
      // §3.10.7.4: passive open → back to LISTEN (the listener stays; this TCB goes);
      // active open (simultaneous) → "connection refused".
      if (tcb.passiveOpen) tcb.setState('CLOSED');
      else tcb.fail('ECONNREFUSED');
      return;
    case 'ESTABLISHED':
    case 'FIN-WAIT-1':
    case 'FIN-WAIT-2':
    case 'CLOSE-WAIT':
      tcb.fail('ECONNRESET'); // §3.10.7.4: "connection reset", enter CLOSED
      return;
    default:
      tcb.setState('CLOSED'); // §3.10.7.4 CLOSING, LAST-ACK: enter CLOSED
  }
}

/** States in which ACKs drive loss recovery (data can be outstanding). */
function isSynchronizedForRecovery(tcb: Tcb): boolean {
  return tcb.state !== 'CLOSED' && tcb.state !== 'SYN-RECEIVED' && tcb.state !== 'SYN-SENT' && tcb.state !== 'TIME-WAIT';
}

/**
 * RFC 7323 §5.3 R1 (PAWS): SEG.TSval < TS.Recent rejects the segment, unless TS.Recent is more
 * than 24 days old (§5.5: the peer's clock may have wrapped meanwhile), when it is forgotten.
 */
function failsPaws(tcb: Tcb, segment: TcpRepr, now: number): boolean {
  const timestamp = segment.options.timestamp;
  if (!tcb.timestamps || timestamp === undefined || !seqLt(timestamp.value, tcb.tsRecent)) return false;
  if (now - tcb.tsRecentAt > tcb.config.pawsIdleLimit) {
    tcb.tsRecent = timestamp.value; // §5.5: an idle connection's TS.Recent is invalid; take the new one
    tcb.tsRecentAt = now;
    return false;
  }
  return true;
}

/** RFC 7323 §4.3: TS.Recent = SEG.TSval when SEG.SEQ =< Last.ACK.sent and TSval is not older. */
function updateTimestamp(tcb: Tcb, segment: TcpRepr, seq: number, now: number): void {
  const timestamp = segment.options.timestamp;
  if (!tcb.timestamps || timestamp === undefined) return;
  if (seqLe(seq, tcb.lastAckSent) && seqGe(timestamp.value, tcb.tsRecent)) {
    tcb.tsRecent = timestamp.value;
    tcb.tsRecentAt = now; // §5.5: remember when, for the idle exception
  }
}

/**
 * §3.10.7.4 ESTABLISHED fifth step: SND.UNA < SEG.ACK =< SND.NXT acknowledges data (and
 * SYN/FIN). Returns the data bytes acknowledged.
 */
function acknowledge(tcb: Tcb, segment: TcpRepr, ack: number, now: number): number {
  if (!seqGt(ack, tcb.sndUna)) return 0;
  const dataStart = tcb.sendBufferStart;
  const finSeq = tcb.finSeq;
  const dataAcked = Math.max(0, Math.min(seqDiff(ack, dataStart), tcb.sendBuffer.length));
  if (!tcb.synAcked) tcb.synAcked = true;
  if (tcb.finQueued && !tcb.finAcked && seqGt(ack, finSeq)) tcb.finAcked = true;
  tcb.sendBuffer.acknowledge(dataAcked);
  tcb.sndUna = ack;
  tcb.lastAckProgressAt = now; // RFC 5482: the user timeout counts from the last progress
  if (seqLt(tcb.sndNxt, ack)) tcb.sndNxt = ack; // the peer had what a timeout made us rewind over
  if (seqLt(tcb.sndMax, ack)) tcb.sndMax = ack; // an accepted zero-window probe
  if (tcb.sndProbeEnd !== undefined && seqGe(ack, tcb.sndProbeEnd)) tcb.sndProbeEnd = undefined;
  const echo = segment.options.timestamp?.echo;
  if (tcb.timestamps && echo !== undefined && echo !== 0) {
    // RFC 7323 §4.1: with timestamps, every ACK of new data gives an RTT sample from TSecr —
    // even after a retransmission, since TSecr names the segment that triggered the ACK. But a
    // receiver rejects a duplicate before it updates TS.Recent (RFC 7323 §5.3 R2 before R3), so
    // the ACK of a timeout's resend may echo a pre-timeout TSval: no sample then (RFC 6298 §5.7).
    const rtt = seqDiff(tcb.tsValue(now), echo);
    const echoesBeforeTimeout = tcb.timeoutTsValue !== undefined && seqLt(echo, tcb.timeoutTsValue);
    if (rtt >= 0 && !echoesBeforeTimeout) tcb.rto.sample(rtt);
    tcb.rttSeq = undefined;
  } else if (tcb.rttSeq !== undefined && seqGe(ack, tcb.rttSeq)) {
    // RFC 6298 §2 + Karn's rule: a sample only when the timed (never retransmitted) segment is acked.
    tcb.rto.sample(now - tcb.rttStart);
    tcb.rttSeq = undefined;
  }
  tcb.retries = 0;
  // RFC 6298 §5.2 / §5.3: stop the timer when everything is acknowledged, else restart it.
  tcb.retransmitAt = tcb.sndNxt === tcb.sndUna ? Infinity : now + tcb.rto.rto;
  if (tcb.writableWanted && dataAcked > 0) {
    tcb.writableWanted = false;
    tcb.emitEvent({ type: 'writable' });
  }
  return dataAcked;
}

/** §3.10.7.4 fifth step: SND.WND from the newest segment (SND.WL1 / SND.WL2 rule), scaled (RFC 7323 §2.3). */
function updateSendWindow(tcb: Tcb, segment: TcpRepr, seq: number): void {
  if (seqLt(tcb.sndWl1, seq) || (tcb.sndWl1 === seq && seqLe(tcb.sndWl2, segment.ack))) {
    tcb.sndWnd = segment.window * 2 ** tcb.sndWindShift;
    tcb.sndWl1 = seq;
    tcb.sndWl2 = segment.ack;
    tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
  }
}

/** §3.10.7.4 seventh (segment text) and eighth (FIN) steps. */
function receiveText(tcb: Tcb, seq: number, segment: { payload: Uint8Array; fin: boolean }, now: number): void {
  const { payload, fin } = segment;
  if (payload.length > 0) {
    if (canReceiveData(tcb.state)) receiveData(tcb, seq, payload, now);
    else tcb.ackNeeded = true;
  }
  if (fin && !tcb.peerFinReceived) {
    const finSeq = seqAdd(seq, payload.length);
    const ahead = seqDiff(finSeq, tcb.rcvNxt);
    // A FIN beyond a hole waits for RCV.NXT to reach it (if its data fitted the window).
    if (ahead > 0 && ahead <= tcb.receiveBuffer.window) tcb.pendingFinSeq = finSeq;
    tcb.ackNeeded = true;
  }
  if (tcb.pendingFinSeq === undefined && fin && !tcb.peerFinReceived && seqAdd(seq, payload.length) === tcb.rcvNxt) {
    tcb.pendingFinSeq = tcb.rcvNxt;
  }
  if (tcb.pendingFinSeq !== undefined && tcb.pendingFinSeq === tcb.rcvNxt) receiveFin(tcb, now);
}

/** §3.10.7.4 eighth step: the peer's FIN, in order. */
function receiveFin(tcb: Tcb, now: number): void {
  tcb.pendingFinSeq = undefined;
  tcb.peerFinReceived = true;
  tcb.rcvNxt = seqAdd(tcb.rcvNxt, 1);
  tcb.rcvAdvertisedEdge = seqAdd(tcb.rcvAdvertisedEdge, 1); // the FIN takes no buffer space
  tcb.ackNeeded = true;
  tcb.emitEvent({ type: 'peerFin' });
  switch (tcb.state) {
    case 'SYN-RECEIVED':
    case 'ESTABLISHED':
      tcb.setState('CLOSE-WAIT'); // §3.10.7.4 eighth: SYN-RECEIVED / ESTABLISHED → CLOSE-WAIT
      return;
    case 'FIN-WAIT-1':
      tcb.setState('CLOSING'); // §3.10.7.4 eighth: FIN-WAIT-1, our FIN not yet acked → CLOSING
      return;
    case 'FIN-WAIT-2':
      tcb.setState('TIME-WAIT'); // §3.10.7.4 eighth: FIN-WAIT-2 → TIME-WAIT, start the 2·MSL timer
      startTimeWait(tcb, now);
      return;
    default:
      return;
  }
}
