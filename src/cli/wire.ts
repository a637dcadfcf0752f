/**
 * `tuntcp wire`: a bad network between two KERNEL endpoints. Two namespaces, one TUN device in
 * each, and a relay in this process that passes every packet from one TUN to the other through
 * one FaultInjector — the same impairment (drop, duplicate, reorder, corrupt, delay, rate) that
 * tuntcp's own `--drop`… flags apply on the stack's side of its TUN. So the kernel's TCP can be
 * measured on exactly the path tuntcp sees (bench row "loss").
 *
 *   namespace A: wire0 10.8.0.1/24 ──┐                      ┌── wire0 10.8.0.2/24 :namespace B
 *                                   └─ FaultInjector relay ─┘
 *
 * Each kernel reaches the other's address on-link through its TUN (the /24 prefix route).
 * A → B packets take the injector's receive path, B → A its send path: each direction has its
 * own seeded stream of randomness. Namespaces named on the command line are the user's (kept);
 * otherwise two are created and deleted when the wire closes.
 */
import { FaultInjector, type FaultCounts } from '../link/fault-injector.js';
import type { Link } from '../link/link.js';
import { Namespace, createNamespace, namespaceExists, openTunInNamespace } from '../link/netns.js';
import { PcapWriter } from '../link/pcap.js';
import type { TunDevice } from '../link/tun.js';
import { IMPAIRMENT_FLAGS, UsageError, parseCommandArgs, readImpairments, type Impairments } from './args.js';
import { untilSignal } from './device-stack.js';

export const WIRE_USAGE = `tuntcp wire [--netns-a NS] [--netns-b NS] [--addr-a 10.8.0.1/24] [--addr-b 10.8.0.2/24]
        [--addr6-a fd08::1/64] [--addr6-b fd08::2/64] [--mtu N] [--tun-name wire0] [--pcap FILE]
        [--drop P --duplicate P --reorder P --corrupt P --delay MS[:JITTER] --rate MBIT --seed N]`;

const WIRE_FLAGS = {
  'netns-a': { type: 'string' },
  'netns-b': { type: 'string' },
  'addr-a': { type: 'string', default: '10.8.0.1/24' },
  'addr-b': { type: 'string', default: '10.8.0.2/24' },
  'addr6-a': { type: 'string', default: 'fd08::1/64' },
  'addr6-b': { type: 'string', default: 'fd08::2/64' },
  mtu: { type: 'string', default: '1500' },
  'tun-name': { type: 'string', default: 'wire0' },
  pcap: { type: 'string' },
  ...IMPAIRMENT_FLAGS,
} as const;

export interface WireOptions {
  /** Existing namespaces to use (kept at close); a new one is created for each one absent. */
  netnsA?: string;
  netnsB?: string;
  /** Kernel addresses on each side (default 10.8.0.1/24 and 10.8.0.2/24; IPv6 fd08::1/64, fd08::2/64; null: none). */
  addressA?: string;
  addressB?: string;
  address6A?: string | null;
  address6B?: string | null;
  mtu?: number;
  tunName?: string;
  /** Impairments of the relay, both directions (seed required; see FaultInjector). */
  impairments?: Impairments;
  /** Record namespace A's side of the wire (what A's kernel sends, and receives after impairment). */
  pcap?: string;
}

export interface Wire {
  readonly a: Namespace;
  readonly b: Namespace;
  readonly addressA: string;
  readonly addressB: string;
  readonly injector: FaultInjector;
  /** Packets A → B (the injector's receive path) and B → A (its send path). */
  readonly aToB: FaultCounts;
  readonly bToA: FaultCounts;
  close(): void;
}

/** Open the two TUN devices (creating namespaces where none is named) and start relaying. */
export function openWire(options: WireOptions = {}): Wire {
  const created: Namespace[] = [];
  const adopt = (name: string | undefined): Namespace => {
    if (name === undefined) {
      const ns = createNamespace('ttw');
      created.push(ns);
      return ns;
    }
    if (!namespaceExists(name)) throw new UsageError(`network namespace "${name}" does not exist (create it with: ip netns add ${name})`);
    return new Namespace(name);
  };
  const addressA = options.addressA ?? '10.8.0.1/24';
  const addressB = options.addressB ?? '10.8.0.2/24';
  const tunName = options.tunName ?? 'wire0';
  const devices: TunDevice[] = [];
  try {
    const a = adopt(options.netnsA);
    const b = adopt(options.netnsB);
    if (a.name === b.name) throw new UsageError(`the two ends need two namespaces, got "${a.name}" twice`);
    const open = (ns: Namespace, address: string, address6: string | null): TunDevice => {
      const tun = openTunInNamespace(ns, { tunName, mtu: options.mtu ?? 1500, peerAddress: address, peerAddress6: address6 });
      devices.push(tun);
      return tun;
    };
    const tunA = open(a, addressA, options.address6A === undefined ? 'fd08::1/64' : options.address6A);
    const tunB = open(b, addressB, options.address6B === undefined ? 'fd08::2/64' : options.address6B);
    const sideA: Link = options.pcap !== undefined ? new PcapWriter(tunA, { path: options.pcap }) : tunA;
    const injector = new FaultInjector(sideA, { seed: 1, ...options.impairments });
    // A's kernel → tunA → injector (receive path: it copies what it keeps) → tunB → B's kernel.
    injector.setReceiver((batch) => tunB.send(batch));
    // B's kernel → tunB → injector (send path) → tunA. The views die with this callback, and the
    // send path may hold packets (delay, reordering): it gets copies.
    tunB.setReceiver((batch) => injector.send(batch.map((packet) => packet.slice())));
    let closed = false;
    return {
      a,
      b,
      addressA,
      addressB,
      injector,
      aToB: injector.receiveStats,
      bToA: injector.sendStats,
      close() {
        if (closed) return;
        closed = true;
        injector.close(); // closes the pcap and tunA
        tunB.close();
        for (const ns of created) ns.delete();
      },
    };
  } catch (error) {
    for (const tun of devices) tun.close();
    for (const ns of created) ns.delete();
    throw error;
  }
}

function readWireOptions(values: Record<string, string | boolean | undefined>): WireOptions {
  const mtu = Number(values.mtu);
  if (!Number.isInteger(mtu) || mtu < 1280 || mtu > 65535) throw new UsageError(`--mtu must be 1280..65535 (IPv6 needs 1280), got ${String(values.mtu)}`);
  const impairments = readImpairments(values);
  return {
    ...(typeof values['netns-a'] === 'string' ? { netnsA: values['netns-a'] } : {}),
    ...(typeof values['netns-b'] === 'string' ? { netnsB: values['netns-b'] } : {}),
    addressA: values['addr-a'] as string,
    addressB: values['addr-b'] as string,
    address6A: values['addr6-a'] as string,
    address6B: values['addr6-b'] as string,
    mtu,
    tunName: values['tun-name'] as string,
    ...(impairments !== undefined ? { impairments } : {}),
    ...(typeof values.pcap === 'string' ? { pcap: values.pcap } : {}),
  };
}

const describeCounts = (c: FaultCounts): string =>
  `${c.packets} packets in, ${c.passed} out: ${c.dropped} dropped, ${c.duplicated} duplicated, ${c.reordered} reordered, ${c.corrupted} corrupted, ${c.delayed} delayed, ${c.queueDropped} queue drops`;

/** `tuntcp wire …`: relay until SIGINT/SIGTERM (or until `stop` resolves), then print the counts. */
export async function runWire(argv: string[], print: (line: string) => void, stop: Promise<void> = untilSignal()): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, WIRE_FLAGS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${WIRE_USAGE}`);
  const options = readWireOptions(values);
  const wire = openWire(options);
  const host = (cidr: string): string => cidr.split('/')[0]!;
  print(`tuntcp: wire up: namespace ${wire.a.name} (${wire.addressA} on ${options.tunName}) <-> namespace ${wire.b.name} (${wire.addressB} on ${options.tunName})`);
  print(`tuntcp: impairments ${options.impairments ? JSON.stringify(options.impairments) : 'none'}`);
  print(`tuntcp: try: ip netns exec ${wire.a.name} ping ${host(wire.addressB)}`);
  try {
    await stop;
  } finally {
    wire.close();
  }
  print(`tuntcp: A -> B: ${describeCounts(wire.aToB)}`);
  print(`tuntcp: B -> A: ${describeCounts(wire.bToA)}`);
  print('tuntcp: wire down');
  return 0;
}
