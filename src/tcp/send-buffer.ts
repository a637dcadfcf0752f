/**
 * The send buffer (DESIGN.md decision 4): bytes the application wrote and the peer has not
 * acknowledged, kept as a list of chunks. Offset 0 is the byte at SND.UNA (the first
 * unacknowledged byte); a (re)transmission reads a slice at any offset, zero-copy when it falls
 * inside one chunk.
 */
export class SendBuffer {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already acknowledged. */
  private headOffset = 0;
  private size = 0;

  constructor(readonly capacity: number) {}

  /** Unacknowledged bytes held (sent or not). */
  get length(): number {
    return this.size;
  }

  get free(): number {
    return this.capacity - this.size;
  }

  /** Copy in as much of `bytes` as fits; returns the count taken. */
  write(bytes: Uint8Array): number {
    const accepted = Math.min(bytes.length, this.free);
    if (accepted === 0) return 0;
    const last = this.chunks[this.chunks.length - 1];
    // Small writes are appended to a small tail chunk so slices stay mostly zero-copy.
    if (last !== undefined && last.length + accepted <= 2048 && this.chunks.length > 1) {
      const merged = new Uint8Array(last.length + accepted);
      merged.set(last);
      merged.set(bytes.subarray(0, accepted), last.length);
      this.chunks[this.chunks.length - 1] = merged;
    } else {
      this.chunks.push(bytes.slice(0, accepted));
    }
    this.size += accepted;
    return accepted;
  }

  /** The bytes [offset, offset + length) (clamped to what is held). */
  slice(offset: number, length: number): Uint8Array {
    const end = Math.min(offset + length, this.size);
    if (offset >= end) return new Uint8Array(0);
    let position = offset + this.headOffset;
    let index = 0;
    while (index < this.chunks.length && position >= this.chunks[index]!.length) {
      position -= this.chunks[index]!.length;
      index++;
    }
    const wanted = end - offset;
    const first = this.chunks[index]!;
    if (position + wanted <= first.length) return first.subarray(position, position + wanted);
    const out = new Uint8Array(wanted);
    let written = 0;
    while (written < wanted) {
      const chunk = this.chunks[index++]!;
      const part = chunk.subarray(position, Math.min(chunk.length, position + wanted - written));
      out.set(part, written);
      written += part.length;
      position = 0;
    }
    return out;
  }

  /** Drop the first `count` bytes (acknowledged by the peer). */
  acknowledge(count: number): void {
    let remaining = Math.min(count, this.size);
    this.size -= remaining;
    while (remaining > 0) {
      const head = this.chunks[0]!;
      const left = head.length - this.headOffset;
      if (remaining < left) {
        this.headOffset += remaining;
        return;
      }
      remaining -= left;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }
}
