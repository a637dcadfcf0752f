/**
 * `tuntcp connect HOST PORT --netns NS ...`: a netcat over tuntcp. stdin goes to the
 * connection and the connection to stdout; the end of stdin sends our FIN (half-close); the
 * command exits once the peer's FIN has arrived and everything is written out. On failure the
 * exit status is 1 and stderr names the error code (ECONNREFUSED, ETIMEDOUT...).
 */
import { readFileSync } from 'node:fs';
import { createConnection, type Stream } from '../net/stream.js';
import { createCredentials, type Credentials } from '../net/secure.js';
import { DEVICE_USAGE, openDeviceStack, parseStackCommand } from './device-stack.js';
import { UsageError } from './args.js';

export const CONNECT_USAGE = `tuntcp connect HOST PORT ${DEVICE_USAGE}
        [--tls [--ca FILE] [--servername NAME] [--insecure]]`;

const TLS_FLAGS = { tls: { type: 'boolean', default: false }, ca: { type: 'string' }, servername: { type: 'string' }, insecure: { type: 'boolean', default: false } } as const;

/** --ca FILE read now (a usage error if unreadable); without it, Node's root store. */
function tlsCredentials(caFile: string | undefined): Credentials {
  if (caFile === undefined) return createCredentials();
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca ${caFile}: ${(error as Error).message}`);
  }
  return createCredentials({ ca: pem });
}

/** What --tls prints on stderr once the handshake is done: the verification result and the peer's subject. */
function describeSecure(stream: Stream): string[] {
  const session = stream.secureSession!;
  const parameters = session.parameters!;
  const certificate = stream.getPeerCertificate();
  const subject = 'subject' in certificate ? Object.entries(certificate.subject).map(([k, v]) => `${k}=${v}`).join(', ') : '(none)';
  const issuer = 'issuer' in certificate ? Object.entries(certificate.issuer).map(([k, v]) => `${k}=${v}`).join(', ') : '(none)';
  return [
    `tuntcp: TLS ${parameters.version} ${parameters.cipher} (${parameters.group}${parameters.helloRetried ? ', after HelloRetryRequest' : ''})`,
    `tuntcp: peer certificate subject: ${subject}; issuer: ${issuer}`,
    stream.verifyPeer() ? 'tuntcp: peer verified: yes' : `tuntcp: peer verified: NO (${session.authorizationError ?? 'unknown'})`,
  ];
}

export async function runConnect(argv: string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseStackCommand(argv, TLS_FLAGS, CONNECT_USAGE);
  const tls = values.tls === true;
  if (!tls && (values.ca !== undefined || values.servername !== undefined || values.insecure === true)) throw new UsageError('--ca, --servername and --insecure go with --tls');
  const credentials = tls ? tlsCredentials(values.ca as string | undefined) : undefined;
  const [host, port] = positionals;
  if (host === undefined || port === undefined || positionals.length !== 2) throw new UsageError(`connect needs HOST and PORT\nusage: ${CONNECT_USAGE}`);
  const trace = (line: string): void => void process.stderr.write(`${line}\n`);
  const { stack } = openDeviceStack(values, trace);
  try {
    return await new Promise<number>((resolve) => {
      const stream = createConnection(stack, port, host);
      let failed = false;
      stream.on('connect', () => {
        // TLS: verify the server unless --insecure (then the result is only printed).
        if (tls) stream.setSecure(credentials, { rejectUnauthorized: values.insecure !== true, servername: values.servername as string | undefined });
        else process.stdin.pipe(stream); // stdin's end ends the stream: our FIN
      });
      stream.on('secure', () => {
        for (const line of describeSecure(stream)) print(line);
        process.stdin.pipe(stream); // stdin's end: close_notify, then our FIN
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
