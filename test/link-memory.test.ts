import { describe, expect, it } from 'vitest';
import { MemoryLink } from '../src/link/memory.js';
import { LoopbackLink } from '../src/link/loopback.js';
import { SimScheduler, settleMicrotasks } from '../src/link/sim-scheduler.js';
import { Random } from '../src/random.js';
import { InvalidArgumentError } from '../src/errors.js';

const packet = (n: number, length = 40): Uint8Array => {
  const bytes = new Uint8Array(length);
  bytes[0] = 0x45;
  bytes[1] = n & 0xff;
  bytes[2] = n >> 8;
  return bytes;
};
const ids = (batches: Uint8Array[][]): number[] => batches.flat().map((p) => p[1]! | (p[2]! << 8));

describe('Random', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 50 }, () => a.nextUint32());
    const seqB = Array.from({ length: 50 }, () => b.nextUint32());
    const seqC = Array.from({ length: 50 }, () => c.nextUint32());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it('gives values in range with a plausible distribution', () => {
    const random = new Random(7);
    const buckets = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = random.next();
      if (!(x >= 0 && x < 1)) outOfRange++;
      else buckets[Math.floor(x * 10)]!++;
      const k = random.int(6);
      if (!(Number.isInteger(k) && k >= 0 && k < 6)) outOfRange++;
    }
    expect(outOfRange).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (random.chance(0.25)) hits++;
    expect(Math.abs(hits - 2500)).toBeLessThan(200);
    expect(random.chance(0)).toBe(false);
    expect(random.chance(1)).toBe(true);
    const bytes = random.bytes(7);
    expect(bytes.length).toBe(7);
    expect(() => random.int(0)).toThrow(InvalidArgumentError);
  });
});

describe('MemoryLink', () => {
  it('delivers what one end sends to the other, in order, asynchronously', async () => {
    const [a, b] = MemoryLink.pair({ names: ['left', 'right'] });
    expect([a.name, b.name, a.mtu]).toEqual(['left', 'right', 1500]);
    const atB: Uint8Array[][] = [];
    const atA: Uint8Array[][] = [];
    b.setReceiver((batch) => atB.push([...batch]));
    a.setReceiver((batch) => atA.push([...batch]));
    a.send([packet(1), packet(2)]);
    a.send([packet(3)]);
    b.send([packet(100)]);
    expect(atB).toEqual([]); // not synchronous: a stack never re-enters itself
    await settleMicrotasks();
    expect(atB.map((batch) => batch.length)).toEqual([2, 1]);
    expect(ids(atB)).toEqual([1, 2, 3]);
    expect(ids(atA)).toEqual([100]);
    expect(a.stats).toMatchObject({ sent: 3, received: 1, dropped: 0, bytesSent: 120 });
    expect(b.stats).toMatchObject({ sent: 1, received: 3, dropped: 0, bytesReceived: 120 });
  });

  it('a receiver that answers inside its callback does not re-enter the sender', async () => {
    const [a, b] = MemoryLink.pair();
    let depth = 0;
    let maxDepth = 0;
    let rounds = 0;
    const bounce = (from: MemoryLink) => (batch: readonly Uint8Array[]) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      if (++rounds < 10) from.send([batch[0]!.slice()]);
      depth--;
    };
    a.setReceiver(bounce(a));
    b.setReceiver(bounce(b));
    a.send([packet(9)]);
    for (let i = 0; i < 12; i++) await Promise.resolve();
    await settleMicrotasks();
    expect(rounds).toBe(10);
    expect(maxDepth).toBe(1);
  });

  it('drops and counts packets larger than the MTU', async () => {
    const [a, b] = MemoryLink.pair({ mtu: 100 });
    const got: Uint8Array[][] = [];
    b.setReceiver((batch) => got.push([...batch]));
    a.send([packet(1, 100), packet(2, 101), packet(3, 60)]);
    await settleMicrotasks();
    expect(ids(got)).toEqual([1, 3]);
    expect(a.stats.dropped).toBe(1);
    expect(a.stats.sent).toBe(2);
  });

  it('close() on either end stops delivery both ways, including batches in flight', async () => {
    const [a, b] = MemoryLink.pair();
    const atA: Uint8Array[] = [];
    const atB: Uint8Array[] = [];
    a.setReceiver((batch) => atA.push(...batch));
    b.setReceiver((batch) => atB.push(...batch));
    a.send([packet(1)]); // in flight when b closes
    b.close();
    expect(a.isClosed && b.isClosed).toBe(true);
    a.send([packet(2)]);
    b.send([packet(3)]);
    await settleMicrotasks();
    expect(atA).toEqual([]);
    expect(atB).toEqual([]);
    expect(b.stats.dropped + a.stats.dropped).toBe(3);
    a.close(); // idempotent
  });

  it('counts a batch that arrives before any receiver is installed as dropped', async () => {
    const [a, b] = MemoryLink.pair();
    a.send([packet(1)]);
    await settleMicrotasks();
    expect(b.stats.dropped).toBe(1);
    expect(b.stats.received).toBe(0);
  });

  it('delivers at now + latency on a SimScheduler timeline', () => {
    const sim = new SimScheduler();
    const [a, b] = MemoryLink.pair({ latencyMs: 5, clock: sim, schedule: sim.schedule });
    const arrivals: [number, number][] = [];
    b.setReceiver((batch) => batch.forEach((p) => arrivals.push([sim.now(), p[1]!])));
    a.send([packet(1)]);
    sim.advance(2);
    a.send([packet(2)]);
    sim.advance(4.9);
    expect(arrivals).toEqual([[5, 1]]);
    sim.advance(0.1);
    expect(arrivals).toEqual([[5, 1], [7, 2]]);
  });

  it('rejects a nonsense MTU', () => {
    expect(() => MemoryLink.pair({ mtu: 10 })).toThrow(InvalidArgumentError);
    expect(() => MemoryLink.pair({ mtu: 1500.5 })).toThrow(InvalidArgumentError);
  });
});

describe('LoopbackLink', () => {
  it('delivers its own sends back to its receiver, asynchronously and in order', async () => {
    const lo = new LoopbackLink();
    expect([lo.name, lo.mtu]).toEqual(['lo', 65536]);
    const got: Uint8Array[][] = [];
    lo.setReceiver((batch) => got.push([...batch]));
    lo.send([packet(1), packet(2)]);
    lo.send([packet(3), packet(4, 70_000)]);
    expect(got).toEqual([]);
    await settleMicrotasks();
    expect(ids(got)).toEqual([1, 2, 3]);
    expect(lo.stats).toMatchObject({ sent: 3, received: 3, dropped: 1 });
    lo.send([packet(5)]);
    lo.close();
    await settleMicrotasks();
    expect(ids(got)).toEqual([1, 2, 3]);
  });
});

describe('SimScheduler', () => {
  it('runs events in time order, ties in scheduling order, including ones scheduled while running', () => {
    const sim = new SimScheduler(100);
    const log: string[] = [];
    sim.schedule(130, () => log.push(`c@${sim.now()}`));
    sim.schedule(110, () => {
      log.push(`a@${sim.now()}`);
      sim.schedule(sim.now(), () => log.push(`a2@${sim.now()}`)); // same time: runs in this advance
      sim.schedule(125, () => log.push(`b2@${sim.now()}`));
    });
    sim.schedule(110, () => log.push(`b@${sim.now()}`));
    sim.schedule(50, () => log.push(`past@${sim.now()}`)); // in the past: runs now
    const cancelled = sim.schedule(120, () => log.push('cancelled'));
    cancelled.cancel();
    expect(sim.pending).toBe(4);
    expect(sim.nextAt()).toBe(100);
    expect(sim.advance(25)).toBe(5);
    expect(log).toEqual(['past@100', 'a@110', 'b@110', 'a2@110', 'b2@125']);
    expect(sim.now()).toBe(125);
    expect(sim.runUntilIdle()).toBe(1);
    expect(log.at(-1)).toBe('c@130');
    expect(sim.pending).toBe(0);
    expect(sim.nextAt()).toBe(Infinity);
  });

  it('gives each consumer its own one-wake-up clock on the shared timeline', () => {
    const sim = new SimScheduler();
    const first = sim.createClock();
    const second = sim.createClock();
    const log: string[] = [];
    first.wakeAt(10, () => log.push('first@10'));
    first.wakeAt(20, () => log.push(`first@${first.now()}`)); // replaces the 10 ms wake-up
    second.wakeAt(15, () => log.push(`second@${second.now()}`));
    sim.advance(30);
    expect(log).toEqual(['second@15', 'first@20']);
    first.wakeAt(40, () => log.push('never'));
    first.wakeAt(Infinity, () => log.push('never'));
    second.wakeAt(35, () => log.push('never'));
    second.dispose();
    sim.advance(30);
    expect(log).toEqual(['second@15', 'first@20']);
  });

  it('stops a callback that reschedules itself forever at the same time', () => {
    const sim = new SimScheduler();
    const again = (): void => void sim.schedule(sim.now(), again);
    sim.schedule(1, again);
    expect(() => sim.advanceTo(2, 1000)).toThrow(/more than 1000 events/);
  });

  it('advanceSettled interleaves microtask deliveries with timed events', async () => {
    const sim = new SimScheduler();
    const [a, b] = MemoryLink.pair();
    const log: string[] = [];
    b.setReceiver(() => {
      log.push(`b got @${sim.now()}`);
      sim.schedule(sim.now() + 3, () => log.push(`timer @${sim.now()}`));
    });
    sim.schedule(2, () => a.send([packet(1)]));
    await sim.advanceSettled(10);
    expect(log).toEqual(['b got @2', 'timer @5']);
  });
});
