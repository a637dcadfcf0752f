/**
 * Bad input over the real device: scapy (run by the kernel side, inside the test's namespace)
 * crafts fuzzed IPv4/IPv6 packets of every protocol and fires them at the stack through the
 * TUN. Nothing may throw; every packet must be accounted for; ping must still work afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNamespace, describeNetns, openTunInNamespace, type Namespace } from './helpers/netns.js';
import { Stack } from '../src/stack.js';

const SCAPY_FUZZ = `
import random, sys
from scapy.all import IP, IPv6, ICMP, UDP, TCP, Raw, fuzz, conf, IPOption_RR
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt
random.seed(int(sys.argv[1]))
count = int(sys.argv[2])
v4, v6 = '10.7.0.2', 'fd07::2'
makers = [
  lambda: fuzz(IP(dst=v4)/ICMP()),
  lambda: fuzz(IP(dst=v4, proto=17)/UDP()),
  lambda: fuzz(IP(dst=v4)/TCP()),
  lambda: IP(dst=v4, options=[IPOption_RR()])/fuzz(ICMP()),
  lambda: fuzz(IP(dst=v4, flags=random.choice([0, 1]), frag=random.randrange(0, 400)))/Raw(bytes(random.randrange(256) for _ in range(random.randrange(0, 200)))),
  lambda: IPv6(dst=v6)/fuzz(ICMPv6EchoRequest()),
  lambda: IPv6(dst=v6)/fuzz(IPv6ExtHdrFragment())/Raw(b'x' * random.randrange(0, 100)),
  lambda: IPv6(dst=v6)/fuzz(IPv6ExtHdrHopByHop())/ICMPv6EchoRequest(),
  lambda: IPv6(dst=v6)/fuzz(IPv6ExtHdrRouting())/UDP(),
  lambda: IPv6(dst=v6)/fuzz(IPv6ExtHdrDestOpt())/TCP(),
  lambda: fuzz(IPv6(dst=v6))/fuzz(UDP()),
]
s4, s6 = conf.L3socket(), conf.L3socket6()
sent = 0
for i in range(count):
    p = random.choice(makers)()
    try:
        (s6 if p.haslayer(IPv6) else s4).send(p)
        sent += 1
    except Exception:
        pass  # the kernel refused this one (e.g. an impossible length); not sent
print(sent)
`;

describeNetns('fuzzed packets from scapy over a real TUN', () => {
  let ns: Namespace;
  let stack: Stack;

  beforeAll(() => {
    ns = createNamespace('ttfz');
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    stack = new Stack();
    stack.addInterface(tun, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
  });

  afterAll(() => {
    stack?.close();
    ns?.delete();
  });

  it('survives 3000 scapy-fuzzed packets, accounts for each, and still answers ping', async () => {
    const result = await ns.exec('/usr/bin/python3', ['-c', SCAPY_FUZZ, '7', '3000'], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    const sent = Number(result.stdout.trim().split('\n').pop());
    expect(sent).toBeGreaterThan(2500);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last batch arrive
    const ping = await ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.7.0.2']);
    expect(ping.stdout).toContain('2 received');

    const c = stack.counters;
    // The kernel may add a few packets of its own (router solicitations, MLD): at least all of ours arrived.
    expect(c.get('ip.inReceived')).toBeGreaterThanOrEqual(sent);
    expect(c.get('drop.internalError')).toBe(0);
    // Every packet is delivered, dropped with a reason, or held as a fragment awaiting the rest.
    expect(c.get('ip.inDelivered') + c.get('ip.inDropped') + c.get('ip.inFragmentsQueued')).toBe(c.get('ip.inReceived'));
    expect(c.totalDrops()).toBeGreaterThan(0);
  });
});
