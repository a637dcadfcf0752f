/**
 * TCP options (RFC 9293 §3.2 and §3.7.1, RFC 7323, RFC 2018): parse a header's option list into
 * a checked representation and emit one back. A malformed list (a zero or overflowing length, a
 * known option with the wrong fixed length) makes the whole segment dropped as 'tcpMalformed';
 * nothing here throws on input bytes.
 */

export const TCP_OPTION = {
  END: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** A SACK block (RFC 2018 §3): the left edge and the sequence number just past the right edge. */
export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

export interface TcpTimestamp {
  /** TSval (RFC 7323 §3.2). */
  readonly value: number;
  /** TSecr. */
  readonly echo: number;
}

/** The options of one segment, normalised. Absent fields were not present. */
export interface TcpOptions {
  /** Maximum segment size (RFC 9293 §3.7.1), SYN only. */
  readonly mss?: number;
  /** Window scale shift count (RFC 7323 §2.2), SYN only; values above 14 are clamped to 14 on use. */
  readonly windowScale?: number;
  /** SACK-permitted (RFC 2018 §2), SYN only. */
  readonly sackPermitted?: boolean;
  /** SACK blocks (RFC 2018 §3). */
  readonly sackBlocks?: readonly SackBlock[];
  /** Timestamps (RFC 7323 §3). */
  readonly timestamp?: TcpTimestamp;
}

export const NO_OPTIONS: TcpOptions = Object.freeze({});

/** Parse options in bytes[start, end). Returns 'tcpMalformed' for a malformed list. */
export function parseTcpOptions(bytes: Uint8Array, start: number, end: number): TcpOptions | 'tcpMalformed' {
  if (start === end) return NO_OPTIONS;
  let mss: number | undefined;
  let windowScale: number | undefined;
  let sackPermitted: boolean | undefined;
  let sackBlocks: SackBlock[] | undefined;
  let timestamp: TcpTimestamp | undefined;
  let i = start;
  while (i < end) {
    const kind = bytes[i]!;
    if (kind === TCP_OPTION.END) break; // RFC 9293 §3.2: End of Option List; the rest is padding
    if (kind === TCP_OPTION.NOP) {
      i += 1;
      continue;
    }
    // RFC 9293 §3.2: every other option has a length byte that counts kind and length.
    if (i + 1 >= end) return 'tcpMalformed';
    const length = bytes[i + 1]!;
    if (length < 2 || i + length > end) return 'tcpMalformed';
    switch (kind) {
      case TCP_OPTION.MSS:
        if (length !== 4) return 'tcpMalformed';
        mss = (bytes[i + 2]! << 8) | bytes[i + 3]!;
        break;
      case TCP_OPTION.WINDOW_SCALE:
        if (length !== 3) return 'tcpMalformed';
        windowScale = bytes[i + 2]!;
        break;
      case TCP_OPTION.SACK_PERMITTED:
        if (length !== 2) return 'tcpMalformed';
        sackPermitted = true;
        break;
      case TCP_OPTION.SACK: {
        // RFC 2018 §3: 8 bytes per block, 1 to 4 blocks.
        if (length < 10 || (length - 2) % 8 !== 0) return 'tcpMalformed';
        sackBlocks = [];
        for (let b = i + 2; b < i + length; b += 8) {
          sackBlocks.push({ left: readUint32(bytes, b), right: readUint32(bytes, b + 4) });
        }
        break;
      }
      case TCP_OPTION.TIMESTAMP:
        if (length !== 10) return 'tcpMalformed';
        timestamp = { value: readUint32(bytes, i + 2), echo: readUint32(bytes, i + 6) };
        break;
      default:
        // RFC 9293 §3.2 / RFC 1122 §4.2.2.5: an unknown option is skipped by its length.
        break;
    }
    i += length;
  }
  const options: { -readonly [K in keyof TcpOptions]: TcpOptions[K] } = {};
  if (mss !== undefined) options.mss = mss;
  if (windowScale !== undefined) options.windowScale = windowScale;
  if (sackPermitted) options.sackPermitted = true;
  if (sackBlocks !== undefined) options.sackBlocks = sackBlocks;
  if (timestamp !== undefined) options.timestamp = timestamp;
  return options;
}

/** Bytes the options take on the wire, padded to a multiple of 4. */
export function tcpOptionsLength(options: TcpOptions): number {
  let length = 0;
  if (options.mss !== undefined) length += 4;
  if (options.windowScale !== undefined) length += 4; // NOP + 3
  if (options.sackPermitted) length += options.timestamp !== undefined ? 2 : 4; // shares a word with the timestamp, else NOP NOP + 2
  if (options.timestamp !== undefined) length += options.sackPermitted ? 10 : 12; // NOP NOP + 10 unless paired with SACK-permitted
  if (options.sackBlocks !== undefined && options.sackBlocks.length > 0) length += 4 + 8 * options.sackBlocks.length; // NOP NOP + 2 + 8n
  return length;
}

/**
 * Write the options at bytes[offset...] in the layout Linux uses (MSS, SACK-permitted+TS,
 * NOP+window scale; NOP-padded to 32-bit words). Returns the number of bytes written.
 */
export function emitTcpOptions(options: TcpOptions, bytes: Uint8Array, offset: number): number {
  let i = offset;
  if (options.mss !== undefined) {
    bytes[i++] = TCP_OPTION.MSS;
    bytes[i++] = 4;
    bytes[i++] = (options.mss >>> 8) & 0xff;
    bytes[i++] = options.mss & 0xff;
  }
  if (options.sackPermitted && options.timestamp !== undefined) {
    bytes[i++] = TCP_OPTION.SACK_PERMITTED;
    bytes[i++] = 2;
    i = writeTimestamp(options.timestamp, bytes, i);
  } else if (options.timestamp !== undefined) {
    bytes[i++] = TCP_OPTION.NOP;
    bytes[i++] = TCP_OPTION.NOP;
    i = writeTimestamp(options.timestamp, bytes, i);
  } else if (options.sackPermitted) {
    bytes[i++] = TCP_OPTION.NOP;
    bytes[i++] = TCP_OPTION.NOP;
    bytes[i++] = TCP_OPTION.SACK_PERMITTED;
    bytes[i++] = 2;
  }
  if (options.windowScale !== undefined) {
    bytes[i++] = TCP_OPTION.NOP;
    bytes[i++] = TCP_OPTION.WINDOW_SCALE;
    bytes[i++] = 3;
    bytes[i++] = options.windowScale & 0xff;
  }
  if (options.sackBlocks !== undefined && options.sackBlocks.length > 0) {
    bytes[i++] = TCP_OPTION.NOP;
    bytes[i++] = TCP_OPTION.NOP;
    bytes[i++] = TCP_OPTION.SACK;
    bytes[i++] = 2 + 8 * options.sackBlocks.length;
    for (const block of options.sackBlocks) {
      writeUint32(bytes, i, block.left);
      writeUint32(bytes, i + 4, block.right);
      i += 8;
    }
  }
  return i - offset;
}

function writeTimestamp(timestamp: TcpTimestamp, bytes: Uint8Array, i: number): number {
  bytes[i++] = TCP_OPTION.TIMESTAMP;
  bytes[i++] = 10;
  writeUint32(bytes, i, timestamp.value);
  writeUint32(bytes, i + 4, timestamp.echo);
  return i + 8;
}

export function readUint32(bytes: Uint8Array, i: number): number {
  return ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
}

export function writeUint32(bytes: Uint8Array, i: number, value: number): void {
  bytes[i] = (value >>> 24) & 0xff;
  bytes[i + 1] = (value >>> 16) & 0xff;
  bytes[i + 2] = (value >>> 8) & 0xff;
  bytes[i + 3] = value & 0xff;
}
