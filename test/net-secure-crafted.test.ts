/**
 * Crafted TLS input against our secure server over a real Stream pair on one stack's loopback: the
 * other end is a plain TCP stream driven by hand (a ClientHello and a handshake built from the
 * codecs, so it can send what no correct client would). A truncated, garbled or oversized record,
 * a bad Finished and unexpected messages each get their alert (RFC 8446 §6), then FIN, and the
 * server stream closes with the TlsError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { cleanUpAfterEach, closed, listen, newStack, until } from './helpers/net.js';
import { createConnection, type Stream } from '../src/net/stream.js';
import type { Server } from '../src/net/server.js';
import type { TlsError } from '../src/tls/alerts.js';
import { ExtensionType, encodeClientKeyShares, encodeClientVersions, encodeU16List, decodeServerKeyShare, findExtension } from '../src/tls/extensions.js';
import { createKeyExchange, NamedGroup } from '../src/tls/key-exchange.js';
import { KeySchedule, finishedVerifyData, trafficKeys } from '../src/tls/key-schedule.js';
import { HandshakeReassembler, HandshakeType, decodeServerHello, encodeClientHello, handshakeMessage, encodeKeyUpdate } from '../src/tls/messages.js';
import { ContentType, RecordDeframer, RecordProtection, plaintextRecord, type Record } from '../src/tls/record.js';
import { CERTIFICATE_VERIFY_SCHEMES } from '../src/tls/signatures.js';
import { Transcript } from '../src/tls/transcript.js';
import { makePki, type Pki } from './tls-fixtures.js';

cleanUpAfterEach();
const DATA = Buffer.from('application data');
let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

/** Records read from a plain stream, one at a time, plus whether the peer sent FIN. */
function recordReader(stream: Stream): { next(): Promise<Record>; ended: () => boolean } {
  const deframer = new RecordDeframer();
  let ended = false;
  stream.on('data', (chunk: Buffer) => deframer.push(Uint8Array.from(chunk)));
  // The server sends its alert, then FIN, then the reset of destroy(): either may end our reading.
  stream.on('end', () => (ended = true));
  stream.on('close', () => (ended = true));
  stream.on('error', () => undefined);
  return {
    ended: () => ended,
    async next() {
      let record: Record | undefined;
      await until(() => (record = deframer.next()) !== undefined || ended, 'a record');
      if (!record) throw new Error('FIN before the expected record');
      return { type: record.type, header: Uint8Array.from(record.header), fragment: Uint8Array.from(record.fragment) };
    },
  };
}

/** Our TLS server (stack.tls) on a fresh stack, and a plain TCP stream to it. */
async function setUp(): Promise<{ server: Server; raw: Stream; reader: ReturnType<typeof recordReader>; failure: Promise<{ error: TlsError; closedWithError: boolean }> }> {
  const stack = newStack();
  const leaf = pki.leaf('p256');
  let report!: (value: { error: TlsError; closedWithError: boolean }) => void;
  const failure = new Promise<{ error: TlsError; closedWithError: boolean }>((resolve) => (report = resolve));
  const server = stack.tls.createServer({ key: leaf.key, cert: leaf.cert }, (stream) => stream.on('data', () => undefined));
  server.on('tlsClientError', (error: TlsError, stream: Stream) => void closed(stream).then((hadError) => report({ error, closedWithError: hadError })));
  server.on('secureConnection', (stream: Stream) => {
    stream.on('error', (error: TlsError) => void closed(stream).then((hadError) => report({ error, closedWithError: hadError })));
  });
  const port = await listen(server, 4433);
  const raw = createConnection(stack, port, '127.0.0.1');
  await once(raw, 'connect');
  return { server, raw, reader: recordReader(raw), failure };
}

/**
 * A TLS 1.3 client built by hand from the codecs (AES-128-GCM, X25519): ClientHello, the
 * server's flight opened, then our Finished — correct, or the one given.
 */
async function handshakeByHand(raw: Stream, reader: ReturnType<typeof recordReader>, finished?: Uint8Array) {
  const exchange = createKeyExchange(NamedGroup.x25519);
  const clientHello = encodeClientHello({
    random: randomBytes(32), legacySessionId: new Uint8Array(0), cipherSuites: [0x1301], legacyCompressionMethods: Uint8Array.of(0),
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeClientVersions([0x0304]) },
      { type: ExtensionType.supported_groups, data: encodeU16List([NamedGroup.x25519]) },
      { type: ExtensionType.key_share, data: encodeClientKeyShares([{ group: NamedGroup.x25519, keyExchange: exchange.publicKey }]) },
      { type: ExtensionType.signature_algorithms, data: encodeU16List(CERTIFICATE_VERIFY_SCHEMES) },
    ],
  });
  raw.write(plaintextRecord(ContentType.handshake, clientHello));
  const transcript = new Transcript();
  transcript.add(clientHello);
  const serverHelloRecord = await reader.next();
  expect(serverHelloRecord.type).toBe(ContentType.handshake);
  transcript.add(serverHelloRecord.fragment);
  transcript.setHash('sha256');
  const serverHello = decodeServerHello(serverHelloRecord.fragment.subarray(4));
  const share = decodeServerKeyShare(findExtension(serverHello.extensions, ExtensionType.key_share)!);
  const schedule = new KeySchedule('sha256');
  const hs = schedule.enterHandshake(exchange.computeShared(share.keyExchange), transcript.current());
  const serverHs = new RecordProtection('aes-128-gcm', trafficKeys('sha256', hs.server, 16));
  const reassembler = new HandshakeReassembler();
  for (let sawFinished = false; !sawFinished; ) {
    const record = await reader.next();
    if (record.type === ContentType.change_cipher_spec) continue;
    for (const message of reassembler.push(serverHs.open(record).content)) {
      transcript.add(message);
      sawFinished = message[0] === HandshakeType.finished;
    }
  }
  const ap = schedule.enterApplication(transcript.current());
  const clientHs = new RecordProtection('aes-128-gcm', trafficKeys('sha256', hs.client, 16));
  const ours = finished ?? handshakeMessage(HandshakeType.finished, finishedVerifyData('sha256', hs.client, transcript.current()));
  raw.write(clientHs.seal(ContentType.handshake, ours));
  return {
    clientAp: new RecordProtection('aes-128-gcm', trafficKeys('sha256', ap.client, 16)),
    serverAp: new RecordProtection('aes-128-gcm', trafficKeys('sha256', ap.server, 16)),
    clientHs,
  };
}

/** The alert record the server sent, opened with `keys` (or in plaintext), then FIN. */
async function expectAlert(reader: ReturnType<typeof recordReader>, description: number, keys?: RecordProtection): Promise<void> {
  let record = await reader.next();
  while (keys && record.type === ContentType.application_data) {
    const opened = keys.open(record);
    if (opened.type === ContentType.alert) {
      expect([...opened.content]).toEqual([2, description]);
      break;
    }
    record = await reader.next(); // e.g. NewSessionTicket, if one were sent
  }
  if (!keys) expect([record.type, ...record.fragment]).toEqual([ContentType.alert, 2, description]);
  await until(reader.ended, 'FIN after the alert');
}

describe('crafted records and messages against our secure server', () => {
  it.each([
    ['an oversized record header (2^14 + 257) before any body', () => Uint8Array.of(22, 3, 3, 0x41, 0x01), 'record_overflow', 22],
    ['a Finished as the first message', () => plaintextRecord(ContentType.handshake, handshakeMessage(HandshakeType.finished, new Uint8Array(32))), 'unexpected_message', 10],
    ['a ClientHello truncated inside its own length', () => plaintextRecord(ContentType.handshake, Uint8Array.of(1, 0, 0, 3, 3, 3, 0)), 'decode_error', 50],
    ['plaintext application data before the handshake', () => plaintextRecord(ContentType.application_data, Uint8Array.of(1, 2, 3)), 'unexpected_message', 10],
  ])('before keys: %s → its alert in plaintext, FIN, server stream closed', async (_name, craft, alert, number) => {
    const { raw, reader, failure } = await setUp();
    raw.write(craft());
    await expectAlert(reader, number);
    const { error, closedWithError } = await failure;
    expect(error).toMatchObject({ code: `ERR_TLS_ALERT_${alert.toUpperCase()}`, alert, alertNumber: number });
    expect(closedWithError).toBe(true);
    raw.destroy();
  });

  it('a bad Finished (right length, wrong verify_data) → decrypt_error under the server application key', async () => {
    const { raw, reader, failure } = await setUp();
    const keys = await handshakeByHand(raw, reader, handshakeMessage(HandshakeType.finished, new Uint8Array(32)));
    // The server sent its Finished, so it now writes under its application traffic key (§7.1).
    await expectAlert(reader, 51, keys.serverAp);
    expect((await failure).error).toMatchObject({ code: 'ERR_TLS_ALERT_DECRYPT_ERROR', alertNumber: 51 });
    raw.destroy();
  });

  it('a KeyUpdate in place of the Finished → unexpected_message', async () => {
    const { raw, reader, failure } = await setUp();
    const keys = await handshakeByHand(raw, reader, handshakeMessage(HandshakeType.key_update, encodeKeyUpdate(false)));
    await expectAlert(reader, 10, keys.serverAp);
    expect((await failure).error).toMatchObject({ code: 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE', alertNumber: 10 });
    raw.destroy();
  });

  it.each([
    ['garbled (one bit of the ciphertext flipped)', (keys: RecordProtection) => { const record = keys.seal(ContentType.application_data, DATA); record[8] ^= 0x10; return record; }, 'bad_record_mac', 20],
    ['truncated (a body shorter than the AEAD tag)', (keys: RecordProtection) => Uint8Array.of(23, 3, 3, 0, 10, ...keys.seal(ContentType.application_data, DATA).subarray(5, 15)), 'bad_record_mac', 20],
    ['oversized (a protected record of 2^14 + 257 bytes)', () => Uint8Array.of(23, 3, 3, 0x41, 0x01), 'record_overflow', 22],
    ['a protected plaintext above 2^14 + 1 bytes', (keys: RecordProtection) => keys.seal(ContentType.application_data, new Uint8Array(1 << 14), 8), 'record_overflow', 22],
    ['a ClientHello after the handshake', (keys: RecordProtection) => keys.seal(ContentType.handshake, handshakeMessage(HandshakeType.client_hello, new Uint8Array(40))), 'unexpected_message', 10],
    ['an unknown inner content type', (keys: RecordProtection) => keys.seal(99, DATA), 'unexpected_message', 10],
  ] as [string, (keys: RecordProtection) => Uint8Array, string, number][])(
    'after the handshake: %s → its alert, FIN, server stream closed',
    async (_name, craft, alert, number) => {
      const { raw, reader, failure } = await setUp();
      const keys = await handshakeByHand(raw, reader);
      raw.write(craft(keys.clientAp));
      await expectAlert(reader, number, keys.serverAp);
      const { error, closedWithError } = await failure;
      expect(error).toMatchObject({ code: `ERR_TLS_ALERT_${alert.toUpperCase()}`, alertNumber: number });
      expect(closedWithError).toBe(true);
      raw.destroy();
    },
  );
});
