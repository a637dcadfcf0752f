/**
 * Signature schemes (RFC 8446 §4.2.3) and the CertificateVerify signature (§4.4.3) on node:crypto.
 * We sign with RSA-PSS (rsae) for RSA keys, ECDSA for EC keys, Ed25519; we verify those plus
 * accept rsa_pkcs1 in certificates only (never in CertificateVerify).
 */
import { InvalidArgumentError } from '../errors.js';
import { constants, sign, verify, type KeyObject } from 'node:crypto';

export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;

export type SignatureSchemeName = keyof typeof SignatureScheme;

/** What we accept in CertificateVerify, in our order of preference. */
export const CERTIFICATE_VERIFY_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
];

/** What we accept in certificates (signature_algorithms_cert, §4.2.3). */
export const CERTIFICATE_SCHEMES: readonly number[] = [
  ...CERTIFICATE_VERIFY_SCHEMES,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

export function schemeName(scheme: number): string {
  const found = (Object.keys(SignatureScheme) as SignatureSchemeName[]).find((name) => SignatureScheme[name] === scheme);
  return found ?? `0x${scheme.toString(16).padStart(4, '0')}`;
}

interface SchemeParameters {
  readonly hash: string | null;
  readonly keyType: string;
  readonly curve?: string;
  readonly pss?: boolean;
}

function parameters(scheme: number): SchemeParameters | undefined {
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
      return { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' };
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' };
    case SignatureScheme.ecdsa_secp521r1_sha512:
      return { hash: 'sha512', keyType: 'ec', curve: 'secp521r1' };
    case SignatureScheme.rsa_pss_rsae_sha256:
      return { hash: 'sha256', keyType: 'rsa', pss: true };
    case SignatureScheme.rsa_pss_rsae_sha384:
      return { hash: 'sha384', keyType: 'rsa', pss: true };
    case SignatureScheme.rsa_pss_rsae_sha512:
      return { hash: 'sha512', keyType: 'rsa', pss: true };
    case SignatureScheme.rsa_pss_pss_sha256:
      return { hash: 'sha256', keyType: 'rsa-pss', pss: true };
    case SignatureScheme.rsa_pss_pss_sha384:
      return { hash: 'sha384', keyType: 'rsa-pss', pss: true };
    case SignatureScheme.rsa_pss_pss_sha512:
      return { hash: 'sha512', keyType: 'rsa-pss', pss: true };
    case SignatureScheme.ed25519:
      return { hash: null, keyType: 'ed25519' };
    default:
      return undefined;
  }
}

function keyFits(params: SchemeParameters, key: KeyObject): boolean {
  if (key.asymmetricKeyType !== params.keyType) return false;
  return params.curve === undefined || key.asymmetricKeyDetails?.namedCurve === params.curve;
}

/** The scheme we sign CertificateVerify with for `key`, among those the peer offered; undefined if none fits. */
export function chooseScheme(key: KeyObject, offered: readonly number[]): number | undefined {
  return CERTIFICATE_VERIFY_SCHEMES.find((scheme) => {
    const params = parameters(scheme);
    return params !== undefined && offered.includes(scheme) && keyFits(params, key);
  });
}

const SERVER_CONTEXT = 'TLS 1.3, server CertificateVerify';
const CLIENT_CONTEXT = 'TLS 1.3, client CertificateVerify';

/** 64 spaces || context string || 0x00 || Transcript-Hash (RFC 8446 §4.4.3). */
export function certificateVerifyContent(fromServer: boolean, transcriptHash: Uint8Array): Uint8Array {
  const context = Buffer.from(fromServer ? SERVER_CONTEXT : CLIENT_CONTEXT, 'ascii');
  return Buffer.concat([Buffer.alloc(64, 0x20), context, Buffer.alloc(1), transcriptHash]);
}

function pssOptions(params: SchemeParameters): { padding?: number; saltLength?: number } {
  // §4.2.3: RSASSA-PSS with the salt as long as the digest.
  if (!params.pss) return {};
  const saltLength = params.hash === 'sha256' ? 32 : params.hash === 'sha384' ? 48 : 64;
  return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
}

export function signWith(scheme: number, key: KeyObject, data: Uint8Array): Uint8Array {
  const params = parameters(scheme);
  if (!params) throw new InvalidArgumentError(`cannot sign with scheme ${schemeName(scheme)}`);
  return sign(params.hash, data, { key, ...pssOptions(params) });
}

/** True only if `scheme` fits the key and the signature verifies. */
export function verifyWith(scheme: number, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const params = parameters(scheme);
  if (!params) return false;
  // An rsae scheme takes an rsaEncryption key; a pss scheme an RSASSA-PSS key (§4.2.3).
  if (!keyFits(params, key)) return false;
  try {
    return verify(params.hash, data, { key, ...pssOptions(params) }, signature);
  } catch {
    return false;
  }
}
