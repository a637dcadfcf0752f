import { test, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { Stack } from '../src/stack.js';
import { createServer, createConnection, Stream } from '../src/net/index.js';
import { TcpLayer } from '../src/tcp/tcp-layer.js';
import { MemoryLink } from '../src/link/memory.js';
import { FaultInjector } from '../src/link/fault-injector.js';
import { SimScheduler } from '../src/link/sim-scheduler.js';

function pattern(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
  return out;
}
const SIZE = Number(process.env.SIZE ?? 1 << 20);
test('sim', async () => {
  const sim = new SimScheduler();
  const [a, b] = MemoryLink.pair({ mtu: 1500, latencyMs: 1, clock: sim, schedule: sim.schedule });
  const lossy = new FaultInjector(a, { seed: 42, drop: 0.05, clock: sim, schedule: sim.schedule });
  const cs = new Stack({ clock: sim.createClock() });
  const ss = new Stack({ clock: sim.createClock() });
  cs.addInterface(lossy, { addresses: ['10.9.0.1/24'] });
  ss.addInterface(b, { addresses: ['10.9.0.2/24'] });
  const up = pattern(SIZE, 5), down = pattern(SIZE, 6);
  const serverHash = createHash('sha256'); let serverBytes = 0; let serverDone = false;
  createServer(ss, (s) => { s.on('data', (d) => { serverHash.update(d); serverBytes += d.length; }); s.on('end', () => { serverDone = true; }); s.end(down); }).listen(7);
  const c = createConnection(cs, 7, '10.9.0.2');
  const clientHash = createHash('sha256'); let clientBytes = 0; let clientDone = false;
  c.on('data', (d) => { clientHash.update(d); clientBytes += d.length; });
  c.on('close', () => { clientDone = true; });
  c.on('error', (e) => console.log('client error', e));
  c.end(up);
  const t0 = Date.now();
  let steps = 0;
  while (!(clientDone && serverDone) && steps < 100000) { await sim.advanceSettled(10000); steps++; if (steps % 1000 === 0) console.log(sim.now(), clientBytes, serverBytes, JSON.stringify(cs.stats().tcp)); }
  console.log('virtual ms', sim.now(), 'real ms', Date.now() - t0, clientBytes, serverBytes, JSON.stringify(cs.stats().tcp), JSON.stringify(lossy.counts ?? {}));
  expect(clientHash.digest('hex')).toBe(createHash('sha256').update(down).digest('hex'));
  expect(serverHash.digest('hex')).toBe(createHash('sha256').update(up).digest('hex'));
  TcpLayer.existing(cs)?.close(); TcpLayer.existing(ss)?.close(); cs.close(); ss.close();
}, 120000);
