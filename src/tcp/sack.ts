/**
 * SACK (RFC 2018) on both sides.
 * - `SackScoreboard`: the sender's record of what the peer holds beyond SND.UNA (RFC 6675 §3),
 *   with IsLost, the pipe estimate (SetPipe) and NextSeg for loss recovery.
 * - `SackReceiver`: the blocks we report, most recent first (RFC 2018 §4), with a D-SACK block
 *   for a duplicate (RFC 2883 §4) in the first ACK after it.
 * Sequence numbers are compared through seq.ts only; ranges are [left, right).
 */
import type { SackBlock } from './options.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin } from './seq.js';

/** Most SACKed ranges the scoreboard keeps. */
const MAX_SACKED_RANGES = 256;

interface Range {
  left: number;
  right: number;
}

export class SackScoreboard {
  /** SACKed ranges above HighACK, sorted, disjoint, merged. */
  private ranges: Range[] = [];
  /** RFC 6675 HighRxt: the highest sequence number retransmitted in this recovery (exclusive end). */
  highRxt = 0;

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** The SACKed ranges, for tests and traces. */
  blocks(): Array<[number, number]> {
    return this.ranges.map((range) => [range.left, range.right]);
  }

  /** The highest SACKed sequence number (end of the last range), or undefined. */
  get highestSacked(): number | undefined {
    return this.ranges.length > 0 ? this.ranges[this.ranges.length - 1]!.right : undefined;
  }

  /**
   * RFC 6675 §5 (update): add the blocks of an ACK. Blocks outside (SND.UNA, SND.MAX] or
   * inverted are ignored (RFC 2883 D-SACK blocks below SND.UNA fall out here). Returns the
   * number of bytes newly SACKed.
   */
  update(blocks: readonly SackBlock[] | undefined, sndUna: number, sndMax: number): number {
    if (blocks === undefined) return 0;
    let added = 0;
    for (const block of blocks) {
      if (!seqLt(block.left, block.right) || seqLe(block.left, sndUna) || seqGt(block.right, sndMax)) continue;
      added += this.insert(block.left, block.right);
    }
    return added;
  }

  /** Forget everything below the cumulative ACK (HighACK). */
  advance(sndUna: number): void {
    while (this.ranges.length > 0 && seqLe(this.ranges[0]!.right, sndUna)) this.ranges.shift();
    if (this.ranges.length > 0 && seqLt(this.ranges[0]!.left, sndUna)) this.ranges[0]!.left = sndUna;
    if (seqLt(this.highRxt, sndUna)) this.highRxt = sndUna;
  }

  /** RFC 2018 §8: after a timeout the receiver may have reneged; forget the SACKed bits. */
  clear(sndUna: number): void {
    this.ranges = [];
    this.highRxt = sndUna;
  }

  isSacked(seq: number): boolean {
    return this.rangeAt(seq) !== undefined;
  }

  /** Left edge of the first SACKed range that starts above `seq`, or undefined. */
  nextSackedAbove(seq: number): number | undefined {
    for (const range of this.ranges) if (seqGt(range.left, seq)) return range.left;
    return undefined;
  }

  /** The SACKed range holding `seq`, if any. */
  rangeAt(seq: number): Range | undefined {
    for (const range of this.ranges) {
      if (seqLt(seq, range.left)) return undefined;
      if (seqLt(seq, range.right)) return range;
    }
    return undefined;
  }

  /**
   * RFC 6675 §4 IsLost(SeqNum): DupThresh discontiguous SACKed ranges above it, or more than
   * (DupThresh − 1)·SMSS bytes SACKed above it.
   */
  isLost(seq: number, dupThresh: number, mss: number): boolean {
    let rangesAbove = 0;
    let bytesAbove = 0;
    for (const range of this.ranges) {
      if (seqLe(range.right, seq)) continue;
      rangesAbove++;
      bytesAbove += seqDiff(range.right, seqMax(range.left, seqAdd(seq, 1)));
    }
    return rangesAbove >= dupThresh || bytesAbove > (dupThresh - 1) * mss;
  }

  /**
   * Index of the highest SACKed range whose hole below it is lost by IsLost; the holes below
   * every range up to it are lost too (the SACKed data above a hole only grows downwards), the
   * others are not. -1 when no hole is lost. Linear in the number of ranges.
   */
  private highestLostHoleIndex(dupThresh: number, mss: number): number {
    let rangesAbove = 0;
    let bytesAbove = 0;
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const range = this.ranges[i]!;
      rangesAbove++;
      bytesAbove += seqDiff(range.right, range.left);
      if (rangesAbove >= dupThresh || bytesAbove > (dupThresh - 1) * mss) return i;
    }
    return -1;
  }

  /**
   * RFC 6675 §4 SetPipe: bytes believed in the network between HighACK and HighData. Each
   * unSACKed byte counts once unless it is lost, and once more if it was retransmitted.
   * Holes have no SACKed byte inside them, so IsLost is the same for the whole hole.
   */
  pipe(sndUna: number, sndMax: number, dupThresh: number, mss: number): number {
    const lostBelow = this.highestLostHoleIndex(dupThresh, mss);
    let pipe = 0;
    let cursor = sndUna;
    const countHole = (left: number, right: number, lost: boolean) => {
      if (!seqLt(left, right)) return;
      if (!lost) pipe += seqDiff(right, left);
      if (seqGt(this.highRxt, left)) pipe += seqDiff(seqMin(this.highRxt, right), left);
    };
    for (let i = 0; i < this.ranges.length; i++) {
      const range = this.ranges[i]!;
      countHole(cursor, range.left, i <= lostBelow);
      cursor = range.right;
    }
    countHole(cursor, sndMax, false);
    return pipe;
  }

  /**
   * RFC 6675 §4 NextSeg rule 1: the first unSACKed byte above HighRxt (and HighACK) that is
   * lost, with the length of its hole; undefined when none.
   */
  nextLostHole(sndUna: number, dupThresh: number, mss: number): { seq: number; length: number } | undefined {
    const lostBelow = this.highestLostHoleIndex(dupThresh, mss);
    let cursor = seqMax(sndUna, this.highRxt);
    for (let i = 0; i <= lostBelow; i++) {
      const range = this.ranges[i]!;
      if (seqLt(cursor, range.left)) return { seq: cursor, length: seqDiff(range.left, cursor) };
      if (seqLt(cursor, range.right)) cursor = range.right;
    }
    return undefined;
  }

  /**
   * RFC 6675 §4 NextSeg rule 3: the first unSACKed byte above HighRxt (1.a) and below the
   * highest SACKed byte (1.b), lost or not, with the length of its hole; undefined when none.
   */
  nextUnsackedAbove(sndUna: number): { seq: number; length: number } | undefined {
    let cursor = seqMax(sndUna, this.highRxt);
    for (const range of this.ranges) {
      if (seqLt(cursor, range.left)) return { seq: cursor, length: seqDiff(range.left, cursor) };
      if (seqLt(cursor, range.right)) cursor = range.right;
    }
    return undefined;
  }

  private insert(left: number, right: number): number {
    let covered = 0;
    const merged: Range = { left, right };
    const kept: Range[] = [];
    for (const range of this.ranges) {
      if (seqLt(range.right, merged.left) || seqGt(range.left, merged.right)) {
        kept.push(range);
        continue;
      }
      covered += Math.max(0, seqDiff(seqMin(range.right, right), seqMax(range.left, left)));
      merged.left = seqMin(merged.left, range.left);
      merged.right = seqMax(merged.right, range.right);
    }
    let at = 0;
    while (at < kept.length && seqLt(kept[at]!.left, merged.left)) at++;
    kept.splice(at, 0, merged);
    // A peer SACKing every other byte must not make the scoreboard (and pipe) grow without
    // bound: SACK is advisory (RFC 2018 §8), so forget the highest ranges beyond the cap.
    if (kept.length > MAX_SACKED_RANGES) kept.length = MAX_SACKED_RANGES;
    this.ranges = kept;
    return seqDiff(right, left) - covered;
  }
}

/** The receiver's SACK blocks (RFC 2018 §4) and pending D-SACK (RFC 2883). */
export class SackReceiver {
  /** Blocks in order of recency, most recent first (sequence numbers). */
  private recent: Range[] = [];
  /** A duplicate to report once, first in the next ACK (RFC 2883 §4). */
  private duplicate: Range | undefined;

  /**
   * Data [seq, seq + length) arrived out of order; `intervals` are the receive buffer's
   * out-of-order ranges now, as sequence numbers. RFC 2018 §4: the block holding the newest
   * segment goes first, then the others in the order they were last reported.
   */
  onOutOfOrder(seq: number, intervals: readonly Range[]): void {
    const containing = intervals.find((range) => seqLe(range.left, seq) && seqLt(seq, range.right));
    const order: Range[] = [];
    if (containing !== undefined) order.push(containing);
    for (const old of this.recent) {
      const now = intervals.find((range) => seqLe(range.left, old.left) && seqGe(range.right, old.right));
      if (now !== undefined && !order.includes(now)) order.push(now);
    }
    for (const range of intervals) if (!order.includes(range)) order.push(range);
    this.recent = order.map((range) => ({ left: range.left, right: range.right }));
  }

  /** RCV.NXT moved: drop blocks it covers (RFC 2018 §4: blocks report data not yet acknowledged). */
  onAdvance(rcvNxt: number, intervals: readonly Range[]): void {
    this.recent = this.recent
      .filter((range) => seqGt(range.right, rcvNxt))
      .map((range) => intervals.find((now) => seqLe(now.left, range.left) && seqGe(now.right, range.right)) ?? range)
      .filter((range, index, all) => all.findIndex((other) => other.left === range.left) === index)
      .map((range) => ({ left: range.left, right: range.right }));
  }

  /** RFC 2883 §4: a segment whose bytes we already had. */
  onDuplicate(seq: number, length: number): void {
    if (length > 0) this.duplicate = { left: seq, right: seqAdd(seq, length) };
  }

  get hasBlocks(): boolean {
    return this.recent.length > 0 || this.duplicate !== undefined;
  }

  /** The blocks for the next ACK, at most `max` (3 with timestamps, 4 without); consumes the D-SACK. */
  take(max: number): SackBlock[] {
    const out: SackBlock[] = [];
    if (this.duplicate !== undefined) {
      out.push({ left: this.duplicate.left, right: this.duplicate.right });
      this.duplicate = undefined;
    }
    for (const range of this.recent) {
      if (out.length >= max) break;
      out.push({ left: range.left, right: range.right });
    }
    return out;
  }

  clear(): void {
    this.recent = [];
    this.duplicate = undefined;
  }
}
