/** What the input path knows about the packet being processed (internal to src/ip). */
import type { IpAddress, IpFamily } from './address.js';
import type { NetInterface } from './types.js';

/** How the destination address addressed us. */
export type DestinationKind = 'unicast' | 'broadcast' | 'multicast';

export interface Inbound {
  readonly family: IpFamily;
  /** The whole packet (trimmed to its length; the reassembled packet after reassembly). */
  readonly packet: Uint8Array;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly dstKind: DestinationKind;
  readonly iface: NetInterface;
  readonly ttl: number;
  /** The upper-layer protocol and where its header starts in `packet` (undefined before the chain walk). */
  readonly protocol: number | undefined;
  readonly payloadOffset: number;
  /** IPv6: offset of the byte naming the upper-layer protocol (for Parameter Problem code 1). */
  readonly nextHeaderField: number;
  /** A fragment other than the first (RFC 1122 §3.2.2, RFC 4443 §2.4(e)). */
  readonly nonFirstFragment: boolean;
}
