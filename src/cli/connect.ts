/**
 * `tuntcp connect HOST PORT --netns NS ...`: a netcat over tuntcp. stdin goes to the
 * connection and the connection to stdout; the end of stdin sends our FIN (half-close); the
 * command exits once the peer's FIN has arrived and everything is written out. On failure the
 * exit status is 1 and stderr names the error code (ECONNREFUSED, ETIMEDOUT...).
 */
import { createConnection } from '../net/stream.js';
import { DEVICE_USAGE, openDeviceStack, parseStackCommand } from './device-stack.js';
import { UsageError } from './args.js';

export const CONNECT_USAGE = `tuntcp connect HOST PORT ${DEVICE_USAGE}`;

export async function runConnect(argv: string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseStackCommand(argv, {}, CONNECT_USAGE);
  const [host, port] = positionals;
  if (host === undefined || port === undefined || positionals.length !== 2) throw new UsageError(`connect needs HOST and PORT\nusage: ${CONNECT_USAGE}`);
  const trace = (line: string): void => void process.stderr.write(`${line}\n`);
  const { stack } = openDeviceStack(values, trace);
  try {
    return await new Promise<number>((resolve) => {
      const stream = createConnection(stack, port, host);
      let failed = false;
      stream.on('connect', () => {
        process.stdin.pipe(stream); // stdin's end ends the stream: our FIN
      });
      stream.on('error', (error: NodeJS.ErrnoException) => {
        failed = true;
        print(`tuntcp: ${error.code ?? 'ERROR'}: ${error.message}`);
      });
      stream.on('data', (chunk: Buffer) => {
        if (!process.stdout.write(chunk)) {
          stream.pause();
          process.stdout.once('drain', () => stream.resume());
        }
      });
      stream.on('end', () => {
        // The peer's FIN: stop taking stdin, send what is queued and our FIN, then 'close'.
        process.stdin.unpipe(stream);
        stream.end();
      });
      stream.on('close', () => {
        process.stdin.unpipe(stream);
        process.stdin.pause();
        process.stdout.write('', () => resolve(failed ? 1 : 0));
      });
    });
  } finally {
    stack.close();
  }
}
