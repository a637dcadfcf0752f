/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) on HKDF (RFC 5869) built from node:crypto HMAC.
 *
 *   0 → HKDF-Extract(salt 0, IKM 0 or PSK) = Early Secret
 *     → Derive-Secret(., "derived", "") → Extract(., (EC)DHE) = Handshake Secret
 *         → "c hs traffic" / "s hs traffic" over Hash(ClientHello..ServerHello)
 *     → Derive-Secret(., "derived", "") → Extract(., 0) = Master Secret
 *         → "c ap traffic" / "s ap traffic" / "exp master" over Hash(ClientHello..server Finished)
 *         → "res master" over Hash(ClientHello..client Finished)
 */
import { InvalidStateError } from '../errors.js';
import { createHash, createHmac } from 'node:crypto';

export type HashName = 'sha256' | 'sha384';

export function hashLength(hash: HashName): number {
  return hash === 'sha256' ? 32 : 48;
}

/** Hash("") for each hash, used by Derive-Secret(., "derived", "") (RFC 8446 §7.1). */
const EMPTY_HASH: Record<HashName, Uint8Array> = {
  sha256: createHash('sha256').digest(),
  sha384: createHash('sha384').digest(),
};

export function emptyHash(hash: HashName): Uint8Array {
  return EMPTY_HASH[hash];
}

/** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2); an empty salt is HashLen zeros. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const key = salt.length === 0 ? new Uint8Array(hashLength(hash)) : salt;
  return createHmac(hash, key).update(ikm).digest();
}

/** HKDF-Expand(PRK, info, L) (RFC 5869 §2.3). */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let counter = 1, filled = 0; filled < length; counter++) {
    previous = createHmac(hash, prk).update(previous).update(info).update(Uint8Array.of(counter)).digest();
    out.set(previous.subarray(0, Math.min(previous.length, length - filled)), filled);
    filled += previous.length;
  }
  return out;
}

const LABEL_PREFIX = 'tls13 ';

/** HKDF-Expand-Label(Secret, Label, Context, Length) with the HkdfLabel struct (RFC 8446 §7.1). */
export function hkdfExpandLabel(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const fullLabel = Buffer.from(LABEL_PREFIX + label, 'latin1');
  const info = new Uint8Array(2 + 1 + fullLabel.length + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = fullLabel.length;
  info.set(fullLabel, 3);
  info[3 + fullLabel.length] = context.length;
  info.set(context, 4 + fullLabel.length);
  return hkdfExpand(hash, secret, info, length);
}

/** Derive-Secret(Secret, Label, Messages) = Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length) (§7.1). */
export function deriveSecret(hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash));
}

export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** write_key / write_iv from a traffic secret (RFC 8446 §7.3); every suite here has a 12-byte IV. */
export function trafficKeys(hash: HashName, secret: Uint8Array, keyLength: number): TrafficKeys {
  return {
    key: hkdfExpandLabel(hash, secret, 'key', new Uint8Array(0), keyLength),
    iv: hkdfExpandLabel(hash, secret, 'iv', new Uint8Array(0), 12),
  };
}

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4). */
export function finishedKey(hash: HashName, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, baseKey, 'finished', new Uint8Array(0), hashLength(hash));
}

/** verify_data = HMAC(finished_key, Transcript-Hash(...)) (RFC 8446 §4.4.4). */
export function finishedVerifyData(hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return createHmac(hash, finishedKey(hash, baseKey)).update(transcriptHash).digest();
}

/** application_traffic_secret_N+1 = Expand-Label(secret_N, "traffic upd", "", Hash.length) (RFC 8446 §7.2). */
export function nextTrafficSecret(hash: HashName, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, 'traffic upd', new Uint8Array(0), hashLength(hash));
}

/** The secrets of one full (EC)DHE handshake without PSK, step by step (RFC 8446 §7.1). */
export class KeySchedule {
  readonly earlySecret: Uint8Array;
  handshakeSecret: Uint8Array | undefined;
  masterSecret: Uint8Array | undefined;

  constructor(readonly hash: HashName) {
    const zeros = new Uint8Array(hashLength(hash));
    this.earlySecret = hkdfExtract(hash, zeros, zeros);
  }

  /** Handshake Secret = Extract(Derive-Secret(Early, "derived", ""), (EC)DHE); returns both hs traffic secrets. */
  enterHandshake(sharedSecret: Uint8Array, helloHash: Uint8Array): { client: Uint8Array; server: Uint8Array } {
    const salt = deriveSecret(this.hash, this.earlySecret, 'derived', emptyHash(this.hash));
    const handshakeSecret = hkdfExtract(this.hash, salt, sharedSecret);
    this.handshakeSecret = handshakeSecret;
    return {
      client: deriveSecret(this.hash, handshakeSecret, 'c hs traffic', helloHash),
      server: deriveSecret(this.hash, handshakeSecret, 's hs traffic', helloHash),
    };
  }

  /** Master Secret = Extract(Derive-Secret(Handshake, "derived", ""), 0); returns both ap traffic secrets. */
  enterApplication(serverFinishedHash: Uint8Array): { client: Uint8Array; server: Uint8Array; exporter: Uint8Array } {
    if (!this.handshakeSecret) throw new InvalidStateError('KeySchedule: enterHandshake must come first');
    const salt = deriveSecret(this.hash, this.handshakeSecret, 'derived', emptyHash(this.hash));
    const masterSecret = hkdfExtract(this.hash, salt, new Uint8Array(hashLength(this.hash)));
    this.masterSecret = masterSecret;
    return {
      client: deriveSecret(this.hash, masterSecret, 'c ap traffic', serverFinishedHash),
      server: deriveSecret(this.hash, masterSecret, 's ap traffic', serverFinishedHash),
      exporter: deriveSecret(this.hash, masterSecret, 'exp master', serverFinishedHash),
    };
  }
}
