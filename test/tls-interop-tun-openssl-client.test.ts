/**
 * `openssl s_client` in a test-made namespace against our TLS server over a real TUN: default
 * settings, each suite, each group (HRR when our server wants a group s_client sent no share for),
 * RSA-PSS / ECDSA P-256 / Ed25519 certificates, mutual TLS, ALPN, SNI, KeyUpdate from s_client
 * ('k' / 'K' on its stdin), and 10 MB sent one way with a SHA-256 check.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns } from './helpers/netns.js';
import {
  KERNEL, NAME, OURS, bulkPayload, lineServer, makeTunPki, openTunBed, startPeer, until,
  type CertKind, type TunPki,
} from './helpers/tls-tun.js';
import type { TlsServerOptions } from '../src/net/secure-api.js';
import type { NegotiatedParameters } from '../src/tls/connection.js';

describeNetns('openssl s_client → our TLS server over a real TUN', () => {
  let pki: TunPki;
  let bed: ReturnType<typeof openTunBed>;
  let nextPort = 5000;

  beforeAll(() => {
    pki = makeTunPki();
    bed = openTunBed('ttosc');
  });
  afterAll(() => {
    bed?.close();
    pki?.cleanup();
  });

  /** Starts a server with `options`, runs s_client with `args`, exchanges one line and returns both views. */
  async function handshake(kind: CertKind, options: Partial<TlsServerOptions>, args: string[]) {
    const port = nextPort++;
    const leaf = pki.leaves[kind];
    const service = lineServer(bed.stack, port, { key: leaf.key, cert: leaf.cert, ...options });
    const client = startPeer(bed.ns, 'openssl', [
      's_client', '-connect', `${OURS}:${port}`, '-CAfile', pki.caFile, '-verify_return_error', '-verify_ip', OURS, '-brief', ...args,
    ]);
    try {
      await client.waitFor(/CONNECTION ESTABLISHED/);
      client.child.stdin!.write('hello tuntcp\n');
      await client.waitFor(/HELLO TUNTCP/);
      await until(() => service.sessions.length === 1, 'the secure session');
      const parameters = service.sessions[0]!.stream.secureSession!.parameters!;
      return { client, service, parameters, close: () => { client.kill(); service.server.close(); } };
    } catch (error) {
      client.kill();
      service.server.close();
      throw error;
    }
  }

  it.each([
    ['default settings, RSA certificate (RSA-PSS signature)', 'rsa', {}, [], {}, /Signature type: RSA-PSS/],
    ['TLS_AES_128_GCM_SHA256 forced', 'p256', {}, ['-ciphersuites', 'TLS_AES_128_GCM_SHA256'], { cipher: 'TLS_AES_128_GCM_SHA256' }, /Ciphersuite: TLS_AES_128_GCM_SHA256/],
    ['TLS_AES_256_GCM_SHA384 forced', 'p256', {}, ['-ciphersuites', 'TLS_AES_256_GCM_SHA384'], { cipher: 'TLS_AES_256_GCM_SHA384' }, /Ciphersuite: TLS_AES_256_GCM_SHA384/],
    ['TLS_CHACHA20_POLY1305_SHA256 forced', 'p256', {}, ['-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'], { cipher: 'TLS_CHACHA20_POLY1305_SHA256' }, /Ciphersuite: TLS_CHACHA20_POLY1305_SHA256/],
    ['-groups X25519', 'p256', {}, ['-groups', 'X25519'], { group: 'x25519', helloRetried: false }, /Server Temp Key: X25519/],
    ['-groups P-256', 'p256', {}, ['-groups', 'P-256'], { group: 'secp256r1', helloRetried: false }, /Server Temp Key: ECDH, prime256v1/],
    ['-groups P-384', 'p256', {}, ['-groups', 'P-384'], { group: 'secp384r1', helloRetried: false }, /Server Temp Key: ECDH, secp384r1/],
    ['-groups X25519:P-384 to a server wanting P-384: HelloRetryRequest', 'p256', { groups: ['secp384r1'] }, ['-groups', 'X25519:P-384'], { group: 'secp384r1', helloRetried: true }, /Server Temp Key: ECDH, secp384r1/],
    ['-groups X25519:P-256 to a server preferring P-256: HelloRetryRequest', 'rsa', { groups: ['secp256r1', 'x25519'] }, ['-groups', 'X25519:P-256'], { group: 'secp256r1', helloRetried: true }, /Server Temp Key: ECDH, prime256v1/],
    ['ECDSA P-256 certificate', 'p256', {}, [], {}, /Signature type: ECDSA/],
    ['Ed25519 certificate', 'ed25519', {}, [], {}, /Signature type: ed25519/i],
    ['-alpn h2,http/1.1 against our [http/1.1]', 'p256', { ALPNProtocols: ['http/1.1'] }, ['-alpn', 'h2,http/1.1'], { alpnProtocol: 'http/1.1' }, /Verification: OK/],
    [`-servername ${NAME} (and -verify_hostname)`, 'p256', {}, ['-servername', NAME, '-verify_hostname', NAME], { servername: NAME }, /Verification: OK/],
  ] as [string, CertKind, Partial<TlsServerOptions>, string[], Partial<NegotiatedParameters>, RegExp][])(
    '%s',
    async (_name, kind, options, args, expected, printed) => {
      const run = await handshake(kind, options, args);
      try {
        expect(run.parameters).toMatchObject({ version: 'TLSv1.3', ...expected });
        expect(run.client.text()).toMatch(/Protocol version: TLSv1.3/);
        expect(run.client.text()).toMatch(/Verification: OK/);
        expect(run.client.text()).toMatch(printed);
        run.client.child.stdin!.end(); // s_client: close_notify at EOF; our server answers with its own
        await run.client.exited;
        expect(run.service.failures).toEqual([]);
      } finally {
        run.close();
      }
    },
    30_000,
  );

  it.each([
    ['-verify 1 with a client certificate (mutual TLS)', true],
    ['-verify 1 without one: certificate_required', false],
  ])('%s', async (_name, withCertificate) => {
    const port = nextPort++;
    const leaf = pki.leaves.p256;
    const service = lineServer(bed.stack, port, { key: leaf.key, cert: leaf.cert, ca: pki.ca, requestCert: true });
    const args = ['s_client', '-connect', `${OURS}:${port}`, '-CAfile', pki.caFile, '-verify_return_error', '-brief'];
    if (withCertificate) args.push('-cert', pki.client.certFile, '-key', pki.client.keyFile);
    const client = startPeer(bed.ns, 'openssl', args);
    try {
      if (withCertificate) {
        await client.waitFor(/CONNECTION ESTABLISHED/);
        client.child.stdin!.write('mutual\n');
        await client.waitFor(/MUTUAL/);
        const session = service.sessions[0]!.stream;
        expect(session.verifyPeer()).toBe(true);
        expect(session.getPeerCertificate()).toMatchObject({ subject: { CN: 'tuntcp client' }, issuer: { CN: 'tuntcp interop CA' } });
      } else {
        client.child.stdin!.write('no certificate\n'); // TLS 1.3: s_client learns of the refusal when it reads
        await client.waitFor(/alert certificate required|certificate required/i);
        await until(() => service.failures.length === 1, 'the handshake failure');
        expect(service.failures[0]).toMatchObject({ code: 'ERR_TLS_ALERT_CERTIFICATE_REQUIRED', alertNumber: 116 });
        expect(service.sessions).toEqual([]);
      }
    } finally {
      client.kill();
      service.server.close();
    }
  }, 30_000);

  it.each([
    ["'k': KeyUpdate without update_requested", 'k', ['read']],
    ["'K': KeyUpdate with update_requested, answered by ours", 'K', ['read', 'write']],
  ])('%s', async (_name, command, directions) => {
    // Without -brief/-quiet s_client reads commands from stdin lines (OpenSSL 3.0: k, K, Q, R).
    const port = nextPort++;
    const leaf = pki.leaves.p256;
    const service = lineServer(bed.stack, port, { key: leaf.key, cert: leaf.cert });
    const client = startPeer(bed.ns, 'openssl', ['s_client', '-connect', `${OURS}:${port}`, '-CAfile', pki.caFile, '-verify_return_error']);
    try {
      await client.waitFor(/Verify return code: 0/);
      client.child.stdin!.write('before\n');
      await client.waitFor(/BEFORE/);
      const session = service.sessions[0]!;
      client.child.stdin!.write(`${command}\n`);
      await client.waitFor(/KEYUPDATE/);
      await until(() => session.keyUpdates.length === directions.length, 'the KeyUpdate');
      client.child.stdin!.write('after\n');
      await client.waitFor(/AFTER/);
      expect(session.keyUpdates).toEqual(directions);
    } finally {
      client.kill();
      service.server.close();
    }
  }, 30_000);

  it('10 MB from s_client to our server, SHA-256 checked', async () => {
    const payload = bulkPayload(pki);
    const port = nextPort++;
    const leaf = pki.leaves.p256;
    const service = lineServer(bed.stack, port, { key: leaf.key, cert: leaf.cert });
    // -nocommands: binary input is data, never a command; -no_ign_eof: close_notify at the end of the file.
    const client = startPeer(bed.ns, 'sh', ['-c', `exec openssl s_client -connect ${OURS}:${port} -CAfile ${pki.caFile} -verify_return_error -quiet -nocommands -no_ign_eof < ${payload.file}`]);
    try {
      expect(await service.sunk).toEqual({ length: payload.bytes.length, sha256: payload.sha256 });
      expect(await client.exited).toBe(0);
    } finally {
      client.kill();
      service.server.close();
    }
  }, 60_000);

  it('the kernel side reaches us only inside the namespace', () => {
    expect(bed.ns.ip(['-4', 'addr', 'show'])).toContain(`${KERNEL}/24`);
  });
});
