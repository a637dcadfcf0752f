/**
 * Test helpers for namespace tests: everything from src/link/netns.ts, plus describeNetns,
 * which skips a suite where namespaces cannot be used — except in CI (process.env.CI set),
 * where a missing prerequisite must fail loudly instead of silently skipping.
 */
import { describe, it } from 'vitest';
import { canUseNamespaces } from '../../src/link/netns.js';

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
