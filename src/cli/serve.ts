/**
 * `tuntcp serve --netns NS ...`: a TUN inside an existing namespace, the kernel side given the
 * peer addresses, our stack on the other end with the services asked for, running until
 * SIGINT/SIGTERM. Then the device is removed.
 */
import { DEVICE_USAGE, openDeviceStack, parseStackCommand, untilSignal } from './device-stack.js';
import { UsageError } from './args.js';
import { startDiscard, startEcho, startHttp } from './services.js';
import { loadServerCertificate, startHttps, startTlsEcho } from './secure-services.js';

export const SERVE_USAGE = `tuntcp serve ${DEVICE_USAGE}
        [--echo PORT] [--discard PORT] [--http PORT] [--tls-echo PORT] [--https PORT] [--cert FILE --key FILE]`;

const SERVICE_FLAGS = {
  echo: { type: 'string' },
  discard: { type: 'string' },
  http: { type: 'string' },
  'tls-echo': { type: 'string' },
  https: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
} as const;

function portOf(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--${name} takes a port 1..65535, got "${String(value)}"`);
  return port;
}

export async function runServe(argv: string[], print: (line: string) => void): Promise<number> {
  const { values } = parseStackCommand(argv, SERVICE_FLAGS, SERVE_USAGE);
  const ports = { echo: portOf('echo', values.echo), discard: portOf('discard', values.discard), http: portOf('http', values.http) };
  const tlsPorts = { echo: portOf('tls-echo', values['tls-echo']), https: portOf('https', values.https) };
  const wantsTls = tlsPorts.echo !== undefined || tlsPorts.https !== undefined;
  // Read (or make) the certificate before the device exists, so that a bad file leaves nothing behind.
  const certificate = wantsTls ? loadServerCertificate(values.cert as string | undefined, values.key as string | undefined, [values.addr as string]) : undefined;
  const { stack, describe } = openDeviceStack(values, print);
  print(`tuntcp: serving on ${describe}`);
  if (ports.echo !== undefined) startEcho(stack, ports.echo).on('listening', () => print(`tuntcp: echo on port ${ports.echo}`));
  if (ports.discard !== undefined) startDiscard(stack, ports.discard).on('listening', () => print(`tuntcp: discard on port ${ports.discard}`));
  if (ports.http !== undefined) startHttp(stack, ports.http).tcp.on('listening', () => print(`tuntcp: http on port ${ports.http}`));
  if (certificate !== undefined) {
    print(`tuntcp: TLS certificate ${certificate.origin}, SHA-256 fingerprint ${certificate.fingerprint256}`);
    if (tlsPorts.echo !== undefined) startTlsEcho(stack, tlsPorts.echo, certificate).on('listening', () => print(`tuntcp: tls-echo on port ${tlsPorts.echo}`));
    if (tlsPorts.https !== undefined) startHttps(stack, tlsPorts.https, certificate).tcp.on('listening', () => print(`tuntcp: https on port ${tlsPorts.https}`));
  }
  await untilSignal();
  stack.close(); // resets what is open and closes the TUN: the device disappears with its fd
  print('tuntcp: stopped; device removed');
  return 0;
}
