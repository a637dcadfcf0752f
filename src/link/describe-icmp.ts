/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443, RFC 4861 neighbour discovery) summaries for describePacket.
 * Defensive: short messages are reported, never read past their end.
 */
import { describeQuoted, formatAddress, readU16, readU32 } from './describe.js';

const ICMP4_UNREACHABLE: Record<number, string> = {
  0: 'net unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable',
  5: 'source route failed', 6: 'net unknown', 7: 'host unknown', 9: 'net administratively prohibited',
  10: 'host administratively prohibited', 11: 'net unreachable for TOS', 12: 'host unreachable for TOS',
  13: 'communication administratively prohibited',
};

const ICMP4_SIMPLE: Record<number, string> = {
  4: 'source quench', 9: 'router advertisement', 10: 'router solicitation', 13: 'time stamp request',
  14: 'time stamp reply', 15: 'information request', 16: 'information reply',
};

export function describeIcmp4(icmp: Uint8Array): string {
  // RFC 792: type, code, checksum, then 4 bytes that depend on the type, then data.
  if (icmp.length < 8) return `malformed ICMP (${icmp.length} bytes, shorter than a header)`;
  const type = icmp[0]!;
  const code = icmp[1]!;
  const length = `length ${icmp.length}`;
  const quote = (): string => ` (${describeQuoted(icmp.subarray(8))})`;
  switch (type) {
    case 0:
    case 8:
      return `ICMP echo ${type === 8 ? 'request' : 'reply'}, id ${readU16(icmp, 4)}, seq ${readU16(icmp, 6)}, ${length}`;
    case 3:
      // RFC 1191 §4: code 4 carries the next-hop MTU in the low 16 bits of the second word.
      if (code === 4) return `ICMP unreachable - need to frag (mtu ${readU16(icmp, 6)})${quote()}, ${length}`;
      return `ICMP ${ICMP4_UNREACHABLE[code] ?? `unreachable code ${code}`}${quote()}, ${length}`;
    case 5:
      return `ICMP redirect to ${formatAddress(icmp, 4, 4)} (code ${code})${quote()}, ${length}`;
    case 11:
      return `ICMP time exceeded ${code === 0 ? 'in-transit' : code === 1 ? 'in reassembly' : `code ${code}`}${quote()}, ${length}`;
    case 12:
      return `ICMP parameter problem, pointer ${icmp[4]} (code ${code})${quote()}, ${length}`;
    default:
      return `ICMP ${ICMP4_SIMPLE[type] ?? `type ${type}`}${code !== 0 ? ` code ${code}` : ''}, ${length}`;
  }
}

const ICMP6_UNREACHABLE: Record<number, string> = {
  0: 'no route to destination', 1: 'administratively prohibited', 2: 'beyond scope of source address',
  3: 'address unreachable', 4: 'port unreachable', 5: 'source address failed policy', 6: 'reject route',
};

const ICMP6_SIMPLE: Record<number, string> = {
  130: 'multicast listener query', 131: 'multicast listener report', 132: 'multicast listener done',
  143: 'multicast listener report v2',
};

export function describeIcmp6(icmp: Uint8Array): string {
  // RFC 4443 §2.1: type, code, checksum, then a type-specific body.
  if (icmp.length < 4) return `malformed ICMP6 (${icmp.length} bytes, shorter than a header)`;
  const type = icmp[0]!;
  const code = icmp[1]!;
  const length = `length ${icmp.length}`;
  const need = (bytes: number, what: string): string | undefined =>
    icmp.length < bytes ? `malformed ICMP6 (${what} of ${icmp.length} bytes, needs ${bytes})` : undefined;
  const quote = (): string => ` (${describeQuoted(icmp.subarray(8))})`;
  switch (type) {
    case 1: // RFC 4443 §3.1
      return need(8, 'destination unreachable') ?? `ICMP6, destination unreachable, ${ICMP6_UNREACHABLE[code] ?? `code ${code}`}${quote()}, ${length}`;
    case 2: // RFC 4443 §3.2
      return need(8, 'packet too big') ?? `ICMP6, packet too big, mtu ${readU32(icmp, 4)}${quote()}, ${length}`;
    case 3: // RFC 4443 §3.3
      return (
        need(8, 'time exceeded') ??
        `ICMP6, time exceeded ${code === 0 ? 'in-transit' : code === 1 ? 'in reassembly' : `code ${code}`}${quote()}, ${length}`
      );
    case 4: // RFC 4443 §3.4
      return need(8, 'parameter problem') ?? `ICMP6, parameter problem, code ${code}, pointer ${readU32(icmp, 4)}${quote()}, ${length}`;
    case 128:
    case 129: // RFC 4443 §4.1, §4.2
      return (
        need(8, 'echo') ??
        `ICMP6, echo ${type === 128 ? 'request' : 'reply'}, id ${readU16(icmp, 4)}, seq ${readU16(icmp, 6)}, ${length}`
      );
    case 133: // RFC 4861 §4.1
      return need(8, 'router solicitation') ?? `ICMP6, router solicitation, ${length}`;
    case 134:
      return need(16, 'router advertisement') ?? describeRouterAdvertisement(icmp);
    case 135: // RFC 4861 §4.3
      return need(24, 'neighbor solicitation') ?? `ICMP6, neighbor solicitation, who has ${formatAddress(icmp, 8, 16)}, ${length}`;
    case 136: {
      // RFC 4861 §4.4: R, S, O flags in the first byte of the body.
      const short = need(24, 'neighbor advertisement');
      if (short) return short;
      const flags = [icmp[4]! & 0x80 ? 'router' : '', icmp[4]! & 0x40 ? 'solicited' : '', icmp[4]! & 0x20 ? 'override' : ''];
      return `ICMP6, neighbor advertisement, tgt is ${formatAddress(icmp, 8, 16)}, flags [${flags.filter(Boolean).join(', ')}], ${length}`;
    }
    case 137: // RFC 4861 §4.5
      return need(40, 'redirect') ?? `ICMP6, redirect, ${formatAddress(icmp, 24, 16)} to ${formatAddress(icmp, 8, 16)}, ${length}`;
    default:
      return `ICMP6, ${ICMP6_SIMPLE[type] ?? `type ${type}`}${code !== 0 ? ` code ${code}` : ''}, ${length}`;
  }
}

function describeRouterAdvertisement(icmp: Uint8Array): string {
  // RFC 4861 §4.2: cur hop limit, M/O flags, router lifetime, reachable time, retrans timer, options.
  const flags = [icmp[5]! & 0x80 ? 'managed' : '', icmp[5]! & 0x40 ? 'other stateful' : ''].filter(Boolean);
  const parts = [
    'ICMP6, router advertisement',
    `hop limit ${icmp[4]}`,
    `flags [${flags.join(', ')}]`,
    `router lifetime ${readU16(icmp, 6)}s`,
  ];
  // RFC 4861 §4.6: options are (type, length in 8-byte units, ...).
  for (let at = 16; at + 2 <= icmp.length; ) {
    const optionLength = icmp[at + 1]! * 8;
    if (optionLength === 0 || at + optionLength > icmp.length) {
      parts.push('bad option');
      break;
    }
    const optionType = icmp[at]!;
    if (optionType === 3 && optionLength === 32) parts.push(`prefix ${formatAddress(icmp, at + 16, 16)}/${icmp[at + 2]}`);
    if (optionType === 5 && optionLength === 8) parts.push(`mtu ${readU32(icmp, at + 4)}`);
    at += optionLength;
  }
  parts.push(`length ${icmp.length}`);
  return parts.join(', ');
}
