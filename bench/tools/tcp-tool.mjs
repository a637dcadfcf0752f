#!/usr/bin/env node
/**
 * tcp-tool: the kernel-side TCP client and servers of `npm run bench` (plain Node ESM, no deps).
 * Run inside a namespace: `ip netns exec NS node bench/tools/tcp-tool.mjs MODE ...`.
 *
 *   bulk-server PORT [send BYTES]   discard server (counts bytes, closes after the peer's FIN), or
 *                                   with `send BYTES`: writes BYTES to each connection, then FIN
 *   echo-server PORT                echoes every byte back (TCP_NODELAY), closes after the peer's FIN
 *   bulk-send HOST PORT BYTES       sends BYTES, half-closes, waits for the server's FIN
 *   bulk-recv HOST PORT BYTES       reads until BYTES have arrived
 *   connect-rate HOST PORT COUNT    COUNT times in sequence: connect, 1-byte echo, close
 *   rr HOST PORT COUNT              COUNT 1-byte request/response round trips on one connection
 *
 * Servers print one JSON line {"listening":PORT} once they accept connections, then run until
 * killed. Clients print one JSON line with their result and exit 0, or a message on stderr and
 * exit 1. Every client gives up after TCP_TOOL_TIMEOUT_MS (default 120000) and exits 2.
 */
import net from 'node:net';

const CHUNK = Buffer.alloc(1 << 20, 0x5a); // one 1 MiB buffer, written again and again (never mutated)
const ONE_BYTE = Buffer.from([0x2a]);

function fail(message) {
  process.stderr.write(`tcp-tool: ${message}\n`);
  process.exit(1);
}

function int(text, what) {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) fail(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

function print(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function startGuard() {
  const limit = Number(process.env.TCP_TOOL_TIMEOUT_MS ?? 120_000);
  const timer = setTimeout(() => {
    process.stderr.write(`tcp-tool: gave up after ${limit} ms\n`);
    process.exit(2);
  }, limit);
  timer.unref();
}

/** Write `bytes` bytes to `socket` in 1 MiB writes, waiting for 'drain' whenever write() says so. */
function writeBytes(socket, bytes) {
  return new Promise((resolve, reject) => {
    let left = bytes;
    const onError = (error) => reject(error);
    socket.once('error', onError);
    const pump = () => {
      while (left > 0) {
        const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
        left -= piece.length;
        if (!socket.write(piece) && left > 0) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.off('error', onError);
      resolve();
    };
    pump();
  });
}

function connect(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function listen(port, onConnection) {
  const server = net.createServer(onConnection);
  server.on('error', (error) => fail(`listen on ${port}: ${error.message}`));
  server.listen(port, () => print({ listening: port }));
}

function bulkServer(port, mode, bytesText) {
  if (mode === undefined) {
    listen(port, (socket) => {
      let received = 0;
      socket.on('data', (chunk) => { received += chunk.length; });
      socket.on('end', () => socket.end());
      socket.on('error', () => socket.destroy());
    });
  } else if (mode === 'send') {
    const bytes = int(bytesText, 'BYTES');
    listen(port, (socket) => {
      socket.on('error', () => socket.destroy());
      socket.resume();
      writeBytes(socket, bytes).then(() => socket.end(), () => socket.destroy());
    });
  } else {
    fail(`bulk-server PORT [send BYTES]: unknown mode ${JSON.stringify(mode)}`);
  }
}

function echoServer(port) {
  listen(port, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
}

function throughput(bytes, start) {
  const elapsed = seconds(start);
  return { bytes, seconds: elapsed, MBps: bytes / 1e6 / elapsed };
}

async function bulkSend(host, port, bytes) {
  const start = process.hrtime.bigint();
  const socket = await connect(host, port);
  socket.resume(); // the server sends nothing, but its FIN must be read
  const serverDone = new Promise((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('error', reject);
  });
  await writeBytes(socket, bytes);
  socket.end();
  await serverDone; // the server closes once it has read everything we sent
  print(throughput(bytes, start));
  socket.destroy();
}

async function bulkRecv(host, port, bytes) {
  const start = process.hrtime.bigint();
  const socket = await connect(host, port);
  const result = await new Promise((resolve, reject) => {
    let received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= bytes) resolve(throughput(received, start));
    });
    socket.once('end', () => {
      if (received < bytes) reject(new Error(`the server closed after ${received} of ${bytes} bytes`));
    });
    socket.once('error', reject);
  });
  print(result);
  socket.destroy();
}

function echoOnce(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(ONE_BYTE));
    socket.once('data', () => socket.end());
    socket.on('data', () => {});
    socket.once('error', reject);
    socket.once('close', (hadError) => (hadError ? undefined : resolve()));
  });
}

async function connectRate(host, port, count) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await echoOnce(host, port);
  const elapsed = seconds(start);
  print({ count, seconds: elapsed, perSecond: count / elapsed });
}

async function roundTrips(host, port, count) {
  const socket = await connect(host, port);
  socket.setNoDelay(true);
  const start = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
    let answered = 0;
    socket.on('data', (chunk) => {
      answered += chunk.length;
      if (answered >= count) resolve();
      else socket.write(ONE_BYTE);
    });
    socket.once('end', () => reject(new Error(`the server closed after ${answered} of ${count} round trips`)));
    socket.once('error', reject);
    if (count === 0) resolve();
    else socket.write(ONE_BYTE);
  });
  const elapsed = seconds(start);
  print({ count, seconds: elapsed, perSecond: count / elapsed });
  socket.destroy();
}

const USAGE = 'usage: tcp-tool.mjs bulk-server PORT [send BYTES] | echo-server PORT | bulk-send HOST PORT BYTES | bulk-recv HOST PORT BYTES | connect-rate HOST PORT COUNT | rr HOST PORT COUNT';

async function main(argv) {
  const [mode, ...args] = argv;
  switch (mode) {
    case 'bulk-server': return bulkServer(int(args[0], 'PORT'), args[1], args[2]);
    case 'echo-server': return echoServer(int(args[0], 'PORT'));
  }
  if (args.length !== 3) fail(USAGE);
  startGuard();
  const [host, portText, nText] = args;
  const port = int(portText, 'PORT');
  const n = int(nText, mode === 'bulk-send' || mode === 'bulk-recv' ? 'BYTES' : 'COUNT');
  switch (mode) {
    case 'bulk-send': return bulkSend(host, port, n);
    case 'bulk-recv': return bulkRecv(host, port, n);
    case 'connect-rate': return connectRate(host, port, n);
    case 'rr': return roundTrips(host, port, n);
    default: fail(USAGE);
  }
}

main(process.argv.slice(2)).catch((error) => fail(error?.message ?? String(error)));
