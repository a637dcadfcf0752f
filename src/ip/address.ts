/**
 * IP addresses and prefixes. An IpAddress is a 4- or 16-byte value with a cached text form
 * (`key`) that is cheap to use as a Map key (connection demux, neighbour tables).
 */
import { TuntcpError } from '../errors.js';

export type IpFamily = 4 | 6;

export class InvalidAddressError extends TuntcpError {
  constructor(text: string, why: string) {
    super('ERR_INVALID_IP_ADDRESS', `invalid IP address "${text}": ${why}`);
  }
}

export class IpAddress {
  readonly bytes: Uint8Array;
  readonly family: IpFamily;
  private text: string | undefined;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.family = bytes.length === 4 ? 4 : 6;
  }

  static readonly ANY4 = IpAddress.v4(0, 0, 0, 0);
  static readonly ANY6 = new IpAddress(new Uint8Array(16));
  static readonly LOOPBACK4 = IpAddress.v4(127, 0, 0, 1);
  static readonly LOOPBACK6 = IpAddress.fromBytes(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));

  static v4(a: number, b: number, c: number, d: number): IpAddress {
    return new IpAddress(Uint8Array.of(a, b, c, d));
  }

  /** Copy 4 or 16 bytes (e.g. from a packet) into a new address. */
  static fromBytes(bytes: Uint8Array, offset = 0, length = bytes.length - offset): IpAddress {
    if (length !== 4 && length !== 16) throw new InvalidAddressError(`${length} bytes`, 'an address is 4 or 16 bytes');
    return new IpAddress(bytes.slice(offset, offset + length));
  }

  /** Parse dotted-quad IPv4 or RFC 4291 §2.2 IPv6 text (with "::" and an embedded IPv4 tail). */
  static parse(text: string): IpAddress {
    const address = IpAddress.tryParse(text);
    if (address === undefined) throw new InvalidAddressError(text, 'not an IPv4 or IPv6 literal');
    return address;
  }

  static tryParse(text: string): IpAddress | undefined {
    if (typeof text !== 'string') return undefined;
    if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
    if (text.includes(':')) {
      const bytes = parseIpv6(text);
      return bytes && new IpAddress(bytes);
    }
    const bytes = parseIpv4(text);
    return bytes && new IpAddress(bytes);
  }

  static isIP(text: string): 0 | 4 | 6 {
    return IpAddress.tryParse(text)?.family ?? 0;
  }

  /** Canonical text (RFC 5952 for IPv6); also the Map key. */
  get key(): string {
    return (this.text ??= this.family === 4 ? this.bytes.join('.') : formatIpv6(this.bytes));
  }

  toString(): string {
    return this.key;
  }

  equals(other: IpAddress): boolean {
    if (this.bytes.length !== other.bytes.length) return false;
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }

  get isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  get isLoopback(): boolean {
    return this.family === 4 ? this.bytes[0] === 127 : this.equals(IpAddress.LOOPBACK6);
  }

  get isMulticast(): boolean {
    return this.family === 4 ? (this.bytes[0]! & 0xf0) === 0xe0 : this.bytes[0] === 0xff;
  }

  /** IPv4 limited broadcast 255.255.255.255. */
  get isBroadcast(): boolean {
    return this.family === 4 && this.bytes.every((b) => b === 255);
  }
}

/** An address with a prefix length: "10.7.0.2/24", "fd07::2/64". */
export class IpCidr {
  constructor(
    readonly address: IpAddress,
    readonly prefixLength: number,
  ) {
    const max = address.family === 4 ? 32 : 128;
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
      throw new InvalidAddressError(`${address}/${prefixLength}`, `prefix length must be 0..${max}`);
    }
  }

  static parse(text: string): IpCidr {
    const slash = text.indexOf('/');
    const address = IpAddress.parse(slash < 0 ? text : text.slice(0, slash));
    const max = address.family === 4 ? 32 : 128;
    const prefix = slash < 0 ? max : Number(text.slice(slash + 1));
    if (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1))) throw new InvalidAddressError(text, 'bad prefix length');
    return new IpCidr(address, prefix);
  }

  /** True when `candidate` lies inside this prefix. */
  contains(candidate: IpAddress): boolean {
    if (candidate.family !== this.address.family) return false;
    let bits = this.prefixLength;
    for (let i = 0; bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((candidate.bytes[i]! & mask) !== (this.address.bytes[i]! & mask)) return false;
    }
    return true;
  }

  /** IPv4 directed broadcast of this prefix (all host bits set). */
  get broadcast(): IpAddress | undefined {
    if (this.address.family !== 4 || this.prefixLength >= 31) return undefined;
    const bytes = this.address.bytes.slice();
    for (let bit = this.prefixLength; bit < 32; bit++) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    return IpAddress.fromBytes(bytes);
  }

  toString(): string {
    return `${this.address}/${this.prefixLength}`;
  }
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Decimal only, no leading zeros (an octal-looking "010" is ambiguous and refused).
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** RFC 5952 §4: lowercase, no leading zeros, the longest run (>1) of zero groups as "::". */
function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
