/**
 * Handshake messages (RFC 8446 §4): Handshake { type, uint24 length, body }, and a checked
 * Repr per message with decode/encode. Every length is exact; a mismatch is decode_error.
 */
import { fail } from './alerts.js';
import { Reader, Writer, bytesEqual } from './bytes.js';
import { readExtensions, writeExtensions, type Extension } from './extensions.js';

export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from(
  Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
);

const LEGACY_VERSION = 0x0303;

/** Wraps a body in the 4-byte handshake header (RFC 8446 §4). */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

function encodeWith(type: number, body: (writer: Writer) => void): Uint8Array {
  const writer = new Writer(256);
  writer.u8(type).lengthPrefixed(3, body);
  return writer.finish();
}

function decodeWith<T>(body: Uint8Array, what: string, read: (reader: Reader) => T): T {
  const reader = new Reader(body);
  const value = read(reader);
  reader.expectEnd(what);
  return value;
}

// ClientHello (RFC 8446 §4.1.2)
export interface ClientHello {
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: Uint8Array;
  readonly extensions: readonly Extension[];
}

export function decodeClientHello(body: Uint8Array): ClientHello {
  return decodeWith(body, 'ClientHello', (r) => {
    r.u16(); // legacy_version: any value accepted, supported_versions decides (§4.1.2)
    const random = r.take(32);
    const legacySessionId = r.vector8();
    if (legacySessionId.length > 32) fail('decode_error', 'legacy_session_id longer than 32');
    const suites = r.vector16(2);
    if (suites.length % 2 !== 0) fail('decode_error', 'cipher_suites of odd length');
    const cipherSuites: number[] = [];
    for (let i = 0; i < suites.length; i += 2) cipherSuites.push((suites[i] << 8) | suites[i + 1]);
    const legacyCompressionMethods = r.vector8(1);
    const extensions = r.remaining > 0 ? readExtensions(r) : [];
    return { random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions };
  });
}

export function encodeClientHello(hello: ClientHello): Uint8Array {
  return encodeWith(HandshakeType.client_hello, (w) => {
    w.u16(LEGACY_VERSION).bytes(hello.random).vector8(hello.legacySessionId);
    w.lengthPrefixed(2, (l) => hello.cipherSuites.forEach((s) => l.u16(s)));
    w.vector8(hello.legacyCompressionMethods);
    writeExtensions(w, hello.extensions);
  });
}

// ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4)
export interface ServerHello {
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  readonly extensions: readonly Extension[];
}

export function isHelloRetryRequest(hello: ServerHello): boolean {
  return bytesEqual(hello.random, HELLO_RETRY_REQUEST_RANDOM);
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  return decodeWith(body, 'ServerHello', (r) => {
    const legacyVersion = r.u16();
    if (legacyVersion !== LEGACY_VERSION) fail('protocol_version', `ServerHello legacy_version ${legacyVersion.toString(16)}`);
    const random = r.take(32);
    const legacySessionIdEcho = r.vector8();
    if (legacySessionIdEcho.length > 32) fail('decode_error', 'legacy_session_id_echo longer than 32');
    const cipherSuite = r.u16();
    // §4.1.3: legacy_compression_method MUST be 0.
    if (r.u8() !== 0) fail('illegal_parameter', 'ServerHello compression method not null');
    const extensions = readExtensions(r);
    return { random, legacySessionIdEcho, cipherSuite, extensions };
  });
}

export function encodeServerHello(hello: ServerHello): Uint8Array {
  return encodeWith(HandshakeType.server_hello, (w) => {
    w.u16(LEGACY_VERSION).bytes(hello.random).vector8(hello.legacySessionIdEcho).u16(hello.cipherSuite).u8(0);
    writeExtensions(w, hello.extensions);
  });
}

// EncryptedExtensions (RFC 8446 §4.3.1)
export function decodeEncryptedExtensions(body: Uint8Array): Extension[] {
  return decodeWith(body, 'EncryptedExtensions', (r) => readExtensions(r));
}

export function encodeEncryptedExtensions(extensions: readonly Extension[]): Uint8Array {
  return encodeWith(HandshakeType.encrypted_extensions, (w) => writeExtensions(w, extensions));
}

// CertificateRequest (RFC 8446 §4.3.2)
export interface CertificateRequest {
  readonly context: Uint8Array;
  readonly extensions: readonly Extension[];
}

export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  return decodeWith(body, 'CertificateRequest', (r) => ({ context: r.vector8(), extensions: readExtensions(r) }));
}

export function encodeCertificateRequest(request: CertificateRequest): Uint8Array {
  return encodeWith(HandshakeType.certificate_request, (w) => {
    w.vector8(request.context);
    writeExtensions(w, request.extensions);
  });
}

// Certificate (RFC 8446 §4.4.2)
export interface CertificateEntry {
  readonly data: Uint8Array;
  readonly extensions: readonly Extension[];
}

export interface CertificateMessage {
  readonly context: Uint8Array;
  readonly entries: readonly CertificateEntry[];
}

export function decodeCertificate(body: Uint8Array): CertificateMessage {
  return decodeWith(body, 'Certificate', (r) => {
    const context = r.vector8();
    const list = r.sub24();
    const entries: CertificateEntry[] = [];
    while (list.remaining > 0) entries.push({ data: list.vector24(1), extensions: readExtensions(list) });
    return { context, entries };
  });
}

export function encodeCertificate(message: CertificateMessage): Uint8Array {
  return encodeWith(HandshakeType.certificate, (w) => {
    w.vector8(message.context);
    w.lengthPrefixed(3, (l) => {
      for (const entry of message.entries) {
        l.vector24(entry.data);
        writeExtensions(l, entry.extensions);
      }
    });
  });
}

// CertificateVerify (RFC 8446 §4.4.3)
export interface CertificateVerify {
  readonly scheme: number;
  readonly signature: Uint8Array;
}

export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  return decodeWith(body, 'CertificateVerify', (r) => ({ scheme: r.u16(), signature: r.vector16(1) }));
}

export function encodeCertificateVerify(verify: CertificateVerify): Uint8Array {
  return encodeWith(HandshakeType.certificate_verify, (w) => w.u16(verify.scheme).vector16(verify.signature));
}

// Finished (RFC 8446 §4.4.4): verify_data is Hash.length bytes, no length prefix.
export function decodeFinished(body: Uint8Array, hashLength: number): Uint8Array {
  if (body.length !== hashLength) fail('decode_error', `Finished of ${body.length} bytes, expected ${hashLength}`);
  return body;
}

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return handshakeMessage(HandshakeType.finished, verifyData);
}

// NewSessionTicket (RFC 8446 §4.6.1)
export interface NewSessionTicket {
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: readonly Extension[];
}

export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  return decodeWith(body, 'NewSessionTicket', (r) => ({
    lifetime: r.u32(),
    ageAdd: r.u32(),
    nonce: r.vector8(),
    ticket: r.vector16(1),
    extensions: readExtensions(r),
  }));
}

export function encodeNewSessionTicket(ticket: NewSessionTicket): Uint8Array {
  return encodeWith(HandshakeType.new_session_ticket, (w) => {
    w.u32(ticket.lifetime).u32(ticket.ageAdd).vector8(ticket.nonce).vector16(ticket.ticket);
    writeExtensions(w, ticket.extensions);
  });
}

// KeyUpdate (RFC 8446 §4.6.3): update_not_requested(0), update_requested(1); others illegal_parameter.
export function decodeKeyUpdate(body: Uint8Array): { requestUpdate: boolean } {
  return decodeWith(body, 'KeyUpdate', (r) => {
    const request = r.u8();
    if (request > 1) fail('illegal_parameter', `KeyUpdate request_update ${request}`);
    return { requestUpdate: request === 1 };
  });
}

export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return handshakeMessage(HandshakeType.key_update, Uint8Array.of(requestUpdate ? 1 : 0));
}

/**
 * Collects handshake messages out of handshake-record contents: a message may span records
 * and one record may hold many (RFC 8446 §5.1). Returns whole messages (header included).
 */
export class HandshakeReassembler {
  private pending: Uint8Array = new Uint8Array(0);
  static readonly MAX_MESSAGE = 1 << 18;

  get isEmpty(): boolean {
    return this.pending.length === 0;
  }

  push(content: Uint8Array): Uint8Array[] {
    // §5.1: zero-length fragments of Handshake type are not allowed.
    if (content.length === 0) fail('unexpected_message', 'empty handshake record');
    let buffer = this.pending.length === 0 ? content : concat(this.pending, content);
    const out: Uint8Array[] = [];
    while (buffer.length >= 4) {
      const length = (buffer[1] << 16) | (buffer[2] << 8) | buffer[3];
      if (length > HandshakeReassembler.MAX_MESSAGE) fail('decode_error', `handshake message of ${length} bytes`);
      if (buffer.length < 4 + length) break;
      out.push(buffer.subarray(0, 4 + length));
      buffer = buffer.subarray(4 + length);
    }
    this.pending = buffer.length === 0 ? new Uint8Array(0) : Uint8Array.from(buffer);
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
