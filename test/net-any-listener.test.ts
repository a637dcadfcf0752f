/**
 * The any-destination listener (the VPN endpoint: gVisor's TCP forwarder, tun2socks):
 * `listen({ any: true, filter })` takes connections to every address and port arriving on a
 * device, with the original destination as the stream's local address. Two stacks joined by a
 * MemoryLink: "client" (10.0.0.2, fd00::2) routes everything to "endpoint" (10.0.0.1, fd00::1).
 */
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { MemoryLink } from '../src/link/memory.js';
import { createServer, type Endpoint, type Stream } from '../src/net/index.js';
import type { NetInterface } from '../src/ip/types.js';
import { cleanUpAfterEach, closed, collect, newStack, recordEvents, tick, track } from './helpers/net.js';

cleanUpAfterEach();

function pairOfStacks(): { client: ReturnType<typeof newStack>; endpoint: ReturnType<typeof newStack>; device: NetInterface } {
  const [a, b] = MemoryLink.pair({ mtu: 1500 });
  const client = newStack();
  client.addInterface(a, { name: 'eth0', addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  const endpoint = newStack();
  const device = endpoint.addInterface(b, { name: 'tun0', addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  return { client, endpoint, device };
}

async function anyServer(endpoint: ReturnType<typeof newStack>, options: { filter?: (local: Endpoint, remote: Endpoint) => boolean; interface?: NetInterface | string } = {}): Promise<{ accepted: Stream[] }> {
  const accepted: Stream[] = [];
  const server = track(
    createServer(endpoint, (stream) => {
      accepted.push(stream);
      stream.on('error', () => {});
      stream.end(`you reached ${stream.localAddress} port ${stream.localPort}`);
    }),
  );
  server.listen({ any: true, ...options });
  await once(server, 'listening');
  return { accepted };
}

describe('listen({ any: true })', () => {
  test('accepts connections to any IPv4/IPv6 address and port; localAddress/localPort are the original destination', async () => {
    const { client, endpoint } = pairOfStacks();
    const { accepted } = await anyServer(endpoint);
    for (const [host, port] of [
      ['203.0.113.5', 443],
      ['198.51.100.77', 8080],
      ['2001:db8::68', 22],
    ] as const) {
      const stream = client.createConnection(port, host);
      const received = collect(stream);
      await once(stream, 'end');
      expect(received.text()).toBe(`you reached ${host} port ${port}`);
      expect(stream.remoteAddress).toBe(host);
      stream.end();
      const serverSide = accepted[accepted.length - 1]!;
      expect(serverSide.localAddress).toBe(host);
      expect(serverSide.localPort).toBe(port);
      expect(serverSide.remoteAddress).toBe(host.includes(':') ? 'fd00::2' : '10.0.0.2');
      expect(serverSide.remotePort).toBe(stream.localPort);
    }
    expect(accepted.length).toBe(3);
  });

  test('the filter sees (local, remote) and what it refuses is answered with RST (ECONNREFUSED)', async () => {
    const { client, endpoint } = pairOfStacks();
    const seen: string[] = [];
    await anyServer(endpoint, {
      filter: (local, remote) => {
        seen.push(`${remote.address}>${local.address}:${local.port}`);
        return local.port === 443;
      },
    });
    const refused = client.createConnection(80, '203.0.113.5');
    const events = recordEvents(refused);
    expect(await closed(refused)).toBe(true);
    expect(events).toEqual(['error:ECONNREFUSED', 'close:true']);
    const allowed = client.createConnection(443, '203.0.113.5');
    allowed.resume();
    await once(allowed, 'end');
    allowed.end();
    expect(seen).toEqual(['10.0.0.2>203.0.113.5:80', '10.0.0.2>203.0.113.5:443']);
  });

  test('a listener bound to a port of its own still takes its connections first', async () => {
    const { client, endpoint } = pairOfStacks();
    const { accepted } = await anyServer(endpoint);
    const bound = track(createServer(endpoint, (s) => s.end('bound')));
    bound.listen(7000, '10.0.0.1');
    await once(bound, 'listening');
    const stream = client.createConnection(7000, '10.0.0.1');
    const received = collect(stream);
    await once(stream, 'end');
    stream.end();
    expect(received.text()).toBe('bound');
    expect(accepted.length).toBe(0);
  });

  test('only TCP is taken for foreign addresses, and only while the listener exists; ICMP echo only for own addresses', async () => {
    const { client, endpoint, device } = pairOfStacks();
    expect(endpoint.ip.isPromiscuous(device)).toBe(false);
    // No any-listener: a SYN to a foreign address is not for us (dropped, no RST).
    const early = client.createConnection(443, '203.0.113.9');
    early.on('error', () => {});
    await tick(30);
    expect(early.readyState).toBe('opening');
    expect(endpoint.counters.get('drop.notForUs')).toBe(1);
    expect(endpoint.counters.get('tcp.resetsOut')).toBe(0);
    early.destroy();
    const server = createServer(endpoint, (s) => s.end());
    server.listen({ any: true });
    await once(server, 'listening');
    expect(endpoint.ip.isPromiscuous(device)).toBe(true);
    expect(await client.ping('203.0.113.9', { count: 1, timeoutMs: 50, intervalMs: 0 })).toEqual([]);
    expect((await client.ping('10.0.0.1', { count: 1, timeoutMs: 200, intervalMs: 0 })).length).toBe(1);
    const closedServer = once(server, 'close');
    server.close();
    await closedServer;
    expect(endpoint.ip.isPromiscuous(device)).toBe(false);
    const dropsBefore = endpoint.counters.get('drop.notForUs');
    const late = client.createConnection(443, '203.0.113.9');
    late.on('error', () => {});
    await tick(30);
    expect(late.readyState).toBe('opening');
    expect(endpoint.counters.get('drop.notForUs')).toBe(dropsBefore + 1);
    late.destroy();
  });

  test('interface: connections arriving on another interface are not taken', async () => {
    const { client, endpoint } = pairOfStacks();
    const { accepted } = await anyServer(endpoint, { interface: 'lo' });
    const stream = client.createConnection(443, '203.0.113.5');
    stream.on('error', () => {});
    await tick(30);
    expect(stream.readyState).toBe('opening');
    expect(accepted.length).toBe(0);
    stream.destroy();
    expect(() => createServer(endpoint).listen({ any: true, interface: 'nope0' })).toThrow(/no interface named/);
    expect(() => createServer(endpoint).listen({ any: true, port: 80 })).toThrow(/filter/);
  });
});
