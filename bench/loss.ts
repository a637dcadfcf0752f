/**
 * The "loss" rows: the same bulk transfer on the same bad path (1% drop and 20 ms delay each
 * way, one FaultInjector with the same seed), once through tuntcp and once between two kernels:
 * - base: kernel ↔ kernel over `tuntcp wire` (two namespaces, two TUN devices, our relay through
 *   a FaultInjector: src/cli/wire.ts) — the kernel's TCP on exactly the path tuntcp sees;
 * - tuntcp on TUN with that FaultInjector on the stack's side of its device.
 * The kernel-side tool is the client in both (bulk-send to a discard server, bulk-recv from a
 * server that sends N bytes); the figure is the transfer time in seconds (lower is better, so
 * a ratio above 1 means slower than the kernel). Loss makes wake-ups irrelevant: one pinning.
 */
import { openWire } from '../src/cli/wire.js';
import { FaultInjector } from '../src/link/fault-injector.js';
import { createNamespace, openTunInNamespace } from '../src/link/netns.js';
import { Stack } from '../src/stack.js';
import { createServer, type Server } from '../src/net/server.js';
import { holdNamespace, median, releaseNamespace, runTool, startToolServer, withAffinity, type BenchOptions, type BenchRow, type Pinning, type RunningServer } from './common.js';
import { PORTS, widenPortRange } from './kernel-baseline.js';
import { discard, sendBytes } from './tcp-stack.js';

export const LOSS_GROUP = 'loss';
export const LOSS_IMPAIRMENT = { drop: 0.01, delayMs: 20 } as const;
const SEED = 1;
const BASE_NAME = 'kernel↔kernel (cubic) over tuntcp wire (base)';
const TUNTCP_NAME = 'tuntcp on TUN';
const METRICS = { toTarget: 'kernel→stack time', fromTarget: 'stack→kernel time' } as const;

interface Throughput {
  bytes: number;
  seconds: number;
  MBps: number;
}

type ToolNamespace = Parameters<typeof runTool>[0];

async function timeTransfers(client: ToolNamespace, host: string, bytes: number, options: BenchOptions, pinning: Pinning): Promise<{ toTarget: number; fromTarget: number }> {
  const timeoutMs = Math.max(120_000, (bytes / 50_000) * 1000); // at worst 50 kB/s
  const send = await runTool<Throughput>(client, options.tool, pinning, ['bulk-send', host, String(PORTS.discard), String(bytes)], timeoutMs);
  const receive = await runTool<Throughput>(client, options.tool, pinning, ['bulk-recv', host, String(PORTS.send), String(bytes)], timeoutMs);
  return { toTarget: send.seconds, fromTarget: receive.seconds };
}

function rows(name: string, pinning: Pinning, baseline: boolean, samples: { toTarget: number[]; fromTarget: number[] }): BenchRow[] {
  const row = (metric: string, values: number[]): BenchRow => ({
    group: LOSS_GROUP, name, metric, unit: 's', pinning, value: median(values), samples: values, ...(baseline ? { baseline } : {}),
  });
  return [row(METRICS.toTarget, samples.toTarget), row(METRICS.fromTarget, samples.fromTarget)];
}

/**
 * The kernel's congestion control for the tool's sockets (TCP_CONGESTION via the C tool's
 * TCP_TOOL_CONGESTION). The host default may be BBR (it is on this machine): against our
 * loss-based CUBIC that compares algorithms, not stacks (BBR moves 8 MiB through 1% loss in
 * 0.67 s, CUBIC and Reno in ~18 s). Namespaces may not change their default to an algorithm
 * outside tcp_allowed_congestion_control, so it is set per socket.
 */
export const KERNEL_CONGESTION = 'cubic';

async function measureWire(bytes: number, options: BenchOptions, pinning: Pinning): Promise<BenchRow[]> {
  const wire = openWire({ impairments: { seed: SEED, ...LOSS_IMPAIRMENT } });
  holdNamespace(wire.a);
  holdNamespace(wire.b);
  const servers: RunningServer[] = [];
  try {
    await widenPortRange(wire.a);
    servers.push(await startToolServer(wire.b, options.tool, pinning, ['bulk-server', String(PORTS.discard)]));
    servers.push(await startToolServer(wire.b, options.tool, pinning, ['bulk-server', String(PORTS.send), 'send', String(bytes)]));
    const samples = { toTarget: [] as number[], fromTarget: [] as number[] };
    for (let i = 0; i < options.repeats; i++) {
      const times = await timeTransfers(wire.a, wire.addressB.split('/')[0]!, bytes, options, pinning);
      samples.toTarget.push(times.toTarget);
      samples.fromTarget.push(times.fromTarget);
    }
    return rows(BASE_NAME, pinning, true, samples);
  } finally {
    for (const server of servers) await server.stop();
    wire.close();
    releaseNamespace(wire.a);
    releaseNamespace(wire.b);
  }
}

async function measureTuntcp(bytes: number, options: BenchOptions, pinning: Pinning): Promise<BenchRow[]> {
  const ns = holdNamespace(createNamespace('ttbl'));
  let stack: Stack | undefined;
  const servers: Server[] = [];
  try {
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: null });
    stack = new Stack();
    stack.addInterface(new FaultInjector(tun, { seed: SEED, ...LOSS_IMPAIRMENT }), { addresses: ['10.7.0.2/24'] });
    await widenPortRange(ns);
    servers.push(createServer(stack, discard).listen(PORTS.discard));
    servers.push(createServer(stack, (stream) => sendBytes(stream, bytes)).listen(PORTS.send));
    const samples = { toTarget: [] as number[], fromTarget: [] as number[] };
    for (let i = 0; i < options.repeats; i++) {
      const times = await timeTransfers(ns, '10.7.0.2', bytes, options, pinning);
      samples.toTarget.push(times.toTarget);
      samples.fromTarget.push(times.fromTarget);
    }
    return rows(TUNTCP_NAME, pinning, false, samples);
  } finally {
    for (const server of servers) server.close();
    stack?.close();
    releaseNamespace(ns);
  }
}

export async function runLossBench(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  const bytes = options.quick ? 2 << 20 : 8 << 20;
  const pinning = options.pinnings[0]!;
  const what = `${bytes >> 20} MiB each way, drop ${LOSS_IMPAIRMENT.drop * 100}% and ${LOSS_IMPAIRMENT.delayMs} ms each way (seed ${SEED}), ${options.repeats} ×, ${pinning}`;
  log(`loss: kernel↔kernel over tuntcp wire (kernel sockets use ${KERNEL_CONGESTION}), ${what}`);
  if (options.tool.kind !== 'c') log(`loss: the ${options.tool.kind} tool cannot choose its congestion control: the kernel uses the host default`);
  const previous = process.env.TCP_TOOL_CONGESTION;
  process.env.TCP_TOOL_CONGESTION = KERNEL_CONGESTION; // inherited by the tools (ip netns exec keeps the environment)
  try {
    const base = await withAffinity(pinning, () => measureWire(bytes, options, pinning));
    log(`loss: tuntcp on TUN, ${what}`);
    const ours = await withAffinity(pinning, () => measureTuntcp(bytes, options, pinning));
    return [...base, ...ours];
  } finally {
    if (previous === undefined) delete process.env.TCP_TOOL_CONGESTION;
    else process.env.TCP_TOOL_CONGESTION = previous;
  }
}
