/**
 * Run one of the Node scripts of test/tools/ inside a test's namespace (the kernel side of an
 * interop test) and read what it prints, one line at a time, with bounded waits.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Namespace } from './netns.js';

export const TOOLS_DIR = join(import.meta.dirname, '..', 'tools');

export interface KernelTool {
  readonly child: ChildProcess;
  /** Every complete line printed so far. */
  readonly lines: string[];
  /** Resolves with the first line (present or future) that satisfies `match`. */
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** The first printed JSON line whose object satisfies `match` (default: any), parsed. */
  json<T = Record<string, unknown>>(match?: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  /** SIGKILL by PID if still running. */
  kill(): void;
}

/** `ip netns exec NS node test/tools/SCRIPT args…` */
export function startKernelTool(ns: Namespace, script: string, args: readonly string[]): KernelTool {
  const child = ns.spawn(process.execPath, [join(TOOLS_DIR, script), ...args]);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  let exited: string | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.on('exit', (code, signal) => {
    exited = `exited (${code ?? signal})`;
    for (const wake of waiters) wake();
  });

  const waitForLine = (match: (line: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = lines.find(match);
        if (line !== undefined) resolve(line);
        else if (exited !== undefined) reject(new Error(`${script} ${exited} before ${what}: ${lines.join('\n')} ${stderr}`));
        else return false;
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`${script}: no ${what} within ${timeoutMs} ms: ${lines.join('\n')} ${stderr}`));
      }, timeoutMs);
      const wake = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(wake);
      };
      waiters.add(wake);
    });

  const parse = (line: string): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      return undefined;
    }
  };

  return {
    child,
    lines,
    waitForLine,
    async json<T>(match: (value: T) => boolean = () => true, timeoutMs?: number): Promise<T> {
      const isMatch = (line: string): boolean => {
        const value = line.startsWith('{') ? (parse(line) as T | undefined) : undefined;
        return value !== undefined && match(value);
      };
      return parse(await waitForLine(isMatch, 'JSON result', timeoutMs)) as T;
    },
    kill() {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    },
  };
}
