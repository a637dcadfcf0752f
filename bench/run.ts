/**
 * `npm run bench`: every benchmark that can run here, a table with ratios to the kernel↔kernel
 * baseline measured in the same run, and the JSON in bench/results/<date>.json and latest.json.
 * Needs root (it creates network namespaces and TUN devices; nothing touches the root namespace).
 * Environment: BENCH_QUICK=1 (smaller sizes, one repetition), BENCH_PINNING=pinned|unpinned|both,
 * BENCH_CLIENT=c|node (the kernel-side tool). See bench/README.md.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import {
  cleanupEverything,
  optionsFromEnv,
  packageRoot,
  prepareKernelTool,
  withAffinity,
  type BenchOptions,
  type BenchRow,
  type BenchSkip,
} from './common.js';
import { attachRatios, formatTables } from './table.js';

const log = (line: string): void => console.log(line);

interface Bench {
  name: string;
  run(options: BenchOptions): Promise<BenchRow[]>;
}

/** A missing module (a layer not built yet) or a stack without the feature: skipped, not failed. */
function isNotReady(error: unknown): boolean {
  const e = error as { code?: string; name?: string; constructor?: { name?: string } };
  return e?.code === 'ERR_MODULE_NOT_FOUND' || e?.constructor?.name === 'BenchNotReadyError' || (error instanceof SyntaxError && /does not provide an export/.test(error.message));
}

const BENCHES: Bench[] = [
  {
    name: 'tun-raw',
    async run(options) {
      if (!existsSync(new URL('./tun-raw.js', import.meta.url))) throw Object.assign(new Error('dist/bench/tun-raw.js is not built'), { code: 'ERR_MODULE_NOT_FOUND' });
      const { runTunRawBench } = await import('./tun-raw.js');
      const pinning = options.pinnings[0]!;
      log(`TUN binding alone, ${pinning}`);
      const result = await withAffinity(pinning, () => runTunRawBench(options.quick ? { readPackets: 20_000, readRounds: 1, writePackets: 100_000 } : {}));
      const common = { group: 'tun', name: 'TUN binding (no stack)', unit: 'packets/s', pinning };
      return [
        { ...common, metric: 'read', value: result.readPps },
        { ...common, metric: 'write', value: result.writePps },
      ];
    },
  },
  { name: 'kernel-baseline', run: async (options) => (await import('./kernel-baseline.js')).runKernelBaseline(options, log) },
  { name: 'tuntcp-tcp', run: async (options) => (await import('./tcp-stack.js')).runTuntcpTcp(options, log) },
  { name: 'ping-flood', run: async (options) => (await import('./ping-flood.js')).runPingFlood(options, log) },
  { name: 'tls', run: async (options) => (await import('./tls.js')).runTlsBench(options, log) },
  { name: 'loss', run: async (options) => (await import('./loss.js')).runLossBench(options, log) },
];

function checkPrerequisites(): string | undefined {
  if (process.platform !== 'linux') return `npm run bench needs Linux (network namespaces, TUN); this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'npm run bench needs root: it creates its own network namespaces, a veth pair and TUN devices. Run it as root, e.g. `sudo npm run bench`.';
  if (!existsSync('/dev/net/tun')) return 'npm run bench needs /dev/net/tun (modprobe tun)';
  return undefined;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
}

async function main(): Promise<number> {
  const problem = checkPrerequisites();
  if (problem !== undefined) {
    console.error(problem);
    return 1;
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\nbench: ${signal}: stopping the processes and deleting the namespaces of this run`);
    cleanupEverything();
    // Let libuv reap the killed children before exiting (else they stay zombies under init).
    setTimeout(() => process.exit(130), 300);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const root = packageRoot();
  const started = new Date();
  const options = optionsFromEnv(process.env, prepareKernelTool(root, process.env.BENCH_CLIENT, log));
  const only = process.env.BENCH_ONLY?.split(',');
  log(`tuntcp bench${options.quick ? ' (BENCH_QUICK)' : ''}: kernel-side tool ${options.tool.kind}, ${options.pinnings.join(' and ')}, ${cpus().length} CPUs, Linux ${release()}, Node ${process.version}\n`);

  const rows: BenchRow[] = [];
  const skipped: BenchSkip[] = [];
  const failed: BenchSkip[] = [];
  for (const bench of BENCHES) {
    if (only !== undefined && !only.includes(bench.name)) continue;
    try {
      rows.push(...(await bench.run(options)));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      (isNotReady(error) ? skipped : failed).push({ bench: bench.name, reason });
      log(`  ${bench.name}: ${isNotReady(error) ? 'skipped' : 'FAILED'}: ${reason}`);
    } finally {
      cleanupEverything();
    }
  }

  attachRatios(rows);
  log('');
  log(formatTables(rows));
  log('MB = 10^6 bytes. (n.nn) = ratio to the kernel↔kernel row of the same table, measured in this run.');
  for (const s of skipped) log(`skipped ${s.bench}: ${s.reason}`);
  for (const f of failed) log(`FAILED ${f.bench}: ${f.reason}`);

  const report = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    command: `${process.env.BENCH_QUICK ? 'BENCH_QUICK=1 ' : ''}npm run bench`,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, kernel: release(), node: process.version },
    options: { ...options, tool: options.tool.kind },
    rows,
    skipped,
    failed,
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const file = join(dir, `${stamp(started)}${options.quick ? '-quick' : ''}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  log(`\nresults: ${file} (and bench/results/latest.json)`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    cleanupEverything();
    process.exit(1);
  },
);
