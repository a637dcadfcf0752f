/**
 * tuntcp answering `ping -f`: a stack on a TUN device in a namespace of our own (tuntcp is
 * 10.7.0.2, the kernel 10.7.0.1), the kernel flooding it with echo requests. ping -f keeps one
 * request in flight, so echoes/s is a round-trip rate through TUN, IP and ICMP; compare it with
 * the same ping over the veth pair of the kernel baseline.
 */
import { createNamespace, openTunInNamespace } from '../src/link/netns.js';
import { Stack } from '../src/stack.js';
import { TUNTCP_NAME, holdNamespace, releaseNamespace, withAffinity, type BenchOptions, type BenchRow } from './common.js';
import { measurePing } from './kernel-baseline.js';

export async function runPingFlood(options: BenchOptions, log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  const ns = holdNamespace(await createNamespace('ttbp'));
  let stack: Stack | undefined;
  let tun: ReturnType<typeof openTunInNamespace> | undefined;
  try {
    tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack();
    stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    const rows: BenchRow[] = [];
    for (const pinning of options.pinnings) {
      log(`tuntcp ping -f, ${pinning}: ${options.pingCount} echoes × sizes ${options.pingSizes.join(', ')}`);
      rows.push(...(await withAffinity(pinning, () => measurePing(ns, '10.7.0.2', options, pinning, TUNTCP_NAME, false))));
    }
    return rows;
  } finally {
    stack?.close();
    tun?.close(); // idempotent (Link contract), in case the stack left it open
    releaseNamespace(ns);
  }
}
