/**
 * Issue 5, "Checked by": kernel `curl` against Node's http.Server served over tuntcp streams
 * (src/cli/services.ts startHttp) through a real TUN, byte-exact, with keep-alive reusing the
 * connection. The other half of that check — Node's http client over tuntcp fetching 10 MB from
 * a kernel-side `python3 -m http.server` — is in test/tcp-tun.test.ts ("our client downloads
 * 10 MB from python3 -m http.server through Node http").
 *
 * No Node http *client* runs here, so nothing can take Node's own (root namespace) network:
 * curl runs inside the test's namespace and talks to our stack through the TUN only.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { firstPatternMismatch, startHttp } from '../../src/cli/services.js';
import type { Stream } from '../../src/net/index.js';
import { Stack } from '../../src/stack.js';
import { createNamespace, describeNetns, openTunInNamespace, type Namespace } from '../helpers/netns.js';

const TEN_MB = 10_000_000;
const ODD_SIZE = 1_000_003; // not a multiple of anything the stack or Node would chunk by

describeNetns('kernel curl against Node http.Server over tuntcp, keep-alive', () => {
  let ns: Namespace;
  let stack: Stack;
  const dir = mkdtempSync(join(tmpdir(), 'tuntcp-tun-http-'));
  /** TCP connections our server accepted, and the streams Node's http.Server saw requests on. */
  let accepted: Stream[] = [];
  let requestSockets: Socket[] = [];

  beforeAll(() => {
    ns = createNamespace('tthttp');
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack({ tcp: { config: { msl: 500 } } });
    stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    const { tcp, http } = startHttp(stack, 80);
    tcp.on('connection', (stream: Stream) => accepted.push(stream));
    http.on('request', (request) => requestSockets.push(request.socket));
  });

  beforeEach(() => {
    accepted = [];
    requestSockets = [];
  });

  afterAll(() => {
    stack?.close();
    ns?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  /** curl inside the namespace; one `-w` line per URL: connections opened, status, bytes. */
  async function curl(args: string[]): Promise<string[]> {
    const result = await ns.exec('curl', ['-sS', '-m', '50', '-w', '%{num_connects} %{http_code} %{size_download}\\n', ...args], { timeoutMs: 55_000 });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.trim().split('\n');
  }

  test('two downloads (10 MB, then 1 000 003 bytes) in one curl: one TCP connection, both byte-exact', async () => {
    const [first, second] = [join(dir, 'first.bin'), join(dir, 'second.bin')];
    const lines = await curl(['-o', first, `http://10.7.0.2/bytes/${TEN_MB}`, '-o', second, `http://10.7.0.2/bytes/${ODD_SIZE}`]);
    // curl opened a connection for the first URL and reused it for the second.
    expect(lines).toEqual([`1 200 ${TEN_MB}`, `0 200 ${ODD_SIZE}`]);
    const [a, b] = [readFileSync(first), readFileSync(second)];
    expect(a.length).toBe(TEN_MB);
    expect(firstPatternMismatch(a)).toBe(-1);
    expect(b.length).toBe(ODD_SIZE);
    expect(firstPatternMismatch(b)).toBe(-1);
    // Our side: one accepted TCP connection, and both requests arrived on that very stream.
    expect(accepted).toHaveLength(1);
    expect(requestSockets).toHaveLength(2);
    expect(requestSockets[0]).toBe(accepted[0]);
    expect(requestSockets[1]).toBe(accepted[0]);
  });

  test('keep-alive over IPv6 with an upload first: POST 3 MB to /sha256, then GET, one connection', async () => {
    const body = createHash('sha512').update('seed').digest();
    const upload = Buffer.alloc(3_000_000);
    for (let i = 0; i < upload.length; i += body.length) body.copy(upload, i);
    const uploadFile = join(dir, 'upload.bin');
    writeFileSync(uploadFile, upload);
    const hashFile = join(dir, 'hash.txt');
    const pageFile = join(dir, 'bytes.bin');
    const lines = await curl([
      '-o', hashFile, '--data-binary', `@${uploadFile}`, 'http://[fd07::2]/sha256',
      '--next', '-w', '%{num_connects} %{http_code} %{size_download}\\n', '-o', pageFile, 'http://[fd07::2]/bytes/65537',
    ]);
    expect(lines).toEqual(['1 200 65', '0 200 65537']);
    expect(readFileSync(hashFile, 'utf8')).toBe(`${createHash('sha256').update(upload).digest('hex')}\n`);
    const page = readFileSync(pageFile);
    expect(page.length).toBe(65537);
    expect(firstPatternMismatch(page)).toBe(-1);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.remoteFamily).toBe('IPv6');
    expect(requestSockets).toEqual([accepted[0], accepted[0]]);
  });
});
