/**
 * The `tuntcp` command as a user runs it: compiled (npm test runs tsc first), as a child
 * process. `demo` in both variants; `serve` with services and `connect` against the kernel,
 * inside a namespace the test creates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createNamespace, describeNetns, type Namespace } from './helpers/netns.js';
import { createHash } from 'node:crypto';
import { firstPatternMismatch, patternBytes } from '../src/cli/services.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const PEER = join(import.meta.dirname, 'tools', 'kernel-peer.mjs');

function runCli(args: string[], input?: string | Buffer, timeout = 60_000) {
  return spawnSync(process.execPath, [CLI, ...args], { input, timeout, maxBuffer: 64 * 1024 * 1024 });
}

describe('tuntcp (no device)', () => {
  it('is built (npm test compiles before running vitest)', () => {
    expect(existsSync(CLI)).toBe(true);
  });

  it('`demo --memory` pings and talks TCP between two stacks and prints the wire', () => {
    const result = runCli(['demo', '--memory']);
    const out = result.stdout.toString();
    expect(result.status, result.stderr.toString()).toBe(0);
    expect(out).toContain('ICMP echo request');
    expect(out).toContain('2 sent, 2 received');
    expect(out).toMatch(/Flags \[S\]/);
    expect(out).toMatch(/Flags \[F\.\]/);
    expect(out).toContain('echoed: "hello, tuntcp\\n"');
  });

  it('rejects bad usage with exit status 2 and a clear message', () => {
    const unknown = runCli(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.toString()).toMatch(/unknown command "frobnicate"/);
    const badDrop = runCli(['serve', '--netns', 'x', '--drop', '2']);
    expect(badDrop.status).toBe(2);
    expect(badDrop.stderr.toString()).toMatch(/--drop takes a probability from 0 to 1/);
    const noNs = runCli(['serve']);
    expect(noNs.status).toBe(2);
    expect(noNs.stderr.toString()).toMatch(/--netns NS is required/);
  });
});

describeNetns('tuntcp with a TUN in a test-made namespace', () => {
  let ns: Namespace;
  let serve: ChildProcess;
  let serveOutput = '';

  beforeAll(async () => {
    ns = createNamespace('ttcli');
    serve = spawn(process.execPath, [CLI, 'serve', '--netns', ns.name, '--echo', '7', '--http', '80', '--discard', '9', '--https', '443', '--tls-echo', '7443']);
    serve.stdout!.setEncoding('utf8').on('data', (chunk: string) => (serveOutput += chunk));
    for (let i = 0; i < 200 && !(serveOutput.includes('http on port 80') && serveOutput.includes('tls-echo on port 7443')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(serveOutput).toContain('http on port 80');
  });

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((resolve) => serve.once('exit', resolve));
    }
    ns?.delete();
  });

  it('the full demo (root) runs its own namespace, pings, talks TCP, and cleans up', () => {
    const result = runCli(['demo'], undefined, 90_000);
    const out = result.stdout.toString();
    expect(result.status, out + result.stderr.toString()).toBe(0);
    expect(out).toContain('3 packets transmitted, 3 received');
    expect(out).toContain('hello, tuntcp');
    const namespace = /Namespace (\S+):/.exec(out)?.[1];
    expect(namespace).toBeDefined();
    expect(spawnSync('ip', ['netns', 'list']).stdout.toString()).not.toContain(namespace!);
  });

  it('`serve` answers curl on --http and nc on --echo', async () => {
    const page = await ns.exec('curl', ['-sS', '-m', '10', 'http://10.7.0.2/']);
    expect(page.stdout).toContain('Hello from tuntcp');
    const bytes = await ns.exec('sh', ['-c', 'curl -sS -m 10 http://10.7.0.2/bytes/100000 | sha256sum']);
    expect(bytes.stdout.slice(0, 64)).toBe(createHash('sha256').update(patternBytes(0, 100_000)).digest('hex'));
    const echo = await ns.exec('sh', ['-c', 'printf "ping over tuntcp" | nc -N -w 5 10.7.0.2 7']);
    expect(echo.stdout).toBe('ping over tuntcp');
    const ping6 = await ns.exec('ping', ['-6', '-c', '1', '-W', '2', 'fd07::2']);
    expect(ping6.stdout).toContain('1 received');
  });

  it('`serve --https/--tls-echo` speaks TLS 1.3 to curl and openssl with the printed self-signed certificate', async () => {
    const fingerprint = /SHA-256 fingerprint ([0-9A-F:]+)/i.exec(serveOutput)?.[1];
    expect(fingerprint).toBeDefined();
    const page = await ns.exec('curl', ['-sS', '-k', '-m', '10', '-w', '%{ssl_verify_result}', 'https://10.7.0.2/']);
    expect(page.stdout).toContain('Hello from tuntcp');
    const openssl = await ns.exec('sh', ['-c', '(printf "secret words"; sleep 1) | timeout 10 openssl s_client -connect 10.7.0.2:7443 -tls1_3 -quiet -no_ign_eof 2>/dev/null'], { timeoutMs: 15_000 });
    expect(openssl.stdout).toBe('secret words');
    const cert = await ns.exec('sh', ['-c', 'timeout 10 openssl s_client -connect 10.7.0.2:443 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256']);
    expect(cert.stdout.replace(/^.*=/, '').trim().toUpperCase()).toBe(fingerprint!.toUpperCase());
  });

  const connectFlags = (name: string) => [
    '--netns', name, '--tun-name', 'tt1', '--addr', '10.8.0.2/24', '--peer-addr', '10.8.0.1/24', '--addr6', 'fd08::2/64', '--peer-addr6', 'fd08::1/64',
  ];

  it('`connect` is a netcat: stdin out with our FIN, the peer\'s data to stdout, exit 0', async () => {
    const peer = ns.spawn(process.execPath, [PEER, 'half-close-server', '9002', '200000']);
    let peerOut = '';
    peer.stdout!.setEncoding('utf8').on('data', (chunk: string) => (peerOut += chunk));
    for (let i = 0; i < 100 && !peerOut.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
    const input = Buffer.alloc(50_000, 7);
    const result = await new Promise<{ status: number | null; stdout: Buffer; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'connect', '10.8.0.1', '9002', ...connectFlags(ns.name)]);
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.on('exit', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: err }));
      child.stdin.end(input);
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.length).toBe(200_000);
    expect(firstPatternMismatch(result.stdout)).toBe(-1);
    // The kernel peer read our 50 000 bytes up to our FIN before it answered.
    expect(peerOut).toContain('"length":50000');
  });

  it('`connect` to a closed port exits 1 naming ECONNREFUSED', () => {
    const result = runCli(['connect', '10.8.0.1', '9', ...connectFlags(ns.name)], '');
    expect(result.status).toBe(1);
    expect(result.stderr.toString()).toContain('ECONNREFUSED');
  });
});
