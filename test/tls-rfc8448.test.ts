/** The RFC 8448 §3 server flight, byte for byte: record protection, messages, CertificateVerify, Finished. */
import { describe, expect, it } from 'vitest';
import { createHash, X509Certificate } from 'node:crypto';
import { checkCertificateVerify, checkFinished, readPeerCertificates } from '../src/tls/authentication.js';
import { HandshakeReassembler, HandshakeType, decodeEncryptedExtensions } from '../src/tls/messages.js';
import { ContentType, RecordDeframer, RecordProtection } from '../src/tls/record.js';
import { Transcript } from '../src/tls/transcript.js';
import { CERTIFICATE_VERIFY_SCHEMES } from '../src/tls/signatures.js';
import {
  CLIENT_HELLO,
  SERVER_FLIGHT,
  SERVER_FLIGHT_RECORD,
  SERVER_HELLO,
  SERVER_HS_IV,
  SERVER_HS_KEY,
  SERVER_HS_TRAFFIC,
  TRANSCRIPT_THROUGH_SERVER_FINISHED,
} from './tls-rfc8448.js';

describe('RFC 8448 §3 server flight', () => {
  const keys = { key: SERVER_HS_KEY, iv: SERVER_HS_IV };

  it('sealing the flight at sequence 0 reproduces the record byte for byte', () => {
    const sealed = new RecordProtection('aes-128-gcm', keys).seal(ContentType.handshake, SERVER_FLIGHT);
    expect(Buffer.from(sealed).toString('hex')).toBe(Buffer.from(SERVER_FLIGHT_RECORD).toString('hex'));
  });

  it('opening the record (split at every 97th byte) gives the flight and its handshake type', () => {
    const deframer = new RecordDeframer();
    for (let i = 0; i < SERVER_FLIGHT_RECORD.length; i += 97) deframer.push(SERVER_FLIGHT_RECORD.subarray(i, i + 97));
    const opened = new RecordProtection('aes-128-gcm', keys).open(deframer.next()!);
    expect(opened.type).toBe(ContentType.handshake);
    expect(Buffer.from(opened.content).equals(Buffer.from(SERVER_FLIGHT))).toBe(true);
  });

  it('the flight parses; its CertificateVerify (rsa_pss_rsae_sha256) and Finished verify; the transcript matches', () => {
    const messages = new HandshakeReassembler().push(SERVER_FLIGHT);
    expect(messages.map((m) => m[0])).toEqual([
      HandshakeType.encrypted_extensions,
      HandshakeType.certificate,
      HandshakeType.certificate_verify,
      HandshakeType.finished,
    ]);
    const [encryptedExtensions, certificate, certificateVerify, finished] = messages;
    const transcript = new Transcript();
    transcript.add(CLIENT_HELLO);
    transcript.add(SERVER_HELLO);
    transcript.setHash('sha256');
    expect(decodeEncryptedExtensions(encryptedExtensions.subarray(4)).map((e) => e.type)).toEqual([10, 28, 0]);
    transcript.add(encryptedExtensions);
    const chain: X509Certificate[] = readPeerCertificates(certificate.subarray(4), new Uint8Array(0));
    expect(chain[0].subject).toBe('CN=rsa');
    transcript.add(certificate);
    const scheme = checkCertificateVerify(certificateVerify.subarray(4), chain[0], CERTIFICATE_VERIFY_SCHEMES, true, transcript.current());
    expect(scheme).toBe(0x0804);
    transcript.add(certificateVerify);
    checkFinished(finished.subarray(4), 'sha256', SERVER_HS_TRAFFIC, transcript.current());
    transcript.add(finished);
    expect(Buffer.from(transcript.current()).toString('hex')).toBe(Buffer.from(TRANSCRIPT_THROUGH_SERVER_FINISHED).toString('hex'));
    // the same signature checked as a client's is wrong context → decrypt_error
    expect(() =>
      checkCertificateVerify(certificateVerify.subarray(4), chain[0], CERTIFICATE_VERIFY_SCHEMES, false, createHash('sha256').digest()),
    ).toThrow(expect.objectContaining({ alert: 'decrypt_error' }));
  });
});
