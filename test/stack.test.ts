/** Two Stacks joined by a MemoryLink pair: ping, fragmentation, ICMP errors end to end, timers, close. */
import { afterEach, describe, expect, test } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { IpAddress } from '../src/ip/address.js';
import type { IcmpErrorReport } from '../src/ip/types.js';
import { MemoryLink } from '../src/link/memory.js';
import { settleMicrotasks } from '../src/link/sim-scheduler.js';
import { Stack, type StackOptions } from '../src/stack.js';
import { ipv4 } from './ip-fixtures.js';

const open: Stack[] = [];
afterEach(() => {
  for (const stack of open.splice(0)) stack.close();
});

function pair(options: { a?: StackOptions; b?: StackOptions; mtu?: number } = {}) {
  const [left, right] = MemoryLink.pair({ mtu: options.mtu ?? 1500 });
  const a = new Stack(options.a);
  const b = new Stack(options.b);
  open.push(a, b);
  a.addInterface(left, { addresses: ['10.7.0.1/24', 'fd07::1/64'] });
  b.addInterface(right, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
  return { a, b, left, right };
}

async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await settleMicrotasks();
}

describe('Stack pair', () => {
  test.each([
    ['10.7.0.2', 56],
    ['10.7.0.2', 4000],
    ['fd07::2', 56],
    ['fd07::2', 4000],
  ] as const)('ping %s with %i data bytes', async (dst, size) => {
    const { a, b } = pair();
    const replies = await a.ping(dst, { count: 3, size, intervalMs: 5, timeoutMs: 2000 });
    expect(replies.map((r) => [r.seq, r.bytes, r.from])).toEqual([1, 2, 3].map((seq) => [seq, size + 8, dst]));
    for (const reply of replies) expect(reply.rttMs).toBeGreaterThanOrEqual(0);
    const family = dst.includes(':') ? 6 : 4;
    if (size > 1500) {
      // Both directions fragmented by the sender and reassembled by the receiver.
      expect(a.counters.get(`ipv${family}.fragmentsCreated`)).toBe(9);
      expect(b.counters.get(`ipv${family}.reassembled`)).toBe(3);
      expect(b.counters.get(`ipv${family}.fragmentsCreated`)).toBe(9);
      expect(a.counters.get(`ipv${family}.reassembled`)).toBe(3);
    }
    expect(b.counters.get(`icmp${family}.outEchoReplies`)).toBe(3);
  });

  test('loopback: 127.0.0.1, ::1 and our own address answer without touching the link', async () => {
    const { a, left } = pair();
    for (const dst of ['127.0.0.1', '::1', '10.7.0.1', 'fd07::1']) {
      const replies = await a.ping(dst, { count: 1, size: 9000, timeoutMs: 1000 });
      expect(replies.map((r) => r.from)).toEqual([IpAddress.parse(dst).key]);
    }
    expect(left.stats.sent).toBe(0);
  });

  test('UDP to a closed port: the sender hears port unreachable', async () => {
    const { a } = pair();
    const reports: IcmpErrorReport[] = [];
    a.ip.udp.onIcmpError((report) => reports.push(report));
    expect(a.ip.udp.send({ dst: IpAddress.parse('10.7.0.2'), srcPort: 5000, dstPort: 9, data: new Uint8Array(4) })).toBe('sent');
    expect(a.ip.udp.send({ dst: IpAddress.parse('fd07::2'), srcPort: 5000, dstPort: 9, data: new Uint8Array(4) })).toBe('sent');
    await settle();
    expect(reports.map((r) => [r.kind, r.originalDst.key, r.originalPayload[1]])).toEqual([
      ['portUnreachable', '10.7.0.2', 5000 & 0xff],
      ['portUnreachable', 'fd07::2', 5000 & 0xff],
    ]);
  });

  test('an unknown protocol: the sender hears protocol unreachable (v4) / parameter problem code 1 (v6)', async () => {
    const { a } = pair();
    const reports: IcmpErrorReport[] = [];
    a.ip.registerProtocol(253, { receive() {}, receiveIcmpError: (report) => reports.push(report) });
    a.ip.send({ dst: IpAddress.parse('10.7.0.2'), protocol: 253, payload: new Uint8Array(8) });
    a.ip.send({ dst: IpAddress.parse('fd07::2'), protocol: 253, payload: new Uint8Array(8) });
    await settle();
    expect(reports.map((r) => [r.kind, r.type, r.code])).toEqual([
      ['protocolUnreachable', 3, 2],
      ['protocolUnreachable', 4, 1],
    ]);
  });

  test('the ICMP rate limit applies across the wire', async () => {
    const { a, b } = pair({ b: { icmpRateLimit: { perSecond: 1, burst: 3 } } });
    const reports: IcmpErrorReport[] = [];
    a.ip.udp.onIcmpError((report) => reports.push(report));
    for (let i = 0; i < 10; i++) a.ip.udp.send({ dst: IpAddress.parse('10.7.0.2'), srcPort: 5000 + i, dstPort: 9, data: new Uint8Array(1) });
    await settle();
    expect(reports.length).toBe(3);
    expect(b.counters.get('drop.icmpRateLimited')).toBe(7);
  });

  test('DF set and too big → tooBig; no route → noRoute', () => {
    const { a } = pair();
    expect(a.ip.send({ dst: IpAddress.parse('10.7.0.2'), protocol: 6, payload: new Uint8Array(3000) })).toBe('tooBig');
    const lonely = new Stack();
    open.push(lonely);
    expect(lonely.ip.send({ dst: IpAddress.parse('10.7.0.2'), protocol: 17, payload: new Uint8Array(8) })).toBe('noRoute');
  });

  test('routes: longest prefix wins, addRoute by interface name', async () => {
    const [l1, r1] = MemoryLink.pair({ names: ['a1', 'b1'] });
    const [l2, r2] = MemoryLink.pair({ names: ['a2', 'b2'] });
    const a = new Stack();
    const b = new Stack();
    const c = new Stack();
    open.push(a, b, c);
    a.addInterface(l1, { addresses: ['10.1.0.1/24'] });
    a.addInterface(l2, { name: 'second', addresses: ['10.2.0.1/24'] });
    b.addInterface(r1, { addresses: ['10.1.0.2/24', '192.168.9.9/32'] });
    c.addInterface(r2, { addresses: ['10.2.0.2/24', '192.168.9.10/32'] });
    // 192.168.9.0/24 goes the default way (first interface), 192.168.9.10/32 via "second".
    a.addRoute('192.168.9.10/32', 'second');
    c.addRoute('10.2.0.0/16', c.interfaces()[1]!);
    expect((await a.ping('192.168.9.9', { timeoutMs: 500 })).length).toBe(1);
    expect((await a.ping('192.168.9.10', { timeoutMs: 500 })).length).toBe(1);
    expect(() => a.addRoute('10.9.0.0/16', 'nope')).toThrow(/no interface/);
  });
});

describe('Stack on a manual clock', () => {
  test('ping timing, missing replies absent, one wake-up for every deadline', async () => {
    const clock = new ManualClock(0);
    const { a } = pair({ a: { clock } });
    const done = a.ping('10.7.0.2', { count: 3, intervalMs: 1000, timeoutMs: 500 });
    let result: Awaited<typeof done> | undefined;
    void done.then((r) => (result = r));
    await settle();
    expect(clock.nextWake()).toBe(1000);
    clock.advance(1000);
    await settle();
    clock.advance(1000);
    await settle();
    expect(result?.map((r) => [r.seq, r.rttMs])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    // A host that does not answer: all replies absent after count × interval + timeout.
    const silent = a.ping('10.7.0.99', { count: 2, intervalMs: 1000, timeoutMs: 500 });
    let silentResult: Awaited<typeof silent> | undefined;
    void silent.then((r) => (silentResult = r));
    clock.advance(1000);
    await settle();
    expect(silentResult).toBeUndefined();
    clock.advance(500);
    await settle();
    expect(silentResult).toEqual([]);
  });

  test('pollables: polled at their deadline through the one clock wake-up', () => {
    const clock = new ManualClock(0);
    const stack = new Stack({ clock });
    open.push(stack);
    const polled: number[] = [];
    let next = 50;
    stack.addPollable({ pollAt: () => next, poll: (now) => (polled.push(now), (next = now >= 150 ? Infinity : now + 50)) });
    stack.addPollable({ pollAt: () => 120, poll: () => { throw new Error('bug'); } });
    clock.advance(40);
    expect(polled).toEqual([]);
    clock.advance(200);
    expect(polled).toEqual([50, 100, 150]);
    expect(stack.counters.get('stack.pollErrors')).toBeGreaterThan(0);
  });

  test('reassembly timeouts run from the stack clock', async () => {
    const clock = new ManualClock(0);
    const { b } = pair({ b: { clock, reassembly: { timeoutMs: 2000 } } });
    // Only the first fragment of a 4000-byte ping reaches b.
    const iface = b.interfaces().find((i) => !i.isLoopback)!;
    const first = ipv4({ protocol: 1, payload: new Uint8Array(1480), mf: true, id: 9 });
    b.ip.receive([first], iface);
    b.reschedule();
    expect(clock.nextWake()).toBe(2000);
    expect(b.ip.reassemblyBytes).toBe(1500);
    clock.advance(2000);
    expect(b.ip.reassemblyBytes).toBe(0);
    expect(b.counters.get('drop.reassemblyTimeout')).toBe(1);
    expect(b.counters.get('icmp4.outReassemblyTimeouts')).toBe(1);
  });
});

describe('Stack lifecycle', () => {
  test('close: links closed, pending pings resolved, idempotent; later use is refused', async () => {
    const { a, left } = pair();
    const pending = a.ping('10.7.0.99', { count: 5, intervalMs: 1000 });
    a.close();
    a.close();
    expect(await pending).toEqual([]);
    expect(left.isClosed).toBe(true);
    await expect(a.ping('10.7.0.2')).rejects.toThrow(/closed/);
    expect(() => a.addInterface(MemoryLink.pair()[0])).toThrow(/closed/);
  });

  test('misuse throws typed errors', () => {
    const stack = new Stack();
    open.push(stack);
    const [link] = MemoryLink.pair();
    expect(() => stack.addInterface(link, { addresses: ['10.0.0.1/33'] })).toThrow(/prefix length/);
    expect(() => stack.addInterface(link, { addresses: ['127.0.0.1/8'] })).toThrow(/already configured/);
    expect(() => stack.ip.registerProtocol(1, { receive() {} })).toThrow(/ICMP/);
    // Every stack has TCP (protocol 6) registered; a second handler for it is refused.
    expect(() => stack.ip.registerProtocol(6, { receive() {} })).toThrow(/already/);
    stack.ip.registerProtocol(200, { receive() {} });
    expect(() => stack.ip.registerProtocol(200, { receive() {} })).toThrow(/already/);
  });
});
