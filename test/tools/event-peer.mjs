// A kernel-side Node peer for the event-sequence scenarios (test/tools/event-scenarios.mjs),
// run inside the test's namespace with `ip netns exec NS node test/tools/event-peer.mjs MODE ...`.
// It records the events of its own net.Socket and prints them as one JSON line.
//   server SCENARIO PORT          listen on [::]:PORT ("listening" line), play the server role on the
//                                 first connection; prints {"events":[...],"error":...}
//   client SCENARIO HOST PORT     connect to HOST:PORT, play the client role; prints the same
//   pair SCENARIO HOST PORT       both roles in this process (kernel <-> kernel), server on HOST:PORT
//                                 (none for 'refused'); prints {"client":{...},"server":{...}}
import net from 'node:net';
import { SCENARIOS, runRole } from './event-scenarios.mjs';

const [mode, scenario, ...args] = process.argv.slice(2);
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const fail = (message) => {
  print({ failure: message });
  process.exit(2);
};
setTimeout(() => fail('timed out after 30 s'), 30_000).unref();
if (!SCENARIOS[scenario]) fail(`unknown scenario ${scenario}`);

/** Listen on host:port, resolve with the server role's result on the first connection. */
function serve(host, port, onListening) {
  return new Promise((resolve) => {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      server.close();
      resolve(runRole(socket, scenario, 'server'));
    });
    server.on('error', (error) => fail(`listen: ${error.code}`));
    server.listen(port, host, onListening);
  });
}

const connect = (host, port) => runRole(net.connect({ host, port, allowHalfOpen: true }), scenario, 'client');

if (mode === 'server') {
  const result = await serve('::', Number(args[0]), () => process.stdout.write('listening\n'));
  print(result);
} else if (mode === 'client') {
  print(await connect(args[0], Number(args[1])));
} else if (mode === 'pair') {
  const [host, port] = [args[0], Number(args[1])];
  if (SCENARIOS[scenario].server === null) {
    print({ client: await connect(host, port), server: null });
  } else {
    let serverResult;
    await new Promise((listening) => (serverResult = serve(host, port, listening)));
    const client = await connect(host, port);
    print({ client, server: await serverResult });
  }
} else {
  fail(`unknown mode ${mode}`);
}
process.exit(0);
