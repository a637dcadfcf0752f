import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter, PcapError, LINKTYPE_RAW } from '../src/link/pcap.js';
import { MemoryLink } from '../src/link/memory.js';
import { FaultInjector } from '../src/link/fault-injector.js';
import { Tracer } from '../src/link/tracer.js';
import { SimScheduler, settleMicrotasks } from '../src/link/sim-scheduler.js';
import { ManualClock } from '../src/clock.js';
import { emitIcmp4 } from '../src/ip/icmp4.js';
import { emitIcmp6 } from '../src/ip/icmp6.js';
import { InvalidArgumentError } from '../src/errors.js';
import { CHECKSUM_PREFERENCES } from './helpers/tshark.js';
import { tsharkRows } from './helpers/tshark-fields.js';
import { addr, ipv4, ipv6, udp4 } from './ip-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tuntcp-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasTshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

// --- valid packets (RFC 791, 792, 768, 8200, 4443) ---
const A4 = '10.7.0.1';
const B4 = '10.7.0.2';
const A6 = 'fd07::1';
const B6 = 'fd07::2';

/** Echo data: a position pattern. */
const echoData = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7) & 0xff);

function icmp4Echo(src: string, dst: string, seq: number, reply = false): Uint8Array {
  const icmp = emitIcmp4(reply ? 0 : 8, 0, (0x77 << 16) | seq, echoData(56));
  return ipv4({ src, dst, protocol: 1, payload: icmp, id: seq, df: true });
}

function icmp6Echo(src: string, dst: string, seq: number, reply = false): Uint8Array {
  const icmp = emitIcmp6(reply ? 129 : 128, 0, (0x66 << 16) | seq, echoData(32), addr(src), addr(dst));
  return ipv6({ src, dst, nextHeader: 58, payload: icmp });
}

describe('PcapWriter', () => {
  it('writes a classic pcap header and one record per packet, both directions', async () => {
    const file = join(dir, 'header.pcap');
    const clock = new ManualClock();
    const [a, b] = MemoryLink.pair();
    const writer = new PcapWriter(a, { path: file, clock, epochMs: 1_700_000_000_000 });
    writer.setReceiver(() => {});
    b.setReceiver(() => {});
    writer.send([icmp4Echo(A4, B4, 1)]);
    clock.advance(1.5);
    b.send([icmp4Echo(B4, A4, 1, true), icmp6Echo(B6, A6, 1)]);
    await settleMicrotasks();
    writer.close();
    expect(a.isClosed).toBe(true);
    const bytes = readFileSync(file);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect([bytes.readUInt16LE(4), bytes.readUInt16LE(6)]).toEqual([2, 4]);
    expect(bytes.readUInt32LE(16)).toBe(65535);
    expect(bytes.readUInt32LE(20)).toBe(LINKTYPE_RAW);
    // First record: ts, lengths, then the packet itself.
    expect(bytes.readUInt32LE(24)).toBe(1_700_000_000);
    expect(bytes.readUInt32LE(28)).toBe(0);
    expect(bytes.readUInt32LE(32)).toBe(84);
    expect(bytes.readUInt32LE(36)).toBe(84);
    expect(bytes.subarray(40, 40 + 84).equals(Buffer.from(icmp4Echo(A4, B4, 1)))).toBe(true);
    // Second record, 1.5 ms later.
    expect(bytes.readUInt32LE(124)).toBe(1_700_000_000);
    expect(bytes.readUInt32LE(128)).toBe(1500);
    expect(bytes.length).toBe(24 + 3 * 16 + 84 + 84 + 80);
    expect(writer.stats).toEqual({ recorded: 3, writeErrors: 0 });
  });

  it.skipIf(!hasTshark)('produces a capture tshark reads: right packets, times, no malformed or bad checksum', async () => {
    const file = join(dir, 'icmp.pcap');
    const clock = new ManualClock();
    const [a, b] = MemoryLink.pair({ mtu: 1500 });
    const writer = new PcapWriter(a, { path: file, clock, epochMs: 1_700_000_000_000 });
    // The peer answers every echo request: requests go out through the writer, replies come back in.
    writer.setReceiver(() => {});
    b.setReceiver((batch) => {
      b.send(batch.map((p) => (p[0]! >> 4 === 4 ? icmp4Echo(B4, A4, p[27]!, true) : icmp6Echo(B6, A6, p[47]!, true))));
    });
    for (let seq = 1; seq <= 5; seq++) {
      writer.send([icmp4Echo(A4, B4, seq), icmp6Echo(A6, B6, seq)]);
      await settleMicrotasks();
      clock.advance(10);
    }
    writer.send([udp4({ src: A4, dst: B4, srcPort: 40000, data: new TextEncoder().encode('hello pcap') })]);
    writer.close();

    const rows = tsharkRows(file, [
      'frame.number',
      'frame.time_epoch',
      '_ws.col.Protocol',
      'icmp.type',
      'icmpv6.type',
      'icmp.checksum.status',
      'icmpv6.checksum.status',
      'ip.checksum.status',
      'udp.checksum.status',
      '_ws.expert.message',
      '_ws.malformed',
    ], { preferences: CHECKSUM_PREFERENCES });
    expect(rows.length).toBe(21);
    const protocols = rows.map((row) => row[2]);
    expect(protocols.filter((p) => p === 'ICMP').length).toBe(10);
    expect(protocols.filter((p) => p === 'ICMPv6').length).toBe(10);
    expect(rows.map((row) => row[3] || row[4]).slice(0, 4)).toEqual(['8', '128', '0', '129']);
    expect(Number(rows[2]![1])).toBeCloseTo(1_700_000_000, 3);
    expect(Number(rows[4]![1]) - Number(rows[0]![1])).toBeCloseTo(0.01, 6);
    for (const row of rows) {
      // Wireshark checksum status: 0 = bad, 1 = good, 2 = unverified.
      if (row[2] === 'ICMP') expect(row.slice(5, 8)).toEqual(['1', '', '1']);
      if (row[2] === 'ICMPv6') expect(row[6]).toBe('1');
      expect(row[9]).toBe(''); // no expert info at all
      expect(row[10]).toBe('');
    }
    expect(rows[20]![8]).toBe('1');
    const expert = spawnSync('tshark', ['-r', file, '-o', 'ip.check_checksum:TRUE', '-q', '-z', 'expert'], { encoding: 'utf8' });
    expect(expert.status).toBe(0);
    expect(expert.stdout).not.toMatch(/errors|warns|malformed|bad checksum/i);
  });

  it.skipIf(!hasTshark)('negative control: tshark does flag a packet whose checksum the test breaks', async () => {
    const file = join(dir, 'bad.pcap');
    const [a, b] = MemoryLink.pair();
    const writer = new PcapWriter(a, { path: file, clock: new ManualClock(), epochMs: 0 });
    b.setReceiver(() => {});
    const broken = icmp4Echo(A4, B4, 1);
    broken[22] ^= 0xff; // ICMP checksum
    writer.send([broken]);
    writer.close();
    const rows = tsharkRows(file, ['frame.number', 'icmp.checksum.status', '_ws.expert.message'], { preferences: CHECKSUM_PREFERENCES });
    expect(rows.length).toBe(1);
    expect(rows[0]![1]).toBe('0');
    expect(rows[0]![2]).toMatch(/Bad checksum/i);
  });

  it('cuts records at snaplen and keeps the original length', () => {
    const chunks: Uint8Array[] = [];
    const [a] = MemoryLink.pair();
    const writer = new PcapWriter(a, { sink: { write: (bytes) => chunks.push(bytes.slice()) }, snaplen: 40, clock: new ManualClock(), epochMs: 0 });
    writer.send([icmp4Echo(A4, B4, 1), icmp6Echo(A6, B6, 2)]);
    expect(chunks.length).toBe(2); // global header, then one write for the whole batch
    const batch = Buffer.from(chunks[1]!);
    expect([batch.readUInt32LE(8), batch.readUInt32LE(12)]).toEqual([40, 84]);
    expect([batch.readUInt32LE(16 + 40 + 8), batch.readUInt32LE(16 + 40 + 12)]).toEqual([40, 80]);
    expect(batch.length).toBe(2 * (16 + 40));
    writer.close();
  });

  it('keeps forwarding when the sink fails, and counts the failure', async () => {
    const [a, b] = MemoryLink.pair();
    let writes = 0;
    const writer = new PcapWriter(a, {
      sink: {
        write: () => {
          if (writes++ > 0) throw new Error('disk full');
        },
      },
      clock: new ManualClock(),
    });
    let delivered = 0;
    b.setReceiver((batch) => (delivered += batch.length));
    writer.send([icmp4Echo(A4, B4, 1)]);
    writer.send([icmp4Echo(A4, B4, 2)]);
    await settleMicrotasks();
    expect(delivered).toBe(2);
    expect(writer.stats.writeErrors).toBe(1);
    expect(writes).toBe(2); // recording stopped after the failure
  });

  it('rejects bad options and an unwritable path with typed errors', () => {
    const [a] = MemoryLink.pair();
    expect(() => new PcapWriter(a, {})).toThrow(InvalidArgumentError);
    expect(() => new PcapWriter(a, { path: join(dir, 'x.pcap'), snaplen: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PcapWriter(a, { path: join(dir, 'no-such-dir', 'x.pcap') })).toThrow(PcapError);
  });

  it('composes: FaultInjector(Tracer(PcapWriter(link))) records what the injector let through', () => {
    const sim = new SimScheduler();
    const [a, b] = MemoryLink.pair({ clock: sim, schedule: sim.schedule });
    const chunks: Uint8Array[] = [];
    const pcap = new PcapWriter(a, { sink: { write: (bytes) => chunks.push(bytes.slice()) }, clock: sim, epochMs: 0 });
    const lines: string[] = [];
    const tracer = new Tracer(pcap, { clock: sim, write: (line) => lines.push(line) });
    const faults = new FaultInjector(tracer, { seed: 17, drop: 0.5, clock: sim, schedule: sim.schedule });
    let delivered = 0;
    b.setReceiver((batch) => (delivered += batch.length));
    for (let seq = 0; seq < 200; seq++) faults.send([icmp4Echo(A4, B4, seq & 0xff)]);
    sim.runUntilIdle();
    expect(faults.stats.dropped).toBeGreaterThan(60);
    expect(pcap.stats.recorded).toBe(200 - faults.stats.dropped);
    expect(lines.length).toBe(pcap.stats.recorded);
    expect(delivered).toBe(pcap.stats.recorded);
    faults.close();
    expect(a.isClosed).toBe(true);
  });
});
