#!/usr/bin/env node
/**
 * tls-tool: the kernel-side TLS client and server of the bench's TLS rows (node:tls, no deps).
 * Run inside a namespace: `ip netns exec NS node bench/tools/tls-tool.mjs MODE ...`.
 *
 *   server PORT CERT KEY              TLS 1.3 discard server: reads everything, ends after the peer's end
 *   bulk-send HOST PORT BYTES CA      sends BYTES over TLS, ends (close_notify + FIN), waits for the server's end
 *   handshakes HOST PORT COUNT CA     COUNT times in sequence: full TLS 1.3 handshake (no resumption), close
 *
 * The server prints {"listening":PORT}; clients print one JSON line and exit 0 (1 on failure).
 */
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const CHUNK = Buffer.alloc(1 << 20, 0x5a);

function fail(message) {
  process.stderr.write(`tls-tool: ${message}\n`);
  process.exit(1);
}
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const [mode, ...args] = process.argv.slice(2);
setTimeout(() => fail('timeout'), Number(process.env.TLS_TOOL_TIMEOUT_MS ?? 120_000)).unref();

function connect(host, port, ca) {
  return new Promise((resolve, reject) => {
    // No session reuse: every connection is a full handshake.
    const socket = tls.connect({ host, port: Number(port), ca, minVersion: 'TLSv1.3', session: undefined }, () => {
      if (!socket.authorized) reject(new Error(`not authorized: ${socket.authorizationError}`));
      else resolve(socket);
    });
    socket.once('error', reject);
  });
}

if (mode === 'server') {
  const [port, cert, key] = args;
  const server = tls.createServer({ cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.3' }, (socket) => {
    socket.on('error', () => socket.destroy());
    socket.resume();
  });
  server.listen(Number(port), () => console.log(JSON.stringify({ listening: Number(port) })));
} else if (mode === 'bulk-send') {
  const [host, port, bytesText, caFile] = args;
  const total = Number(bytesText);
  const socket = await connect(host, port, readFileSync(caFile)).catch((e) => fail(e.message));
  const start = process.hrtime.bigint();
  let left = total;
  const pump = () => {
    while (left > 0) {
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece) && left > 0) return void socket.once('drain', pump);
    }
    socket.end();
  };
  socket.resume();
  socket.on('end', () => {
    const s = seconds(start);
    console.log(JSON.stringify({ bytes: total, seconds: s, MBps: total / 1e6 / s }));
    process.exit(0);
  });
  pump();
} else if (mode === 'handshakes') {
  const [host, port, countText, caFile] = args;
  const count = Number(countText);
  const ca = readFileSync(caFile);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const socket = await connect(host, port, ca).catch((e) => fail(e.message));
    await new Promise((resolve) => {
      socket.once('close', resolve);
      socket.resume();
      socket.end();
    });
  }
  const s = seconds(start);
  console.log(JSON.stringify({ count, seconds: s, perSecond: count / s }));
} else {
  fail(`unknown mode ${mode}`);
}
