/**
 * The base every other row is divided by: the Linux kernel on both ends of a veth pair between
 * two namespaces of our own (A: 10.9.0.1, the client; B: 10.9.0.2, the servers), MTU 1500,
 * measured with the same tool, sizes and pinning as the tuntcp rows, in the same run.
 */
import { createNamespace } from '../src/link/netns.js';
import {
  ICMP_GROUP,
  KERNEL_BASELINE_NAME,
  METRIC,
  TCP_GROUP,
  holdNamespace,
  median,
  pingFlood,
  releaseNamespace,
  runTool,
  startToolServer,
  type BenchNamespace,
  type BenchOptions,
  type BenchRow,
  type Pinning,
  type RunningServer,
} from './common.js';

export const PORTS = { echo: 5001, discard: 5002, send: 5003 } as const;

interface Throughput {
  bytes: number;
  seconds: number;
  MBps: number;
}

interface Rate {
  count: number;
  seconds: number;
  perSecond: number;
}

async function must(ns: BenchNamespace, cmd: string, args: string[]): Promise<void> {
  const result = await ns.exec(cmd, args, { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns.name}: ${result.stderr.trim()}`);
}

/** Join A and B with a veth pair created inside A, addresses 10.9.0.1/24 and 10.9.0.2/24, up. */
export async function joinWithVeth(a: BenchNamespace, b: BenchNamespace): Promise<void> {
  await must(a, 'ip', ['link', 'add', 'vA', 'type', 'veth', 'peer', 'name', 'vB', 'netns', b.name]);
  await must(a, 'ip', ['addr', 'add', '10.9.0.1/24', 'dev', 'vA']);
  await must(b, 'ip', ['addr', 'add', '10.9.0.2/24', 'dev', 'vB']);
  await must(a, 'ip', ['link', 'set', 'vA', 'up']);
  await must(b, 'ip', ['link', 'set', 'vB', 'up']);
}

/** Allow every TCP measurement of the run its own ephemeral port (TIME_WAIT keeps them 60 s). */
export async function widenPortRange(ns: BenchNamespace): Promise<void> {
  await must(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_local_port_range=10000 65000']);
}

/**
 * The four TCP figures against `host` (servers on PORTS already running), median of
 * options.repeats, run from the client namespace `client`.
 */
export async function measureTcp(client: BenchNamespace, host: string, options: BenchOptions, pinning: Pinning, name: string, baseline: boolean): Promise<BenchRow[]> {
  const samples = { toTarget: [] as number[], fromTarget: [] as number[], connections: [] as number[], roundTrips: [] as number[] };
  const bytes = String(options.bulkBytes);
  for (let i = 0; i < options.repeats; i++) {
    samples.toTarget.push((await runTool<Throughput>(client, options.tool, pinning, ['bulk-send', host, String(PORTS.discard), bytes])).MBps);
    samples.fromTarget.push((await runTool<Throughput>(client, options.tool, pinning, ['bulk-recv', host, String(PORTS.send), bytes])).MBps);
    samples.connections.push((await runTool<Rate>(client, options.tool, pinning, ['connect-rate', host, String(PORTS.echo), String(options.connections)])).perSecond);
    samples.roundTrips.push((await runTool<Rate>(client, options.tool, pinning, ['rr', host, String(PORTS.echo), String(options.roundTrips)])).perSecond);
  }
  const row = (metric: string, unit: string, values: number[]): BenchRow => ({
    group: TCP_GROUP, name, metric, unit, pinning, value: median(values), samples: values, ...(baseline ? { baseline } : {}),
  });
  return [
    row(METRIC.toTarget, 'MB/s', samples.toTarget),
    row(METRIC.fromTarget, 'MB/s', samples.fromTarget),
    row(METRIC.connections, '/s', samples.connections),
    row(METRIC.roundTrips, '/s', samples.roundTrips),
  ];
}

/** `ping -f` rows (echo replies/s and loss per payload size) from `client` to `target`. */
export async function measurePing(client: BenchNamespace, target: string, options: BenchOptions, pinning: Pinning, name: string, baseline: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of options.pingSizes) {
    const result = await pingFlood(client, target, options.pingCount, size, pinning);
    const common = { group: ICMP_GROUP, name, pinning, ...(baseline ? { baseline } : {}) };
    rows.push({ ...common, metric: `${size} B echoes`, unit: '/s', value: result.perSecond });
    rows.push({ ...common, metric: `${size} B loss`, unit: '%', value: result.lossPercent });
  }
  return rows;
}

export async function runKernelBaseline(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const namespaces: BenchNamespace[] = [];
  try {
    const a = holdNamespace(await createNamespace('ttba'));
    namespaces.push(a);
    const b = holdNamespace(await createNamespace('ttbb'));
    namespaces.push(b);
    await joinWithVeth(a, b);
    await widenPortRange(a);
    for (const pinning of options.pinnings) {
      log(`kernel baseline, ${pinning}: ${options.repeats} × (${options.bulkBytes >> 20} MiB each way, ${options.connections} connections, ${options.roundTrips} round trips), ping -f ×${options.pingCount}`);
      const servers: RunningServer[] = [];
      try {
        servers.push(await startToolServer(b, options.tool, pinning, ['echo-server', String(PORTS.echo)]));
        servers.push(await startToolServer(b, options.tool, pinning, ['bulk-server', String(PORTS.discard)]));
        servers.push(await startToolServer(b, options.tool, pinning, ['bulk-server', String(PORTS.send), 'send', String(options.bulkBytes)]));
        rows.push(...(await measureTcp(a, '10.9.0.2', options, pinning, KERNEL_BASELINE_NAME, true)));
      } finally {
        for (const server of servers) await server.stop();
      }
      rows.push(...(await measurePing(a, '10.9.0.2', options, pinning, KERNEL_BASELINE_NAME, true)));
    }
    return rows;
  } finally {
    for (const ns of namespaces) releaseNamespace(ns);
  }
}
