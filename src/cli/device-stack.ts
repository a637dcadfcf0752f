/**
 * What `serve` and `connect` share: a TUN inside the user's namespace, the kernel side given
 * the peer addresses, the link wrappers (pcap, trace, impairments), and a Stack on top.
 */
import { Stack } from '../stack.js';
import { Namespace, namespaceExists, openTunInNamespace } from '../link/netns.js';
import { DEVICE_FLAGS, IMPAIRMENT_FLAGS, UsageError, parseCommandArgs, readDeviceOptions, readImpairments, type DeviceOptions } from './args.js';
import { buildLinkChain } from './link-chain.js';

export const DEVICE_USAGE = `--netns NS [--addr 10.7.0.2/24] [--peer-addr 10.7.0.1/24] [--addr6 fd07::2/64] [--peer-addr6 fd07::1/64]
        [--mtu N] [--pcap FILE] [--trace] [--drop P --duplicate P --reorder P --corrupt P --delay MS[:JITTER] --rate MBIT --seed N]`;

export const STACK_FLAGS = { ...DEVICE_FLAGS, ...IMPAIRMENT_FLAGS, 'tun-name': { type: 'string', default: 'tt0' } } as const;

export interface DeviceStack {
  stack: Stack;
  device: DeviceOptions;
  describe: string;
}

export function parseStackCommand<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(
  argv: string[],
  extraFlags: T,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const parsed = parseCommandArgs(argv, { ...STACK_FLAGS, ...extraFlags });
  if (parsed.values.netns === undefined) throw new UsageError(`--netns NS is required (an existing network namespace)\nusage: ${usage}`);
  return parsed;
}

export function openDeviceStack(values: Record<string, string | boolean | undefined>, trace: (line: string) => void): DeviceStack {
  const device = readDeviceOptions(values);
  const netns = device.netns!;
  const impairments = readImpairments(values);
  if (!namespaceExists(netns)) throw new UsageError(`network namespace "${netns}" does not exist (create it with: ip netns add ${netns})`);
  // Adopt the user's namespace (it is theirs: we never delete it); only our TUN goes away.
  const tun = openTunInNamespace(new Namespace(netns), {
    tunName: values['tun-name'] as string,
    mtu: device.mtu,
    peerAddress: device.peerAddr,
    peerAddress6: device.peerAddr6,
  });
  const link = buildLinkChain(tun, { pcap: device.pcap, trace: device.trace ? trace : undefined, impairments });
  const stack = new Stack();
  stack.addInterface(link, { addresses: [device.addr, device.addr6] });
  const describe =
    `${tun.name} in namespace ${netns}: ${device.addr} ${device.addr6} (kernel side ${device.peerAddr} ${device.peerAddr6}), mtu ${device.mtu}` +
    (impairments ? `, impairments ${JSON.stringify(impairments)}` : '');
  return { stack, device, describe };
}

/** Resolve on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
