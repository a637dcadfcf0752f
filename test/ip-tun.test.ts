/**
 * The IP layer against the Linux kernel over a real TUN device, inside a namespace the test
 * creates: the kernel is the peer, `ping` and Python's UDP sockets are its tools.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { createNamespace, describeNetns, openTunInNamespace, type Namespace } from './helpers/netns.js';
import { checkCapture } from './helpers/tshark.js';
import { Stack } from '../src/stack.js';
import { PcapWriter } from '../src/link/pcap.js';

const PYTHON = '/usr/bin/python3';

/** Send one UDP datagram from the kernel side and report what the kernel's socket saw. */
const UDP_PROBE = `
import socket, sys
family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b'is anyone there?')
try:
    s.recv(100)
    print('reply')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')
`;

function pingSummary(stdout: string): { transmitted: number; received: number } {
  const match = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (!match) throw new Error(`unexpected ping output:\n${stdout}`);
  return { transmitted: Number(match[1]), received: Number(match[2]) };
}

describeNetns('IP over a real TUN device, the kernel as the peer', () => {
  let ns: Namespace;
  let stack: Stack;
  const pcap = join(tmpdir(), `tuntcp-ip-tun-${process.pid}.pcap`);

  beforeAll(() => {
    ns = createNamespace('ttip');
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack();
    stack.addInterface(new PcapWriter(tun, { path: pcap }), { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
  });

  afterAll(() => {
    stack?.close();
    ns?.delete();
    rmSync(pcap, { force: true });
  });

  it('answers `ping -c 5` (IPv4) with every reply', async () => {
    const result = await ns.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', '10.7.0.2']);
    expect(pingSummary(result.stdout)).toEqual({ transmitted: 5, received: 5 });
    expect(stack.counters.get('icmp4.inEchoRequests')).toBeGreaterThanOrEqual(5);
  });

  it('answers `ping -c 3 -s 4000`: fragmented both ways, reassembled both ways', async () => {
    const fragmentsBefore = stack.counters.get('ipv4.fragmentsCreated');
    const result = await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '-s', '4000', '10.7.0.2']);
    expect(pingSummary(result.stdout)).toEqual({ transmitted: 3, received: 3 });
    expect(result.stdout).toContain('4008 bytes from 10.7.0.2');
    expect(stack.counters.get('ipv4.reassembled')).toBeGreaterThanOrEqual(3);
    // 4028-byte replies at MTU 1500 leave as 3 fragments each.
    expect(stack.counters.get('ipv4.fragmentsCreated') - fragmentsBefore).toBe(9);
  });

  it('answers `ping -6 -c 5` with every reply', async () => {
    const result = await ns.exec('ping', ['-6', '-c', '5', '-i', '0.2', '-W', '2', 'fd07::2']);
    expect(pingSummary(result.stdout)).toEqual({ transmitted: 5, received: 5 });
  });

  it('answers `ping -6 -s 4000`: IPv6 fragments both ways', async () => {
    const result = await ns.exec('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '2', '-s', '4000', 'fd07::2']);
    expect(pingSummary(result.stdout)).toEqual({ transmitted: 2, received: 2 });
  });

  it('sends ICMP port unreachable for UDP to a closed port, which the kernel turns into ECONNREFUSED', async () => {
    const v4 = await ns.exec(PYTHON, ['-c', UDP_PROBE, '10.7.0.2', '9999']);
    expect(v4.stdout.trim()).toBe('refused');
    const v6 = await ns.exec(PYTHON, ['-c', UDP_PROBE, 'fd07::2', '9999']);
    expect(v6.stdout.trim()).toBe('refused');
  });

  it('writes a capture that tshark reads with no malformed packets and no bad checksums', () => {
    stack.close(); // closes the PcapWriter: the file is complete
    const check = checkCapture(pcap);
    expect(check.packets).toBeGreaterThanOrEqual(2 * (5 + 3 * 4 + 5) + 4);
    expect(check.problems).toEqual([]);
  });
});
