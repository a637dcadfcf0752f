/**
 * GnuTLS in a test-made namespace against tuntcp over a real TUN, both roles: `gnutls-cli` → our
 * server and our client → `gnutls-serv --echo`, with each suite and group forced by a priority
 * string (HRR when the share GnuTLS sent is not the group we want), RSA-PSS / ECDSA P-256 /
 * Ed25519 certificates, mutual TLS, ALPN and SNI; 10 MB one way (gnutls-cli) and 10 MB echoed (gnutls-serv).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { once } from 'node:events';
import { describeNetns } from './helpers/netns.js';
import {
  KERNEL, NAME, OURS, bulkPayload, lineServer, makeTunPki, openTunBed, sha256, startPeer, until,
  type CertKind, type TunPki,
} from './helpers/tls-tun.js';
import type { TlsConnectOptions, TlsServerOptions } from '../src/net/secure-api.js';
import type { NegotiatedParameters } from '../src/tls/connection.js';

const TLS13 = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';

/** [name, certificate, our options, GnuTLS arguments, expected parameters on our side, GnuTLS's description] */
type Row = [string, CertKind, Record<string, unknown>, string[], Partial<NegotiatedParameters>, RegExp];
const ROWS: Row[] = [
  ['default priority, RSA certificate (RSA-PSS)', 'rsa', {}, [], { signatureScheme: undefined }, /\(TLS1\.3-X\.509\)-\(ECDHE-X25519\)-\(RSA-PSS-RSAE-SHA256\)/],
  ['AES-128-GCM forced', 'p256', {}, ['--priority', `${TLS13}:-CIPHER-ALL:+AES-128-GCM`], { cipher: 'TLS_AES_128_GCM_SHA256' }, /\(AES-128-GCM\)/],
  ['AES-256-GCM forced', 'p256', {}, ['--priority', `${TLS13}:-CIPHER-ALL:+AES-256-GCM`], { cipher: 'TLS_AES_256_GCM_SHA384' }, /\(AES-256-GCM\)/],
  ['CHACHA20-POLY1305 forced', 'p256', {}, ['--priority', `${TLS13}:-CIPHER-ALL:+CHACHA20-POLY1305`], { cipher: 'TLS_CHACHA20_POLY1305_SHA256' }, /\(CHACHA20-POLY1305\)/],
  ['GROUP-X25519 only', 'p256', {}, ['--priority', `${TLS13}:-GROUP-ALL:+GROUP-X25519`], { group: 'x25519', helloRetried: false }, /\(ECDHE-X25519\)/],
  ['GROUP-SECP256R1 only', 'p256', {}, ['--priority', `${TLS13}:-GROUP-ALL:+GROUP-SECP256R1`], { group: 'secp256r1', helloRetried: false }, /\(ECDHE-SECP256R1\)/],
  ['GROUP-SECP384R1 only', 'p256', {}, ['--priority', `${TLS13}:-GROUP-ALL:+GROUP-SECP384R1`], { group: 'secp384r1', helloRetried: false }, /\(ECDHE-SECP384R1\)/],
  ['X25519, SECP256R1, SECP384R1, the peer wanting P-384: HelloRetryRequest', 'p256', { groups: ['secp384r1'] }, ['--priority', `${TLS13}:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1`], { group: 'secp384r1', helloRetried: true }, /\(ECDHE-SECP384R1\)/],
  ['ECDSA P-256 certificate', 'p256', {}, [], {}, /\(ECDSA-SECP256R1-SHA256\)/],
  ['Ed25519 certificate', 'ed25519', {}, [], {}, /\(EdDSA-Ed25519\)/],
];

describeNetns('GnuTLS ↔ tuntcp over a real TUN', () => {
  let pki: TunPki;
  let bed: ReturnType<typeof openTunBed>;
  let nextPort = 7000;

  beforeAll(() => {
    pki = makeTunPki();
    bed = openTunBed('ttgnu');
  });
  afterAll(() => {
    bed?.close();
    pki?.cleanup();
  });

  /** gnutls-cli → our line server: one line answered, then EOF (GnuTLS sends close_notify). */
  async function cliRun(kind: CertKind, options: Partial<TlsServerOptions>, args: string[]) {
    const port = nextPort++;
    const leaf = pki.leaves[kind];
    const service = lineServer(bed.stack, port, { key: leaf.key, cert: leaf.cert, ...options });
    const cli = startPeer(bed.ns, 'gnutls-cli', ['--x509cafile', pki.caFile, '-p', String(port), ...args, OURS]);
    try {
      await cli.waitFor(/- Simple Client Mode/);
      cli.child.stdin!.write('hello gnutls\n');
      await cli.waitFor(/HELLO GNUTLS/);
      expect(cli.text()).toMatch(/Status: The certificate is trusted/);
      cli.child.stdin!.end();
      expect(await cli.exited).toBe(0);
      await until(() => service.sessions.length === 1, 'the session');
      return { text: cli.text(), parameters: service.sessions[0]!.stream.secureSession!.parameters!, stream: service.sessions[0]!.stream };
    } finally {
      cli.kill();
      service.server.close();
    }
  }

  it.each(ROWS)('gnutls-cli → our server: %s', async (_name, kind, options, args, expected, description) => {
    const run = await cliRun(kind, options as Partial<TlsServerOptions>, args);
    const { signatureScheme: _ignored, ...ours } = expected; // the client does not sign here
    expect(run.parameters).toMatchObject({ version: 'TLSv1.3', ...ours });
    expect(run.text).toMatch(description);
  }, 30_000);

  it('gnutls-cli → our server: ALPN, SNI and a client certificate (mutual TLS)', async () => {
    const run = await cliRun('p256', { ALPNProtocols: ['http/1.1'], requestCert: true, ca: pki.ca }, [
      '--alpn', 'h2', '--alpn', 'http/1.1', '--sni-hostname', NAME, '--x509certfile', pki.client.certFile, '--x509keyfile', pki.client.keyFile,
    ]);
    expect(run.parameters).toMatchObject({ alpnProtocol: 'http/1.1', servername: NAME });
    expect(run.text).toMatch(/Application protocol: http\/1\.1/);
    expect(run.stream.verifyPeer()).toBe(true);
    expect(run.stream.getPeerCertificate()).toMatchObject({ subject: { CN: 'tuntcp client' } });
  }, 30_000);

  it('gnutls-cli → our server: 10 MB one way, SHA-256 checked', async () => {
    const payload = bulkPayload(pki);
    const port = nextPort++;
    const service = lineServer(bed.stack, port, { key: pki.leaves.p256.key, cert: pki.leaves.p256.cert });
    const cli = startPeer(bed.ns, 'sh', ['-c', `exec gnutls-cli --x509cafile ${pki.caFile} -p ${port} ${OURS} < ${payload.file}`]);
    try {
      expect(await service.sunk).toEqual({ length: payload.bytes.length, sha256: payload.sha256 });
    } finally {
      cli.kill();
      service.server.close();
    }
  }, 60_000);

  /** Our client → gnutls-serv --echo with `args`; one line echoed. */
  async function servRun(kind: CertKind, args: string[], options: Partial<TlsConnectOptions>) {
    const port = nextPort++;
    const leaf = pki.leaves[kind];
    const serv = startPeer(bed.ns, 'gnutls-serv', ['--echo', '-p', String(port), '--x509certfile', leaf.certFile, '--x509keyfile', leaf.keyFile, ...args]);
    await serv.waitFor(/listening on IPv4/);
    const stream = bed.stack.tls.connect({ host: KERNEL, port, ca: pki.ca, ...options });
    return { serv, stream, port };
  }

  it.each(ROWS)('our client → gnutls-serv: %s', async (_name, kind, options, args, expected, description) => {
    // Our client sends its first group's share; the HRR row becomes: we offer X25519 first, the server allows only P-384.
    const serverArgs = args[1]?.includes('+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1') ? ['--priority', `${TLS13}:-GROUP-ALL:+GROUP-SECP384R1`] : args;
    const { serv, stream } = await servRun(kind, serverArgs, {});
    try {
      await once(stream, 'secure');
      expect(stream.verifyPeer()).toBe(true);
      const ours = { ...expected };
      if (ours.signatureScheme === undefined && kind === 'rsa') ours.signatureScheme = 0x0804;
      // Our client sends an X25519 share first: a server allowing only a NIST curve answers with a HelloRetryRequest.
      if (ours.group !== undefined) ours.helloRetried = ours.group !== 'x25519';
      if (options.groups) Object.assign(ours, { group: 'secp384r1', helloRetried: true });
      expect(stream.secureSession!.parameters).toMatchObject({ version: 'TLSv1.3', ...ours });
      const echoed: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => echoed.push(chunk));
      stream.write('hello gnutls-serv\n');
      await until(() => Buffer.concat(echoed).toString() === 'hello gnutls-serv\n', 'the echo');
      await serv.waitFor(description);
      stream.destroy();
    } finally {
      serv.kill();
    }
  }, 30_000);

  it.each([
    ['--require-client-cert with our client certificate', true],
    ['--require-client-cert without one: the peer refuses the handshake', false],
  ])('our client → gnutls-serv: %s', async (_name, withCertificate) => {
    const clientCredentials = withCertificate ? { key: pki.client.key, cert: pki.client.cert } : {};
    const { serv, stream } = await servRun('p256', ['--require-client-cert', '--x509cafile', pki.caFile, '--alpn', 'http/1.1'], {
      ...clientCredentials, ALPNProtocols: ['h2', 'http/1.1'], servername: NAME,
    });
    try {
      if (withCertificate) {
        await once(stream, 'secure');
        expect(stream.secureSession!.parameters).toMatchObject({ alpnProtocol: 'http/1.1', servername: NAME });
        stream.write('mutual\n');
        await once(stream, 'data');
        await serv.waitFor(/Certificate type: X\.509[\s\S]*tuntcp client|CN=tuntcp client/);
      } else {
        // TLS 1.3: our handshake ends at our Finished; the refusal is read after 'secure' (so we must read).
        const failed = once(stream, 'error');
        stream.on('data', () => undefined);
        const [error] = (await failed) as [Error & { code: string; alertNumber: number }];
        expect(error).toMatchObject({ code: 'ERR_TLS_PEER_ALERT_CERTIFICATE_REQUIRED', alertNumber: 116 });
        await serv.waitFor(/Certificate is required/);
      }
      stream.destroy();
    } finally {
      serv.kill();
    }
  }, 30_000);

  it('our client → gnutls-serv --echo: 10 MB of text lines echoed byte-exact', async () => {
    const payload = bulkPayload(pki, 'lines');
    const { serv, stream } = await servRun('p256', [], {});
    try {
      await once(stream, 'secure');
      const echoed: Buffer[] = [];
      let length = 0;
      stream.on('data', (chunk: Buffer) => {
        echoed.push(chunk);
        length += chunk.length;
      });
      stream.write(payload.bytes);
      await until(() => length >= payload.bytes.length, '10 MB echoed', 50_000);
      const all = Buffer.concat(echoed);
      expect(all.length).toBe(payload.bytes.length);
      expect(sha256(all)).toBe(payload.sha256);
      stream.destroy();
    } finally {
      serv.kill();
    }
  }, 60_000);
});
