/**
 * Network-namespace harness: every real-interface experiment (tests, CLI demo, benchmarks)
 * runs inside namespaces created here and deleted afterwards, also when the process fails
 * or is interrupted. Nothing is ever configured in the root namespace.
 */
import { spawn as spawnChild, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { TuntcpError } from '../errors.js';
import { TunDevice } from './tun.js';

export class NetnsError extends TuntcpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NETNS', message, options);
  }
}

export interface ExecResult {
  /** Exit code, or null when the command was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the timeout killed the command. */
  timedOut: boolean;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL, by PID) after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Text written to the command's stdin (stdin is closed afterwards). */
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
}

const IP = 'ip';
const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
const MAX_NAME_LENGTH = 15;

const liveNamespaces = new Set<Namespace>();
let counter = 0;
let handlersInstalled = false;

function ipSync(args: readonly string[]): string {
  try {
    return execFileSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new NetnsError(`\`ip ${args.join(' ')}\` failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

export class Namespace {
  readonly name: string;
  private readonly children = new Set<ChildProcess>();
  private deleted = false;

  /** Use createNamespace(); this constructor adopts an already created namespace. */
  constructor(name: string) {
    this.name = name;
  }

  get isDeleted(): boolean {
    return this.deleted;
  }

  /** Run `ip netns exec NAME cmd args…` to completion; never rejects for a failing command. */
  exec(cmd: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    const child = this.spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.stdin!.on('error', () => {
        // the command may exit without reading its input
      });
      child.stdin!.end(options.input);
      const timer = setTimeout(() => {
        timedOut = true;
        killByPid(child);
      }, timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new NetnsError(`cannot run ${cmd} in namespace ${this.name}: ${error.message}`, { cause: error }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, timedOut });
      });
    });
  }

  /** Start `ip netns exec NAME cmd args…`; the process is killed (by PID) when the namespace is deleted. */
  spawn(cmd: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    if (this.deleted) throw new NetnsError(`namespace ${this.name} is deleted`);
    const child = spawnChild(IP, ['netns', 'exec', this.name, cmd, ...args], { stdio: 'pipe', ...options });
    this.children.add(child);
    const forget = (): void => {
      this.children.delete(child);
    };
    child.on('exit', forget);
    child.on('error', forget);
    return child;
  }

  /** Run `ip -n NAME args…` synchronously (configuration inside this namespace only). */
  ip(args: readonly string[]): string {
    if (this.deleted) throw new NetnsError(`namespace ${this.name} is deleted`);
    return ipSync(['-n', this.name, ...args]);
  }

  /** Kill the processes this namespace started, then delete it. Idempotent, synchronous. */
  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    liveNamespaces.delete(this);
    for (const child of this.children) killByPid(child);
    this.children.clear();
    try {
      execFileSync(IP, ['netns', 'del', this.name], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already gone (deleted by hand) or ip failed: nothing more we can do here
    }
  }
}

function killByPid(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // it exited meanwhile
  }
}

/**
 * prefix + pid (base 36) + "-" + counter (base 36) + random hex, cut to 15 characters. The pid
 * part lets sweepStaleNamespaces() recognise namespaces left behind by a process that died.
 */
function uniqueName(prefix: string): string {
  const head = `${prefix}${process.pid.toString(36)}-${(counter++).toString(36)}`;
  if (head.length > MAX_NAME_LENGTH) throw new NetnsError(`namespace prefix "${prefix}" is too long`);
  return (head + randomBytes(4).toString('hex')).slice(0, MAX_NAME_LENGTH);
}

function checkPrefix(prefix: string): void {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) throw new NetnsError(`namespace prefix must be 1-6 lowercase letters/digits, got "${prefix}"`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Delete namespaces named by createNamespace(prefix) in a process that no longer exists
 * (left behind by SIGKILL or a crash of the machine). Namespaces of live processes are kept.
 * Returns the names deleted.
 */
export function sweepStaleNamespaces(prefix = 'tt'): string[] {
  checkPrefix(prefix);
  const pattern = new RegExp(`^${prefix}([0-9a-z]+)-[0-9a-z]+$`);
  const deleted: string[] = [];
  const listing = ipSync(['netns', 'list']);
  for (const line of listing.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = pattern.exec(name);
    if (match === null) continue;
    const pid = Number.parseInt(match[1]!, 36);
    if (!Number.isSafeInteger(pid) || pid <= 0 || processIsAlive(pid)) continue;
    new Namespace(name).delete();
    deleted.push(name);
  }
  return deleted;
}

/** Create a uniquely named namespace with lo up; it is deleted at process exit if not before. */
export function createNamespace(prefix = 'tt'): Namespace {
  checkPrefix(prefix);
  installExitHandlers();
  let name = uniqueName(prefix);
  // A namespace of the same name can only be a leftover of a dead process with our pid: skip it.
  for (let attempt = 1; namespaceExists(name) && attempt < 10; attempt++) name = uniqueName(prefix);
  ipSync(['netns', 'add', name]);
  const ns = new Namespace(name);
  liveNamespaces.add(ns);
  try {
    ns.ip(['link', 'set', 'lo', 'up']);
  } catch (error) {
    ns.delete();
    throw error;
  }
  return ns;
}

/** Create a namespace, run fn, delete the namespace in all cases. */
export async function withNamespace<T>(fn: (ns: Namespace) => Promise<T> | T, prefix = 'tt'): Promise<T> {
  const ns = createNamespace(prefix);
  try {
    return await fn(ns);
  } finally {
    ns.delete();
  }
}

/** Delete every namespace this process created and still holds. */
export function deleteAllNamespaces(): void {
  for (const ns of [...liveNamespaces]) ns.delete();
}

/** Names of the namespaces this process created that are not deleted yet. */
export function liveNamespaceNames(): string[] {
  return [...liveNamespaces].map((ns) => ns.name);
}

/** Whether a namespace of that name exists (/var/run/netns/NAME). */
export function namespaceExists(name: string): boolean {
  return existsSync(`/var/run/netns/${name}`);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', deleteAllNamespaces);
  // A monitor does not change the crash; only clean up when nobody else handles the exception.
  process.on('uncaughtExceptionMonitor', () => {
    if (process.listenerCount('uncaughtException') === 0) deleteAllNamespaces();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // Others listen too: they decide whether the process ends; 'exit' cleans up then.
      if (process.listenerCount(signal) > 1) return;
      deleteAllNamespaces();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export interface TunInNamespaceOptions {
  mtu?: number;
  txqueuelen?: number;
  /** Address (with prefix) of the kernel's side of the TUN; default 10.7.0.1/24. */
  peerAddress?: string | null;
  /** IPv6 address of the kernel's side; default fd07::1/64 (added with nodad). null: none. */
  peerAddress6?: string | null;
  tunName?: string;
  vnetHdr?: boolean;
  offload?: number;
}

/**
 * Open a TUN device inside `ns` and give its kernel side the peer addresses; our stack then
 * uses other addresses of the same prefixes (e.g. 10.7.0.2, fd07::2), reached on-link.
 */
export function openTunInNamespace(ns: Namespace, options: TunInNamespaceOptions = {}): TunDevice {
  const tunName = options.tunName ?? 'tt0';
  const tun = TunDevice.open({
    name: tunName,
    netns: ns.name,
    ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    ...(options.txqueuelen !== undefined ? { txqueuelen: options.txqueuelen } : {}),
    ...(options.vnetHdr !== undefined ? { vnetHdr: options.vnetHdr } : {}),
    ...(options.offload !== undefined ? { offload: options.offload } : {}),
    up: true,
  });
  try {
    const peer4 = options.peerAddress === undefined ? '10.7.0.1/24' : options.peerAddress;
    const peer6 = options.peerAddress6 === undefined ? 'fd07::1/64' : options.peerAddress6;
    if (peer4 !== null) ns.ip(['addr', 'add', peer4, 'dev', tun.name]);
    // nodad: usable at once, no duplicate address detection delay.
    if (peer6 !== null) ns.ip(['-6', 'addr', 'add', peer6, 'dev', tun.name, 'nodad']);
  } catch (error) {
    tun.close();
    throw error;
  }
  return tun;
}

export type NamespaceSupport = { ok: true } | { ok: false; reason: string };

/** Can this process create namespaces and TUN devices in them (Linux, root, ip, /dev/net/tun, addon)? */
export function canUseNamespaces(): NamespaceSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'network namespaces and TUN devices need root (run the tests as root)' };
  }
  try {
    execFileSync(IP, ['-V'], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    return { ok: false, reason: '`ip` (iproute2) is not installed or not on PATH' };
  }
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun is missing (no TUN support; try `modprobe tun`)' };
  const tun = TunDevice.available();
  if (!tun.ok) return { ok: false, reason: tun.error.message };
  return { ok: true };
}
