import { describe, expect, it } from 'vitest';
import { FaultInjector, type FaultInjectorOptions } from '../src/link/fault-injector.js';
import { MemoryLink } from '../src/link/memory.js';
import { SimScheduler } from '../src/link/sim-scheduler.js';
import { InvalidArgumentError } from '../src/errors.js';

/** A packet whose bytes 0..3 carry its number and the rest a pattern derived from it. */
const numbered = (n: number, length = 64): Uint8Array => {
  const bytes = new Uint8Array(length);
  new DataView(bytes.buffer).setUint32(0, n);
  for (let i = 4; i < length; i++) bytes[i] = (n * 31 + i) & 0xff;
  return bytes;
};
const idOf = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);

interface Arrival {
  at: number;
  bytes: Uint8Array;
}

/** a (wrapped in a FaultInjector) → b, on a SimScheduler timeline. */
function setup(options: Omit<FaultInjectorOptions, 'clock' | 'schedule'>, mtu = 1500) {
  const sim = new SimScheduler();
  const [a, b] = MemoryLink.pair({ mtu, clock: sim, schedule: sim.schedule });
  const injector = new FaultInjector(a, { ...options, clock: sim, schedule: sim.schedule });
  const arrivals: Arrival[] = [];
  b.setReceiver((batch) => batch.forEach((bytes) => arrivals.push({ at: sim.now(), bytes: bytes.slice() })));
  return { sim, a, b, injector, arrivals };
}

function sendMany(injector: FaultInjector, sim: SimScheduler, count: number, batchSize = 10, length = 64): Uint8Array[] {
  const sent: Uint8Array[] = [];
  for (let i = 0; i < count; i += batchSize) {
    const batch: Uint8Array[] = [];
    for (let j = i; j < Math.min(count, i + batchSize); j++) batch.push(numbered(j, length));
    sent.push(...batch);
    injector.send(batch);
    sim.advance(0);
  }
  sim.runUntilIdle();
  return sent;
}

describe('FaultInjector', () => {
  it('passes everything unchanged and synchronously with no impairment', () => {
    const { sim, injector, arrivals } = setup({ seed: 1 });
    sendMany(injector, sim, 100);
    expect(arrivals.map((a) => idOf(a.bytes))).toEqual([...Array(100).keys()]);
    expect(injector.stats).toMatchObject({ packets: 100, passed: 100, dropped: 0, corrupted: 0 });
    expect(injector.mtu).toBe(1500);
  });

  it('drops close to the asked rate over 10 000 packets, and says so in its counters', () => {
    const { sim, injector, arrivals } = setup({ seed: 11, drop: 0.1 });
    sendMany(injector, sim, 10_000);
    // Binomial(10000, 0.1): sigma = 30; 5 sigma of tolerance.
    expect(Math.abs(injector.stats.dropped - 1000)).toBeLessThan(150);
    expect(arrivals.length).toBe(10_000 - injector.stats.dropped);
    expect(injector.sendStats.passed).toBe(arrivals.length);
    expect(injector.receiveStats.packets).toBe(0);
    // Survivors keep their order.
    const ids = arrivals.map((a) => idOf(a.bytes));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
  });

  it('is deterministic for a seed and different for another seed', () => {
    const run = (seed: number): number[] => {
      const { sim, injector, arrivals } = setup({ seed, drop: 0.05, duplicate: 0.05, reorder: 0.05, corrupt: 0.05 });
      sendMany(injector, sim, 2000);
      return arrivals.map((a) => idOf(a.bytes) ^ a.bytes[40]!);
    };
    const first = run(1234);
    expect(run(1234)).toEqual(first);
    expect(run(1235)).not.toEqual(first);
  });

  it('corrupts one bit of a copy and never mutates the original', () => {
    const { sim, injector, arrivals } = setup({ seed: 5, corrupt: 0.2 });
    const sent = sendMany(injector, sim, 5000);
    const pristine = Array.from({ length: 5000 }, (_, n) => numbered(n));
    const untouched = sent.every((bytes, n) => Buffer.from(bytes).equals(pristine[n]!));
    expect(untouched).toBe(true); // the sender's arrays are untouched
    let differing = 0;
    let mostBitsFlipped = 0;
    arrivals.forEach((arrival, index) => {
      let bitsFlipped = 0;
      for (let i = 0; i < 64; i++) {
        let x = arrival.bytes[i]! ^ pristine[index]![i]!;
        for (; x; x &= x - 1) bitsFlipped++;
      }
      mostBitsFlipped = Math.max(mostBitsFlipped, bitsFlipped);
      if (bitsFlipped === 1) differing++;
    });
    expect(mostBitsFlipped).toBe(1);
    expect(differing).toBe(injector.stats.corrupted);
    expect(Math.abs(differing - 1000)).toBeLessThan(150);
  });

  it('duplicates: every duplicate is an extra identical copy', () => {
    const { sim, injector, arrivals } = setup({ seed: 8, duplicate: 0.1 });
    sendMany(injector, sim, 10_000);
    expect(Math.abs(injector.stats.duplicated - 1000)).toBeLessThan(150);
    expect(arrivals.length).toBe(10_000 + injector.stats.duplicated);
    const counts = new Map<number, number>();
    for (const a of arrivals) counts.set(idOf(a.bytes), (counts.get(idOf(a.bytes)) ?? 0) + 1);
    expect([...counts.values()].filter((c) => c === 2).length).toBe(injector.stats.duplicated);
    expect(counts.size).toBe(10_000);
  });

  it('reorders: changes the order but not the multiset, each held packet moved back by one', () => {
    const { sim, injector, arrivals } = setup({ seed: 3, reorder: 0.1 });
    sendMany(injector, sim, 10_000);
    const ids = arrivals.map((a) => idOf(a.bytes));
    expect(ids).not.toEqual([...ids].sort((x, y) => x - y));
    expect([...ids].sort((x, y) => x - y)).toEqual([...Array(10_000).keys()]);
    let swaps = 0;
    for (let i = 0; i + 1 < ids.length; i++) if (ids[i]! > ids[i + 1]!) swaps++;
    expect(swaps).toBe(injector.stats.reordered);
    expect(Math.abs(swaps - 900)).toBeLessThan(200); // ~p(1-p)·n: a packet right after a held one is never held
    expect(ids.every((id, i) => Math.abs(id - i) <= 1)).toBe(true);
  });

  it('releases a held packet alone after reorderHoldMs when no successor comes', () => {
    const { sim, injector, arrivals } = setup({ seed: 1, reorder: 1, reorderHoldMs: 4 });
    injector.send([numbered(7)]);
    sim.advance(3.9);
    expect(arrivals).toEqual([]);
    sim.advance(0.1);
    expect(arrivals.map((a) => [a.at, idOf(a.bytes)])).toEqual([[4, 7]]);
  });

  it('delays by delayMs ± jitterMs on virtual time, keeping order', () => {
    const { sim, injector, arrivals } = setup({ seed: 21, delayMs: 50, jitterMs: 10 });
    const sentAt = new Map<number, number>();
    // Packets 25 ms apart (more than the jitter range), so in-order delivery does not squeeze the jitter.
    for (let n = 0; n < 200; n++) {
      sentAt.set(n, sim.now());
      injector.send([numbered(n)]);
      sim.advance(n < 2 ? 0.5 : 25);
    }
    expect(arrivals.every((a) => a.at >= 40)).toBe(true);
    sim.runUntilIdle();
    expect(arrivals.length).toBe(200);
    expect(injector.stats.delayed).toBe(200);
    let previous = -1;
    const lateness: number[] = [];
    for (const arrival of arrivals) {
      const n = idOf(arrival.bytes);
      expect(n).toBe(previous + 1);
      previous = n;
      const delay = arrival.at - sentAt.get(n)!;
      lateness.push(delay);
      expect(delay).toBeGreaterThanOrEqual(40);
      expect(delay).toBeLessThanOrEqual(60);
    }
    expect(Math.max(...lateness) - Math.min(...lateness)).toBeGreaterThan(15); // jitter is really applied
    const mean = lateness.reduce((x, y) => x + y, 0) / lateness.length;
    expect(Math.abs(mean - 50)).toBeLessThan(2);
  });

  it('limits the rate by serialization delay and drops beyond the queue limit', () => {
    // 8 Mbit/s = 1000 bytes per ms; 1000-byte packets leave one per ms.
    const { sim, injector, arrivals } = setup({ seed: 2, rateMbit: 8, queueLimitBytes: 20_000 });
    const batch = Array.from({ length: 30 }, (_, n) => numbered(n, 1000));
    injector.send(batch);
    sim.runUntilIdle();
    expect(arrivals.length).toBe(20);
    expect(injector.stats.queueDropped).toBe(10);
    arrivals.forEach((arrival, i) => {
      expect(idOf(arrival.bytes)).toBe(i);
      expect(arrival.at).toBeCloseTo(i + 1, 9);
    });
    // Once the queue has drained, new packets fit again.
    injector.send([numbered(99, 1000)]);
    sim.runUntilIdle();
    expect(arrivals.at(-1)!.at).toBeCloseTo(21, 9);
    expect(idOf(arrivals.at(-1)!.bytes)).toBe(99);
  });

  it('impairs the receive path, copying the packets it keeps past the callback', () => {
    const sim = new SimScheduler();
    const [a, b] = MemoryLink.pair({ clock: sim, schedule: sim.schedule });
    const injector = new FaultInjector(b, { seed: 4, delayMs: 10, direction: 'receive', clock: sim, schedule: sim.schedule });
    const got: Uint8Array[] = [];
    injector.setReceiver((batch) => got.push(...batch.map((p) => p.slice())));
    const sent = [numbered(1), numbered(2)];
    a.send(sent);
    sim.advance(0); // delivered into the injector, which holds them
    for (const p of sent) p.fill(0); // like a TUN read buffer being reused
    expect(got).toEqual([]);
    sim.advance(10);
    expect(got).toEqual([numbered(1), numbered(2)]);
    expect(injector.receiveStats.delayed).toBe(2);
    // Sending through a receive-only injector is untouched.
    const atA: Uint8Array[] = [];
    a.setReceiver((batch) => atA.push(...batch));
    injector.send([numbered(3)]);
    sim.advance(0);
    expect(atA.map(idOf)).toEqual([3]);
    expect(injector.sendStats.packets).toBe(0);
  });

  it('applies impairments independently in both directions', () => {
    const sim = new SimScheduler();
    const [a, b] = MemoryLink.pair({ clock: sim, schedule: sim.schedule });
    const injector = new FaultInjector(a, { seed: 9, drop: 0.3, clock: sim, schedule: sim.schedule });
    let inbound = 0;
    let outbound = 0;
    injector.setReceiver((batch) => (inbound += batch.length));
    b.setReceiver((batch) => (outbound += batch.length));
    for (let i = 0; i < 2000; i++) {
      injector.send([numbered(i)]);
      b.send([numbered(i)]);
      sim.advance(0);
    }
    expect(Math.abs(injector.sendStats.dropped - 600)).toBeLessThan(110);
    expect(Math.abs(injector.receiveStats.dropped - 600)).toBeLessThan(110);
    expect(outbound).toBe(2000 - injector.sendStats.dropped);
    expect(inbound).toBe(2000 - injector.receiveStats.dropped);
  });

  it('close() forgets delayed packets and closes the inner link', () => {
    const { sim, a, injector, arrivals } = setup({ seed: 1, delayMs: 5 });
    injector.send([numbered(1)]);
    injector.close();
    sim.runUntilIdle();
    expect(arrivals).toEqual([]);
    expect(a.isClosed).toBe(true);
  });

  it('rejects bad options with a typed error', () => {
    const [a] = MemoryLink.pair();
    expect(() => new FaultInjector(a, { seed: 1, drop: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new FaultInjector(a, { seed: 1, delayMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => new FaultInjector(a, { seed: Number.NaN })).toThrow(InvalidArgumentError);
  });

  it('works on real time with the default scheduler', async () => {
    const [a, b] = MemoryLink.pair();
    const injector = new FaultInjector(a, { seed: 1, delayMs: 20 });
    const started = performance.now();
    const arrived = new Promise<number>((resolve) => b.setReceiver(() => resolve(performance.now() - started)));
    injector.send([numbered(1)]);
    expect(await arrived).toBeGreaterThanOrEqual(19);
  });
});
