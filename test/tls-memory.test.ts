import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { TlsClient } from '../src/tls/client.js';
import { TlsServer } from '../src/tls/server.js';
import type { TlsConnection, TlsEvent } from '../src/tls/connection.js';
import type { CipherSuiteName } from '../src/tls/cipher-suites.js';
import type { GroupName } from '../src/tls/key-exchange.js';
import type { TlsClientOptions, TlsServerOptions } from '../src/tls/options.js';
import { checkFinished } from '../src/tls/authentication.js';
import { ContentType, plaintextRecord } from '../src/tls/record.js';
import { HandshakeType, handshakeMessage } from '../src/tls/messages.js';
import { makePki, type Pki } from './tls-fixtures.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

interface Side {
  conn: TlsConnection;
  events: TlsEvent[];
  /** Everything this side has sent, record by record. */
  sent: Uint8Array[];
}

function side(conn: TlsConnection): Side {
  const s: Side = { conn, events: [], sent: [] };
  conn.onEvent = (event) => s.events.push(event);
  return s;
}

/** Moves records both ways until neither side has output; optionally splits bytes into 1..7-byte chunks. */
function pump(a: Side, b: Side, chop = false): void {
  for (let round = 0; round < 50; round++) {
    const fromA = a.conn.takeOutput();
    const fromB = b.conn.takeOutput();
    if (fromA.length === 0 && fromB.length === 0) return;
    a.sent.push(...fromA);
    b.sent.push(...fromB);
    deliver(fromA, b.conn, chop);
    deliver(fromB, a.conn, chop);
  }
  throw new Error('pump did not settle');
}

function deliver(records: Uint8Array[], to: TlsConnection, chop: boolean): void {
  const all = Buffer.concat(records);
  if (!chop) return to.receive(all);
  for (let offset = 0, size = 1; offset < all.length; offset += size, size = (size % 7) + 1) to.receive(all.subarray(offset, offset + size));
}

function pair(clientOptions: Partial<TlsClientOptions> = {}, serverOptions: Partial<TlsServerOptions> = {}) {
  const credentials = pki.leaf('rsa');
  const server = side(new TlsServer({ key: credentials.key, cert: credentials.cert, ...serverOptions }));
  const client = side(new TlsClient({ ca: pki.caPem, servername: 'localhost', ...clientOptions }));
  return { client, server };
}

function secure(s: Side) {
  const event = s.events.find((e) => e.type === 'secure');
  return event?.type === 'secure' ? event.parameters : undefined;
}

function errorOf(s: Side) {
  const event = s.events.find((e) => e.type === 'error');
  return event?.type === 'error' ? event.error : undefined;
}

function received(s: Side): Buffer {
  return Buffer.concat(s.events.flatMap((e) => (e.type === 'data' ? [e.data] : [])));
}

describe('TlsClient ↔ TlsServer in memory', () => {
  const suites: CipherSuiteName[] = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
  const groups: GroupName[] = ['x25519', 'secp256r1', 'secp384r1'];
  for (const suite of suites) {
    for (const group of groups) {
      it(`${suite} over ${group}: handshake, data both ways, close_notify`, () => {
        const { client, server } = pair({ cipherSuites: [suite], groups: [group] });
        pump(client, server);
        expect(secure(client)).toMatchObject({ cipher: suite, group, version: 'TLSv1.3', helloRetried: false });
        expect(secure(server)).toMatchObject({ cipher: suite, group, servername: 'localhost' });
        expect(secure(client)!.verification).toMatchObject({ authorized: true });
        expect(secure(client)!.peerCertificates[0].subject).toContain('CN=rsa');
        const big = randomBytes(100_000);
        client.conn.write(big);
        server.conn.write(Buffer.from('pong'));
        pump(client, server);
        expect(received(server).equals(big)).toBe(true);
        expect(received(client).toString()).toBe('pong');
        client.conn.close();
        pump(client, server);
        expect(server.events.some((e) => e.type === 'close_notify')).toBe(true);
        server.conn.close();
        pump(client, server);
        expect(client.conn.isClosed && server.conn.isClosed).toBe(true);
        // middlebox compatibility: each side sent exactly one dummy change_cipher_spec
        expect(client.sent.filter((r) => r[0] === 20).length).toBe(1);
        expect(server.sent.filter((r) => r[0] === 20).length).toBe(1);
      });
    }
  }

  it('HelloRetryRequest: server preferring P-256 asks again when the client sent X25519 only (bytes chopped small)', () => {
    const { client, server } = pair({ groups: ['x25519', 'secp256r1'] }, { groups: ['secp256r1', 'x25519'] });
    pump(client, server, true);
    expect(secure(client)).toMatchObject({ group: 'secp256r1', helloRetried: true });
    expect(secure(server)).toMatchObject({ group: 'secp256r1', helloRetried: true });
    client.conn.write(Buffer.from('after retry'));
    pump(client, server, true);
    expect(received(server).toString()).toBe('after retry');
  });

  it('server certificates of every key type: ECDSA P-256, P-384, Ed25519, RSA-PSS', () => {
    const expected = { p256: 0x0403, p384: 0x0503, ed25519: 0x0807, rsa: 0x0804 } as const;
    for (const kind of ['p256', 'p384', 'ed25519', 'rsa'] as const) {
      const credentials = pki.leaf(kind);
      const server = side(new TlsServer({ key: credentials.key, cert: credentials.cert }));
      const client = side(new TlsClient({ ca: pki.caPem, servername: 'localhost' }));
      pump(client, server);
      expect(secure(client)?.signatureScheme, kind).toBe(expected[kind]);
    }
  });

  it('ALPN: the server picks its first protocol the client offers; none in common is no_application_protocol', () => {
    const ok = pair({ alpnProtocols: ['http/1.1', 'h2'] }, { alpnProtocols: ['h2', 'http/1.1'] });
    pump(ok.client, ok.server);
    expect(secure(ok.client)?.alpnProtocol).toBe('h2');
    expect(secure(ok.server)?.alpnProtocol).toBe('h2');
    const bad = pair({ alpnProtocols: ['spdy/3'] }, { alpnProtocols: ['h2'] });
    pump(bad.client, bad.server);
    expect(errorOf(bad.server)).toMatchObject({ code: 'ERR_TLS_ALERT_NO_APPLICATION_PROTOCOL', alertNumber: 120 });
    expect(errorOf(bad.client)).toMatchObject({ code: 'ERR_TLS_PEER_ALERT_NO_APPLICATION_PROTOCOL', fromPeer: true });
  });

  it('KeyUpdate in both directions keeps data flowing', () => {
    const { client, server } = pair();
    pump(client, server);
    client.conn.updateKeys(true);
    client.conn.write(Buffer.from('one'));
    pump(client, server);
    server.conn.write(Buffer.from('two'));
    server.conn.updateKeys(false);
    server.conn.write(Buffer.from('three'));
    pump(client, server);
    expect(received(server).toString()).toBe('one');
    expect(received(client).toString()).toBe('twothree');
    const updates = (s: Side) => s.events.filter((e) => e.type === 'keyUpdate').map((e) => (e as { direction: string }).direction);
    expect(updates(client)).toEqual(['write', 'read', 'read']);
    expect(updates(server)).toEqual(['read', 'write', 'write']);
  });

  it('mutual TLS: the server requests and verifies a client certificate', () => {
    const clientCredentials = pki.leaf('p256');
    const { client, server } = pair({ key: clientCredentials.key, cert: clientCredentials.cert }, { requestCert: true, ca: pki.caPem });
    pump(client, server);
    expect(secure(server)?.verification).toMatchObject({ authorized: true });
    expect(secure(server)?.peerCertificates[0].subject).toContain('CN=p256');
    const anonymous = pair({}, { requestCert: true, ca: pki.caPem });
    pump(anonymous.client, anonymous.server);
    expect(errorOf(anonymous.server)).toMatchObject({ alert: 'certificate_required' });
  });

  it('rejects an untrusted, a wrong-host and an expired server certificate with the right alert', () => {
    const untrusted = pair({ ca: pki.selfSigned.cert });
    pump(untrusted.client, untrusted.server);
    expect(errorOf(untrusted.client)).toMatchObject({ alert: 'unknown_ca' });
    expect(errorOf(untrusted.server)).toMatchObject({ alert: 'unknown_ca', fromPeer: true });
    const wrongHost = pair({ servername: 'example.com' });
    pump(wrongHost.client, wrongHost.server);
    expect(errorOf(wrongHost.client)?.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    const expired = pair({ now: () => new Date(Date.now() + 400 * 86_400_000) });
    pump(expired.client, expired.server);
    expect(errorOf(expired.client)).toMatchObject({ alert: 'certificate_expired' });
    const lenient = pair({ servername: 'example.com', rejectUnauthorized: false });
    pump(lenient.client, lenient.server);
    expect(secure(lenient.client)?.verification).toMatchObject({ authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('a tampered record or garbled flight is bad_record_mac; a wrong Finished is decrypt_error; junk is answered, never thrown', () => {
    const { client, server } = pair();
    pump(client, server);
    client.conn.write(Buffer.from('data'));
    const [record] = client.conn.takeOutput();
    record[record.length - 3] ^= 0x40;
    server.conn.receive(record);
    expect(errorOf(server)).toMatchObject({ alert: 'bad_record_mac', alertNumber: 20 });
    expect(server.conn.takeOutput().length).toBe(1); // the alert

    // Corrupt the client's Finished: replace the server's view of the client flight.
    const c2 = side(new TlsClient({ ca: pki.caPem, servername: 'localhost' }));
    const credentials = pki.leaf('rsa');
    const s2 = side(new TlsServer({ key: credentials.key, cert: credentials.cert }));
    s2.conn.receive(Buffer.concat(c2.conn.takeOutput()));
    c2.conn.receive(Buffer.concat(s2.conn.takeOutput()));
    const flight = c2.conn.takeOutput(); // CCS + encrypted Finished
    // Re-encrypting is not possible here; instead check that garbage in place of Finished is bad_record_mac.
    const finished = flight[flight.length - 1];
    finished[10] ^= 1;
    s2.conn.receive(Buffer.concat(flight));
    expect(errorOf(s2)).toMatchObject({ alert: 'bad_record_mac' });

    expect(() => checkFinished(new Uint8Array(32), 'sha256', new Uint8Array(32), new Uint8Array(32))).toThrow(
      expect.objectContaining({ alert: 'decrypt_error' }),
    );
    expect(() => checkFinished(new Uint8Array(31), 'sha256', new Uint8Array(32), new Uint8Array(32))).toThrow(
      expect.objectContaining({ alert: 'decode_error' }),
    );

    const junk = side(new TlsServer({ key: credentials.key, cert: credentials.cert }));
    expect(() => junk.conn.receive(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).not.toThrow();
    expect(errorOf(junk)?.alert).toBeDefined();
  });

  it('crafted input: an unexpected first message, an oversized record and a plaintext application record each get their alert', () => {
    const credentials = pki.leaf('p256');
    const cases: [Uint8Array, string, number][] = [
      [plaintextRecord(ContentType.handshake, handshakeMessage(HandshakeType.finished, new Uint8Array(32))), 'unexpected_message', 10],
      [Uint8Array.from([23, 3, 3, 0x41, 0x01]), 'record_overflow', 22],
      [plaintextRecord(ContentType.application_data, Uint8Array.of(1, 2, 3)), 'unexpected_message', 10],
      [plaintextRecord(ContentType.handshake, Uint8Array.of(1, 0, 0, 3, 3, 3, 0)), 'decode_error', 50],
    ];
    for (const [input, alert, number] of cases) {
      const server = side(new TlsServer({ key: credentials.key, cert: credentials.cert }));
      server.conn.receive(input);
      expect(errorOf(server), alert).toMatchObject({ alert, alertNumber: number, code: `ERR_TLS_ALERT_${alert.toUpperCase()}` });
      // a fatal alert in plaintext (no keys yet): level 2, the description
      expect([...Buffer.concat(server.conn.takeOutput())]).toEqual([21, 3, 3, 0, 2, 2, number]);
      expect(server.conn.isClosed).toBe(true);
      server.conn.receive(input); // ignored once closed, never throws
      expect(server.conn.takeOutput()).toEqual([]);
    }
  });

  it('a ServerHello followed by more handshake data in the same plaintext record is unexpected_message (§5.1)', () => {
    const credentials = pki.leaf('p256');
    const client = side(new TlsClient({ ca: pki.caPem, servername: 'localhost' }));
    const server = side(new TlsServer({ key: credentials.key, cert: credentials.cert }));
    server.conn.receive(Buffer.concat(client.conn.takeOutput()));
    const flight = Buffer.concat(server.conn.takeOutput());
    const serverHelloRecord = flight.subarray(0, 5 + flight.readUInt16BE(3));
    const smuggled = Buffer.concat([serverHelloRecord.subarray(5), handshakeMessage(HandshakeType.encrypted_extensions, Uint8Array.of(0, 0))]);
    client.conn.receive(plaintextRecord(ContentType.handshake, smuggled));
    expect(errorOf(client)).toMatchObject({ alert: 'unexpected_message' });
  });

  it('writing before the handshake throws a typed error', () => {
    const client = new TlsClient({ ca: pki.caPem });
    expect(() => client.write(Buffer.from('x'))).toThrow(/handshaking/);
  });
});
