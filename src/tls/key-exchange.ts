/**
 * (EC)DHE key exchange for the named groups we speak (RFC 8446 §4.2.7, §4.2.8.2, §7.4):
 * x25519 through `diffieHellman`, secp256r1 / secp384r1 through `createECDH`.
 */
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { fail } from './alerts.js';

export const NamedGroup = { secp256r1: 0x0017, secp384r1: 0x0018, x25519: 0x001d } as const;
export type GroupName = keyof typeof NamedGroup;

export function groupName(id: number): GroupName | undefined {
  return (Object.keys(NamedGroup) as GroupName[]).find((name) => NamedGroup[name] === id);
}

export interface KeyExchange {
  readonly group: number;
  /** The key_exchange bytes of our KeyShareEntry. */
  readonly publicKey: Uint8Array;
  /** The shared secret from the peer's key_exchange bytes; illegal_parameter if they are invalid. */
  computeShared(peerPublic: Uint8Array): Uint8Array;
}

const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function x25519(): KeyExchange {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length);
  return {
    group: NamedGroup.x25519,
    publicKey: Uint8Array.from(raw),
    computeShared(peerPublic) {
      // §4.2.8.2 / RFC 7748 §6.1: the 32-byte u-coordinate; an all-zero result must be rejected.
      if (peerPublic.length !== 32) fail('illegal_parameter', `x25519 key share of ${peerPublic.length} bytes`);
      const peer = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerPublic]), format: 'der', type: 'spki' });
      const shared = diffieHellman({ privateKey, publicKey: peer });
      if (shared.every((byte) => byte === 0)) fail('illegal_parameter', 'x25519 shared secret is all zeros');
      return shared;
    },
  };
}

function nistCurve(group: number, curve: string, coordinateLength: number): KeyExchange {
  const ecdh = createECDH(curve);
  const publicKey = Uint8Array.from(ecdh.generateKeys());
  return {
    group,
    publicKey,
    computeShared(peerPublic) {
      // §4.2.8.2: UncompressedPointRepresentation only: 0x04 || X || Y.
      if (peerPublic.length !== 1 + 2 * coordinateLength || peerPublic[0] !== 4) {
        fail('illegal_parameter', `${curve} key share is not an uncompressed point`);
      }
      try {
        // §7.4.2: the shared secret is the x-coordinate, which computeSecret returns.
        return ecdh.computeSecret(peerPublic);
      } catch {
        fail('illegal_parameter', `${curve} key share is not a point on the curve`);
      }
    },
  };
}

export function createKeyExchange(group: number): KeyExchange {
  switch (group) {
    case NamedGroup.x25519:
      return x25519();
    case NamedGroup.secp256r1:
      return nistCurve(group, 'prime256v1', 32);
    case NamedGroup.secp384r1:
      return nistCurve(group, 'secp384r1', 48);
    default:
      return fail('illegal_parameter', `unsupported group ${group}`);
  }
}
