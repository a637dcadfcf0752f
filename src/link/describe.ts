/**
 * One line of human-readable text for an IP packet, tcpdump-style:
 *   IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 65535, options [mss 1460,sackOK], length 0
 *   IP6 fe80::1 > ff02::1: ICMP6, neighbor solicitation, who has fe80::2, length 32
 * Parsed here, independently of the stack's codecs (so it can be trusted to debug them),
 * and defensively: any input, however malformed, gives a line and never throws.
 */
import { IpAddress } from '../ip/address.js';
import { sumBytes, foldSum } from '../ip/checksum.js';
import { describeIcmp4, describeIcmp6 } from './describe-icmp.js';

const PROTOCOL_NAMES: Record<number, string> = {
  0: 'HOPOPT', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 43: 'IPv6-Route', 44: 'IPv6-Frag',
  47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMP6', 59: 'IPv6-NoNxt', 60: 'IPv6-Opts', 132: 'SCTP',
};

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol] ?? `proto ${protocol}`;
}

/** A summary of one IP packet. Never throws. */
export function describePacket(bytes: Uint8Array): string {
  try {
    if (bytes.length === 0) return 'malformed packet (empty)';
    const version = bytes[0]! >> 4;
    if (version === 4) return describeIpv4(bytes);
    if (version === 6) return describeIpv6(bytes);
    return `malformed packet (IP version ${version}, ${bytes.length} bytes)`;
  } catch (error) {
    return `malformed packet (internal error: ${(error as Error)?.message ?? 'unreadable'})`;
  }
}

export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function formatAddress(bytes: Uint8Array, at: number, length: 4 | 16): string {
  return IpAddress.fromBytes(bytes, at, length).toString();
}

interface Fragment {
  id: number;
  offset: number;
  more: boolean;
}

function fragmentNote(fragment: Fragment | undefined): string {
  if (fragment === undefined) return '';
  return ` (frag id ${fragment.id} offset ${fragment.offset}${fragment.more ? ' MF' : ''})`;
}

function describeIpv4(bytes: Uint8Array): string {
  // RFC 791 §3.1: version/IHL, total length, id, flags/fragment offset, TTL, protocol, checksum, addresses.
  if (bytes.length < 20) return `malformed IPv4 (${bytes.length} bytes, shorter than a header)`;
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < 20) return `malformed IPv4 (header length ${headerLength} < 20)`;
  const totalLength = readU16(bytes, 2);
  if (totalLength < headerLength) return `malformed IPv4 (total length ${totalLength} < header length ${headerLength})`;
  if (totalLength > bytes.length) return `malformed IPv4 (total length ${totalLength} > ${bytes.length} bytes received)`;
  const src = formatAddress(bytes, 12, 4);
  const dst = formatAddress(bytes, 16, 4);
  const flagsAndOffset = readU16(bytes, 6);
  const offset = (flagsAndOffset & 0x1fff) * 8;
  const more = (flagsAndOffset & 0x2000) !== 0;
  const fragment = offset !== 0 || more ? { id: readU16(bytes, 4), offset, more } : undefined;
  const badChecksum = foldSum(sumBytes(bytes, 0, headerLength)) !== 0xffff ? ' [bad ip cksum]' : '';
  const protocol = bytes[9]!;
  const line = describeTransport(4, protocol, bytes, headerLength, totalLength, src, dst, fragment);
  return `IP ${line}${fragmentNote(fragment)}${badChecksum}`;
}

/** RFC 8200 §4: extension headers the walk steps over (hop-by-hop, routing, destination options, AH). */
const SKIPPABLE_EXTENSIONS = new Set([0, 43, 60, 51]);

function describeIpv6(bytes: Uint8Array): string {
  // RFC 8200 §3: 40-byte header; payload length counts everything after it.
  if (bytes.length < 40) return `malformed IPv6 (${bytes.length} bytes, shorter than a header)`;
  const payloadLength = readU16(bytes, 4);
  if (payloadLength === 0 && bytes[6] === 0) return 'malformed IPv6 (jumbogram or zero payload length with hop-by-hop)';
  const end = 40 + payloadLength;
  if (end > bytes.length) return `malformed IPv6 (payload length ${payloadLength} > ${bytes.length - 40} bytes received)`;
  const src = formatAddress(bytes, 8, 16);
  const dst = formatAddress(bytes, 24, 16);
  let next = bytes[6]!;
  let at = 40;
  let fragment: Fragment | undefined;
  for (let hops = 0; hops < 16; hops++) {
    if (SKIPPABLE_EXTENSIONS.has(next)) {
      if (at + 2 > end) return `IP6 ${src} > ${dst}: malformed IPv6 (truncated ${protocolName(next)} header)`;
      // AH counts 4-byte units minus 2 (RFC 4302 §2.2); the others 8-byte units minus 1.
      const length = next === 51 ? (bytes[at + 1]! + 2) * 4 : (bytes[at + 1]! + 1) * 8;
      if (at + length > end) return `IP6 ${src} > ${dst}: malformed IPv6 (truncated ${protocolName(next)} header)`;
      next = bytes[at]!;
      at += length;
      continue;
    }
    if (next === 44) {
      // RFC 8200 §4.5: next header, reserved, offset(13)/res(2)/M(1), identification(32).
      if (at + 8 > end) return `IP6 ${src} > ${dst}: malformed IPv6 (truncated fragment header)`;
      const offsetAndFlags = readU16(bytes, at + 2);
      fragment = { id: readU32(bytes, at + 4), offset: offsetAndFlags & 0xfff8, more: (offsetAndFlags & 1) !== 0 };
      next = bytes[at]!;
      at += 8;
      continue;
    }
    break;
  }
  if (next === 59) return `IP6 ${src} > ${dst}: no next header, length ${end - at}${fragmentNote(fragment)}`;
  return `IP6 ${describeTransport(6, next, bytes, at, end, src, dst, fragment)}${fragmentNote(fragment)}`;
}

/** "src > dst: what", with ports attached to the addresses for TCP and UDP. */
function describeTransport(
  family: 4 | 6,
  protocol: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  src: string,
  dst: string,
  fragment: Fragment | undefined,
): string {
  const name = protocolName(protocol);
  if (fragment !== undefined && fragment.offset !== 0) return `${src} > ${dst}: ${name} fragment, length ${end - start}`;
  const payload = bytes.subarray(start, end);
  switch (protocol) {
    case 6:
      return describeTcp(payload, src, dst);
    case 17:
      return describeUdp(payload, src, dst, fragment !== undefined);
    case 1:
      return `${src} > ${dst}: ${describeIcmp4(payload)}`;
    case 58:
      return `${src} > ${dst}: ${describeIcmp6(payload)}`;
    default:
      return `${src} > ${dst}: ${name}, length ${payload.length}`;
  }
}

function describeUdp(udp: Uint8Array, src: string, dst: string, firstFragment: boolean): string {
  // RFC 768: ports, length (header + data), checksum.
  if (udp.length < 8) return `${src} > ${dst}: malformed UDP (${udp.length} bytes, shorter than a header)`;
  const sourcePort = readU16(udp, 0);
  const destinationPort = readU16(udp, 2);
  const length = readU16(udp, 4);
  const endpoints = `${src}.${sourcePort} > ${dst}.${destinationPort}`;
  if (length < 8) return `${endpoints}: malformed UDP (length field ${length} < 8)`;
  if (length > udp.length && !firstFragment) return `${endpoints}: UDP, length ${length - 8} (only ${udp.length - 8} bytes present)`;
  return `${endpoints}: UDP, length ${length - 8}`;
}

/** tcpdump's flag letters, in its order. */
const TCP_FLAGS: readonly [number, string][] = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'],
];

function describeTcp(tcp: Uint8Array, src: string, dst: string): string {
  // RFC 9293 §3.1: ports, seq, ack, data offset, flags, window, checksum, urgent pointer, options.
  if (tcp.length < 20) return `${src} > ${dst}: malformed TCP (${tcp.length} bytes, shorter than a header)`;
  const endpoints = `${src}.${readU16(tcp, 0)} > ${dst}.${readU16(tcp, 2)}`;
  const headerLength = (tcp[12]! >> 4) * 4;
  if (headerLength < 20 || headerLength > tcp.length) {
    return `${endpoints}: malformed TCP (data offset ${headerLength} bytes, segment ${tcp.length})`;
  }
  const flagBits = tcp[13]!;
  let flags = '';
  for (const [bit, letter] of TCP_FLAGS) if (flagBits & bit) flags += letter;
  if (tcp[12]! & 0x01) flags += 'N'; // RFC 3540 nonce sum (historic)
  const parts = [`Flags [${flags || 'none'}]`, `seq ${readU32(tcp, 4)}`];
  if (flagBits & 0x10) parts.push(`ack ${readU32(tcp, 8)}`);
  parts.push(`win ${readU16(tcp, 14)}`);
  if (flagBits & 0x20) parts.push(`urg ${readU16(tcp, 18)}`);
  if (headerLength > 20) parts.push(`options [${describeTcpOptions(tcp.subarray(20, headerLength))}]`);
  parts.push(`length ${tcp.length - headerLength}`);
  return `${endpoints}: ${parts.join(', ')}`;
}

function describeTcpOptions(options: Uint8Array): string {
  const out: string[] = [];
  let at = 0;
  while (at < options.length) {
    const kind = options[at]!;
    if (kind === 0) {
      out.push('eol'); // RFC 9293 §3.2: end of option list
      break;
    }
    if (kind === 1) {
      out.push('nop');
      at++;
      continue;
    }
    if (at + 2 > options.length) {
      out.push('bad opts');
      break;
    }
    const length = options[at + 1]!;
    if (length < 2 || at + length > options.length) {
      out.push(`bad opts (kind ${kind} length ${length})`);
      break;
    }
    out.push(describeTcpOption(kind, options.subarray(at + 2, at + length)));
    at += length;
  }
  return out.join(',');
}

function describeTcpOption(kind: number, body: Uint8Array): string {
  switch (kind) {
    case 2: // RFC 9293 §3.2: MSS
      return body.length === 2 ? `mss ${readU16(body, 0)}` : `mss (bad length ${body.length + 2})`;
    case 3: // RFC 7323 §2: window scale
      return body.length === 1 ? `wscale ${body[0]}` : `wscale (bad length ${body.length + 2})`;
    case 4: // RFC 2018 §2: SACK permitted
      return body.length === 0 ? 'sackOK' : `sackOK (bad length ${body.length + 2})`;
    case 5: {
      // RFC 2018 §3: SACK blocks of (left, right) edges
      if (body.length % 8 !== 0) return `sack (bad length ${body.length + 2})`;
      let blocks = '';
      for (let i = 0; i < body.length; i += 8) blocks += `{${readU32(body, i)}:${readU32(body, i + 4)}}`;
      return `sack ${body.length / 8} ${blocks}`;
    }
    case 8: // RFC 7323 §3: timestamps
      return body.length === 8 ? `TS val ${readU32(body, 0)} ecr ${readU32(body, 4)}` : `TS (bad length ${body.length + 2})`;
    case 34: // RFC 7413 §4.1.1: TCP Fast Open cookie
      return `tfo${body.length === 0 ? ' cookiereq' : ` cookie ${hex(body)}`}`;
    default:
      return `unknown-${kind}${body.length > 0 ? ` 0x${hex(body)}` : ''}`;
  }
}

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Endpoints of a packet quoted inside an ICMP error: "UDP 10.0.0.1.5000 > 10.0.0.2.53" (best effort on a truncated quote). */
export function describeQuoted(quote: Uint8Array): string {
  const version = quote.length > 0 ? quote[0]! >> 4 : 0;
  let protocol: number;
  let at: number;
  let src: string;
  let dst: string;
  if (version === 4 && quote.length >= 20) {
    at = (quote[0]! & 0x0f) * 4;
    protocol = quote[9]!;
    src = formatAddress(quote, 12, 4);
    dst = formatAddress(quote, 16, 4);
  } else if (version === 6 && quote.length >= 40) {
    at = 40;
    protocol = quote[6]!;
    src = formatAddress(quote, 8, 16);
    dst = formatAddress(quote, 24, 16);
  } else {
    return `unreadable quote (${quote.length} bytes)`;
  }
  if ((protocol === 6 || protocol === 17) && at + 4 <= quote.length) {
    return `${protocolName(protocol)} ${src}.${readU16(quote, at)} > ${dst}.${readU16(quote, at + 2)}`;
  }
  return `${protocolName(protocol)} ${src} > ${dst}`;
}
