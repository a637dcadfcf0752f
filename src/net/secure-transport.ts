/**
 * The byte transport under a Stream's data path: plain TCP (the TcpSocketHandle itself) or TLS
 * (`SecureTransport`: a sans-I/O TLS engine between the TCP handle and the Duplex).
 *
 * Backpressure stays end to end through TLS: plaintext is sealed only while the TCP send buffer
 * has room (plus at most one record of overshoot, kept here until 'writable'), and TCP data is
 * fed to the engine only while the reader wants more — except during the handshake, which goes
 * on whatever the application does.
 */
import type { TcpSocketHandle } from '../tcp/socket-handle.js';
import type { NegotiatedParameters, TlsConnection, TlsEvent } from '../tls/connection.js';
import type { TlsError } from '../tls/alerts.js';
import { MAX_PLAINTEXT } from '../tls/record.js';

/** What a Stream reads and writes through. TcpSocketHandle satisfies it as it is. */
export interface ByteTransport {
  /** Queue bytes for sending; returns how many were taken (0: retry after the next TCP event). */
  write(bytes: Uint8Array): number;
  /** End our sending direction once everything queued is out. */
  shutdown(): void;
  /** Hand received chunks to `take` while it returns true; returns the bytes handed over. */
  readWhile(take: (chunk: Uint8Array) => boolean): number;
  /** The peer ended its sending direction (nothing more will arrive after readableLength). */
  readonly peerFinished: boolean;
  readonly readableLength: number;
  /** Called on every TCP event, before the stream writes and reads. */
  pump?(): void;
  /** After shutdown(): true while our last bytes and FIN have not been handed to TCP yet. */
  readonly shutdownPending?: boolean;
}

/** What the TLS layer reports to the stream (called synchronously; the receiver defers). */
export interface SecureTransportEvents {
  onSecure(parameters: NegotiatedParameters): void;
  onError(error: TlsError): void;
  /** The peer's close_notify (RFC 8446 §6.1): no more data from it. */
  onPeerClose(): void;
  /** TCP FIN before the handshake completed. */
  onEarlyEof(): void;
}

export class SecureTransport implements ByteTransport {
  /** Ciphertext the TCP send buffer has not taken yet (handshake flights, records, alerts). */
  private readonly outgoing: Uint8Array[] = [];
  /** Decrypted application data waiting for the reader. */
  private readonly plaintext: Uint8Array[] = [];
  private plaintextBytes = 0;
  private peerClosed = false;
  private shutdownWanted = false;
  private closeNotifySent = false;
  private finSent = false;
  private earlyEofReported = false;
  private failure: TlsError | undefined;
  /** The stream has emitted 'secure': plaintext and EOF may reach the reader from now on. */
  private announced = false;

  constructor(
    private readonly handle: TcpSocketHandle,
    readonly engine: TlsConnection,
    private readonly events: SecureTransportEvents,
  ) {
    for (const event of engine.takeEvents()) this.onEngineEvent(event);
    engine.onEvent = (event) => this.onEngineEvent(event);
  }

  get shutdownPending(): boolean {
    return this.shutdownWanted && !this.finSent;
  }

  get failed(): TlsError | undefined {
    return this.failure;
  }

  /** Called by the stream right before it emits 'secure'. */
  announce(): void {
    this.announced = true;
  }

  get peerFinished(): boolean {
    if (!this.announced && this.failure === undefined) return false;
    return this.peerClosed || this.failure !== undefined || this.handle.peerFinished;
  }

  get readableLength(): number {
    return this.plaintextBytes + (this.peerClosed || this.failure ? 0 : this.handle.readableLength);
  }

  write(bytes: Uint8Array): number {
    if (this.failure !== undefined || !this.engine.isSecure || this.shutdownWanted) return 0;
    if (!this.flushOutgoing()) return 0; // earlier records first: the order on the wire is the order sealed
    // Seal what the send buffer can take, and at least one record so that a full buffer still owes a 'writable'.
    const take = Math.min(bytes.length, Math.max(this.handle.writableSpace, MAX_PLAINTEXT));
    if (take === 0) return 0;
    this.engine.write(bytes.subarray(0, take));
    this.collectOutput();
    this.flushOutgoing();
    return take;
  }

  shutdown(): void {
    this.shutdownWanted = true;
    this.finishShutdown();
  }

  readWhile(take: (chunk: Uint8Array) => boolean): number {
    let total = 0;
    let wanting = true;
    if (!this.announced) return 0; // 'secure' comes before any 'data'
    const deliver = (): void => {
      while (wanting && this.plaintext.length > 0) {
        const chunk = this.plaintext.shift()!;
        this.plaintextBytes -= chunk.length;
        total += chunk.length;
        wanting = take(chunk);
      }
    };
    deliver();
    if (wanting) {
      this.feed(() => {
        deliver();
        return wanting;
      });
    }
    return total;
  }

  /** Sends what is queued and moves the handshake on, whether or not anyone reads. */
  pump(): void {
    this.collectOutput();
    this.flushOutgoing();
    this.finishShutdown();
    if (!this.engine.isSecure && this.failure === undefined) this.feed(() => !this.engine.isSecure);
    if (!this.engine.isSecure && this.failure === undefined && !this.earlyEofReported && this.handle.peerFinished && this.handle.readableLength === 0) {
      this.earlyEofReported = true;
      this.events.onEarlyEof();
    }
  }

  /** Feeds received TCP chunks to the engine while `more()` says so. */
  private feed(more: () => boolean): void {
    if (this.failure !== undefined) return;
    this.handle.readWhile((chunk) => {
      // RFC 8446 §6.1: nothing after the peer's close_notify is read; what still arrives is dropped.
      if (this.peerClosed || this.failure !== undefined) return true;
      this.engine.receive(chunk);
      this.collectOutput();
      this.flushOutgoing();
      return this.failure === undefined && more();
    });
  }

  private onEngineEvent(event: TlsEvent): void {
    switch (event.type) {
      case 'data':
        this.plaintext.push(event.data);
        this.plaintextBytes += event.data.length;
        return;
      case 'secure':
        this.events.onSecure(event.parameters);
        return;
      case 'close_notify':
        this.peerClosed = true;
        this.events.onPeerClose();
        return;
      case 'error':
        this.failure = event.error;
        // The alert goes out, then our FIN (not a bare RST), so the peer can read why.
        this.collectOutput();
        this.flushOutgoing();
        if (!this.finSent) {
          this.finSent = true;
          this.handle.shutdown();
        }
        this.events.onError(event.error);
        return;
      case 'keyUpdate':
        return;
    }
  }

  private finishShutdown(): void {
    if (!this.shutdownWanted || this.finSent) return;
    if (!this.closeNotifySent) {
      // Before the handshake completes, close_notify waits for it (our alert would have no keys to protect it).
      if (!this.engine.isSecure && this.failure === undefined && !this.engine.isClosed) return;
      this.closeNotifySent = true;
      this.engine.close(); // RFC 8446 §6.1: close_notify before closing the write side
      this.collectOutput();
    }
    if (this.flushOutgoing()) {
      this.finSent = true;
      this.handle.shutdown(); // FIN after the close_notify
    }
  }

  private collectOutput(): void {
    const records = this.engine.takeOutput();
    if (records.length === 1) this.outgoing.push(records[0]!);
    else if (records.length > 1) this.outgoing.push(Buffer.concat(records)); // one TCP write for a batch of records
  }

  /** Writes queued ciphertext to TCP; true when nothing is left over. */
  private flushOutgoing(): boolean {
    while (this.outgoing.length > 0) {
      const bytes = this.outgoing[0]!;
      const accepted = this.handle.write(bytes);
      if (accepted >= bytes.length) {
        this.outgoing.shift();
      } else {
        this.outgoing[0] = bytes.subarray(accepted);
        return false;
      }
    }
    return true;
  }
}
