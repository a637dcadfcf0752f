import { test } from 'vitest';
import { once } from 'node:events';
import { Stack } from '../src/stack.js';
import { createServer, createConnection } from '../src/net/index.js';

test('destroy debug', async () => {
  const stack = new Stack();
  const server = createServer(stack, (stream) => {
    console.log('server got connection');
    stream.once('data', (d) => { console.log('server data', d.length); stream.destroy(); });
  });
  server.listen(7000);
  await once(server, 'listening');
  const client = createConnection(stack, 7000);
  client.on('error', (e) => console.log('client error', e.code));
  client.on('close', (e) => console.log('client close', e));
  await once(client, 'connect');
  console.log('connected');
  client.write('x');
  await new Promise((r) => setTimeout(r, 300));
  console.log(stack.stats().tcp, client.readyState);
}, 5000);
