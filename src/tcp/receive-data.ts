/**
 * The seventh step of segment arrival (RFC 9293 §3.10.7.4) for data in the window: keep it,
 * choose between an immediate and a delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2), and keep
 * the SACK blocks we report up to date (RFC 2018 §4, RFC 2883).
 */
import { seqAdd, seqDiff } from './seq.js';
import type { Tcb } from './tcb.js';

/**
 * §3.10.7.4 seventh step: keep the data, then acknowledge it — at once or delayed
 * (RFC 1122 §4.2.3.2, RFC 5681 §4.2) — and update the SACK blocks we report (RFC 2018 §4).
 */
export function receiveData(tcb: Tcb, seq: number, payload: Uint8Array, now: number): void {
  const offset = seqDiff(seq, tcb.rcvNxt);
  const holeBefore = tcb.receiveBuffer.outOfOrderBytes > 0;
  if (offset > 0) tcb.count('outOfOrderSegments');
  const advanced = tcb.receiveBuffer.write(offset, payload);
  if (advanced > 0) {
    tcb.rcvNxt = seqAdd(tcb.rcvNxt, advanced);
    tcb.emitEvent({ type: 'readable' });
  }
  if (tcb.sackPermitted) {
    if (offset > 0) tcb.sackReceiver.onOutOfOrder(seq, outOfOrderRanges(tcb));
    else if (holeBefore) tcb.sackReceiver.onAdvance(tcb.rcvNxt, outOfOrderRanges(tcb));
    if (offset < 0 && advanced < payload.length) tcb.sackReceiver.onDuplicate(seq, Math.min(-offset, payload.length)); // RFC 2883 §4 (1)
  }
  // RFC 5681 §4.2: an immediate ACK for out-of-order data, for data that fills (part of) a hole,
  // and for anything that brought nothing new; quick-ack at connection start.
  const immediate = offset > 0 || advanced === 0 || holeBefore || tcb.config.delayedAckTimeout === 0;
  if (immediate) {
    tcb.ackNeeded = true;
    return;
  }
  if (tcb.quickAcksLeft > 0) {
    tcb.quickAcksLeft--;
    tcb.ackNeeded = true;
    return;
  }
  // RFC 5681 §4.2 / RFC 1122 §4.2.3.2: ACK at least every second full-sized segment; else wait
  // for the delayed-ACK timer (or data of ours to carry the ACK).
  tcb.unackedReceived += advanced;
  const fullSized = tcb.advertisedMss - (tcb.timestamps ? 12 : 0);
  if (tcb.unackedReceived >= 2 * fullSized) tcb.ackNeeded = true;
  else if (tcb.delayedAckAt === Infinity) tcb.delayedAckAt = now + tcb.config.delayedAckTimeout;
}

/** The receive buffer's out-of-order intervals as sequence-number ranges, adjacent ones merged. */
function outOfOrderRanges(tcb: Tcb): Array<{ left: number; right: number }> {
  const base = tcb.receiveBuffer.nextOffset;
  const merged: Array<[number, number]> = [];
  for (const [start, end] of tcb.receiveBuffer.intervals()) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last[1] === start) last[1] = end;
    else merged.push([start, end]);
  }
  return merged.map(([start, end]) => ({ left: seqAdd(tcb.rcvNxt, start - base), right: seqAdd(tcb.rcvNxt, end - base) }));
}
