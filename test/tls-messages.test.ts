import { describe, expect, it } from 'vitest';
import { TlsError } from '../src/tls/alerts.js';
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

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
// RFC 8448 §3 ClientHello and ServerHello.
const CLIENT_HELLO = hex(`
01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83
02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff 01
00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 23 00 00 00 33 00
26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69
1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01
05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01`);
const SERVER_HELLO = hex(`
02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e
d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1
56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04`);

function alertOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof TlsError) return error.alert;
    throw error;
  }
  return undefined;
}

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
