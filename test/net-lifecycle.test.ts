/**
 * A Stream's life cycle: readyState at each transition, reconnecting a closed stream, utf8
 * decoding across segment boundaries, the idle timeout on the stack's clock (ManualClock),
 * name resolution and IPv6 literals.
 */
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { createServer, NetError, Stream, tableResolver } from '../src/net/index.js';
import { cleanUpAfterEach, closed, collect, listen, newStack, tick, until } from './helpers/net.js';

cleanUpAfterEach();

function echo(stream: Stream): void {
  stream.on('error', () => {});
  stream.pipe(stream);
}

describe('readyState through the life cycle', () => {
  test("closed → opening → open → readOnly (our end) → closed, and writeOnly after the peer's FIN", async () => {
    const stack = newStack();
    let serverSide: Stream | undefined;
    const port = await listen(createServer(stack, (s) => (serverSide = s)));
    const client = new Stream({ stack });
    const seen: string[] = [client.readyState];
    client.connect(port);
    seen.push(client.readyState);
    await once(client, 'connect');
    seen.push(client.readyState);
    await until(() => serverSide !== undefined, 'accept');
    const server = serverSide!;
    seen.push(`server:${server.readyState}`);
    server.resume();
    // The peer's FIN → 'end' → writeOnly on the side that received it.
    client.end();
    seen.push(client.readyState);
    await once(server, 'end');
    seen.push(`server:${server.readyState}`);
    const serverClosed = closed(server);
    const clientClosed = closed(client);
    server.end();
    client.resume();
    expect(await clientClosed).toBe(false);
    seen.push(client.readyState);
    await serverClosed;
    seen.push(`server:${server.readyState}`);
    expect(seen).toEqual(['closed', 'opening', 'open', 'server:open', 'readOnly', 'server:writeOnly', 'closed', 'server:closed']);
  });

  test("while a name is being resolved the stream is 'opening' and connecting", async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, echo));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const client = new Stream({ stack, resolver: async () => (await gate, ['127.0.0.1']) });
    client.connect(port, 'slow.example');
    await tick(5);
    expect(client.readyState).toBe('opening');
    expect(client.connecting).toBe(true);
    expect(client.pending).toBe(true);
    release();
    await once(client, 'connect');
    expect(client.readyState).toBe('open');
    expect(client.pending).toBe(false);
    client.destroy();
    expect(client.readyState).toBe('closed');
  });
});

describe('reconnecting a closed stream (the seed: connect() again to the same or another host)', () => {
  test('the same Stream object connects again after close, to another server, with fresh counters', async () => {
    const stack = newStack();
    const portA = await listen(createServer(stack, echo));
    const portB = await listen(createServer(stack, (s) => s.end('from B')));
    const client = new Stream({ stack });
    const received = collect(client);
    client.connect(portA);
    await once(client, 'connect');
    client.end('to A');
    expect(await closed(client)).toBe(false);
    expect(received.text()).toBe('to A');
    expect(client.bytesWritten).toBe(4);
    const events: string[] = [];
    client.on('connect', () => events.push('connect'));
    client.on('end', () => events.push('end'));
    client.connect(portB, '127.0.0.1');
    expect(client.readyState).toBe('opening');
    await once(client, 'connect');
    expect(client.remotePort).toBe(portB);
    expect(client.bytesWritten).toBe(0);
    await once(client, 'end');
    expect(client.readyState).toBe('writeOnly');
    client.end();
    expect(await closed(client)).toBe(false);
    expect(received.text()).toBe('to Afrom B');
    expect(client.bytesRead).toBe(6);
    expect(events).toEqual(['connect', 'end']);
  });

  test('a stream that failed (ECONNREFUSED) can connect again; connect() while open throws', async () => {
    const stack = newStack();
    const client = new Stream({ stack });
    client.on('error', () => {});
    client.connect(9);
    expect(await closed(client)).toBe(true);
    const port = await listen(createServer(stack, echo));
    client.connect(port);
    await once(client, 'connect');
    expect(() => client.connect(port)).toThrow(/already connected/);
    client.destroy();
  });

  test('connect() called before the old close event waits for it, then connects', async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, echo));
    const client = new Stream({ stack });
    client.connect(port);
    await once(client, 'connect');
    const order: string[] = [];
    client.on('close', () => order.push('close'));
    client.destroy();
    client.connect(port, () => order.push('connect'));
    await until(() => order.length === 2, 'reconnect');
    expect(order).toEqual(['close', 'connect']);
    client.destroy();
  });
});

describe('setEncoding', () => {
  test('utf8 characters split across TCP segments are decoded whole', async () => {
    const stack = newStack();
    let serverSide: Stream | undefined;
    const port = await listen(createServer(stack, (s) => (serverSide = s)));
    const client = stack.createConnection(port).setNoDelay(true);
    await once(client, 'connect');
    await until(() => serverSide !== undefined, 'accept');
    const server = serverSide!;
    server.on('error', () => {}); // the client's destroy() at the end resets it
    server.setEncoding('utf8');
    const chunks: string[] = [];
    server.on('data', (chunk: string) => chunks.push(chunk));
    const text = 'a€😀b';
    const bytes = Buffer.from(text); // 1 + 3 + 4 + 1 bytes
    // One write per byte, each waited for: every byte is its own segment.
    for (let i = 0; i < bytes.length; i++) {
      client.write(bytes.subarray(i, i + 1));
      await until(() => server.bytesRead === i + 1, `byte ${i}`);
    }
    await tick(5);
    expect(chunks.join('')).toBe(text);
    expect(chunks.every((chunk) => !chunk.includes('\ufffd'))).toBe(true);
    expect(chunks).toEqual(['a', '€', '😀', 'b']);
    client.destroy();
  });

  test('base64 and latin1 decoding across chunks', async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, (s) => s.end(Buffer.from([0, 1, 2, 3, 250]))));
    const client = stack.createConnection(port);
    client.setEncoding('base64');
    const received = collect(client);
    await once(client, 'end');
    expect(received.text()).toBe(Buffer.from([0, 1, 2, 3, 250]).toString('base64'));
    client.end();
  });
});

describe("setTimeout on the stack's clock", () => {
  test("under ManualClock, 'timeout' fires exactly when the idle time has passed, once, and activity resets it", async () => {
    const clock = new ManualClock();
    const stack = newStack({ clock });
    const port = await listen(createServer(stack, echo));
    const client = stack.createConnection(port);
    client.resume();
    await once(client, 'connect');
    let timeouts = 0;
    client.on('timeout', () => timeouts++);
    expect(client.setTimeout(1000)).toBe(client);
    expect(client.timeout).toBe(1000);
    clock.advance(999);
    await tick();
    expect(timeouts).toBe(0);
    client.write('x'); // activity: the idle period starts again
    await until(() => client.bytesRead === 1, 'echo');
    clock.advance(999);
    await tick();
    expect(timeouts).toBe(0);
    clock.advance(1);
    await tick();
    expect(timeouts).toBe(1);
    clock.advance(5000);
    await tick();
    expect(timeouts).toBe(1); // once per idle period, and the stream stays open
    expect(client.readyState).toBe('open');
    client.setTimeout(0);
    client.write('y');
    clock.advance(10_000);
    await tick();
    expect(timeouts).toBe(1);
    client.destroy();
  });

  test('bad arguments throw typed errors', () => {
    const stream = new Stream({ stack: newStack() });
    expect(() => stream.setTimeout(-1)).toThrow(/timeout must be/);
    expect(() => stream.setTimeout(Number.NaN)).toThrow(/timeout must be/);
    expect(() => stream.setTimeout(10, 'x' as unknown as () => void)).toThrow(/callback/);
  });
});

describe('names and literals', () => {
  test('IPv6 literals, bare and bracketed, connect to ::1', async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, echo), 0, '::1');
    for (const host of ['::1', '[::1]', '0:0:0:0:0:0:0:1']) {
      const client = stack.createConnection(port, host);
      await once(client, 'connect');
      expect(client.remoteAddress).toBe('::1');
      expect(client.remoteFamily).toBe('IPv6');
      client.destroy();
    }
  });

  test('a pluggable resolver: per stream, per stack; lookup event; ENOTFOUND for unknown names', async () => {
    const stack = newStack({ resolver: tableResolver({ 'db.internal': '127.0.0.9' }) });
    const port = await listen(createServer(stack, echo));
    const viaStack = stack.createConnection(port, 'db.internal');
    const lookups: unknown[][] = [];
    viaStack.on('lookup', (...args: unknown[]) => lookups.push(args));
    await once(viaStack, 'connect');
    expect(viaStack.remoteAddress).toBe('127.0.0.9');
    expect(lookups).toEqual([[null, '127.0.0.9', 4, 'db.internal']]);
    viaStack.destroy();
    const asked: string[] = [];
    const own = new Stream({ stack, resolver: (name) => (asked.push(name), Promise.resolve(['::1', '127.0.0.1'])) });
    own.connect({ port, host: 'anything', family: 4 });
    await once(own, 'connect');
    expect(asked).toEqual(['anything']);
    expect(own.remoteAddress).toBe('127.0.0.1');
    own.destroy();
    const unknown = stack.createConnection(port, 'nowhere.invalid');
    const unknownClosed = closed(unknown);
    const error = await once(unknown, 'error').then(([e]) => e as NetError);
    expect(error).toMatchObject({ code: 'ENOTFOUND', syscall: 'getaddrinfo', errno: -3008 });
    expect(await unknownClosed).toBe(true);
    const localhost = stack.createConnection(port, 'localhost');
    await once(localhost, 'connect');
    expect(localhost.remoteAddress).toBe('127.0.0.1');
    localhost.destroy();
  });
});
