/**
 * Receive-buffer autotuning on virtual time: two TcpConnections joined by a pipe with a fixed
 * one-way delay (a long path, no loss). A fixed 64 KiB window caps the transfer at 64 KiB per
 * RTT; with autotuning the receiver's buffer grows while its reader keeps up — and stays put
 * for a slow reader, whose window must keep following the reader.
 */
import { describe, expect, it } from 'vitest';
import { resolveTcpConfig, type TcpConfig } from '../src/tcp/config.js';
import { TcpConnection } from '../src/tcp/connection.js';
import { emitTcpSegment, parseTcpSegment, TcpFlags } from '../src/tcp/segment.js';
import { LOCAL, REMOTE } from './tcp-fixtures.js';

interface Options {
  /** Receiver config overrides. */
  readonly receiver: Partial<TcpConfig>;
  /** Bytes the receiving application reads per `readEveryMs` (Infinity: everything, at once). */
  readonly readBytes?: number;
  readonly readEveryMs?: number;
  readonly oneWayDelay?: number;
  readonly timestamps?: boolean;
}

function transfer(size: number, options: Options) {
  const delay = options.oneWayDelay ?? 25;
  const timestamps = options.timestamps ?? true;
  const senderConfig = resolveTcpConfig({ sendBufferSize: 8 << 20, timestamps, msl: 100 });
  const receiverConfig = resolveTcpConfig({ timestamps, msl: 100, ...options.receiver });
  const payload = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
  let now = 0;
  const inFlight: Array<{ at: number; toReceiver: boolean; bytes: Uint8Array }> = [];
  const sender = TcpConnection.connect({ localAddress: LOCAL, localPort: 40000, remoteAddress: REMOTE, remotePort: 80, iss: 1000, config: senderConfig, now });
  let receiver: TcpConnection | undefined;
  let written = 0;
  let received = 0;
  let mismatch = -1;
  let largestWindow = 0;
  let nextReadAt = 0;

  const flush = (conn: TcpConnection, toReceiver: boolean) => {
    for (const segment of conn.takeSegments()) {
      if (!toReceiver && (segment.flags & TcpFlags.SYN) === 0) largestWindow = Math.max(largestWindow, segment.window * 2 ** conn.tcb.rcvWindShift);
      const [src, dst] = toReceiver ? [LOCAL, REMOTE] : [REMOTE, LOCAL];
      inFlight.push({ at: now + delay, toReceiver, bytes: emitTcpSegment(segment, src, dst) });
    }
    conn.takeEvents();
  };
  const serviceSender = () => {
    while (written < size && sender.writableSpace > 0 && sender.state === 'ESTABLISHED') written += sender.write(payload.subarray(written, written + 65536), now);
    if (written === size && sender.state === 'ESTABLISHED') sender.shutdown(now);
    flush(sender, true);
  };
  const serviceReceiver = () => {
    if (receiver === undefined) return;
    if (now >= nextReadAt) {
      let budget = options.readBytes ?? Infinity;
      for (let chunk = receiver.read(budget, now); chunk !== undefined; chunk = budget > 0 ? receiver.read(budget, now) : undefined) {
        for (let i = 0; i < chunk.length && mismatch < 0; i++) if (chunk[i] !== payload[received + i]) mismatch = received + i;
        received += chunk.length;
        budget -= chunk.length;
      }
      if (options.readEveryMs !== undefined) nextReadAt = now + options.readEveryMs;
    }
    flush(receiver, false);
  };

  flush(sender, true);
  for (let step = 0; step < 1_000_000 && received < size; step++) {
    const nextDelivery = inFlight.length > 0 ? inFlight[0]!.at : Infinity; // one fixed delay: FIFO
    const nextRead = options.readEveryMs !== undefined && receiver !== undefined && receiver.readableLength > 0 ? nextReadAt : Infinity;
    const next = Math.min(nextDelivery, sender.pollAt(), receiver?.pollAt() ?? Infinity, nextRead);
    if (next === Infinity) break;
    now = Math.max(now, next);
    if (nextDelivery <= now) {
      const packet = inFlight.shift()!;
      const segment = parseTcpSegment(packet.bytes, packet.toReceiver ? LOCAL : REMOTE, packet.toReceiver ? REMOTE : LOCAL);
      if (typeof segment === 'string') throw new Error(segment);
      if (packet.toReceiver) {
        if (receiver === undefined) receiver = TcpConnection.acceptSyn(segment, { localAddress: REMOTE, localPort: 80, remoteAddress: LOCAL, remotePort: 40000, iss: 9000, config: receiverConfig, now });
        else receiver.onSegment(segment, now);
      } else {
        sender.onSegment(segment, now);
      }
    }
    if (sender.pollAt() <= now) sender.poll(now);
    if (receiver !== undefined && receiver.pollAt() <= now) receiver.poll(now);
    serviceSender();
    serviceReceiver();
  }
  return { received, mismatch, ms: now, capacity: receiver!.tcb.receiveBuffer.capacity, grown: receiver!.tcb.receiveSpace.grown, rtt: receiver!.tcb.receiveSpace.rtt, largestWindow };
}

describe('receive-buffer autotuning (like Linux tcp_rcv_space_adjust)', () => {
  const size = 8 << 20;
  const fixed = { receiveBufferSize: 64 * 1024, receiveBufferMax: 0 };
  const tuned = { receiveBufferSize: 64 * 1024, receiveBufferMax: 4 << 20 };

  it('a reader that keeps up gets a growing window: a long path is no longer capped at 64 KiB per RTT', () => {
    const base = transfer(size, { receiver: fixed });
    const auto = transfer(size, { receiver: tuned });
    for (const run of [base, auto]) {
      expect(run.received).toBe(size);
      expect(run.mismatch).toBe(-1);
    }
    expect(base.capacity).toBe(64 * 1024);
    expect(base.largestWindow).toBeLessThanOrEqual(64 * 1024);
    // 64 KiB per 50 ms round trip: at least 128 round trips for 8 MiB.
    expect(base.ms).toBeGreaterThan(128 * 50);
    expect(auto.grown).toBeGreaterThan(0);
    expect(auto.capacity).toBeGreaterThan(1 << 20);
    expect(auto.capacity).toBeLessThanOrEqual(4 << 20);
    expect(auto.largestWindow).toBeGreaterThan(1 << 20); // advertised through the window scale
    expect(auto.rtt).toBeGreaterThanOrEqual(50); // the receiver's own RTT estimate (timestamps)
    expect(auto.rtt).toBeLessThan(100);
    expect(auto.ms).toBeLessThan(base.ms / 3);
  });

  it('never beyond receiveBufferMax', () => {
    const capped = transfer(size, { receiver: { ...tuned, receiveBufferMax: 512 * 1024 } });
    expect(capped.received).toBe(size);
    expect(capped.capacity).toBe(512 * 1024);
    expect(capped.largestWindow).toBeLessThanOrEqual(512 * 1024);
  });

  it('works without timestamps too (the RTT from the time a window takes to arrive)', () => {
    const auto = transfer(size, { receiver: tuned, timestamps: false });
    expect(auto.received).toBe(size);
    expect(auto.mismatch).toBe(-1);
    expect(auto.capacity).toBeGreaterThan(1 << 20);
    expect(auto.rtt).toBeGreaterThanOrEqual(50);
  });

  it('a slow reader keeps its buffer: the window still follows the reader', () => {
    // 16 KiB every 50 ms = 320 KiB/s, below what even the fixed window allows.
    const slow = transfer(1 << 20, { receiver: tuned, readBytes: 16 * 1024, readEveryMs: 50 });
    expect(slow.received).toBe(1 << 20);
    expect(slow.mismatch).toBe(-1);
    expect(slow.grown).toBe(0);
    expect(slow.capacity).toBe(64 * 1024);
  });
});
