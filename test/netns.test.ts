/**
 * The namespace harness: creation, exec/spawn inside, and cleanup in every way a process ends.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  compileForChild,
  createNamespace,
  describeNetns,
  liveNamespaceNames,
  Namespace,
  namespaceExists,
  NetnsError,
  sweepStaleNamespaces,
  withNamespace,
} from './helpers/netns.js';

describeNetns('network-namespace harness', () => {
  it('creates uniquely named namespaces (at most 15 characters) with lo up', () => {
    const a = createNamespace();
    const b = createNamespace('nst');
    try {
      expect(a.name).not.toBe(b.name);
      expect(a.name.length).toBeLessThanOrEqual(15);
      expect(b.name.length).toBeLessThanOrEqual(15);
      expect(a.name.startsWith('tt')).toBe(true);
      expect(b.name.startsWith('nst')).toBe(true);
      expect(namespaceExists(a.name)).toBe(true);
      expect(liveNamespaceNames()).toEqual(expect.arrayContaining([a.name, b.name]));
      expect(a.ip(['link', 'show', 'lo'])).toMatch(/[<,]UP[,>]/);
    } finally {
      a.delete();
      b.delete();
    }
    expect(namespaceExists(a.name)).toBe(false);
    expect(namespaceExists(b.name)).toBe(false);
    expect(liveNamespaceNames()).not.toContain(a.name);
  });

  it('runs commands inside the namespace, with output, exit code and stdin', async () => {
    await withNamespace(async (ns) => {
      const links = await ns.exec('ip', ['-o', 'link', 'show']);
      expect(links.code).toBe(0);
      // A fresh namespace has only its loopback interface.
      expect(links.stdout.trim().split('\n')).toHaveLength(1);
      expect(links.stdout).toMatch(/^1: lo:/);
      const failing = await ns.exec('sh', ['-c', 'echo oops >&2; exit 7']);
      expect(failing).toMatchObject({ code: 7, stderr: 'oops\n', timedOut: false });
      const echoed = await ns.exec('cat', [], { input: 'through stdin' });
      expect(echoed.stdout).toBe('through stdin');
    });
  });

  it('kills a command that outlives its timeout', async () => {
    await withNamespace(async (ns) => {
      const started = Date.now();
      const result = await ns.exec('sleep', ['30'], { timeoutMs: 300 });
      expect(result.timedOut).toBe(true);
      expect(result.signal).toBe('SIGKILL');
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  it('kills its spawned processes (by PID) when deleted', async () => {
    const ns = createNamespace();
    const child = ns.spawn('sleep', ['30']);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise((resolve) => child.on('spawn', resolve));
    ns.delete();
    expect(await exited).toBe('SIGKILL');
    expect(namespaceExists(ns.name)).toBe(false);
    expect(ns.isDeleted).toBe(true);
    expect(() => ns.spawn('true')).toThrow(NetnsError);
    ns.delete(); // idempotent
  });

  it('withNamespace deletes the namespace when the function fails', async () => {
    let name = '';
    await expect(
      withNamespace((ns) => {
        name = ns.name;
        expect(namespaceExists(name)).toBe(true);
        throw new Error('the test body failed');
      }),
    ).rejects.toThrow('the test body failed');
    expect(name).not.toBe('');
    expect(namespaceExists(name)).toBe(false);
  });

  it('sweeps namespaces left behind by dead processes, and only those', async () => {
    const live = createNamespace('sw');
    const exited = spawn('true');
    const deadPid = await new Promise<number>((resolve) => exited.on('exit', () => resolve(exited.pid!)));
    const stale = new Namespace(`sw${deadPid.toString(36)}-0dead`);
    execFileSync('ip', ['netns', 'add', stale.name]);
    try {
      expect(namespaceExists(stale.name)).toBe(true);
      const swept = sweepStaleNamespaces('sw');
      expect(swept).toContain(stale.name);
      expect(swept).not.toContain(live.name);
      expect(namespaceExists(stale.name)).toBe(false);
      expect(namespaceExists(live.name)).toBe(true);
    } finally {
      stale.delete();
      live.delete();
    }
  });

  it('rejects prefixes that could not make a valid short name', () => {
    expect(() => createNamespace('Bad/Prefix')).toThrow(NetnsError);
    expect(() => createNamespace('muchtoolong')).toThrow(NetnsError);
  });

  describeExitCleanup();
});

/** A child process creates a namespace and then ends badly; the namespace must be gone. */
function describeExitCleanup(): void {
  let build: { dir: string; cleanup: () => void } | undefined;
  let buildDir = '';
  let script = '';
  beforeAll(() => {
    build = compileForChild(['src/link/netns.ts']);
    buildDir = build.dir;
    script = join(buildDir, 'child.mjs');
    writeFileSync(
      script,
      [
        `import { createNamespace } from ${JSON.stringify(join(buildDir, 'src/link/netns.js'))};`,
        'const ns = createNamespace("ex");',
        'console.log(ns.name);',
        'const mode = process.argv[2];',
        'if (mode === "throw") setTimeout(() => { throw new Error("uncaught on purpose"); }, 10);',
        'else if (mode === "exit") setTimeout(() => process.exit(3), 10);',
        'else setInterval(() => {}, 1000); // wait for a signal',
      ].join('\n'),
    );
  });
  afterAll(() => {
    build?.cleanup();
  });

  const cases: Array<{ mode: string; signal?: NodeJS.Signals; expectCode?: number; expectSignal?: NodeJS.Signals }> = [
    { mode: 'throw', expectCode: 1 },
    { mode: 'exit', expectCode: 3 },
    { mode: 'wait', signal: 'SIGTERM', expectSignal: 'SIGTERM' },
    { mode: 'wait', signal: 'SIGINT', expectSignal: 'SIGINT' },
  ];
  for (const { mode, signal, expectCode, expectSignal } of cases) {
    it(`deletes the namespaces of a process that ends by ${signal ?? mode}`, async () => {
      const child = spawn(process.execPath, [script, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let name = '';
      try {
        child.stdout.setEncoding('utf8');
        name = await new Promise<string>((resolve, reject) => {
          child.stdout.once('data', (line: string) => resolve(line.trim()));
          child.once('exit', () => reject(new Error('child exited before creating its namespace')));
        });
        expect(namespaceExists(name)).toBe(true);
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
          child.once('exit', (code, sig) => resolve([code, sig])),
        );
        if (signal !== undefined) child.kill(signal);
        const [code, sig] = await exited;
        if (expectCode !== undefined) expect(code).toBe(expectCode);
        if (expectSignal !== undefined) expect(sig).toBe(expectSignal);
        expect(namespaceExists(name)).toBe(false);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        if (name && namespaceExists(name)) new Namespace(name).delete();
      }
    });
  }
}
