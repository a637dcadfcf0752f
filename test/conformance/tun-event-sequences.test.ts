/**
 * Issue 5, "Checked by": event sequences recorded for the same scenarios (normal close, peer
 * half-close, refused, reset, timeout, destroy with error) are identical between tuntcp and
 * Node's net.Socket where NET_STREAM.md says they should be, and differ exactly where it says so.
 *
 * Each scenario runs three times inside one namespace, over a real TUN where tuntcp is involved:
 *   kernel ↔ kernel   Node net client and server, both in the namespace (the reference);
 *   tuntcp → kernel   our client (10.7.0.2) against a kernel Node net server (10.7.0.1);
 *   kernel → tuntcp   a kernel Node net client against our server.
 * The role code is shared (test/tools/event-scenarios.mjs); the kernel side's events are
 * recorded by test/tools/event-peer.mjs, ours here. The only difference NET_STREAM.md/api.md
 * state for these scenarios: destroy() sends RST unless both directions closed cleanly (the
 * kernel sends FIN when no unread data is left), so a kernel peer of our destroy()ed client
 * sees ECONNRESET instead of a clean end.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createConnection, createServer, type Server, type Stream } from '../../src/net/index.js';
import { Stack } from '../../src/stack.js';
import { startKernelTool } from '../helpers/kernel-tool.js';
import { createNamespace, describeNetns, openTunInNamespace, type Namespace } from '../helpers/netns.js';
import { runRole, type ErrorFields, type RoleResult, type ScenarioName } from '../tools/event-scenarios.mjs';

const KERNEL = '10.7.0.1';
const OURS = '10.7.0.2';
const KERNEL6 = 'fd07::1';
const OURS6 = 'fd07::2';
const CLOSED_PORT = 9;

interface Run {
  client: RoleResult;
  server: RoleResult | null;
  /** The server's port (CLOSED_PORT for 'refused'). */
  port: number;
}

/** `promise`, or a clear failure after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An error as it reads when the peer is `to` instead of `from`. */
function retarget(error: ErrorFields | null, from: string, to: string): ErrorFields | null {
  if (error === null || error.address !== from) return error;
  return { ...error, address: to, message: error.message.replace(from, to) };
}

/** What kernel ↔ kernel gives (asserted, so that a broken reference cannot pass unnoticed). */
const REFERENCE: Record<ScenarioName, { client: string[]; server: string[] | null }> = {
  'normal-close': {
    client: ['connect', 'ready', 'data', 'state:readOnly', 'finish', 'end', 'close:false'],
    server: ['data', 'end', 'state:writeOnly', 'finish', 'close:false'],
  },
  'peer-half-close': {
    client: ['connect', 'ready', 'data', 'end', 'state:writeOnly', 'finish', 'close:false'],
    server: ['finish', 'data', 'end', 'received:late', 'close:false'],
  },
  refused: { client: ['error:ECONNREFUSED', 'close:true'], server: null },
  reset: {
    client: ['connect', 'ready', 'error:ECONNRESET', 'close:true'],
    server: ['data', 'close:false'],
  },
  timeout: {
    client: ['connect', 'ready', 'timeout', 'state:open', 'close:false'],
    server: ['end', 'finish', 'close:false'],
  },
  'destroy-error': {
    client: ['connect', 'ready', 'error:EBOOM', 'close:true'],
    server: ['end', 'finish', 'close:false'],
  },
};

/** The stated difference: the kernel peer of our destroy()ed client is reset, not ended. */
const RESET_BY_OUR_DESTROY = ['error:ECONNRESET', 'close:true'];

describeNetns('event sequences over a real TUN: tuntcp against the kernel, compared with kernel ↔ kernel', () => {
  let ns: Namespace;
  let stack: Stack;
  let nextPort = 9200;
  const servers: Server[] = [];

  beforeAll(() => {
    ns = createNamespace('ttevt');
    const tun = openTunInNamespace(ns, { peerAddress: `${KERNEL}/24`, peerAddress6: `${KERNEL6}/64` });
    stack = new Stack({ tcp: { config: { msl: 500 } } });
    stack.addInterface(tun, { addresses: [`${OURS}/24`, `${OURS6}/64`] });
  });

  afterAll(() => {
    for (const server of servers) if (server.listening) server.close();
    stack?.close();
    ns?.delete();
  });

  const hasServer = (scenario: ScenarioName): boolean => REFERENCE[scenario].server !== null;

  async function kernelToKernel(scenario: ScenarioName, host = KERNEL): Promise<Run> {
    const port = hasServer(scenario) ? nextPort++ : CLOSED_PORT;
    const tool = startKernelTool(ns, 'event-peer.mjs', ['pair', scenario, host, String(port)]);
    try {
      return { ...(await tool.json<Omit<Run, 'port'>>()), port };
    } finally {
      tool.kill();
    }
  }

  async function tuntcpToKernel(scenario: ScenarioName, host = KERNEL): Promise<Run> {
    const port = hasServer(scenario) ? nextPort++ : CLOSED_PORT;
    const tool = hasServer(scenario) ? startKernelTool(ns, 'event-peer.mjs', ['server', scenario, String(port)]) : undefined;
    try {
      await tool?.waitForLine((line) => line === 'listening', 'listening');
      const client = await within(runRole(createConnection(stack, { port, host, allowHalfOpen: true }), scenario, 'client'), 10_000, 'close of our client');
      return { client, server: tool ? await tool.json<RoleResult>() : null, port };
    } finally {
      tool?.kill();
    }
  }

  async function kernelToTuntcp(scenario: ScenarioName, host = OURS): Promise<Run> {
    let port = CLOSED_PORT;
    let served: Promise<RoleResult> | null = null;
    if (hasServer(scenario)) {
      port = nextPort++;
      const server = createServer(stack, { allowHalfOpen: true });
      served = new Promise((resolve) =>
        server.once('connection', (stream: Stream) => {
          server.close();
          resolve(runRole(stream, scenario, 'server'));
        }),
      );
      servers.push(server);
      await new Promise<void>((listening) => server.listen(port, listening));
    }
    const tool = startKernelTool(ns, 'event-peer.mjs', ['client', scenario, host, String(port)]);
    try {
      const client = await tool.json<RoleResult>();
      return { client, server: served && (await within(served, 10_000, 'our server side to close')), port };
    } finally {
      tool.kill();
    }
  }

  const eventsOf = (run: Run): { client: string[]; server: string[] | null } => ({ client: run.client.events, server: run.server?.events ?? null });

  for (const scenario of Object.keys(REFERENCE) as ScenarioName[]) {
    test(`${scenario}: identical to kernel ↔ kernel in both directions${scenario === 'timeout' || scenario === 'destroy-error' ? ', except the stated destroy() RST' : ''}`, async () => {
      const reference = await kernelToKernel(scenario);
      expect(eventsOf(reference)).toEqual(REFERENCE[scenario]);

      // Our server and a kernel client: no destroy() on our side in any scenario, so identical.
      const served = await kernelToTuntcp(scenario);
      expect(eventsOf(served)).toEqual(eventsOf(reference));

      // Our client and a kernel server: identical, except where our client destroy()s a
      // connection that is not closed cleanly (api.md "Differences": RST instead of FIN).
      const ours = await tuntcpToKernel(scenario);
      expect(ours.client.events).toEqual(reference.client.events);
      const destroysOpenConnection = scenario === 'timeout' || scenario === 'destroy-error';
      expect(ours.server?.events ?? null).toEqual(destroysOpenConnection ? RESET_BY_OUR_DESTROY : (reference.server?.events ?? null));

      // The errors: the kernel client's are the reference's with our address in place of the
      // kernel's; our client's have the same code, errno, syscall (and, for connect errors,
      // address, port and message) as the kernel client's against the same peer.
      expect(served.client.error).toEqual(retarget(reference.client.error, KERNEL, OURS));
      const expected = reference.client.error;
      if (expected !== null && expected.syscall !== undefined && expected.address === undefined) {
        // Not in api.md's list: Node's read/write errors have no address/port, tuntcp's name the peer.
        expect(ours.client.error).toEqual({ ...expected, address: KERNEL, port: ours.port, message: `${expected.message} ${KERNEL}:${ours.port}` });
      } else {
        expect(ours.client.error).toEqual(expected);
      }
    });
  }

  test('refused over IPv6: the same events and the same error fields and message as the kernel', async () => {
    const reference = await kernelToKernel('refused', KERNEL6);
    expect(reference.client.error).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: KERNEL6, port: CLOSED_PORT });
    const ours = await tuntcpToKernel('refused', KERNEL6);
    expect(ours).toEqual(reference);
    const served = await kernelToTuntcp('refused', OURS6);
    expect(served.client.events).toEqual(reference.client.events);
    expect(served.client.error).toEqual(retarget(reference.client.error, KERNEL6, OURS6));
  });

  test('normal close over IPv6: identical to kernel ↔ kernel both ways', async () => {
    const reference = await kernelToKernel('normal-close', KERNEL6);
    expect(eventsOf(reference)).toEqual(REFERENCE['normal-close']);
    expect(eventsOf(await tuntcpToKernel('normal-close', KERNEL6))).toEqual(eventsOf(reference));
    expect(eventsOf(await kernelToTuntcp('normal-close', OURS6))).toEqual(eventsOf(reference));
  });
});
