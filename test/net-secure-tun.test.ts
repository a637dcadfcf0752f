/**
 * Secure streams against kernel-side TLS peers over a real TUN, inside a namespace the test
 * creates: openssl s_client / s_server, gnutls-cli, curl --cacert, and Node's tls client and
 * server run with `ip netns exec`. tuntcp is 10.7.0.2, the kernel 10.7.0.1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createNamespace, describeNetns, openTunInNamespace, type Namespace } from './helpers/netns.js';
import { readAll } from './helpers/net.js';
import { Stack } from '../src/stack.js';
import { createConnection, type Stream } from '../src/net/stream.js';
import { createCredentials } from '../src/net/secure.js';
import { firstPatternMismatch, patternBytes } from '../src/cli/services.js';
import { startHttps, startTlsEcho } from '../src/cli/secure-services.js';

const MB = 1_500_000;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A CA and a leaf naming both ends of the TUN (10.7.0.1, 10.7.0.2) and localhost, made by openssl. */
function makeCertificates(dir: string): { ca: string; key: string; cert: string; caFile: string; keyFile: string; certFile: string } {
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tuntcp tun CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=tuntcp peer']);
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost,IP:10.7.0.1,IP:10.7.0.2\nextendedKeyUsage=serverAuth,clientAuth\n');
  run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext']);
  const file = (name: string): string => join(dir, name);
  return {
    ca: readFileSync(file('ca.pem'), 'utf8'), key: readFileSync(file('leaf.key'), 'utf8'), cert: readFileSync(file('leaf.pem'), 'utf8'),
    caFile: file('ca.pem'), keyFile: file('leaf.key'), certFile: file('leaf.pem'),
  };
}

/** Start a kernel-side program in `ns` and wait until its output matches `ready`. */
async function startInNamespace(ns: Namespace, cmd: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = ns.spawn(cmd, args);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  for (let i = 0; i < 100 && !ready.test(output); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!ready.test(output)) throw new Error(`${cmd} did not start: ${output}`);
  return { child, output: () => output };
}

function stopChild(child: ChildProcess): void {
  if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
}

describeNetns('secure streams against kernel TLS peers over a real TUN', () => {
  let ns: Namespace;
  let stack: Stack;
  const dir = mkdtempSync(join(tmpdir(), 'tuntcp-tls-tun-'));
  let pki: ReturnType<typeof makeCertificates>;

  beforeAll(() => {
    pki = makeCertificates(dir);
    ns = createNamespace('tttls');
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack();
    stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    startTlsEcho(stack, 4433, pki);
    startHttps(stack, 443, pki);
    // A line service: reads until a newline, answers the line in upper case, then close_notify and FIN.
    stack.tls.createServer({ key: pki.key, cert: pki.cert }, (stream) => {
      let text = '';
      stream.setEncoding('utf8');
      stream.on('error', () => {});
      stream.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n')) stream.end(text.toUpperCase());
      });
    }).listen(4434);
  });

  afterAll(() => {
    stack?.close();
    ns?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('openssl s_client verifies our server and gets its answer, then our close_notify', async () => {
    const result = await ns.exec('openssl', ['s_client', '-connect', '10.7.0.2:4434', '-CAfile', pki.caFile, '-verify_return_error', '-verify_ip', '10.7.0.2', '-quiet'], {
      input: 'hello over tls\n',
      timeoutMs: 20_000,
    });
    expect(result.stdout, result.stderr).toBe('HELLO OVER TLS\n');
    expect(result.stderr).toMatch(/verify return:1/);
    expect(result.code).toBe(0);
  });

  it('openssl s_client forcing each suite and group (HRR for P-384) reaches the echo service', async () => {
    for (const [suite, group] of [['TLS_AES_256_GCM_SHA384', 'P-384'], ['TLS_CHACHA20_POLY1305_SHA256', 'X25519'], ['TLS_AES_128_GCM_SHA256', 'P-256']]) {
      const result = await ns.exec('openssl', ['s_client', '-connect', '10.7.0.2:4434', '-CAfile', pki.caFile, '-verify_return_error', '-ciphersuites', suite!, '-groups', group!, '-quiet'], {
        input: `${suite}\n`,
        timeoutMs: 20_000,
      });
      expect(result.stdout, result.stderr).toBe(`${suite}\n`.toUpperCase());
    }
  });

  it('gnutls-cli verifies our server and gets its answer', async () => {
    const result = await ns.exec('sh', ['-c', `(printf 'gnutls here\\n'; sleep 3) | gnutls-cli --x509cafile ${pki.caFile} -p 4434 10.7.0.2`], { timeoutMs: 20_000 });
    expect(result.stdout, result.stderr).toContain('GNUTLS HERE');
    expect(result.stdout + result.stderr).toMatch(/Status: The certificate is trusted/);
  });

  it('curl --cacert fetches 2 MB from our https service, byte-exact', async () => {
    const file = join(dir, 'https.bin');
    const result = await ns.exec('curl', ['-sS', '-m', '60', '--cacert', pki.caFile, '-o', file, '-w', '%{http_code} %{ssl_verify_result}', 'https://10.7.0.2/bytes/2000000'], { timeoutMs: 70_000 });
    expect(result.stdout, result.stderr).toBe('200 0');
    const body = readFileSync(file);
    expect(body.length).toBe(2_000_000);
    expect(firstPatternMismatch(body)).toBe(-1);
  });

  it("Node's tls client in the namespace echoes 1.5 MB through our TLS echo server, byte-exact", async () => {
    const script = `
      const tls = require('node:tls'); const fs = require('node:fs'); const crypto = require('node:crypto');
      const payload = Buffer.alloc(${MB}); for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 9)) & 255;
      const socket = tls.connect({ host: '10.7.0.2', port: 4433, ca: fs.readFileSync(${JSON.stringify(pki.caFile)}) }, () => socket.end(payload));
      const chunks = []; socket.on('data', (c) => chunks.push(c));
      socket.on('end', () => { const all = Buffer.concat(chunks);
        console.log(JSON.stringify({ authorized: socket.authorized, protocol: socket.getProtocol(), length: all.length, same: all.equals(payload) })); });
      socket.on('error', (e) => { console.error(e); process.exit(1); });`;
    const result = await ns.exec(process.execPath, ['-e', script], { timeoutMs: 60_000 });
    expect(JSON.parse(result.stdout.trim() || '{}'), result.stderr).toEqual({ authorized: true, protocol: 'TLSv1.3', length: MB, same: true });
  });

  it('our client and openssl s_server: verified, and the -www page comes back', async () => {
    const server = await startInNamespace(ns, 'openssl', ['s_server', '-accept', '10.7.0.1:4443', '-cert', pki.certFile, '-key', pki.keyFile, '-www'], /ACCEPT/);
    try {
      const stream = createConnection(stack, 4443, '10.7.0.1');
      await once(stream, 'connect');
      stream.setSecure(createCredentials({ ca: pki.ca }));
      await once(stream, 'secure');
      expect(stream.verifyPeer()).toBe(true);
      expect(stream.getPeerCertificate()).toMatchObject({ subject: { CN: 'tuntcp peer' }, issuer: { CN: 'tuntcp tun CA' } });
      const page = readAll(stream);
      stream.write('GET / HTTP/1.0\r\n\r\n');
      const text = (await page).toString('latin1');
      expect(text).toMatch(/^HTTP\/1\.0 200 ok/);
      expect(text).toMatch(/TLSv1\.3/);
    } finally {
      stopChild(server.child);
    }
  });

  it("our client and Node's tls server in the namespace: 1.5 MB echoed byte-exact, rejectUnauthorized by default", async () => {
    const script = `
      const tls = require('node:tls'); const fs = require('node:fs');
      const server = tls.createServer({ key: fs.readFileSync(${JSON.stringify(pki.keyFile)}), cert: fs.readFileSync(${JSON.stringify(pki.certFile)}) }, (s) => s.pipe(s));
      server.listen(4445, '10.7.0.1', () => console.log('listening'));`;
    const server = await startInNamespace(ns, process.execPath, ['-e', script], /listening/);
    try {
      const payload = patternBytes(0, MB);
      const stream = stack.tls.connect({ host: '10.7.0.1', port: 4445, ca: pki.ca });
      await once(stream, 'secure');
      expect(stream.verifyPeer()).toBe(true);
      const echoed = readAll(stream);
      stream.end(payload);
      const bytes = await echoed;
      expect(bytes.length).toBe(MB);
      expect(sha256(bytes)).toBe(sha256(payload));

      // Without the CA, the modern entry point refuses the server: unknown_ca.
      const refused = stack.tls.connect({ host: '10.7.0.1', port: 4445 });
      const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
      expect(error.code).toBe('ERR_TLS_ALERT_UNKNOWN_CA');
    } finally {
      stopChild(server.child);
    }
  });
});
