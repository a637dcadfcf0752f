/**
 * Checked reading and growable writing of TLS presentation-language structures (RFC 8446 §3).
 * Any read past the end, or bytes left over where a structure must end, is a decode_error (§6.2).
 */
import { fail } from './alerts.js';

export class Reader {
  private position: number;
  private readonly end: number;

  constructor(private readonly bytes: Uint8Array, start = 0, end = bytes.length) {
    this.position = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private need(count: number): void {
    if (count > this.end - this.position) fail('decode_error', `truncated: need ${count} bytes, have ${this.remaining}`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.position++];
  }

  u16(): number {
    this.need(2);
    const value = (this.bytes[this.position] << 8) | this.bytes[this.position + 1];
    this.position += 2;
    return value;
  }

  u24(): number {
    this.need(3);
    const b = this.bytes;
    const p = this.position;
    this.position += 3;
    return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }

  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }

  /** A zero-copy view of the next `count` bytes. */
  take(count: number): Uint8Array {
    this.need(count);
    const view = this.bytes.subarray(this.position, this.position + count);
    this.position += count;
    return view;
  }

  /** opaque<floor..2^8-1> */
  vector8(min = 0): Uint8Array {
    return this.checkedMin(this.take(this.u8()), min);
  }

  /** opaque<floor..2^16-1> */
  vector16(min = 0): Uint8Array {
    return this.checkedMin(this.take(this.u16()), min);
  }

  /** opaque<floor..2^24-1> */
  vector24(min = 0): Uint8Array {
    return this.checkedMin(this.take(this.u24()), min);
  }

  /** A reader over a 16-bit length-prefixed sub-structure. */
  sub16(min = 0): Reader {
    const inner = this.vector16(min);
    return new Reader(inner);
  }

  sub8(min = 0): Reader {
    return new Reader(this.vector8(min));
  }

  sub24(min = 0): Reader {
    return new Reader(this.vector24(min));
  }

  /** Every structure must be consumed exactly (RFC 8446 §4: lengths are exact). */
  expectEnd(what: string): void {
    if (this.position !== this.end) fail('decode_error', `${this.remaining} trailing bytes in ${what}`);
  }

  private checkedMin(view: Uint8Array, min: number): Uint8Array {
    if (view.length < min) fail('decode_error', `vector shorter than its minimum ${min}`);
    return view;
  }
}

export class Writer {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  private ensure(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + count));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer[this.length++] = value;
    return this;
  }

  u16(value: number): this {
    this.ensure(2);
    this.buffer[this.length++] = value >>> 8;
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u24(value: number): this {
    this.ensure(3);
    this.buffer[this.length++] = value >>> 16;
    this.buffer[this.length++] = (value >>> 8) & 0xff;
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u32(value: number): this {
    return this.u16(Math.floor(value / 0x10000)).u16(value & 0xffff);
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  vector8(data: Uint8Array): this {
    return this.u8(data.length).bytes(data);
  }

  vector16(data: Uint8Array): this {
    return this.u16(data.length).bytes(data);
  }

  vector24(data: Uint8Array): this {
    return this.u24(data.length).bytes(data);
  }

  /** Writes a length prefix of `prefixBytes` around whatever `body` writes. */
  lengthPrefixed(prefixBytes: 1 | 2 | 3, body: (writer: this) => void): this {
    this.ensure(prefixBytes);
    const at = this.length;
    this.length += prefixBytes;
    body(this);
    const size = this.length - at - prefixBytes;
    for (let i = prefixBytes - 1, v = size; i >= 0; i--, v >>>= 8) this.buffer[at + i] = v & 0xff;
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
