/**
 * Shared pieces of the TLS interop tests over a real TUN: a test-made namespace whose kernel side
 * is 10.7.0.1 with tuntcp at 10.7.0.2, certificates made by openssl in a temp dir (a CA and
 * leaves of every key type, naming both addresses and tuntcp.test), kernel-side peers started
 * with `ip netns exec` and killed by PID, a 10 MB payload, and a hashing sink service.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, openTunInNamespace, type Namespace } from './netns.js';
import { Stack } from '../../src/stack.js';
import type { Stream } from '../../src/net/stream.js';
import type { Server } from '../../src/net/server.js';
import type { TlsServerOptions } from '../../src/net/secure-api.js';

export const KERNEL = '10.7.0.1';
export const OURS = '10.7.0.2';
export const NAME = 'tuntcp.test';
export const BULK = 10 * 1024 * 1024;

export type CertKind = 'rsa' | 'p256' | 'ed25519';
export interface Leaf {
  readonly key: string;
  readonly cert: string;
  readonly keyFile: string;
  readonly certFile: string;
}
export interface TunPki {
  readonly dir: string;
  readonly ca: string;
  readonly caFile: string;
  readonly leaves: Record<CertKind, Leaf>;
  /** A clientAuth-only P-256 leaf (CN=tuntcp client) for mutual TLS. */
  readonly client: Leaf;
  file(name: string): string;
  cleanup(): void;
}

const KEY_ARGS: Record<CertKind, string[]> = {
  rsa: ['-newkey', 'rsa:2048'],
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ed25519: ['-newkey', 'ed25519'],
};

export function makeTunPki(): TunPki {
  const dir = mkdtempSync(join(tmpdir(), 'tuntcp-tls-tun-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '5', '-subj', '/CN=tuntcp interop CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const issue = (name: string, keyArgs: string[], cn: string, ext: string): Leaf => {
    run(['req', '-new', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '5', '-extfile', `${name}.ext`]);
    return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), keyFile: join(dir, `${name}.key`), certFile: join(dir, `${name}.pem`) };
  };
  const serverExt = `subjectAltName=DNS:${NAME},DNS:localhost,IP:${KERNEL},IP:${OURS}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`;
  const leaves = {
    rsa: issue('rsa', KEY_ARGS.rsa, 'tuntcp rsa', serverExt),
    p256: issue('p256', KEY_ARGS.p256, 'tuntcp p256', serverExt),
    ed25519: issue('ed25519', KEY_ARGS.ed25519, 'tuntcp ed25519', serverExt),
  };
  const client = issue('client', KEY_ARGS.p256, 'tuntcp client', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    leaves,
    client,
    file: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A namespace with a TUN whose far end (the kernel) is 10.7.0.1, and a Stack at 10.7.0.2. */
export function openTunBed(prefix: string): { ns: Namespace; stack: Stack; close(): void } {
  const ns = createNamespace(prefix);
  try {
    const tun = openTunInNamespace(ns, { peerAddress: `${KERNEL}/24` });
    const stack = new Stack();
    stack.addInterface(tun, { addresses: [`${OURS}/24`] });
    return {
      ns,
      stack,
      close() {
        stack.close();
        ns.delete();
      },
    };
  } catch (error) {
    ns.delete();
    throw error;
  }
}

export interface Peer {
  readonly child: ChildProcess;
  /** stdout as bytes (kept whole for hashing). */
  stdout(): Buffer;
  /** stdout + stderr as text. */
  text(): string;
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  readonly exited: Promise<number | null>;
  kill(): void;
}

/** Starts `cmd args` inside `ns`; stdin stays an open pipe (openssl s_server ends at stdin EOF). */
export function startPeer(ns: Namespace, cmd: string, args: readonly string[]): Peer {
  const child = ns.spawn(cmd, args);
  const out: Buffer[] = [];
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out.push(chunk);
    if (text.length < 1_000_000) text += chunk.toString('latin1');
  });
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => Buffer.concat(out),
    text: () => text,
    exited,
    async waitFor(pattern, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`${cmd}: no ${pattern} within ${ms} ms; output:\n${text.slice(-3000)}`);
        if (done) throw new Error(`${cmd} exited before ${pattern}; output:\n${text.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    kill() {
      if (!done && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    },
  };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** 10 MB of varied bytes (or printable lines, for line-oriented echoes), with its hash and a file holding it. */
export function bulkPayload(pki: TunPki, kind: 'binary' | 'lines' = 'binary'): { bytes: Buffer; sha256: string; file: string } {
  const bytes = Buffer.alloc(BULK);
  if (kind === 'binary') {
    for (let i = 0; i < BULK; i++) bytes[i] = (i * 7 + (i >>> 9) + (i >>> 17)) & 255;
  } else {
    const line = (n: number): string => `${createHash('sha256').update(String(n)).digest('hex')}\n`; // 65 bytes
    for (let offset = 0, n = 0; offset < BULK; n++) offset += bytes.write(line(n), offset, 'latin1');
    bytes[BULK - 1] = 0x0a;
  }
  const file = pki.file(`bulk-${kind}.bin`);
  writeFileSync(file, bytes);
  return { bytes, sha256: sha256(bytes), file };
}

/** Resolves with everything a stream delivers until 'end'; rejects on 'error'. */
export function collect(stream: Stream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export interface Session {
  readonly stream: Stream;
  /** Directions of the KeyUpdates the engine reported ('read' | 'write'). */
  readonly keyUpdates: string[];
}

/** Records the engine's keyUpdate events (the stream itself does not surface them). */
export function watchKeyUpdates(stream: Stream): string[] {
  const updates: string[] = [];
  const engine = stream.secureSession!.engine;
  const forward = engine.onEvent;
  engine.onEvent = (event) => {
    if (event.type === 'keyUpdate') updates.push(event.direction);
    forward?.(event);
  };
  return updates;
}

/**
 * Our TLS server on `port`: answers each line with the line in upper case; records every accepted
 * session and every handshake failure. With `sink`, it hashes everything instead and reports
 * `{ length, sha256 }` at the peer's end of data.
 */
export function lineServer(stack: Stack, port: number, options: TlsServerOptions): {
  server: Server;
  sessions: Session[];
  failures: Error[];
  sunk: Promise<{ length: number; sha256: string }>;
} {
  const sessions: Session[] = [];
  const failures: Error[] = [];
  let report!: (value: { length: number; sha256: string }) => void;
  const sunk = new Promise<{ length: number; sha256: string }>((resolve) => (report = resolve));
  const server = stack.tls.createServer(options, (stream) => {
    const session = { stream, keyUpdates: watchKeyUpdates(stream) };
    sessions.push(session);
    stream.on('error', () => undefined);
    const hash = createHash('sha256');
    let length = 0;
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
      if (length > 1_000_000) return; // bulk: hash only
      pending += chunk.toString('latin1');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) stream.write(`${line.toUpperCase()}\n`);
    });
    stream.on('end', () => report({ length, sha256: hash.digest('hex') }));
  });
  server.on('tlsClientError', (error: Error) => failures.push(error));
  server.listen(port);
  return { server, sessions, failures, sunk };
}

export async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
