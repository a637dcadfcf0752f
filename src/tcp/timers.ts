/**
 * Timers as data (DESIGN.md decision 3): absolute deadlines on the Tcb, run by poll(now).
 * Retransmission (RFC 6298), persist (RFC 9293 §3.8.6.1), TIME-WAIT (§3.10.7.4, 2·MSL).
 * The delayed-ACK and keepalive deadlines are placeholders, never armed yet.
 */
import { persistInterval, sendSyn, sendWindowProbe } from './connection-output.js';
import { seqDiff } from './seq.js';
import type { Tcb } from './tcb.js';

export function nextDeadline(tcb: Tcb): number {
  return Math.min(tcb.retransmitAt, tcb.persistAt, tcb.timeWaitAt, tcb.delayedAckAt, tcb.keepaliveAt);
}

/** Arm (or restart) the 2·MSL TIME-WAIT timer. */
export function startTimeWait(tcb: Tcb, now: number): void {
  tcb.retransmitAt = Infinity;
  tcb.persistAt = Infinity;
  tcb.timeWaitAt = now + 2 * tcb.config.msl;
}

export function pollTimers(tcb: Tcb, now: number): void {
  if (now >= tcb.timeWaitAt) {
    tcb.timeWaitAt = Infinity;
    tcb.setState('CLOSED'); // §3.10.8: TIME-WAIT timeout → delete the TCB, enter CLOSED
    return;
  }
  if (now >= tcb.retransmitAt) onRetransmitTimeout(tcb, now);
  if (tcb.state !== 'CLOSED' && now >= tcb.persistAt) onPersistTimeout(tcb, now);
}

/** RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, restart. */
function onRetransmitTimeout(tcb: Tcb, now: number): void {
  tcb.retransmitAt = Infinity;
  const handshaking = tcb.state === 'SYN-SENT' || tcb.state === 'SYN-RECEIVED';
  if (!handshaking && tcb.sndNxt === tcb.sndUna) return; // nothing outstanding
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
  if (handshaking) {
    sendSyn(tcb, now); // §3.8.1: retransmit the SYN (SYN-ACK in SYN-RECEIVED)
    return;
  }
  // RFC 5681 §3.1: on a timeout the congestion window collapses to one segment.
  tcb.congestion.onRetransmitTimeout(seqDiff(tcb.sndMax, tcb.sndUna), now);
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
