/**
 * RFC 8448 §5: the HelloRetryRequest handshake reproduced byte for byte — hellos re-encoded, key
 * shares from the trace's private keys, the message_hash transcript (RFC 8446 §4.4.1), every
 * key and IV, both Finished values, and the server flight, client Finished and close_notify records.
 */
import { describe, expect, it } from 'vitest';
import { createECDH, createPrivateKey, createPublicKey, type X509Certificate } from 'node:crypto';
import { authenticationFlight, checkCertificateVerify, checkFinished, readPeerCertificates } from '../src/tls/authentication.js';
import { ExtensionType, decodeClientKeyShares, decodeCookie, decodeServerKeyShare, findExtension } from '../src/tls/extensions.js';
import { KeySchedule, finishedKey, trafficKeys } from '../src/tls/key-schedule.js';
import { createKeyExchange, NamedGroup } from '../src/tls/key-exchange.js';
import {
  HELLO_RETRY_REQUEST_RANDOM,
  HandshakeReassembler,
  HandshakeType,
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  isHelloRetryRequest,
} from '../src/tls/messages.js';
import { ContentType, RecordDeframer, RecordProtection } from '../src/tls/record.js';
import { CERTIFICATE_VERIFY_SCHEMES } from '../src/tls/signatures.js';
import { Transcript } from '../src/tls/transcript.js';
import { SERVER_FLIGHT } from './tls-rfc8448.js';
import * as T from './tls-rfc8448-hrr.js';

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The single record in `bytes`, and its fragment (a handshake message for these plaintext records). */
function onlyRecord(bytes: Uint8Array): { type: number; fragment: Uint8Array } {
  const deframer = new RecordDeframer();
  deframer.push(bytes);
  const record = deframer.next()!;
  expect(deframer.next()).toBeUndefined();
  return { type: record.type, fragment: Uint8Array.from(record.fragment) };
}

const clientHello1 = onlyRecord(T.CLIENT_HELLO_1_RECORD).fragment;
const helloRetryRequest = onlyRecord(T.HELLO_RETRY_REQUEST_RECORD).fragment;
const clientHello2 = onlyRecord(T.CLIENT_HELLO_2_RECORD).fragment;
const serverHello = onlyRecord(T.SERVER_HELLO_RECORD).fragment;
/** The trace reuses the RSA certificate of §3: the second message of the §3 server flight. */
const certificateMessage = new HandshakeReassembler().push(SERVER_FLIGHT)[1]!;

function x25519Public(privateRaw: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), privateRaw]), format: 'der', type: 'pkcs8' });
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12);
}

/** Transcript-Hash(message_hash(CH1), HRR, CH2, SH) and the schedule after it. */
function handshakeStage(): { transcript: Transcript; schedule: KeySchedule; hs: { client: Uint8Array; server: Uint8Array } } {
  const transcript = new Transcript();
  transcript.add(clientHello1);
  transcript.replaceWithMessageHash('sha256');
  transcript.add(helloRetryRequest);
  transcript.add(clientHello2);
  transcript.add(serverHello);
  const schedule = new KeySchedule('sha256');
  const hs = schedule.enterHandshake(Buffer.from(T.V.ecdhe, 'hex'), transcript.current());
  return { transcript, schedule, hs };
}

describe('RFC 8448 §5 HelloRetryRequest trace', () => {
  it('the four hellos decode and re-encode byte for byte; the HRR asks for secp256r1 with a cookie the client echoes', () => {
    for (const [message, type] of [[clientHello1, HandshakeType.client_hello], [clientHello2, HandshakeType.client_hello]] as const) {
      expect(message[0]).toBe(type);
      expect(toHex(encodeClientHello(decodeClientHello(message.subarray(4))))).toBe(toHex(message));
    }
    for (const message of [helloRetryRequest, serverHello]) {
      expect(toHex(encodeServerHello(decodeServerHello(message.subarray(4))))).toBe(toHex(message));
    }
    const hrr = decodeServerHello(helloRetryRequest.subarray(4));
    expect(isHelloRetryRequest(hrr)).toBe(true);
    expect(toHex(hrr.random)).toBe(toHex(HELLO_RETRY_REQUEST_RANDOM));
    expect(isHelloRetryRequest(decodeServerHello(serverHello.subarray(4)))).toBe(false);
    expect(hrr.cipherSuite).toBe(0x1301);
    // §4.2.8: the HRR's key_share carries only the selected group.
    expect(toHex(findExtension(hrr.extensions, ExtensionType.key_share)!)).toBe('0017');
    expect(toHex(decodeCookie(findExtension(hrr.extensions, ExtensionType.cookie)!))).toBe(toHex(T.COOKIE));

    const first = decodeClientHello(clientHello1.subarray(4));
    const second = decodeClientHello(clientHello2.subarray(4));
    expect(toHex(second.random)).toBe(toHex(first.random));
    expect(toHex(second.random)).toBe(toHex(T.CLIENT_RANDOM));
    expect(decodeClientKeyShares(findExtension(first.extensions, ExtensionType.key_share)!).map((e) => e.group)).toEqual([NamedGroup.x25519]);
    expect(decodeClientKeyShares(findExtension(second.extensions, ExtensionType.key_share)!).map((e) => e.group)).toEqual([NamedGroup.secp256r1]);
    expect(toHex(decodeCookie(findExtension(second.extensions, ExtensionType.cookie)!))).toBe(toHex(T.COOKIE));
    expect(clientHello2.length).toBe(512);
  });

  it("the key shares are the trace's private keys' public keys, and they agree on the (EC)DHE secret", () => {
    const first = decodeClientHello(clientHello1.subarray(4));
    const second = decodeClientHello(clientHello2.subarray(4));
    const x25519Share = decodeClientKeyShares(findExtension(first.extensions, ExtensionType.key_share)!)[0]!;
    expect(toHex(x25519Share.keyExchange)).toBe(toHex(x25519Public(T.CLIENT_X25519_PRIVATE)));

    const client = createECDH('prime256v1');
    client.setPrivateKey(Buffer.from(T.CLIENT_P256_PRIVATE));
    const server = createECDH('prime256v1');
    server.setPrivateKey(Buffer.from(T.SERVER_P256_PRIVATE));
    const clientShare = decodeClientKeyShares(findExtension(second.extensions, ExtensionType.key_share)!)[0]!;
    const serverShare = decodeServerKeyShare(findExtension(decodeServerHello(serverHello.subarray(4)).extensions, ExtensionType.key_share)!);
    expect(toHex(clientShare.keyExchange)).toBe(toHex(client.getPublicKey()));
    expect(toHex(serverShare.keyExchange)).toBe(toHex(server.getPublicKey()));
    expect(toHex(server.computeSecret(Buffer.from(clientShare.keyExchange)))).toBe(T.V.ecdhe);
    // our own secp256r1 exchange accepts the trace's point and yields a 32-byte x-coordinate
    expect(createKeyExchange(NamedGroup.secp256r1).computeShared(serverShare.keyExchange).length).toBe(32);
  });

  it('the transcript (ClientHello1 replaced by message_hash) gives the hello hash, handshake keys and Finished keys', () => {
    const { transcript, hs } = handshakeStage();
    expect(toHex(transcript.current())).toBe(T.V.helloHash);
    const server = trafficKeys('sha256', hs.server, 16);
    const client = trafficKeys('sha256', hs.client, 16);
    expect([toHex(server.key), toHex(server.iv)]).toEqual([T.V.serverHsKey, T.V.serverHsIv]);
    expect([toHex(client.key), toHex(client.iv)]).toEqual([T.V.clientHsKey, T.V.clientHsIv]);
    expect(toHex(finishedKey('sha256', hs.server))).toBe(T.V.serverFinishedKey);
    expect(toHex(finishedKey('sha256', hs.client))).toBe(T.V.clientFinishedKey);
  });

  it('the server flight: sealed at sequence 0 it is the record byte for byte; CertificateVerify and Finished verify', () => {
    const { transcript, hs } = handshakeStage();
    const flight = Buffer.concat([T.ENCRYPTED_EXTENSIONS, certificateMessage, T.CERTIFICATE_VERIFY, T.SERVER_FINISHED]);
    const keys = trafficKeys('sha256', hs.server, 16);
    expect(toHex(new RecordProtection('aes-128-gcm', keys).seal(ContentType.handshake, flight))).toBe(toHex(T.SERVER_FLIGHT_RECORD));
    const opened = new RecordProtection('aes-128-gcm', keys).open(onlyRecordRaw(T.SERVER_FLIGHT_RECORD));
    expect(toHex(opened.content)).toBe(toHex(flight));

    transcript.add(T.ENCRYPTED_EXTENSIONS);
    const chain: X509Certificate[] = readPeerCertificates(certificateMessage.subarray(4), new Uint8Array(0));
    transcript.add(certificateMessage);
    expect(toHex(transcript.current())).toBe(T.V.certificateVerifyHash);
    expect(checkCertificateVerify(T.CERTIFICATE_VERIFY.subarray(4), chain[0]!, CERTIFICATE_VERIFY_SCHEMES, true, transcript.current())).toBe(0x0804);
    transcript.add(T.CERTIFICATE_VERIFY);
    checkFinished(T.SERVER_FINISHED.subarray(4), 'sha256', hs.server, transcript.current());
    // one flipped bit in verify_data is decrypt_error (§4.4.4)
    const wrong = Uint8Array.from(T.SERVER_FINISHED);
    wrong[10] ^= 1;
    expect(() => checkFinished(wrong.subarray(4), 'sha256', hs.server, transcript.current())).toThrow(expect.objectContaining({ alert: 'decrypt_error' }));
  });

  it("the client's Finished is computed and sealed byte for byte; application keys and both close_notify records", () => {
    const { transcript, schedule, hs } = handshakeStage();
    for (const message of [T.ENCRYPTED_EXTENSIONS, certificateMessage, T.CERTIFICATE_VERIFY, T.SERVER_FINISHED]) transcript.add(message);
    const ap = schedule.enterApplication(transcript.current());
    // authenticationFlight without a certificate request sends the Finished alone
    const [finished, ...rest] = authenticationFlight({
      transcript, hash: 'sha256', baseKey: hs.client, fromServer: false, credentials: undefined, scheme: undefined, context: undefined,
    });
    expect(rest).toEqual([]);
    expect(toHex(finished!)).toBe(toHex(T.CLIENT_FINISHED));
    expect(toHex(transcript.current())).toBe(T.V.transcriptThroughClientFinished);
    const clientHs = new RecordProtection('aes-128-gcm', trafficKeys('sha256', hs.client, 16));
    expect(toHex(clientHs.seal(ContentType.handshake, finished!))).toBe(toHex(T.CLIENT_FINISHED_RECORD));

    const serverAp = trafficKeys('sha256', ap.server, 16);
    const clientAp = trafficKeys('sha256', ap.client, 16);
    expect([toHex(serverAp.key), toHex(serverAp.iv)]).toEqual([T.V.serverApKey, T.V.serverApIv]);
    expect([toHex(clientAp.key), toHex(clientAp.iv)]).toEqual([T.V.clientApKey, T.V.clientApIv]);
    const closeNotify = Uint8Array.of(1, 0); // warning(1), close_notify(0) (§6.1)
    expect(toHex(new RecordProtection('aes-128-gcm', clientAp).seal(ContentType.alert, closeNotify))).toBe(toHex(T.CLIENT_CLOSE_NOTIFY_RECORD));
    expect(toHex(new RecordProtection('aes-128-gcm', serverAp).seal(ContentType.alert, closeNotify))).toBe(toHex(T.SERVER_CLOSE_NOTIFY_RECORD));
    const opened = new RecordProtection('aes-128-gcm', serverAp).open(onlyRecordRaw(T.SERVER_CLOSE_NOTIFY_RECORD));
    expect([opened.type, toHex(opened.content)]).toEqual([ContentType.alert, '0100']);
  });
});

function onlyRecordRaw(bytes: Uint8Array): NonNullable<ReturnType<RecordDeframer['next']>> {
  const deframer = new RecordDeframer();
  deframer.push(bytes);
  return deframer.next()!;
}
