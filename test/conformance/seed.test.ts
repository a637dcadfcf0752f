/**
 * The seed (shared/seed-net-stream.zh.txt), sentence by sentence: each test quotes the seed
 * sentence it checks (and the NET_STREAM.md rule where that page makes it precise).
 * The secure-stream sentences (setSecure, 'secure', verifyPeer, getPeerCertificate) are the
 * TLS suite's.
 */
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createServer, Stream } from '../../src/net/index.js';
import { cleanUpAfterEach, closed, collect, listen, newStack, recordEvents, tick, until } from '../helpers/net.js';
import type { Stack } from '../../src/stack.js';

cleanUpAfterEach();

/** A server whose accepted streams the test gets, with their errors swallowed. */
async function serverOn(stack: Stack, onStream: (s: Stream) => void = () => {}): Promise<{ port: number; next(): Promise<Stream> }> {
  const waiting: Stream[] = [];
  const port = await listen(
    createServer(stack, (s) => {
      s.on('error', () => {});
      waiting.push(s);
      onStream(s);
    }),
  );
  return {
    port,
    next: async () => {
      await until(() => waiting.length > 0, 'a connection');
      return waiting.shift()!;
    },
  };
}

describe("seed: events", () => {
  test("'connect' — 当成功建立连接后触发此事件 (emitted when the connection is established)", async () => {
    const stack = newStack();
    const { port } = await serverOn(stack);
    const client = stack.createConnection(port);
    expect(client.readyState).toBe('opening');
    await once(client, 'connect');
    expect(client.readyState).toBe('open');
    client.destroy();
  });

  test("'data' — 数据会是Buffer 或者String,数据的编码通过stream.setEncoding()来设计 (Buffer, or String after setEncoding)", async () => {
    const stack = newStack();
    const { port } = await serverOn(stack, (s) => s.write('abc'));
    const raw = stack.createConnection(port);
    const [chunk] = (await once(raw, 'data')) as [unknown];
    expect(Buffer.isBuffer(chunk)).toBe(true);
    const text = stack.createConnection(port);
    text.setEncoding('ascii');
    const [string] = (await once(text, 'data')) as [unknown];
    expect(string).toBe('abc');
    raw.destroy();
    text.destroy();
  });

  test("'end' — 这个事件发出后准备状态会变为‘只写’(writeOnly)…唯一能做的事情或许只是call stream.end() (after the peer's FIN: writeOnly, still open until end())", async () => {
    const stack = newStack();
    const server = await serverOn(stack, (s) => s.end());
    const client = stack.createConnection(port(server));
    client.resume();
    await once(client, 'end');
    expect(client.readyState).toBe('writeOnly');
    await tick(30);
    expect(client.destroyed).toBe(false); // NET_STREAM.md: stays half-open by default
    expect(client.write('still writable')).toBe(true);
    const done = closed(client);
    client.end();
    expect(await done).toBe(false);
  });

  test("'timeout' — 这是唯一一个因为stream 空闲而通知的事件,这个时候用户必须手动关闭这个连接 (the timeout does not close)", async () => {
    const clock = new ManualClock();
    const stack = newStack({ clock });
    const { port } = await serverOn(stack);
    const client = stack.createConnection(port);
    await once(client, 'connect');
    client.setTimeout(500);
    const fired = once(client, 'timeout');
    clock.advance(500);
    await fired;
    expect(client.readyState).toBe('open');
    client.destroy();
  });

  test("'drain' — 当写缓冲区变空的时候触发这个事件 (the write buffer has emptied)", async () => {
    const stack = newStack({ tcp: { config: { sendBufferSize: 16 * 1024 } } });
    const server = await serverOn(stack);
    const client = stack.createConnection(port(server));
    await once(client, 'connect');
    (await server.next()).resume();
    let accepted = true;
    for (let i = 0; i < 10 && accepted; i++) accepted = client.write(Buffer.alloc(8 * 1024, i));
    expect(accepted).toBe(false);
    await once(client, 'drain');
    expect(client.writableLength).toBe(0);
    client.destroy();
  });

  test("'error' — ‘close’事件将跟随这个事件被发出; 'close' — had_error 标示stream 关闭是否是因为传输错误所导致 ('close' follows 'error'; had_error)", async () => {
    const stack = newStack();
    const failing = stack.createConnection(1);
    const events = recordEvents(failing);
    await closed(failing);
    expect(events).toEqual(['error:ECONNREFUSED', 'close:true']);
    const { port } = await serverOn(stack, (s) => s.end());
    const clean = stack.createConnection(port);
    const cleanEvents = recordEvents(clean);
    clean.on('end', () => clean.end());
    await closed(clean);
    expect(cleanEvents[cleanEvents.length - 1]).toBe('close:false');
  });
});

function port(server: { port: number }): number {
  return server.port;
}

describe('seed: connect() and the stream state', () => {
  test("stream.connect(port, host='127.0.0.1') — 如果第二个参数没有写,则假设主机为localhost (no host: the stack's loopback)", async () => {
    const stack = newStack();
    const { port } = await serverOn(stack);
    const client = new Stream({ stack }).connect(port);
    await once(client, 'connect');
    expect(client.remoteAddress).toBe('127.0.0.1');
    client.destroy();
  });

  test('只有在一个stream 被关闭,并且你希望重新使用这个对象连接到其他主机的时候我们才用这个方法 (a closed stream connects again)', async () => {
    const stack = newStack();
    const first = await serverOn(stack, (s) => s.end('one'));
    const second = await serverOn(stack, (s) => s.end('two'));
    const stream = new Stream({ stack });
    const data = collect(stream);
    stream.on('end', () => stream.end());
    stream.connect(first.port);
    await closed(stream);
    stream.connect(second.port);
    await closed(stream);
    expect(data.text()).toBe('onetwo');
  });

  test("这个函数是异步的…如果在连接过程中产生问题,将产生’error’事件,而不会被触发’connect’ (asynchronous; on failure 'error', no 'connect')", async () => {
    const stack = newStack();
    const client = new Stream({ stack });
    const events = recordEvents(client);
    client.connect(2);
    expect(events).toEqual([]);
    await closed(client);
    expect(events).not.toContain('connect');
    expect(events[0]).toBe('error:ECONNREFUSED');
  });

  test("stream.remoteAddress — 例如’74.125.127.100’ 或者’2001:a005::68’ (IPv4 and IPv6 text forms)", async () => {
    const stack = newStack();
    const server = await serverOn(stack);
    const v6 = stack.createConnection(server.port, '::1');
    await once(v6, 'connect');
    expect(v6.remoteAddress).toBe('::1');
    expect((await server.next()).remoteAddress).toBe('::1');
    const v4 = stack.createConnection(server.port, '127.0.0.1');
    await once(v4, 'connect');
    expect((await server.next()).remoteAddress).toBe('127.0.0.1');
    v6.destroy();
    v4.destroy();
  });

  test("stream.readyState 可以是’closed’, ‘open’, ‘opening’, ‘readOnly’ ‘writeOnly’ 中的一个 (only these five values, at every step)", async () => {
    const stack = newStack();
    const server = await serverOn(stack);
    const client = new Stream({ stack });
    const states = new Set<string>([client.readyState]);
    const note = (): void => void states.add(client.readyState);
    for (const event of ['connect', 'data', 'end', 'finish', 'close']) client.on(event, note);
    client.connect(server.port);
    note();
    await once(client, 'connect');
    const peer = await server.next();
    client.end('x');
    note();
    peer.resume();
    peer.end('y');
    client.resume();
    await closed(client);
    note();
    expect([...states].every((s) => ['closed', 'open', 'opening', 'readOnly', 'writeOnly'].includes(s))).toBe(true);
    expect(states).toEqual(new Set(['closed', 'opening', 'open', 'readOnly']));
  });

  test("stream.setEncoding — ’ascii’, ‘utf8’, ‘base64’", async () => {
    const stack = newStack();
    const { port } = await serverOn(stack, (s) => s.end(Buffer.from('héllo')));
    for (const [encoding, expected] of [
      ['utf8', 'héllo'],
      ['base64', Buffer.from('héllo').toString('base64')],
      ['ascii', Buffer.from('héllo').toString('ascii')],
    ] as const) {
      const client = stack.createConnection(port).setEncoding(encoding);
      const data = collect(client);
      await once(client, 'end');
      expect(data.text()).toBe(expected);
      client.end();
    }
  });
});

describe('seed: writing, pausing, options', () => {
  test('stream.write(data, encoding) — 第二个参数指定这个字符串实例的编码 (the encoding of a string)', async () => {
    const stack = newStack();
    const server = await serverOn(stack);
    const client = stack.createConnection(server.port);
    client.write('aGk=', 'base64');
    client.end(' there', 'ascii');
    const peer = await server.next();
    const data = collect(peer);
    await once(peer, 'end');
    expect(data.text()).toBe('hi there');
    peer.end();
  });

  test("stream.end([data]) — 半关闭stream…这个时候可能服务器还会发出一些数据…readyState 会变成’readOnly’ (half-close; the peer can still send)", async () => {
    const stack = newStack();
    const server = await serverOn(stack);
    const client = stack.createConnection(server.port);
    const data = collect(client);
    await once(client, 'connect');
    client.end('request');
    expect(client.readyState).toBe('readOnly');
    const peer = await server.next();
    peer.resume();
    await once(peer, 'end');
    peer.end('reply after your FIN');
    await closed(client);
    expect(data.text()).toBe('reply after your FIN');
  });

  test("stream.pause() — ’data’事件将不会被发出,这个方法在控制上传的时候非常有用 (no 'data'; the writer is throttled by the closed window)", async () => {
    const stack = newStack({ tcp: { config: { receiveBufferSize: 32 * 1024 } } });
    const server = await serverOn(stack);
    const client = stack.createConnection(server.port);
    await once(client, 'connect');
    const peer = await server.next();
    peer.pause();
    let dataEvents = 0;
    peer.on('data', () => dataEvents++);
    peer.pause();
    const payload = Buffer.alloc(512 * 1024, 7);
    client.write(payload);
    await tick(100);
    expect(dataEvents).toBe(0);
    const stalled = client.bytesWritten;
    expect(stalled).toBeLessThan(payload.length); // the window closed: the rest waits on our side
    let received = 0;
    peer.on('data', (chunk: Buffer) => (received += chunk.length));
    peer.resume(); // stream.resume() — 当恢复读取数据
    await until(() => received === payload.length, 'all data after resume');
    client.destroy();
  });

  test('stream.setTimeout(0) — 如果timeout 为0,会禁用超时 (0 disables)', async () => {
    const clock = new ManualClock();
    const stack = newStack({ clock });
    const { port } = await serverOn(stack);
    const client = stack.createConnection(port);
    await once(client, 'connect');
    let fired = 0;
    client.setTimeout(100, () => fired++);
    client.setTimeout(0);
    clock.advance(1000);
    await tick();
    expect(fired).toBe(0);
    client.destroy();
  });

  test('stream.setNoDelay(noDelay=true) / setKeepAlive(enable, initialDelay) — before connect, returning the stream; keepalive probes after initialDelay', async () => {
    const clock = new ManualClock();
    const stack = newStack({ clock });
    const { port } = await serverOn(stack);
    const client = new Stream({ stack });
    expect(client.setNoDelay()).toBe(client);
    expect(client.setKeepAlive(true, 2000)).toBe(client);
    client.connect(port);
    await once(client, 'connect');
    clock.advance(1999);
    await tick();
    expect(stack.counters.get('tcp.keepaliveProbes')).toBe(0);
    clock.advance(1);
    await tick();
    expect(stack.counters.get('tcp.keepaliveProbes')).toBe(1);
    client.destroy();
  });

  test('stream.destroy() — 只有在错误发生的时候…才需要调用此函数 (destroy tears down at once: the peer sees a reset)', async () => {
    const stack = newStack();
    const server = await serverOn(stack);
    const client = stack.createConnection(server.port);
    await once(client, 'connect');
    const peer = await server.next();
    const peerEvents = recordEvents(peer);
    client.destroy();
    expect(client.readyState).toBe('closed');
    await closed(peer);
    expect(peerEvents).toEqual(['error:ECONNRESET', 'close:true']);
  });
});
