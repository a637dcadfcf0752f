/**
 * IPv6 fixed header codec (RFC 8200 §3). Extension headers are walked in ipv6-ext.ts.
 */
import { IpAddress } from './address.js';
import type { DropReason } from '../stats.js';

export const IPV6_HEADER_LENGTH = 40;
export const IPV6_MAX_PAYLOAD_LENGTH = 0xffff;

/** Byte offsets of the fixed header fields (RFC 8200 §3). */
export const IPV6 = {
  VERSION_CLASS_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
} as const;

export class Ipv6Packet {
  constructor(readonly bytes: Uint8Array) {}

  get version(): number {
    return this.bytes[0]! >> 4;
  }
  get trafficClass(): number {
    return ((this.bytes[0]! & 0x0f) << 4) | (this.bytes[1]! >> 4);
  }
  get flowLabel(): number {
    return ((this.bytes[1]! & 0x0f) << 16) | (this.bytes[2]! << 8) | this.bytes[3]!;
  }
  get payloadLength(): number {
    return (this.bytes[IPV6.PAYLOAD_LENGTH]! << 8) | this.bytes[IPV6.PAYLOAD_LENGTH + 1]!;
  }
  get nextHeader(): number {
    return this.bytes[IPV6.NEXT_HEADER]!;
  }
  get hopLimit(): number {
    return this.bytes[IPV6.HOP_LIMIT]!;
  }
  get src(): IpAddress {
    return IpAddress.fromBytes(this.bytes, IPV6.SRC, 16);
  }
  get dst(): IpAddress {
    return IpAddress.fromBytes(this.bytes, IPV6.DST, 16);
  }
}

/** The checked fixed header of a received IPv6 packet. */
export interface Ipv6Repr {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly trafficClass: number;
  readonly payloadLength: number;
  /** The packet trimmed to 40 + payloadLength. */
  readonly packet: Uint8Array;
}

/** Validate a received IPv6 fixed header (RFC 8200 §3). */
export function parseIpv6(bytes: Uint8Array): Ipv6Repr | DropReason {
  if (bytes.length < IPV6_HEADER_LENGTH) return 'badLength';
  const view = new Ipv6Packet(bytes);
  if (view.version !== 6) return 'badVersion';
  const payloadLength = view.payloadLength;
  // RFC 2675: payload length 0 with a hop-by-hop header announces a jumbogram; not supported.
  if (payloadLength === 0 && view.nextHeader === 0 && bytes.length > IPV6_HEADER_LENGTH) return 'unsupportedExtension';
  // RFC 8200 §3: payload length counts what follows the fixed header; extra link bytes are ignored.
  if (IPV6_HEADER_LENGTH + payloadLength > bytes.length) return 'badLength';
  const src = view.src;
  // RFC 4291 §2.7: multicast addresses must not be used as source addresses.
  if (src.isMulticast) return 'badAddress';
  const total = IPV6_HEADER_LENGTH + payloadLength;
  return {
    src,
    dst: view.dst,
    nextHeader: view.nextHeader,
    hopLimit: view.hopLimit,
    trafficClass: view.trafficClass,
    payloadLength,
    packet: total === bytes.length ? bytes : bytes.subarray(0, total),
  };
}

export interface Ipv6HeaderFields {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly payloadLength: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/** Write the 40-byte fixed header at `offset` of `out`. */
export function emitIpv6Header(fields: Ipv6HeaderFields, out: Uint8Array, offset = 0): void {
  const trafficClass = fields.trafficClass ?? 0;
  const flowLabel = fields.flowLabel ?? 0;
  out[offset] = 0x60 | (trafficClass >> 4);
  out[offset + 1] = ((trafficClass & 0x0f) << 4) | ((flowLabel >> 16) & 0x0f);
  out[offset + 2] = (flowLabel >> 8) & 0xff;
  out[offset + 3] = flowLabel & 0xff;
  out[offset + IPV6.PAYLOAD_LENGTH] = fields.payloadLength >> 8;
  out[offset + IPV6.PAYLOAD_LENGTH + 1] = fields.payloadLength & 0xff;
  out[offset + IPV6.NEXT_HEADER] = fields.nextHeader;
  out[offset + IPV6.HOP_LIMIT] = fields.hopLimit;
  out.set(fields.src.bytes, offset + IPV6.SRC);
  out.set(fields.dst.bytes, offset + IPV6.DST);
}

/** Fragment header (RFC 8200 §4.5): 8 bytes. */
export const IPV6_FRAGMENT_HEADER_LENGTH = 8;

export function emitIpv6FragmentHeader(
  nextHeader: number,
  fragmentOffset: number,
  moreFragments: boolean,
  identification: number,
  out: Uint8Array,
  offset: number,
): void {
  const units = fragmentOffset / 8;
  out[offset] = nextHeader;
  out[offset + 1] = 0;
  out[offset + 2] = (units >> 5) & 0xff;
  out[offset + 3] = ((units & 0x1f) << 3) | (moreFragments ? 1 : 0);
  out[offset + 4] = (identification >>> 24) & 0xff;
  out[offset + 5] = (identification >>> 16) & 0xff;
  out[offset + 6] = (identification >>> 8) & 0xff;
  out[offset + 7] = identification & 0xff;
}
