/**
 * ICMP errors about our segments (RFC 1122 §4.2.3.9, RFC 5927, RFC 5461, RFC 1191 / RFC 8201).
 * Hard errors (port or protocol unreachable) refuse a connection still in SYN-SENT; everything
 * else is a soft error in synchronized states (RFC 5461 §4). "Fragmentation needed" / "Packet
 * too big" lowers the send MSS and resends from SND.UNA at once.
 */
import type { IcmpErrorReport } from '../ip/types.js';
import { readUint32 } from './options.js';
import { seqBetween } from './seq.js';
import type { Tcb } from './tcb.js';

/** The smallest MSS a path MTU report may push us to. */
const MIN_PATH_MSS = 256;

export function applyIcmpError(tcb: Tcb, report: IcmpErrorReport): void {
  const quoted = report.originalPayload;
  // RFC 5927 §4.1: the quoted sequence number must lie in SND.UNA..SND.MAX, else ignore.
  if (quoted.length < 8 || !seqBetween(tcb.sndUna, readUint32(quoted, 4), tcb.sndMax)) {
    tcb.drop('tcpIcmpOutOfWindow');
    return;
  }
  tcb.count('icmpErrors');
  if (report.kind === 'fragmentationNeeded') {
    if (report.mtu <= 0) return;
    const mss = Math.max(MIN_PATH_MSS, report.mtu - (tcb.remoteAddress.family === 4 ? 40 : 60));
    if (mss >= tcb.pathMss) return;
    tcb.pathMss = mss;
    tcb.congestion.setMss(tcb.sendMss);
    tcb.sndNxt = tcb.sndUna; // RFC 1191 §6.5 / RFC 8201 §5.2: resend what was too big, now
    tcb.rttSeq = undefined;
    return;
  }
  // RFC 1122 §4.2.3.9: port and protocol unreachable are hard errors; abort a connection attempt.
  if ((report.kind === 'portUnreachable' || report.kind === 'protocolUnreachable') && tcb.state === 'SYN-SENT') {
    tcb.fail('ECONNREFUSED');
  }
}
