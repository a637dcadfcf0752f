/**
 * What every benchmark shares: the row model, the options, where the files are, the kernel-side
 * tool (tools/tcp-tool.c or tools/tcp-tool.mjs), CPU pinning, and bookkeeping of the processes
 * and namespaces a run creates so that an interrupted run still cleans up.
 */
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------- the row model ----------

export type Pinning = 'pinned' | 'unpinned';

/** One measured figure: `value` `unit` of `metric` for the target `name`. */
export interface BenchRow {
  /** The table the row belongs in ('tcp', 'icmp', 'tun'). */
  group: string;
  /** The target measured: 'kernel↔kernel over veth (base)', 'tuntcp on TUN'. */
  name: string;
  /** A column of the table: 'kernel→stack', 'connections', 'echoes 56 B'. */
  metric: string;
  value: number;
  unit: string;
  /** Pinned: the stack and the kernel-side tool all on CPU 0 (DESIGN.md, Performance). */
  pinning: Pinning;
  /** The row every other row of the same group, metric and pinning is divided by. */
  baseline?: boolean;
  /** value / the baseline's value, filled in by attachRatios(). */
  ratio?: number;
  /** Every repetition's value when `value` is their median. */
  samples?: number[];
}

/** A benchmark that could not run, and why (a module not built yet, no root, a failure). */
export interface BenchSkip {
  bench: string;
  reason: string;
}

/** The names shared by the kernel baseline and the tuntcp rows, so ratios line up. */
export const TCP_GROUP = 'tcp';
export const ICMP_GROUP = 'icmp';
export const KERNEL_BASELINE_NAME = 'kernel↔kernel over veth (base)';
export const TUNTCP_NAME = 'tuntcp on TUN';
export const METRIC = {
  toTarget: 'kernel→stack',
  fromTarget: 'stack→kernel',
  connections: 'connections',
  roundTrips: 'round trips',
} as const;

// ---------- options ----------

export interface BenchOptions {
  quick: boolean;
  /** Repetitions of each TCP measurement; the row holds their median. */
  repeats: number;
  bulkBytes: number;
  connections: number;
  roundTrips: number;
  pingCount: number;
  pingSizes: number[];
  pinnings: Pinning[];
  tool: KernelTool;
}

const MiB = 1 << 20;

export function optionsFromEnv(env: NodeJS.ProcessEnv, tool: KernelTool): BenchOptions {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const pinningChoice = env.BENCH_PINNING ?? 'both';
  const pinnings: Pinning[] = pinningChoice === 'pinned' ? ['pinned'] : pinningChoice === 'unpinned' ? ['unpinned'] : ['pinned', 'unpinned'];
  return {
    quick,
    repeats: quick ? 1 : 3,
    bulkBytes: (quick ? 32 : 256) * MiB,
    connections: quick ? 500 : 2000,
    roundTrips: quick ? 5000 : 20000,
    pingCount: quick ? 20000 : 100000,
    pingSizes: [56, 1400],
    pinnings,
    tool,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// ---------- files ----------

/** The package root (the directory of tuntcp's package.json), found from this file in src or dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'tuntcp') return dir;
    dir = dirname(dir);
  }
  throw new Error('bench: cannot find the tuntcp package root above ' + fileURLToPath(import.meta.url));
}

// ---------- the kernel-side tool ----------

/** How to start tcp-tool: the C build when a compiler is at hand, else the Node version. */
export interface KernelTool {
  kind: 'c' | 'node';
  argv: string[];
}

/**
 * The C tool costs a few µs per operation; the Node one tops out near 20 k round trips/s here and
 * would measure itself instead of the stack. BENCH_CLIENT=node forces the Node tool.
 */
export function prepareKernelTool(root: string, choice: string | undefined, log: (line: string) => void): KernelTool {
  const nodeTool: KernelTool = { kind: 'node', argv: [process.execPath, join(root, 'bench', 'tools', 'tcp-tool.mjs')] };
  if (choice === 'node') return nodeTool;
  const binary = join(root, 'dist', 'bench', 'tools', 'tcp-tool');
  try {
    mkdirSync(dirname(binary), { recursive: true });
    execFileSync('cc', ['-O2', '-Wall', '-o', binary, join(root, 'bench', 'tools', 'tcp-tool.c')], { stdio: 'pipe', timeout: 60_000 });
    return { kind: 'c', argv: [binary] };
  } catch (error) {
    if (choice === 'c') throw new Error(`bench: cannot build bench/tools/tcp-tool.c: ${String(error)}`);
    log(`(cannot build bench/tools/tcp-tool.c with cc: ${String(error).split('\n')[0]}; using the Node tool, which limits the rates measured)`);
    return nodeTool;
  }
}

/** The command line that runs `args` with the tool, on CPU 0 when pinned. */
export function toolCommand(tool: KernelTool, pinning: Pinning, args: readonly string[]): [string, string[]] {
  const argv = [...pinPrefix(pinning), ...tool.argv, ...args];
  return [argv[0]!, argv.slice(1)];
}

export function pinPrefix(pinning: Pinning): string[] {
  return pinning === 'pinned' ? ['taskset', '-c', '0'] : [];
}

// ---------- namespaces and processes ----------

/** The part of src/link/netns.ts's Namespace the benches use. */
export interface BenchNamespace {
  readonly name: string;
  exec(cmd: string, args: string[], options?: { timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string; timedOut?: boolean }>;
  spawn(cmd: string, args: string[]): ChildProcess;
  delete(): void;
}

const liveProcesses = new Set<ChildProcess>();
const liveNamespaces = new Set<BenchNamespace>();

/** Remember a namespace until release(); cleanupEverything() deletes what is still held. */
export function holdNamespace<T extends BenchNamespace>(ns: T): T {
  liveNamespaces.add(ns);
  return ns;
}

export function releaseNamespace(ns: BenchNamespace): void {
  liveNamespaces.delete(ns);
  try {
    ns.delete();
  } catch {
    // already gone
  }
}

/** Kill every process a bench started and delete every namespace still held (Ctrl-C, failure). */
export function cleanupEverything(): void {
  for (const child of liveProcesses) if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  liveProcesses.clear();
  for (const ns of [...liveNamespaces]) releaseNamespace(ns);
}

/** Run the tool as a client inside `ns` and parse the JSON line it prints. */
export async function runTool<T>(ns: BenchNamespace, tool: KernelTool, pinning: Pinning, args: string[], timeoutMs = 90_000): Promise<T> {
  const [cmd, cmdArgs] = toolCommand(tool, pinning, args);
  const result = await ns.exec(cmd, cmdArgs, { timeoutMs });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !line.startsWith('{')) {
    const how = result.timedOut ? `killed after ${timeoutMs} ms` : `exit ${result.code}`;
    throw new Error(`tcp-tool ${args.join(' ')} in ${ns.name} failed (${how}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return JSON.parse(line) as T;
}

export interface RunningServer {
  stop(): Promise<void>;
}

/** Start a tool server inside `ns` and wait until it says it is listening. */
export async function startToolServer(ns: BenchNamespace, tool: KernelTool, pinning: Pinning, args: string[]): Promise<RunningServer> {
  const [cmd, cmdArgs] = toolCommand(tool, pinning, args);
  const child = ns.spawn(cmd, cmdArgs);
  liveProcesses.add(child);
  const stop = async (): Promise<void> => {
    liveProcesses.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`tcp-tool ${args.join(' ')}: not listening after 5 s ${stderr}`)), 5000);
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcp-tool ${args.join(' ')} exited (${code}) before listening: ${stderr.trim()}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

// ---------- pinning this process (the stack runs in it) ----------

/**
 * Run `body` with this whole process (every thread) on CPU 0 when pinned, then restore the
 * affinity it had. Child processes started meanwhile inherit it.
 */
export async function withAffinity<T>(pinning: Pinning, body: () => Promise<T>): Promise<T> {
  if (pinning === 'unpinned') return body();
  const pid = String(process.pid);
  const before = execFileSync('taskset', ['-p', pid], { encoding: 'utf8' }).trim().split(/\s+/).pop()!;
  execFileSync('taskset', ['-a', '-p', '-c', '0', pid], { stdio: 'ignore' });
  try {
    return await body();
  } finally {
    execFileSync('taskset', ['-a', '-p', before, pid], { stdio: 'ignore' });
  }
}

// ---------- ping ----------

export interface PingSummary {
  transmitted: number;
  received: number;
  timeMs: number;
  rttAvgMs: number | undefined;
}

/** Parse the summary iputils `ping -q` prints. */
export function parsePingSummary(output: string): PingSummary | undefined {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received.*?time (\d+)ms/.exec(output);
  if (counts === null) return undefined;
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(output);
  return { transmitted: Number(counts[1]), received: Number(counts[2]), timeMs: Number(counts[3]), rttAvgMs: rtt ? Number(rtt[1]) : undefined };
}

/**
 * `ping -f -q -c COUNT -s SIZE` from inside `ns` (deadline 60 s): echo replies per second over
 * ping's own elapsed time, and the loss in percent.
 */
export async function pingFlood(ns: BenchNamespace, target: string, count: number, size: number, pinning: Pinning): Promise<{ perSecond: number; lossPercent: number }> {
  const argv = [...pinPrefix(pinning), 'ping', '-f', '-q', '-c', String(count), '-s', String(size), '-w', '60', target];
  const result = await ns.exec(argv[0]!, argv.slice(1), { timeoutMs: 70_000 });
  const summary = parsePingSummary(result.stdout);
  if (summary === undefined || summary.timeMs === 0) throw new Error(`ping -f ${target} in ${ns.name} (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  return {
    perSecond: summary.received / (summary.timeMs / 1000),
    lossPercent: summary.transmitted === 0 ? 100 : (100 * (summary.transmitted - summary.received)) / summary.transmitted,
  };
}
