/**
 * Certificates that must not be trusted, over secure streams on one stack's loopback: expired,
 * not yet valid, wrong host, untrusted, issued by a non-CA and with the wrong extended key usage.
 * With the seed's API (setSecure, rejectUnauthorized false) the handshake completes and
 * verifyPeer() is false with the reason; with rejectUnauthorized the handshake aborts with the
 * certificate's alert on both sides. Dates come from `openssl ca -startdate/-enddate`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanUpAfterEach, closed, listen, newStack } from './helpers/net.js';
import { createConnection } from '../src/net/stream.js';
import { createCredentials } from '../src/net/secure.js';
import { createServer } from '../src/net/server.js';

cleanUpAfterEach();

type Kind = 'good' | 'expired' | 'notYetValid' | 'wrongHost' | 'untrusted' | 'nonCaIssuer' | 'wrongEku';
let dir: string;
const certs = {} as Record<Kind, { key: string; cert: string }>;
let caPem: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tuntcp-tls-reject-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  const read = (name: string): { key: string; cert: string } => ({ key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8') });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=reject CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = local', '[local]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256',
    'policy = any', 'unique_subject = no', 'copy_extensions = none', '[any]', 'commonName = supplied', '',
  ].join('\n'));
  /** A P-256 leaf for `name` signed by `issuer`, valid from `start` to `end` (YYYYMMDDHHMMSSZ). */
  const issue = (name: string, ext: string, issuer = 'ca', start = '20200101000000Z', end = '20991231000000Z'): void => {
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(['ca', '-batch', '-config', 'ca.cnf', '-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`, '-in', `${name}.csr`, '-out', `${name}.pem`,
      '-startdate', start, '-enddate', end, '-extfile', `${name}.ext`, '-notext']);
  };
  const server = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n';
  issue('good', server);
  issue('expired', server, 'ca', '20200101000000Z', '20210101000000Z');
  issue('notYetValid', server, 'ca', '20900101000000Z', '20910101000000Z');
  issue('wrongHost', 'subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n');
  issue('wrongEku', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=emailProtection\n');
  issue('notCa', 'basicConstraints=CA:FALSE\n');
  issue('nonCaIssuer', server, 'notCa');
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'untrusted.key', '-out', 'untrusted.pem', '-days', '30',
    '-subj', '/CN=untrusted', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  for (const kind of ['good', 'expired', 'notYetValid', 'wrongHost', 'untrusted', 'wrongEku'] as const) certs[kind] = read(kind);
  const underNotCa = read('nonCaIssuer');
  certs.nonCaIssuer = { key: underNotCa.key, cert: underNotCa.cert + readFileSync(join(dir, 'notCa.pem'), 'utf8') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES: [Kind, string, string, number][] = [
  ['expired', 'CERT_HAS_EXPIRED', 'certificate_expired', 45],
  ['notYetValid', 'CERT_NOT_YET_VALID', 'certificate_expired', 45],
  ['wrongHost', 'ERR_TLS_CERT_ALTNAME_INVALID', 'bad_certificate', 42],
  ['untrusted', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'unknown_ca', 48],
  ['nonCaIssuer', 'INVALID_CA', 'bad_certificate', 42],
  ['wrongEku', 'INVALID_PURPOSE', 'unsupported_certificate', 43],
];

/** A stack with a TLS echo server presenting `kind`'s certificate. */
async function serverWith(kind: Kind): Promise<{ port: number; stack: ReturnType<typeof newStack>; serverClosed: Promise<{ error: Error | undefined; hadError: boolean }> }> {
  const stack = newStack();
  let report!: (value: { error: Error | undefined; hadError: boolean }) => void;
  const serverClosed = new Promise<{ error: Error | undefined; hadError: boolean }>((resolve) => (report = resolve));
  const server = createServer(stack, (stream) => {
    let error: Error | undefined;
    stream.setSecure(createCredentials(certs[kind]));
    stream.on('error', (e: Error) => (error = e));
    stream.on('close', (hadError: boolean) => report({ error, hadError }));
    stream.pipe(stream);
  });
  return { port: await listen(server, 4443), stack, serverClosed };
}

describe('untrusted server certificates over secure streams', () => {
  it('the control: a good certificate verifies', async () => {
    const { port, stack } = await serverWith('good');
    const stream = createConnection(stack, port, '127.0.0.1');
    stream.setSecure(createCredentials({ ca: caPem }), { servername: 'localhost' });
    await once(stream, 'secure');
    expect(stream.verifyPeer()).toBe(true);
    stream.destroy();
  });

  it.each(CASES)('%s: verifyPeer() false (%s), data still flows without rejectUnauthorized', async (kind, reason) => {
    const { port, stack } = await serverWith(kind);
    const stream = createConnection(stack, port, '127.0.0.1');
    stream.setSecure(createCredentials({ ca: caPem }), { servername: 'localhost' });
    await once(stream, 'secure');
    expect(stream.verifyPeer()).toBe(false);
    expect(stream.secureSession!.authorizationError).toBe(reason);
    expect(stream.getPeerCertificate()).toMatchObject({ subject: { CN: kind } });
    stream.write('still echoed');
    const [chunk] = (await once(stream, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('still echoed');
    stream.destroy();
  });

  it.each(CASES)('%s: rejectUnauthorized aborts with %s → alert %s (%i) on both sides, both streams closed', async (kind, _reason, alert, number) => {
    const { port, stack, serverClosed } = await serverWith(kind);
    const stream = stack.tls.connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' });
    let secure = false;
    stream.on('secure', () => (secure = true));
    const clientClosed = closed(stream);
    const [error] = (await once(stream, 'error')) as [Error & { code: string; alertNumber: number }];
    expect(error).toMatchObject({ code: `ERR_TLS_ALERT_${alert.toUpperCase()}`, alertNumber: number });
    expect(secure).toBe(false);
    expect(await clientClosed).toBe(true);
    const server = await serverClosed;
    expect(server.error).toMatchObject({ code: `ERR_TLS_PEER_ALERT_${alert.toUpperCase()}`, alertNumber: number, fromPeer: true });
    expect(server.hadError).toBe(true);
  });
});

describe('untrusted client certificates (mutual TLS)', () => {
  it.each([
    ['expired', 'certificate_expired', 45],
    ['untrusted', 'unknown_ca', 48],
  ] as [Kind, string, number][])('a server with rejectUnauthorized refuses a %s client certificate: %s', async (kind, alert, number) => {
    const stack = newStack();
    const failures: Error[] = [];
    const server = stack.tls.createServer({ ...certs.good, ca: caPem, requestCert: true }, () => undefined);
    server.on('tlsClientError', (error: Error) => failures.push(error));
    const port = await listen(server, 4444);
    const stream = stack.tls.connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost', ...certs[kind] });
    stream.on('data', () => undefined);
    const [error] = (await once(stream, 'error')) as [Error & { code: string }];
    expect(error.code).toBe(`ERR_TLS_PEER_ALERT_${alert.toUpperCase()}`);
    expect(failures[0]).toMatchObject({ code: `ERR_TLS_ALERT_${alert.toUpperCase()}`, alertNumber: number });
  });
});
