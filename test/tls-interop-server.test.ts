/**
 * Our TlsServer against real clients over kernel loopback TCP (127.0.0.1 only):
 * `openssl s_client -tls1_3`, Node's `tls.connect`, and `gnutls-cli`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { TlsServer } from '../src/tls/server.js';
import type { TlsServerOptions } from '../src/tls/options.js';
import { makePki, type LeafKind, type Pki } from './tls-fixtures.js';
import { spawnPeer, within, wire, type Wired } from './tls-net.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

/** An echo server: our TlsServer per accepted kernel TCP connection. */
async function echoServer(kind: LeafKind, options: Partial<TlsServerOptions> = {}) {
  const leaf = pki.leaf(kind);
  const sessions: { conn: TlsServer; wired: Wired }[] = [];
  const server = net.createServer((socket) => {
    const conn = new TlsServer({ key: leaf.key, cert: leaf.cert, ...options });
    const wired = wire(conn, socket);
    sessions.push({ conn, wired });
    const echo = conn.onEvent!;
    conn.onEvent = (event) => {
      echo(event);
      if (event.type === 'data' && !conn.isClosed) {
        conn.write(event.data);
        wired.flush();
      }
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.wired.socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function withOpensslClient(kind: LeafKind, serverOptions: Partial<TlsServerOptions>, clientArgs: string[]) {
  const server = await echoServer(kind, serverOptions);
  const client = spawnPeer('openssl', [
    's_client', '-tls1_3', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', `${pki.dir}/ca.pem`,
    '-verify_return_error', '-brief', ...clientArgs,
  ]);
  try {
    await client.waitFor(/CONNECTION ESTABLISHED/);
    client.child.stdin!.write('hello tuntcp\n');
    await client.waitFor(/hello tuntcp/);
    return { client, server, session: server.sessions[0] };
  } catch (error) {
    client.kill();
    await client.exited;
    await server.close();
    throw error;
  }
}

describe('our server ↔ openssl s_client', () => {
  it('default settings: verified, echo, KeyUpdate sent from s_client, close_notify on EOF', async () => {
    const { client, server, session } = await withOpensslClient('rsa', {}, []);
    try {
      expect(client.stderr() + client.stdout()).toMatch(/Verification: OK/);
      expect(client.stderr() + client.stdout()).toMatch(/Protocol version: TLSv1.3/);
      expect(session.conn.parameters).toMatchObject({ servername: 'localhost', version: 'TLSv1.3' });
      client.child.stdin!.write('K\n'); // s_client: KeyUpdate with update_requested
      await client.waitFor(/KEYUPDATE/);
      const keyUpdates = () => session.wired.events.filter((e) => e.type === 'keyUpdate').length;
      await within((async () => { while (keyUpdates() < 2) await new Promise((r) => setTimeout(r, 10)); })(), 10_000, 'KeyUpdate');
      client.child.stdin!.write('again\n'); // a separate read for s_client: the command takes its whole line buffer
      await client.waitFor(/again/);
      const updates = session.wired.events.filter((e) => e.type === 'keyUpdate').map((e) => (e as { direction: string }).direction);
      expect(updates).toEqual(['read', 'write']);
      client.child.stdin!.end();
      await within(client.exited, 10_000, 's_client exit');
      await within(session.wired.closed, 10_000, 'socket close');
      expect(session.wired.events.some((e) => e.type === 'close_notify')).toBe(true);
    } finally {
      client.kill();
      await client.exited;
      await server.close();
    }
  });

  for (const [suite, kind] of [
    ['TLS_AES_128_GCM_SHA256', 'p256'],
    ['TLS_AES_256_GCM_SHA384', 'p384'],
    ['TLS_CHACHA20_POLY1305_SHA256', 'ed25519'],
  ] as const) {
    it(`suite ${suite} forced by s_client, ${kind} certificate`, async () => {
      const { client, server, session } = await withOpensslClient(kind, {}, ['-ciphersuites', suite]);
      try {
        expect(session.conn.parameters?.cipher).toBe(suite);
        expect(client.stderr() + client.stdout()).toContain(`Ciphersuite: ${suite}`);
      } finally {
        client.kill();
        await client.exited;
        await server.close();
      }
    });
  }

  it('our server preferring P-256 sends a HelloRetryRequest to s_client (X25519 share only)', async () => {
    const { client, server, session } = await withOpensslClient('p256', { groups: ['secp256r1', 'x25519'] }, []);
    try {
      expect(session.conn.parameters).toMatchObject({ group: 'secp256r1', helloRetried: true });
    } finally {
      client.kill();
      await client.exited;
      await server.close();
    }
  });

  it('s_client -groups P-384 and -alpn; mutual TLS with -cert', async () => {
    const clientLeaf = pki.leaf('p256');
    const { client, server, session } = await withOpensslClient(
      'rsa',
      { alpnProtocols: ['h2', 'http/1.1'], requestCert: true, ca: pki.caPem },
      ['-groups', 'P-384', '-alpn', 'http/1.1', '-cert', clientLeaf.certFile, '-key', clientLeaf.keyFile],
    );
    try {
      expect(session.conn.parameters).toMatchObject({ group: 'secp384r1', alpnProtocol: 'http/1.1' });
      expect(session.conn.parameters?.verification?.authorized).toBe(true);
      expect(session.conn.parameters?.peerCertificates[0].subject).toContain('CN=p256');
    } finally {
      client.kill();
      await client.exited;
      await server.close();
    }
  });
});

describe('our server ↔ Node tls.connect', () => {
  for (const kind of ['rsa', 'p256'] as const) {
    it(`${kind} certificate: verified by Node, 1 MB echoed byte-exact, ALPN`, async () => {
      const server = await echoServer(kind, { alpnProtocols: ['echo'] });
      try {
        const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: pki.caPem, ALPNProtocols: ['echo'] });
        await within(new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject)), 10_000, 'node connect');
        expect(socket.authorized).toBe(true);
        expect(socket.getProtocol()).toBe('TLSv1.3');
        expect(socket.alpnProtocol).toBe('echo');
        const payload = randomBytes(1 << 20);
        const chunks: Buffer[] = [];
        let total = 0;
        const done = new Promise<void>((resolve) =>
          socket.on('data', (d: Buffer) => {
            chunks.push(d);
            total += d.length;
            if (total >= payload.length) resolve();
          }),
        );
        socket.write(payload);
        await within(done, 20_000, 'echo');
        expect(Buffer.concat(chunks).equals(payload)).toBe(true);
        socket.end();
        await within(new Promise((resolve) => socket.once('close', resolve)), 10_000, 'close');
      } finally {
        await server.close();
      }
    });
  }
});

describe('our server ↔ gnutls-cli', () => {
  for (const kind of ['rsa', 'p256'] as const) {
    it(`${kind} certificate: TLS 1.3 handshake verified by GnuTLS, echo`, async () => {
      const server = await echoServer(kind);
      const client = spawnPeer('gnutls-cli', [
        '--x509cafile', `${pki.dir}/ca.pem`, '--port', String(server.port), '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3', '127.0.0.1',
      ]);
      try {
        await client.waitFor(/Handshake was completed/);
        client.child.stdin!.write('hello gnutls\n');
        await client.waitFor(/^hello gnutls$/m);
        expect(client.stdout()).toMatch(/TLS1\.3/);
        expect(server.sessions[0].conn.parameters?.version).toBe('TLSv1.3');
      } finally {
        client.kill();
        await client.exited;
        await server.close();
      }
    });
  }
});
