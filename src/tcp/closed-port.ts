/**
 * Replies for segments that find no connection: a closed port (RFC 9293 §3.10.7.1) and a
 * listener (RFC 9293 §3.10.7.2). Pure functions of the incoming segment.
 */
import { NO_OPTIONS } from './options.js';
import { hasFlag, segmentLength, TcpFlags, type TcpRepr } from './segment.js';
import { seqAdd } from './seq.js';

const EMPTY = new Uint8Array(0);

function reset(incoming: TcpRepr, seq: number, ack: number, flags: number): TcpRepr {
  return { srcPort: incoming.dstPort, dstPort: incoming.srcPort, seq: seq >>> 0, ack: ack >>> 0, flags, window: 0, urgent: 0, options: NO_OPTIONS, payload: EMPTY };
}

/**
 * RFC 9293 §3.10.7.1 (CLOSED): an incoming RST is discarded; otherwise answer with a RST:
 * <SEQ=SEG.ACK><CTL=RST> if the segment has ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function replyToClosedPort(segment: TcpRepr): TcpRepr | undefined {
  if (hasFlag(segment, TcpFlags.RST)) return undefined;
  if (hasFlag(segment, TcpFlags.ACK)) return reset(segment, segment.ack, 0, TcpFlags.RST);
  return reset(segment, 0, seqAdd(segment.seq, segmentLength(segment)), TcpFlags.RST | TcpFlags.ACK);
}

/** 'accept' (open a connection), 'drop', or the RST to send back. */
export type ListenerVerdict = 'accept' | 'drop' | TcpRepr;

/**
 * RFC 9293 §3.10.7.2 (LISTEN): RST is ignored; any ACK gets <SEQ=SEG.ACK><CTL=RST>; a SYN
 * opens a connection (the caller checks the backlog); anything else is dropped.
 */
export function listenerVerdict(segment: TcpRepr): ListenerVerdict {
  if (hasFlag(segment, TcpFlags.RST)) return 'drop';
  if (hasFlag(segment, TcpFlags.ACK)) return reset(segment, segment.ack, 0, TcpFlags.RST);
  if (hasFlag(segment, TcpFlags.SYN)) return 'accept';
  return 'drop';
}
