/**
 * Our TLS client against `openssl s_server` in a test-made namespace over a real TUN: default
 * settings, each suite, each group (HRR when s_server wants a group we sent no share for),
 * RSA-PSS / ECDSA P-256 / Ed25519 certificates, mutual TLS (-verify / -Verify), ALPN, SNI
 * (-servername with -servername_fatal), KeyUpdate sent by s_server, and 10 MB one way with a SHA-256 check.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { once } from 'node:events';
import { describeNetns } from './helpers/netns.js';
import {
  KERNEL, NAME, bulkPayload, collect, makeTunPki, openTunBed, sha256, startPeer, until, watchKeyUpdates,
  type CertKind, type TunPki,
} from './helpers/tls-tun.js';
import type { TlsConnectOptions } from '../src/net/secure-api.js';
import type { NegotiatedParameters } from '../src/tls/connection.js';

describeNetns('our TLS client → openssl s_server over a real TUN', () => {
  let pki: TunPki;
  let bed: ReturnType<typeof openTunBed>;
  let nextPort = 6000;

  beforeAll(() => {
    pki = makeTunPki();
    bed = openTunBed('ttoss');
  });
  afterAll(() => {
    bed?.close();
    pki?.cleanup();
  });

  function server(kind: CertKind, args: string[], port: number) {
    const leaf = pki.leaves[kind];
    return startPeer(bed.ns, 'openssl', ['s_server', '-accept', `${KERNEL}:${port}`, '-cert', leaf.certFile, '-key', leaf.keyFile, '-naccept', '1', ...args]);
  }

  it.each([
    ['default settings, RSA certificate', 'rsa', [], {}, { signatureScheme: 0x0804 }, /Cipher is TLS_AES_256_GCM_SHA384|Cipher is TLS_AES_128_GCM_SHA256|Cipher is TLS_CHACHA20/],
    ['-ciphersuites TLS_AES_128_GCM_SHA256', 'p256', ['-ciphersuites', 'TLS_AES_128_GCM_SHA256'], {}, { cipher: 'TLS_AES_128_GCM_SHA256' }, /Cipher is TLS_AES_128_GCM_SHA256/],
    ['-ciphersuites TLS_AES_256_GCM_SHA384', 'p256', ['-ciphersuites', 'TLS_AES_256_GCM_SHA384'], {}, { cipher: 'TLS_AES_256_GCM_SHA384' }, /Cipher is TLS_AES_256_GCM_SHA384/],
    ['-ciphersuites TLS_CHACHA20_POLY1305_SHA256', 'p256', ['-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'], {}, { cipher: 'TLS_CHACHA20_POLY1305_SHA256' }, /Cipher is TLS_CHACHA20_POLY1305_SHA256/],
    ['-groups X25519', 'p256', ['-groups', 'X25519'], {}, { group: 'x25519', helloRetried: false }, /TLSv1\.3/],
    ['-groups P-256: HelloRetryRequest (we send an X25519 share first)', 'p256', ['-groups', 'P-256'], {}, { group: 'secp256r1', helloRetried: true }, /TLSv1\.3/],
    ['-groups P-384: HelloRetryRequest', 'p256', ['-groups', 'P-384'], {}, { group: 'secp384r1', helloRetried: true }, /TLSv1\.3/],
    ['-groups P-256 and our client offering P-256 first: no HRR', 'p256', ['-groups', 'P-256'], { groups: ['secp256r1', 'x25519'] }, { group: 'secp256r1', helloRetried: false }, /TLSv1\.3/],
    ['ECDSA P-256 certificate', 'p256', [], {}, { signatureScheme: 0x0403 }, /TLSv1\.3/],
    ['Ed25519 certificate', 'ed25519', [], {}, { signatureScheme: 0x0807 }, /TLSv1\.3/],
    ['-alpn http/1.1, ours [h2, http/1.1]', 'p256', ['-alpn', 'http/1.1'], { ALPNProtocols: ['h2', 'http/1.1'] }, { alpnProtocol: 'http/1.1' }, /TLSv1\.3/],
    [`-servername ${NAME} -servername_fatal, ours sending it`, 'p256', ['-servername', NAME, '-cert2', 'P256CERT', '-key2', 'P256KEY', '-servername_fatal'], { servername: NAME }, { servername: NAME }, /TLSv1\.3/],
    ['-verify 1 (certificate requested) and our client certificate', 'p256', ['-verify', '1', '-CAfile', 'CAFILE'], { key: 'CLIENT', cert: 'CLIENT' }, {}, /Client certificate/],
    ['-Verify 1 (certificate required) and our client certificate', 'rsa', ['-Verify', '1', '-CAfile', 'CAFILE', '-verify_return_error'], { key: 'CLIENT', cert: 'CLIENT' }, {}, /Client certificate/],
    ['-verify 1 and no client certificate: an empty Certificate, accepted', 'p256', ['-verify', '1', '-CAfile', 'CAFILE'], {}, {}, /no client certificate available/],
  ] as [string, CertKind, string[], Partial<TlsConnectOptions>, Partial<NegotiatedParameters>, RegExp][])(
    '%s',
    async (_name, kind, rawArgs, options, expected, page) => {
      const port = nextPort++;
      const args = rawArgs.map((arg) => ({ CAFILE: pki.caFile, P256CERT: pki.leaves.p256.certFile, P256KEY: pki.leaves.p256.keyFile })[arg] ?? arg);
      const peer = server(kind, ['-www', ...args], port);
      try {
        await peer.waitFor(/ACCEPT/);
        const clientCredentials = options.key === 'CLIENT' ? { key: pki.client.key, cert: pki.client.cert } : {};
        const stream = bed.stack.tls.connect({ host: KERNEL, port, ca: pki.ca, ...options, ...clientCredentials });
        await once(stream, 'secure');
        expect(stream.verifyPeer()).toBe(true);
        expect(stream.getPeerCertificate()).toMatchObject({ subject: { CN: `tuntcp ${kind}` }, issuer: { CN: 'tuntcp interop CA' } });
        expect(stream.secureSession!.parameters).toMatchObject({ version: 'TLSv1.3', ...expected });
        const body = collect(stream);
        stream.write('GET / HTTP/1.0\r\n\r\n');
        const text = (await body).toString('latin1');
        expect(text).toMatch(/^HTTP\/1\.0 200 ok/);
        expect(text).toMatch(/New, TLSv1\.3, Cipher is/);
        expect(text.slice(text.indexOf('New, TLSv1.3'))).toMatch(page);
        // s_server logs the client chain it verified (its -www page stops after the "Client certificate" line)
        if (options.key === 'CLIENT') expect(peer.text()).toMatch(/depth=0 CN = tuntcp client\s+verify return:1/);
      } finally {
        peer.kill();
      }
    },
    30_000,
  );

  it('-servername_fatal refuses another name: unrecognized_name (112) from s_server', async () => {
    const port = nextPort++;
    const peer = server('p256', ['-www', '-servername', NAME, '-cert2', pki.leaves.p256.certFile, '-key2', pki.leaves.p256.keyFile, '-servername_fatal'], port);
    try {
      await peer.waitFor(/ACCEPT/);
      const stream = bed.stack.tls.connect({ host: KERNEL, port, ca: pki.ca, servername: 'localhost' });
      const [error] = (await once(stream, 'error')) as [Error & { code: string; alertNumber: number }];
      expect(error).toMatchObject({ code: 'ERR_TLS_PEER_ALERT_UNRECOGNIZED_NAME', alertNumber: 112 });
    } finally {
      peer.kill();
    }
  }, 30_000);

  it.each([
    ["'k' on s_server's stdin: KeyUpdate without update_requested", 'k', ['read']],
    ["'K': KeyUpdate with update_requested, answered by ours", 'K', ['read', 'write']],
  ])('%s', async (_name, command, directions) => {
    const port = nextPort++;
    const peer = server('p256', [], port);
    try {
      await peer.waitFor(/ACCEPT/);
      const stream = bed.stack.tls.connect({ host: KERNEL, port, ca: pki.ca });
      await once(stream, 'secure');
      const updates = watchKeyUpdates(stream);
      const received: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => received.push(chunk));
      stream.write('before\n');
      await peer.waitFor(/before/);
      peer.child.stdin!.write(`${command}\n`);
      await until(() => updates.length === directions.length, 'the KeyUpdate');
      expect(updates).toEqual(directions);
      stream.write('after\n'); // under our (possibly new) write keys, read by s_server
      await peer.waitFor(/after/);
      peer.child.stdin!.write('from s_server\n'); // and s_server's next records, under its new keys
      await until(() => Buffer.concat(received).toString().includes('from s_server'), 'data from s_server');
      stream.destroy();
    } finally {
      peer.kill();
    }
  }, 30_000);

  it('10 MB from our client to s_server, SHA-256 checked', async () => {
    const payload = bulkPayload(pki);
    const port = nextPort++;
    const peer = server('p256', ['-quiet'], port);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // -quiet prints nothing: give it time to listen
      const stream = bed.stack.tls.connect({ host: KERNEL, port, ca: pki.ca });
      await once(stream, 'secure');
      stream.on('data', () => undefined);
      stream.end(payload.bytes);
      await until(() => peer.stdout().length >= payload.bytes.length, 's_server to print 10 MB', 50_000);
      expect(peer.stdout().length).toBe(payload.bytes.length);
      expect(sha256(peer.stdout())).toBe(payload.sha256);
    } finally {
      peer.kill();
    }
  }, 60_000);
});
