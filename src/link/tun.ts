/**
 * TunDevice: a Link over a Linux TUN device through our N-API addon (DESIGN.md decision 1).
 * Reads arrive in batches: the addon drains every waiting packet into one preallocated
 * buffer and calls us once; we hand the receiver views into that buffer (valid only during
 * the callback, as link.ts says). Writes go out as one native call per batch and never block.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, TuntcpError } from '../errors.js';
import type { BatchReceiver, Link, PacketBatch } from './link.js';

// ---------- errors ----------

/** Base of every error opening a TUN device; `errno` is the system error name when there is one. */
export class TunError extends TuntcpError {
  readonly errno: string | undefined;
  constructor(code: string, message: string, options?: { cause?: unknown; errno?: string }) {
    super(code, message, options);
    this.errno = options?.errno;
  }
}

export class TunNotLinuxError extends TunError {
  constructor() {
    super('ERR_TUN_NOT_LINUX', `TUN devices need Linux; this is ${process.platform}`);
  }
}

export class TunPermissionError extends TunError {
  constructor(detail: string, options?: { cause?: unknown; errno?: string }) {
    super('ERR_TUN_PERMISSION', `${detail}: opening a TUN device needs root or CAP_NET_ADMIN`, options);
  }
}

export class TunNoDeviceError extends TunError {
  constructor(detail: string, options?: { cause?: unknown; errno?: string }) {
    super(
      'ERR_TUN_NO_DEVICE',
      `${detail}: this system has no TUN support (/dev/net/tun); load it with \`modprobe tun\`, ` +
        'or in a container pass the device through (docker run --device /dev/net/tun --cap-add NET_ADMIN)',
      options,
    );
  }
}

export class TunAddonMissingError extends TunError {
  constructor(packageRoot: string, cause: unknown) {
    super(
      'ERR_TUN_ADDON_MISSING',
      `the native TUN addon (build/Release/tuntcp_tun.node) is not built: run \`npm run install\` ` +
        `(npm's bundled node-gyp) in ${packageRoot}; building needs python3, make and gcc/g++`,
      { cause },
    );
  }
}

export class TunNetnsError extends TunError {
  readonly netns: string;
  constructor(netns: string, detail: string, options?: { cause?: unknown; errno?: string }) {
    super('ERR_TUN_NETNS', `network namespace "${netns}": ${detail}`, options);
    this.netns = netns;
  }
}

export class TunOpenError extends TunError {
  constructor(detail: string, options?: { cause?: unknown; errno?: string }) {
    super('ERR_TUN_OPEN', `cannot open the TUN device: ${detail}`, options);
  }
}

// ---------- the addon ----------

type NativeHandle = object & { readonly __tunHandle: unique symbol };

interface NativeTun {
  open(
    name: string,
    options: { netns?: string; vnetHdr?: boolean; offload?: number; mtu?: number; txqueuelen?: number; up?: boolean },
  ): { fd: number; name: string };
  closeFd(fd: number): void;
  attach(fd: number, buffer: ArrayBuffer, meta: Int32Array, readSize: number, onBatch: (count: number, errno: number) => void): NativeHandle;
  startReading(handle: NativeHandle): void;
  stopReading(handle: NativeHandle): void;
  ref(handle: NativeHandle): void;
  unref(handle: NativeHandle): void;
  close(handle: NativeHandle): void;
  writeBatch(handle: NativeHandle, packets: PacketBatch, header?: Uint8Array): number;
}

let addon: NativeTun | undefined;
let addonError: TunError | undefined;

/** The directory of tuntcp's package.json (sources run from src/link, compiled code from dist/src/link). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'tuntcp') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

function loadAddon(): NativeTun {
  if (addon !== undefined) return addon;
  if (addonError !== undefined) throw addonError;
  if (process.platform !== 'linux') throw (addonError = new TunNotLinuxError());
  const root = packageRoot();
  try {
    addon = createRequire(import.meta.url)(join(root, 'build', 'Release', 'tuntcp_tun.node')) as NativeTun;
    return addon;
  } catch (cause) {
    throw (addonError = new TunAddonMissingError(root, cause));
  }
}

interface NativeError {
  code?: string;
  step?: string;
  message?: string;
}

function translateOpenError(error: unknown, netns: string | undefined): TunError {
  const native = (typeof error === 'object' && error !== null ? error : {}) as NativeError;
  const errno = typeof native.code === 'string' ? native.code : undefined;
  const detail = native.message ?? String(error);
  const options = { cause: error, errno };
  if (errno === 'EPERM' || errno === 'EACCES') return new TunPermissionError(detail, options);
  if (native.step === 'netns' && netns !== undefined) {
    const why = errno === 'ENOENT' ? `does not exist (no /var/run/netns/${netns}; create it with \`ip netns add ${netns}\`)` : detail;
    return new TunNetnsError(netns, why, options);
  }
  if (native.step === 'device' && (errno === 'ENOENT' || errno === 'ENODEV' || errno === 'ENXIO')) {
    return new TunNoDeviceError(detail, options);
  }
  if (errno === 'EBUSY') return new TunOpenError(`${detail} (an interface of that name is in use)`, options);
  return new TunOpenError(detail, options);
}

// ---------- the device ----------

export interface TunOpenOptions {
  /** Interface name (at most 15 bytes); the kernel picks "tunN" when absent. */
  name?: string;
  /** Open the device inside this named network namespace (/var/run/netns/NAME). */
  netns?: string;
  /** Interface MTU in bytes (default 1500). */
  mtu?: number;
  /** Interface transmit queue length (default 4000: well above 500, DESIGN.md decision 2). */
  txqueuelen?: number;
  /** Bring the interface up (default true). */
  up?: boolean;
  /** IFF_VNET_HDR: every packet is preceded by a virtio_net_hdr (DESIGN.md decision 2). */
  vnetHdr?: boolean;
  /** TUNSETOFFLOAD flags (TUN_F_CSUM=1, TSO4=2, TSO6=4...), only with vnetHdr. */
  offload?: number;
  /** Bytes of the shared read buffer (default 1 MiB; 4 MiB with vnetHdr). */
  readBufferSize?: number;
  /** Most packets handed over in one batch (default 256). */
  maxBatch?: number;
}

/** Size of the virtio_net_hdr the kernel uses by default (TUNSETVNETHDRSZ not called). */
export const VNET_HDR_SIZE = 10;
const MAX_GSO_PACKET = 65_536;

export type TunAvailability = { ok: true } | { ok: false; error: TunError };

export class TunDevice implements Link {
  readonly name: string;
  readonly mtu: number;
  readonly netns: string | undefined;
  readonly vnetHdr: boolean;
  /** Packets handed to the receiver. */
  packetsIn = 0;
  /** Batches handed to the receiver. */
  batchesIn = 0;
  /** Packets the kernel accepted from send(). */
  packetsOut = 0;
  /** Packets send() could not write (queue full, refused by the kernel, or device closed). */
  dropsOnWrite = 0;
  /** Read errors reported by the device (e.g. EIO when it goes away). */
  readErrors = 0;

  private readonly native: NativeTun;
  private readonly handle: NativeHandle;
  private readonly buffer: ArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly meta: Int32Array;
  private readonly zeroVnetHeader: Uint8Array | undefined;
  private receiver: BatchReceiver | undefined;
  /** Held here so that the addon's reference to it can be weak while not reading. */
  private readonly onBatchBound = (count: number, errno: number): void => this.onBatch(count, errno);
  private closed = false;
  private reading = false;

  private constructor(native: NativeTun, fd: number, name: string, options: TunOpenOptions, mtu: number) {
    this.native = native;
    this.name = name;
    this.mtu = mtu;
    this.netns = options.netns;
    this.vnetHdr = options.vnetHdr === true;
    const withOffload = this.vnetHdr && (options.offload ?? 0) !== 0;
    const readSize = withOffload ? MAX_GSO_PACKET + VNET_HDR_SIZE : mtu + (this.vnetHdr ? VNET_HDR_SIZE : 0);
    const bufferSize = Math.max(options.readBufferSize ?? (this.vnetHdr ? 4 : 1) * 1024 * 1024, readSize);
    const maxBatch = options.maxBatch ?? 256;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new InvalidArgumentError(`maxBatch must be a positive integer, got ${maxBatch}`);
    this.buffer = new ArrayBuffer(bufferSize);
    this.bytes = new Uint8Array(this.buffer);
    this.meta = new Int32Array(maxBatch * 2);
    this.zeroVnetHeader = this.vnetHdr ? new Uint8Array(VNET_HDR_SIZE) : undefined;
    try {
      this.handle = native.attach(fd, this.buffer, this.meta, readSize, this.onBatchBound);
    } catch (error) {
      native.closeFd(fd);
      throw new TunOpenError(String((error as Error).message ?? error), { cause: error });
    }
  }

  /** Open (create) a TUN interface, configure it and return the device. Throws a TunError subclass. */
  static open(options: TunOpenOptions = {}): TunDevice {
    const mtu = options.mtu ?? 1500;
    const txqueuelen = options.txqueuelen ?? 4000;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65_535) throw new InvalidArgumentError(`mtu must be an integer in 68..65535, got ${mtu}`);
    if (!Number.isInteger(txqueuelen) || txqueuelen < 0) throw new InvalidArgumentError(`txqueuelen must be a non-negative integer, got ${txqueuelen}`);
    const name = options.name ?? '';
    if (typeof name !== 'string' || Buffer.byteLength(name) > 15 || /[\s/:]/.test(name)) {
      throw new InvalidArgumentError(`TUN interface name must be at most 15 bytes without spaces, "/" or ":", got ${JSON.stringify(name)}`);
    }
    const native = loadAddon();
    let opened: { fd: number; name: string };
    try {
      opened = native.open(name, {
        ...(options.netns !== undefined ? { netns: options.netns } : {}),
        vnetHdr: options.vnetHdr === true,
        ...(options.offload !== undefined ? { offload: options.offload } : {}),
        mtu,
        txqueuelen,
        up: options.up ?? true,
      });
    } catch (error) {
      throw translateOpenError(error, options.netns);
    }
    return new TunDevice(native, opened.fd, opened.name, options, mtu);
  }

  /** Whether TunDevice.open can work here at all (platform and addon; not privileges). */
  static available(): TunAvailability {
    try {
      loadAddon();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: error as TunError };
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Install the receiver; reading starts with the first one. */
  setReceiver(receiver: BatchReceiver): void {
    this.receiver = receiver;
    if (!this.closed && !this.reading) {
      this.native.startReading(this.handle);
      this.reading = true;
    }
  }

  /** Stop reading (the kernel queues up to txqueuelen packets, then drops); resume with resume(). */
  pause(): void {
    if (this.closed || !this.reading) return;
    this.native.stopReading(this.handle);
    this.reading = false;
  }

  resume(): void {
    if (this.closed || this.reading || this.receiver === undefined) return;
    this.native.startReading(this.handle);
    this.reading = true;
  }

  /** Write a batch; packets the kernel does not take at once are dropped and counted, never queued. */
  send(packets: PacketBatch): void {
    if (packets.length === 0) return;
    if (this.closed) {
      this.dropsOnWrite += packets.length;
      return;
    }
    const written = this.native.writeBatch(this.handle, packets, this.zeroVnetHeader);
    this.packetsOut += written;
    this.dropsOnWrite += packets.length - written;
  }

  /** Write packets that already start with their own virtio_net_hdr (vnetHdr devices only). */
  sendWithVnetHeaders(packets: PacketBatch): void {
    if (!this.vnetHdr) throw new InvalidArgumentError('sendWithVnetHeaders needs a device opened with vnetHdr');
    if (this.closed) {
      this.dropsOnWrite += packets.length;
      return;
    }
    const written = this.native.writeBatch(this.handle, packets);
    this.packetsOut += written;
    this.dropsOnWrite += packets.length - written;
  }

  /** Keep the process alive while the device is open (the default, like a socket). */
  ref(): this {
    if (!this.closed) this.native.ref(this.handle);
    return this;
  }

  /** Let the process exit even though the device is open. */
  unref(): this {
    if (!this.closed) this.native.unref(this.handle);
    return this;
  }

  /** Close at once: the fd closes and the (non-persistent) interface disappears. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reading = false;
    this.native.close(this.handle);
  }

  /**
   * The virtio_net_hdr of packet `index` of the batch being delivered (vnetHdr devices only;
   * valid only during the receiver callback, like the packets).
   */
  vnetHeaderOf(index: number): Uint8Array | undefined {
    if (!this.vnetHdr || index < 0 || index >= this.meta.length / 2) return undefined;
    const start = this.meta[2 * index]!;
    return this.bytes.subarray(start, start + Math.min(VNET_HDR_SIZE, this.meta[2 * index + 1]!));
  }

  private onBatch(count: number, errno: number): void {
    if (errno !== 0) {
      this.readErrors++;
      // The addon stops polling on an error with nothing read (the device went away).
      if (count === 0) this.reading = false;
    }
    if (count === 0 || this.closed) return;
    const bytes = this.bytes;
    const meta = this.meta;
    const skip = this.vnetHdr ? VNET_HDR_SIZE : 0;
    const batch = new Array<Uint8Array>(count);
    for (let i = 0; i < count; i++) {
      const start = meta[2 * i]!;
      const length = meta[2 * i + 1]!;
      batch[i] = bytes.subarray(start + Math.min(skip, length), start + length);
    }
    this.packetsIn += count;
    this.batchesIn++;
    this.receiver?.(batch);
  }
}
