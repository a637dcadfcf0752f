// A kernel-side TCP peer for interop tests, run inside the test's namespace with
// `ip netns exec NS node test/tools/kernel-peer.mjs MODE ...`. Prints one JSON line of results.
//   serve-pattern PORT BYTES        accept one connection, send BYTES of the i mod 251 pattern, read all, report sha256 of what was read
//   sink PORT                       accept one connection, read to EOF, report length + sha256, then close
//   half-close-client HOST PORT BYTES   connect, send BYTES of pattern, end() (our FIN), keep reading to EOF; report received length + sha256
//   half-close-server PORT BYTES    accept, read to EOF, THEN send BYTES of pattern and end; report received length + sha256
import net from 'node:net';
import { createHash } from 'node:crypto';

const [mode, ...args] = process.argv.slice(2);
const block = Buffer.alloc(251 * 256);
for (let i = 0; i < block.length; i++) block[i] = i % 251;

function pattern(socket, total, done) {
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const start = sent % block.length;
      const chunk = block.subarray(start, Math.min(block.length, start + (total - sent)));
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', pump);
    }
    done();
  };
  pump();
}

function collect(socket, onEnd) {
  const hash = createHash('sha256');
  let length = 0;
  socket.on('data', (chunk) => { hash.update(chunk); length += chunk.length; });
  socket.on('end', () => onEnd({ length, sha256: hash.digest('hex') }));
}

const report = (result) => { process.stdout.write(`${JSON.stringify(result)}\n`); };
setTimeout(() => { report({ error: 'timeout' }); process.exit(3); }, 60_000).unref();

if (mode === 'serve-pattern' || mode === 'sink' || mode === 'half-close-server') {
  const [port, bytes] = [Number(args[0]), Number(args[1] ?? 0)];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    server.close();
    socket.on('error', (e) => { report({ error: e.code }); process.exit(1); });
    if (mode === 'serve-pattern') {
      // End only when both are done: our pattern is written and their upload has ended.
      let pending = 2;
      const done = () => { if (--pending === 0) socket.end(); };
      collect(socket, (r) => { report(r); done(); });
      pattern(socket, bytes, done);
    } else if (mode === 'sink') {
      collect(socket, (r) => { report(r); socket.end(); });
    } else {
      collect(socket, (r) => { pattern(socket, bytes, () => { socket.end(); report(r); }); });
    }
  });
  server.listen(port, '::', () => process.stdout.write('listening\n'));
} else if (mode === 'half-close-client') {
  const [host, port, bytes] = [args[0], Number(args[1]), Number(args[2])];
  const socket = net.connect({ host, port, allowHalfOpen: true });
  socket.on('error', (e) => { report({ error: e.code }); process.exit(1); });
  socket.on('connect', () => pattern(socket, bytes, () => socket.end()));
  collect(socket, (r) => { report(r); });
} else {
  report({ error: `unknown mode ${mode}` });
  process.exit(2);
}
