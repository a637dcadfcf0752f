/**
 * The receive buffer (DESIGN.md decision 4): an in-order queue of chunks the application has
 * not read, plus an out-of-order interval set for data beyond a hole, all within `capacity`
 * bytes. Positions are stream offsets (bytes since the first data byte, exact JS integers), so
 * nothing here wraps; the connection converts sequence numbers at its edge.
 * Data is copied in: a segment's payload is only a view of the device's buffer. In-order data
 * is copied into large blocks (one allocation per block, not per segment); `read` returns one
 * segment's chunk at a time, `readContiguous` everything adjacent in a block at once, so a
 * reader gets a few large chunks rather than one per segment. A region of a block that was
 * handed out is never written again.
 */
const EMPTY = new Uint8Array(0);

interface Interval {
  start: number;
  data: Uint8Array;
}

/** Bytes of a block that in-order segments are copied into. */
const BLOCK_SIZE = 64 * 1024;

export class ReceiveBuffer {
  /** Unread in-order data: views of blocks (or of out-of-order copies), oldest first. */
  private readonly queue: Uint8Array[] = [];
  private queueHead = 0;
  /** The block new in-order data is copied into, and how much of it is taken. */
  private block = EMPTY;
  private blockUsed = 0;
  /** Out-of-order intervals, sorted by start, disjoint, all beyond `nextOffset`. */
  private readonly outOfOrder: Interval[] = [];
  private unreadBytes = 0;
  private outOfOrderSize = 0;
  /** Stream offset of the next in-order byte expected (RCV.NXT as an offset). */
  nextOffset = 0;

  constructor(public capacity: number) {}

  /** Raise the capacity (receive-buffer autotuning, receive-autotune.ts); it never shrinks. */
  grow(capacity: number): void {
    if (capacity > this.capacity) this.capacity = capacity;
  }

  /** In-order bytes not yet read by the application. */
  get unread(): number {
    return this.unreadBytes;
  }

  /** Bytes held out of order. */
  get outOfOrderBytes(): number {
    return this.outOfOrderSize;
  }

  /** The receive window: space not taken by unread data (out-of-order data lies inside it). */
  get window(): number {
    return this.capacity - this.unreadBytes;
  }

  /** Out-of-order intervals as [start, end) stream offsets (for tests and SACK later). */
  intervals(): Array<[number, number]> {
    return this.outOfOrder.map((interval) => [interval.start, interval.start + interval.data.length]);
  }

  /**
   * Place `data` that starts `offset` bytes past nextOffset (negative: it overlaps what we
   * have). Bytes beyond the window are cut off. Returns how many bytes became in-order (the
   * amount RCV.NXT advances by).
   */
  write(offset: number, data: Uint8Array): number {
    let start = this.nextOffset + offset;
    let end = start + data.length;
    const limit = this.nextOffset + this.window;
    if (end > limit) end = limit;
    if (start < this.nextOffset) start = this.nextOffset;
    if (start >= end) return 0;
    const piece = data.subarray(start - (this.nextOffset + offset), end - (this.nextOffset + offset));
    if (start > this.nextOffset) {
      this.insertOutOfOrder(start, piece);
      return 0;
    }
    const before = this.nextOffset;
    this.appendInOrder(piece);
    this.drainOutOfOrder();
    return this.nextOffset - before;
  }

  /** Take the next chunk of in-order data, at most maxBytes long. */
  read(maxBytes = Infinity): Uint8Array | undefined {
    if (this.queueHead >= this.queue.length || maxBytes <= 0) return undefined;
    const head = this.queue[this.queueHead]!;
    let chunk: Uint8Array;
    if (head.length <= maxBytes) {
      chunk = head;
      this.queue[this.queueHead++] = EMPTY;
      if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
    } else {
      chunk = head.subarray(0, maxBytes);
      this.queue[this.queueHead] = head.subarray(maxBytes);
    }
    this.unreadBytes -= chunk.length;
    return chunk;
  }

  /**
   * Take the next in-order data, at most maxBytes: the chunks that lie back to back in one
   * block come out as one view (no copy).
   */
  readContiguous(maxBytes = Infinity): Uint8Array | undefined {
    const first = this.read(maxBytes);
    if (first === undefined) return undefined;
    let span = first;
    while (span.length < maxBytes && this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead]!;
      if (next.buffer !== span.buffer || next.byteOffset !== span.byteOffset + span.length) break;
      const taken = this.read(maxBytes - span.length)!;
      span = new Uint8Array(span.buffer, span.byteOffset, span.length + taken.length);
    }
    return span;
  }

  /** Copy `bytes` after the unread data, into the current block. */
  private appendInOrder(bytes: Uint8Array): void {
    const length = bytes.length;
    if (this.blockUsed + length > this.block.length) {
      this.block = new Uint8Array(Math.max(BLOCK_SIZE, length));
      this.blockUsed = 0;
    }
    const end = this.blockUsed + length;
    this.block.set(bytes, this.blockUsed);
    this.queue.push(this.block.subarray(this.blockUsed, end));
    this.blockUsed = end;
    this.unreadBytes += length;
    this.nextOffset += length;
  }

  /** Move intervals that the in-order data now reaches into the queue (the hole filled). */
  private drainOutOfOrder(): void {
    while (this.outOfOrder.length > 0 && this.outOfOrder[0]!.start <= this.nextOffset) {
      const interval = this.outOfOrder.shift()!;
      this.outOfOrderSize -= interval.data.length;
      const end = interval.start + interval.data.length;
      if (end > this.nextOffset) this.appendInOrder(interval.data.subarray(this.nextOffset - interval.start));
    }
  }

  /** Keep the parts of [start, start + data.length) no interval already covers. */
  private insertOutOfOrder(start: number, data: Uint8Array): void {
    const end = start + data.length;
    let cursor = start;
    let index = 0;
    const pieces: Interval[] = [];
    while (index < this.outOfOrder.length && cursor < end) {
      const existing = this.outOfOrder[index]!;
      const existingEnd = existing.start + existing.data.length;
      if (existingEnd <= cursor) {
        index++;
        continue;
      }
      if (existing.start > cursor) {
        const pieceEnd = Math.min(end, existing.start);
        pieces.push({ start: cursor, data: data.slice(cursor - start, pieceEnd - start) });
      }
      cursor = Math.max(cursor, existingEnd);
      index++;
    }
    if (cursor < end) pieces.push({ start: cursor, data: data.slice(cursor - start) });
    for (const piece of pieces) {
      let at = 0;
      while (at < this.outOfOrder.length && this.outOfOrder[at]!.start < piece.start) at++;
      this.outOfOrder.splice(at, 0, piece);
      this.outOfOrderSize += piece.data.length;
    }
  }
}

