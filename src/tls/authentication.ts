/**
 * The authentication messages both roles send and check (RFC 8446 §4.4): Certificate,
 * CertificateVerify and Finished, each folded into the transcript in order.
 */
import { X509Certificate } from 'node:crypto';
import { fail, type AlertName } from './alerts.js';
import { bytesEqual } from './bytes.js';
import type { CertificateErrorCode } from './certificates.js';
import { finishedVerifyData, hashLength, type HashName } from './key-schedule.js';
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeFinished,
  encodeCertificate,
  encodeCertificateVerify,
  encodeFinished,
} from './messages.js';
import type { Credentials } from './options.js';
import { certificateVerifyContent, schemeName, signWith, verifyWith } from './signatures.js';
import type { Transcript } from './transcript.js';

/** Certificate (+ CertificateVerify when we have a key) + Finished, appended to the transcript (§4.4). */
export function authenticationFlight(options: {
  transcript: Transcript;
  hash: HashName;
  baseKey: Uint8Array;
  fromServer: boolean;
  credentials: Credentials | undefined;
  scheme: number | undefined;
  /** certificate_request_context for a client answering a CertificateRequest; undefined: no Certificate. */
  context: Uint8Array | undefined;
}): Uint8Array[] {
  const messages: Uint8Array[] = [];
  const add = (message: Uint8Array): void => {
    messages.push(message);
    options.transcript.add(message);
  };
  if (options.context !== undefined) {
    const entries = (options.credentials?.chain ?? []).map((certificate) => ({ data: certificate.raw, extensions: [] }));
    add(encodeCertificate({ context: options.context, entries }));
    if (options.credentials && options.scheme !== undefined) {
      const content = certificateVerifyContent(options.fromServer, options.transcript.current());
      add(encodeCertificateVerify({ scheme: options.scheme, signature: signWith(options.scheme, options.credentials.key, content) }));
    }
  }
  add(encodeFinished(finishedVerifyData(options.hash, options.baseKey, options.transcript.current())));
  return messages;
}

/** Parses the peer's Certificate (§4.4.2) into X509Certificates; context must match what we expect. */
export function readPeerCertificates(body: Uint8Array, expectedContext: Uint8Array): X509Certificate[] {
  const message = decodeCertificate(body);
  if (!bytesEqual(message.context, expectedContext)) fail('illegal_parameter', 'certificate_request_context mismatch');
  return message.entries.map((entry) => {
    try {
      return new X509Certificate(Buffer.from(entry.data));
    } catch {
      return fail('bad_certificate', 'peer certificate does not parse');
    }
  });
}

/** Checks the peer's CertificateVerify over the transcript so far (§4.4.3); returns the scheme. */
export function checkCertificateVerify(
  body: Uint8Array,
  leaf: X509Certificate,
  offered: readonly number[],
  fromServer: boolean,
  transcriptHash: Uint8Array,
): number {
  const { scheme, signature } = decodeCertificateVerify(body);
  // §4.4.3: the scheme must be one we offered in signature_algorithms.
  if (!offered.includes(scheme)) fail('illegal_parameter', `CertificateVerify with unoffered scheme ${schemeName(scheme)}`);
  if (!verifyWith(scheme, leaf.publicKey, certificateVerifyContent(fromServer, transcriptHash), signature)) {
    fail('decrypt_error', `CertificateVerify (${schemeName(scheme)}) does not verify`);
  }
  return scheme;
}

/** Checks the peer's Finished (§4.4.4): verify_data against our computation. */
export function checkFinished(body: Uint8Array, hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): void {
  const verifyData = decodeFinished(body, hashLength(hash));
  if (!bytesEqual(verifyData, finishedVerifyData(hash, baseKey, transcriptHash))) fail('decrypt_error', 'Finished does not verify');
}

/** The alert for a certificate that fails verification (§6.2). */
export function alertForCertificateError(code: CertificateErrorCode | undefined): AlertName {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'certificate_expired';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'unknown_ca';
    case 'INVALID_PURPOSE':
      return 'unsupported_certificate';
    case 'NO_PEER_CERTIFICATE':
      return 'certificate_required';
    default:
      return 'bad_certificate';
  }
}
