/**
 * The IPv6 extension-header chain (RFC 8200 §4): walked from the fixed header to the first
 * upper-layer header, a Fragment header, or a reason to drop (possibly with an ICMPv6
 * Parameter Problem to send, RFC 4443 §3.4).
 */
import { IP_PROTOCOL } from './types.js';
import { IPV6, IPV6_HEADER_LENGTH, IPV6_FRAGMENT_HEADER_LENGTH } from './ipv6.js';
import type { DropReason } from '../stats.js';

/** Bound on the number of extension headers walked (RFC 8200 §4.1 defines six kinds). */
export const MAX_EXTENSION_HEADERS = 16;

/** ICMPv6 Parameter Problem codes (RFC 4443 §3.4). */
export const PARAM_PROBLEM = {
  ERRONEOUS_HEADER: 0,
  UNRECOGNIZED_NEXT_HEADER: 1,
  UNRECOGNIZED_OPTION: 2,
} as const;

export type Ipv6Chain =
  /** The upper-layer header starts at `offset`; `nextHeaderField` is the offset of the byte naming it. */
  | { readonly kind: 'upper'; readonly protocol: number; readonly offset: number; readonly nextHeaderField: number }
  | {
      readonly kind: 'fragment';
      /** Offset of the Fragment header (= end of the unfragmentable part). */
      readonly headerOffset: number;
      /** Offset of the byte that named the Fragment header (patched on reassembly). */
      readonly nextHeaderField: number;
      /** The Next Header value inside the Fragment header. */
      readonly nextHeader: number;
      /** In bytes. */
      readonly fragmentOffset: number;
      readonly moreFragments: boolean;
      readonly identification: number;
      /** Where the fragment's data starts. */
      readonly dataOffset: number;
    }
  | { readonly kind: 'drop'; readonly reason: DropReason }
  | {
      readonly kind: 'paramProblem';
      readonly reason: DropReason;
      readonly code: number;
      readonly pointer: number;
      /** RFC 8200 §4.2 (option action 10) and §4.5: sent even when the destination was multicast. */
      readonly evenIfMulticast: boolean;
    };

/**
 * Walk the chain of a packet trimmed to its payload length. `dstIsMulticast` decides what an
 * unrecognised option of action 11 does (RFC 8200 §4.2).
 */
export function walkIpv6Chain(packet: Uint8Array, dstIsMulticast: boolean): Ipv6Chain {
  let nextHeader = packet[IPV6.NEXT_HEADER]!;
  let nextHeaderField: number = IPV6.NEXT_HEADER;
  let offset = IPV6_HEADER_LENGTH;
  for (let count = 0; count <= MAX_EXTENSION_HEADERS; count++) {
    // RFC 8200 §4.3: the Hop-by-Hop header may only appear immediately after the IPv6 header.
    if (nextHeader === IP_PROTOCOL.HOP_BY_HOP && offset !== IPV6_HEADER_LENGTH) {
      return paramProblem('badHeader', PARAM_PROBLEM.UNRECOGNIZED_NEXT_HEADER, nextHeaderField, false);
    }
    switch (nextHeader) {
      case IP_PROTOCOL.HOP_BY_HOP: // same TLV options format as Destination Options
      case IP_PROTOCOL.IPV6_DEST_OPTS: {
        const length = extensionLength(packet, offset);
        if (length === undefined) return { kind: 'drop', reason: 'badLength' };
        const verdict = checkOptions(packet, offset + 2, offset + length, dstIsMulticast);
        if (verdict !== undefined) return verdict;
        nextHeaderField = offset;
        nextHeader = packet[offset]!;
        offset += length;
        break;
      }
      case IP_PROTOCOL.IPV6_ROUTING: {
        const length = extensionLength(packet, offset);
        if (length === undefined || length < 4) return { kind: 'drop', reason: 'badLength' };
        const segmentsLeft = packet[offset + 3]!;
        // RFC 8200 §4.4: an unrecognised Routing Type with Segments Left ≠ 0 → Parameter Problem
        // code 0 at the Routing Type. As a host that forwards nothing we recognise no type; type 0
        // is deprecated anyway (RFC 5095 §3). With Segments Left = 0 the header is ignored.
        if (segmentsLeft !== 0) return paramProblem('unsupportedExtension', PARAM_PROBLEM.ERRONEOUS_HEADER, offset + 2, false);
        nextHeaderField = offset;
        nextHeader = packet[offset]!;
        offset += length;
        break;
      }
      case IP_PROTOCOL.IPV6_FRAGMENT:
        return fragmentHeader(packet, offset, nextHeaderField);
      default:
        // An upper-layer protocol (or No Next Header, 59): the walk ends here.
        return { kind: 'upper', protocol: nextHeader, offset, nextHeaderField };
    }
  }
  return { kind: 'drop', reason: 'unsupportedExtension' };
}

/** Length in bytes of a Hdr Ext Len-style header at `offset` (RFC 8200 §4.3), if it fits. */
function extensionLength(packet: Uint8Array, offset: number): number | undefined {
  if (offset + 2 > packet.length) return undefined;
  const length = (packet[offset + 1]! + 1) * 8;
  return offset + length > packet.length ? undefined : length;
}

function paramProblem(reason: DropReason, code: number, pointer: number, evenIfMulticast: boolean): Ipv6Chain {
  return { kind: 'paramProblem', reason, code, pointer, evenIfMulticast };
}

/** RFC 8200 §4.2: TLV options; the two high bits of an unknown type say what to do. */
function checkOptions(packet: Uint8Array, start: number, end: number, dstIsMulticast: boolean): Ipv6Chain | undefined {
  let i = start;
  while (i < end) {
    const type = packet[i]!;
    if (type === 0) {
      i++; // Pad1
      continue;
    }
    if (i + 2 > end) return { kind: 'drop', reason: 'badOption' };
    const dataLength = packet[i + 1]!;
    if (i + 2 + dataLength > end) return { kind: 'drop', reason: 'badOption' };
    if (type !== 1) {
      // Not PadN. We recognise no other option (Router Alert, 0x05, has action 00: skipped).
      switch (type >> 6) {
        case 0: // 00: skip over this option
          break;
        case 1: // 01: discard the packet
          return { kind: 'drop', reason: 'badOption' };
        case 2: // 10: discard, send Parameter Problem code 2 even to a multicast destination
          return paramProblem('badOption', PARAM_PROBLEM.UNRECOGNIZED_OPTION, i, true);
        default: // 11: discard, send Parameter Problem only if the destination was not multicast
          if (dstIsMulticast) return { kind: 'drop', reason: 'badOption' };
          return paramProblem('badOption', PARAM_PROBLEM.UNRECOGNIZED_OPTION, i, false);
      }
    }
    i += 2 + dataLength;
  }
  return undefined;
}

function fragmentHeader(packet: Uint8Array, offset: number, nextHeaderField: number): Ipv6Chain {
  if (offset + IPV6_FRAGMENT_HEADER_LENGTH > packet.length) return { kind: 'drop', reason: 'badLength' };
  const fragmentOffset = ((packet[offset + 2]! << 5) | (packet[offset + 3]! >> 3)) * 8;
  const moreFragments = (packet[offset + 3]! & 1) !== 0;
  const identification = ((packet[offset + 4]! << 24) | (packet[offset + 5]! << 16) | (packet[offset + 6]! << 8) | packet[offset + 7]!) >>> 0;
  const dataOffset = offset + IPV6_FRAGMENT_HEADER_LENGTH;
  const dataLength = packet.length - dataOffset;
  // RFC 8200 §4.5: a non-last fragment whose length is not a multiple of 8 → Parameter Problem
  // code 0 pointing at the Payload Length field.
  if (moreFragments && (dataLength === 0 || dataLength % 8 !== 0)) {
    return paramProblem('badFragment', PARAM_PROBLEM.ERRONEOUS_HEADER, IPV6.PAYLOAD_LENGTH, false);
  }
  // RFC 8200 §4.5: a fragment reaching past 65535 bytes → Parameter Problem code 0 at the Fragment Offset.
  if (fragmentOffset + dataLength > 0xffff) {
    return paramProblem('reassemblyTooLarge', PARAM_PROBLEM.ERRONEOUS_HEADER, offset + 2, false);
  }
  return {
    kind: 'fragment',
    headerOffset: offset,
    nextHeaderField,
    nextHeader: packet[offset]!,
    fragmentOffset,
    moreFragments,
    identification,
    dataOffset,
  };
}
