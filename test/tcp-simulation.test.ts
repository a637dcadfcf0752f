/**
 * Two TcpConnections back to back through a seeded lossy pipe on virtual time: every segment
 * is encoded, may be lost, is delayed (with jitter, so some arrive reordered, or fixed behind
 * a bandwidth-limited queue), and is parsed again on the other side. Loss is recovered by fast
 * retransmit / SACK recovery and retransmission timeouts; the table below is a snapshot.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { Counters } from '../src/stats.js';
import { resolveTcpConfig, type TcpConfig } from '../src/tcp/config.js';
import { TcpConnection } from '../src/tcp/connection.js';
import { emitTcpSegment, parseTcpSegment, TcpFlags } from '../src/tcp/segment.js';
import { LOCAL, REMOTE } from './tcp-fixtures.js';

interface Side {
  conn: TcpConnection | undefined;
  readonly address: typeof LOCAL;
  readonly port: number;
  readonly outgoing: Uint8Array;
  written: number;
  readonly received: Uint8Array;
  receivedLength: number;
  finished: boolean;
}

interface PipeOptions {
  /** One-way delay in ms (default 10, plus 0–3 ms of jitter unless bandwidth is set). */
  readonly delay?: number;
  /** Bytes per ms each way; when set, packets queue behind each other (no jitter, no reordering). */
  readonly bandwidth?: number;
  /** Bytes the server sends back (default: as many as the client sends). */
  readonly serverSize?: number;
  readonly config?: Partial<TcpConfig>;
}

function runTransfer(seed: number, size: number, lossRate: number, pipe: PipeOptions = {}) {
  const random = new Random(seed);
  const config = resolveTcpConfig({ msl: 500, ...pipe.config });
  const serverSize = pipe.serverSize ?? size;
  const clientCounters = new Counters();
  const client: Side = { conn: undefined, address: LOCAL, port: 40000, outgoing: random.bytes(size), written: 0, received: new Uint8Array(serverSize), receivedLength: 0, finished: false };
  const server: Side = { conn: undefined, address: REMOTE, port: 80, outgoing: random.bytes(serverSize), written: 0, received: new Uint8Array(size), receivedLength: 0, finished: false };
  const linkFreeAt = new Map<Side, number>([[client, 0], [server, 0]]);
  let serverDoneAt = 0;
  const inFlight: Array<{ at: number; to: Side; from: Side; bytes: Uint8Array }> = [];
  let now = 0;
  let delivered = 0;
  let lost = 0;

  const peerOf = (side: Side) => (side === client ? server : client);
  const service = (side: Side) => {
    const conn = side.conn!;
    // The application: write what fits, then half-close; read everything offered.
    for (;;) {
      if (side.written < side.outgoing.length && conn.writableSpace > 0) {
        side.written += conn.write(side.outgoing.subarray(side.written, side.written + 65536), now);
        continue;
      }
      if (side.written === side.outgoing.length && conn.state === 'ESTABLISHED') conn.shutdown(now);
      if (side.written === side.outgoing.length && conn.state === 'CLOSE-WAIT') conn.shutdown(now);
      break;
    }
    for (let chunk = conn.read(Infinity, now); chunk !== undefined; chunk = conn.read(Infinity, now)) {
      side.received.set(chunk, side.receivedLength);
      side.receivedLength += chunk.length;
      if (side === server && side.receivedLength === size) serverDoneAt = now;
    }
    for (const event of conn.takeEvents()) {
      if (event.type === 'peerFin') side.finished = true;
      if (event.type === 'error') throw new Error(`${side === client ? 'client' : 'server'}: ${event.code}`);
    }
    const peer = peerOf(side);
    for (const segment of conn.takeSegments()) {
      const bytes = emitTcpSegment(segment, side.address, peer.address);
      if (random.chance(lossRate)) {
        lost++;
        continue;
      }
      const delay = pipe.delay ?? 10;
      if (pipe.bandwidth === undefined) {
        inFlight.push({ at: now + delay + random.range(0, 3), to: peer, from: side, bytes });
      } else {
        // A bottleneck each way: a packet leaves after those queued before it (serialization).
        const departs = Math.max(now, linkFreeAt.get(side)!) + (bytes.length + 40) / pipe.bandwidth;
        linkFreeAt.set(side, departs);
        inFlight.push({ at: departs + delay, to: peer, from: side, bytes });
      }
    }
  };

  client.conn = TcpConnection.connect({ localAddress: LOCAL, localPort: client.port, remoteAddress: REMOTE, remotePort: server.port, iss: random.nextUint32(), config, now, counters: clientCounters });
  service(client);

  for (let step = 0; step < 2_000_000; step++) {
    const done = client.finished && server.finished && client.conn?.state === 'CLOSED' && server.conn?.state === 'CLOSED';
    if (done) break;
    const nextDelivery = inFlight.reduce((min, p) => Math.min(min, p.at), Infinity);
    const nextTimer = Math.min(client.conn?.pollAt() ?? Infinity, server.conn?.pollAt() ?? Infinity);
    const next = Math.min(nextDelivery, nextTimer);
    if (next === Infinity) break;
    now = Math.max(now, next);
    if (nextDelivery <= nextTimer) {
      const index = inFlight.findIndex((p) => p.at === nextDelivery);
      const packet = inFlight.splice(index, 1)[0]!;
      delivered++;
      const segment = parseTcpSegment(packet.bytes, packet.from.address, packet.to.address);
      if (typeof segment === 'string') throw new Error(`unparseable segment: ${segment}`);
      const side = packet.to;
      if (side.conn === undefined || side.conn.state === 'CLOSED') {
        // A tiny listener: the first SYN opens the server's connection (ISS from the seed).
        if (side !== server || server.conn !== undefined || segment.flags !== TcpFlags.SYN) continue;
        side.conn = TcpConnection.acceptSyn(segment, { localAddress: REMOTE, localPort: 80, remoteAddress: LOCAL, remotePort: client.port, iss: random.nextUint32(), config, now });
      } else {
        side.conn.onSegment(segment, now);
      }
      service(side);
    } else {
      for (const side of [client, server]) {
        if (side.conn !== undefined && side.conn.pollAt() <= now) {
          side.conn.poll(now);
          service(side);
        }
      }
    }
  }
  return { client, server, now, delivered, lost, serverDoneAt, clientCounters };
}

describe('simulation: two connections over a lossy pipe', () => {
  it('moves 1 MiB each way byte-exact through 5% loss, then both close', () => {
    const size = 1 << 20;
    const { client, server, lost, now } = runTransfer(42, size, 0.05);
    expect(lost).toBeGreaterThan(100); // the pipe really lost segments (about 5% of those sent)
    expect(server.receivedLength).toBe(size);
    expect(client.receivedLength).toBe(size);
    expect(Buffer.compare(server.received, client.outgoing)).toBe(0);
    expect(Buffer.compare(client.received, server.outgoing)).toBe(0);
    expect(client.finished && server.finished).toBe(true);
    expect([client.conn!.state, server.conn!.state]).toEqual(['CLOSED', 'CLOSED']);
    expect(now).toBeLessThan(3_600_000);
  });

  it('is deterministic for a seed and byte-exact for other seeds too', () => {
    const first = runTransfer(7, 200_000, 0.05);
    const again = runTransfer(7, 200_000, 0.05);
    expect([again.now, again.delivered, again.lost]).toEqual([first.now, first.delivered, first.lost]);
    for (const seed of [1, 2]) {
      const { client, server } = runTransfer(seed, 200_000, 0.1);
      expect(Buffer.compare(server.received, client.outgoing)).toBe(0);
      expect(Buffer.compare(client.received, server.outgoing)).toBe(0);
    }
  });
});

describe('simulation: goodput and retransmissions per loss rate (RTT 20 ms, 10 Mbit/s, CUBIC, SACK)', () => {
  it('a seeded table, kept as a snapshot', () => {
    const size = 512 * 1024;
    const row = (label: string, loss: number, pipe: PipeOptions) => {
      const result = runTransfer(2024, size, loss, { serverSize: 0, ...pipe });
      expect(Buffer.compare(result.server.received, result.client.outgoing)).toBe(0);
      const c = result.clientCounters;
      const ms = result.serverDoneAt;
      return `${label.padEnd(22)} ${String(Math.round(ms)).padStart(7)} ms ${((size * 8) / ms / 1000).toFixed(2).padStart(6)} Mbit/s  sent ${String(c.get('tcp.segmentsOut')).padStart(5)}  retx ${String(c.get('tcp.retransmittedSegments')).padStart(4)}  fast ${String(c.get('tcp.fastRetransmits')).padStart(3)}  rto ${String(c.get('tcp.retransmitTimeouts')).padStart(3)}`;
    };
    const pipe: PipeOptions = { delay: 10, bandwidth: 1250 };
    const table = [
      ...[0, 0.01, 0.05, 0.1, 0.2].map((loss) => row(`loss ${loss * 100}%`, loss, pipe)),
      row('loss 5%, reno', 0.05, { ...pipe, config: { congestionControl: 'reno' } }),
      row('loss 5%, no SACK', 0.05, { ...pipe, config: { sack: false } }),
      row('loss 5%, jitter reorder', 0.05, { delay: 10 }),
    ].join('\n');
    expect(table).toMatchSnapshot();
  });
});
