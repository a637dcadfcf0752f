/** Options and credentials for both roles, normalised once (key objects, DER chains, preference lists). */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import { CIPHER_SUITES, suiteByName, type CipherSuite, type CipherSuiteName } from './cipher-suites.js';
import { parsePemCertificates, type VerifyOptions } from './certificates.js';
import { NamedGroup, type GroupName } from './key-exchange.js';

export interface TlsCommonOptions {
  /** PEM private key (or KeyObject) for our certificate. */
  readonly key?: string | KeyObject;
  /** PEM certificate chain, leaf first (or X509Certificates). */
  readonly cert?: string | readonly X509Certificate[];
  /** Trusted CA certificates for verifying the peer; default Node's root store. */
  readonly ca?: VerifyOptions['ca'];
  /** Cipher suites in order of preference. */
  readonly cipherSuites?: readonly CipherSuiteName[];
  /** Groups in order of preference; a client sends a key share for the first one only. */
  readonly groups?: readonly GroupName[];
  /** ALPN protocols in order of preference. */
  readonly alpnProtocols?: readonly string[];
  /** Abort the handshake when the peer's certificate does not verify (client default true). */
  readonly rejectUnauthorized?: boolean;
  /** Clock for certificate validity checks. */
  readonly now?: () => Date;
}

export interface TlsClientOptions extends TlsCommonOptions {
  /** SNI host name sent (not for IP addresses, RFC 6066 §3) and checked against the certificate. */
  readonly servername?: string;
  /** Name or IP to check the certificate against, when it differs from servername. */
  readonly host?: string;
}

export interface TlsServerOptions extends TlsCommonOptions {
  /** Ask the client for a certificate (CertificateRequest, RFC 8446 §4.3.2). */
  readonly requestCert?: boolean;
}

export interface Credentials {
  readonly key: KeyObject;
  readonly chain: readonly X509Certificate[];
}

export interface ResolvedOptions {
  readonly suites: readonly CipherSuite[];
  readonly groups: readonly number[];
  readonly alpn: readonly string[];
  readonly credentials: Credentials | undefined;
}

export function resolveCommon(options: TlsCommonOptions, defaultGroups: readonly GroupName[]): ResolvedOptions {
  const suites = (options.cipherSuites ?? CIPHER_SUITES.map((s) => s.name as CipherSuiteName)).map((name) => {
    const suite = suiteByName(name);
    if (!suite) throw new InvalidArgumentError(`unknown cipher suite ${name}`);
    return suite;
  });
  const groups = (options.groups ?? defaultGroups).map((name) => {
    const id = NamedGroup[name];
    if (id === undefined) throw new InvalidArgumentError(`unknown group ${name}`);
    return id;
  });
  if (suites.length === 0 || groups.length === 0) throw new InvalidArgumentError('need at least one cipher suite and one group');
  for (const protocol of options.alpnProtocols ?? []) {
    if (protocol.length === 0 || Buffer.byteLength(protocol) > 255) throw new InvalidArgumentError(`bad ALPN protocol "${protocol}"`);
  }
  let credentials: Credentials | undefined;
  if (options.key !== undefined || options.cert !== undefined) {
    if (options.key === undefined || options.cert === undefined) throw new InvalidArgumentError('key and cert go together');
    let key: KeyObject;
    let chain: X509Certificate[];
    try {
      key = typeof options.key === 'string' ? createPrivateKey(options.key) : options.key;
      chain = typeof options.cert === 'string' ? parsePemCertificates(options.cert) : [...options.cert];
    } catch (error) {
      throw new InvalidArgumentError(`unreadable key or cert: ${(error as Error).message}`);
    }
    if (chain.length === 0) throw new InvalidArgumentError('cert holds no certificate');
    if (!chain[0].checkPrivateKey(key)) throw new InvalidArgumentError('key does not match the leaf certificate');
    credentials = { key, chain };
  }
  return { suites, groups, alpn: options.alpnProtocols ?? [], credentials };
}
