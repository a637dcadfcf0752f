/**
 * TLS 1.3 extensions (RFC 8446 §4.2): a generic list codec plus typed encoders/decoders for the
 * ones we speak. Duplicated extensions are illegal_parameter (§4.2); bad lengths decode_error.
 */
import { fail } from './alerts.js';
import { Reader, Writer } from './bytes.js';

export const ExtensionType = {
  server_name: 0,
  supported_groups: 10,
  signature_algorithms: 13,
  application_layer_protocol_negotiation: 16,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  signature_algorithms_cert: 50,
  key_share: 51,
} as const;

export const TLS13 = 0x0304;

export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** Extension extensions<0..2^16-1> (RFC 8446 §4.2). */
export function readExtensions(reader: Reader): Extension[] {
  const list = reader.sub16();
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (list.remaining > 0) {
    const type = list.u16();
    const data = list.vector16();
    // §4.2: "There MUST NOT be more than one extension of the same type in a given extension block."
    if (seen.has(type)) fail('illegal_parameter', `duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

export function writeExtensions(writer: Writer, extensions: readonly Extension[]): void {
  writer.lengthPrefixed(2, (w) => {
    for (const extension of extensions) w.u16(extension.type).vector16(extension.data);
  });
}

export function findExtension(extensions: readonly Extension[], type: number): Uint8Array | undefined {
  return extensions.find((extension) => extension.type === type)?.data;
}

function build(body: (writer: Writer) => void): Uint8Array {
  const writer = new Writer(64);
  body(writer);
  return writer.finish();
}

function parse<T>(data: Uint8Array, what: string, body: (reader: Reader) => T): T {
  const reader = new Reader(data);
  const value = body(reader);
  reader.expectEnd(what);
  return value;
}

// server_name (RFC 6066 §3): ServerNameList of { NameType host_name(0), HostName opaque<1..2^16-1> }.
export function encodeServerName(host: string): Uint8Array {
  return build((w) => w.lengthPrefixed(2, (l) => l.u8(0).vector16(Buffer.from(host, 'ascii'))));
}

export function decodeServerName(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined; // the server's empty acknowledgement
  return parse(data, 'server_name', (r) => {
    const list = r.sub16(1);
    let host: string | undefined;
    while (list.remaining > 0) {
      const nameType = list.u8();
      const name = list.vector16(1);
      if (nameType === 0) host ??= Buffer.from(name).toString('ascii');
    }
    return host;
  });
}

// supported_groups / signature_algorithms(_cert) (RFC 8446 §4.2.7, §4.2.3): a u16 list <2..2^16-2>.
export function encodeU16List(values: readonly number[]): Uint8Array {
  return build((w) => w.lengthPrefixed(2, (l) => values.forEach((v) => l.u16(v))));
}

export function decodeU16List(data: Uint8Array, what: string): number[] {
  return parse(data, what, (r) => {
    const list = r.vector16(2);
    if (list.length % 2 !== 0) fail('decode_error', `${what} list of odd length`);
    const out: number[] = [];
    for (let i = 0; i < list.length; i += 2) out.push((list[i] << 8) | list[i + 1]);
    return out;
  });
}

// ALPN (RFC 7301 §3.1): ProtocolNameList of opaque<1..2^8-1>.
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  return build((w) => w.lengthPrefixed(2, (l) => protocols.forEach((p) => l.vector8(Buffer.from(p, 'utf8')))));
}

export function decodeAlpn(data: Uint8Array): string[] {
  return parse(data, 'alpn', (r) => {
    const list = r.sub16(2);
    const out: string[] = [];
    while (list.remaining > 0) out.push(Buffer.from(list.vector8(1)).toString('utf8'));
    return out;
  });
}

// supported_versions (RFC 8446 §4.2.1): ClientHello has a u8-prefixed list, ServerHello one version.
export function encodeClientVersions(versions: readonly number[]): Uint8Array {
  return build((w) => w.lengthPrefixed(1, (l) => versions.forEach((v) => l.u16(v))));
}

export function decodeClientVersions(data: Uint8Array): number[] {
  return parse(data, 'supported_versions', (r) => {
    const list = r.vector8(2);
    if (list.length % 2 !== 0) fail('decode_error', 'supported_versions list of odd length');
    const out: number[] = [];
    for (let i = 0; i < list.length; i += 2) out.push((list[i] << 8) | list[i + 1]);
    return out;
  });
}

export function encodeU16(value: number): Uint8Array {
  return Uint8Array.of(value >>> 8, value & 0xff);
}

export function decodeU16(data: Uint8Array, what: string): number {
  return parse(data, what, (r) => r.u16());
}

// cookie (RFC 8446 §4.2.2): opaque cookie<1..2^16-1>.
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return build((w) => w.vector16(cookie));
}

export function decodeCookie(data: Uint8Array): Uint8Array {
  return parse(data, 'cookie', (r) => r.vector16(1));
}

// key_share (RFC 8446 §4.2.8): ClientHello a list of entries; ServerHello one entry; HRR a group.
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

export function encodeClientKeyShares(entries: readonly KeyShareEntry[]): Uint8Array {
  return build((w) => w.lengthPrefixed(2, (l) => entries.forEach((e) => l.u16(e.group).vector16(e.keyExchange))));
}

export function decodeClientKeyShares(data: Uint8Array): KeyShareEntry[] {
  return parse(data, 'key_share', (r) => {
    const list = r.sub16();
    const out: KeyShareEntry[] = [];
    const seen = new Set<number>();
    while (list.remaining > 0) {
      const group = list.u16();
      const keyExchange = list.vector16(1);
      // §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group."
      if (seen.has(group)) fail('illegal_parameter', `two key shares for group ${group}`);
      seen.add(group);
      out.push({ group, keyExchange });
    }
    return out;
  });
}

export function encodeServerKeyShare(entry: KeyShareEntry): Uint8Array {
  return build((w) => w.u16(entry.group).vector16(entry.keyExchange));
}

export function decodeServerKeyShare(data: Uint8Array): KeyShareEntry {
  return parse(data, 'key_share', (r) => ({ group: r.u16(), keyExchange: r.vector16(1) }));
}
