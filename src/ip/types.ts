/**
 * The contract between the IP layer and the transports above it (TCP, UDP, ICMP users).
 * A transport registers a ProtocolHandler for its IP protocol number; the IP layer hands it
 * validated, reassembled datagrams and ICMP errors that quote one of its packets.
 */
import type { IpAddress, IpCidr, IpFamily } from './address.js';
import type { Link } from '../link/link.js';

export const IP_PROTOCOL = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTING: 43,
  IPV6_FRAGMENT: 44,
  ICMPV6: 58,
  IPV6_NO_NEXT: 59,
  IPV6_DEST_OPTS: 60,
} as const;

/** One configured interface of a stack: a link plus its addresses. */
export interface NetInterface {
  readonly name: string;
  readonly link: Link;
  readonly mtu: number;
  readonly addresses: readonly IpCidr[];
  readonly isLoopback: boolean;
}

/** A datagram delivered to a transport: already validated and reassembled. */
export interface IpDatagram {
  readonly family: IpFamily;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** Transport protocol number (after IPv6 extension headers). */
  readonly protocol: number;
  /** TTL (IPv4) or hop limit (IPv6). */
  readonly ttl: number;
  /** The transport header and payload: a view, valid only during the call (copy to keep). */
  readonly payload: Uint8Array;
  /** The interface it arrived on. */
  readonly iface: NetInterface;
}

/** What an ICMP / ICMPv6 error told us about a packet we sent (RFC 792, RFC 4443). */
export type IcmpErrorKind =
  | 'destinationUnreachable'
  | 'portUnreachable'
  | 'protocolUnreachable'
  | 'hostUnreachable'
  | 'networkUnreachable'
  | 'administrativelyProhibited'
  | 'fragmentationNeeded' // ICMPv4 type 3 code 4 (RFC 1191) and ICMPv6 Packet Too Big (RFC 8201)
  | 'timeExceeded'
  | 'parameterProblem';

export interface IcmpErrorReport {
  readonly family: IpFamily;
  readonly kind: IcmpErrorKind;
  readonly type: number;
  readonly code: number;
  /** Next-hop MTU for fragmentationNeeded (0 when the router did not say). */
  readonly mtu: number;
  /** The quoted original datagram's addresses and protocol (we were its source). */
  readonly originalSrc: IpAddress;
  readonly originalDst: IpAddress;
  readonly originalProtocol: number;
  /** The quoted bytes of the original transport header (at least 8 bytes, often more). */
  readonly originalPayload: Uint8Array;
  /** Who sent the ICMP error. */
  readonly reporter: IpAddress;
}

export interface ProtocolHandler {
  /** A datagram for this protocol, addressed to this stack. Must not throw. */
  receive(datagram: IpDatagram, now: number): void;
  /** An ICMP error quoting a datagram of this protocol that we sent. Must not throw. */
  receiveIcmpError?(report: IcmpErrorReport, now: number): void;
  /**
   * The inbound batch that the last datagrams came in has been processed (called once per batch
   * after every datagram of it, before its replies are flushed): e.g. for one ACK per batch.
   */
  endOfBatch?(now: number): void;
}

/** What a transport asks the IP layer to send. */
export interface OutboundDatagram {
  /** Source address; when absent the IP layer picks one from the outgoing interface. */
  readonly src?: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  /** The transport header and payload (the IP layer prepends its header). */
  readonly payload: Uint8Array;
  /** Default 64. */
  readonly ttl?: number;
  /** IPv4 DF bit; default true for TCP (PMTUD), false otherwise. */
  readonly dontFragment?: boolean;
  /**
   * Bytes right before `payload` in its buffer that are free for the IP header (allocated with
   * `allocateWithHeadroom`): the header is then written in place instead of copying the payload.
   */
  readonly headroom?: number;
}

/** Result of a send: 'sent', or why not. */
export type SendResult = 'sent' | 'noRoute' | 'tooBig' | 'linkDown';
