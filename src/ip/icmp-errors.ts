/**
 * Sending ICMP and ICMPv6 errors about packets we received, under the rules of RFC 1122
 * §3.2.2 and RFC 4443 §2.4: never about an ICMP error, a multicast/broadcast packet (except
 * where RFC 4443 §2.4(e) allows), a packet whose source is not a unique host, or a non-first
 * fragment; and at most as fast as a token bucket allows (RFC 4443 §2.4(f)).
 */
import type { IpAddress } from './address.js';
import { emitIcmp4, isIcmp4Error } from './icmp4.js';
import { emitIcmp6, isIcmp6Error } from './icmp6.js';
import type { Inbound } from './inbound.js';
import { TokenBucket } from './rate-limit.js';
import { IP_PROTOCOL, type OutboundDatagram, type SendResult } from './types.js';
import type { Counters } from '../stats.js';

/** RFC 1812 §4.3.2.3: an ICMPv4 error quotes as much as fits in 576 bytes. */
const ICMP4_ERROR_MAX = 576;
/** RFC 4443 §2.4(c): an ICMPv6 error must not exceed the minimum IPv6 MTU, 1280 bytes. */
const ICMP6_ERROR_MAX = 1280;

export interface IcmpErrorHost {
  readonly counters: Counters;
  send(datagram: OutboundDatagram): SendResult;
  /** Our address to send from when answering `inbound` (the address it was sent to, if ours). */
  replySource(inbound: Inbound): IpAddress | undefined;
  /** True for 255.255.255.255 and the directed broadcast address of any of our prefixes. */
  isBroadcast(address: IpAddress): boolean;
}

export interface IcmpErrorSpec {
  readonly type: number;
  readonly code: number;
  /** The 4 type-specific bytes as a 32-bit word (pointer, MTU, or 0). */
  readonly rest: number;
  /** RFC 4443 §2.4(e.3): Packet Too Big and Parameter Problem code 2 go even to multicast. */
  readonly evenIfMulticast?: boolean;
}

export class IcmpErrorSender {
  private readonly bucket: TokenBucket;

  constructor(
    private readonly host: IcmpErrorHost,
    rateLimit: { perSecond: number; burst: number },
  ) {
    this.bucket = new TokenBucket(rateLimit.perSecond, rateLimit.burst);
  }

  /** Send the error if the rules allow; returns whether it was sent. */
  send(inbound: Inbound, spec: IcmpErrorSpec, now: number): boolean {
    const layer = inbound.family === 4 ? 'icmp4' : 'icmp6';
    const why = this.suppressedBecause(inbound, spec);
    if (why !== undefined) {
      this.host.counters.count(`${layer}.errorsSuppressed`);
      return false;
    }
    if (!this.bucket.take(now)) {
      this.host.counters.drop(`${layer}out`, 'icmpRateLimited');
      return false;
    }
    const src = this.host.replySource(inbound);
    if (src === undefined) return false;
    const max = inbound.family === 4 ? ICMP4_ERROR_MAX - 20 - 8 : ICMP6_ERROR_MAX - 40 - 8;
    const quote = inbound.packet.subarray(0, Math.min(inbound.packet.length, max));
    const payload =
      inbound.family === 4
        ? emitIcmp4(spec.type, spec.code, spec.rest, quote)
        : emitIcmp6(spec.type, spec.code, spec.rest, quote, src, inbound.src);
    const protocol = inbound.family === 4 ? IP_PROTOCOL.ICMP : IP_PROTOCOL.ICMPV6;
    const result = this.host.send({ src, dst: inbound.src, protocol, payload, dontFragment: false });
    if (result !== 'sent') return false;
    this.host.counters.count(`${layer}.out`);
    this.host.counters.count(`${layer}.outErrors`);
    return true;
  }

  private suppressedBecause(inbound: Inbound, spec: IcmpErrorSpec): string | undefined {
    // RFC 1122 §3.2.2 / RFC 4443 §2.4(e.3): not for a multicast or broadcast destination.
    if (inbound.dstKind !== 'unicast' && !(spec.evenIfMulticast === true && inbound.dstKind === 'multicast')) return 'multicast';
    // RFC 1122 §3.2.2 / RFC 4443 §2.4(e.6): not when the source does not name a single host.
    const src = inbound.src;
    if (src.isUnspecified || src.isMulticast || this.host.isBroadcast(src)) return 'source';
    // RFC 1122 §3.2.2: not about a non-initial fragment.
    if (inbound.nonFirstFragment) return 'fragment';
    // RFC 1122 §3.2.2 / RFC 4443 §2.4(e.1): never about an ICMP error message.
    if (this.isAboutIcmpError(inbound)) return 'icmpError';
    return undefined;
  }

  private isAboutIcmpError(inbound: Inbound): boolean {
    const icmp = inbound.family === 4 ? IP_PROTOCOL.ICMP : IP_PROTOCOL.ICMPV6;
    if (inbound.protocol !== icmp) return false;
    const type = inbound.packet[inbound.payloadOffset];
    // A truncated ICMP header: we cannot tell, so do not answer.
    if (type === undefined) return true;
    return inbound.family === 4 ? isIcmp4Error(type) : isIcmp6Error(type);
  }
}
