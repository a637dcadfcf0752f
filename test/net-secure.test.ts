/**
 * Secure streams over one stack's loopback: a tuntcp TLS client and a tuntcp TLS server (the
 * seed's setSecure API and stack.tls), byte-exact bulk echo, verifyPeer / getPeerCertificate,
 * rejection, mutual TLS, close_notify before FIN, misuse errors.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Stack } from '../src/stack.js';
import { createServer, type Server } from '../src/net/server.js';
import { createConnection, type Stream } from '../src/net/stream.js';
import { createCredentials } from '../src/net/secure.js';
import { TlsServer } from '../src/tls/server.js';
import type { TlsEvent } from '../src/tls/connection.js';
import { TlsError } from '../src/tls/alerts.js';
import { InvalidArgumentError, InvalidStateError } from '../src/errors.js';
import { makePki, type Pki } from './tls-fixtures.js';
import { readAll } from './helpers/net.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

let stack: Stack;
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) if (server.listening) server.close();
  stack?.close();
});

function listen(server: Server, port: number): Promise<void> {
  servers.push(server);
  server.listen(port);
  return once(server, 'listening').then(() => undefined);
}

/** A secure echo server: setSecure(credentials) in the 'connection' handler, then pipe back. */
async function secureEcho(port: number, credentials = createCredentials({ key: pki.leaf('rsa').key, cert: pki.leaf('rsa').cert })): Promise<Stream[]> {
  const accepted: Stream[] = [];
  await listen(
    createServer(stack, (stream) => {
      accepted.push(stream);
      stream.on('error', () => {});
      stream.setSecure(credentials);
      stream.pipe(stream);
    }),
    port,
  );
  return accepted;
}

function closeOf(stream: Stream): Promise<boolean> {
  return new Promise((resolve) => stream.once('close', (hadError: boolean) => resolve(hadError)));
}

describe('secure streams over one stack', () => {
  it('handshakes, verifies the peer, and echoes 1 MB written before and after secure, byte-exact', async () => {
    stack = new Stack();
    const accepted = await secureEcho(4433);
    const client = createConnection(stack, 4433, 'localhost');
    await once(client, 'connect');
    client.setSecure(createCredentials({ ca: pki.caPem }));
    const payload = randomBytes(1_100_000);
    // Written before 'secure': queued in the stream, sent once the handshake completes.
    client.write(payload.subarray(0, 1000));
    await once(client, 'secure');
    expect(client.verifyPeer()).toBe(true);
    const certificate = client.getPeerCertificate();
    const leaf = new X509Certificate(pki.leaf('rsa').cert);
    expect(certificate).toMatchObject({ subject: { CN: 'rsa' }, issuer: { CN: 'tuntcp test CA' }, fingerprint256: leaf.fingerprint256, valid_to: leaf.validTo });
    expect((certificate as { raw: Buffer }).raw.equals(leaf.raw)).toBe(true);
    expect(client.secureSession?.parameters?.version).toBe('TLSv1.3');
    const received = readAll(client);
    const closed = closeOf(client);
    client.end(payload.subarray(1000));
    const echoed = await received;
    expect(echoed.length).toBe(payload.length);
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(await closed).toBe(false);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.verifyPeer()).toBe(false); // no client certificate was asked for
    expect(accepted[0]!.getPeerCertificate()).toEqual({});
  });

  it('completes with verifyPeer() false for an untrusted server (seed semantics), and rejectUnauthorized aborts', async () => {
    stack = new Stack();
    const accepted = await secureEcho(4433);
    const trusting = createConnection(stack, 4433, '127.0.0.1');
    await once(trusting, 'connect');
    trusting.setSecure(); // no ca: Node's root store, which does not hold our test CA
    await once(trusting, 'secure');
    expect(trusting.verifyPeer()).toBe(false);
    expect(trusting.secureSession?.authorizationError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(trusting.getPeerCertificate()).toMatchObject({ subject: { CN: 'rsa' } });
    trusting.destroy();

    const strict = createConnection(stack, 4433, '127.0.0.1');
    await once(strict, 'connect');
    strict.setSecure(undefined, { rejectUnauthorized: true });
    const strictClosed = closeOf(strict);
    const [error] = (await once(strict, 'error')) as [TlsError];
    expect(error).toBeInstanceOf(TlsError);
    expect(error.code).toBe('ERR_TLS_ALERT_UNKNOWN_CA');
    expect(error.alertNumber).toBe(48);
    expect(await strictClosed).toBe(true);
    // The server read our alert: its stream ends with the peer's alert.
    const serverSide = accepted[1]!;
    const [serverError] = serverSide.destroyed && serverSide.errored ? [serverSide.errored] : ((await once(serverSide, 'error')) as [TlsError]);
    expect((serverError as TlsError).code).toBe('ERR_TLS_PEER_ALERT_UNKNOWN_CA');
  });

  it('checks the host name: a certificate for localhost does not verify for another name', async () => {
    stack = new Stack();
    await secureEcho(4433);
    const client = createConnection(stack, 4433, '127.0.0.1');
    await once(client, 'connect');
    client.setSecure(createCredentials({ ca: pki.caPem }), { servername: 'example.org' });
    await once(client, 'secure');
    expect(client.verifyPeer()).toBe(false);
    expect(client.secureSession?.authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    client.destroy();
  });

  it('mutual TLS: a server with ca asks for a client certificate and verifies it', async () => {
    stack = new Stack();
    const server = pki.leaf('p256');
    const accepted = await secureEcho(4433, createCredentials({ key: server.key, cert: server.cert, ca: pki.caPem }));
    const client = pki.leaf('ed25519');
    const withCert = createConnection(stack, 4433, 'localhost');
    await once(withCert, 'connect');
    withCert.setSecure(createCredentials({ key: client.key, cert: client.cert, ca: pki.caPem }));
    await once(withCert, 'secure');
    withCert.end('ping');
    expect((await readAll(withCert)).toString()).toBe('ping');
    expect(accepted[0]!.verifyPeer()).toBe(true);
    expect(accepted[0]!.getPeerCertificate()).toMatchObject({ subject: { CN: 'ed25519' } });

    const withoutCert = createConnection(stack, 4433, 'localhost');
    await once(withoutCert, 'connect');
    withoutCert.setSecure(createCredentials({ ca: pki.caPem }));
    await once(withoutCert, 'secure');
    withoutCert.end('pong');
    expect((await readAll(withoutCert)).toString()).toBe('pong');
    expect(accepted[1]!.verifyPeer()).toBe(false); // seed semantics: completes, the application decides
  });

  it('sends close_notify before FIN on end(), and answers the peer close_notify', async () => {
    stack = new Stack();
    // The peer: a plain tuntcp server driving a TlsServer engine by hand, recording what it sees.
    const leaf = pki.leaf('rsa');
    const seen: string[] = [];
    let serverClosed: Promise<boolean> | undefined;
    await listen(
      createServer(stack, (stream) => {
        serverClosed = closeOf(stream);
        const engine = new TlsServer({ key: leaf.key, cert: leaf.cert });
        const flush = (): void => {
          for (const record of engine.takeOutput()) stream.write(record);
        };
        engine.onEvent = (event: TlsEvent) => {
          seen.push(event.type === 'data' ? `data:${Buffer.from(event.data).toString()}` : event.type);
          if (event.type === 'close_notify') {
            engine.close();
            flush();
            stream.end();
          }
        };
        stream.on('data', (chunk: Buffer) => {
          engine.receive(chunk);
          flush();
        });
        stream.on('end', () => seen.push('FIN'));
      }),
      4434,
    );
    const client = createConnection(stack, 4434, 'localhost');
    await once(client, 'connect');
    client.setSecure(createCredentials({ ca: pki.caPem }));
    client.resume();
    const ended = once(client, 'end');
    const closed = closeOf(client);
    client.end('bye');
    await ended;
    expect(await closed).toBe(false);
    expect(await serverClosed).toBe(false);
    expect(seen).toEqual(['secure', 'data:bye', 'close_notify', 'FIN']);
  });

  it('a peer close_notify ends our reading side and we answer with ours, then FIN', async () => {
    stack = new Stack();
    const leaf = pki.leaf('rsa');
    const accepted: Stream[] = [];
    await listen(
      createServer(stack, (stream) => {
        accepted.push(stream);
        stream.setSecure(createCredentials({ key: leaf.key, cert: leaf.cert }));
        stream.on('secure', () => stream.end('server says bye')); // close_notify + FIN from the server first
        stream.resume();
      }),
      4435,
    );
    const client = createConnection(stack, 4435, 'localhost');
    await once(client, 'connect');
    client.setSecure(createCredentials({ ca: pki.caPem }));
    const text = readAll(client);
    const clientClosed = closeOf(client);
    expect((await text).toString()).toBe('server says bye');
    // We never called end(): the stream answered the close_notify itself.
    expect(await clientClosed).toBe(false);
    expect(client.writableEnded).toBe(true);
    expect(await closeOf(accepted[0]!)).toBe(false);
  });

  it('stack.tls: connect / createServer reject an unauthorised server by default', async () => {
    stack = new Stack();
    const leaf = pki.leaf('p384');
    const secured: Stream[] = [];
    const server = stack.tls.createServer({ key: leaf.key, cert: leaf.cert }, (stream) => {
      secured.push(stream);
      stream.pipe(stream);
    });
    const clientErrors: Error[] = [];
    server.on('tlsClientError', (error: Error) => clientErrors.push(error));
    await listen(server, 8443);

    const good = stack.tls.connect({ port: 8443, host: 'localhost', ca: pki.caPem });
    await once(good, 'secure');
    expect(good.verifyPeer()).toBe(true);
    good.end('modern');
    expect((await readAll(good)).toString()).toBe('modern');
    expect(secured).toHaveLength(1);

    const bad = stack.tls.connect({ port: 8443, host: 'localhost' }); // no ca: root store
    const [error] = (await once(bad, 'error')) as [TlsError];
    expect(error.code).toBe('ERR_TLS_ALERT_UNKNOWN_CA');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(clientErrors.map((e) => (e as TlsError).code)).toEqual(['ERR_TLS_PEER_ALERT_UNKNOWN_CA']);

    const lax = stack.tls.connect({ port: 8443, host: 'localhost', rejectUnauthorized: false });
    await once(lax, 'secure');
    expect(lax.verifyPeer()).toBe(false);
    lax.destroy();
  });

  it('a TCP FIN before the handshake completes is ECONNRESET', async () => {
    stack = new Stack();
    await listen(
      createServer(stack, (stream) => {
        stream.on('error', () => {});
        stream.end(); // a plain server that hangs up
      }),
      4436,
    );
    const client = createConnection(stack, 4436, '127.0.0.1');
    await once(client, 'connect');
    client.setSecure();
    client.resume();
    const closed = closeOf(client);
    const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toMatch(/before secure TLS connection was established/);
    expect(await closed).toBe(true);
  });

  it('misuse throws typed errors', async () => {
    stack = new Stack();
    await listen(createServer(stack, (stream) => {
      expect(() => stream.setSecure()).toThrow(InvalidArgumentError); // a server needs key and cert
      stream.destroy();
    }), 4437);
    const stream = createConnection(stack, 4437, '127.0.0.1');
    expect(() => stream.verifyPeer()).toThrow(InvalidStateError);
    expect(() => stream.getPeerCertificate()).toThrow(InvalidStateError);
    stream.setSecure();
    expect(() => stream.setSecure()).toThrow(InvalidStateError);
    expect(stream.getPeerCertificate()).toEqual({});
    expect(() => createCredentials({ key: pki.leaf('rsa').key })).toThrow(InvalidArgumentError);
    expect(() => createCredentials({ key: pki.leaf('p256').key, cert: pki.leaf('rsa').cert })).toThrow(/does not match/);
    expect(() => createCredentials({ ca: 'not a certificate' })).toThrow(InvalidArgumentError);
    stream.on('error', () => {});
    stream.destroy();
  });
});
