/**
 * Received ICMP (RFC 792) and ICMPv6 (RFC 4443): echo requests answered, echo replies handed
 * to ping listeners, errors matched to a datagram we sent and handed to its transport's
 * ProtocolHandler.receiveIcmpError. NDP and MLD are counted and ignored (point-to-point TUN).
 */
import { IpAddress, type IpFamily } from './address.js';
import { ICMP4_TYPE, ICMP4_UNREACHABLE, parseIcmp4, emitIcmp4 } from './icmp4.js';
import { ICMP6_TYPE, ICMP6_UNREACHABLE, isNdpOrMld, parseIcmp6, emitIcmp6 } from './icmp6.js';
import type { Inbound } from './inbound.js';
import { IPV6_HEADER_LENGTH } from './ipv6.js';
import { IP_PROTOCOL, type IcmpErrorKind, type IcmpErrorReport, type OutboundDatagram, type ProtocolHandler, type SendResult } from './types.js';
import type { Counters, DropReason } from '../stats.js';

export interface EchoReply {
  readonly family: IpFamily;
  /** Who answered. */
  readonly from: IpAddress;
  readonly to: IpAddress;
  readonly id: number;
  readonly seq: number;
  /** The echoed data: a view valid only during the callback. */
  readonly data: Uint8Array;
  readonly ttl: number;
}

export interface IcmpInputHost {
  readonly counters: Counters;
  send(datagram: OutboundDatagram): SendResult;
  isLocalAddress(address: IpAddress): boolean;
  handlerFor(protocol: number): ProtocolHandler | undefined;
  replySource(inbound: Inbound): IpAddress | undefined;
  /** Record the packet's outcome: handled (delivered) or dropped. */
  handled(): void;
  dropped(layer: string, reason: DropReason): void;
  echoReplied(reply: EchoReply, now: number): void;
}

export function receiveIcmp4(host: IcmpInputHost, inbound: Inbound, now: number): void {
  const counters = host.counters;
  const message = parseIcmp4(inbound.packet.subarray(inbound.payloadOffset));
  if (typeof message === 'string') return host.dropped('icmp4', message);
  counters.count('icmp4.in');
  switch (message.type) {
    case ICMP4_TYPE.ECHO_REQUEST: {
      counters.count('icmp4.inEchoRequests');
      // RFC 1122 §3.2.2.6: an echo request to a broadcast address may be silently discarded.
      if (inbound.dstKind !== 'unicast') return host.dropped('icmp4', 'notForUs');
      const src = host.replySource(inbound);
      if (src === undefined) return host.dropped('icmp4', 'noRoute');
      // RFC 792: the reply carries the request's identifier, sequence and data unchanged.
      const reply = emitIcmp4(ICMP4_TYPE.ECHO_REPLY, 0, ((message.identifier << 16) | message.sequence) >>> 0, message.body);
      const result = host.send({ src, dst: inbound.src, protocol: IP_PROTOCOL.ICMP, payload: reply, dontFragment: false });
      if (result !== 'sent') return host.dropped('icmp4', result);
      counters.count('icmp4.out');
      counters.count('icmp4.outEchoReplies');
      return host.handled();
    }
    case ICMP4_TYPE.ECHO_REPLY:
      counters.count('icmp4.inEchoReplies');
      host.echoReplied({ family: 4, from: inbound.src, to: inbound.dst, id: message.identifier, seq: message.sequence, data: message.body, ttl: inbound.ttl }, now);
      return host.handled();
    case ICMP4_TYPE.DEST_UNREACHABLE:
    case ICMP4_TYPE.TIME_EXCEEDED:
    case ICMP4_TYPE.PARAMETER_PROBLEM: {
      counters.count(`icmp4.in${message.type === 3 ? 'DestUnreachable' : message.type === 11 ? 'TimeExceeded' : 'ParamProblem'}`);
      const kind = icmp4Kind(message.type, message.code);
      const mtu = kind === 'fragmentationNeeded' ? message.nextHopMtu : 0;
      return deliverError(host, 'icmp4', parseQuotedIpv4(message.body), { family: 4, kind, type: message.type, code: message.code, mtu, reporter: inbound.src }, now);
    }
    default:
      // Source quench (deprecated, RFC 6633), redirect (no gateways on a TUN), timestamps...
      counters.count('icmp4.inOther');
      return host.dropped('icmp4', 'icmpUnhandled');
  }
}

export function receiveIcmp6(host: IcmpInputHost, inbound: Inbound, now: number): void {
  const counters = host.counters;
  const message = parseIcmp6(inbound.packet.subarray(inbound.payloadOffset), inbound.src, inbound.dst);
  if (typeof message === 'string') return host.dropped('icmp6', message);
  counters.count('icmp6.in');
  const type = message.type;
  if (type === ICMP6_TYPE.ECHO_REQUEST) {
    counters.count('icmp6.inEchoRequests');
    // RFC 4443 §4.2: the reply to a multicast request comes from one of our unicast addresses.
    const src = host.replySource(inbound);
    if (src === undefined) return host.dropped('icmp6', 'noRoute');
    const reply = emitIcmp6(ICMP6_TYPE.ECHO_REPLY, 0, ((message.identifier << 16) | message.sequence) >>> 0, message.body, src, inbound.src);
    const result = host.send({ src, dst: inbound.src, protocol: IP_PROTOCOL.ICMPV6, payload: reply });
    if (result !== 'sent') return host.dropped('icmp6', result);
    counters.count('icmp6.out');
    counters.count('icmp6.outEchoReplies');
    return host.handled();
  }
  if (type === ICMP6_TYPE.ECHO_REPLY) {
    counters.count('icmp6.inEchoReplies');
    host.echoReplied({ family: 6, from: inbound.src, to: inbound.dst, id: message.identifier, seq: message.sequence, data: message.body, ttl: inbound.ttl }, now);
    return host.handled();
  }
  if (isNdpOrMld(type)) {
    counters.count('icmp6.inNdpIgnored');
    return host.handled();
  }
  if (type >= 1 && type <= 4) {
    counters.count(`icmp6.in${['', 'DestUnreachable', 'PacketTooBig', 'TimeExceeded', 'ParamProblem'][type]}`);
    const kind = icmp6Kind(type, message.code);
    const mtu = kind === 'fragmentationNeeded' ? message.word : 0;
    return deliverError(host, 'icmp6', parseQuotedIpv6(message.body), { family: 6, kind, type, code: message.code, mtu, reporter: inbound.src }, now);
  }
  // RFC 4443 §2.4(b)/(d): unknown informational messages are discarded; unknown errors go up
  // only if they can be matched, which needs a known type.
  counters.count('icmp6.inOther');
  return host.dropped('icmp6', 'icmpUnhandled');
}

interface Quoted {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  readonly payload: Uint8Array;
}

type ReportHead = Pick<IcmpErrorReport, 'family' | 'kind' | 'type' | 'code' | 'mtu' | 'reporter'>;

function deliverError(host: IcmpInputHost, layer: string, quoted: Quoted | DropReason, head: ReportHead, now: number): void {
  if (typeof quoted === 'string') return host.dropped(layer, quoted);
  // We must have been the source of the quoted datagram (RFC 5927 §4.1: a first sanity check).
  if (!host.isLocalAddress(quoted.src)) return host.dropped(layer, 'badAddress');
  const handler = host.handlerFor(quoted.protocol);
  if (handler?.receiveIcmpError === undefined) return host.dropped(layer, 'icmpUnhandled');
  host.counters.count(`${layer}.errorsDelivered`);
  handler.receiveIcmpError(
    { ...head, originalSrc: quoted.src, originalDst: quoted.dst, originalProtocol: quoted.protocol, originalPayload: quoted.payload },
    now,
  );
  host.handled();
}

/** RFC 792: the quote is the original IP header and at least 64 bits of its data. */
export function parseQuotedIpv4(body: Uint8Array): Quoted | DropReason {
  if (body.length < 20 || body[0]! >> 4 !== 4) return 'badLength';
  const headerLength = (body[0]! & 0x0f) * 4;
  if (headerLength < 20 || body.length < headerLength + 8) return 'badLength';
  return {
    src: IpAddress.fromBytes(body, 12, 4),
    dst: IpAddress.fromBytes(body, 16, 4),
    protocol: body[9]!,
    payload: body.subarray(headerLength),
  };
}

/** RFC 4443 §2.4(c): as much of the original packet as fits; walk its (possibly cut) chain leniently. */
export function parseQuotedIpv6(body: Uint8Array): Quoted | DropReason {
  if (body.length < IPV6_HEADER_LENGTH || body[0]! >> 4 !== 6) return 'badLength';
  let next = body[6]!;
  let offset = IPV6_HEADER_LENGTH;
  for (let count = 0; count < 16; count++) {
    if (next === IP_PROTOCOL.HOP_BY_HOP || next === IP_PROTOCOL.IPV6_ROUTING || next === IP_PROTOCOL.IPV6_DEST_OPTS) {
      if (offset + 2 > body.length) return 'badLength';
      const following = body[offset]!;
      offset += (body[offset + 1]! + 1) * 8;
      next = following;
      continue;
    }
    if (next === IP_PROTOCOL.IPV6_FRAGMENT) {
      if (offset + 8 > body.length) return 'badLength';
      const fragmentOffset = (body[offset + 2]! << 5) | (body[offset + 3]! >> 3);
      if (fragmentOffset !== 0) return 'badFragment';
      next = body[offset]!;
      offset += 8;
      continue;
    }
    if (offset + 8 > body.length) return 'badLength';
    return { src: IpAddress.fromBytes(body, 8, 16), dst: IpAddress.fromBytes(body, 24, 16), protocol: next, payload: body.subarray(offset) };
  }
  return 'unsupportedExtension';
}

function icmp4Kind(type: number, code: number): IcmpErrorKind {
  if (type === ICMP4_TYPE.TIME_EXCEEDED) return 'timeExceeded';
  if (type === ICMP4_TYPE.PARAMETER_PROBLEM) return 'parameterProblem';
  switch (code) {
    case ICMP4_UNREACHABLE.NET:
      return 'networkUnreachable';
    case ICMP4_UNREACHABLE.HOST:
      return 'hostUnreachable';
    case ICMP4_UNREACHABLE.PROTOCOL:
      return 'protocolUnreachable';
    case ICMP4_UNREACHABLE.PORT:
      return 'portUnreachable';
    case ICMP4_UNREACHABLE.FRAGMENTATION_NEEDED:
      return 'fragmentationNeeded';
    case ICMP4_UNREACHABLE.NET_PROHIBITED:
    case ICMP4_UNREACHABLE.HOST_PROHIBITED:
    case ICMP4_UNREACHABLE.ADMIN_PROHIBITED:
      return 'administrativelyProhibited';
    default:
      return 'destinationUnreachable';
  }
}

function icmp6Kind(type: number, code: number): IcmpErrorKind {
  if (type === ICMP6_TYPE.PACKET_TOO_BIG) return 'fragmentationNeeded';
  if (type === ICMP6_TYPE.TIME_EXCEEDED) return 'timeExceeded';
  if (type === ICMP6_TYPE.PARAMETER_PROBLEM) return code === 1 ? 'protocolUnreachable' : 'parameterProblem';
  switch (code) {
    case ICMP6_UNREACHABLE.NO_ROUTE:
      return 'networkUnreachable';
    case ICMP6_UNREACHABLE.ADMIN_PROHIBITED:
      return 'administrativelyProhibited';
    case ICMP6_UNREACHABLE.ADDRESS:
      return 'hostUnreachable';
    case ICMP6_UNREACHABLE.PORT:
      return 'portUnreachable';
    default:
      return 'destinationUnreachable';
  }
}
