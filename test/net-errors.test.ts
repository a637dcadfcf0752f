/**
 * Connection errors as Node reports them (code, errno, syscall, address, port, message), always
 * delivered asynchronously as 'error' then 'close'(true), never thrown: refused, reset, timed
 * out (ManualClock), no route, ICMP host/net unreachable, write after end.
 */
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { emitIcmp4 } from '../src/ip/icmp4.js';
import { IP_PROTOCOL } from '../src/ip/types.js';
import { createServer, Stream } from '../src/net/index.js';
import { CaptureLink, ipv4 } from './ip-fixtures.js';
import { cleanUpAfterEach, closed, listen, newStack, recordEvents, tick, until } from './helpers/net.js';

cleanUpAfterEach();

/** A stack with one device (a CaptureLink) at 10.7.0.1/24, default route through it. */
function stackOnDevice(clock?: ManualClock): { stack: ReturnType<typeof newStack>; link: CaptureLink } {
  const stack = newStack({ clock, tcp: { config: { synRetries: 2 } } });
  const link = new CaptureLink();
  stack.addInterface(link, { name: 'dev0', addresses: ['10.7.0.1/24'] });
  return { stack, link };
}

/** What a router at 10.7.0.254 would send back: ICMP type 3 with `code`, quoting `packet`. */
function unreachable(packet: Uint8Array, code: number): Uint8Array {
  const quoted = packet.subarray(0, 20 + 8);
  return ipv4({ src: '10.7.0.254', dst: '10.7.0.1', protocol: IP_PROTOCOL.ICMP, payload: emitIcmp4(3, code, 0, quoted) });
}

describe('connect failures', () => {
  test("ECONNREFUSED: nothing thrown by connect(); 'error' (a later tick) then close(true); fields as Node's", async () => {
    const stack = newStack();
    const client = new Stream({ stack });
    const events = recordEvents(client);
    let returned = false;
    client.connect(1, '127.0.0.1');
    returned = true;
    expect(events).toEqual([]); // nothing synchronous
    const hadError = await closed(client);
    expect(returned && hadError).toBe(true);
    expect(events).toEqual(['error:ECONNREFUSED', 'close:true']);
    expect(client.errored).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 1, message: 'connect ECONNREFUSED 127.0.0.1:1' });
  });

  test('ENETUNREACH when no route exists, in a later tick', async () => {
    const stack = newStack(); // loopback only: no route to 192.0.2.1
    const client = stack.createConnection(80, '192.0.2.1');
    const events = recordEvents(client);
    expect(events).toEqual([]);
    expect(await closed(client)).toBe(true);
    expect(events).toEqual(['error:ENETUNREACH', 'close:true']);
    expect(client.errored).toMatchObject({ code: 'ENETUNREACH', errno: -101, syscall: 'connect', address: '192.0.2.1', port: 80 });
  });

  test('ETIMEDOUT when every SYN goes unanswered (ManualClock: exactly after the SYN retries)', async () => {
    const clock = new ManualClock();
    const { stack, link } = stackOnDevice(clock);
    const client = stack.createConnection(80, '10.7.0.99');
    const events = recordEvents(client);
    const done = closed(client);
    await until(() => link.sent.length === 1, 'the SYN');
    for (let i = 0; i < 200 && events.length === 0; i++) {
      clock.advance(1000);
      await tick();
    }
    expect(await done).toBe(true);
    expect(link.sent.length).toBe(3); // SYN + 2 retries
    expect(events).toEqual(['error:ETIMEDOUT', 'close:true']);
    expect(client.errored).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'connect', address: '10.7.0.99', port: 80 });
  });

  test('EHOSTUNREACH at once on an ICMP host unreachable quoting our SYN (as Linux)', async () => {
    const { stack, link } = stackOnDevice();
    const client = stack.createConnection(443, '10.7.0.99');
    const events = recordEvents(client);
    await until(() => link.sent.length === 1, 'the SYN');
    link.receiver!([unreachable(link.sent[0]!, 1)]);
    expect(await closed(client)).toBe(true);
    expect(events).toEqual(['error:EHOSTUNREACH', 'close:true']);
    expect(client.errored).toMatchObject({ code: 'EHOSTUNREACH', errno: -113, syscall: 'connect', address: '10.7.0.99', port: 443 });
    expect(stack.stats().tcp?.connectUnreachable).toBe(1);
  });

  test('ENETUNREACH on an ICMP net unreachable; an ICMP error quoting another sequence number is ignored', async () => {
    const { stack, link } = stackOnDevice();
    const client = stack.createConnection(443, '10.7.0.99');
    const events = recordEvents(client);
    await until(() => link.sent.length === 1, 'the SYN');
    const forged = Uint8Array.from(link.sent[0]!);
    forged[20 + 4] ^= 0x80; // sequence number far outside SND.UNA..SND.MAX (RFC 5927 §4.1)
    link.receiver!([unreachable(forged, 0)]);
    await tick(10);
    expect(events).toEqual([]);
    link.receiver!([unreachable(link.sent[0]!, 0)]);
    expect(await closed(client)).toBe(true);
    expect(events).toEqual(['error:ENETUNREACH', 'close:true']);
  });
});

describe('errors on an open connection', () => {
  test("ECONNRESET: the peer's destroy() gives error(read) then close(true)", async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, (s) => setTimeout(() => s.destroy(), 5)));
    const client = stack.createConnection(port);
    const events = recordEvents(client);
    expect(await closed(client)).toBe(true);
    expect(events).toEqual(['connect', 'ready', 'error:ECONNRESET', 'close:true']);
    expect(client.errored).toMatchObject({ code: 'ECONNRESET', errno: -104, address: '127.0.0.1', port });
  });

  test('write after end: ERR_STREAM_WRITE_AFTER_END to the callback and as error, in a later tick, never thrown', async () => {
    const stack = newStack();
    const port = await listen(createServer(stack, (s) => s.on('error', () => {}).resume()));
    const client = stack.createConnection(port);
    await once(client, 'connect');
    const events = recordEvents(client);
    client.end();
    let callbackError: (Error & { code?: string }) | null | undefined;
    expect(() => client.write('late', (error) => (callbackError = error))).not.toThrow();
    expect(callbackError).toBeUndefined(); // not synchronous
    await closed(client);
    expect(callbackError?.code).toBe('ERR_STREAM_WRITE_AFTER_END');
    expect(events).toContain('error:ERR_STREAM_WRITE_AFTER_END');
    expect(events[events.length - 1]).toBe('close:true');
  });
});
