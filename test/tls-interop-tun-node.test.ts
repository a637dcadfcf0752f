/**
 * Node's `tls` run with `ip netns exec` against tuntcp over a real TUN, both roles, with Node's
 * and our choice of suite, group (HRR when the share sent is not the group wanted), RSA-PSS /
 * ECDSA P-256 / Ed25519 certificates, mutual TLS, ALPN and SNI; 10 MB echoed byte-exact each way.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { describeNetns } from './helpers/netns.js';
import {
  BULK, KERNEL, NAME, OURS, collect, makeTunPki, openTunBed, sha256, startPeer,
  type CertKind, type TunPki,
} from './helpers/tls-tun.js';
import type { TlsConnectOptions, TlsServerOptions } from '../src/net/secure-api.js';
import type { Stream } from '../src/net/stream.js';

/** The payload both sides compute: `length` bytes of a fixed pattern. */
const PATTERN = 'Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7 + (i >>> 9)) & 255))';
const payloadOf = (length: number): Buffer => {
  const block = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7 + (i >>> 9)) & 255));
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length) block.copy(out, offset, 0, Math.min(block.length, length - offset));
  return out;
};

/** Kernel-side client: sends `length` pattern bytes, ends, and prints what it learnt as JSON. */
const NODE_CLIENT = `
const tls = require('node:tls'); const fs = require('node:fs'); const crypto = require('node:crypto');
const o = JSON.parse(process.argv[1]);
const block = ${PATTERN}; const payload = Buffer.alloc(o.length);
for (let i = 0; i < o.length; i += block.length) block.copy(payload, i, 0, Math.min(block.length, o.length - i));
const options = { host: o.host, port: o.port, ca: fs.readFileSync(o.caFile), servername: o.servername, ciphers: o.ciphers, ecdhCurve: o.ecdhCurve, ALPNProtocols: o.alpn,
  key: o.keyFile && fs.readFileSync(o.keyFile), cert: o.certFile && fs.readFileSync(o.certFile) };
const socket = tls.connect(options, () => socket.end(payload));
const hash = crypto.createHash('sha256'); let length = 0;
socket.on('data', (c) => { hash.update(c); length += c.length; });
socket.on('end', () => console.log(JSON.stringify({ authorized: socket.authorized, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName,
  alpn: socket.alpnProtocol, length, sha256: hash.digest('hex'), same: length === o.length })));
socket.on('error', (e) => { console.log(JSON.stringify({ error: e.code || e.message })); process.exit(1); });`;

/** Kernel-side echo server: prints 'listening', then one JSON line per secure connection. */
const NODE_SERVER = `
const tls = require('node:tls'); const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const server = tls.createServer({ key: fs.readFileSync(o.keyFile), cert: fs.readFileSync(o.certFile), ciphers: o.ciphers, ecdhCurve: o.ecdhCurve,
  ALPNProtocols: o.alpn, requestCert: o.requestCert, rejectUnauthorized: o.requestCert, ca: o.requestCert ? fs.readFileSync(o.caFile) : undefined }, (s) => {
  const peer = s.getPeerCertificate();
  console.log(JSON.stringify({ servername: s.servername, alpn: s.alpnProtocol, cipher: s.getCipher().standardName, authorized: s.authorized, peer: peer && peer.subject && peer.subject.CN }));
  s.on('error', () => {}); s.pipe(s);
});
server.on('tlsClientError', (e) => console.log(JSON.stringify({ clientError: e.code || e.message })));
server.listen(o.port, o.host, () => console.log('listening'));`;

type Row = [string, CertKind, Record<string, unknown>, Partial<TlsServerOptions & TlsConnectOptions>, Record<string, unknown>, number];
/** [name, certificate, Node's options, ours, expected on our side, bytes echoed] */
const ROWS: Row[] = [
  ['default settings, 10 MB echoed byte-exact', 'p256', {}, {}, { version: 'TLSv1.3' }, BULK],
  ['TLS_AES_128_GCM_SHA256 forced by Node', 'p256', { ciphers: 'TLS_AES_128_GCM_SHA256' }, {}, { cipher: 'TLS_AES_128_GCM_SHA256' }, 1000],
  ['TLS_AES_256_GCM_SHA384 forced by Node', 'p256', { ciphers: 'TLS_AES_256_GCM_SHA384' }, {}, { cipher: 'TLS_AES_256_GCM_SHA384' }, 1000],
  ['TLS_CHACHA20_POLY1305_SHA256 forced by Node', 'p256', { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }, {}, { cipher: 'TLS_CHACHA20_POLY1305_SHA256' }, 1000],
  ['ecdhCurve X25519', 'p256', { ecdhCurve: 'X25519' }, {}, { group: 'x25519' }, 1000],
  ['ecdhCurve P-256', 'p256', { ecdhCurve: 'P-256' }, {}, { group: 'secp256r1' }, 1000],
  ['ecdhCurve P-384', 'p256', { ecdhCurve: 'P-384' }, {}, { group: 'secp384r1' }, 1000],
  ['ecdhCurve X25519:P-256 with ours wanting P-256: HelloRetryRequest', 'p256', { ecdhCurve: 'X25519:P-256' }, { groups: ['secp256r1'] }, { group: 'secp256r1', helloRetried: true }, 1000],
  ['RSA certificate (RSA-PSS)', 'rsa', {}, {}, {}, 1000],
  ['Ed25519 certificate', 'ed25519', {}, {}, {}, 1000],
  ['ALPN: Node [h2, http/1.1], ours [http/1.1] (our client: [h2, http/1.1])', 'p256', { alpn: ['h2', 'http/1.1'] }, { ALPNProtocols: ['http/1.1'] }, { alpnProtocol: 'http/1.1' }, 1000],
];

describeNetns("Node's tls ↔ tuntcp over a real TUN", () => {
  let pki: TunPki;
  let bed: ReturnType<typeof openTunBed>;
  let nextPort = 8000;

  beforeAll(() => {
    pki = makeTunPki();
    bed = openTunBed('ttnod');
  });
  afterAll(() => {
    bed?.close();
    pki?.cleanup();
  });

  async function nodeClient(port: number, options: Record<string, unknown>, length: number): Promise<Record<string, unknown>> {
    const client = startPeer(bed.ns, process.execPath, ['-e', NODE_CLIENT, JSON.stringify({ host: OURS, port, caFile: pki.caFile, length, ...options })]);
    await client.exited;
    const line = client.stdout().toString().trim().split('\n').pop() ?? '';
    expect(line.startsWith('{'), client.text()).toBe(true);
    return JSON.parse(line) as Record<string, unknown>;
  }

  it.each(ROWS)('Node client → our server: %s', async (_name, kind, nodeOptions, ours, expected, length) => {
    const port = nextPort++;
    const leaf = pki.leaves[kind];
    const streams: Stream[] = [];
    const server = bed.stack.tls.createServer({ key: leaf.key, cert: leaf.cert, ...ours }, (stream) => {
      streams.push(stream);
      stream.on('error', () => undefined);
      stream.pipe(stream);
    });
    server.listen(port);
    try {
      const result = await nodeClient(port, nodeOptions, length);
      const payload = payloadOf(length);
      expect(result).toMatchObject({ authorized: true, protocol: 'TLSv1.3', length, sha256: sha256(payload), same: true });
      if (expected.alpnProtocol) expect(result.alpn).toBe(expected.alpnProtocol);
      expect(streams[0]!.secureSession!.parameters).toMatchObject(expected);
    } finally {
      server.close();
    }
  }, 60_000);

  it('Node client → our server: mutual TLS and SNI', async () => {
    const port = nextPort++;
    const leaf = pki.leaves.p256;
    const streams: Stream[] = [];
    const server = bed.stack.tls.createServer({ key: leaf.key, cert: leaf.cert, ca: pki.ca, requestCert: true }, (stream) => {
      streams.push(stream);
      stream.pipe(stream);
    });
    server.listen(port);
    try {
      const result = await nodeClient(port, { keyFile: pki.client.keyFile, certFile: pki.client.certFile, servername: NAME }, 100);
      expect(result).toMatchObject({ authorized: true, same: true });
      expect(streams[0]!.verifyPeer()).toBe(true);
      expect(streams[0]!.getPeerCertificate()).toMatchObject({ subject: { CN: 'tuntcp client' } });
      expect(streams[0]!.secureSession!.parameters).toMatchObject({ servername: NAME });
    } finally {
      server.close();
    }
  }, 30_000);

  async function nodeServer(kind: CertKind, options: Record<string, unknown>) {
    const port = nextPort++;
    const leaf = pki.leaves[kind];
    const server = startPeer(bed.ns, process.execPath, ['-e', NODE_SERVER, JSON.stringify({ host: KERNEL, port, keyFile: leaf.keyFile, certFile: leaf.certFile, caFile: pki.caFile, ...options })]);
    await server.waitFor(/listening/);
    return { server, port };
  }

  it.each(ROWS)('our client → Node server: %s', async (_name, kind, nodeOptions, ours, expected, length) => {
    const { server, port } = await nodeServer(kind, nodeOptions);
    try {
      const stream = bed.stack.tls.connect({ host: KERNEL, port, ca: pki.ca, ...ours, ...(ours.ALPNProtocols ? { ALPNProtocols: ['h2', 'http/1.1'] } : {}) });
      await once(stream, 'secure');
      expect(stream.verifyPeer()).toBe(true);
      const mine = { ...expected };
      // We send an X25519 share first: a Node server limited to a NIST curve answers with a HelloRetryRequest.
      if (typeof mine.group === 'string') mine.helloRetried = mine.group !== 'x25519';
      if (ours.groups) Object.assign(mine, { group: 'secp256r1', helloRetried: false }); // our first share is then P-256
      if (kind === 'rsa') mine.signatureScheme = 0x0804;
      if (kind === 'ed25519') mine.signatureScheme = 0x0807;
      if (mine.alpnProtocol) mine.alpnProtocol = 'h2'; // Node's server picks its first protocol we offer
      expect(stream.secureSession!.parameters).toMatchObject(mine);
      const payload = payloadOf(length);
      const echoed = collect(stream);
      stream.end(payload);
      const bytes = await echoed;
      expect(bytes.length).toBe(length);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256(payload));
      await server.waitFor(/"cipher"/);
    } finally {
      server.kill();
    }
  }, 60_000);

  it('our client → Node server: mutual TLS (requestCert + rejectUnauthorized) and SNI', async () => {
    const { server, port } = await nodeServer('p256', { requestCert: true });
    try {
      const stream = bed.stack.tls.connect({ host: KERNEL, port, ca: pki.ca, key: pki.client.key, cert: pki.client.cert, servername: NAME });
      await once(stream, 'secure');
      const echoed = collect(stream);
      stream.end('mutual');
      expect((await echoed).toString()).toBe('mutual');
      await server.waitFor(/"servername":"tuntcp\.test".*"authorized":true,"peer":"tuntcp client"/);
    } finally {
      server.kill();
    }
  }, 30_000);
});
