/**
 * Peer certificate verification (RFC 8446 §4.4.2.4, RFC 5280 §6 in the simple form browsers and
 * OpenSSL use): build a path from the leaf through the peer's certificates to a trusted one,
 * check dates, CA flag, path length, key usage and extended key usage, then the host name.
 * Uses crypto.X509Certificate; basicConstraints pathLen and keyUsage bits are read with forge.asn1.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import forge from 'node-forge';

export type CertificateErrorCode =
  | 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
  | 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  | 'DEPTH_ZERO_SELF_SIGNED_CERT'
  | 'SELF_SIGNED_CERT_IN_CHAIN'
  | 'CERT_HAS_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'INVALID_CA'
  | 'PATH_LENGTH_EXCEEDED'
  | 'INVALID_PURPOSE'
  | 'CERT_CHAIN_TOO_LONG'
  | 'ERR_TLS_CERT_ALTNAME_INVALID'
  | 'NO_PEER_CERTIFICATE';

export interface PeerVerification {
  readonly authorized: boolean;
  /** Why not authorized; undefined when authorized. */
  readonly error?: CertificateErrorCode;
  readonly message?: string;
  /** The path found: leaf first, the trust anchor last (only when one was found). */
  readonly path: readonly X509Certificate[];
}

export interface VerifyOptions {
  /** Trusted certificates (PEM text, possibly several, or DER/X509Certificate); default: Node's root store. */
  readonly ca?: string | Uint8Array | X509Certificate | readonly (string | Uint8Array | X509Certificate)[];
  /** Host name or IP address the leaf must match; omitted means no name check. */
  readonly host?: string;
  /** Which end the leaf authenticates, for extended key usage: 'server' (default) or 'client'. */
  readonly purpose?: 'server' | 'client';
  readonly now?: Date;
  readonly maxDepth?: number;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';

/** Splits PEM text holding one or more certificates. */
export function parsePemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

export function toCertificates(input: VerifyOptions['ca']): X509Certificate[] {
  if (input === undefined) return [];
  const list = Array.isArray(input) ? input : [input];
  return list.flatMap((item: string | Uint8Array | X509Certificate) => {
    if (item instanceof X509Certificate) return [item];
    if (typeof item === 'string') return parsePemCertificates(item);
    return [new X509Certificate(Buffer.from(item))];
  });
}

let defaultRoots: X509Certificate[] | undefined;

function trustedSet(options: VerifyOptions): X509Certificate[] {
  if (options.ca !== undefined) return toCertificates(options.ca);
  defaultRoots ??= rootCertificates.flatMap((pem) => {
    try {
      return [new X509Certificate(pem)];
    } catch {
      return [];
    }
  });
  return defaultRoots;
}

interface Constraints {
  readonly pathLength?: number;
  /** keyUsage bits as a bit string ('1' at index 5 = keyCertSign), undefined when absent. */
  readonly keyUsage?: string;
}

/** Reads basicConstraints.pathLenConstraint and keyUsage from the DER (RFC 5280 §4.2.1.9, §4.2.1.3). */
export function readConstraints(certificate: X509Certificate): Constraints {
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(certificate.raw.toString('binary')));
    const tbs = (asn1.value as forge.asn1.Asn1[])[0];
    const explicit3 = (tbs.value as forge.asn1.Asn1[]).find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
    if (!explicit3) return {};
    const extensions = (explicit3.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
    let pathLength: number | undefined;
    let keyUsage: string | undefined;
    for (const extension of extensions) {
      const parts = extension.value as forge.asn1.Asn1[];
      const oid = forge.asn1.derToOid(parts[0].value as string);
      const octets = parts[parts.length - 1].value as string;
      const inner = forge.asn1.fromDer(forge.util.createBuffer(octets));
      if (oid === '2.5.29.19') {
        const fields = inner.value as forge.asn1.Asn1[];
        const integer = fields.find((f) => f.type === forge.asn1.Type.INTEGER);
        if (integer) pathLength = forge.util.createBuffer(integer.value as string).getInt((integer.value as string).length * 8);
      } else if (oid === '2.5.29.15') {
        const bits = inner.value as string; // first byte: unused bit count
        keyUsage = '';
        for (let i = 1; i < bits.length; i++) keyUsage += bits.charCodeAt(i).toString(2).padStart(8, '0');
      }
    }
    return { pathLength, keyUsage };
  } catch {
    return {};
  }
}

function isSelfIssued(certificate: X509Certificate): boolean {
  return certificate.subject === certificate.issuer && certificate.verify(certificate.publicKey);
}

/** Name chaining plus signature (RFC 5280 §6.1.3); the issuer's own constraints are checked later, to report them. */
function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.issuer === issuer.subject && child.verify(issuer.publicKey);
}

function failure(error: CertificateErrorCode, message: string, path: X509Certificate[]): PeerVerification {
  return { authorized: false, error, message, path };
}

/** Verifies a peer's chain (leaf first, as sent in Certificate). */
export function verifyPeer(chain: readonly X509Certificate[], options: VerifyOptions = {}): PeerVerification {
  if (chain.length === 0) return failure('NO_PEER_CERTIFICATE', 'the peer sent no certificate', []);
  const trusted = trustedSet(options);
  const now = options.now ?? new Date();
  const maxDepth = options.maxDepth ?? 10;
  const intermediates = chain.slice(1);
  const path: X509Certificate[] = [chain[0]];
  let anchored = false;

  for (let current = chain[0]; ; ) {
    if (trusted.some((anchor) => anchor.raw.equals(current.raw))) {
      anchored = true;
      break;
    }
    const anchor = trusted.find((candidate) => issuedBy(current, candidate));
    if (anchor) {
      path.push(anchor);
      anchored = true;
      break;
    }
    const next = intermediates.find((candidate) => !path.includes(candidate) && issuedBy(current, candidate));
    if (!next || isSelfIssued(current)) {
      if (isSelfIssued(current)) {
        return path.length === 1
          ? failure('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', path)
          : failure('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', path);
      }
      return path.length === 1
        ? failure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate', path)
        : failure('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate', path);
    }
    if (path.length >= maxDepth) return failure('CERT_CHAIN_TOO_LONG', 'certificate chain too long', path);
    path.push(next);
    current = next;
  }

  for (const [depth, certificate] of path.entries()) {
    if (now < new Date(certificate.validFrom)) return failure('CERT_NOT_YET_VALID', `certificate at depth ${depth} is not yet valid`, path);
    if (now > new Date(certificate.validTo)) return failure('CERT_HAS_EXPIRED', `certificate at depth ${depth} has expired`, path);
    if (depth === 0) continue;
    // RFC 5280 §4.2.1.9: an issuer must be a CA; pathLen bounds the intermediates below it.
    if (!certificate.ca) return failure('INVALID_CA', `issuer at depth ${depth} is not a CA`, path);
    const constraints = readConstraints(certificate);
    if (constraints.pathLength !== undefined && depth - 1 > constraints.pathLength) {
      return failure('PATH_LENGTH_EXCEEDED', `path length constraint of depth ${depth} exceeded`, path);
    }
    // RFC 5280 §4.2.1.3: when keyUsage is present an issuer needs keyCertSign (bit 5).
    if (constraints.keyUsage !== undefined && constraints.keyUsage[5] !== '1') {
      return failure('INVALID_CA', `issuer at depth ${depth} lacks keyCertSign`, path);
    }
  }
  // RFC 5280 §4.2.1.12: if the leaf restricts its purposes, ours must be among them.
  const purposes = path[0].keyUsage;
  const wanted = options.purpose === 'client' ? CLIENT_AUTH : SERVER_AUTH;
  if (purposes && purposes.length > 0 && !purposes.includes(wanted) && !purposes.includes(ANY_EKU)) {
    return failure('INVALID_PURPOSE', 'unsupported certificate purpose', path);
  }
  if (options.host !== undefined && options.host !== '') {
    const matched = isIP(options.host) ? path[0].checkIP(options.host) : path[0].checkHost(options.host);
    if (matched === undefined) {
      return failure('ERR_TLS_CERT_ALTNAME_INVALID', `certificate does not match host "${options.host}"`, path);
    }
  }
  return anchored ? { authorized: true, path } : failure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'no trust anchor', path);
}
