/**
 * Stream over real connections: one stack's loopback (127.0.0.1), and two stacks joined by a
 * MemoryLink. Real clock; every wait is bounded by vitest's timeout.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { FaultInjector } from '../src/link/fault-injector.js';
import { MemoryLink } from '../src/link/memory.js';
import { SimScheduler } from '../src/link/sim-scheduler.js';
import { createConnection, createServer, NetError, Stream, type Server } from '../src/net/index.js';
import { Stack } from '../src/stack.js';
import { TcpLayer } from '../src/tcp/tcp-layer.js';
import { cleanUpAfterEach, closed, collect, listen, newStack, track } from './helpers/net.js';

cleanUpAfterEach();

function echoServer(stack: Stack): Server {
  return createServer(stack, (stream) => {
    stream.on('error', () => {});
    stream.pipe(stream);
  });
}

/** Deterministic bytes: a position pattern, so a shifted or lost byte shows. */
function pattern(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('over one stack (loopback)', () => {
  test('connect, echo, addresses, readyState and byte counts', async () => {
    const stack = newStack();
    const port = await listen(echoServer(stack));
    const client = createConnection(stack, port);
    expect(client.readyState).toBe('opening');
    expect(client.connecting).toBe(true);
    const received = collect(client);
    await once(client, 'connect');
    expect(client.readyState).toBe('open');
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.remotePort).toBe(port);
    expect(client.remoteFamily).toBe('IPv4');
    expect(client.localAddress).toBe('127.0.0.1');
    expect(client.localPort).toBeGreaterThanOrEqual(49152);
    expect(client.write('hello, ')).toBe(true);
    client.write(Buffer.from('world'));
    client.end();
    expect(client.readyState).toBe('readOnly');
    await once(client, 'close');
    expect(received.text()).toBe('hello, world');
    expect(client.bytesWritten).toBe(12);
    expect(client.bytesRead).toBe(12);
    expect(client.readyState).toBe('closed');
  });

  test('half-close: our end() leaves the peer writing; its FIN gives end then writeOnly; close is last', async () => {
    const stack = newStack();
    const serverEvents: string[] = [];
    let serverSide: Stream | undefined;
    const server = createServer(stack, (stream) => {
      serverSide = stream;
      stream.on('data', () => serverEvents.push('data'));
      stream.on('end', () => {
        serverEvents.push(`end:${stream.readyState}`);
        // the seed's half-open stream: still writable after the peer's FIN
        stream.write('late reply');
        setTimeout(() => stream.end(' and bye'), 20);
      });
      stream.on('close', (hadError: boolean) => serverEvents.push(`close:${hadError}`));
    });
    const port = await listen(server);
    const client = createConnection(stack, port);
    const events: string[] = [];
    const received = collect(client);
    client.on('end', () => events.push(`end:${client.readyState}`));
    client.on('finish', () => events.push('finish'));
    client.on('close', (hadError: boolean) => events.push(`close:${hadError}`));
    await once(client, 'connect');
    client.end('question');
    await once(client, 'close');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received.text()).toBe('late reply and bye');
    expect(events).toEqual(['finish', 'end:closed', 'close:false']);
    expect(serverEvents).toEqual(['data', 'end:writeOnly', 'close:false']);
    expect(serverSide!.readyState).toBe('closed');
  });

  test('allowHalfOpen: false ends our side automatically on the peer FIN', async () => {
    const stack = newStack();
    const server = createServer(stack, { allowHalfOpen: false }, (stream) => stream.resume());
    const port = await listen(server);
    const client = createConnection(stack, port);
    client.resume();
    await once(client, 'connect');
    client.end();
    const [hadError] = await once(client, 'close');
    expect(hadError).toBe(false); // the server ended without being told to
  });

  test('1 MiB byte-exact with backpressure: a paused reader stalls the writer until resume()', async () => {
    const stack = newStack();
    let serverSide: Stream | undefined;
    let server!: Server;
    const gotConnection = new Promise<Stream>((resolve) => {
      server = createServer(stack, { pauseOnConnect: true }, resolve);
      void listen(server, 5001);
    });
    await once(server, 'listening');
    const client = createConnection(stack, 5001);
    await once(client, 'connect');
    serverSide = await gotConnection;
    const payload = pattern(1 << 20, 7);
    let offset = 0;
    let sawFalse = false;
    let drains = 0;
    client.on('drain', () => drains++);
    const pump = (): void => {
      while (offset < payload.length) {
        const piece = payload.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        if (!client.write(piece)) {
          sawFalse = true;
          client.once('drain', pump);
          return;
        }
      }
      client.end();
    };
    pump();
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Reader paused: its receive buffer filled, the window closed, the writer is stuck.
    expect(sawFalse).toBe(true);
    expect(client.bytesWritten).toBeLessThan(payload.length);
    const stalledAt = client.bytesWritten;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.bytesWritten).toBe(stalledAt);
    expect(serverSide.bytesRead).toBeLessThan(payload.length);
    const received = collect(serverSide);
    serverSide.resume();
    await once(serverSide, 'end');
    expect(received.bytes().length).toBe(payload.length);
    expect(sha(received.bytes())).toBe(sha(payload));
    expect(drains).toBeGreaterThan(0);
    serverSide.end();
    client.resume(); // 'end' (and so 'close') comes only to a reader
    expect(await closed(client)).toBe(false);
  }, 20_000);

  test('ECONNREFUSED on a closed port: error (connect syscall) then close(true), no connect', async () => {
    const stack = newStack();
    const client = createConnection(stack, 9);
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.on('error', (error: NetError) => events.push(`error:${error.code}`));
    expect(await closed(client)).toBe(true);
    expect(events).toEqual(['error:ECONNREFUSED']);
    const error = client.errored as NetError;
    expect(error).toBeInstanceOf(NetError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 9 });
    expect(error.message).toBe('connect ECONNREFUSED 127.0.0.1:9');
  });

  test('destroy() on one side resets the connection: the peer gets ECONNRESET', async () => {
    const stack = newStack();
    const server = createServer(stack, (stream) => {
      stream.once('data', () => stream.destroy());
    });
    const port = await listen(server);
    const client = createConnection(stack, port);
    await once(client, 'connect');
    client.write('x');
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    expect(await closed(client)).toBe(true);
    expect(errors).toMatchObject([{ code: 'ECONNRESET', syscall: 'read', errno: -104 }]);
    expect(client.readyState).toBe('closed');
    expect(stack.counters.get('tcp.resetsIn')).toBeGreaterThan(0);
  });

  test('write after end is an error event with ERR_STREAM_WRITE_AFTER_END, not a throw', async () => {
    const stack = newStack();
    const port = await listen(echoServer(stack));
    const client = createConnection(stack, port);
    client.resume();
    await once(client, 'connect');
    client.end();
    let callbackError: Error | null | undefined;
    expect(() => client.write('late', (error) => (callbackError = error))).not.toThrow();
    const [error] = await once(client, 'error');
    expect((error as { code: string }).code).toBe('ERR_STREAM_WRITE_AFTER_END');
    expect((callbackError as { code?: string } | undefined)?.code).toBe('ERR_STREAM_WRITE_AFTER_END');
  });

  test("setTimeout emits 'timeout' after idleness and does not close; 0 disables", async () => {
    const stack = newStack();
    const port = await listen(echoServer(stack));
    const client = createConnection(stack, port);
    await once(client, 'connect');
    let timeouts = 0;
    expect(client.setTimeout(30, () => timeouts++)).toBe(client);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(timeouts).toBe(1);
    expect(client.readyState).toBe('open');
    client.setTimeout(0);
    expect(() => client.setTimeout(-1)).toThrow();
    client.destroy();
  });

  test('connect() without a stack or with a bad port throws a typed error', () => {
    expect(() => new Stream().connect(80)).toThrow(/stack/);
    expect(() => createConnection(newStack(), 70000)).toThrow(/port/);
  });
});

describe('over two stacks joined by a MemoryLink', () => {
  function pair(): { client: Stack; server: Stack } {
    const [a, b] = MemoryLink.pair({ mtu: 1500 });
    const client = newStack();
    const server = newStack();
    client.addInterface(a, { addresses: ['10.9.0.1/24'] });
    server.addInterface(b, { addresses: ['10.9.0.2/24'] });
    return { client, server };
  }

  test('echo across the link with the right addresses on both ends', async () => {
    const { client: clientStack, server: serverStack } = pair();
    let remoteSeen: string | undefined;
    const server = createServer(serverStack, (stream) => {
      remoteSeen = `${stream.remoteAddress}:${stream.remotePort} -> ${stream.localAddress}:${stream.localPort}`;
      stream.pipe(stream);
    });
    await listen(server, 7, '10.9.0.2');
    const client = createConnection(clientStack, 7, '10.9.0.2');
    const received = collect(client);
    await once(client, 'connect');
    expect(client.localAddress).toBe('10.9.0.1');
    client.end(pattern(100_000, 3));
    await once(client, 'close');
    expect(sha(received.bytes())).toBe(sha(pattern(100_000, 3)));
    expect(remoteSeen).toBe(`10.9.0.1:${client.localPort} -> 10.9.0.2:7`);
  });

  test("a connection to the stack's own interface address goes over loopback, not the device", async () => {
    const { server: serverStack } = pair();
    const [, device] = serverStack.interfaces().filter((iface) => !iface.isLoopback).map((iface) => [iface, iface.link as MemoryLink] as const)[0]!;
    const server = echoServer(serverStack);
    await listen(server, 7, '10.9.0.2');
    const client = createConnection(serverStack, 7, '10.9.0.2');
    const received = collect(client);
    await once(client, 'connect');
    expect(client.localAddress).toBe('10.9.0.2');
    client.end('own address');
    await once(client, 'close');
    expect(received.text()).toBe('own address');
    expect(device.stats.sent).toBe(0);
  });

  test('1 MiB each way at once, byte-exact', async () => {
    const { client: clientStack, server: serverStack } = pair();
    const toServer = pattern(1 << 20, 11);
    const toClient = pattern(1 << 20, 12);
    let serverGot: Buffer | undefined;
    const server = createServer(serverStack, (stream) => {
      const received = collect(stream);
      stream.on('end', () => (serverGot = received.bytes()));
      stream.end(toClient);
    });
    await listen(server, 9000);
    const client = createConnection(clientStack, 9000, '10.9.0.2');
    const received = collect(client);
    client.end(toServer);
    await once(client, 'close');
    expect(sha(received.bytes())).toBe(sha(toClient));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sha(serverGot!)).toBe(sha(toServer));
  });

  test("the stack's TCP layer being closed destroys its streams (close, no error) and resets the peer (ECONNRESET)", async () => {
    const { client: clientStack, server: serverStack } = pair();
    const serverSide = new Promise<Stream>((resolve) => {
      const server = createServer(serverStack, resolve);
      void listen(server, 9001);
    });
    const client = createConnection(clientStack, 9001, '10.9.0.2');
    await once(client, 'connect');
    const accepted = await serverSide;
    const serverError = once(accepted, 'error');
    const clientErrors: unknown[] = [];
    client.on('error', (error) => clientErrors.push(error));
    TcpLayer.existing(clientStack)!.close();
    expect(await closed(client)).toBe(false);
    expect(clientErrors).toEqual([]);
    expect(((await serverError)[0] as NetError).code).toBe('ECONNRESET');
  });
});

describe('simulation: two stacks over a seeded lossy link on virtual time', () => {
  test('8 MiB each way through 5% loss in both directions, byte-exact (timeouts alone recover)', async () => {
    const sim = new SimScheduler();
    const [a, b] = MemoryLink.pair({ mtu: 1500, latencyMs: 1, clock: sim, schedule: sim.schedule });
    const lossy = new FaultInjector(a, { seed: 42, drop: 0.05, clock: sim, schedule: sim.schedule });
    const clientStack = newStack({ clock: sim.createClock() });
    const serverStack = newStack({ clock: sim.createClock() });
    clientStack.addInterface(lossy, { addresses: ['10.9.0.1/24'] });
    serverStack.addInterface(b, { addresses: ['10.9.0.2/24'] });
    const size = 8 << 20;
    const up = pattern(size, 5);
    const down = pattern(size, 6);
    const serverHash = createHash('sha256');
    let serverBytes = 0;
    let serverEnded = false;
    const server = createServer(serverStack, (stream) => {
      stream.on('data', (chunk: Buffer) => {
        serverHash.update(chunk);
        serverBytes += chunk.length;
      });
      stream.on('end', () => (serverEnded = true));
      stream.end(down);
    });
    track(server).listen(7);
    const client = createConnection(clientStack, 7, '10.9.0.2');
    const clientHash = createHash('sha256');
    let clientBytes = 0;
    let clientClosed: boolean | undefined;
    client.on('data', (chunk: Buffer) => {
      clientHash.update(chunk);
      clientBytes += chunk.length;
    });
    client.on('close', (hadError: boolean) => (clientClosed = hadError));
    client.end(up);
    // Bounded: at most 10^5 virtual seconds, in steps of 10 s.
    for (let step = 0; step < 10_000 && !(clientClosed !== undefined && serverEnded); step++) await sim.advanceSettled(10_000);
    expect(clientClosed).toBe(false);
    expect(clientBytes).toBe(size);
    expect(serverBytes).toBe(size);
    expect(clientHash.digest('hex')).toBe(sha(down));
    expect(serverHash.digest('hex')).toBe(sha(up));
    expect(lossy.sendStats.dropped + lossy.receiveStats.dropped).toBeGreaterThan(100);
    expect(clientStack.counters.get('tcp.retransmitTimeouts') + serverStack.counters.get('tcp.retransmitTimeouts')).toBeGreaterThan(0);
  }, 60_000);
});
