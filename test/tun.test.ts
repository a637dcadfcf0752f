/**
 * TunDevice against the real kernel, always inside a namespace this file creates:
 * the kernel side of the TUN is 10.7.0.1/24 (+ fd07::1/64), and the test plays 10.7.0.2.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { finishChecksum, internetChecksum, sumBytes } from '../src/ip/checksum.js';
import type { PacketBatch } from '../src/link/link.js';
import { TunDevice, TunError, TunNetnsError, TunOpenError } from '../src/link/tun.js';
import { compileForChild, createNamespace, describeNetns, openTunInNamespace, type Namespace } from './helpers/netns.js';

const KERNEL = [10, 7, 0, 1];
const US = [10, 7, 0, 2];

/** A 20-byte IPv4 header (RFC 791 §3.1) followed by `payload`, header checksum filled in. */
function ipv4Packet(protocol: number, src: number[], dst: number[], payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(20 + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, packet.length);
  packet[8] = 64;
  packet[9] = protocol;
  packet.set(src, 12);
  packet.set(dst, 16);
  view.setUint16(10, internetChecksum(packet, 0, 20));
  packet.set(payload, 20);
  return packet;
}

/** An ICMP echo reply (RFC 792) answering the echo request `request` (an IPv4 packet). */
function echoReplyFor(request: Uint8Array): Uint8Array {
  const headerLength = (request[0]! & 0x0f) * 4;
  const icmp = request.slice(headerLength);
  icmp[0] = 0; // type 0: echo reply; code, identifier, sequence and data stay as they were
  icmp[2] = 0;
  icmp[3] = 0;
  const checksum = internetChecksum(icmp);
  icmp[2] = checksum >> 8;
  icmp[3] = checksum & 0xff;
  return ipv4Packet(1, [...request.subarray(16, 20)], [...request.subarray(12, 16)], icmp);
}

/** UDP (RFC 768) from us to the kernel side, with its checksum over the pseudo-header. */
function udpPacket(srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const udp = new Uint8Array(8 + data.length);
  const view = new DataView(udp.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, udp.length);
  udp.set(data, 8);
  const pseudo = sumBytes(Uint8Array.from(US)) + sumBytes(Uint8Array.from(KERNEL)) + 17 + udp.length;
  view.setUint16(6, finishChecksum(sumBytes(udp, 0, udp.length, pseudo)) || 0xffff);
  return ipv4Packet(17, US, KERNEL, udp);
}

function isIcmpEchoRequest(packet: Uint8Array): boolean {
  return packet.length >= 28 && packet[0] === 0x45 && packet[9] === 1 && packet[20] === 8;
}

describeNetns('TunDevice in a network namespace', () => {
  let ns: Namespace;
  beforeEach(() => {
    ns = createNamespace('tun');
  });
  afterEach(() => {
    ns.delete();
  });

  it('answers the kernel ping with hand-built echo replies', async () => {
    const tun = openTunInNamespace(ns);
    const sequences: number[] = [];
    tun.setReceiver((packets: PacketBatch) => {
      const replies = packets.filter(isIcmpEchoRequest).map((request) => {
        sequences.push((request[26]! << 8) | request[27]!);
        return echoReplyFor(request);
      });
      tun.send(replies);
    });
    const ping = await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', '-n', '10.7.0.2'], { timeoutMs: 15_000 });
    tun.close();
    expect(ping.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(ping.code).toBe(0);
    expect(sequences).toEqual([1, 2, 3]);
    expect(tun.packetsOut).toBe(3);
    expect(tun.dropsOnWrite).toBe(0);
    expect(tun.packetsIn).toBeGreaterThanOrEqual(3);
  });

  it('configures the interface inside the namespace only: MTU, txqueuelen, up, addresses', () => {
    const tun = openTunInNamespace(ns, { mtu: 1400 });
    try {
      expect(tun.name).toBe('tt0');
      expect(tun.mtu).toBe(1400);
      const link = ns.ip(['link', 'show', 'dev', 'tt0']);
      expect(link).toMatch(/mtu 1400/);
      expect(link).toMatch(/qlen 4000/);
      expect(link).toMatch(/[<,]UP[,>]/);
      const addresses = ns.ip(['addr', 'show', 'dev', 'tt0']);
      expect(addresses).toContain('inet 10.7.0.1/24');
      expect(addresses).toContain('inet6 fd07::1/64');
      // This process stays in the root namespace: listing its links only reads.
      const rootLinks = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
      expect(rootLinks).not.toMatch(/^\d+: tt0[:@]/m);
    } finally {
      tun.close();
    }
  });

  it('delivers packets the kernel queued before reading started as one ordered batch', async () => {
    const tun = openTunInNamespace(ns);
    const count = 100;
    const sender = [
      'import socket',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      `for i in range(${count}): s.sendto(i.to_bytes(4, "big") * 8, ("10.7.0.2", 9000))`,
    ].join('\n');
    const sent = await ns.exec('/usr/bin/python3', ['-c', sender], { timeoutMs: 15_000 });
    expect(sent.code, sent.stderr).toBe(0);
    const batches: number[][] = [];
    await new Promise<void>((resolve) => {
      let received = 0;
      tun.setReceiver((packets) => {
        const udp = packets.filter((p) => p[0] === 0x45 && p[9] === 17);
        batches.push(udp.map((p) => new DataView(p.buffer, p.byteOffset + 28, 4).getUint32(0)));
        received += udp.length;
        if (received >= count) resolve();
      });
    });
    tun.close();
    expect(batches[0]!.length).toBe(count);
    expect(batches.flat()).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(tun.batchesIn).toBeLessThanOrEqual(2);
  });

  it('writes a batch of UDP packets that a kernel socket receives in order', async () => {
    const tun = openTunInNamespace(ns);
    const receiver = ns.spawn('/usr/bin/python3', [
      '-c',
      [
        'import socket, sys',
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
        's.bind(("10.7.0.1", 5555)); s.settimeout(5)',
        'print("ready", flush=True)',
        'for _ in range(5): print(s.recvfrom(100)[0].decode(), flush=True)',
      ].join('\n'),
    ]);
    let output = '';
    receiver.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      receiver.stdout!.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('ready')) resolve();
      });
      receiver.on('exit', () => reject(new Error(`receiver exited early: ${output}`)));
    });
    const packets = [1, 2, 3, 4, 5].map((i) => udpPacket(40000, 5555, new TextEncoder().encode(`datagram-${i}`)));
    tun.send(packets);
    expect(tun.packetsOut).toBe(5);
    const code = await new Promise<number | null>((resolve) => receiver.on('exit', resolve));
    tun.close();
    expect(code).toBe(0);
    expect(output.trim().split('\n')).toEqual(['ready', 'datagram-1', 'datagram-2', 'datagram-3', 'datagram-4', 'datagram-5']);
  });

  it('counts packets the kernel refuses as write drops, without throwing', () => {
    const tun = openTunInNamespace(ns);
    tun.send([new Uint8Array(0), udpPacket(1, 2, new Uint8Array(4))]);
    tun.close();
    expect(tun.packetsOut + tun.dropsOnWrite).toBe(2);
    expect(tun.dropsOnWrite).toBeGreaterThanOrEqual(1);
    tun.send([udpPacket(1, 2, new Uint8Array(4))]);
    expect(tun.dropsOnWrite).toBeGreaterThanOrEqual(2);
  });

  it('close() is immediate and idempotent; the interface is gone', async () => {
    const tun = openTunInNamespace(ns);
    tun.setReceiver(() => {});
    expect((await ns.exec('ip', ['link', 'show', 'tt0'])).code).toBe(0);
    tun.close();
    tun.close();
    expect(tun.isClosed).toBe(true);
    const after = await ns.exec('ip', ['link', 'show', 'tt0']);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/does not exist/);
  });

  it('refuses a second device of the same name with ERR_TUN_OPEN', () => {
    const tun = TunDevice.open({ name: 'dup0', netns: ns.name });
    try {
      let caught: unknown;
      try {
        TunDevice.open({ name: 'dup0', netns: ns.name }).close();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TunOpenError);
      expect((caught as TunError).code).toBe('ERR_TUN_OPEN');
      expect((caught as TunError).errno).toBe('EBUSY');
    } finally {
      tun.close();
    }
  });

  it('an open, reading device keeps the process alive; unref() lets it exit; GC closes a dropped idle device', async () => {
    const build = compileForChild(['src/link/tun.ts']);
    try {
      const script = join(build.dir, 'child.mjs');
      writeFileSync(
        script,
        [
          `import { TunDevice } from ${JSON.stringify(join(build.dir, 'src/link/tun.js'))};`,
          'const [netns, mode] = process.argv.slice(2);',
          'if (mode === "gc") {',
          '  (() => { const idle = TunDevice.open({ name: "gc0", netns }); idle.setReceiver(() => {}); idle.pause(); })();',
          '  for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }',
          '  console.log("collected");',
          '  setInterval(() => {}, 1000);',
          '} else {',
          '  const tun = TunDevice.open({ name: "ref0", netns });',
          '  tun.setReceiver(() => {});',
          '  if (mode === "unref") tun.unref();',
          '  console.log("open");',
          '}',
        ].join('\n'),
      );
      const run = (mode: string, waitMs: number): Promise<{ exited: boolean; output: string }> =>
        new Promise((resolve) => {
          const child = spawn(process.execPath, ['--expose-gc', script, ns.name, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
          let output = '';
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
          }, waitMs);
          child.on('exit', (code, signal) => {
            clearTimeout(timer);
            resolve({ exited: signal === null && code === 0, output });
          });
        });
      expect(await run('unref', 5_000)).toEqual({ exited: true, output: 'open\n' });
      expect(await run('ref', 800)).toEqual({ exited: false, output: 'open\n' });
      const gcRun = run('gc', 2_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Still running (its interval), yet the idle device it dropped is gone.
      expect((await ns.exec('ip', ['link', 'show', 'gc0'])).code).not.toBe(0);
      expect(await gcRun).toEqual({ exited: false, output: 'collected\n' });
    } finally {
      build.cleanup();
    }
  });

  it('opening in a missing namespace throws ERR_TUN_NETNS', () => {
    const missing = `${ns.name.slice(0, 10)}gone`;
    let caught: unknown;
    try {
      TunDevice.open({ name: 'tt0', netns: missing }).close();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TunNetnsError);
    expect((caught as TunNetnsError).code).toBe('ERR_TUN_NETNS');
    expect((caught as TunNetnsError).message).toContain(missing);
  });
});

it('TunDevice.available() reports the addon state with a typed error', () => {
  const available = TunDevice.available();
  if (available.ok) {
    expect(process.platform).toBe('linux');
  } else {
    expect(available.error).toBeInstanceOf(TunError);
    expect(['ERR_TUN_NOT_LINUX', 'ERR_TUN_ADDON_MISSING']).toContain(available.error.code);
  }
});

it('rejects bad options with a typed error before touching the system', () => {
  expect(() => TunDevice.open({ mtu: 20 })).toThrow(/mtu/);
  expect(() => TunDevice.open({ name: 'a-name-far-too-long' })).toThrow(/15 bytes/);
});
