/**
 * TlsConnection: the sans-I/O TLS 1.3 engine shared by client and server. Bytes in through
 * `receive()`, records out through `takeOutput()`, events through `takeEvents()` (or `onEvent`).
 * Protocol failures never throw out of `receive()`: they send an alert (RFC 8446 §6) and become
 * an 'error' event. API misuse (writing before the handshake, after close) throws InvalidStateError.
 */
import type { X509Certificate } from 'node:crypto';
import { InvalidStateError } from '../errors.js';
import { ALERTS, TlsError, alertName, fail } from './alerts.js';
import type { CipherSuite } from './cipher-suites.js';
import type { PeerVerification } from './certificates.js';
import { nextTrafficSecret, trafficKeys } from './key-schedule.js';
import { HandshakeReassembler, HandshakeType, decodeKeyUpdate, encodeKeyUpdate } from './messages.js';
import { ContentType, MAX_PLAINTEXT, RecordDeframer, RecordProtection, plaintextRecord, type Record } from './record.js';
import { Transcript } from './transcript.js';
import type { GroupName } from './key-exchange.js';

export interface NegotiatedParameters {
  readonly version: 'TLSv1.3';
  readonly cipher: string;
  readonly group: GroupName;
  readonly alpnProtocol: string | undefined;
  readonly servername: string | undefined;
  /** The peer's certificates as sent, leaf first (empty when the peer sent none). */
  readonly peerCertificates: readonly X509Certificate[];
  readonly verification: PeerVerification | undefined;
  readonly helloRetried: boolean;
  readonly signatureScheme: number | undefined;
}

export type TlsEvent =
  | { readonly type: 'secure'; readonly parameters: NegotiatedParameters }
  | { readonly type: 'data'; readonly data: Uint8Array }
  | { readonly type: 'close_notify' }
  | { readonly type: 'keyUpdate'; readonly direction: 'read' | 'write' }
  | { readonly type: 'error'; readonly error: TlsError };

export type ConnectionState = 'handshaking' | 'connected' | 'closed';

export abstract class TlsConnection {
  onEvent: ((event: TlsEvent) => void) | undefined;
  protected state: ConnectionState = 'handshaking';
  protected suite: CipherSuite | undefined;
  protected readonly transcript = new Transcript();
  private readonly deframer = new RecordDeframer();
  private readonly reassembler = new HandshakeReassembler();
  private reader: RecordProtection | undefined;
  private writer: RecordProtection | undefined;
  private readSecret: Uint8Array | undefined;
  /** Counts read key changes, to catch records that go on past one (§5.1). */
  private readEpoch = 0;
  private writeSecret: Uint8Array | undefined;
  private output: Uint8Array[] = [];
  private events: TlsEvent[] = [];
  private peerClosed = false;
  private localClosed = false;
  /** Whether a dummy change_cipher_spec was already sent (middlebox compatibility, RFC 8446 §D.4). */
  protected sentChangeCipherSpec = false;
  protected negotiated: NegotiatedParameters | undefined;

  get isSecure(): boolean {
    return this.state === 'connected';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get parameters(): NegotiatedParameters | undefined {
    return this.negotiated;
  }

  /** Feeds received bytes. Never throws; failures become an alert plus an 'error' event. */
  receive(bytes: Uint8Array): void {
    if (this.state === 'closed' || this.peerClosed) return;
    this.deframer.push(bytes);
    try {
      for (let record = this.deframer.next(); record; record = this.deframer.next()) {
        this.onRecord(record);
        if (this.stopsReading()) return;
      }
    } catch (error) {
      this.abort(error);
    }
  }

  private stopsReading(): boolean {
    return this.state === 'closed' || this.peerClosed;
  }

  /** Protects application data into records of at most 2^14 bytes (RFC 8446 §5.1). */
  write(data: Uint8Array): void {
    if (this.state !== 'connected') throw new InvalidStateError(`cannot write TLS data while ${this.state}`);
    if (this.localClosed) throw new InvalidStateError('cannot write after close()');
    for (let offset = 0; offset < data.length; offset += MAX_PLAINTEXT) {
      this.output.push(this.writer!.seal(ContentType.application_data, data.subarray(offset, offset + MAX_PLAINTEXT)));
    }
  }

  /** Sends close_notify (RFC 8446 §6.1); reading goes on until the peer's close_notify. */
  close(): void {
    if (this.localClosed || this.state === 'closed') return;
    this.localClosed = true;
    this.sendAlert(ALERTS.close_notify, 1);
    if (this.peerClosed) this.state = 'closed';
  }

  /** Sends KeyUpdate and moves our sending keys forward (RFC 8446 §4.6.3). */
  updateKeys(requestPeerUpdate = true): void {
    if (this.state !== 'connected' || this.localClosed) throw new InvalidStateError('KeyUpdate needs a connected, open session');
    this.sendHandshake([encodeKeyUpdate(requestPeerUpdate)]);
    this.advanceWriteKeys();
  }

  takeOutput(): Uint8Array[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  takeEvents(): TlsEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  protected emit(event: TlsEvent): void {
    if (this.onEvent) this.onEvent(event);
    else this.events.push(event);
  }

  /** Handles one handshake message during the handshake (subclass state machines). */
  protected abstract onHandshakeMessage(type: number, body: Uint8Array, message: Uint8Array): void;

  private onRecord(record: Record): void {
    // A peer that fails on our ServerHello has no keys yet and alerts in plaintext: accepted while handshaking.
    // §5: a change_cipher_spec of the single byte 0x01 is dropped during the handshake; else unexpected_message.
    if (record.type === ContentType.change_cipher_spec) {
      if (this.state === 'handshaking' && record.fragment.length === 1 && record.fragment[0] === 1) return;
      fail('unexpected_message', 'change_cipher_spec outside the handshake');
    }
    let type: number;
    let content: Uint8Array;
    if (this.reader && !(record.type === ContentType.alert && this.state === 'handshaking')) {
      ({ type, content } = this.reader.open(record));
    } else {
      type = record.type;
      content = record.fragment;
      if (content.length > MAX_PLAINTEXT) fail('record_overflow', 'plaintext record above 2^14');
      // §5.1: only handshake and alert records may be unprotected.
      if (type !== ContentType.handshake && type !== ContentType.alert) fail('unexpected_message', `unprotected record of type ${type}`);
    }
    switch (type) {
      case ContentType.handshake: {
        const messages = this.reassembler.push(content);
        const epoch = this.readEpoch;
        for (const [index, message] of messages.entries()) {
          // §5.1: a message that changes the read keys must end its record.
          if (this.readEpoch !== epoch && index > 0) fail('unexpected_message', 'handshake data after a key change in one record');
          this.dispatchHandshake(message);
          if (this.state === 'closed') return;
        }
        if (this.readEpoch !== epoch && !this.reassembler.isEmpty) fail('unexpected_message', 'handshake data after a key change');
        return;
      }
      case ContentType.alert:
        return this.onAlert(content);
      case ContentType.application_data:
        // §2: application data flows only once our handshake state is complete.
        if (this.state !== 'connected') fail('unexpected_message', 'application data before the handshake completed');
        if (content.length > 0) this.emit({ type: 'data', data: content });
        return;
      default:
        fail('unexpected_message', `record of inner type ${type}`);
    }
  }

  private dispatchHandshake(message: Uint8Array): void {
    const type = message[0];
    const body = message.subarray(4);
    if (this.state === 'handshaking') return this.onHandshakeMessage(type, body, message);
    this.onPostHandshakeMessage(type, body);
  }

  /** §4.6: after the handshake, only NewSessionTicket (to a client) and KeyUpdate are expected here. */
  protected onPostHandshakeMessage(type: number, body: Uint8Array): void {
    if (type === HandshakeType.key_update) {
      const { requestUpdate } = decodeKeyUpdate(body);
      this.advanceReadKeys();
      // §4.6.3: answer update_requested with our own KeyUpdate(update_not_requested).
      if (requestUpdate && !this.localClosed) {
        this.sendHandshake([encodeKeyUpdate(false)]);
        this.advanceWriteKeys();
      }
      return;
    }
    if (type === HandshakeType.new_session_ticket && this.isClient()) return; // resumption not implemented: ignored
    fail('unexpected_message', `post-handshake message of type ${type}`);
  }

  protected abstract isClient(): boolean;

  private onAlert(content: Uint8Array): void {
    // §6: Alert { level, description }; two bytes exactly.
    if (content.length !== 2) fail('decode_error', `alert of ${content.length} bytes`);
    const description = content[1];
    if (description === ALERTS.close_notify) {
      this.peerClosed = true;
      if (this.localClosed) this.state = 'closed';
      this.emit({ type: 'close_notify' });
      return;
    }
    if (description === ALERTS.user_canceled) return;
    // §6.2: every other alert is fatal, whatever its level.
    const name = alertName(description);
    this.state = 'closed';
    this.emit({
      type: 'error',
      error: new TlsError(name ?? 'unexpected_message', `peer sent alert ${name ?? description}`, { fromPeer: true }),
    });
  }

  private abort(error: unknown): void {
    const tlsError =
      error instanceof TlsError ? error : new TlsError('internal_error', `internal error: ${String(error)}`, { cause: error });
    if (this.state !== 'closed') {
      try {
        this.sendAlert(tlsError.alertNumber, 2);
      } catch {
        // nothing more can be sent
      }
    }
    this.state = 'closed';
    this.emit({ type: 'error', error: tlsError });
  }

  private sendAlert(description: number, level: 1 | 2): void {
    const body = Uint8Array.of(level, description);
    this.output.push(this.writer ? this.writer.seal(ContentType.alert, body) : plaintextRecord(ContentType.alert, body));
  }

  /** Sends handshake messages, packed into as few records as 2^14 allows. */
  protected sendHandshake(messages: readonly Uint8Array[]): void {
    const all = Buffer.concat(messages);
    for (let offset = 0; offset < all.length; offset += MAX_PLAINTEXT) {
      const fragment = all.subarray(offset, offset + MAX_PLAINTEXT);
      this.output.push(this.writer ? this.writer.seal(ContentType.handshake, fragment) : plaintextRecord(ContentType.handshake, fragment));
    }
  }

  /** The dummy change_cipher_spec of middlebox compatibility mode, sent at most once (§D.4). */
  protected sendChangeCipherSpec(): void {
    if (this.sentChangeCipherSpec) return;
    this.sentChangeCipherSpec = true;
    this.output.push(plaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1)));
  }

  protected setReadSecret(secret: Uint8Array): void {
    // §5.1: handshake messages MUST NOT span a key change.
    if (!this.reassembler.isEmpty) fail('unexpected_message', 'handshake message spans a key change');
    const suite = this.suite!;
    this.readSecret = secret;
    this.readEpoch++;
    this.reader = new RecordProtection(suite.aead, trafficKeys(suite.hash, secret, suite.keyLength));
  }

  protected setWriteSecret(secret: Uint8Array): void {
    const suite = this.suite!;
    this.writeSecret = secret;
    this.writer = new RecordProtection(suite.aead, trafficKeys(suite.hash, secret, suite.keyLength));
  }

  private advanceReadKeys(): void {
    this.setReadSecret(nextTrafficSecret(this.suite!.hash, this.readSecret!));
    this.emit({ type: 'keyUpdate', direction: 'read' });
  }

  private advanceWriteKeys(): void {
    this.setWriteSecret(nextTrafficSecret(this.suite!.hash, this.writeSecret!));
    this.emit({ type: 'keyUpdate', direction: 'write' });
  }

  protected completeHandshake(parameters: NegotiatedParameters): void {
    this.negotiated = parameters;
    this.state = 'connected';
    this.emit({ type: 'secure', parameters });
  }
}
