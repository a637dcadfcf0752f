/**
 * Nagle's algorithm (RFC 896, RFC 9293 §3.7.4) in Minshall's form, as Linux has it: a segment
 * shorter than the MSS that would end the queued data waits while an earlier *short* segment is
 * unacknowledged, so small writes coalesce into one segment per round trip; full-sized
 * segments are never held. Off with setNoDelay(true) / config.noDelay.
 */
import { seqGt, seqLt } from './seq.js';
import type { Tcb } from './tcb.js';

/** Whether Nagle holds back a segment of `length` bytes at `seq`, with `unsent` bytes queued from there. */
export function nagleHolds(tcb: Tcb, seq: number, length: number, unsent: number, finPending: boolean): boolean {
  if (tcb.noDelay || length === 0 || length >= tcb.sendMss) return false;
  if (length < unsent) return false; // window-limited, not a small write: sender SWS avoidance decides
  if (finPending) return false; // the application closed: flush what is left
  if (seqLt(seq, tcb.sndMax)) return false; // a retransmission is never delayed
  // RFC 9293 §3.7.4: hold new small data while a small segment is outstanding (Minshall).
  return seqGt(tcb.lastSmallSegmentEnd, tcb.sndUna);
}

/** Record a short new segment that went out (the one the next short segment waits for). */
export function noteSmallSegment(tcb: Tcb, end: number, length: number): void {
  if (length > 0 && length < tcb.sendMss) tcb.lastSmallSegmentEnd = end;
}
