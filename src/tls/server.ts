/**
 * The TLS 1.3 server handshake (RFC 8446 §2, §4; state machine of Appendix A.2):
 * START → RECVD_CH (→ HRR → START) → NEGOTIATED → WAIT_FLIGHT2 → [WAIT_CERT → WAIT_CV] → WAIT_FINISHED → CONNECTED.
 */
import { InvalidArgumentError } from '../errors.js';
import { randomBytes, type X509Certificate } from 'node:crypto';
import { fail } from './alerts.js';
import {
  alertForCertificateError,
  authenticationFlight,
  checkCertificateVerify,
  checkFinished,
  readPeerCertificates,
} from './authentication.js';
import { bytesEqual } from './bytes.js';
import { verifyPeer, type PeerVerification } from './certificates.js';
import type { CipherSuite } from './cipher-suites.js';
import { TlsConnection } from './connection.js';
import {
  ExtensionType,
  TLS13,
  decodeAlpn,
  decodeClientKeyShares,
  decodeClientVersions,
  decodeCookie,
  decodeServerName,
  decodeU16List,
  encodeAlpn,
  encodeCookie,
  encodeServerKeyShare,
  encodeU16,
  encodeU16List,
  findExtension,
  type Extension,
} from './extensions.js';
import { createKeyExchange, groupName } from './key-exchange.js';
import { KeySchedule } from './key-schedule.js';
import {
  HELLO_RETRY_REQUEST_RANDOM,
  HandshakeType,
  decodeClientHello,
  encodeCertificateRequest,
  encodeEncryptedExtensions,
  encodeServerHello,
  type ClientHello,
} from './messages.js';
import { resolveCommon, type ResolvedOptions, type TlsServerOptions } from './options.js';
import { CERTIFICATE_VERIFY_SCHEMES, chooseScheme } from './signatures.js';

type ServerState = 'wait_ch' | 'wait_cert' | 'wait_cv' | 'wait_finished';

export class TlsServer extends TlsConnection {
  private readonly resolved: ResolvedOptions;
  private step: ServerState = 'wait_ch';
  private retryGroup: number | undefined;
  private cookie: Uint8Array | undefined;
  private firstSessionId: Uint8Array | undefined;
  private group = 0;
  private alpn: string | undefined;
  private servername: string | undefined;
  private clientHandshakeSecret: Uint8Array | undefined;
  private clientApplicationSecret: Uint8Array | undefined;
  private peerCertificates: X509Certificate[] = [];
  private verification: PeerVerification | undefined;
  private clientScheme: number | undefined;

  constructor(private readonly options: TlsServerOptions) {
    super();
    this.resolved = resolveCommon(options, ['x25519', 'secp256r1', 'secp384r1']);
    if (!this.resolved.credentials) throw new InvalidArgumentError('a TLS server needs key and cert');
  }

  protected isClient(): boolean {
    return false;
  }

  protected onHandshakeMessage(type: number, body: Uint8Array, message: Uint8Array): void {
    const expect = (wanted: number): void => {
      if (type !== wanted) fail('unexpected_message', `handshake message ${type} while in ${this.step}`);
    };
    switch (this.step) {
      case 'wait_ch':
        expect(HandshakeType.client_hello);
        return this.onClientHello(decodeClientHello(body), message);
      case 'wait_cert':
        expect(HandshakeType.certificate);
        return this.onClientCertificate(body, message);
      case 'wait_cv':
        expect(HandshakeType.certificate_verify);
        this.clientScheme = checkCertificateVerify(body, this.peerCertificates[0], CERTIFICATE_VERIFY_SCHEMES, false, this.transcript.current());
        this.transcript.add(message);
        this.step = 'wait_finished';
        return;
      case 'wait_finished':
        expect(HandshakeType.finished);
        return this.onClientFinished(body, message);
    }
  }

  private onClientHello(hello: ClientHello, message: Uint8Array): void {
    const extensions = hello.extensions;
    const versions = findExtension(extensions, ExtensionType.supported_versions);
    // §4.2.1: we speak TLS 1.3 only; a client that does not offer it gets protocol_version.
    if (!versions || !decodeClientVersions(versions).includes(TLS13)) fail('protocol_version', 'client does not offer TLS 1.3');
    // §4.1.2: legacy_compression_methods must be exactly [null].
    if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
      fail('illegal_parameter', 'ClientHello compression methods not [null]');
    }
    const suite = this.resolved.suites.find((candidate) => hello.cipherSuites.includes(candidate.id));
    if (!suite) fail('handshake_failure', 'no cipher suite in common');
    const groupsData = findExtension(extensions, ExtensionType.supported_groups);
    const sharesData = findExtension(extensions, ExtensionType.key_share);
    const schemesData = findExtension(extensions, ExtensionType.signature_algorithms);
    // §9.2: a ClientHello without PSK must carry supported_groups, key_share and signature_algorithms.
    if (!groupsData || !sharesData || !schemesData) fail('missing_extension', 'ClientHello lacks groups, key_share or signature_algorithms');
    const clientGroups = decodeU16List(groupsData, 'supported_groups');
    const shares = decodeClientKeyShares(sharesData);
    // §4.2.8: each share must be for a group the client listed.
    if (shares.some((share) => !clientGroups.includes(share.group))) fail('illegal_parameter', 'key share for an unlisted group');
    const scheme = chooseScheme(this.resolved.credentials!.key, decodeU16List(schemesData, 'signature_algorithms'));
    if (scheme === undefined) fail('handshake_failure', 'no signature scheme in common for our key');

    if (this.retryGroup !== undefined) {
      // §4.1.2: the second ClientHello repeats the first, with the new share and the cookie.
      if (!bytesEqual(hello.legacySessionId, this.firstSessionId!)) fail('illegal_parameter', 'session id changed after HelloRetryRequest');
      const cookieData = findExtension(extensions, ExtensionType.cookie);
      if (!cookieData || !bytesEqual(decodeCookie(cookieData), this.cookie!)) fail('illegal_parameter', 'missing or wrong cookie');
      if (suite !== this.suite) fail('illegal_parameter', 'cipher suite changed after HelloRetryRequest');
      if (shares.length !== 1 || shares[0].group !== this.retryGroup) fail('illegal_parameter', 'second ClientHello lacks the requested key share');
    }
    // Our preference decides the group; if the client sent no share for it, ask again (§4.1.4).
    const group = this.resolved.groups.find((candidate) => clientGroups.includes(candidate));
    if (group === undefined) fail('handshake_failure', 'no group in common');
    const share = shares.find((entry) => entry.group === group);
    this.transcript.add(message);
    if (!share) {
      if (this.retryGroup !== undefined) fail('illegal_parameter', 'no key share after HelloRetryRequest');
      return this.sendHelloRetryRequest(hello, suite, group);
    }

    this.alpn = this.selectAlpn(extensions);
    const nameData = findExtension(extensions, ExtensionType.server_name);
    this.servername = nameData ? decodeServerName(nameData) : undefined;
    this.group = group;
    if (!this.suite) {
      this.suite = suite;
      this.transcript.setHash(suite.hash);
    }
    const keyExchange = createKeyExchange(group);
    const shared = keyExchange.computeShared(share.keyExchange);
    const serverHello = encodeServerHello({
      random: randomBytes(32),
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: suite.id,
      extensions: [
        { type: ExtensionType.supported_versions, data: encodeU16(TLS13) },
        { type: ExtensionType.key_share, data: encodeServerKeyShare({ group, keyExchange: keyExchange.publicKey }) },
      ],
    });
    this.transcript.add(serverHello);
    this.sendHandshake([serverHello]);
    // §D.4: a server in compatibility mode sends change_cipher_spec right after its first flight record.
    if (hello.legacySessionId.length > 0) this.sendChangeCipherSpec();

    const schedule = new KeySchedule(suite.hash);
    const handshakeSecrets = schedule.enterHandshake(shared, this.transcript.current());
    this.clientHandshakeSecret = handshakeSecrets.client;
    this.setWriteSecret(handshakeSecrets.server);
    this.setReadSecret(handshakeSecrets.client);

    const encrypted: Extension[] = [];
    if (this.alpn) encrypted.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([this.alpn]) });
    // RFC 6066 §3: acknowledge server_name with an empty extension.
    if (this.servername !== undefined) encrypted.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    const flight: Uint8Array[] = [encodeEncryptedExtensions(encrypted)];
    this.transcript.add(flight[0]);
    if (this.options.requestCert) {
      const request = encodeCertificateRequest({
        context: new Uint8Array(0),
        extensions: [{ type: ExtensionType.signature_algorithms, data: encodeU16List(CERTIFICATE_VERIFY_SCHEMES) }],
      });
      flight.push(request);
      this.transcript.add(request);
    }
    flight.push(
      ...authenticationFlight({
        transcript: this.transcript,
        hash: suite.hash,
        baseKey: handshakeSecrets.server,
        fromServer: true,
        credentials: this.resolved.credentials,
        scheme,
        context: new Uint8Array(0),
      }),
    );
    this.sendHandshake(flight);
    const application = schedule.enterApplication(this.transcript.current());
    this.clientApplicationSecret = application.client;
    this.setWriteSecret(application.server);
    this.step = this.options.requestCert ? 'wait_cert' : 'wait_finished';
  }

  /** HelloRetryRequest (§4.1.4): the special random, our suite, the group we want and a cookie (§4.2.2). */
  private sendHelloRetryRequest(hello: ClientHello, suite: CipherSuite, group: number): void {
    this.suite = suite;
    this.retryGroup = group;
    this.firstSessionId = Uint8Array.from(hello.legacySessionId);
    this.cookie = randomBytes(32);
    this.transcript.replaceWithMessageHash(suite.hash);
    const retry = encodeServerHello({
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: suite.id,
      extensions: [
        { type: ExtensionType.supported_versions, data: encodeU16(TLS13) },
        { type: ExtensionType.key_share, data: encodeU16(group) },
        { type: ExtensionType.cookie, data: encodeCookie(this.cookie) },
      ],
    });
    this.transcript.add(retry);
    this.sendHandshake([retry]);
    if (hello.legacySessionId.length > 0) this.sendChangeCipherSpec();
  }

  /** RFC 7301 §3.2: the first of our protocols the client offers; none in common is no_application_protocol. */
  private selectAlpn(extensions: readonly Extension[]): string | undefined {
    const data = findExtension(extensions, ExtensionType.application_layer_protocol_negotiation);
    if (!data || this.resolved.alpn.length === 0) return undefined;
    const offered = decodeAlpn(data);
    const chosen = this.resolved.alpn.find((protocol) => offered.includes(protocol));
    if (!chosen) fail('no_application_protocol', `no ALPN protocol in common (${offered.join(', ')})`);
    return chosen;
  }

  private onClientCertificate(body: Uint8Array, message: Uint8Array): void {
    this.peerCertificates = readPeerCertificates(body, new Uint8Array(0));
    const reject = this.options.rejectUnauthorized ?? true;
    if (this.peerCertificates.length === 0) {
      // §4.4.2.4: with no client certificate, the server may go on or abort with certificate_required.
      this.verification = { authorized: false, error: 'NO_PEER_CERTIFICATE', message: 'client sent no certificate', path: [] };
      if (reject) fail('certificate_required', 'client sent no certificate');
      this.transcript.add(message);
      this.step = 'wait_finished';
      return;
    }
    this.verification = verifyPeer(this.peerCertificates, { ca: this.options.ca, purpose: 'client', now: this.options.now?.() });
    if (!this.verification.authorized && reject) {
      fail(alertForCertificateError(this.verification.error), `client certificate: ${this.verification.error}`);
    }
    this.transcript.add(message);
    this.step = 'wait_cv';
  }

  private onClientFinished(body: Uint8Array, message: Uint8Array): void {
    const suite = this.suite!;
    checkFinished(body, suite.hash, this.clientHandshakeSecret!, this.transcript.current());
    this.transcript.add(message);
    this.setReadSecret(this.clientApplicationSecret!);
    this.completeHandshake({
      version: 'TLSv1.3',
      cipher: suite.name,
      group: groupName(this.group)!,
      alpnProtocol: this.alpn,
      servername: this.servername,
      peerCertificates: this.peerCertificates,
      verification: this.verification,
      helloRetried: this.retryGroup !== undefined,
      signatureScheme: this.clientScheme,
    });
  }
}

