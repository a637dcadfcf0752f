/**
 * `tuntcp demo`: the main job on an embedded default.
 * - As root: a namespace of its own, a TUN inside it, our stack on one end and the Linux
 *   kernel on the other; the kernel pings us and every packet that crosses the wire is printed.
 * - Without root: two stacks in one process joined by a MemoryLink, the same kind of transcript.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from '../stack.js';
import { MemoryLink } from '../link/memory.js';
import { Tracer } from '../link/tracer.js';
import { canUseNamespaces, createNamespace, openTunInNamespace } from '../link/netns.js';
import { buildLinkChain } from './link-chain.js';
import { startEcho } from './services.js';
import { createConnection } from '../net/stream.js';
import { selfSignedCertificate, startHttps } from './secure-services.js';

type Print = (line: string) => void;

export async function runDemo(print: Print, options: { forceMemory?: boolean } = {}): Promise<number> {
  const check = canUseNamespaces();
  if (!options.forceMemory && check.ok) return runTunDemo(print);
  if (!options.forceMemory && !check.ok) print(`(no TUN demo: ${check.reason}; running two stacks over a MemoryLink instead)\n`);
  return runMemoryDemo(print);
}

async function runTunDemo(print: Print): Promise<number> {
  const ns = createNamespace('ttdemo');
  const pcap = join(tmpdir(), `tuntcp-demo-${process.pid}.pcap`);
  const certFile = join(tmpdir(), `tuntcp-demo-${process.pid}-cert.pem`);
  let stack: Stack | undefined;
  try {
    const tun = openTunInNamespace(ns, { peerAddress: '10.7.0.1/24', peerAddress6: 'fd07::1/64' });
    print(`Namespace ${ns.name}: the Linux kernel owns ${tun.name} there as 10.7.0.1 and fd07::1.`);
    print(`tuntcp holds the other end of ${tun.name} (a TUN device) as 10.7.0.2 and fd07::2.`);
    print(`Every packet crossing the device is printed below ('<' into tuntcp, '>' out of it) and saved to ${pcap}.\n`);
    const link = buildLinkChain(tun, { pcap, trace: (line) => print(`  ${line}`) });
    stack = new Stack();
    stack.addInterface(link, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });

    startEcho(stack, 7);
    const certificate = selfSignedCertificate(['10.7.0.2', 'localhost']);
    writeFileSync(certFile, certificate.cert);
    startHttps(stack, 443, certificate);
    const steps: Array<[string, string[]]> = [
      ['The kernel pings tuntcp over IPv4: each echo request is answered by our ICMP code.', ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.7.0.2']],
      ['A 4000-byte ping does not fit the 1500-byte MTU: the kernel fragments it, we reassemble it, and fragment our reply.', ['ping', '-c', '1', '-s', '4000', '-W', '2', '10.7.0.2']],
      ['The same over IPv6 (ICMPv6 echo).', ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', 'fd07::2']],
      [
        "TCP: the kernel's nc connects to our echo service (port 7): three-way handshake, its data, its FIN (nc -N half-closes), " +
          'our echo of the data while its side is already closed, then our FIN.',
        ['sh', '-c', 'printf "hello, tuntcp\\n" | nc -N -w 5 10.7.0.2 7'],
      ],
      [
        `TLS 1.3: curl fetches https://10.7.0.2/ from Node's http server running over our TLS over our TCP, and verifies our ` +
          `self-signed certificate (SHA-256 ${certificate.fingerprint256.slice(0, 23)}...) against ${certFile}.`,
        ['curl', '-sS', '-m', '10', '--cacert', certFile, '-o', '/dev/null', '-w', 'HTTP %{http_code}, certificate verify result %{ssl_verify_result} (0 = ok), %{size_download} bytes\\n', 'https://10.7.0.2/'],
      ],
    ];
    let failures = 0;
    for (const [story, command] of steps) {
      print(`== ${story}\n$ ${command.join(' ')}   (inside ${ns.name})`);
      const result = await ns.exec(command[0]!, command.slice(1), { timeoutMs: 15_000 });
      for (const line of result.stdout.trim().split('\n').slice(-2)) print(`  | ${line}`);
      if (result.stderr.trim()) print(`  | (stderr) ${result.stderr.trim()}`);
      if (result.code !== 0) failures++;
      print('');
    }
    printStats(print, stack);
    print(`\nThe capture opens in Wireshark or: tshark -r ${pcap}`);
    return failures === 0 ? 0 : 1;
  } finally {
    stack?.close();
    ns.delete();
    rmSync(certFile, { force: true });
  }
}

async function runMemoryDemo(print: Print): Promise<number> {
  const [left, right] = MemoryLink.pair({ mtu: 1500 });
  const client = new Stack();
  const server = new Stack();
  try {
    client.addInterface(new Tracer(left, { write: (line) => print(`  ${line}`) }), { addresses: ['10.7.0.1/24', 'fd07::1/64'] });
    server.addInterface(right, { addresses: ['10.7.0.2/24', 'fd07::2/64'] });
    print('Two tuntcp stacks in this process, joined by an in-memory link: 10.7.0.1 (client) and 10.7.0.2 (server).');
    print("Every packet on the client's side of the link is printed ('>' sent, '<' received).\n");
    let failures = 0;
    for (const [story, target, size] of [
      ['The client pings the server over IPv4.', '10.7.0.2', 56],
      ['A 4000-byte ping: fragmented by the sender, reassembled by the receiver, and the same for the reply.', '10.7.0.2', 4000],
      ['The same over IPv6.', 'fd07::2', 56],
    ] as const) {
      print(`== ${story}`);
      const replies = await client.ping(target, { count: 2, size, intervalMs: 10, timeoutMs: 1000 });
      for (const reply of replies) print(`  | ${reply.bytes} bytes from ${reply.from}: icmp_seq=${reply.seq} time=${reply.rttMs.toFixed(3)} ms`);
      print(`  | 2 sent, ${replies.length} received\n`);
      if (replies.length !== 2) failures++;
    }
    print('== TCP: the client connects to the server\'s echo service, sends a line, half-closes (FIN),');
    print('   and reads the echo until the server\'s FIN.');
    startEcho(server, 7);
    const echoed = await tcpEcho(client, '10.7.0.2', 7, 'hello, tuntcp\n');
    print(`  | echoed: ${JSON.stringify(echoed)}\n`);
    if (echoed !== 'hello, tuntcp\n') failures++;
    print('== TLS 1.3 over that TCP: the server runs a TLS echo with a self-signed certificate; the client');
    print('   trusts exactly that certificate, checks it names 10.7.0.2, and sends a line through the tunnel.');
    const tls = await tlsEcho(client, server, 'hello, tls\n');
    for (const line of tls.lines) print(`  | ${line}`);
    print('');
    if (tls.echoed !== 'hello, tls\n' || !tls.verified) failures++;
    printStats(print, server);
    return failures === 0 ? 0 : 1;
  } finally {
    client.close();
    server.close();
  }
}

/** Connect, send `text`, half-close, and collect everything until the peer's FIN. */
function tcpEcho(stack: Stack, host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream = createConnection(stack, port, host);
    let received = '';
    stream.setEncoding('utf8');
    stream.on('connect', () => stream.end(text));
    stream.on('data', (chunk: string) => (received += chunk));
    stream.on('end', () => resolve(received));
    stream.on('error', reject);
  });
}

/** A TLS echo on `server` (port 4433), and one line through it from `client` with stack.tls.connect. */
async function tlsEcho(client: Stack, server: Stack, text: string): Promise<{ echoed: string; verified: boolean; lines: string[] }> {
  const certificate = selfSignedCertificate(['10.7.0.2']);
  const listener = server.tls.createServer(certificate, (stream) => stream.pipe(stream)).listen(4433);
  try {
    return await new Promise((resolve, reject) => {
      const stream = client.tls.connect({ host: '10.7.0.2', port: 4433, ca: certificate.cert });
      let echoed = '';
      const lines: string[] = [];
      stream.setEncoding('utf8');
      stream.on('secure', () => {
        const parameters = stream.secureSession!.parameters!;
        lines.push(`handshake done: ${parameters.version} ${parameters.cipher}, group ${parameters.group}`);
        lines.push(`server certificate ${stream.getPeerCertificate().fingerprint256?.slice(0, 23)}... verified: ${stream.verifyPeer()}`);
        stream.end(text); // then close_notify and FIN
      });
      stream.on('data', (chunk: string) => (echoed += chunk));
      stream.on('end', () => {
        lines.push(`echoed: ${JSON.stringify(echoed)} (decrypted; the packets above carry only ciphertext)`);
        resolve({ echoed, verified: stream.verifyPeer(), lines });
      });
      stream.on('error', reject);
    });
  } finally {
    listener.close();
  }
}

function printStats(print: Print, stack: Stack): void {
  print("tuntcp's counters (stack.stats()):");
  for (const [group, values] of Object.entries(stack.stats())) {
    print(`  ${group}: ${Object.entries(values).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  }
}
