import { once } from 'node:events';
import { test } from 'vitest';
import { createServer, Stream, tableResolver } from '../src/net/index.js';
import { ManualClock } from '../src/clock.js';
import { newStack, listen, tick, until, closed, cleanUpAfterEach, collect, recordEvents } from './helpers/net.js';
cleanUpAfterEach();
test('dbg2', async () => {
    const clock = new ManualClock(1000);
    const stack = newStack({ clock });
    let ss: Stream|undefined;
    const port = await listen(createServer(stack, s=>{ss=s; s.on('data', d=>console.log('server got', String(d))); s.pipe(s)}));
    const client = stack.createConnection(port);
    await once(client, 'connect');
    await tick(10);
    console.log('accepted', ss !== undefined, stack.stats().tcp);
    client.write('x');
    await tick(100);
    console.log(client.bytesRead, clock.nextWake(), stack.stats().tcp, (client as any).handle.state);
}, 3000);
