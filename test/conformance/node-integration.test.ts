/**
 * NET_STREAM.md: "Stream subclasses stream.Duplex, so it also works with stream.pipeline,
 * http.request({ createConnection }), for await, etc." Node's own http client and server run
 * over tuntcp streams on one stack's loopback. No test here touches the real network: every
 * http.request passes createConnection and never an agent (with `agent: false` or an Agent,
 * Node would ignore createConnection and use the kernel).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { createServer, type Stream } from '../../src/net/index.js';
import type { Stack } from '../../src/stack.js';
import { cleanUpAfterEach, listen, newStack, track } from '../helpers/net.js';

cleanUpAfterEach();
const dir = mkdtempSync(join(tmpdir(), 'tuntcp-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function pattern(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

/** Node's http.Server, fed with tuntcp streams from a tuntcp Server on `stack`. */
async function httpOverTuntcp(stack: Stack, handler: http.RequestListener): Promise<{ port: number; connections: Stream[] }> {
  const httpServer = http.createServer(handler);
  const connections: Stream[] = [];
  const port = await listen(
    createServer(stack, (stream) => {
      connections.push(stream);
      stream.on('error', () => {});
      httpServer.emit('connection', stream);
    }),
  );
  return { port, connections };
}

/** http.request over a tuntcp stream: createConnection, no agent. */
function request(stack: Stack, port: number, path: string, options: http.RequestOptions = {}, body?: string): Promise<{ response: http.IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, ...options, createConnection: () => stack.createConnection(port) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ response, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Node http over tuntcp streams', () => {
  test('http.request({ createConnection }) against Node http.Server served over tuntcp: 1 MiB body byte-exact', async () => {
    const stack = newStack();
    const body = pattern(1 << 20);
    const { port } = await httpOverTuntcp(stack, (req, res) => {
      res.setHeader('x-path', req.url ?? '');
      res.end(body);
    });
    const { response, body: received } = await request(stack, port, '/big');
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-path']).toBe('/big');
    expect(received.length).toBe(body.length);
    expect(sha(received)).toBe(sha(body));
  });

  test('http.get with createConnection, and a POST body reaching the server', async () => {
    const stack = newStack();
    const { port } = await httpOverTuntcp(stack, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(`${req.method} ${Buffer.concat(chunks).toString()}`));
    });
    const got = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', createConnection: () => stack.createConnection(port) }, (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(got).toBe('GET ');
    const post = await request(stack, port, '/', { method: 'POST' }, 'hello');
    expect(post.body.toString()).toBe('POST hello');
  });

  test('keep-alive: two requests over one tuntcp connection', async () => {
    const stack = newStack();
    const { port, connections } = await httpOverTuntcp(stack, (req, res) => res.end(req.url));
    const socket = stack.createConnection(port);
    await once(socket, 'connect');
    const texts: string[] = [];
    for (const path of ['/one', '/two']) {
      const { body } = await new Promise<{ body: Buffer }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, headers: { connection: 'keep-alive' }, createConnection: () => socket }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
      texts.push(body.toString());
    }
    expect(texts).toEqual(['/one', '/two']);
    expect(connections.length).toBe(1);
    socket.destroy();
  });
});

describe('streams', () => {
  test('stream.pipeline: a file → tuntcp → a file, 4 MiB byte-exact, with backpressure on a slow reader', async () => {
    const stack: Stack = newStack({ tcp: { config: { receiveBufferSize: 64 * 1024, sendBufferSize: 64 * 1024 } } });
    const source = join(dir, 'source.bin');
    const target = join(dir, 'target.bin');
    const data = pattern(4 << 20);
    writeFileSync(source, data);
    let maxBehind = 0;
    const done = new Promise<void>((resolve, reject) => {
      track(
        createServer(stack, (stream) => {
          // A slow sink: every chunk takes a little while, so the window must close and reopen.
          let writtenToFile = 0;
          const file = createWriteStream(target);
          const slow = new Writable({
            highWaterMark: 16 * 1024,
            write(chunk: Buffer, _encoding, callback) {
              writtenToFile += chunk.length;
              maxBehind = Math.max(maxBehind, client.bytesWritten - writtenToFile);
              file.write(chunk, () => setTimeout(callback, 0));
            },
            final(callback) {
              file.end(callback);
            },
          });
          pipeline(stream, slow).then(resolve, reject);
        }),
      ).listen(6100);
    });
    const client = stack.createConnection(6100);
    await pipeline(createReadStream(source), client);
    await done;
    const copy = readFileSync(target);
    expect(copy.length).toBe(data.length);
    expect(sha(copy)).toBe(sha(data));
    // The sender never ran far ahead of the slow reader: bounded by the buffers, not the file.
    expect(maxBehind).toBeLessThan(1 << 20);
  }, 30_000);

  test('for await (const chunk of stream) reads everything, then the loop ends on the FIN', async () => {
    const stack = newStack();
    const payload = pattern(300_000);
    const port = await listen(createServer(stack, (s) => s.on('error', () => {}).end(payload)));
    const client = stack.createConnection(port);
    const chunks: Buffer[] = [];
    for await (const chunk of client) chunks.push(chunk as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(payload));
    // The async iterator destroys the stream when the loop ends (modern Node).
    expect(client.destroyed).toBe(true);
  });
});
