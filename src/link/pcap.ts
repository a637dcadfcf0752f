/**
 * A link wrapper that records every packet, both directions, to a classic pcap file
 * (LINKTYPE_RAW = 101: each record is a bare IPv4 or IPv6 packet), microsecond timestamps.
 * Each batch becomes one synchronous write of one buffer, so nothing is lost on close or
 * crash and Wireshark/tshark can read the file while it grows.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { RealClock, type Clock } from '../clock.js';
import { InvalidArgumentError, TuntcpError } from '../errors.js';
import type { Link, PacketBatch } from './link.js';
import { LinkWrapperBase } from './wrapper.js';

/** pcap file format: https://www.tcpdump.org/manpages/pcap-savefile.5.html */
const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const PCAP_VERSION_MAJOR = 2;
const PCAP_VERSION_MINOR = 4;
/** https://www.tcpdump.org/linktypes.html: raw IP, version from the first nibble. */
export const LINKTYPE_RAW = 101;
const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

export class PcapError extends TuntcpError {
  constructor(message: string, cause?: unknown) {
    super('ERR_PCAP', message, { cause });
  }
}

/** A synchronous byte sink: a file descriptor, or anything with a write(bytes) method. */
export interface PcapSink {
  write(bytes: Uint8Array): void;
  close?(): void;
}

export interface PcapWriterOptions {
  /** File to create (truncated if it exists). */
  path?: string;
  /** Or a sink of your own (a stream's write() works: records are written in order). */
  sink?: PcapSink;
  /** Bytes kept of each packet (default 65535). */
  snaplen?: number;
  clock?: Clock;
  /** Wall-clock time in ms at which clock.now() reads 0 (default: derived from Date.now()). Pass 0 with a ManualClock for reproducible files. */
  epochMs?: number;
}

export class PcapWriter extends LinkWrapperBase {
  /** Packets recorded, and failed writes (after one, recording stops; traffic continues). */
  readonly stats = { recorded: 0, writeErrors: 0 };
  private sink: PcapSink | undefined;
  private readonly snaplen: number;
  private readonly clock: Clock;
  private readonly epochMs: number;

  constructor(inner: Link, options: PcapWriterOptions) {
    const snaplen = options.snaplen ?? 65535;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) {
      throw new InvalidArgumentError(`PcapWriter: snaplen must be a positive integer, got ${options.snaplen}`);
    }
    if ((options.path === undefined) === (options.sink === undefined)) {
      throw new InvalidArgumentError('PcapWriter: give exactly one of `path` or `sink`');
    }
    const sink = options.sink ?? openFileSink(options.path!);
    super(inner);
    this.snaplen = snaplen;
    this.clock = options.clock ?? new RealClock();
    this.epochMs = options.epochMs ?? Date.now() - this.clock.now();
    this.sink = sink;
    this.write(globalHeader(this.snaplen));
  }

  protected override onSend(packets: PacketBatch): void {
    this.record(packets);
    this.inner.send(packets);
  }

  protected override onReceive(batch: PacketBatch): void {
    this.record(batch);
    this.receiver?.(batch);
  }

  /** Flush and close the file (the inner link is closed next). */
  protected override onClose(): void {
    try {
      this.sink?.close?.();
    } catch {
      this.stats.writeErrors++;
    }
    this.sink = undefined;
  }

  private record(packets: PacketBatch): void {
    if (this.sink === undefined) return;
    let total = 0;
    for (const packet of packets) total += RECORD_HEADER_LENGTH + Math.min(packet.length, this.snaplen);
    const buffer = new Uint8Array(total);
    const view = new DataView(buffer.buffer);
    const micros = Math.max(0, Math.round((this.epochMs + this.clock.now()) * 1000));
    const seconds = Math.floor(micros / 1_000_000);
    const microseconds = micros % 1_000_000;
    let offset = 0;
    for (const packet of packets) {
      const captured = Math.min(packet.length, this.snaplen);
      // Record header in the file's (little-endian) byte order: ts_sec, ts_usec, incl_len, orig_len.
      view.setUint32(offset, seconds >>> 0, true);
      view.setUint32(offset + 4, microseconds, true);
      view.setUint32(offset + 8, captured, true);
      view.setUint32(offset + 12, packet.length, true);
      buffer.set(captured === packet.length ? packet : packet.subarray(0, captured), offset + RECORD_HEADER_LENGTH);
      offset += RECORD_HEADER_LENGTH + captured;
    }
    this.stats.recorded += packets.length;
    this.write(buffer);
  }

  private write(bytes: Uint8Array): void {
    try {
      this.sink?.write(bytes);
    } catch {
      // A full disk must not take the link down: stop recording, keep forwarding.
      this.stats.writeErrors++;
      try {
        this.sink?.close?.();
      } catch {
        /* already failing */
      }
      this.sink = undefined;
    }
  }
}

function globalHeader(snaplen: number): Uint8Array {
  const header = new Uint8Array(GLOBAL_HEADER_LENGTH);
  const view = new DataView(header.buffer);
  view.setUint32(0, PCAP_MAGIC_MICROSECONDS, true);
  view.setUint16(4, PCAP_VERSION_MAJOR, true);
  view.setUint16(6, PCAP_VERSION_MINOR, true);
  view.setInt32(8, 0, true); // thiszone: UTC
  view.setUint32(12, 0, true); // sigfigs
  view.setUint32(16, snaplen, true);
  view.setUint32(20, LINKTYPE_RAW, true);
  return header;
}

function openFileSink(path: string): PcapSink {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    throw new PcapError(`PcapWriter: cannot create ${path}: ${(error as Error).message}`, error);
  }
  return {
    write(bytes) {
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    },
    close() {
      closeSync(fd);
    },
  };
}
