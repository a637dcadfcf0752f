import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CIPHER_SUITES } from '../src/tls/cipher-suites.js';
import {
  ContentType,
  MAX_PLAINTEXT,
  RecordDeframer,
  RecordProtection,
  plaintextRecord,
  type Record,
} from '../src/tls/record.js';
import { alertOf } from './helpers/tls-alert.js';

function drain(deframer: RecordDeframer): Record[] {
  const out: Record[] = [];
  for (let record = deframer.next(); record; record = deframer.next()) out.push(record);
  return out;
}

describe('record deframer', () => {
  const records = [
    plaintextRecord(ContentType.handshake, Uint8Array.from([1, 2, 3, 4, 5, 6, 7])),
    plaintextRecord(ContentType.alert, Uint8Array.from([1, 0])),
    plaintextRecord(ContentType.application_data, new Uint8Array(0)),
    plaintextRecord(ContentType.handshake, Uint8Array.from(randomBytes(300))),
  ];
  const stream = Buffer.concat(records);

  it('yields the same records for a split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const deframer = new RecordDeframer();
      deframer.push(stream.subarray(0, cut));
      const got = drain(deframer);
      deframer.push(stream.subarray(cut));
      got.push(...drain(deframer));
      expect(got.map((r) => Buffer.concat([r.header, r.fragment]))).toEqual(records.map((r) => Buffer.from(r)));
      expect(deframer.bufferedBytes).toBe(0);
    }
  });

  it('handles one byte per chunk and many records in one chunk', () => {
    const deframer = new RecordDeframer();
    const got: Record[] = [];
    for (const byte of stream) {
      deframer.push(Uint8Array.of(byte));
      got.push(...drain(deframer));
    }
    expect(got.map((r) => r.type)).toEqual([22, 21, 23, 22]);
    const whole = new RecordDeframer();
    whole.push(stream);
    const views = drain(whole);
    expect(views.length).toBe(4);
    // zero-copy: records inside one chunk are views of that chunk
    expect(views[3].fragment.buffer).toBe(stream.buffer);
  });

  it('rejects an oversized record with record_overflow and an unknown type with unexpected_message', () => {
    const big = new RecordDeframer();
    big.push(Uint8Array.from([23, 3, 3, 0x41, 0x01]));
    expect(alertOf(() => big.next())).toBe('record_overflow');
    const bad = new RecordDeframer();
    bad.push(Uint8Array.from([99, 3, 3, 0, 1, 0]));
    expect(alertOf(() => bad.next())).toBe('unexpected_message');
  });
});

describe('record protection', () => {
  for (const suite of CIPHER_SUITES) {
    it(`${suite.name}: seal/open round trip, sequence numbers, padding, tamper`, () => {
      const keys = { key: randomBytes(suite.keyLength), iv: randomBytes(12) };
      const writer = new RecordProtection(suite.aead, keys);
      const reader = new RecordProtection(suite.aead, keys);
      const deframer = new RecordDeframer();
      const payloads = [Buffer.from('hello'), randomBytes(MAX_PLAINTEXT), Buffer.alloc(0)];
      const wire = payloads.map((p, i) => writer.seal(i === 2 ? ContentType.alert : ContentType.application_data, p, i === 1 ? 0 : 9));
      deframer.push(Buffer.concat(wire));
      const opened = drain(deframer).map((r) => reader.open(r));
      expect(opened.map((o) => o.type)).toEqual([23, 23, 21]);
      expect(opened.map((o) => Buffer.from(o.content))).toEqual(payloads);
      // the outer type hides the inner one (§5.2)
      expect(wire.every((r) => r[0] === 23)).toBe(true);

      // replaying a record under the next sequence number fails authentication
      const replay = new RecordDeframer();
      replay.push(wire[0]);
      expect(alertOf(() => reader.open(replay.next()!))).toBe('bad_record_mac');

      const w2 = new RecordProtection(suite.aead, keys);
      const r2 = new RecordProtection(suite.aead, keys);
      const sealed = w2.seal(23, Buffer.from('x'));
      sealed[sealed.length - 1] ^= 1;
      const d2 = new RecordDeframer();
      d2.push(sealed);
      expect(alertOf(() => r2.open(d2.next()!))).toBe('bad_record_mac');
    });
  }

  it('rejects all-zero inner plaintext and an inner plaintext above 2^14+1', () => {
    const keys = { key: randomBytes(16), iv: randomBytes(12) };
    const zeroType = new RecordProtection('aes-128-gcm', keys).seal(0, new Uint8Array(0), 3);
    const d = new RecordDeframer();
    d.push(zeroType);
    expect(alertOf(() => new RecordProtection('aes-128-gcm', keys).open(d.next()!))).toBe('unexpected_message');
    const tooBig = new RecordProtection('aes-128-gcm', keys).seal(23, new Uint8Array(MAX_PLAINTEXT), 10);
    const d2 = new RecordDeframer();
    d2.push(tooBig);
    expect(alertOf(() => new RecordProtection('aes-128-gcm', keys).open(d2.next()!))).toBe('record_overflow');
  });
});
