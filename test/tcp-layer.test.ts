/**
 * The TCP layer in packets: a stack on a ManualClock joined by a MemoryLink to a hand-made peer
 * that writes raw IPv4+TCP packets and reads what the stack sends back.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { IpAddress } from '../src/ip/address.js';
import { emitIcmp4 } from '../src/ip/icmp4.js';
import { parseIpv4 } from '../src/ip/ipv4.js';
import { IP_PROTOCOL } from '../src/ip/types.js';
import { MemoryLink } from '../src/link/memory.js';
import { Stack } from '../src/stack.js';
import { NO_OPTIONS, type TcpOptions } from '../src/tcp/options.js';
import { emitTcpSegment, parseTcpSegment, TcpFlags, type TcpRepr } from '../src/tcp/segment.js';
import { DeadlineHeap, type HeapItem } from '../src/tcp/deadline-heap.js';
import { Random } from '../src/random.js';
import { ipv4 } from './ip-fixtures.js';
import { EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST, TcpLayer, listenAddressOf, type TcpLayerOptions, type TcpSocketHandle } from '../src/tcp/tcp-layer.js';

const { SYN, ACK, RST } = TcpFlags;
const STACK_ADDRESS = IpAddress.parse('10.9.0.2');
const PEER_ADDRESS = IpAddress.parse('10.9.0.1');

/** Let microtasks (link delivery, IP flush) and nextTicks run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Received {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly dontFragment: boolean;
  readonly segment: TcpRepr;
}

class RawPeer {
  readonly received: Received[] = [];
  /** Copies of every IPv4 packet the stack sent. */
  readonly rawPackets: Uint8Array[] = [];
  constructor(private readonly link: MemoryLink) {
    link.setReceiver((batch) => {
      for (const packet of batch) {
        this.rawPackets.push(packet.slice());
        const ip = parseIpv4(packet);
        if (typeof ip === 'string' || ip.protocol !== IP_PROTOCOL.TCP) continue;
        const segment = parseTcpSegment(ip.payload.slice(), ip.src, ip.dst);
        if (typeof segment === 'string') throw new Error(`the stack sent a bad segment: ${segment}`);
        this.received.push({ src: ip.src, dst: ip.dst, dontFragment: ip.dontFragment, segment });
      }
    });
  }

  send(fields: Partial<TcpRepr> & { srcPort: number; dstPort: number; flags: number }, options: { tcpBytes?: (bytes: Uint8Array) => void } = {}): void {
    const repr: TcpRepr = { seq: 0, ack: 0, window: 65535, urgent: 0, options: NO_OPTIONS, payload: new Uint8Array(0), ...fields };
    const tcp = emitTcpSegment(repr, PEER_ADDRESS, STACK_ADDRESS);
    options.tcpBytes?.(tcp);
    this.sendIpv4(IP_PROTOCOL.TCP, tcp, { id: 1, df: true });
  }

  /** ICMP destination unreachable (type 3) with `code`, quoting `original` (RFC 792). */
  sendIcmpUnreachable(code: number, original: Uint8Array): void {
    this.sendIpv4(IP_PROTOCOL.ICMP, emitIcmp4(3, code, 0, original.subarray(0, 28)), { id: 2, df: false });
  }

  private sendIpv4(protocol: number, payload: Uint8Array, header: { id: number; df: boolean }): void {
    this.link.send([ipv4({ src: PEER_ADDRESS.toString(), dst: STACK_ADDRESS.toString(), protocol, payload, ...header })]);
  }

  take(): TcpRepr[] {
    return this.received.splice(0).map((r) => r.segment);
  }
}

interface Fixture {
  stack: Stack;
  clock: ManualClock;
  layer: TcpLayer;
  peer: RawPeer;
}

const fixtures: Fixture[] = [];

function setup(options: TcpLayerOptions = {}, mtu = 1500): Fixture {
  const clock = new ManualClock(1000);
  // `tcp` is for a Stack that builds its TcpLayer itself (StackOptions.tcp); TcpLayer.of
  // returns that layer, or creates it with these options when the Stack has none yet.
  const stack = new Stack({ clock, ...({ tcp: options } as object) });
  const [ours, theirs] = MemoryLink.pair({ mtu });
  stack.addInterface(ours, { addresses: ['10.9.0.2/24'] });
  const layer = TcpLayer.of(stack, options);
  const fixture = { stack, clock, layer, peer: new RawPeer(theirs) };
  fixtures.push(fixture);
  return fixture;
}

afterEach(() => {
  for (const { layer, stack } of fixtures.splice(0)) {
    layer.close();
    stack.close();
  }
});

function acceptingOwner(): { acceptable: number; onAcceptable(): void } {
  return {
    acceptable: 0,
    onAcceptable() {
      this.acceptable++;
    },
  };
}

const quietOwner = { onTcpEvent: () => {} };

describe('closed ports (RFC 9293 §3.10.7.1)', () => {
  test('a SYN to a closed port gets RST,ACK with SEQ=0 and ACK=SEG.SEQ+1, counted as tcpNoSocket', async () => {
    const { peer, stack } = setup();
    peer.send({ srcPort: 40000, dstPort: 81, seq: 1000, flags: SYN });
    await turn();
    expect(peer.take()).toMatchObject([{ srcPort: 81, dstPort: 40000, seq: 0, ack: 1001, flags: RST | ACK }]);
    expect(stack.counters.get('drop.tcpNoSocket')).toBe(1);
  });

  test('an ACK to a closed port gets RST with SEQ=SEG.ACK; a RST gets nothing', async () => {
    const { peer, stack } = setup();
    peer.send({ srcPort: 40000, dstPort: 81, seq: 5, ack: 777, flags: ACK, payload: Uint8Array.of(1, 2, 3) });
    peer.send({ srcPort: 40000, dstPort: 81, seq: 5, flags: RST });
    await turn();
    expect(peer.take()).toMatchObject([{ seq: 777, flags: RST }]);
    expect(stack.counters.get('drop.tcpNoSocket')).toBe(2);
  });

  test('malformed segments are dropped and counted, never answered', async () => {
    const { peer, stack } = setup();
    peer.send({ srcPort: 40000, dstPort: 81, flags: SYN }, { tcpBytes: (b) => (b[16]! ^= 0xff) }); // checksum
    peer.send({ srcPort: 40000, dstPort: 81, flags: SYN }, { tcpBytes: (b) => (b[12] = 0x20) }); // data offset 8 bytes
    await turn();
    expect(peer.take()).toEqual([]);
    expect(stack.counters.get('drop.badChecksum')).toBe(1);
    expect(stack.counters.get('drop.tcpMalformed')).toBe(1);
  });
});

describe('listeners (RFC 9293 §3.10.7.2)', () => {
  test('SYN → SYN-ACK with the MSS of the interface MTU, DF set; ACK → established in the accept queue', async () => {
    const { peer, layer } = setup({}, 1400);
    const owner = acceptingOwner();
    const listener = layer.listen(listenAddressOf('0.0.0.0'), 80, owner);
    if (typeof listener === 'string') throw new Error(listener);
    peer.send({ srcPort: 40001, dstPort: 80, seq: 5000, flags: SYN, options: { mss: 1460 } });
    await turn();
    const [received] = peer.received.splice(0);
    expect(received!.dontFragment).toBe(true);
    expect(received!.src.equals(STACK_ADDRESS)).toBe(true);
    const synAck = received!.segment;
    expect(synAck).toMatchObject({ srcPort: 80, dstPort: 40001, ack: 5001, flags: SYN | ACK });
    expect(synAck.options.mss).toBe(1400 - 40);
    expect(listener.halfOpen).toBe(1);
    expect(owner.acceptable).toBe(0);

    peer.send({ srcPort: 40001, dstPort: 80, seq: 5001, ack: (synAck.seq + 1) >>> 0, flags: ACK });
    await turn();
    expect(owner.acceptable).toBe(1);
    expect(listener.halfOpen).toBe(0);
    const handle = layer.accept(listener, quietOwner);
    expect(handle?.state).toBe('ESTABLISHED');
    expect(handle?.remotePort).toBe(40001);
    expect(layer.accept(listener)).toBeUndefined();
  });

  test('an ACK to a listener gets RST <SEQ=SEG.ACK>; a RST is ignored', async () => {
    const { peer, layer } = setup();
    layer.listen(listenAddressOf(undefined), 80, acceptingOwner());
    peer.send({ srcPort: 40002, dstPort: 80, seq: 1, ack: 4242, flags: ACK });
    peer.send({ srcPort: 40002, dstPort: 80, seq: 1, flags: RST });
    await turn();
    expect(peer.take()).toMatchObject([{ seq: 4242, flags: RST }]);
    expect(layer.connectionCount).toBe(0);
  });

  test('the SYN backlog limit drops further SYNs and counts them', async () => {
    const { peer, layer, stack } = setup({ synBacklog: 2 });
    layer.listen(listenAddressOf(undefined), 80, acceptingOwner());
    for (const port of [41000, 41001, 41002]) peer.send({ srcPort: port, dstPort: 80, seq: 1, flags: SYN });
    await turn();
    expect(peer.take().map((s) => s.dstPort)).toEqual([41000, 41001]);
    expect(stack.counters.get('drop.tcpBacklogFull')).toBe(1);
  });

  test('a full accept queue drops new SYNs and counts them', async () => {
    const { peer, layer, stack } = setup();
    const listener = layer.listen(listenAddressOf(undefined), 80, acceptingOwner(), 1);
    if (typeof listener === 'string') throw new Error(listener);
    peer.send({ srcPort: 42000, dstPort: 80, seq: 1, flags: SYN });
    await turn();
    const [synAck] = peer.take();
    peer.send({ srcPort: 42000, dstPort: 80, seq: 2, ack: (synAck!.seq + 1) >>> 0, flags: ACK });
    await turn();
    expect(listener.acceptQueue.length).toBe(1);
    peer.send({ srcPort: 42001, dstPort: 80, seq: 1, flags: SYN });
    await turn();
    expect(peer.take()).toEqual([]);
    expect(stack.counters.get('drop.tcpAcceptQueueFull')).toBe(1);
  });

  test('a second listener on an overlapping address and port is EADDRINUSE; unlisten frees it', () => {
    const { layer } = setup();
    const any = layer.listen(listenAddressOf(undefined), 80, acceptingOwner());
    expect(typeof any).toBe('object');
    expect(layer.listen(listenAddressOf('10.9.0.2'), 80, acceptingOwner())).toBe('EADDRINUSE');
    expect(layer.listen(listenAddressOf('10.9.0.2'), 81, acceptingOwner())).not.toBe('EADDRINUSE');
    expect(layer.listen(listenAddressOf('10.9.9.9'), 82, acceptingOwner())).toBe('EADDRNOTAVAIL');
    layer.unlisten(any as Exclude<typeof any, string>);
    expect(typeof layer.listen(listenAddressOf('10.9.0.2'), 80, acceptingOwner())).toBe('object');
  });

  test('unlisten resets a connection still waiting in the accept queue', async () => {
    const { peer, layer } = setup();
    const listener = layer.listen(listenAddressOf(undefined), 80, acceptingOwner());
    if (typeof listener === 'string') throw new Error(listener);
    peer.send({ srcPort: 42100, dstPort: 80, seq: 10, flags: SYN });
    await turn();
    const [synAck] = peer.take();
    peer.send({ srcPort: 42100, dstPort: 80, seq: 11, ack: (synAck!.seq + 1) >>> 0, flags: ACK });
    await turn();
    layer.unlisten(listener);
    await turn();
    expect(peer.take()).toMatchObject([{ flags: RST, seq: (synAck!.seq + 1) >>> 0 }]);
    expect(layer.connectionCount).toBe(0);
  });
});

describe('active opens', () => {
  test('ephemeral ports are unique, in 49152–65535, and the SYN carries the route MSS', async () => {
    const { peer, layer } = setup();
    const ports = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const handle = layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 9 }, quietOwner) as TcpSocketHandle;
      expect(typeof handle).toBe('object');
      ports.add(handle.localPort);
      expect(handle.localPort).toBeGreaterThanOrEqual(EPHEMERAL_PORT_FIRST);
      expect(handle.localPort).toBeLessThanOrEqual(EPHEMERAL_PORT_LAST);
    }
    expect(ports.size).toBe(300);
    await turn();
    const syns = peer.take();
    expect(syns.length).toBe(300);
    expect(syns.every((s) => s.flags === SYN && s.options.mss === 1460)).toBe(true);
  });

  test('a port whose connection closed can be reused; unique keys with a fixed random start', async () => {
    const { layer } = setup({ random: () => 0 });
    const first = layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 9 }, quietOwner) as TcpSocketHandle;
    const second = layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 9 }, quietOwner) as TcpSocketHandle;
    expect(first.localPort).toBe(EPHEMERAL_PORT_FIRST);
    expect(second.localPort).toBe(EPHEMERAL_PORT_FIRST + 1);
    first.abort();
    const third = layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 9 }, quietOwner) as TcpSocketHandle;
    expect(third.localPort).toBe(EPHEMERAL_PORT_FIRST);
  });

  test('no route is ENETUNREACH; a SYN is retransmitted on the manual clock (one timer structure)', async () => {
    const { peer, layer, clock } = setup();
    expect(layer.connect({ remoteAddress: IpAddress.parse('2001:db8::1'), remotePort: 80 }, quietOwner)).toBe('ENETUNREACH');
    const handle = layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 80 }, quietOwner) as TcpSocketHandle;
    await turn();
    const [syn] = peer.take();
    expect(layer.pollAt()).toBe(1000 + layer.config.initialRto);
    clock.advance(layer.config.initialRto - 1);
    await turn();
    expect(peer.take()).toEqual([]);
    clock.advance(1);
    await turn();
    expect(peer.take()).toMatchObject([{ seq: syn!.seq, flags: SYN, srcPort: handle.localPort }]);
  });

  test('an ICMP port unreachable quoting our SYN reaches its connection: ECONNREFUSED, then closed', async () => {
    const { peer, layer } = setup();
    const events: string[] = [];
    layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 81 }, { onTcpEvent: (e) => events.push(e.type === 'error' ? `error:${e.code}` : e.type) });
    await turn();
    const [synPacket] = peer.rawPackets.splice(0);
    peer.sendIcmpUnreachable(3, synPacket!);
    await turn();
    expect(events.filter((e) => e !== 'state')).toEqual(['error:ECONNREFUSED', 'closed']);
    expect(layer.connectionCount).toBe(0);
  });

  test('initial sequence numbers differ between stacks (a random secret each, RFC 6528)', async () => {
    const a = setup({ random: () => 0 });
    const b = setup({ random: () => 0 });
    a.layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 80 }, quietOwner);
    b.layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 80 }, quietOwner);
    await turn();
    const [synA] = a.peer.take();
    const [synB] = b.peer.take();
    expect(synA!.srcPort).toBe(synB!.srcPort);
    expect(synA!.seq).not.toBe(synB!.seq);
  });

  test('a handshake with the peer, then close() resets it and leaves nothing running', async () => {
    const { peer, layer, stack } = setup();
    const events: string[] = [];
    const handle = layer.connect({ remoteAddress: PEER_ADDRESS, remotePort: 80 }, { onTcpEvent: (e) => events.push(e.type) }) as TcpSocketHandle;
    await turn();
    const [syn] = peer.take();
    peer.send({ srcPort: 80, dstPort: handle.localPort, seq: 7000, ack: (syn!.seq + 1) >>> 0, flags: SYN | ACK, options: { mss: 1460 } as TcpOptions });
    await turn();
    expect(handle.state).toBe('ESTABLISHED');
    expect(peer.take()).toMatchObject([{ flags: ACK, ack: 7001 }]);
    layer.close();
    await turn();
    expect(peer.take()).toMatchObject([{ flags: RST, seq: (syn!.seq + 1) >>> 0 }]);
    expect(events).toContain('established');
    expect(events.at(-1)).toBe('closed');
    expect(layer.connectionCount).toBe(0);
    expect(layer.pollAt()).toBe(Infinity);
    expect(stack.counters.get('tcp.activeOpens')).toBe(1);
  });
});

describe('the deadline heap (one timer structure for every connection)', () => {
  test('random updates and removals keep the earliest deadline right', () => {
    const random = new Random(7);
    const heap = new DeadlineHeap<HeapItem & { id: number }>();
    const items = Array.from({ length: 50 }, (_, id) => ({ id, deadline: Infinity, heapIndex: -1 }));
    const filed = new Map<number, number>();
    for (let step = 0; step < 5000; step++) {
      const item = items[random.int(items.length)]!;
      const roll = random.int(10);
      if (roll === 0) {
        heap.remove(item);
        filed.delete(item.id);
      } else if (roll === 1) {
        heap.update(item, Infinity);
        filed.delete(item.id);
      } else {
        const deadline = random.int(1000);
        heap.update(item, deadline);
        filed.set(item.id, deadline);
      }
      expect(heap.size).toBe(filed.size);
      expect(heap.earliest()).toBe(filed.size === 0 ? Infinity : Math.min(...filed.values()));
    }
  });
});
