/**
 * The receive buffer (DESIGN.md decision 4): an in-order queue of chunks the application has
 * not read, plus an out-of-order interval set for data beyond a hole, all within `capacity`
 * bytes. Positions are stream offsets (bytes since the first data byte, exact JS integers), so
 * nothing here wraps; the connection converts sequence numbers at its edge.
 * Data is copied in: a segment's payload is only a view of the device's buffer.
 */
interface Interval {
  start: number;
  data: Uint8Array;
}

export class ReceiveBuffer {
  private readonly queue: Uint8Array[] = [];
  private queueHead = 0;
  /** Out-of-order intervals, sorted by start, disjoint, all beyond `nextOffset`. */
  private readonly outOfOrder: Interval[] = [];
  private unreadBytes = 0;
  private outOfOrderSize = 0;
  /** Stream offset of the next in-order byte expected (RCV.NXT as an offset). */
  nextOffset = 0;

  constructor(readonly capacity: number) {}

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
    this.appendInOrder(piece.slice());
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

  private appendInOrder(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.unreadBytes += bytes.length;
    this.nextOffset += bytes.length;
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

const EMPTY = new Uint8Array(0);
