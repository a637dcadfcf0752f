/**
 * One tuntcp TCP measurement in isolation, for profiling (`node --cpu-prof dist/bench/profile-tcp.js MODE`):
 * the same servers and kernel-side tool as bench/tcp-stack.ts, pinned to CPU 0, one mode only.
 * MODE: bulk-send (kernel → stack), bulk-recv (stack → kernel), connect-rate, rr. BYTES/COUNT optional.
 * Not part of `npm run bench`; a tool for finding where the per-packet time goes.
 */
import { createNamespace, openTunInNamespace } from '../src/link/netns.js';
import { Stack } from '../src/stack.js';
import { holdNamespace, optionsFromEnv, packageRoot, prepareKernelTool, releaseNamespace, runTool, withAffinity } from './common.js';
import { PORTS, widenPortRange } from './kernel-baseline.js';
import { discard, echo, sendBytes } from './tcp-stack.js';

const mode = process.argv[2] ?? 'bulk-send';
const amount = process.argv[3];
const tool = prepareKernelTool(packageRoot(), process.env.BENCH_CLIENT, () => {});
const options = optionsFromEnv(process.env, tool);
const ns = holdNamespace(await createNamespace('ttprof'));
const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
const stack = new Stack();
try {
  stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
  await widenPortRange(ns);
  const bytes = Number(amount ?? 256 * 1024 * 1024);
  stack.createServer(discard).listen(PORTS.discard);
  stack.createServer((s) => sendBytes(s, bytes)).listen(PORTS.send);
  stack.createServer(echo).listen(PORTS.echo);
  const args: Record<string, string[]> = {
    'bulk-send': ['bulk-send', '10.7.0.2', String(PORTS.discard), String(bytes)],
    'bulk-recv': ['bulk-recv', '10.7.0.2', String(PORTS.send), String(bytes)],
    'connect-rate': ['connect-rate', '10.7.0.2', String(PORTS.echo), amount ?? '2000'],
    rr: ['rr', '10.7.0.2', String(PORTS.echo), amount ?? '20000'],
  };
  const result = await withAffinity('pinned', () => runTool<unknown>(ns, options.tool, 'pinned', args[mode]!));
  console.log(JSON.stringify(result));
  console.log(JSON.stringify(stack.stats(), null, 0));
} finally {
  stack.close();
  tun.close();
  releaseNamespace(ns);
}
