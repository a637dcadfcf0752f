/** The handshake transcript hash (RFC 8446 §4.4.1), with the HelloRetryRequest substitution. */
import { InvalidStateError } from '../errors.js';
import { createHash, type Hash } from 'node:crypto';
import type { HashName } from './key-schedule.js';
import { HandshakeType, handshakeMessage } from './messages.js';

export class Transcript {
  private hash: Hash | undefined;
  private pending: Uint8Array[] = [];

  /** Messages before the suite (and so the hash) is known are kept and hashed once it is. */
  add(message: Uint8Array): void {
    if (this.hash) this.hash.update(message);
    else this.pending.push(message);
  }

  setHash(name: HashName): void {
    this.hash = createHash(name);
    for (const message of this.pending) this.hash.update(message);
    this.pending = [];
  }

  /** Transcript-Hash of everything added so far. */
  current(): Uint8Array {
    if (!this.hash) throw new InvalidStateError('transcript hash not chosen yet');
    return this.hash.copy().digest();
  }

  /**
   * After a HelloRetryRequest, ClientHello1 is replaced by
   * message_hash(254) || 00 00 Hash.length || Hash(ClientHello1) (RFC 8446 §4.4.1).
   */
  replaceWithMessageHash(name: HashName): void {
    const first = createHash(name);
    for (const message of this.pending) first.update(message);
    const digest = (this.hash ?? first).copy().digest();
    this.hash = createHash(name);
    this.pending = [];
    this.hash.update(handshakeMessage(HandshakeType.message_hash, digest));
  }
}
