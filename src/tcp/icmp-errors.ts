/**
 * ICMP errors about our segments (RFC 1122 §4.2.3.9, RFC 5927, RFC 5461, RFC 1191 / RFC 8201).
 *
 * Every report is first checked against the connection's sequence space (RFC 5927 §4.1): the
 * quoted sequence number must be one we sent and the peer has not acknowledged, so an attacker
 * who does not see the traffic cannot forge an error that counts.
 * - Hard errors (port or protocol unreachable) refuse a connection still in SYN-SENT; in a
 *   synchronized state every ICMP error is soft (RFC 5461 §4, RFC 1122 §4.2.3.9): it never
 *   closes the connection (RFC 5927 §5.2).
 * - "Fragmentation needed" (RFC 1191) / "Packet too big" (RFC 8201) lowers the send MSS and
 *   resends from SND.UNA at once; a report below the protocol's minimum MTU (576 / 1280) or one
 *   that would not lower the MSS is ignored (RFC 5927 §7.2), so a forged report cannot shrink
 *   the segments to a crawl.
 */
import type { IcmpErrorReport } from '../ip/types.js';
import { readUint32 } from './options.js';
import { seqLe, seqLt } from './seq.js';
import { isSynchronized, type Tcb } from './tcb.js';

/** RFC 1191 §3 / RFC 791: every IPv4 host accepts 576-byte datagrams; RFC 8200 §5: IPv6 links carry 1280. */
export const MIN_PATH_MTU = { 4: 576, 6: 1280 } as const;

/** IP + TCP header bytes without options: an MTU minus these is an MSS (RFC 9293 §3.7.1). */
const HEADERS = { 4: 40, 6: 60 } as const;

/** What an ICMP error did to the connection (for counters and tests). */
export type IcmpVerdict = 'outOfWindow' | 'mtuTooSmall' | 'mtuNotLower' | 'mssLowered' | 'refused' | 'soft';

/** RFC 5927 §4.1: SND.UNA <= quoted SEG.SEQ < SND.NXT (SND.MAX here: the highest ever sent). */
export function quotesOutstandingSequence(tcb: Tcb, quoted: Uint8Array): boolean {
  if (quoted.length < 8) return false;
  const seq = readUint32(quoted, 4);
  return seqLe(tcb.sndUna, seq) && seqLt(seq, tcb.sndMax);
}

export function applyIcmpError(tcb: Tcb, report: IcmpErrorReport): IcmpVerdict {
  if (!quotesOutstandingSequence(tcb, report.originalPayload)) {
    tcb.drop('tcpIcmpOutOfWindow'); // RFC 5927 §4.1: not a segment of ours in flight — ignore
    return 'outOfWindow';
  }
  tcb.count('icmpErrors');
  if (report.kind === 'fragmentationNeeded') return lowerPathMtu(tcb, report.mtu);
  // RFC 1122 §4.2.3.9: port and protocol unreachable are hard errors; abort a connection attempt.
  if ((report.kind === 'portUnreachable' || report.kind === 'protocolUnreachable') && tcb.state === 'SYN-SENT') {
    tcb.fail('ECONNREFUSED');
    return 'refused';
  }
  return 'soft'; // RFC 5461 §4 / RFC 5927 §5.2: soft in synchronized states, the connection lives on
}

/** RFC 1191 §6.3–6.5, RFC 8201 §4–5: a smaller path MTU, then resend what was too big. */
function lowerPathMtu(tcb: Tcb, mtu: number): IcmpVerdict {
  const family = tcb.remoteAddress.family;
  // RFC 8201 §4: a Packet Too Big below 1280 is discarded; RFC 5927 §7.2: likewise an IPv4
  // report below 576 (also the RFC 1191 §5 "MTU 0" of old routers: we do not guess a plateau).
  if (!(mtu >= MIN_PATH_MTU[family])) {
    tcb.drop('tcpIcmpMtuTooSmall');
    return 'mtuTooSmall';
  }
  const mss = mtu - HEADERS[family];
  // RFC 1191 §6.3: a report never raises the estimate, and one at or above what we send changes nothing.
  if (mss >= Math.min(tcb.peerMss, tcb.advertisedMss, tcb.pathMss)) {
    tcb.count('icmpPathMtuIgnored');
    return 'mtuNotLower';
  }
  tcb.pathMss = mss;
  tcb.congestion.setMss(tcb.sendMss);
  tcb.count('pathMtuUpdates');
  // RFC 1191 §6.5 / RFC 8201 §5.2: the segment was dropped, not congestion — resend from
  // SND.UNA at the new size now, without touching cwnd (sendData skips what was SACKed).
  if (isSynchronized(tcb.state)) {
    tcb.sndNxt = tcb.sndUna;
    tcb.rttSeq = undefined; // Karn's rule: no sample from what is about to be resent
  }
  return 'mssLowered';
}
