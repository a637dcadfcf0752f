/**
 * `tuntcp serve --netns NS ...`: a TUN inside an existing namespace, the kernel side given the
 * peer addresses, our stack on the other end, running until SIGINT/SIGTERM. Later issues add
 * services (--echo, --http...).
 */
import { Stack } from '../stack.js';
import { Namespace, namespaceExists, openTunInNamespace } from '../link/netns.js';
import { DEVICE_FLAGS, IMPAIRMENT_FLAGS, UsageError, parseCommandArgs, readDeviceOptions, readImpairments } from './args.js';
import { buildLinkChain } from './link-chain.js';

export const SERVE_USAGE = `tuntcp serve --netns NS [--addr 10.7.0.2/24] [--peer-addr 10.7.0.1/24] [--addr6 fd07::2/64] [--peer-addr6 fd07::1/64]
             [--mtu N] [--pcap FILE] [--trace] [--drop P --duplicate P --reorder P --corrupt P --delay MS[:JITTER] --rate MBIT --seed N]`;

export async function runServe(argv: string[], print: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...DEVICE_FLAGS, ...IMPAIRMENT_FLAGS, 'tun-name': { type: 'string', default: 'tt0' } });
  const device = readDeviceOptions(values);
  if (device.netns === undefined) throw new UsageError(`serve needs --netns NS (an existing network namespace)\nusage: ${SERVE_USAGE}`);
  const impairments = readImpairments(values);

  if (!namespaceExists(device.netns)) throw new UsageError(`network namespace "${device.netns}" does not exist (create it with: ip netns add ${device.netns})`);
  // Adopt the user's namespace (it is theirs: we never delete it); only our TUN goes away.
  const tun = openTunInNamespace(new Namespace(device.netns), {
    tunName: values['tun-name'] as string,
    mtu: device.mtu,
    peerAddress: device.peerAddr,
    peerAddress6: device.peerAddr6,
  });
  const link = buildLinkChain(tun, {
    pcap: device.pcap,
    trace: device.trace ? (line) => print(line) : undefined,
    impairments,
  });
  const stack = new Stack();
  stack.addInterface(link, { addresses: [device.addr, device.addr6] });
  print(`tuntcp: serving on ${tun.name} in namespace ${device.netns}: ${device.addr} ${device.addr6} (kernel side ${device.peerAddr} ${device.peerAddr6}), mtu ${device.mtu}`);
  if (impairments) print(`tuntcp: impairments ${JSON.stringify(impairments)}`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  stack.close(); // closes the TUN: the device disappears with its fd
  print('tuntcp: stopped; device removed');
  return 0;
}
