/**
 * IPv4 header codec (RFC 791 §3.1). `Ipv4Packet` reads fields straight from the bytes;
 * `parseIpv4` checks a received packet and returns its meaning (Ipv4Repr) or why it is dropped;
 * `emitIpv4Header` writes a 20-byte header (we never send options) with its checksum.
 */
import { IpAddress } from './address.js';
import { checksumVerifies, internetChecksum } from './checksum.js';
import type { DropReason } from '../stats.js';

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_TOTAL_LENGTH = 0xffff;

/** Byte offsets of the header fields (RFC 791 §3.1). */
export const IPV4 = {
  VERSION_IHL: 0,
  DSCP_ECN: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
} as const;

const FLAG_DONT_FRAGMENT = 0x40;
const FLAG_MORE_FRAGMENTS = 0x20;

/** A view over (possibly invalid) IPv4 bytes. Check with parseIpv4 before believing it. */
export class Ipv4Packet {
  constructor(readonly bytes: Uint8Array) {}

  get version(): number {
    return this.bytes[IPV4.VERSION_IHL]! >> 4;
  }
  /** Header length in bytes (IHL × 4). */
  get headerLength(): number {
    return (this.bytes[IPV4.VERSION_IHL]! & 0x0f) * 4;
  }
  get dscpEcn(): number {
    return this.bytes[IPV4.DSCP_ECN]!;
  }
  get totalLength(): number {
    return (this.bytes[IPV4.TOTAL_LENGTH]! << 8) | this.bytes[IPV4.TOTAL_LENGTH + 1]!;
  }
  get identification(): number {
    return (this.bytes[IPV4.IDENTIFICATION]! << 8) | this.bytes[IPV4.IDENTIFICATION + 1]!;
  }
  get dontFragment(): boolean {
    return (this.bytes[IPV4.FLAGS_FRAGMENT]! & FLAG_DONT_FRAGMENT) !== 0;
  }
  get moreFragments(): boolean {
    return (this.bytes[IPV4.FLAGS_FRAGMENT]! & FLAG_MORE_FRAGMENTS) !== 0;
  }
  /** Fragment offset in bytes (the field counts 8-byte units, RFC 791 §3.1). */
  get fragmentOffset(): number {
    return (((this.bytes[IPV4.FLAGS_FRAGMENT]! & 0x1f) << 8) | this.bytes[IPV4.FLAGS_FRAGMENT + 1]!) * 8;
  }
  get ttl(): number {
    return this.bytes[IPV4.TTL]!;
  }
  get protocol(): number {
    return this.bytes[IPV4.PROTOCOL]!;
  }
  get checksum(): number {
    return (this.bytes[IPV4.CHECKSUM]! << 8) | this.bytes[IPV4.CHECKSUM + 1]!;
  }
  get src(): IpAddress {
    return ipv4AddressAt(this.bytes, IPV4.SRC);
  }
  get dst(): IpAddress {
    return ipv4AddressAt(this.bytes, IPV4.DST);
  }
}

/** Bound on the addresses remembered by ipv4AddressAt (the table is emptied when it is reached). */
const RECENT_ADDRESSES_LIMIT = 4096;
const recentAddresses = new Map<number, IpAddress>();

/**
 * The address stored at bytes[offset..offset+4]. Addresses are immutable, so the ones seen
 * recently are shared rather than built per packet (a new IpAddress would cost an allocation
 * here and a fresh text `key` in every Map lookup of the layers above).
 */
export function ipv4AddressAt(bytes: Uint8Array, offset: number): IpAddress {
  const value = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  let address = recentAddresses.get(value);
  if (address === undefined) {
    if (recentAddresses.size >= RECENT_ADDRESSES_LIMIT) recentAddresses.clear();
    address = IpAddress.fromBytes(bytes, offset, 4);
    recentAddresses.set(value, address);
  }
  return address;
}

/** The checked meaning of a received IPv4 packet. Views point into the received bytes. */
export interface Ipv4Repr {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  readonly ttl: number;
  readonly dscpEcn: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes. */
  readonly fragmentOffset: number;
  readonly headerLength: number;
  readonly totalLength: number;
  /** The packet trimmed to totalLength (trailing link padding removed). */
  readonly packet: Uint8Array;
  /** Bytes after the header (options skipped), up to totalLength. */
  readonly payload: Uint8Array;
}

/** Validate a received IPv4 packet (RFC 791 §3.1, RFC 1122 §3.2.1). */
export function parseIpv4(bytes: Uint8Array): Ipv4Repr | DropReason {
  if (bytes.length < IPV4_MIN_HEADER_LENGTH) return 'badLength';
  const view = new Ipv4Packet(bytes);
  // RFC 1122 §3.2.1.1: a datagram whose version is not 4 is silently discarded.
  if (view.version !== 4) return 'badVersion';
  const headerLength = view.headerLength;
  // RFC 791 §3.1: IHL is at least 5 words; options follow the fixed 20 bytes.
  if (headerLength < IPV4_MIN_HEADER_LENGTH) return 'badHeader';
  const totalLength = view.totalLength;
  // Total length covers header and data; bytes beyond it (link padding) are ignored.
  if (totalLength < headerLength || totalLength > bytes.length) return 'badLength';
  // RFC 1122 §3.2.1.2: a datagram whose header checksum fails is silently discarded.
  if (!checksumVerifies(bytes, 0, headerLength)) return 'badChecksum';
  const src = view.src;
  // RFC 1122 §3.2.1.3: a source address must not be broadcast or multicast.
  if (src.isMulticast || src.isBroadcast) return 'badAddress';
  const packet = totalLength === bytes.length ? bytes : bytes.subarray(0, totalLength);
  return {
    src,
    dst: view.dst,
    protocol: view.protocol,
    ttl: view.ttl,
    dscpEcn: view.dscpEcn,
    identification: view.identification,
    dontFragment: view.dontFragment,
    moreFragments: view.moreFragments,
    fragmentOffset: view.fragmentOffset,
    headerLength,
    totalLength,
    packet,
    payload: packet.subarray(headerLength),
  };
}

/** Fields of a header we send (no options). */
export interface Ipv4HeaderFields {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  readonly ttl: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes; a multiple of 8. */
  readonly fragmentOffset: number;
  /** Header + data of this packet. */
  readonly totalLength: number;
  readonly dscpEcn?: number;
}

/** Write a 20-byte header at `offset` of `out`, checksum included. */
export function emitIpv4Header(fields: Ipv4HeaderFields, out: Uint8Array, offset = 0): void {
  const units = fields.fragmentOffset / 8;
  out[offset + IPV4.VERSION_IHL] = 0x45;
  out[offset + IPV4.DSCP_ECN] = fields.dscpEcn ?? 0;
  out[offset + IPV4.TOTAL_LENGTH] = fields.totalLength >> 8;
  out[offset + IPV4.TOTAL_LENGTH + 1] = fields.totalLength & 0xff;
  out[offset + IPV4.IDENTIFICATION] = (fields.identification >> 8) & 0xff;
  out[offset + IPV4.IDENTIFICATION + 1] = fields.identification & 0xff;
  out[offset + IPV4.FLAGS_FRAGMENT] =
    (fields.dontFragment ? FLAG_DONT_FRAGMENT : 0) | (fields.moreFragments ? FLAG_MORE_FRAGMENTS : 0) | ((units >> 8) & 0x1f);
  out[offset + IPV4.FLAGS_FRAGMENT + 1] = units & 0xff;
  out[offset + IPV4.TTL] = fields.ttl;
  out[offset + IPV4.PROTOCOL] = fields.protocol;
  out[offset + IPV4.CHECKSUM] = 0;
  out[offset + IPV4.CHECKSUM + 1] = 0;
  out.set(fields.src.bytes, offset + IPV4.SRC);
  out.set(fields.dst.bytes, offset + IPV4.DST);
  writeIpv4Checksum(out, offset, IPV4_MIN_HEADER_LENGTH);
}

/** (Re)compute the header checksum of a header of `headerLength` bytes at `offset`. */
export function writeIpv4Checksum(out: Uint8Array, offset: number, headerLength: number): void {
  out[offset + IPV4.CHECKSUM] = 0;
  out[offset + IPV4.CHECKSUM + 1] = 0;
  const checksum = internetChecksum(out, offset, offset + headerLength);
  out[offset + IPV4.CHECKSUM] = checksum >> 8;
  out[offset + IPV4.CHECKSUM + 1] = checksum & 0xff;
}
