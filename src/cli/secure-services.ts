/**
 * The TLS services of `tuntcp serve`: a TLS echo and HTTPS (Node's http.Server, the same routes
 * as --http, over our TLS over our TCP), plus a self-signed certificate made with forge.pki for
 * when no --cert/--key is given.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { isIP } from 'node:net';
import forge from 'node-forge';
import type { Stack } from '../stack.js';
import type { Server } from '../net/server.js';
import { createTlsServer } from '../net/secure-api.js';
import { httpHandler } from './services.js';
import { UsageError } from './args.js';

export interface PemPair {
  key: string;
  cert: string;
}

/**
 * A self-signed RSA-2048 certificate (SHA-256, one year, serverAuth) for `names` — host names
 * and IP addresses, all put in subjectAltName; the first is the common name.
 */
export function selfSignedCertificate(names: readonly string[] = ['localhost']): PemPair & { fingerprint256: string } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + 365 * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: names[0] ?? 'localhost' }, { name: 'organizationName', value: 'tuntcp' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })) },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert);
  return { key: forge.pki.privateKeyToPem(keys.privateKey), cert: pem, fingerprint256: new X509Certificate(pem).fingerprint256 };
}

/**
 * The server certificate of `tuntcp serve`: --cert/--key files (checked now), or a self-signed one
 * for `address` (the --addr CIDR: its IP goes in subjectAltName) and localhost.
 */
export function loadServerCertificate(certFile: string | undefined, keyFile: string | undefined, addresses: readonly string[]): PemPair & { fingerprint256: string; origin: string } {
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together');
  if (certFile === undefined || keyFile === undefined) {
    const names = ['localhost', ...addresses.map((cidr) => cidr.split('/')[0]!).filter((ip) => isIP(ip) !== 0)];
    return { ...selfSignedCertificate(names), origin: `self-signed for ${names.join(', ')}` };
  }
  let pair: PemPair;
  let fingerprint256: string;
  try {
    pair = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    const leaf = new X509Certificate(pair.cert);
    if (!leaf.checkPrivateKey(createPrivateKey(pair.key))) throw new Error('the key does not match the certificate');
    fingerprint256 = leaf.fingerprint256;
  } catch (error) {
    throw new UsageError(`--cert ${certFile} --key ${keyFile}: ${(error as Error).message}`);
  }
  return { ...pair, fingerprint256, origin: `from ${certFile}` };
}

/** TLS echo: what arrives (decrypted) goes back encrypted; the peer's close_notify ends ours after the echo. */
export function startTlsEcho(stack: Stack, port: number, credentials: PemPair): Server {
  return createTlsServer(stack, { key: credentials.key, cert: credentials.cert }, (stream) => {
    stream.on('error', () => stream.destroy());
    stream.pipe(stream);
  })
    .on('tlsClientError', () => {})
    .listen(port);
}

/** HTTPS: Node's http.Server handed each stream once its TLS handshake completes. */
export function startHttps(stack: Stack, port: number, credentials: PemPair): { tcp: Server; http: http.Server } {
  const httpServer = http.createServer(httpHandler);
  const tcp = createTlsServer(stack, { key: credentials.key, cert: credentials.cert, ALPNProtocols: ['http/1.1'] }, (stream) => {
    httpServer.emit('connection', stream);
  })
    .on('tlsClientError', () => {})
    .listen(port);
  return { tcp, http: httpServer };
}
