/**
 * `tuntcp wire`: two kernel endpoints in test-made namespaces, joined by two TUN devices and our
 * FaultInjector relay. ping and TCP between the kernels go across it, impaired as asked.
 */
import { afterAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createNamespace, describeNetns, type Namespace } from './helpers/netns.js';
import { openWire, runWire, type Wire } from '../src/cli/wire.js';
import { patternBytes } from '../src/cli/services.js';

const PEER = join(import.meta.dirname, 'tools', 'kernel-peer.mjs');

/** Run kernel-peer.mjs in `ns`; resolves with its JSON line. */
function peer(ns: Namespace, args: string[]): { child: ChildProcess; result: Promise<Record<string, unknown>>; listening: Promise<void> } {
  const child = ns.spawn(process.execPath, [PEER, ...args]);
  let output = '';
  let onListening: () => void = () => {};
  const listening = new Promise<void>((resolve) => (onListening = resolve));
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('listening')) onListening();
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.on('exit', (code) => setTimeout(() => reject(new Error(`peer exited ${code}: ${output}`)), 50));
  });
  result.catch(() => {});
  return { child, result, listening };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describeNetns('tuntcp wire: two kernels through our FaultInjector', () => {
  const wires: Wire[] = [];
  const namespaces: Namespace[] = [];

  afterAll(() => {
    for (const wire of wires) wire.close();
    for (const ns of namespaces) ns.delete();
  });

  it('ping crosses the wire both ways (IPv4 and IPv6); a wire that drops everything drops everything', async () => {
    const wire = openWire();
    wires.push(wire);
    const ping = await wire.a.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.8.0.2'], { timeoutMs: 15_000 });
    expect(ping.stdout, ping.stderr).toContain('3 packets transmitted, 3 received');
    const ping6 = await wire.b.exec('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', 'fd08::1'], { timeoutMs: 15_000 });
    expect(ping6.stdout, ping6.stderr).toContain('2 packets transmitted, 2 received');
    expect(wire.aToB.passed).toBeGreaterThanOrEqual(3);
    expect(wire.bToA.passed).toBeGreaterThanOrEqual(3);
    wire.close();

    const dead = openWire({ impairments: { seed: 1, drop: 1 } });
    wires.push(dead);
    const lost = await dead.a.exec('ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.8.0.2'], { timeoutMs: 15_000 });
    expect(lost.stdout).toContain('2 packets transmitted, 0 received');
    expect(dead.aToB.dropped).toBeGreaterThanOrEqual(2); // the echo requests (and any IPv6 chatter)
    expect(dead.aToB.passed).toBe(0);
    dead.close();
  });

  it('the command adopts existing namespaces, delays as asked, and leaves them in place', async () => {
    const a = createNamespace('ttwa');
    const b = createNamespace('ttwb');
    namespaces.push(a, b);
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = runWire(['--netns-a', a.name, '--netns-b', b.name, '--delay', '25', '--seed', '3'], (line) => lines.push(line), stopped);
    expect(lines.join('\n')).toContain(`namespace ${a.name} (10.8.0.1/24 on wire0) <-> namespace ${b.name} (10.8.0.2/24 on wire0)`);
    const ping = await a.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.8.0.2'], { timeoutMs: 15_000 });
    expect(ping.stdout, ping.stderr).toContain('2 packets transmitted, 2 received');
    const rtt = Number(/= [\d.]+\/([\d.]+)\//.exec(ping.stdout)?.[1]);
    expect(rtt).toBeGreaterThanOrEqual(45); // 25 ms each way (Node timers may fire a little early)
    stop();
    expect(await running).toBe(0);
    expect(lines.join('\n')).toMatch(/A -> B: \d+ packets in/);
    expect(a.ip(['link', 'show'])).not.toContain('wire0'); // our devices are gone, the namespaces stay
    expect(a.isDeleted || b.isDeleted).toBe(false);
  });

  it('rejects a namespace that does not exist, and bad impairments', async () => {
    await expect(runWire(['--netns-a', 'no-such-ns-xyz'], () => {}, Promise.resolve())).rejects.toThrow(/does not exist/);
    await expect(runWire(['--reorder', '1.5'], () => {}, Promise.resolve())).rejects.toThrow(/--reorder takes a probability/);
  });

  it('a kernel TCP transfer crosses an impaired wire byte-exact, 2 MB each way', async () => {
    const size = 2_000_000;
    const wire = openWire({ impairments: { seed: 7, drop: 0.01, duplicate: 0.01, reorder: 0.1, corrupt: 0.001, delayMs: 5 } });
    wires.push(wire);
    const server = peer(wire.b, ['serve-pattern', '9100', String(size)]);
    await server.listening;
    const client = peer(wire.a, ['half-close-client', '10.8.0.2', '9100', String(size)]);
    const expected = { length: size, sha256: sha256(patternBytes(0, size)) };
    expect(await client.result).toEqual(expected);
    expect(await server.result).toEqual(expected);
    const both = wire.injector.stats;
    expect(both.dropped).toBeGreaterThan(0);
    expect(both.reordered).toBeGreaterThan(0);
    expect(both.duplicated).toBeGreaterThan(0);
    wire.close();
  }, 60_000);
});
