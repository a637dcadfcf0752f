import { describe, expect, it } from 'vitest';
import {
  ExtensionType,
  decodeAlpn,
  decodeClientKeyShares,
  decodeClientVersions,
  decodeServerKeyShare,
  decodeServerName,
  decodeU16List,
  encodeAlpn,
  encodeServerName,
  findExtension,
} from '../src/tls/extensions.js';
import {
  HandshakeReassembler,
  decodeCertificate,
  decodeClientHello,
  decodeKeyUpdate,
  decodeServerHello,
  encodeCertificate,
  encodeClientHello,
  encodeServerHello,
  isHelloRetryRequest,
} from '../src/tls/messages.js';
import { CLIENT_HELLO, SERVER_HELLO, hex } from './tls-rfc8448.js';
import { alertOf } from './helpers/tls-alert.js';

describe('handshake message codec', () => {
  it('decodes the RFC 8448 ClientHello and re-encodes it byte for byte', () => {
    const hello = decodeClientHello(CLIENT_HELLO.subarray(4));
    expect(hello.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(hello.legacySessionId.length).toBe(0);
    expect(decodeServerName(findExtension(hello.extensions, ExtensionType.server_name)!)).toBe('server');
    expect(decodeU16List(findExtension(hello.extensions, ExtensionType.supported_groups)!, 'groups')).toEqual([
      0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104,
    ]);
    expect(decodeClientVersions(findExtension(hello.extensions, ExtensionType.supported_versions)!)).toEqual([0x0304]);
    const shares = decodeClientKeyShares(findExtension(hello.extensions, ExtensionType.key_share)!);
    expect(shares.map((s) => [s.group, s.keyExchange.length])).toEqual([[0x1d, 32]]);
    expect(Buffer.from(encodeClientHello(hello))).toEqual(Buffer.from(CLIENT_HELLO));
  });

  it('decodes the RFC 8448 ServerHello and re-encodes it byte for byte', () => {
    const hello = decodeServerHello(SERVER_HELLO.subarray(4));
    expect(isHelloRetryRequest(hello)).toBe(false);
    expect(hello.cipherSuite).toBe(0x1301);
    expect(decodeServerKeyShare(findExtension(hello.extensions, ExtensionType.key_share)!).group).toBe(0x1d);
    expect(Buffer.from(encodeServerHello(hello))).toEqual(Buffer.from(SERVER_HELLO));
  });

  it('answers every truncation and any trailing byte with decode_error', () => {
    const body = CLIENT_HELLO.subarray(4);
    const withoutExtensions = 2 + 32 + 1 + 2 + 6 + 2; // a pre-TLS-1.3 hello may end before its extensions
    for (let length = 0; length < body.length; length++) {
      const alert = alertOf(() => decodeClientHello(body.subarray(0, length)));
      expect(alert, `length ${length}`).toBe(length === withoutExtensions ? undefined : 'decode_error');
    }
    expect(alertOf(() => decodeClientHello(Uint8Array.from([...body, 0])))).toBe('decode_error');
    const sh = SERVER_HELLO.subarray(4);
    for (let length = 0; length < sh.length; length++) {
      expect(alertOf(() => decodeServerHello(sh.subarray(0, length)))).toBe('decode_error');
    }
  });

  it('rejects duplicate extensions and bad KeyUpdate values with illegal_parameter', () => {
    const body = Uint8Array.from(CLIENT_HELLO.subarray(4));
    // Turn the session_ticket extension (0x0023) into a second server_name (0x0000).
    const at = Buffer.from(body).indexOf(Buffer.from('00230000', 'hex'));
    body[at + 1] = 0x00;
    expect(alertOf(() => decodeClientHello(body))).toBe('illegal_parameter');
    expect(alertOf(() => decodeKeyUpdate(Uint8Array.of(2)))).toBe('illegal_parameter');
    expect(decodeKeyUpdate(Uint8Array.of(1)).requestUpdate).toBe(true);
  });

  it('round-trips Certificate, ALPN and server_name', () => {
    const message = { context: new Uint8Array(0), entries: [{ data: Uint8Array.of(1, 2, 3), extensions: [] }] };
    const wire = encodeCertificate(message);
    expect(decodeCertificate(wire.subarray(4)).entries[0].data).toEqual(Uint8Array.of(1, 2, 3));
    expect(decodeAlpn(encodeAlpn(['h2', 'http/1.1']))).toEqual(['h2', 'http/1.1']);
    expect(decodeServerName(encodeServerName('example.com'))).toBe('example.com');
    expect(alertOf(() => decodeAlpn(Uint8Array.of(0, 1, 0)))).toBe('decode_error');
  });

  it('reassembles handshake messages split across records and packed in one', () => {
    const both = Uint8Array.from([...CLIENT_HELLO, ...SERVER_HELLO]);
    for (const cut of [1, 3, 4, 100, CLIENT_HELLO.length, CLIENT_HELLO.length + 2]) {
      const reassembler = new HandshakeReassembler();
      const got = [...reassembler.push(both.subarray(0, cut)), ...reassembler.push(both.subarray(cut))];
      expect(got.map((m) => m.length)).toEqual([CLIENT_HELLO.length, SERVER_HELLO.length]);
      expect(reassembler.isEmpty).toBe(true);
    }
  });
});
