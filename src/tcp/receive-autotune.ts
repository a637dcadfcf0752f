/**
 * Receive-buffer autotuning ("dynamic right-sizing", as Linux's tcp_rcv_space_adjust): a fixed
 * window caps a connection at window / RTT, so on a long fat path the receive buffer grows —
 * up to config.receiveBufferMax — while the application drains it as fast as data arrives.
 *
 * Once per receiver RTT we look at how many bytes the application read during it ("copied").
 * When that is at least half the buffer and beats the previous round's figure, the sender is
 * growing (slow start) or limited by our window: the buffer becomes 2·copied + 16·MSS (room
 * for a round of losses) plus twice the growth, like Linux. A reader that does not keep up
 * copies little per RTT, so its buffer never grows: the window still follows the reader
 * (backpressure is untouched).
 *
 * The receiver's RTT (we may send no data to time) comes from echoed timestamps on in-order
 * data (TSecr: when we sent the ACK that released it) or, without timestamps, from the time a
 * whole window takes to arrive — an upper bound, so the smaller sample wins.
 */
import { seqAdd, seqGe } from './seq.js';
import type { Tcb } from './tcb.js';

/** Segments of headroom Linux adds to twice the bytes per RTT. */
const CUSHION_SEGMENTS = 16;
/** RFC 6928's initial window: the first round's expected bytes, in segments. */
const INITIAL_SPACE_SEGMENTS = 10;

export class ReceiveSpace {
  /** Smoothed receiver RTT in ms (0: no sample yet). */
  rtt = 0;
  /** Without timestamps: the RTT sample ends when RCV.NXT reaches this. */
  private windowEnd: number | undefined;
  private windowStart = 0;
  /** The current measurement round: its start time and the bytes read before it. */
  private roundStart: number;
  private readBeforeRound = 0;
  /** Bytes the application read in the last round that grew the buffer (Linux rcvq_space.space). */
  space = 0;
  /** Times the buffer grew (for tests and counters). */
  grown = 0;

  constructor(now: number) {
    this.roundStart = now;
  }

  /** A receiver RTT sample; `windowBased` samples are upper bounds (Linux tcp_rcv_rtt_update). */
  sample(ms: number, windowBased: boolean): void {
    if (!(ms >= 0)) return;
    const sample = Math.max(ms, 1); // our clocks tick in ms: a LAN's RTT reads as 0
    if (this.rtt === 0) this.rtt = sample;
    else if (windowBased) this.rtt = Math.min(this.rtt, sample);
    else this.rtt += (sample - this.rtt) / 8;
  }

  /** Window-based RTT (no timestamps): time for RCV.NXT to pass the window edge of the last mark. */
  onInOrderData(rcvNxt: number, window: number, now: number): void {
    if (this.windowEnd !== undefined && !seqGe(rcvNxt, this.windowEnd)) return;
    if (this.windowEnd !== undefined) this.sample(now - this.windowStart, true);
    this.windowEnd = seqAdd(rcvNxt, Math.max(1, window));
    this.windowStart = now;
  }

  /** Start a new round at `now` with `totalRead` bytes read so far. */
  newRound(totalRead: number, now: number): void {
    this.readBeforeRound = totalRead;
    this.roundStart = now;
  }

  /** Bytes read in the round so far, and whether a round (one RTT) has passed. */
  round(totalRead: number, now: number, rtt: number): { copied: number; due: boolean } {
    return { copied: totalRead - this.readBeforeRound, due: rtt > 0 && now - this.roundStart >= rtt };
  }
}

/** In-order data arrived (before RCV.NXT moves): take a receiver RTT sample if one is due. */
export function measureReceiveRtt(tcb: Tcb, seq: number, tsEcho: number | undefined, length: number, now: number): void {
  if (!autotuning(tcb) || seq !== tcb.rcvNxt || length === 0) return;
  const space = tcb.receiveSpace;
  if (tcb.timestamps && tsEcho !== undefined && tsEcho !== 0) {
    // Linux tcp_rcv_rtt_measure_ts: a full-sized segment echoing the TSval of our ACK that released it.
    if (length >= Math.min(tcb.sendMss, 536)) space.sample((tcb.tsValue(now) - tsEcho) | 0, false);
    return;
  }
  space.onInOrderData(tcb.rcvNxt, tcb.receiveBuffer.window, now);
}

/**
 * The application has read (call after reads, with the time): once per receiver RTT, grow the
 * buffer when the bytes read in that RTT beat the previous round (Linux tcp_rcv_space_adjust).
 * Returns true when the buffer grew.
 */
export function adjustReceiveSpace(tcb: Tcb, now: number): boolean {
  if (!autotuning(tcb)) return false;
  const space = tcb.receiveSpace;
  const mss = tcb.advertisedMss;
  if (space.space === 0) space.space = Math.min(tcb.receiveBuffer.capacity, INITIAL_SPACE_SEGMENTS * mss);
  const buffer = tcb.receiveBuffer;
  const totalRead = buffer.nextOffset - buffer.unread;
  const rtt = space.rtt > 0 ? space.rtt : (tcb.rto.srtt ?? 0);
  const { copied, due } = space.round(totalRead, now, rtt);
  if (!due) return false;
  let grew = false;
  // Grow only while the reader took at least half the buffer in one RTT (the window, not the
  // reader, may be what limits the sender) and more than in the round before.
  if (copied > space.space && 2 * copied >= buffer.capacity) {
    // Linux: twice the bytes per RTT (a round of losses) plus a cushion, plus twice the growth
    // (a sender in slow start doubles every RTT).
    let target = 2 * copied + CUSHION_SEGMENTS * mss;
    target += 2 * Math.floor((target * (copied - space.space)) / space.space);
    const limit = Math.min(tcb.config.receiveBufferMax, 0xffff * 2 ** tcb.rcvWindShift); // what the window field can say
    target = Math.min(target, limit);
    if (target > buffer.capacity) {
      buffer.grow(target);
      space.grown++;
      tcb.count('receiveBufferGrown');
      grew = true;
    }
    space.space = copied;
  }
  space.newRound(totalRead, now);
  return grew;
}

/** Autotuning applies while the buffer is below a larger configured maximum. */
function autotuning(tcb: Tcb): boolean {
  return tcb.config.receiveBufferMax > tcb.receiveBuffer.capacity;
}
