/**
 * Timers as data (DESIGN.md decision 3): absolute deadlines on the Tcb, run by poll(now).
 * Retransmission (RFC 6298), persist (RFC 9293 §3.8.6.1), TIME-WAIT (§3.10.7.4, 2·MSL),
 * delayed ACK (RFC 1122 §4.2.3.2), keepalive (RFC 1122 §4.2.3.6) and the user timeout
 * (RFC 9293 §3.8.3 / RFC 5482 semantics).
 */
import { persistInterval, sendAck, sendKeepaliveProbe, sendReset, sendSyn, sendWindowProbe } from './connection-output.js';
import { onRetransmitTimeoutRecovery } from './recovery.js';
import { seqDiff } from './seq.js';
import type { Tcb } from './tcb.js';

export function nextDeadline(tcb: Tcb): number {
  return Math.min(tcb.retransmitAt, tcb.persistAt, tcb.timeWaitAt, tcb.delayedAckAt, tcb.keepaliveAt, userTimeoutDeadline(tcb));
}

/** Arm (or restart) the 2·MSL TIME-WAIT timer. */
export function startTimeWait(tcb: Tcb, now: number): void {
  tcb.retransmitAt = Infinity;
  tcb.persistAt = Infinity;
  tcb.keepaliveAt = Infinity;
  tcb.timeWaitAt = now + 2 * tcb.config.msl;
}

/** States in which an idle connection is probed (RFC 1122 §4.2.3.6). */
function keepaliveApplies(tcb: Tcb): boolean {
  return tcb.state === 'ESTABLISHED' || tcb.state === 'CLOSE-WAIT' || tcb.state === 'FIN-WAIT-2';
}

/** Something arrived from the peer: the connection is alive; restart the idle count. */
export function touchKeepalive(tcb: Tcb, now: number): void {
  tcb.lastSegmentAt = now;
  tcb.keepAliveProbes = 0;
  tcb.keepaliveAt = tcb.keepAliveEnabled && keepaliveApplies(tcb) ? now + tcb.keepAliveIdle : Infinity;
}

/** RFC 5482 / RFC 9293 §3.8.3: when outstanding data will have waited too long, or Infinity. */
export function userTimeoutDeadline(tcb: Tcb): number {
  if (tcb.userTimeout <= 0 || tcb.state === 'CLOSED' || tcb.state === 'TIME-WAIT') return Infinity;
  const outstanding = tcb.sndMax !== tcb.sndUna || tcb.sndProbeEnd !== undefined;
  return outstanding ? tcb.lastAckProgressAt + tcb.userTimeout : Infinity;
}

export function pollTimers(tcb: Tcb, now: number): void {
  if (now >= tcb.timeWaitAt) {
    tcb.timeWaitAt = Infinity;
    tcb.setState('CLOSED'); // §3.10.8: TIME-WAIT timeout → delete the TCB, enter CLOSED
    return;
  }
  if (now >= userTimeoutDeadline(tcb)) {
    tcb.count('userTimeouts');
    tcb.fail('ETIMEDOUT'); // RFC 9293 §3.8.3 / RFC 5482: the user timeout aborts the connection
    return;
  }
  if (now >= tcb.retransmitAt) onRetransmitTimeout(tcb, now);
  if (tcb.state !== 'CLOSED' && now >= tcb.persistAt) onPersistTimeout(tcb, now);
  if (tcb.state !== 'CLOSED' && now >= tcb.delayedAckAt) {
    tcb.delayedAckAt = Infinity;
    tcb.count('delayedAcks');
    sendAck(tcb, now); // RFC 1122 §4.2.3.2: the delayed ACK is due
  }
  if (tcb.state !== 'CLOSED' && now >= tcb.keepaliveAt) onKeepaliveTimeout(tcb, now);
}

/** RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, restart. */
function onRetransmitTimeout(tcb: Tcb, now: number): void {
  tcb.retransmitAt = Infinity;
  const handshaking = tcb.state === 'SYN-SENT' || tcb.state === 'SYN-RECEIVED';
  if (!handshaking && tcb.sndNxt === tcb.sndUna && tcb.sndMax === tcb.sndUna) return; // nothing outstanding
  tcb.retries++;
  const limit = handshaking ? tcb.config.synRetries : tcb.config.dataRetries;
  if (tcb.retries > limit) {
    tcb.count('timeouts');
    tcb.fail('ETIMEDOUT'); // §3.8.3 R2: give up on the connection
    return;
  }
  tcb.count('retransmitTimeouts');
  tcb.rto.backoff(); // RFC 6298 §5.5
  tcb.rttSeq = undefined; // Karn's rule: no sample from what is about to be resent
  tcb.timeoutTsValue = tcb.tsValue(now); // RFC 6298 §5.7: no sample from echoes of before the timeout
  if (handshaking) {
    sendSyn(tcb, now); // §3.8.1: retransmit the SYN (SYN-ACK in SYN-RECEIVED)
    return;
  }
  // RFC 5681 §3.1: on a timeout the congestion window collapses to one segment (FlightSize
  // is what was outstanding, SND.MAX − SND.UNA).
  tcb.congestion.onRetransmitTimeout(seqDiff(tcb.sndMax, tcb.sndUna), now);
  onRetransmitTimeoutRecovery(tcb); // RFC 6582 §3.2 step 4, RFC 6675 §5.1
  // RFC 6298 §5.4: retransmit from SND.UNA (go-back-N; the caller's transmit() sends it and
  // §5.6 restarts the timer with the backed-off RTO).
  tcb.sndNxt = tcb.sndUna;
}

/** RFC 9293 §3.8.6.1: probe a zero window, backing off like the retransmission timer. */
function onPersistTimeout(tcb: Tcb, now: number): void {
  tcb.persistAt = Infinity;
  if (tcb.sndWnd > 0) return;
  sendWindowProbe(tcb, now);
  tcb.persistProbes++;
  tcb.persistAt = now + persistInterval(tcb);
}

/**
 * RFC 1122 §4.2.3.6: after `idle` ms without a segment from the peer, probe every `interval`
 * ms; after `count` unanswered probes the peer is dead: RST (as Linux does), ETIMEDOUT, CLOSED.
 * While data is outstanding the retransmission timer watches the peer instead.
 */
function onKeepaliveTimeout(tcb: Tcb, now: number): void {
  tcb.keepaliveAt = Infinity;
  if (!tcb.keepAliveEnabled || !keepaliveApplies(tcb)) return;
  if (tcb.sndMax !== tcb.sndUna || tcb.sndProbeEnd !== undefined) {
    tcb.keepaliveAt = now + tcb.keepAliveIdle;
    return;
  }
  if (tcb.keepAliveProbes >= tcb.config.keepAliveCount) {
    tcb.count('keepaliveTimeouts');
    sendReset(tcb, tcb.sndMax);
    tcb.fail('ETIMEDOUT');
    return;
  }
  sendKeepaliveProbe(tcb, now);
  tcb.keepAliveProbes++;
  tcb.keepaliveAt = now + tcb.config.keepAliveInterval;
}
