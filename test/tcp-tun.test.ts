/**
 * TCP against the Linux kernel over a real TUN device, inside a namespace the test creates:
 * curl, Node's net, Python's http.server and sockets are the kernel-side peers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createNamespace, describeNetns, openTunInNamespace, type Namespace } from './helpers/netns.js';
import { checkCapture } from './helpers/tshark.js';
import { readAll } from './helpers/net.js';
import { Stack } from '../src/stack.js';
import { PcapWriter } from '../src/link/pcap.js';
import type { TcpLayer } from '../src/tcp/tcp-layer.js';
import { createConnection, type Stream } from '../src/net/stream.js';
import { createServer } from '../src/net/server.js';
import { firstPatternMismatch, patternBytes, startEcho, startHttp, writePattern } from '../src/cli/services.js';

const PYTHON = '/usr/bin/python3';
const PEER = join(import.meta.dirname, 'tools', 'kernel-peer.mjs');
const TEN_MB = 10_000_000;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Start a kernel-side peer and wait until it listens. */
async function startPeer(ns: Namespace, args: string[]): Promise<{ child: ChildProcess; result: Promise<Record<string, unknown>> }> {
  const child = ns.spawn(process.execPath, [PEER, ...args]);
  let output = '';
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.on('exit', (code) => setTimeout(() => reject(new Error(`peer exited ${code}: ${output}`)), 50));
  });
  result.catch(() => {}); // observed by the test when it awaits
  if (args[0] !== 'half-close-client') {
    for (let i = 0; i < 100 && !output.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
    if (!output.includes('listening')) throw new Error(`peer did not start: ${output}`);
  }
  return { child, result };
}

describeNetns('TCP against the Linux kernel over a real TUN', () => {
  let ns: Namespace;
  let stack: Stack;
  let layer: TcpLayer;
  const dir = mkdtempSync(join(tmpdir(), 'tuntcp-tcp-tun-'));
  const pcap = join(dir, 'run.pcap');

  beforeAll(() => {
    ns = createNamespace('tttcp');
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    // Short SYN retries so that the "never answers" case times out within seconds; a short MSL
    // so that TIME-WAIT (2·MSL) of the connections we closed first ends within the test.
    stack = new Stack({ tcp: { config: { synRetries: 3, initialRto: 250, msl: 500 } } });
    layer = stack.tcp;
    stack.addInterface(new PcapWriter(tun, { path: pcap, snaplen: 128 }), { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    startHttp(stack, 80);
    startEcho(stack, 7);
  });

  afterAll(() => {
    stack?.close();
    ns?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('curl downloads GET /bytes/10000000 from our HTTP service, byte-exact', async () => {
    const file = join(dir, 'bytes.bin');
    const result = await ns.exec('curl', ['-sS', '-m', '60', '-o', file, '-w', '%{http_code}', 'http://10.7.0.2/bytes/10000000'], { timeoutMs: 70_000 });
    expect(result.stdout, result.stderr).toBe('200');
    const body = readFileSync(file);
    expect(body.length).toBe(TEN_MB);
    expect(firstPatternMismatch(body)).toBe(-1);
  });

  it('curl --data-binary of a 10 MB body to /sha256 gets the right hash', async () => {
    const file = join(dir, 'body.bin');
    const body = Buffer.from(Array.from({ length: TEN_MB / 4 }, (_, i) => [i & 255, (i >> 8) & 255, (i * 7) & 255, 42]).flat());
    writeFileSync(file, body);
    const result = await ns.exec('curl', ['-sS', '-m', '60', '--data-binary', `@${file}`, 'http://10.7.0.2/sha256'], { timeoutMs: 70_000 });
    expect(result.stdout.trim(), result.stderr).toBe(sha256(body));
  });

  it('our client and a kernel Node server exchange 10 MB each way, byte-exact', async () => {
    const peer = await startPeer(ns, ['serve-pattern', '9001', String(TEN_MB)]);
    const stream = createConnection(stack, 9001, '10.7.0.1');
    await once(stream, 'connect');
    const received = readAll(stream);
    writePattern(stream, TEN_MB);
    const bytes = await received;
    expect(bytes.length).toBe(TEN_MB);
    expect(firstPatternMismatch(bytes)).toBe(-1);
    const report = await peer.result;
    expect(report).toEqual({ length: TEN_MB, sha256: sha256(patternBytes(0, TEN_MB)) });
  });

  it('our client downloads 10 MB from python3 -m http.server through Node http', async () => {
    const served = join(dir, 'www');
    rmSync(served, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(served);
    writeFileSync(join(served, 'file.bin'), patternBytes(0, TEN_MB));
    const server = ns.spawn(PYTHON, ['-m', 'http.server', '8000', '--bind', '10.7.0.1', '--directory', served]);
    try {
      let response: http.IncomingMessage | undefined;
      let ourConnections = 0;
      const viaTuntcp = (): Stream => {
        ourConnections++;
        return createConnection(stack, 8000, '10.7.0.1');
      };
      for (let attempt = 0; attempt < 50 && response === undefined; attempt++) {
        // No `agent` option: with one, Node would ignore createConnection and use the kernel.
        const request = http.get({ host: '10.7.0.1', port: 8000, path: '/file.bin', createConnection: viaTuntcp });
        response = await new Promise<http.IncomingMessage | undefined>((resolve) => {
          request.on('response', resolve);
          request.on('error', () => setTimeout(() => resolve(undefined), 100)); // not listening yet
        });
      }
      expect(ourConnections).toBeGreaterThan(0);
      expect(response?.statusCode).toBe(200);
      const chunks: Buffer[] = [];
      for await (const chunk of response!) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      expect(body.length).toBe(TEN_MB);
      expect(firstPatternMismatch(body)).toBe(-1);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('half-close: the kernel shuts its write side and keeps reading while we keep sending', async () => {
    const sent = 2_000_000;
    const server = createServer(stack, (stream) => {
      stream.on('end', () => {
        // The peer's FIN arrived: we are half-open, still allowed to write (readyState writeOnly).
        states.push(stream.readyState);
        writePattern(stream, sent);
      });
      stream.on('data', (chunk: Buffer) => (receivedByUs += chunk.length));
    }).listen(9100);
    const states: string[] = [];
    let receivedByUs = 0;
    await once(server, 'listening');
    const peer = await startPeer(ns, ['half-close-client', '10.7.0.2', '9100', '300000']);
    const report = await peer.result;
    expect(receivedByUs).toBe(300_000);
    expect(states).toEqual(['writeOnly']);
    expect(report).toEqual({ length: sent, sha256: sha256(patternBytes(0, sent)) });
    server.close();
  });

  it('half-close: we shut our write side and keep reading while the kernel sends', async () => {
    const peer = await startPeer(ns, ['half-close-server', '9002', '3000000']);
    const stream = createConnection(stack, 9002, '10.7.0.1');
    await once(stream, 'connect');
    const received = readAll(stream);
    stream.end(patternBytes(0, 500_000)); // our FIN after the data
    await once(stream, 'finish');
    expect(stream.readyState).toBe('readOnly');
    const bytes = await received;
    expect(bytes.length).toBe(3_000_000);
    expect(firstPatternMismatch(bytes)).toBe(-1);
    expect(await peer.result).toEqual({ length: 500_000, sha256: sha256(patternBytes(0, 500_000)) });
  });

  it('connecting to a closed kernel port fails with ECONNREFUSED', async () => {
    const stream = createConnection(stack, 9, '10.7.0.1');
    const [error] = (await once(stream, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('connecting to an address that never answers fails with ETIMEDOUT', async () => {
    const stream = createConnection(stack, 80, '10.7.0.99');
    const [error] = (await once(stream, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ETIMEDOUT');
  });

  it('1000 sequential and 200 concurrent kernel connections to the echo service all complete; tables empty after', async () => {
    const script = `
import socket, asyncio
ok = 0
for i in range(1000):
    s = socket.create_connection(('10.7.0.2', 7), timeout=5)
    s.sendall(b'x%d' % i)
    assert s.recv(16) == b'x%d' % i
    s.close()
    ok += 1
async def one(i):
    r, w = await asyncio.open_connection('10.7.0.2', 7)
    w.write(b'c%d' % i); await w.drain()
    data = await r.readexactly(len(b'c%d' % i))
    w.close(); await w.wait_closed()
    return data == b'c%d' % i
async def main():
    return sum(await asyncio.gather(*[one(i) for i in range(200)]))
print(ok, asyncio.run(asyncio.wait_for(main(), 60)))
`;
    const result = await ns.exec(PYTHON, ['-c', script], { timeoutMs: 120_000 });
    expect(result.stdout.trim(), result.stderr).toBe('1000 200');
    // The kernel closes first, so none of ours waits in TIME-WAIT: every connection is gone.
    for (let i = 0; i < 100 && layer.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(layer.connectionCount).toBe(0);
  });

  it('the capture of the whole run has no malformed packets and no bad checksums', () => {
    stack.close();
    const check = checkCapture(pcap);
    expect(check.packets).toBeGreaterThan(10_000);
    expect(check.problems).toEqual([]);
  });
});
