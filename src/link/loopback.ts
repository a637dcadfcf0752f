/**
 * A link whose output is its own input: a MemoryLink end connected to itself. send() delivers
 * back to its receiver, asynchronously (one microtask per batch, in order) so the stack never
 * re-enters itself.
 */
import type { Clock } from '../clock.js';
import { makeDeliver, MemoryLink, validateMtu } from './memory.js';
import type { ScheduleFn } from './sim-scheduler.js';

export interface LoopbackLinkOptions {
  mtu?: number;
  name?: string;
  latencyMs?: number;
  clock?: Clock;
  schedule?: ScheduleFn;
}

export class LoopbackLink extends MemoryLink {
  constructor(options: LoopbackLinkOptions = {}) {
    const mtu = validateMtu(options.mtu ?? 65536, 'LoopbackLink');
    super(options.name ?? 'lo', mtu, makeDeliver(options, 'LoopbackLink'));
    this.peer = this;
  }
}
