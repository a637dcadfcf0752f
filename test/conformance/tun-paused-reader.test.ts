/**
 * Issue 5, "Checked by": a paused reader. NET_STREAM.md: "pause() stops 'data'; data keeps
 * arriving into the receive buffer until it is full, then the advertised TCP window closes …
 * resume() reopens the window (window update sent)."
 *
 * Our server pauses each accepted stream (pauseOnConnect); a kernel-side Node sender
 * (test/tools/kernel-sender.mjs) pushes 8 MB. The sender must stall (its socket stops taking
 * data), the capture around the TUN must show our window at 0 and the kernel probing it, and
 * after resume() every byte must arrive (sha256 against the sender's).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PcapWriter } from '../../src/link/pcap.js';
import { createServer, type Stream } from '../../src/net/index.js';
import { Stack } from '../../src/stack.js';
import { startKernelTool, type KernelTool } from '../helpers/kernel-tool.js';
import { tick, until } from '../helpers/net.js';
import { createNamespace, describeNetns, openTunInNamespace, type Namespace } from '../helpers/netns.js';
import { checkCapture } from '../helpers/tshark.js';
import { captureFields } from '../helpers/tshark-fields.js';

const OURS = '10.7.0.2';
const KERNEL = '10.7.0.1';
const PORT = 9500;
const TOTAL = 8_000_000; // well above what the kernel's send buffer (tcp_wmem max 4 MB) plus our window can hold
const PAUSED_AFTER_STALL_MS = 2500; // Linux probes at RTO (≥ 200 ms), then backs off: several probes in this time

interface Progress {
  flushed: number;
  blocked: boolean;
}

/** Wait until the sender has been blocked at the same byte count for `quietMs`; returns that count. */
async function senderStall(sender: KernelTool, quietMs: number, limitMs: number): Promise<number> {
  const lines = (): Progress[] =>
    sender.lines.filter((line) => line.startsWith('{"flushed"')).map((line) => JSON.parse(line) as Progress);
  const quietLines = Math.ceil(quietMs / 100); // one progress line every 100 ms
  const start = Date.now();
  for (;;) {
    const recent = lines().slice(-quietLines);
    if (recent.length === quietLines && recent.every((p) => p.blocked && p.flushed === recent[0]!.flushed)) return recent[0]!.flushed;
    if (Date.now() - start > limitMs) throw new Error(`the sender did not stall within ${limitMs} ms: ${sender.lines.slice(-5).join(' ')}`);
    await tick(100);
  }
}

describeNetns('a paused reader over a real TUN: zero window, kernel probes, resume()', () => {
  let ns: Namespace;
  let stack: Stack;
  const dir = mkdtempSync(join(tmpdir(), 'tuntcp-paused-'));
  const pcap = join(dir, 'paused.pcap');

  beforeAll(() => {
    ns = createNamespace('ttpaus');
    const tun = openTunInNamespace(ns, { peerAddress: `${KERNEL}/24`, peerAddress6: null });
    stack = new Stack({ tcp: { config: { msl: 500 } } });
    stack.addInterface(new PcapWriter(tun, { path: pcap, snaplen: 96 }), { addresses: [`${OURS}/24`] });
  });

  afterAll(() => {
    stack?.close();
    ns?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the kernel sender stalls on our zero window (probes in the capture) and resumes with nothing lost', async () => {
    let stream: Stream | undefined;
    const server = createServer(stack, { pauseOnConnect: true }, (accepted) => {
      stream = accepted;
      server.close();
    });
    await new Promise<void>((listening) => server.listen(PORT, OURS, listening));
    const sender = startKernelTool(ns, 'kernel-sender.mjs', [OURS, String(PORT), String(TOTAL)]);
    try {
      await until(() => stream !== undefined, 'the connection', 10_000);
      const paused = stream!;
      const hash = createHash('sha256');
      let received = 0;
      paused.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
      });
      const ended = new Promise<void>((resolve, reject) => {
        paused.on('end', resolve);
        paused.on('error', reject);
      });

      // The kernel's socket stops taking data: its buffer is full because our window is closed.
      const stalledAt = await senderStall(sender, 800, 20_000);
      expect(stalledAt).toBeLessThan(TOTAL);
      await tick(PAUSED_AFTER_STALL_MS);
      expect(received).toBe(0); // a paused stream emits no 'data'
      expect(paused.isPaused()).toBe(true);
      expect(paused.bytesRead).toBe(0);
      const latest = JSON.parse(sender.lines.filter((l) => l.startsWith('{"flushed"')).at(-1)!) as Progress;
      expect(latest).toEqual({ flushed: stalledAt, blocked: true }); // still stalled, at the same byte

      const resumedAt = Date.now();
      paused.resume();
      await ended;
      paused.end();
      const report = await sender.json<{ length: number; sha256: string }>((v) => 'sha256' in v, 30_000);
      expect({ length: received, sha256: hash.digest('hex') }).toEqual(report);
      await sender.json((v) => 'closed' in v, 10_000);

      stack.close(); // flushes the capture
      checkZeroWindowInCapture(resumedAt);
    } finally {
      sender.kill();
    }
  });

  /** The capture: our window at 0, the kernel only probing while it is, the update after resume(). */
  function checkZeroWindowInCapture(resumedAt: number): void {
    expect(checkCapture(pcap).problems).toEqual([]);
    const fields = ['frame.time_epoch', 'ip.src', 'tcp.len', 'tcp.window_size', 'tcp.flags.syn', 'tcp.analysis.zero_window_probe', 'tcp.analysis.keep_alive'] as const;
    const packets = captureFields(pcap, `tcp.port == ${PORT}`, fields).map((p) => ({
      time: Number(p['frame.time_epoch']) * 1000,
      fromUs: p['ip.src'] === OURS,
      length: Number(p['tcp.len']),
      window: Number(p['tcp.window_size']),
      syn: p['tcp.flags.syn'] === '1' || p['tcp.flags.syn'] === 'True',
      probe: p['tcp.analysis.zero_window_probe'] !== '' || p['tcp.analysis.keep_alive'] !== '',
    }));
    // tshark's own filter agrees that we advertised a zero window (tcp.window_size == 0 from us).
    expect(captureFields(pcap, `ip.src == ${OURS} && tcp.window_size == 0`, ['frame.number']).length).toBeGreaterThan(0);

    const closedAt = packets.findIndex((p) => p.fromUs && !p.syn && p.window === 0);
    expect(closedAt).toBeGreaterThan(0);
    const reopenedAt = packets.findIndex((p, i) => i > closedAt && p.fromUs && p.window > 0);
    expect(reopenedAt).toBeGreaterThan(closedAt);
    const whileClosed = packets.slice(closedAt + 1, reopenedAt);
    const kernelProbes = whileClosed.filter((p) => !p.fromUs);
    const summary = JSON.stringify(whileClosed.slice(0, 20));

    // The window stayed closed for the whole pause and opened only after resume().
    expect(resumedAt - packets[closedAt]!.time, summary).toBeGreaterThan(PAUSED_AFTER_STALL_MS);
    expect(packets[reopenedAt]!.time).toBeGreaterThanOrEqual(resumedAt - 2); // clock rounding
    // While it was closed, the kernel sent only zero-window probes (at most 1 byte each, flagged by
    // tshark as zero_window_probe or keep_alive — Linux probes with snd_una - 1 and no data),
    // repeated with backoff; we answered each with a zero window.
    expect(kernelProbes.length, summary).toBeGreaterThanOrEqual(2);
    for (const probe of kernelProbes) {
      expect(probe.length, summary).toBeLessThanOrEqual(1);
      expect(probe.probe, summary).toBe(true);
    }
    expect(whileClosed.filter((p) => p.fromUs).length).toBeGreaterThanOrEqual(kernelProbes.length);
    // After the window update, the data flows again: everything the sender had left.
    const kernelBytesAfter = packets.slice(reopenedAt).reduce((sum, p) => sum + (p.fromUs ? 0 : p.length), 0);
    const kernelBytesTotal = packets.reduce((sum, p) => sum + (p.fromUs ? 0 : p.length), 0);
    expect(kernelBytesAfter).toBeGreaterThan(TOTAL / 2);
    expect(kernelBytesTotal).toBeGreaterThanOrEqual(TOTAL);
  }
});
