/** A tiny adapter running a TlsConnection over a kernel TCP socket (node:net), for interop tests. */
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import type { TlsConnection, TlsEvent } from '../src/tls/connection.js';

export interface Wired {
  readonly events: TlsEvent[];
  readonly received: Buffer[];
  readonly socket: net.Socket;
  /** Resolves at 'secure', rejects at an 'error' event or socket close before it. */
  readonly secure: Promise<void>;
  /** Resolves when the socket closes. */
  readonly closed: Promise<void>;
  flush(): void;
  text(): string;
}

export function wire(conn: TlsConnection, socket: net.Socket): Wired {
  const events: TlsEvent[] = [];
  const received: Buffer[] = [];
  let resolveSecure!: () => void;
  let rejectSecure!: (error: Error) => void;
  const secure = new Promise<void>((resolve, reject) => {
    resolveSecure = resolve;
    rejectSecure = reject;
  });
  secure.catch(() => undefined);
  const flush = (): void => {
    for (const record of conn.takeOutput()) if (!socket.destroyed) socket.write(record);
  };
  conn.onEvent = (event) => {
    events.push(event);
    if (event.type === 'secure') resolveSecure();
    if (event.type === 'data') received.push(Buffer.from(event.data));
    if (event.type === 'error') rejectSecure(event.error);
    if (event.type === 'close_notify') {
      // Answer the peer's close_notify with ours, then half-close (RFC 8446 §6.1).
      queueMicrotask(() => {
        conn.close();
        flush();
        socket.end();
      });
    }
  };
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (chunk) => {
    conn.receive(chunk);
    flush();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => rejectSecure(new Error('socket closed before the handshake completed')));
  flush();
  return { events, received, socket, secure, closed, flush, text: () => Buffer.concat(received).toString('latin1') };
}

export function connectTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Spawned {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Waits until stdout+stderr match, or fails after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  exited: Promise<number | null>;
  kill(): void;
}

/** Spawns a peer program; kill() ends exactly this PID. */
export function spawnPeer(command: string, args: string[]): Spawned {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d.toString('latin1')));
  child.stderr!.on('data', (d) => (err += d.toString('latin1')));
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(out + err)) {
        if (Date.now() > deadline) throw new Error(`timeout waiting for ${pattern}; stdout: ${out}\nstderr: ${err}`);
        if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}; stdout: ${out}\nstderr: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    kill() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    },
  };
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
