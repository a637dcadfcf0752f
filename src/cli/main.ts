#!/usr/bin/env node
/** The `tuntcp` command. */
import { runDemo } from './demo.js';
import { runServe, SERVE_USAGE } from './serve.js';
import { runConnect, CONNECT_USAGE } from './connect.js';
import { runWire, WIRE_USAGE } from './wire.js';
import { UsageError } from './args.js';

const USAGE = `usage:
  tuntcp demo [--memory]      the tour: a kernel pings our stack over a TUN (root), or two stacks in memory
  ${SERVE_USAGE}
  ${CONNECT_USAGE}
  ${WIRE_USAGE}
  tuntcp help`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const print = (line: string) => process.stdout.write(`${line}\n`);
  switch (command) {
    case 'demo':
      return runDemo(print, { forceMemory: rest.includes('--memory') });
    case 'serve':
      return runServe(rest, print);
    case 'connect':
      return runConnect(rest, (line) => process.stderr.write(`${line}\n`));
    case 'wire':
      return runWire(rest, print);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const err = error as { code?: string; message?: string };
    process.stderr.write(`tuntcp: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(error)}\n`);
    process.exitCode = err.code === 'ERR_USAGE' ? 2 : 1;
  },
);
