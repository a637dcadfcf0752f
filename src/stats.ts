/**
 * Counters, like `netstat -s`. Every layer counts into one Counters object per stack with
 * dotted names: "ipv4.received", "icmp4.echoRequestsIn", "tcp.segmentsOut", and drops as
 * "drop.<reason>". `snapshot()` groups them by their first part:
 *   { ipv4: { received: 10 }, drop: { badChecksum: 1 } }
 */

/** Why a packet was dropped. Every drop in the stack names one of these (or a reason of its own). */
export type DropReason =
  | 'badVersion'
  | 'badLength'
  | 'badHeader'
  | 'badChecksum'
  | 'badOption'
  | 'badAddress'
  | 'notForUs'
  | 'ttlExceeded'
  | 'unknownProtocol'
  | 'reassemblyTimeout'
  | 'reassemblyOverlap'
  | 'reassemblyOverCap'
  | 'reassemblyTooLarge'
  | 'reassemblyDuplicate'
  | 'badFragment'
  | 'udpNoSocket'
  | 'noRoute'
  | 'linkDown'
  | 'icmpRateLimited'
  | 'icmpUnhandled'
  | 'unsupportedExtension'
  | 'tooBig'
  | 'tcpMalformed'
  | 'tcpNoSocket'
  | 'tcpOutOfWindow'
  | 'tcpPaws'
  | 'tcpBacklogFull'
  | 'tcpAcceptQueueFull'
  | 'internalError';

export type StatsSnapshot = Record<string, Record<string, number>>;

export class Counters {
  private readonly values = new Map<string, number>();

  /** Add `n` (default 1) to the counter `name` ("ipv4.received"). */
  count(name: string, n = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + n);
  }

  /** Count a dropped packet under "drop.<reason>" and the layer's "<layer>.dropped". */
  drop(layer: string, reason: DropReason | string): void {
    this.count(`drop.${reason}`);
    this.count(`${layer}.dropped`);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** Sum of all "drop.*" counters. */
  totalDrops(): number {
    let total = 0;
    for (const [name, value] of this.values) if (name.startsWith('drop.')) total += value;
    return total;
  }

  snapshot(): StatsSnapshot {
    const out: StatsSnapshot = {};
    for (const [name, value] of [...this.values].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const dot = name.indexOf('.');
      const group = dot < 0 ? 'misc' : name.slice(0, dot);
      (out[group] ??= {})[dot < 0 ? name : name.slice(dot + 1)] = value;
    }
    return out;
  }

  reset(): void {
    this.values.clear();
  }
}
