/**
 * Raw packets/s of the TUN addon, inside a namespace made for the run (DESIGN.md decision 1).
 *   read:  reading is paused, a kernel-side sender queues N small UDP packets into the TUN
 *          (txqueuelen > N, so none are dropped), then we time draining them all. This
 *          measures the addon's read path, not the sender. Only the round's own packets
 *          (marked by their first payload byte) are counted.
 *   write: batches of prebuilt UDP packets to the kernel side (no listener: the kernel drops
 *          them) for a bounded count and time; counts what writeBatch accepted.
 * Run: npm run build && node dist/bench/tun-raw.js
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { internetChecksum } from '../src/ip/checksum.js';
import { createNamespace, openTunInNamespace } from '../src/link/netns.js';
import type { TunDevice } from '../src/link/tun.js';

export interface TunRawBenchOptions {
  /** Packets per read round (default 100,000). */
  readPackets?: number;
  /** Read rounds; the median is reported (default 3). */
  readRounds?: number;
  /** Packets to write (default 500,000). */
  writePackets?: number;
  /** Packets per writeBatch call (default 64). */
  writeBatch?: number;
  /** UDP payload bytes of every packet (default 64). */
  payloadBytes?: number;
  /** Upper bound of each phase in milliseconds (default 10,000). */
  timeLimitMs?: number;
}

export interface TunRawBenchResult {
  readPps: number;
  writePps: number;
  readPacketsPerRound: number[];
  writePackets: number;
  writeDrops: number;
}

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** An IPv4 + UDP packet 10.7.0.2:40000 → 10.7.0.1:9 (UDP checksum 0: none, RFC 768). */
function udpToKernel(payloadBytes: number, seq: number): Uint8Array {
  const packet = new Uint8Array(28 + payloadBytes);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, packet.length);
  packet[8] = 64;
  packet[9] = 17;
  packet.set([10, 7, 0, 2], 12);
  packet.set([10, 7, 0, 1], 16);
  view.setUint16(10, internetChecksum(packet, 0, 20));
  view.setUint16(20, 40000);
  view.setUint16(22, 9);
  view.setUint16(24, 8 + payloadBytes);
  if (payloadBytes >= 4) view.setUint32(28, seq);
  return packet;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** What the receiver counts: packets of the current round's sender only. */
interface ReadState {
  /** Marker byte of the round being counted (first UDP payload byte); -1 between rounds. */
  marker: number;
  received: number;
  onBatch: (() => void) | undefined;
}

/** UDP to 10.7.0.2:9000 whose first payload byte is `marker`: one of this round's packets. */
function isRoundPacket(packet: Uint8Array, marker: number): boolean {
  if (packet.length < 29 || packet[0] !== 0x45 || packet[9] !== 17) return false;
  return ((packet[22]! << 8) | packet[23]!) === 9000 && packet[28] === marker;
}

async function readRound(tun: TunDevice, ns: ReturnType<typeof createNamespace>, round: number, count: number, payloadBytes: number, timeLimitMs: number, state: ReadState): Promise<{ pps: number; received: number }> {
  tun.pause();
  // Each round's packets carry their own marker, so nothing else (a stray packet, or a late one
  // of the round before) is counted, whenever it is read; the counter is reset before the
  // sender starts, not after it (the race that once read as "0 packets/s").
  const marker = 0x41 + (round % 26);
  state.marker = marker;
  state.received = 0;
  const sender = [
    'import socket',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    's.connect(("10.7.0.2", 9000))',
    `b = bytes([${marker}]) + b"x" * ${Math.max(0, payloadBytes - 1)}`,
    `for _ in range(${count}): s.send(b)`,
  ].join('\n');
  const sent = await ns.exec(PYTHON, ['-c', sender], { timeoutMs: timeLimitMs });
  if (sent.code !== 0) throw new Error(`kernel-side sender failed: ${sent.stderr || sent.signal}`);
  const started = process.hrtime.bigint();
  let finished = started;
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, timeLimitMs);
    state.onBatch = () => {
      if (state.received >= count) {
        finished = process.hrtime.bigint();
        clearTimeout(deadline);
        resolve();
      }
    };
    tun.resume();
  });
  state.onBatch = undefined;
  state.marker = -1;
  if (finished === started) finished = process.hrtime.bigint();
  const seconds = Number(finished - started) / 1e9;
  return { pps: state.received / seconds, received: state.received };
}

export async function runTunRawBench(options: TunRawBenchOptions = {}): Promise<TunRawBenchResult> {
  const readPackets = options.readPackets ?? 100_000;
  const readRounds = options.readRounds ?? 3;
  const writePackets = options.writePackets ?? 500_000;
  const writeBatch = options.writeBatch ?? 64;
  const payloadBytes = options.payloadBytes ?? 64;
  const timeLimitMs = options.timeLimitMs ?? 10_000;

  const ns = createNamespace('bt');
  try {
    // No IPv6 address: no router solicitations or MLD reports mixed into the count.
    const tun = openTunInNamespace(ns, { peerAddress6: null, txqueuelen: readPackets + 1000 });
    try {
      const state: ReadState = { marker: -1, received: 0, onBatch: undefined };
      tun.setReceiver((packets) => {
        for (const packet of packets) if (isRoundPacket(packet, state.marker)) state.received++;
        state.onBatch?.();
      });
      const readRates: number[] = [];
      const readCounts: number[] = [];
      for (let round = 0; round < readRounds; round++) {
        const { pps, received } = await readRound(tun, ns, round, readPackets, payloadBytes, timeLimitMs, state);
        readRates.push(pps);
        readCounts.push(received);
      }
      tun.pause();

      const batch = Array.from({ length: writeBatch }, (_, i) => udpToKernel(payloadBytes, i));
      const outBefore = tun.packetsOut;
      const dropsBefore = tun.dropsOnWrite;
      const started = process.hrtime.bigint();
      const deadline = started + BigInt(timeLimitMs) * 1_000_000n;
      let attempted = 0;
      while (attempted < writePackets) {
        tun.send(batch);
        attempted += batch.length;
        // Check the clock every 64 batches only: reading it costs more than a write.
        if ((attempted / batch.length) % 64 === 0 && process.hrtime.bigint() > deadline) break;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const written = tun.packetsOut - outBefore;
      return {
        readPps: median(readRates),
        writePps: written / seconds,
        readPacketsPerRound: readCounts,
        writePackets: written,
        writeDrops: tun.dropsOnWrite - dropsBefore,
      };
    } finally {
      tun.close();
    }
  } finally {
    ns.delete();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const result = await runTunRawBench();
  const format = (pps: number): string => `${(pps / 1e6).toFixed(2)} M packets/s`;
  console.log(`TUN raw read : ${format(result.readPps)} (median of ${result.readPacketsPerRound.length} rounds; received per round ${result.readPacketsPerRound.join(', ')})`);
  console.log(`TUN raw write: ${format(result.writePps)} (${result.writePackets} written, ${result.writeDrops} dropped)`);
}
