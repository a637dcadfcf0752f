/**
 * Fragment reassembly for IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5).
 *
 * Policy: a datagram is keyed by (family, src, dst, identification, protocol) — IPv6 keys
 * without protocol, as RFC 8200 §4.5 does. Any overlap between fragments discards the whole
 * datagram and every later fragment of it until its timer runs out (RFC 5722 §4, RFC 8200
 * §4.5); an exact duplicate is harmless and ignored. A global byte cap evicts the oldest
 * datagrams. Completed datagrams come out as one ordinary, unfragmented packet (header of the
 * first fragment, fragment fields cleared) that the input path parses again.
 * Time comes in as a number: `poll(now)`, `pollAt()`.
 */
import type { IpAddress, IpFamily } from './address.js';
import { IPV4, writeIpv4Checksum } from './ipv4.js';
import { IPV6 } from './ipv6.js';
import type { NetInterface } from './types.js';
import type { Counters, DropReason } from '../stats.js';

export interface ReassemblyOptions {
  /** Per-datagram lifetime in ms; default 30 000 for IPv4 (RFC 791 suggests 15 s + TTL) and 60 000 for IPv6 (RFC 8200 §4.5). */
  readonly timeoutMs?: number;
  /** Bytes held across all datagrams; default 4 MiB. */
  readonly maxBytes?: number;
}

export const DEFAULT_REASSEMBLY_TIMEOUT_V4 = 30_000;
export const DEFAULT_REASSEMBLY_TIMEOUT_V6 = 60_000;
export const DEFAULT_REASSEMBLY_MAX_BYTES = 4 * 1024 * 1024;
const MAX_PACKET_LENGTH = 0xffff;

/** One received fragment, as views into the received packet (copied when kept). */
export interface FragmentInput {
  readonly family: IpFamily;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly identification: number;
  /** IPv4 protocol; ignored for IPv6. */
  readonly protocol: number;
  /** The whole received packet (trimmed to its length). */
  readonly packet: Uint8Array;
  /** End of the unfragmentable part: IPv4 header length, or the IPv6 Fragment header offset. */
  readonly headerLength: number;
  /** Where this fragment's data starts in `packet`. */
  readonly dataOffset: number;
  /** In bytes. */
  readonly fragmentOffset: number;
  readonly moreFragments: boolean;
  /** IPv6: offset of the byte naming the Fragment header, and the Fragment header's Next Header. */
  readonly nextHeaderField?: number;
  readonly nextHeader?: number;
  readonly iface: NetInterface;
}

export type ReassemblyResult =
  | { readonly kind: 'queued' }
  | { readonly kind: 'dropped'; readonly reason: DropReason }
  | { readonly kind: 'complete'; readonly packet: Uint8Array };

/** A datagram that timed out after its first fragment arrived: worth an ICMP Time Exceeded (code 1). */
export interface ReassemblyTimeout {
  readonly family: IpFamily;
  /** The first fragment as received (header + its data): the bytes to quote. */
  readonly firstFragment: Uint8Array;
  readonly iface: NetInterface;
}

interface Piece {
  readonly start: number;
  readonly end: number;
  readonly data: Uint8Array;
}

interface Pending {
  readonly key: string;
  readonly family: IpFamily;
  readonly deadline: number;
  readonly pieces: Piece[];
  /** Length of the whole data, known once the last fragment (MF = 0) arrived. */
  total: number | undefined;
  received: number;
  bytes: number;
  /** A copy of the offset-0 fragment; its header becomes the datagram's header. */
  first: FragmentInput | undefined;
  /** An overlap was seen: everything for this key is dropped until the deadline. */
  poisoned: boolean;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();
  private bytesHeld = 0;
  private readonly timeoutV4: number;
  private readonly timeoutV6: number;
  readonly maxBytes: number;

  constructor(
    private readonly counters: Counters,
    options: ReassemblyOptions = {},
    private readonly onTimeout: (timeout: ReassemblyTimeout, now: number) => void = () => {},
  ) {
    this.timeoutV4 = options.timeoutMs ?? DEFAULT_REASSEMBLY_TIMEOUT_V4;
    this.timeoutV6 = options.timeoutMs ?? DEFAULT_REASSEMBLY_TIMEOUT_V6;
    this.maxBytes = options.maxBytes ?? DEFAULT_REASSEMBLY_MAX_BYTES;
  }

  /** Bytes currently held (fragment data and first-fragment headers). */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** Datagrams currently being reassembled (including poisoned ones waiting out their timer). */
  get size(): number {
    return this.pending.size;
  }

  add(input: FragmentInput, now: number): ReassemblyResult {
    const dataLength = input.packet.length - input.dataOffset;
    const start = input.fragmentOffset;
    const end = start + dataLength;
    // RFC 791 §3.2 / RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes.
    if (input.moreFragments && (dataLength === 0 || dataLength % 8 !== 0)) return { kind: 'dropped', reason: 'badFragment' };
    // The reassembled packet must fit the 16-bit length fields (no jumbograms).
    if (this.reassembledLength(input.family, input.headerLength, end) > MAX_PACKET_LENGTH) {
      return { kind: 'dropped', reason: 'reassemblyTooLarge' };
    }
    const key = `${input.family}|${input.src.key}|${input.dst.key}|${input.identification}|${input.family === 4 ? input.protocol : ''}`;
    let entry = this.pending.get(key);
    if (entry === undefined) {
      const timeout = input.family === 4 ? this.timeoutV4 : this.timeoutV6;
      entry = { key, family: input.family, deadline: now + timeout, pieces: [], total: undefined, received: 0, bytes: 0, first: undefined, poisoned: false };
      this.pending.set(key, entry);
    }
    if (entry.poisoned) return { kind: 'dropped', reason: 'reassemblyOverlap' };

    const isLast = !input.moreFragments;
    if (isLast && entry.total !== undefined && entry.total !== end) return this.poison(entry, 'badFragment');
    if (isLast && entry.pieces.length > 0 && entry.pieces[entry.pieces.length - 1]!.end > end) return this.poison(entry, 'badFragment');
    if (entry.total !== undefined && end > entry.total) return this.poison(entry, 'badFragment');

    // Find the first piece ending after our start; overlap if it also starts before our end.
    const index = this.firstEndingAfter(entry.pieces, start);
    const neighbour = entry.pieces[index];
    if (neighbour !== undefined && neighbour.start < end) {
      const data = input.packet.subarray(input.dataOffset);
      if (neighbour.start === start && neighbour.end === end && sameBytes(neighbour.data, data)) {
        return { kind: 'dropped', reason: 'reassemblyDuplicate' };
      }
      // RFC 5722 §4 / RFC 8200 §4.5: overlapping fragments → discard the whole datagram.
      return this.poison(entry, 'reassemblyOverlap');
    }
    if (dataLength === 0 && entry.pieces.some((piece) => piece.start === start && piece.end === end)) {
      return { kind: 'dropped', reason: 'reassemblyDuplicate' };
    }

    const cost = start === 0 ? input.packet.length : dataLength;
    if (cost > this.maxBytes) {
      this.discardIfEmpty(entry);
      return { kind: 'dropped', reason: 'reassemblyOverCap' };
    }
    // Store a copy: the received bytes are only valid during this call.
    let data: Uint8Array;
    if (start === 0) {
      const copy = input.packet.slice();
      entry.first = { ...input, packet: copy };
      data = copy.subarray(input.dataOffset);
    } else {
      data = input.packet.slice(input.dataOffset);
    }
    entry.pieces.splice(index, 0, { start, end, data });
    entry.received += dataLength;
    entry.bytes += cost;
    this.bytesHeld += cost;
    if (isLast) entry.total = end;

    if (entry.total !== undefined && entry.received === entry.total && entry.first !== undefined) {
      this.remove(entry);
      if (this.reassembledLength(entry.family, entry.first.headerLength, entry.total) > MAX_PACKET_LENGTH) {
        this.counters.drop('reassembly', 'reassemblyTooLarge');
        return { kind: 'dropped', reason: 'reassemblyTooLarge' };
      }
      return { kind: 'complete', packet: this.build(entry) };
    }
    this.evictOverCap(entry);
    return { kind: 'queued' };
  }

  /** Earliest deadline, or Infinity. Entries are kept in creation order with equal timeouts per family. */
  pollAt(): number {
    let earliest = Infinity;
    let seenV4 = false;
    let seenV6 = false;
    for (const entry of this.pending.values()) {
      if (entry.family === 4 ? seenV4 : seenV6) continue;
      if (entry.family === 4) seenV4 = true;
      else seenV6 = true;
      if (entry.deadline < earliest) earliest = entry.deadline;
      if (seenV4 && seenV6) break;
    }
    return earliest;
  }

  /** Expire every datagram whose deadline has passed. */
  poll(now: number): void {
    for (const entry of [...this.pending.values()]) {
      if (entry.deadline > now) continue;
      this.remove(entry);
      if (entry.poisoned) {
        this.counters.count('reassembly.poisonedExpired');
        continue;
      }
      this.counters.drop('reassembly', 'reassemblyTimeout');
      // RFC 792 / RFC 8200 §4.5: Time Exceeded code 1 only if the first fragment arrived.
      if (entry.first !== undefined) {
        this.onTimeout({ family: entry.family, firstFragment: entry.first.packet, iface: entry.first.iface }, now);
      }
    }
  }

  /** Forget everything (stack closing). */
  clear(): void {
    this.pending.clear();
    this.bytesHeld = 0;
  }

  private reassembledLength(family: IpFamily, headerLength: number, end: number): number {
    // IPv4: header + data ≤ 65535. IPv6: payload length (after the 40-byte header) ≤ 65535; for a
    // non-first fragment the unfragmentable part is unknown, so assume the fixed header alone.
    return family === 4 ? headerLength + end : Math.max(0, headerLength - 40) + end;
  }

  private firstEndingAfter(pieces: Piece[], start: number): number {
    let low = 0;
    let high = pieces.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (pieces[mid]!.end > start) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  private poison(entry: Pending, reason: DropReason): ReassemblyResult {
    if (entry.pieces.length > 0) this.counters.drop('reassembly', reason);
    this.bytesHeld -= entry.bytes;
    entry.bytes = 0;
    entry.pieces.length = 0;
    entry.first = undefined;
    entry.poisoned = true;
    return { kind: 'dropped', reason };
  }

  private discardIfEmpty(entry: Pending): void {
    if (entry.pieces.length === 0 && !entry.poisoned) this.pending.delete(entry.key);
  }

  private remove(entry: Pending): void {
    this.pending.delete(entry.key);
    this.bytesHeld -= entry.bytes;
    entry.bytes = 0;
  }

  /** Evict the oldest datagrams (not `keep`, unless it alone is too big) until under the cap. */
  private evictOverCap(keep: Pending): void {
    if (this.bytesHeld <= this.maxBytes) return;
    for (const entry of [...this.pending.values()]) {
      if (this.bytesHeld <= this.maxBytes) break;
      if (entry === keep || entry.bytes === 0) continue;
      this.remove(entry);
      this.counters.drop('reassembly', 'reassemblyOverCap');
    }
    if (this.bytesHeld > this.maxBytes) {
      this.remove(keep);
      this.counters.drop('reassembly', 'reassemblyOverCap');
    }
  }

  /** The reassembled packet: first fragment's unfragmentable part + all data, fragment fields cleared. */
  private build(entry: Pending): Uint8Array {
    const first = entry.first!;
    const headerLength = first.headerLength;
    const total = entry.total!;
    const out = new Uint8Array(headerLength + total);
    out.set(first.packet.subarray(0, headerLength), 0);
    for (const piece of entry.pieces) out.set(piece.data, headerLength + piece.start);
    if (entry.family === 4) {
      const length = headerLength + total;
      out[IPV4.TOTAL_LENGTH] = length >> 8;
      out[IPV4.TOTAL_LENGTH + 1] = length & 0xff;
      out[IPV4.FLAGS_FRAGMENT] &= 0x40; // keep DF; clear MF and the offset
      out[IPV4.FLAGS_FRAGMENT + 1] = 0;
      writeIpv4Checksum(out, 0, headerLength);
    } else {
      // RFC 8200 §4.5: the Next Header of the last unfragmentable header takes the Fragment header's value.
      out[first.nextHeaderField!] = first.nextHeader!;
      const payloadLength = out.length - 40;
      out[IPV6.PAYLOAD_LENGTH] = payloadLength >> 8;
      out[IPV6.PAYLOAD_LENGTH + 1] = payloadLength & 0xff;
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
