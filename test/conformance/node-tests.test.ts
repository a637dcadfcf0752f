/**
 * The behaviours checked by the modern Node tests listed at the end of NET_STREAM.md, written
 * for tuntcp (our own tests, not Node's code). Each test names the Node test it follows. Those
 * already covered elsewhere: -allow-half-open, -connect-options-allowhalfopen, -socket-destroy-twice,
 * -write-after-end-nt (node-parity.test.ts), -socket-timeout, -settimeout, -can-reset-timeout,
 * -reconnect (net-lifecycle.test.ts), test-http-createConnection (node-integration.test.ts),
 * -socket-setnodelay, -persistent-keepalive (seed.test.ts).
 */
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { createServer, Stream } from '../../src/net/index.js';
import type { Stack } from '../../src/stack.js';
import { cleanUpAfterEach, closed, collect, listen, newStack, recordEvents, tick, track, until } from '../helpers/net.js';

cleanUpAfterEach();

async function echoPort(stack: Stack): Promise<number> {
  return listen(
    createServer(stack, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    }),
  );
}

describe('modern Node net tests, as tuntcp behaviour', () => {
  test('test-net-after-close: after close, the API still answers without throwing', async () => {
    const stack = newStack();
    const client = stack.createConnection(await echoPort(stack));
    await once(client, 'connect');
    client.destroy();
    await closed(client);
    expect(() => {
      client.setNoDelay(true);
      client.setKeepAlive(true);
      client.setTimeout(10);
      client.pause();
      client.resume();
    }).not.toThrow();
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.readyState).toBe('closed');
    expect(typeof client.address()).toBe('object');
  });

  test('test-net-pause-resume-connecting: paused before connect, no data until resume()', async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, (s) => s.end('payload')));
    const client = stack.createConnection(port);
    client.pause();
    let got = '';
    client.on('data', (chunk: Buffer) => (got += chunk.toString()));
    await once(client, 'connect');
    await tick(30);
    expect(got).toBe('');
    expect(client.isPaused()).toBe(true);
    client.resume();
    await once(client, 'end');
    expect(got).toBe('payload');
    client.end();
  });

  test('test-net-write-after-close: a write after destroy fails through its callback, not a throw', async () => {
    const stack = newStack();
    const client = stack.createConnection(await echoPort(stack));
    await once(client, 'connect');
    client.destroy();
    const error = await new Promise<Error & { code?: string }>((resolve) => client.write('x', (e) => resolve(e as Error)));
    expect(error.code).toBe('ERR_STREAM_DESTROYED');
  });

  test('test-net-connect-buffer: writes made while connecting arrive in order after connect', async () => {
    const stack = newStack();
    let received = '';
    const done = new Promise<void>((resolve) => {
      void listen(
        createServer(stack, (s) => {
          s.on('data', (chunk: Buffer) => (received += chunk.toString()));
          s.on('end', () => (s.end(), resolve()));
        }),
        6201,
      );
    });
    await tick(5);
    const client = stack.createConnection(6201);
    expect(client.connecting).toBe(true);
    for (let i = 0; i < 50; i++) client.write(`${i},`);
    client.end('done');
    client.resume();
    await done;
    expect(received).toBe(`${Array.from({ length: 50 }, (_, i) => `${i},`).join('')}done`);
  });

  test('test-net-end-without-connect: end() on a stream never connected does not throw; it stays closed', async () => {
    const stream = new Stream({ stack: newStack() });
    expect(() => stream.end()).not.toThrow();
    await tick(10);
    expect(stream.readyState).toBe('closed');
    expect(stream.writable).toBe(false);
  });

  test('test-net-socket-end-before-connect: end(data) before connect sends the data then FIN', async () => {
    const stack = newStack();
    const chunks: string[] = [];
    const port = await listen(
      createServer(stack, (s) => {
        s.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
        s.on('end', () => s.end());
      }),
    );
    const client = stack.createConnection(port);
    client.end('early bird');
    client.resume();
    expect(await closed(client)).toBe(false);
    expect(chunks.join('')).toBe('early bird');
  });

  test('test-net-better-error-messages-port: the message names address and port', async () => {
    const stack = newStack();
    const client = stack.createConnection(7);
    const [error] = (await once(client, 'error')) as [Error & { port: number; address: string }];
    expect(error.message).toBe('connect ECONNREFUSED 127.0.0.1:7');
    expect(error.port).toBe(7);
    expect(error.address).toBe('127.0.0.1');
  });

  test('test-net-error-twice: only the first error is emitted', async () => {
    const stack = newStack();
    const client = stack.createConnection(await echoPort(stack));
    const events = recordEvents(client);
    await once(client, 'connect');
    client.destroy(Object.assign(new Error('first'), { code: 'EFIRST' }));
    client.destroy(Object.assign(new Error('second'), { code: 'ESECOND' }));
    await closed(client);
    expect(events.filter((e) => e.startsWith('error'))).toEqual(['error:EFIRST']);
  });

  test("test-net-socket-close-after-end: 'close' comes after 'end'", async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, (s) => s.end('x')));
    const client = stack.createConnection(port);
    const events = recordEvents(client);
    client.on('end', () => client.end());
    await closed(client);
    expect(events.indexOf('end')).toBeLessThan(events.indexOf('close:false'));
    expect(events[events.length - 1]).toBe('close:false');
  });

  test('test-net-bytes-stats: bytesRead/bytesWritten on both sides, per connection', async () => {
    const stack = newStack();
    const serverSide: Stream[] = [];
    const port = await listen(
      createServer(stack, (s) => {
        serverSide.push(s);
        s.on('data', () => {});
        s.on('end', () => s.end('0123456789'));
      }),
    );
    const client = stack.createConnection(port);
    client.write('abc');
    client.end(Buffer.from('defg'));
    client.resume();
    await closed(client);
    expect(client.bytesWritten).toBe(7);
    expect(client.bytesRead).toBe(10);
    await until(() => serverSide[0]!.destroyed, 'server side closed');
    expect(serverSide[0]!.bytesRead).toBe(7);
    expect(serverSide[0]!.bytesWritten).toBe(10);
  });

  test('test-net-remote-address-port: addresses and ports agree between the two ends', async () => {
    const stack = newStack();
    let accepted: Stream | undefined;
    const port = await listen(createServer(stack, (s) => (accepted = s)));
    const client = stack.createConnection(port, '::1');
    await once(client, 'connect');
    await until(() => accepted !== undefined, 'accept');
    expect(client.remotePort).toBe(port);
    expect(accepted!.remotePort).toBe(client.localPort);
    expect(accepted!.localPort).toBe(port);
    expect(client.address()).toEqual({ address: '::1', family: 'IPv6', port: client.localPort });
    expect(accepted!.remoteFamily).toBe('IPv6');
    client.destroy();
    accepted!.on('error', () => {});
  });

  test('test-net-write-slow: many writes to a reader that pauses and resumes arrive complete', async () => {
    const stack = newStack({ tcp: { config: { receiveBufferSize: 16 * 1024 } } });
    let total = 0;
    const done = new Promise<void>((resolve) => {
      track(
        createServer(stack, (s) => {
          s.on('data', (chunk: Buffer) => {
            total += chunk.length;
            s.pause();
            setTimeout(() => s.resume(), 1);
          });
          s.on('end', () => (s.end(), resolve()));
        }),
      ).listen(6202);
    });
    await tick(5);
    const client = stack.createConnection(6202);
    const piece = Buffer.alloc(1024, 1);
    let writes = 0;
    const pump = (): void => {
      while (writes < 200) {
        writes++;
        if (!client.write(piece)) return void client.once('drain', pump);
      }
      client.end();
    };
    pump();
    client.resume();
    await done;
    expect(total).toBe(200 * 1024);
  });

  test('test-net-server-close: close() waits for open connections, then close and the callback', async () => {
    const stack = newStack();
    const accepted: Stream[] = [];
    const server = createServer(stack, (s) => accepted.push(s));
    const port = await listen(server);
    const client = stack.createConnection(port);
    await once(client, 'connect');
    await until(() => accepted.length === 1, 'accept');
    const order: string[] = [];
    server.close(() => order.push('callback'));
    server.on('close', () => order.push('close'));
    await tick(20);
    expect(order).toEqual([]);
    accepted[0]!.on('error', () => {});
    client.destroy();
    await until(() => order.length === 2, 'server close');
    expect(order).toEqual(['callback', 'close']);
  });

  test('test-net-server-max-connections: the excess are reset and counted; getConnections counts the rest', async () => {
    const stack = newStack();
    const server = createServer(stack, (s) => s.on('error', () => {}));
    server.maxConnections = 2;
    const port = await listen(server);
    const clients = [0, 1, 2, 3].map(() => stack.createConnection(port));
    const outcomes = clients.map((c) => new Promise<string>((resolve) => (c.on('error', (e: Error & { code?: string }) => resolve(e.code ?? '')), setTimeout(() => resolve('open'), 200))));
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'open').length).toBe(2);
    expect(results.filter((r) => r === 'ECONNRESET').length).toBe(2);
    expect(stack.counters.get('tcp.maxConnectionsRefused')).toBe(2);
    const count = await new Promise<number>((resolve) => server.getConnections((_error, n) => resolve(n)));
    expect(count).toBe(2);
    for (const c of clients) c.destroy();
  });

  test('test-net-pingpong: 100 ping/pong round trips over one connection, then a clean close', async () => {
    const stack = newStack();
    const port = await listen(
      createServer(stack, (s) => {
        s.setEncoding('utf8');
        s.on('data', (text: string) => {
          for (const _ of text.split('\n').filter(Boolean)) s.write('pong\n');
        });
        s.on('end', () => s.end());
      }),
    );
    const client = stack.createConnection(port).setNoDelay(true);
    client.setEncoding('utf8');
    let pongs = 0;
    const data = collect(client);
    await once(client, 'connect');
    client.write('ping\n');
    await new Promise<void>((resolve) => {
      client.on('data', (text: string) => {
        for (const _ of text.split('\n').filter(Boolean)) {
          pongs++;
          if (pongs < 100) client.write('ping\n');
          else resolve();
        }
      });
    });
    client.end();
    expect(await closed(client)).toBe(false);
    expect(pongs).toBe(100);
    expect(data.text()).toBe('pong\n'.repeat(100));
  });
});
