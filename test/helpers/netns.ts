/**
 * Test helpers for namespace tests: everything from src/link/netns.ts, plus describeNetns,
 * which skips a suite where namespaces cannot be used — except in CI (process.env.CI set),
 * where a missing prerequisite must fail loudly instead of silently skipping.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { canUseNamespaces } from '../../src/link/netns.js';
import { packageRoot } from '../../src/link/tun.js';

export * from '../../src/link/netns.js';

/** describe() when namespaces work here; describe.skip() otherwise; a failing suite in CI. */
export function describeNetns(name: string, fn: () => void): void {
  const support = canUseNamespaces();
  if (support.ok) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => {
      it('has what network-namespace tests need (CI never skips them)', () => {
        throw new Error(`cannot run network-namespace tests: ${support.reason}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${support.reason})`, fn);
  }
}

/**
 * Compile some of our modules (and what they import) to JavaScript for a child `node` process
 * (tests of process exit, signals and ref/unref need a real process of their own). The output
 * lives under node_modules/.cache inside the package, so the compiled code finds the addon.
 */
export function compileForChild(entries: readonly string[]): { dir: string; cleanup: () => void } {
  const root = packageRoot();
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'tuntcp-child-'));
  execFileSync(
    'npx',
    ['tsc', '--ignoreConfig', '--outDir', dir, '--rootDir', '.', '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', ...entries],
    { cwd: root, stdio: 'pipe', timeout: 60_000 },
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
