/**
 * Secure streams, the seed's TLS API (shared/NET_STREAM.md "Secure streams"):
 * `createCredentials({ key, cert, ca })`, `stream.setSecure([credentials], [options])`, the
 * 'secure' event, `verifyPeer()`, `getPeerCertificate()`. The protocol is src/tls (TLS 1.3);
 * this file chooses the role, builds the engine and turns its reports into stream events.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import type { TcpSocketHandle } from '../tcp/socket-handle.js';
import { parsePemCertificates, toCertificates } from '../tls/certificates.js';
import { TlsClient } from '../tls/client.js';
import type { NegotiatedParameters, TlsConnection } from '../tls/connection.js';
import type { CipherSuiteName } from '../tls/cipher-suites.js';
import type { GroupName } from '../tls/key-exchange.js';
import { TlsServer } from '../tls/server.js';
import { NetError } from './errors.js';
import { SecureTransport } from './secure-transport.js';

type PemInput = string | Uint8Array;

export interface CredentialsInput {
  /** PEM private key (string or Buffer) matching the first certificate of `cert`. */
  key?: PemInput | KeyObject;
  /** PEM certificate chain, leaf first. */
  cert?: PemInput;
  /** Trusted CA certificates (PEM, one or several). Absent: Node's root store. A server given `ca` asks for a client certificate. */
  ca?: PemInput | readonly PemInput[];
}

/** Checked credentials, made by createCredentials(). */
export class Credentials {
  /** @internal */
  constructor(
    readonly key: KeyObject | undefined,
    readonly cert: readonly X509Certificate[] | undefined,
    readonly ca: readonly X509Certificate[] | undefined,
  ) {}
}

/** The seed's `createCredentials({ key, cert, ca })`: parsed and checked now, so a bad key throws here. */
export function createCredentials(input: CredentialsInput = {}): Credentials {
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError('createCredentials takes an object { key, cert, ca }');
  const text = (value: PemInput): string => (typeof value === 'string' ? value : Buffer.from(value).toString('utf8'));
  let key: KeyObject | undefined;
  let cert: X509Certificate[] | undefined;
  let ca: X509Certificate[] | undefined;
  try {
    if (input.key !== undefined) key = typeof input.key === 'object' && 'asymmetricKeyType' in input.key ? input.key : createPrivateKey(text(input.key as PemInput));
    if (input.cert !== undefined) cert = parsePemCertificates(text(input.cert));
    if (input.ca !== undefined) ca = (Array.isArray(input.ca) ? input.ca : [input.ca]).flatMap((item: PemInput) => toCertificates(text(item)));
  } catch (error) {
    throw new InvalidArgumentError(`createCredentials: unreadable key or certificate: ${(error as Error).message}`);
  }
  if ((key === undefined) !== (cert === undefined)) throw new InvalidArgumentError('createCredentials: key and cert go together');
  if (cert !== undefined && cert.length === 0) throw new InvalidArgumentError('createCredentials: cert holds no PEM certificate');
  if (ca !== undefined && ca.length === 0) throw new InvalidArgumentError('createCredentials: ca holds no PEM certificate');
  if (key !== undefined && cert !== undefined && !cert[0]!.checkPrivateKey(key)) throw new InvalidArgumentError('createCredentials: key does not match the certificate');
  return new Credentials(key, cert, ca);
}

export interface SecureOptions {
  /** Abort the handshake when the peer's certificate does not verify (seed default false: ask verifyPeer()). */
  rejectUnauthorized?: boolean;
  /** Client: SNI name and the name the certificate must match (default: the host connected to). */
  servername?: string;
  /** Server: ask for a client certificate (default: when the credentials carry `ca`). */
  requestCert?: boolean;
  ALPNProtocols?: readonly string[];
  cipherSuites?: readonly CipherSuiteName[];
  groups?: readonly GroupName[];
}

/** The peer certificate in modern Node's shape (tls.TLSSocket#getPeerCertificate). */
export interface PeerCertificate {
  subject: Record<string, string>;
  issuer: Record<string, string>;
  subjectaltname: string | undefined;
  valid_from: string;
  valid_to: string;
  fingerprint: string;
  fingerprint256: string;
  serialNumber: string;
  raw: Buffer;
}

/** What setSecure needs from its stream (the Stream passes itself and a way to re-run its data path). */
export interface SecureHost {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  emit(event: 'secure'): boolean;
  once(event: 'end', listener: () => void): unknown;
  end(): unknown;
  destroy(error?: Error): unknown;
}

/** One stream's TLS: the engine, the transport under the stream, and what the handshake settled. */
export class SecureSession {
  readonly transport: SecureTransport;
  private negotiated: NegotiatedParameters | undefined;

  constructor(host: SecureHost, handle: TcpSocketHandle, engine: TlsConnection, kick: () => void) {
    this.transport = new SecureTransport(handle, engine, {
      onSecure: (parameters) => {
        this.negotiated = parameters;
        process.nextTick(() => {
          if (host.destroyed) return;
          this.transport.announce();
          host.emit('secure');
          kick(); // plaintext written before 'secure' goes out now
        });
      },
      onError: (error) => process.nextTick(() => host.destroy(error)),
      onPeerClose: () => kick(), // EOF reaches the reader
      onEarlyEof: () =>
        process.nextTick(() => host.destroy(Object.assign(new NetError('ECONNRESET', 'read', host.remoteAddress, host.remotePort), {
          message: `Client network socket disconnected before secure TLS connection was established (${host.remoteAddress}:${host.remotePort})`,
        }))),
    });
    // Not half-open after the peer's close_notify (or bare FIN), as Node's TLS sockets: once the reader
    // has seen the end, queued writes go out, then our close_notify and FIN (RFC 8446 §6.1).
    host.once('end', () => {
      if (!host.writableEnded && !host.destroyed) host.end();
    });
  }

  get parameters(): NegotiatedParameters | undefined {
    return this.negotiated;
  }

  get engine(): TlsConnection {
    return this.transport.engine;
  }

  /** true when the peer's certificate chains to the trusted CAs, is valid now and (client) names the host. */
  verifyPeer(): boolean {
    return this.negotiated?.verification?.authorized === true;
  }

  /** Why verifyPeer() is false (Node's codes: DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED...), or undefined. */
  get authorizationError(): string | undefined {
    const verification = this.negotiated?.verification;
    if (this.negotiated === undefined) return undefined;
    if (verification === undefined) return 'NO_PEER_CERTIFICATE';
    return verification.authorized ? undefined : verification.error;
  }

  getPeerCertificate(): PeerCertificate | Record<string, never> {
    const leaf = this.negotiated?.peerCertificates[0];
    return leaf === undefined ? {} : describeCertificate(leaf);
  }
}

/** Builds the engine for a stream's role. Throws InvalidArgumentError for unusable credentials. */
export function createEngine(
  role: 'client' | 'server',
  credentials: Credentials | undefined,
  options: SecureOptions,
  target: { host: string } | undefined,
): TlsConnection {
  if (credentials !== undefined && !(credentials instanceof Credentials)) throw new InvalidArgumentError('setSecure takes credentials made by createCredentials()');
  const common = {
    key: credentials?.key,
    cert: credentials?.cert,
    ca: credentials?.ca,
    rejectUnauthorized: options.rejectUnauthorized ?? false, // the seed's default: the application asks verifyPeer()
    ...(options.ALPNProtocols !== undefined ? { alpnProtocols: options.ALPNProtocols } : {}),
    ...(options.cipherSuites !== undefined ? { cipherSuites: options.cipherSuites } : {}),
    ...(options.groups !== undefined ? { groups: options.groups } : {}),
  };
  if (role === 'server') {
    if (credentials?.key === undefined) throw new InvalidArgumentError('setSecure on an accepted stream needs credentials with key and cert');
    return new TlsServer({ ...common, requestCert: options.requestCert ?? credentials.ca !== undefined });
  }
  const host = options.servername ?? target?.host;
  return new TlsClient({ ...common, servername: host !== undefined && isIP(host) === 0 ? host : undefined, host });
}

export function describeCertificate(certificate: X509Certificate): PeerCertificate {
  return {
    subject: nameObject(certificate.subject),
    issuer: nameObject(certificate.issuer),
    subjectaltname: certificate.subjectAltName,
    valid_from: certificate.validFrom,
    valid_to: certificate.validTo,
    fingerprint: certificate.fingerprint,
    fingerprint256: certificate.fingerprint256,
    serialNumber: certificate.serialNumber,
    raw: certificate.raw,
  };
}

/** "CN=a\nO=b" → { CN: 'a', O: 'b' } (a repeated attribute keeps its values joined by newlines). */
function nameObject(name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of name.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1);
    out[key] = out[key] === undefined ? value : `${out[key]}\n${value}`;
  }
  return out;
}

/** The session of a stream that called setSecure, or a clear error. */
export function sessionOf(session: SecureSession | undefined, method: string): SecureSession {
  if (session === undefined) throw new InvalidStateError(`${method}() needs a secure stream: call setSecure() first`);
  return session;
}
