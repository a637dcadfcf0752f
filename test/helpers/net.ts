/**
 * Shared pieces of the socket-API tests: stacks and servers cleaned up after each test,
 * listening on an ephemeral port, collecting data, and an event recorder that writes down the
 * order of a stream's events the same way for a tuntcp Stream and a Node net.Socket.
 */
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { afterEach } from 'vitest';
import { Stack, type StackOptions } from '../../src/stack.js';
import type { Server, Stream } from '../../src/net/index.js';

const stacks: Stack[] = [];
const servers: Server[] = [];

export function newStack(options?: StackOptions): Stack {
  const stack = new Stack(options);
  stacks.push(stack);
  return stack;
}

/** Register the cleanup hook in a test file (call once at top level). */
export function cleanUpAfterEach(): void {
  afterEach(() => {
    for (const server of servers.splice(0)) if (server.listening) server.close();
    for (const stack of stacks.splice(0)) stack.close();
  });
}

export async function listen(server: Server, port = 0, host?: string): Promise<number> {
  servers.push(server);
  server.listen(port, host);
  await once(server, 'listening');
  return server.address()!.port;
}

export function track(server: Server): Server {
  servers.push(server);
  return server;
}

export function collect(stream: Duplex): { chunks: Array<Buffer | string>; text(): string; bytes(): Buffer } {
  const chunks: Array<Buffer | string> = [];
  stream.on('data', (chunk: Buffer | string) => chunks.push(chunk));
  return {
    chunks,
    text: () => chunks.map((c) => (typeof c === 'string' ? c : c.toString())).join(''),
    bytes: () => Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))),
  };
}

/** Everything a stream delivers until 'end'; rejects on 'error'. */
export function readAll(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Resolves with had_error on 'close' (events.once would reject on an earlier 'error'). */
export function closed(stream: Duplex): Promise<boolean> {
  return new Promise((resolve) => stream.once('close', (hadError: boolean) => resolve(hadError)));
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait (bounded) until `condition` holds, checking every few ms. */
export async function until(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

/**
 * Record a stream's events in order: connect, ready, data (merged into one 'data' per run),
 * end, finish, timeout, error:<code>, close:<had_error>. `readyState` can be noted too for
 * tuntcp streams (Node's net.Socket still has a readyState as well, with other words).
 */
export function recordEvents(stream: Duplex): string[] {
  const events: string[] = [];
  const note = (name: string): void => {
    if (name === 'data' && events[events.length - 1] === 'data') return;
    events.push(name);
  };
  for (const name of ['connect', 'ready', 'end', 'finish', 'timeout', 'drain'] as const) stream.on(name, () => note(name));
  stream.on('data', () => note('data'));
  stream.on('error', (error: Error & { code?: string }) => note(`error:${error.code ?? error.message}`));
  stream.on('close', (hadError: boolean) => note(`close:${hadError}`));
  return events;
}

/** The stream's readyState (tuntcp's Stream). */
export const stateOf = (stream: Stream): string => stream.readyState;
