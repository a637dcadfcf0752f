/**
 * The TCP segment codec (RFC 9293 §3.1). Two levels, as in smoltcp:
 * - `TcpHeader`: a view over the bytes, getters reading named byte offsets (no checks).
 * - `TcpRepr`: the checked, normalised meaning of a segment; `parseTcpSegment` builds it
 *   (checksum with the pseudo-header, data offset, options) and `emitTcpSegment` writes it.
 * The parsed payload is a zero-copy subarray of the input bytes: valid only as long as they are.
 */
import type { IpAddress } from '../ip/address.js';
import { finishChecksum, foldSum, pseudoHeaderSum, sumBytes } from '../ip/checksum.js';
import { allocateWithHeadroom } from '../ip/packet-memory.js';
import { IP_PROTOCOL } from '../ip/types.js';
import { emitTcpOptions, NO_OPTIONS, parseTcpOptions, tcpOptionsLength, type TcpOptions, writeUint32 } from './options.js';

/** Byte offsets of the fixed header fields (RFC 9293 §3.1). */
const FIELD = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
} as const;

export const TCP_HEADER_LENGTH = 20;
export const TCP_MAX_HEADER_LENGTH = 60;

/** Control bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR). */
export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** A view over a TCP header: getters only, no validation (use parseTcpSegment for input). */
export class TcpHeader {
  constructor(readonly bytes: Uint8Array) {}

  get srcPort(): number {
    return this.u16(FIELD.SRC_PORT);
  }
  get dstPort(): number {
    return this.u16(FIELD.DST_PORT);
  }
  get seq(): number {
    return this.u32(FIELD.SEQ);
  }
  get ack(): number {
    return this.u32(FIELD.ACK);
  }
  /** Header length in bytes (data offset × 4). */
  get headerLength(): number {
    return (this.bytes[FIELD.DATA_OFFSET]! >>> 4) * 4;
  }
  get flags(): number {
    return this.bytes[FIELD.FLAGS]!;
  }
  get window(): number {
    return this.u16(FIELD.WINDOW);
  }
  get checksum(): number {
    return this.u16(FIELD.CHECKSUM);
  }
  get urgentPointer(): number {
    return this.u16(FIELD.URGENT);
  }

  private u16(offset: number): number {
    return (this.bytes[offset]! << 8) | this.bytes[offset + 1]!;
  }
  private u32(offset: number): number {
    const b = this.bytes;
    return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
  }
}

/** The checked meaning of a segment. Sequence numbers are unsigned 32-bit numbers. */
export interface TcpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  /** The acknowledgment field (meaningful only with the ACK flag; 0 otherwise when we emit). */
  readonly ack: number;
  /** Control bits, a TcpFlags mask. */
  readonly flags: number;
  /** The raw 16-bit window field (unscaled). */
  readonly window: number;
  readonly urgent: number;
  readonly options: TcpOptions;
  readonly payload: Uint8Array;
}

export type TcpSegment = TcpRepr;

/** The sequence space a segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4). */
export function segmentLength(segment: TcpRepr): number {
  return segment.payload.length + (segment.flags & TcpFlags.SYN ? 1 : 0) + (segment.flags & TcpFlags.FIN ? 1 : 0);
}

export function hasFlag(segment: TcpRepr, flag: number): boolean {
  return (segment.flags & flag) !== 0;
}

/**
 * Parse and check a segment received from `src` for `dst` (the IP addresses select the
 * pseudo-header, RFC 9293 §3.1 / RFC 8200 §8.1). Returns a drop reason instead of throwing.
 */
export function parseTcpSegment(bytes: Uint8Array, src: IpAddress, dst: IpAddress): TcpRepr | 'badLength' | 'badChecksum' | 'tcpMalformed' {
  if (bytes.length < TCP_HEADER_LENGTH) return 'badLength';
  const header = new TcpHeader(bytes);
  const headerLength = header.headerLength;
  // RFC 9293 §3.1: the data offset counts 32-bit words, at least 5, and must lie within the segment.
  if (headerLength < TCP_HEADER_LENGTH || headerLength > bytes.length) return 'tcpMalformed';
  const sum = sumBytes(bytes, 0, bytes.length, pseudoHeaderSum(src, dst, IP_PROTOCOL.TCP, bytes.length));
  if (foldSum(sum) !== 0xffff) return 'badChecksum';
  const options = parseTcpOptions(bytes, TCP_HEADER_LENGTH, headerLength);
  if (options === 'tcpMalformed') return options;
  return {
    srcPort: header.srcPort,
    dstPort: header.dstPort,
    seq: header.seq,
    ack: header.ack,
    flags: header.flags,
    window: header.window,
    urgent: header.urgentPointer,
    options,
    payload: bytes.subarray(headerLength),
  };
}

/** Header length (with options) the repr will take when emitted. */
export function tcpHeaderLength(repr: Pick<TcpRepr, 'options'>): number {
  return TCP_HEADER_LENGTH + tcpOptionsLength(repr.options);
}

/**
 * Encode a segment from `src` to `dst`, checksum included, into new bytes; `headroom` bytes are
 * left free before them in the same buffer for the IP header (OutboundDatagram.headroom).
 */
export function emitTcpSegment(repr: TcpRepr, src: IpAddress, dst: IpAddress, headroom = 0): Uint8Array {
  const headerLength = tcpHeaderLength(repr);
  const bytes = allocateWithHeadroom(headroom, headerLength + repr.payload.length);
  bytes[FIELD.SRC_PORT] = repr.srcPort >>> 8;
  bytes[FIELD.SRC_PORT + 1] = repr.srcPort & 0xff;
  bytes[FIELD.DST_PORT] = repr.dstPort >>> 8;
  bytes[FIELD.DST_PORT + 1] = repr.dstPort & 0xff;
  writeUint32(bytes, FIELD.SEQ, repr.seq);
  writeUint32(bytes, FIELD.ACK, repr.ack);
  bytes[FIELD.DATA_OFFSET] = (headerLength / 4) << 4;
  bytes[FIELD.FLAGS] = repr.flags & 0xff;
  bytes[FIELD.WINDOW] = (repr.window >>> 8) & 0xff;
  bytes[FIELD.WINDOW + 1] = repr.window & 0xff;
  bytes[FIELD.URGENT] = (repr.urgent >>> 8) & 0xff;
  bytes[FIELD.URGENT + 1] = repr.urgent & 0xff;
  emitTcpOptions(repr.options, bytes, TCP_HEADER_LENGTH);
  bytes.set(repr.payload, headerLength);
  const sum = sumBytes(bytes, 0, bytes.length, pseudoHeaderSum(src, dst, IP_PROTOCOL.TCP, bytes.length));
  const checksum = finishChecksum(sum);
  bytes[FIELD.CHECKSUM] = checksum >>> 8;
  bytes[FIELD.CHECKSUM + 1] = checksum & 0xff;
  return bytes;
}

/** A readable one-line form for traces and test failures: "SYN,ACK seq=1 ack=2 win=100 len=0". */
export function describeSegment(segment: TcpRepr): string {
  const names = Object.entries(TcpFlags)
    .filter(([, bit]) => segment.flags & bit)
    .map(([name]) => name);
  return `${segment.srcPort}>${segment.dstPort} ${names.join(',') || 'none'} seq=${segment.seq} ack=${segment.ack} win=${segment.window} len=${segment.payload.length}`;
}

export { NO_OPTIONS };
