/**
 * The tuntcp TCP rows: the kernel-side tool as the client (in a namespace of our own, kernel side
 * 10.7.0.1) against servers run by tuntcp in this process (10.7.0.2 on a TUN device):
 * discard (kernel → stack), send N bytes (stack → kernel), echo (connections/s, round trips/s).
 * Same tool, sizes, ports and pinning as the kernel baseline, so the ratios compare like with like.
 *
 * It is written against the socket API of issue 3 (`stack.createServer(listener).listen(port)`,
 * streams that are `stream.Duplex`); until the stack has it, the bench reports itself skipped.
 */
import type { Duplex } from 'node:stream';
import { createNamespace, openTunInNamespace } from '../src/link/netns.js';
import { Stack } from '../src/stack.js';
import { TUNTCP_NAME, holdNamespace, releaseNamespace, withAffinity, type BenchOptions, type BenchRow } from './common.js';
import { PORTS, measureTcp, widenPortRange } from './kernel-baseline.js';

/** The part of the socket API these servers need. */
interface TcpServerLike {
  listen(port: number, host?: string): unknown;
  close(): unknown;
}
interface TcpStackLike {
  createServer(listener: (stream: Duplex) => void): TcpServerLike;
}

export class BenchNotReadyError extends Error {}

const CHUNK = Buffer.alloc(1 << 20, 0x5a); // written again and again, never mutated

function discard(stream: Duplex): void {
  stream.on('error', () => stream.destroy());
  stream.on('end', () => stream.end());
  stream.resume();
}

function sendBytes(stream: Duplex, bytes: number): void {
  stream.on('error', () => stream.destroy());
  stream.resume(); // read the peer's FIN
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!stream.write(piece) && left > 0) {
        stream.once('drain', pump);
        return;
      }
    }
    stream.end();
  };
  pump();
}

function echo(stream: Duplex): void {
  (stream as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  stream.on('error', () => stream.destroy());
  stream.pipe(stream);
}

export async function runTuntcpTcp(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  const probe = new Stack();
  const ready = typeof (probe as unknown as Partial<TcpStackLike>).createServer === 'function';
  probe.close();
  if (!ready) throw new BenchNotReadyError('the stack has no TCP yet (no stack.createServer)');

  const ns = holdNamespace(await createNamespace('ttbt'));
  let stack: Stack | undefined;
  let tun: ReturnType<typeof openTunInNamespace> | undefined;
  const servers: TcpServerLike[] = [];
  try {
    tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack();
    stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    await widenPortRange(ns);
    const tcp = stack as unknown as TcpStackLike;
    for (const [port, handler] of [
      [PORTS.discard, discard],
      [PORTS.send, (stream: Duplex) => sendBytes(stream, options.bulkBytes)],
      [PORTS.echo, echo],
    ] as const) {
      const server = tcp.createServer(handler);
      server.listen(port);
      servers.push(server);
    }
    const rows: BenchRow[] = [];
    for (const pinning of options.pinnings) {
      log(`tuntcp TCP, ${pinning}: ${options.repeats} × (${options.bulkBytes >> 20} MiB each way, ${options.connections} connections, ${options.roundTrips} round trips)`);
      rows.push(...(await withAffinity(pinning, () => measureTcp(ns, '10.7.0.2', options, pinning, TUNTCP_NAME, false))));
    }
    return rows;
  } finally {
    for (const server of servers) server.close();
    stack?.close();
    tun?.close();
    releaseNamespace(ns);
  }
}
