/**
 * Our TlsClient against real peers over kernel loopback TCP (127.0.0.1 only):
 * `openssl s_server -tls1_3 -www` and Node's `tls.createServer`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { TlsClient } from '../src/tls/client.js';
import type { CipherSuiteName } from '../src/tls/cipher-suites.js';
import type { GroupName } from '../src/tls/key-exchange.js';
import { makePki, type LeafKind, type Pki } from './tls-fixtures.js';
import { connectTcp, freePort, spawnPeer, within, wire } from './tls-net.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

async function againstOpensslServer(options: {
  kind: LeafKind;
  serverArgs?: string[];
  clientSuites?: CipherSuiteName[];
  clientGroups?: GroupName[];
}) {
  const port = await freePort();
  const leaf = pki.leaf(options.kind);
  const server = spawnPeer('openssl', [
    's_server', '-tls1_3', '-www', '-accept', `127.0.0.1:${port}`, '-cert', leaf.certFile, '-key', leaf.keyFile,
    ...(options.serverArgs ?? []),
  ]);
  try {
    await server.waitFor(/ACCEPT/);
    const client = new TlsClient({
      ca: pki.caPem,
      servername: 'localhost',
      cipherSuites: options.clientSuites,
      groups: options.clientGroups,
    });
    const wired = wire(client, await connectTcp(port));
    await within(wired.secure, 10_000, 'handshake with openssl s_server');
    client.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    wired.flush();
    await within(wired.closed, 10_000, 'openssl s_server response');
    return { parameters: client.parameters!, page: wired.text(), events: wired.events };
  } finally {
    server.kill();
    await server.exited;
  }
}

describe('our client ↔ openssl s_server', () => {
  it('default settings, RSA certificate: TLS 1.3 page received, close_notify seen', async () => {
    const { parameters, page, events } = await againstOpensslServer({ kind: 'rsa' });
    expect(page).toMatch(/HTTP\/1\.0 200 ok/);
    expect(page).toContain('TLSv1.3');
    expect(page).toContain(parameters.cipher);
    expect(parameters.verification?.authorized).toBe(true);
    expect(parameters.signatureScheme).toBe(0x0804);
    expect(events.some((e) => e.type === 'close_notify')).toBe(true);
  });

  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const) {
    it(`suite forced by the server: ${suite}`, async () => {
      const { parameters, page } = await againstOpensslServer({ kind: 'p256', serverArgs: ['-ciphersuites', suite] });
      expect(parameters.cipher).toBe(suite);
      expect(page).toContain(suite);
    });
  }

  it('server allowing only P-256 forces a HelloRetryRequest (ECDSA P-384 certificate)', async () => {
    const { parameters } = await againstOpensslServer({ kind: 'p384', serverArgs: ['-groups', 'P-256'] });
    expect(parameters).toMatchObject({ group: 'secp256r1', helloRetried: true, signatureScheme: 0x0503 });
  });

  it('X25519 and P-384 offered first by us; Ed25519 certificate', async () => {
    const first = await againstOpensslServer({ kind: 'ed25519', clientGroups: ['secp384r1'] });
    expect(first.parameters).toMatchObject({ group: 'secp384r1', helloRetried: false, signatureScheme: 0x0807 });
  });
});

describe('our client ↔ Node tls.createServer', () => {
  for (const kind of ['rsa', 'p256'] as const) {
    it(`echoes 1 MB byte-exact with a ${kind} certificate and ALPN`, async () => {
      const leaf = pki.leaf(kind);
      const server = tls.createServer(
        { key: leaf.key, cert: leaf.cert, minVersion: 'TLSv1.3', ALPNProtocols: ['echo', 'h2'] },
        (socket) => socket.pipe(socket),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const client = new TlsClient({ ca: pki.caPem, servername: 'localhost', alpnProtocols: ['echo'] });
        const wired = wire(client, await connectTcp((server.address() as AddressInfo).port));
        await within(wired.secure, 10_000, 'handshake with node tls');
        expect(client.parameters).toMatchObject({ alpnProtocol: 'echo', version: 'TLSv1.3' });
        const payload = randomBytes(1 << 20);
        client.write(payload);
        wired.flush();
        await within(
          (async () => {
            while (Buffer.concat(wired.received).length < payload.length) await new Promise((r) => setTimeout(r, 10));
          })(),
          20_000,
          'echo',
        );
        expect(Buffer.concat(wired.received).equals(payload)).toBe(true);
        client.updateKeys(true);
        client.write(Buffer.from('after key update'));
        wired.flush();
        await within(
          (async () => {
            while (!wired.text().endsWith('after key update')) await new Promise((r) => setTimeout(r, 10));
          })(),
          10_000,
          'echo after KeyUpdate',
        );
        client.close();
        wired.flush();
        wired.socket.end();
        await within(wired.closed, 10_000, 'close');
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  }
});
