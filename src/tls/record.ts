/**
 * The TLS record layer (RFC 8446 §5): a deframer over a list of received chunks, and AEAD
 * protection of records with the per-record nonce and the TLSInnerPlaintext encoding.
 */
import { InvalidArgumentError } from '../errors.js';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { fail } from './alerts.js';
import type { AeadName } from './cipher-suites.js';
import type { TrafficKeys } from './key-schedule.js';

export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

export const RECORD_HEADER_LENGTH = 5;
/** TLSPlaintext.length and TLSInnerPlaintext content MUST NOT exceed 2^14 (RFC 8446 §5.1, §5.2). */
export const MAX_PLAINTEXT = 1 << 14;
/** TLSCiphertext.length MUST NOT exceed 2^14 + 256 (RFC 8446 §5.2). */
export const MAX_CIPHERTEXT = (1 << 14) + 256;
const TAG_LENGTH = 16;

export interface Record {
  readonly type: number;
  /** The 5-byte header as received: the AEAD's additional data (RFC 8446 §5.2). */
  readonly header: Uint8Array;
  /** The record body, a view into the received chunk where it fitted in one. */
  readonly fragment: Uint8Array;
}

/**
 * Cuts records out of a stream of chunks (ws receiver shape). A record that lies inside one
 * chunk is returned as a view; only a header or body that spans chunks is copied together.
 */
export class RecordDeframer {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The next whole record, or undefined until more bytes come. Throws TlsError on a bad header. */
  next(): Record | undefined {
    if (this.buffered < RECORD_HEADER_LENGTH) return undefined;
    const head = this.peek(RECORD_HEADER_LENGTH);
    const type = head[0];
    const length = (head[3] << 8) | head[4];
    // §5.1: an unknown content type is unexpected_message; the version byte must look like TLS (0x03xx).
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
      fail('unexpected_message', `record of unknown content type ${type}`);
    }
    if (head[1] !== 0x03) fail('decode_error', `record with legacy version ${head[1]}.${head[2]}`);
    if (length > MAX_CIPHERTEXT) fail('record_overflow', `record of ${length} bytes exceeds 2^14+256`);
    if (this.buffered < RECORD_HEADER_LENGTH + length) return undefined;
    const whole = this.consume(RECORD_HEADER_LENGTH + length);
    return { type, header: whole.subarray(0, RECORD_HEADER_LENGTH), fragment: whole.subarray(RECORD_HEADER_LENGTH) };
  }

  /** The first `count` buffered bytes, without consuming them (copies only across chunks). */
  private peek(count: number): Uint8Array {
    const first = this.chunks[0];
    if (first.length >= count) return first;
    return this.gather(count, false);
  }

  private consume(count: number): Uint8Array {
    const first = this.chunks[0];
    this.buffered -= count;
    if (first.length > count) {
      this.chunks[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    if (first.length === count) {
      this.chunks.shift();
      return first;
    }
    return this.gather(count, true);
  }

  private gather(count: number, remove: boolean): Uint8Array {
    const out = new Uint8Array(count);
    let filled = 0;
    let index = 0;
    while (filled < count) {
      const chunk = this.chunks[index];
      const part = Math.min(chunk.length, count - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (remove) {
        if (part === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(part);
      } else {
        index++;
      }
    }
    return out;
  }
}

/** Writes a plaintext TLSPlaintext record (before keys exist): header + fragment (RFC 8446 §5.1). */
export function plaintextRecord(type: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LENGTH + fragment.length);
  // legacy_record_version 0x0303 (0x0301 is allowed for the first ClientHello; 0x0303 is accepted everywhere).
  writeHeader(out, type, fragment.length);
  out.set(fragment, RECORD_HEADER_LENGTH);
  return out;
}

function writeHeader(out: Uint8Array, type: number, length: number): void {
  out[0] = type;
  out[1] = 0x03;
  out[2] = 0x03;
  out[3] = length >>> 8;
  out[4] = length & 0xff;
}

/** One direction's AEAD state: key, IV and the 64-bit record sequence number (RFC 8446 §5.3). */
export class RecordProtection {
  private sequence = 0n;

  constructor(
    private readonly aead: AeadName,
    private readonly keys: TrafficKeys,
  ) {}

  /** nonce = write_iv XOR (sequence number, left-padded to the IV length) (RFC 8446 §5.3). */
  private nextNonce(): Uint8Array {
    const nonce = Uint8Array.from(this.keys.iv);
    let sequence = this.sequence;
    for (let i = nonce.length - 1; i >= nonce.length - 8; i--) {
      nonce[i] ^= Number(sequence & 0xffn);
      sequence >>= 8n;
    }
    this.sequence++;
    return nonce;
  }

  /** Protects one TLSInnerPlaintext { content, type, zeros } into a TLSCiphertext record (§5.2). */
  seal(type: number, content: Uint8Array, padding = 0): Uint8Array {
    if (content.length > MAX_PLAINTEXT) throw new InvalidArgumentError('record content above 2^14; fragment first');
    const innerLength = content.length + 1 + padding;
    const record = new Uint8Array(RECORD_HEADER_LENGTH + innerLength + TAG_LENGTH);
    writeHeader(record, ContentType.application_data, innerLength + TAG_LENGTH);
    const inner = new Uint8Array(innerLength);
    inner.set(content);
    inner[content.length] = type;
    const cipher = createCipheriv(this.aead, this.keys.key, this.nextNonce(), { authTagLength: TAG_LENGTH } as never) as
      import('node:crypto').CipherGCM;
    cipher.setAAD(record.subarray(0, RECORD_HEADER_LENGTH), { plaintextLength: innerLength });
    const body = cipher.update(inner);
    const tail = cipher.final();
    record.set(body, RECORD_HEADER_LENGTH);
    record.set(tail, RECORD_HEADER_LENGTH + body.length);
    record.set(cipher.getAuthTag(), RECORD_HEADER_LENGTH + innerLength);
    return record;
  }

  /** Opens a protected record; returns the real content type and content (§5.2, §5.4). */
  open(record: Record): { type: number; content: Uint8Array } {
    // §5.2: a protected record always has outer type application_data.
    if (record.type !== ContentType.application_data) fail('unexpected_message', `protected record of type ${record.type}`);
    const body = record.fragment;
    if (body.length < TAG_LENGTH + 1) fail('bad_record_mac', 'protected record shorter than its tag');
    const cipherLength = body.length - TAG_LENGTH;
    const decipher = createDecipheriv(this.aead, this.keys.key, this.nextNonce(), { authTagLength: TAG_LENGTH } as never) as
      import('node:crypto').DecipherGCM;
    decipher.setAuthTag(body.subarray(cipherLength));
    decipher.setAAD(record.header, { plaintextLength: cipherLength });
    let inner: Uint8Array;
    try {
      const first = decipher.update(body.subarray(0, cipherLength));
      const last = decipher.final();
      inner = last.length === 0 ? first : Buffer.concat([first, last]);
    } catch {
      fail('bad_record_mac', 'record authentication failed');
    }
    // §5.4: strip zero padding; the last non-zero byte is the real content type.
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) fail('unexpected_message', 'protected record with no non-zero content type');
    // §5.2: the TLSInnerPlaintext content (with type and padding) must not exceed 2^14 + 1.
    if (inner.length > MAX_PLAINTEXT + 1) fail('record_overflow', `plaintext of ${inner.length} bytes exceeds 2^14+1`);
    return { type: inner[end], content: inner.subarray(0, end) };
  }
}
