/**
 * The services `tuntcp serve` can run on our TCP: echo (RFC 862), discard (RFC 863), and HTTP
 * served by Node's own `http.Server` over our streams (each accepted Stream handed to it as a
 * connection).
 *
 * HTTP routes:
 *   GET  /          a small page
 *   GET  /bytes/N   exactly N bytes of the published pattern: byte i is (i mod 251)
 *   POST /sha256    the hex SHA-256 of the request body
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { Writable } from 'node:stream';
import type { Stack } from '../stack.js';
import { createServer, type Server } from '../net/server.js';

/** The /bytes/N pattern: byte i of the body is i mod 251 (a prime, so a slip of any small length shows). */
export const PATTERN_MODULUS = 251;

const PATTERN_BLOCK = (() => {
  const block = new Uint8Array(PATTERN_MODULUS * 256); // 64 256 bytes, a whole number of periods
  for (let i = 0; i < block.length; i++) block[i] = i % PATTERN_MODULUS;
  return block;
})();

/** Bytes [offset, offset + length) of the pattern. */
export function patternBytes(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let filled = 0; filled < length; ) {
    const start = (offset + filled) % PATTERN_BLOCK.length;
    const take = Math.min(length - filled, PATTERN_BLOCK.length - start);
    out.set(PATTERN_BLOCK.subarray(start, start + take), filled);
    filled += take;
  }
  return out;
}

/** Check received bytes against the pattern; returns the first bad offset, or -1. */
export function firstPatternMismatch(bytes: Uint8Array, offset = 0): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== (offset + i) % PATTERN_MODULUS) return offset + i;
  return -1;
}

export function startEcho(stack: Stack, port: number): Server {
  return createServer(stack, (stream) => {
    stream.on('error', () => stream.destroy());
    stream.pipe(stream); // what arrives goes back; the peer's FIN ends our side after the echo
  }).listen(port);
}

export function startDiscard(stack: Stack, port: number): Server {
  return createServer(stack, (stream) => {
    stream.on('error', () => stream.destroy());
    stream.on('data', () => {});
    stream.on('end', () => stream.end());
  }).listen(port);
}

const HOME_PAGE = `<!doctype html>
<title>tuntcp</title>
<h1>Hello from tuntcp</h1>
<p>This page came to you over a TCP written in TypeScript, running in userspace behind a TUN device.</p>
<p>Try <code>/bytes/N</code> (byte i is i mod 251) and <code>POST /sha256</code>.</p>
`;

export function httpHandler(request: http.IncomingMessage, response: http.ServerResponse): void {
  const url = request.url ?? '/';
  const bytes = /^\/bytes\/(\d{1,12})$/.exec(url);
  if (request.method === 'GET' && url === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(HOME_PAGE) });
    response.end(HOME_PAGE);
  } else if (request.method === 'GET' && bytes) {
    const total = Number(bytes[1]);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    writePattern(response, total);
  } else if (request.method === 'POST' && url === '/sha256') {
    const hash = createHash('sha256');
    request.on('data', (chunk: Buffer) => hash.update(chunk));
    request.on('end', () => {
      const body = `${hash.digest('hex')}\n`;
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      response.end(body);
    });
  } else {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found\n');
  }
}

/** Write `total` pattern bytes with backpressure (a block, then wait for 'drain' when asked), then end. */
export function writePattern(writable: Pick<Writable, 'write' | 'once' | 'end'>, total: number): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const length = Math.min(64 * 1024, total - sent);
      const more = writable.write(patternBytes(sent, length));
      sent += length;
      if (!more) {
        writable.once('drain', pump);
        return;
      }
    }
    writable.end();
  };
  pump();
}

export function startHttp(stack: Stack, port: number): { tcp: Server; http: http.Server } {
  const httpServer = http.createServer(httpHandler);
  const tcp = createServer(stack, (stream) => httpServer.emit('connection', stream)).listen(port);
  return { tcp, http: httpServer };
}
