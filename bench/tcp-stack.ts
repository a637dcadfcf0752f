/**
 * The tuntcp TCP rows: the kernel-side tool as the client (in a namespace of our own, kernel side
 * 10.7.0.1) against servers run by tuntcp in this process (10.7.0.2 on a TUN device):
 * discard (kernel → stack), send N bytes (stack → kernel), echo (connections/s, round trips/s).
 * Same tool, sizes, ports and pinning as the kernel baseline, so the ratios compare like with like.
 *
 * It is written against the socket API of issue 3: `createServer(stack, listener)` from src/net
 * (or a `stack.createServer(listener)` method), `.listen(port)`, streams that are `stream.Duplex`.
 * Until the stack has it, the bench reports itself skipped.
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
type ServerFactory = (listener: (stream: Duplex) => void) => TcpServerLike;

/** The socket API's path, computed so that this file compiles before src/net exists. */
const NET_MODULE = '../src/net/index.js';

/** How to create a tuntcp TCP server on `stack`, or a BenchNotReadyError saying why not. */
async function serverFactory(stack: Stack): Promise<ServerFactory> {
  const method = (stack as unknown as { createServer?: ServerFactory }).createServer;
  if (typeof method === 'function') return (listener) => method.call(stack, listener);
  let net: { createServer?: (stack: Stack, listener: (stream: Duplex) => void) => TcpServerLike };
  try {
    net = (await import(NET_MODULE)) as typeof net;
  } catch (error) {
    throw new BenchNotReadyError(`the socket API (src/net) is not built: ${(error as Error).message}`);
  }
  const create = net.createServer;
  if (typeof create !== 'function') throw new BenchNotReadyError('src/net has no createServer yet');
  return (listener) => create(stack, listener);
}

export class BenchNotReadyError extends Error {}

const CHUNK = Buffer.alloc(1 << 20, 0x5a); // written again and again, never mutated

export function discard(stream: Duplex): void {
  stream.on('error', () => stream.destroy());
  stream.on('end', () => stream.end());
  stream.resume();
}

export function sendBytes(stream: Duplex, bytes: number): void {
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

export function echo(stream: Duplex): void {
  (stream as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  stream.on('error', () => stream.destroy());
  stream.pipe(stream);
}

export async function runTuntcpTcp(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  const ns = holdNamespace(await createNamespace('ttbt'));
  let stack: Stack | undefined;
  let tun: ReturnType<typeof openTunInNamespace> | undefined;
  const servers: TcpServerLike[] = [];
  try {
    tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack();
    stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    await widenPortRange(ns);
    const createServer = await serverFactory(stack);
    for (const [port, handler] of [
      [PORTS.discard, discard],
      [PORTS.send, (stream: Duplex) => sendBytes(stream, options.bulkBytes)],
      [PORTS.echo, echo],
    ] as const) {
      let server: TcpServerLike;
      try {
        server = createServer(handler);
      } catch (error) {
        throw new BenchNotReadyError(`cannot create a tuntcp TCP server: ${(error as Error).message}`);
      }
      servers.push(server);
      server.listen(port);
    }
    const rows: BenchRow[] = [];
    for (const pinning of options.pinnings) {
      log(`tuntcp TCP, ${pinning}: ${options.repeats} × (${options.bulkBytes >> 20} MiB each way, ${options.connections} connections, ${options.roundTrips} round trips)`);
      rows.push(...(await withAffinity(pinning, () => measureTcp(ns, '10.7.0.2', options, pinning, TUNTCP_NAME, false))));
    }
    return rows;
  } finally {
    for (const server of servers) {
      try {
        server.close();
      } catch {
        // not listening: nothing to close
      }
    }
    stack?.close();
    tun?.close();
    releaseNamespace(ns);
  }
}
