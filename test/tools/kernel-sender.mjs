// A kernel-side bulk sender for the paused-reader test, run inside the test's namespace with
// `ip netns exec NS node test/tools/kernel-sender.mjs HOST PORT BYTES`.
// Connects, writes BYTES of random data as fast as the socket takes them (honouring write()'s
// backpressure), then end()s. Prints JSON lines:
//   {"flushed":N,"blocked":true|false}  every 100 ms: bytes the kernel has taken (write callbacks
//                                       done), and whether a write is waiting for 'drain'
//   {"length":BYTES,"sha256":"…"}       once every byte is handed to the kernel and the FIN queued
//   {"closed":true}                     when the connection has closed
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

const [host, port, bytes] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
setTimeout(() => {
  print({ failure: 'timed out after 50 s' });
  process.exit(3);
}, 50_000).unref();

const data = randomBytes(bytes);
const sha256 = createHash('sha256').update(data).digest('hex');
const CHUNK = 64 * 1024;
let flushed = 0;
let blocked = false;

const socket = net.connect({ host, port });
socket.on('error', (error) => {
  print({ failure: `socket error ${error.code}` });
  process.exit(1);
});
const progress = setInterval(() => print({ flushed, blocked }), 100);

socket.on('connect', () => {
  let offset = 0;
  const pump = () => {
    blocked = false;
    while (offset < data.length) {
      const chunk = data.subarray(offset, Math.min(data.length, offset + CHUNK));
      offset += chunk.length;
      const more = socket.write(chunk, () => (flushed += chunk.length));
      if (!more) {
        blocked = true;
        return void socket.once('drain', pump);
      }
    }
    socket.end(() => print({ length: data.length, sha256 }));
  };
  pump();
});
socket.resume(); // nothing is expected from the reader; its FIN ends the connection
socket.on('close', () => {
  clearInterval(progress);
  print({ flushed, blocked: false });
  print({ closed: true });
  process.exit(0);
});
