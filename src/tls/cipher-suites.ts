/** The three TLS 1.3 cipher suites we speak (RFC 8446 §B.4), each an AEAD plus a hash. */
import type { HashName } from './key-schedule.js';

export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface CipherSuite {
  readonly id: number;
  readonly name: string;
  readonly aead: AeadName;
  readonly keyLength: number;
  readonly hash: HashName;
}

export const CIPHER_SUITES: readonly CipherSuite[] = [
  { id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', aead: 'aes-128-gcm', keyLength: 16, hash: 'sha256' },
  { id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', aead: 'aes-256-gcm', keyLength: 32, hash: 'sha384' },
  { id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' },
];

export type CipherSuiteName = 'TLS_AES_128_GCM_SHA256' | 'TLS_AES_256_GCM_SHA384' | 'TLS_CHACHA20_POLY1305_SHA256';

export function suiteById(id: number): CipherSuite | undefined {
  return CIPHER_SUITES.find((suite) => suite.id === id);
}

export function suiteByName(name: string): CipherSuite | undefined {
  return CIPHER_SUITES.find((suite) => suite.name === name);
}
