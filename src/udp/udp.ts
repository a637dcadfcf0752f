/**
 * UDP header codec (RFC 768): enough to deliver to a port and to answer a closed one.
 */
import type { IpAddress } from '../ip/address.js';
import { checksumVerifies, finishChecksum, pseudoHeaderSum, sumBytes } from '../ip/checksum.js';
import { IP_PROTOCOL } from '../ip/types.js';
import type { DropReason } from '../stats.js';

export const UDP_HEADER_LENGTH = 8;

export class UdpPacket {
  constructor(readonly bytes: Uint8Array) {}
  get srcPort(): number {
    return (this.bytes[0]! << 8) | this.bytes[1]!;
  }
  get dstPort(): number {
    return (this.bytes[2]! << 8) | this.bytes[3]!;
  }
  get length(): number {
    return (this.bytes[4]! << 8) | this.bytes[5]!;
  }
  get checksum(): number {
    return (this.bytes[6]! << 8) | this.bytes[7]!;
  }
}

export interface UdpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  /** The data, a view up to the UDP length field. */
  readonly data: Uint8Array;
}

/** Validate a UDP datagram carried between src and dst (RFC 768; RFC 8200 §8.1 for IPv6). */
export function parseUdp(bytes: Uint8Array, src: IpAddress, dst: IpAddress): UdpRepr | DropReason {
  if (bytes.length < UDP_HEADER_LENGTH) return 'badLength';
  const view = new UdpPacket(bytes);
  const length = view.length;
  if (length < UDP_HEADER_LENGTH || length > bytes.length) return 'badLength';
  const checksum = view.checksum;
  if (checksum === 0) {
    // RFC 768: zero means "no checksum" over IPv4; RFC 8200 §8.1: over IPv6 it is invalid.
    if (src.family === 6) return 'badChecksum';
  } else {
    const pseudo = pseudoHeaderSum(src, dst, IP_PROTOCOL.UDP, length);
    if (!checksumVerifies(bytes, 0, length, pseudo)) return 'badChecksum';
  }
  return { srcPort: view.srcPort, dstPort: view.dstPort, data: bytes.subarray(UDP_HEADER_LENGTH, length) };
}

/** Build a UDP datagram with its checksum (0 is sent as 0xffff, RFC 768). */
export function emitUdp(srcPort: number, dstPort: number, data: Uint8Array, src: IpAddress, dst: IpAddress): Uint8Array {
  const length = UDP_HEADER_LENGTH + data.length;
  const out = new Uint8Array(length);
  out[0] = srcPort >> 8;
  out[1] = srcPort & 0xff;
  out[2] = dstPort >> 8;
  out[3] = dstPort & 0xff;
  out[4] = length >> 8;
  out[5] = length & 0xff;
  out.set(data, UDP_HEADER_LENGTH);
  const checksum = finishChecksum(sumBytes(out, 0, length, pseudoHeaderSum(src, dst, IP_PROTOCOL.UDP, length))) || 0xffff;
  out[6] = checksum >> 8;
  out[7] = checksum & 0xff;
  return out;
}
