/** Server: listen/close/address/getConnections/maxConnections, on one stack's loopback. */
import { once } from 'node:events';
import http from 'node:http';
import { describe, expect, test } from 'vitest';
import { createConnection, createServer, NetError, type Server, type Stream } from '../src/net/index.js';
import { cleanUpAfterEach, closed, newStack, track } from './helpers/net.js';

cleanUpAfterEach();

describe('Server', () => {
  test("listen(0) picks a port; address() reports '::' for every address; the callback is 'listening'", async () => {
    const stack = newStack();
    const server = track(createServer(stack, () => {}));
    expect(server.address()).toBeNull();
    let called = false;
    server.listen(0, () => (called = true));
    await once(server, 'listening');
    expect(called).toBe(true);
    const address = server.address()!;
    expect(address.address).toBe('::');
    expect(address.family).toBe('IPv6');
    expect(address.port).toBeGreaterThanOrEqual(49152);
    expect(server.listening).toBe(true);
  });

  test('a second server on the same port gets EADDRINUSE as an error event', async () => {
    const stack = newStack();
    const first = track(createServer(stack, () => {}));
    first.listen(8080, '127.0.0.1');
    await once(first, 'listening');
    expect(first.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port: 8080 });
    const second = track(createServer(stack, () => {}));
    second.listen({ port: 8080 });
    const [error] = await once(second, 'error');
    expect(error).toBeInstanceOf(NetError);
    expect(error).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', errno: -98, port: 8080 });
    expect(second.listening).toBe(false);
  });

  test('listening on an address the stack does not have is EADDRNOTAVAIL', async () => {
    const stack = newStack();
    const server = track(createServer(stack, () => {}));
    server.listen(80, '10.200.0.1');
    const [error] = await once(server, 'error');
    expect((error as NetError).code).toBe('EADDRNOTAVAIL');
  });

  test("'::' accepts IPv4 and IPv6 connections; streams see the right families", async () => {
    const stack = newStack();
    const families: string[] = [];
    const server = track(
      createServer(stack, (stream) => {
        families.push(`${stream.localFamily}:${stream.remoteAddress}`);
        stream.end('hi');
      }),
    );
    server.listen(9100, '::');
    await once(server, 'listening');
    for (const host of ['127.0.0.1', '::1']) {
      const client = createConnection(stack, 9100, host);
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      client.on('end', () => client.end());
      expect(await closed(client)).toBe(false);
      expect(Buffer.concat(chunks).toString()).toBe('hi');
    }
    expect(families).toEqual(['IPv4:127.0.0.1', 'IPv6:::1']);
  });

  test("close() stops accepting at once but 'close' waits for the last connection; getConnections counts", async () => {
    const stack = newStack();
    const accepted: Stream[] = [];
    const server = track(
      createServer(stack, (stream) => {
        accepted.push(stream);
        stream.resume();
      }),
    );
    server.listen(9200);
    await once(server, 'listening');
    const client = createConnection(stack, 9200);
    client.resume();
    await once(client, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const count = await new Promise<number>((resolve) => server.getConnections((_error, n) => resolve(n)));
    expect(count).toBe(1);
    let serverClosed = false;
    server.close(() => (serverClosed = true));
    expect(server.listening).toBe(false);
    const refused = createConnection(stack, 9200);
    const refusedError = new Promise<unknown>((resolve) => refused.once('error', resolve));
    expect(await refusedError).toMatchObject({ code: 'ECONNREFUSED' });
    expect(serverClosed).toBe(false);
    accepted[0]!.end();
    client.end();
    await closed(client);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(serverClosed).toBe(true);
  });

  test('close() on a server that is not listening reports ERR_SERVER_NOT_RUNNING', async () => {
    const server = createServer(newStack());
    const error = await new Promise<Error | undefined>((resolve) => server.close(resolve));
    expect((error as { code?: string }).code).toBe('ERR_SERVER_NOT_RUNNING');
  });

  test('maxConnections: the excess connection is reset and counted', async () => {
    const stack = newStack();
    const server = track(createServer(stack, (stream) => stream.resume()));
    server.maxConnections = 1;
    server.listen(9300);
    await once(server, 'listening');
    const first = createConnection(stack, 9300);
    first.on('error', () => {});
    await once(first, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = createConnection(stack, 9300);
    const errors: unknown[] = [];
    second.on('error', (error) => errors.push(error));
    expect(await closed(second)).toBe(true);
    expect(errors).toMatchObject([{ code: 'ECONNRESET' }]);
    expect(stack.counters.get('tcp.maxConnectionsRefused')).toBe(1);
    expect(first.readyState).toBe('open');
  });

  test("Node's http.Server runs over accepted streams, and http.request over createConnection", async () => {
    const stack = newStack();
    const httpServer = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => response.end(`${request.method} ${request.url} ${body.length}`));
    });
    const server = track(createServer(stack, (stream) => httpServer.emit('connection', stream)));
    server.listen(8081);
    await once(server, 'listening');
    const text = await new Promise<string>((resolve, reject) => {
      const request = http.request({ method: 'POST', path: '/upload', createConnection: () => createConnection(stack, 8081) as never }, (response) => {
        let data = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (data += chunk));
        response.on('end', () => resolve(`${response.statusCode} ${data}`));
      });
      request.on('error', reject);
      request.end('x'.repeat(100_000));
    });
    expect(text).toBe('200 POST /upload 100000');
    httpServer.close();
  });
});
