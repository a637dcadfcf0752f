/**
 * The TLS rows: bulk throughput (kernel-side client → server, MB/s) and full TLS 1.3 handshakes
 * per second, for node:tls on both ends over kernel TCP (two namespaces joined by a veth pair:
 * the base) and for tuntcp's TLS over tuntcp's TCP on a TUN, with the same node:tls client
 * (bench/tools/tls-tool.mjs) in the same run. Same certificate (self-signed RSA-2048) for both.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, openTunInNamespace } from '../src/link/netns.js';
import { Stack } from '../src/stack.js';
import { selfSignedCertificate } from '../src/cli/secure-services.js';
import type { Server } from '../src/net/server.js';
import {
  holdNamespace,
  median,
  packageRoot,
  pinPrefix,
  releaseNamespace,
  withAffinity,
  type BenchNamespace,
  type BenchOptions,
  type BenchRow,
  type Pinning,
} from './common.js';
import { joinWithVeth } from './kernel-baseline.js';

export const TLS_GROUP = 'tls';
const BASE_NAME = 'node:tls over kernel TCP, veth (base)';
const TUNTCP_TLS_NAME = 'tuntcp TLS on TUN';
const PORT = 5443;
const MiB = 1 << 20;

interface Files {
  cert: string;
  key: string;
}

function toolArgv(pinning: Pinning, args: string[]): [string, string[]] {
  const argv = [...pinPrefix(pinning), process.execPath, join(packageRoot(), 'bench', 'tools', 'tls-tool.mjs'), ...args];
  return [argv[0]!, argv.slice(1)];
}

async function runClient<T>(ns: BenchNamespace, pinning: Pinning, args: string[]): Promise<T> {
  const [cmd, cmdArgs] = toolArgv(pinning, args);
  const result = await ns.exec(cmd, cmdArgs, { timeoutMs: 150_000 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !line.startsWith('{')) throw new Error(`tls-tool ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  return JSON.parse(line) as T;
}

async function measure(client: BenchNamespace, host: string, files: Files, options: BenchOptions, pinning: Pinning, name: string, baseline: boolean): Promise<BenchRow[]> {
  const bulkBytes = Math.max(8 * MiB, options.bulkBytes / 4);
  const handshakes = options.quick ? 200 : 1000;
  const bulk: number[] = [];
  const rates: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    bulk.push((await runClient<{ MBps: number }>(client, pinning, ['bulk-send', host, String(PORT), String(bulkBytes), files.cert])).MBps);
    rates.push((await runClient<{ perSecond: number }>(client, pinning, ['handshakes', host, String(PORT), String(handshakes), files.cert])).perSecond);
  }
  const row = (metric: string, unit: string, values: number[]): BenchRow => ({
    group: TLS_GROUP, name, metric, unit, pinning, value: median(values), samples: values, ...(baseline ? { baseline } : {}),
  });
  return [row('bulk kernel→stack', 'MB/s', bulk), row('full handshakes', '/s', rates)];
}

/** node:tls server in B, node:tls client in A, kernel TCP over veth. */
async function runBase(files: Files, options: BenchOptions, log: (line: string) => void): Promise<BenchRow[]> {
  const a = holdNamespace(createNamespace('ttbta'));
  const b = holdNamespace(createNamespace('ttbtb'));
  try {
    await joinWithVeth(a, b);
    const rows: BenchRow[] = [];
    for (const pinning of options.pinnings) {
      log(`node:tls over veth, ${pinning}`);
      const [cmd, args] = toolArgv(pinning, ['server', String(PORT), files.cert, files.key]);
      const server = b.spawn(cmd, args);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('tls-tool server did not start')), 10_000);
          server.stdout!.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('listening')) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        rows.push(...(await measure(a, '10.9.0.2', files, options, pinning, BASE_NAME, true)));
      } finally {
        if (server.exitCode === null) server.kill('SIGKILL');
      }
    }
    return rows;
  } finally {
    releaseNamespace(a);
    releaseNamespace(b);
  }
}

/** tuntcp's TLS discard server in this process (10.7.0.2 on a TUN), the node:tls client in the namespace. */
async function runTuntcp(files: Files, pem: { cert: string; key: string }, options: BenchOptions, log: (line: string) => void): Promise<BenchRow[]> {
  const ns = holdNamespace(createNamespace('ttbts'));
  let stack: Stack | undefined;
  let server: Server | undefined;
  try {
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack();
    stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    server = stack.tls.createServer(pem, (stream) => {
      stream.on('error', () => stream.destroy());
      stream.resume(); // the peer's close_notify ends ours
    });
    server.on('tlsClientError', () => {});
    server.listen(PORT);
    const rows: BenchRow[] = [];
    for (const pinning of options.pinnings) {
      log(`tuntcp TLS, ${pinning}`);
      rows.push(...(await withAffinity(pinning, () => measure(ns, '10.7.0.2', files, options, pinning, TUNTCP_TLS_NAME, false))));
    }
    return rows;
  } finally {
    server?.close();
    stack?.close();
    releaseNamespace(ns);
  }
}

export async function runTlsBench(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tuntcp-bench-tls-'));
  try {
    const pem = selfSignedCertificate(['10.9.0.2', '10.7.0.2']);
    const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
    writeFileSync(files.cert, pem.cert);
    writeFileSync(files.key, pem.key);
    return [...(await runBase(files, options, log)), ...(await runTuntcp(files, pem, options, log))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
