/**
 * The TLS 1.3 client handshake (RFC 8446 §2, §4; state machine of Appendix A.1):
 * START → WAIT_SH (→ HRR → WAIT_SH) → WAIT_EE → WAIT_CERT_CR → WAIT_CERT → WAIT_CV → WAIT_FINISHED → CONNECTED.
 */
import { randomBytes, type X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
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
import { suiteById } from './cipher-suites.js';
import { TlsConnection } from './connection.js';
import {
  ExtensionType,
  TLS13,
  decodeAlpn,
  decodeCookie,
  decodeServerKeyShare,
  decodeU16,
  decodeU16List,
  encodeAlpn,
  encodeClientKeyShares,
  encodeClientVersions,
  encodeCookie,
  encodeServerName,
  encodeU16List,
  findExtension,
  type Extension,
} from './extensions.js';
import { createKeyExchange, groupName, type KeyExchange } from './key-exchange.js';
import { KeySchedule } from './key-schedule.js';
import {
  HandshakeType,
  decodeCertificateRequest,
  decodeEncryptedExtensions,
  decodeServerHello,
  encodeClientHello,
  isHelloRetryRequest,
  type ServerHello,
} from './messages.js';
import { resolveCommon, type ResolvedOptions, type TlsClientOptions } from './options.js';
import { CERTIFICATE_SCHEMES, CERTIFICATE_VERIFY_SCHEMES, chooseScheme } from './signatures.js';

type ClientState = 'wait_sh' | 'wait_ee' | 'wait_cert_cr' | 'wait_cert' | 'wait_cv' | 'wait_finished';

/** Extensions a ServerHello may carry (§4.2 table); anything else is unsupported_extension. */
const SERVER_HELLO_EXTENSIONS = new Set<number>([ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.pre_shared_key]);
const HRR_EXTENSIONS = new Set<number>([ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.cookie]);

export class TlsClient extends TlsConnection {
  private readonly resolved: ResolvedOptions;
  private step: ClientState = 'wait_sh';
  private readonly random = randomBytes(32);
  /** Middlebox compatibility mode: a non-empty legacy_session_id (§D.4). */
  private readonly sessionId = randomBytes(32);
  private keyExchange: KeyExchange;
  private retried = false;
  private cookie: Uint8Array | undefined;
  private schedule: KeySchedule | undefined;
  private clientHandshakeSecret: Uint8Array | undefined;
  private serverHandshakeSecret: Uint8Array | undefined;
  private alpn: string | undefined;
  private certificateRequestContext: Uint8Array | undefined;
  private certificateRequestSchemes: number[] = [];
  private peerCertificates: X509Certificate[] = [];
  private verification: PeerVerification | undefined;
  private signatureScheme: number | undefined;

  constructor(private readonly options: TlsClientOptions = {}) {
    super();
    this.resolved = resolveCommon(options, ['x25519', 'secp256r1', 'secp384r1']);
    this.keyExchange = createKeyExchange(this.resolved.groups[0]);
    this.sendClientHello();
  }

  protected isClient(): boolean {
    return true;
  }

  /** ClientHello (§4.1.2) with our key share, and after an HRR the cookie and the new share (§4.1.4). */
  private sendClientHello(): void {
    const servername = this.options.servername;
    const extensions: Extension[] = [];
    // RFC 6066 §3: literal IP addresses are not sent in server_name.
    if (servername && !isIP(servername)) extensions.push({ type: ExtensionType.server_name, data: encodeServerName(servername) });
    extensions.push(
      { type: ExtensionType.supported_versions, data: encodeClientVersions([TLS13]) },
      { type: ExtensionType.supported_groups, data: encodeU16List(this.resolved.groups) },
      { type: ExtensionType.signature_algorithms, data: encodeU16List(CERTIFICATE_VERIFY_SCHEMES) },
      { type: ExtensionType.signature_algorithms_cert, data: encodeU16List(CERTIFICATE_SCHEMES) },
      {
        type: ExtensionType.key_share,
        data: encodeClientKeyShares([{ group: this.keyExchange.group, keyExchange: this.keyExchange.publicKey }]),
      },
    );
    if (this.resolved.alpn.length > 0) {
      extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(this.resolved.alpn) });
    }
    if (this.cookie) extensions.push({ type: ExtensionType.cookie, data: encodeCookie(this.cookie) });
    const hello = encodeClientHello({
      random: this.random,
      legacySessionId: this.sessionId,
      cipherSuites: this.resolved.suites.map((suite) => suite.id),
      legacyCompressionMethods: Uint8Array.of(0),
      extensions,
    });
    this.transcript.add(hello);
    this.sendHandshake([hello]);
  }

  protected onHandshakeMessage(type: number, body: Uint8Array, message: Uint8Array): void {
    const expect = (wanted: number): void => {
      if (type !== wanted) fail('unexpected_message', `handshake message ${type} while in ${this.step}`);
    };
    switch (this.step) {
      case 'wait_sh':
        expect(HandshakeType.server_hello);
        return this.onServerHello(decodeServerHello(body), message);
      case 'wait_ee':
        expect(HandshakeType.encrypted_extensions);
        return this.onEncryptedExtensions(body, message);
      case 'wait_cert_cr':
        if (type === HandshakeType.certificate_request) return this.onCertificateRequest(body, message);
        expect(HandshakeType.certificate);
        return this.onCertificate(body, message);
      case 'wait_cert':
        expect(HandshakeType.certificate);
        return this.onCertificate(body, message);
      case 'wait_cv':
        expect(HandshakeType.certificate_verify);
        this.signatureScheme = checkCertificateVerify(body, this.peerCertificates[0], CERTIFICATE_VERIFY_SCHEMES, true, this.transcript.current());
        this.transcript.add(message);
        this.step = 'wait_finished';
        return;
      case 'wait_finished':
        expect(HandshakeType.finished);
        return this.onFinished(body, message);
    }
  }

  private onServerHello(hello: ServerHello, message: Uint8Array): void {
    const retry = isHelloRetryRequest(hello);
    const allowed = retry ? HRR_EXTENSIONS : SERVER_HELLO_EXTENSIONS;
    for (const extension of hello.extensions) {
      // §4.1.3/§4.1.4: extensions we did not offer (or not allowed here) are unsupported_extension.
      if (!allowed.has(extension.type)) fail('unsupported_extension', `extension ${extension.type} in ServerHello`);
    }
    const versionData = findExtension(hello.extensions, ExtensionType.supported_versions);
    // §4.2.1: without supported_versions the server negotiated a version below 1.3, which we do not speak.
    if (!versionData) fail('protocol_version', 'server did not select TLS 1.3');
    if (decodeU16(versionData, 'supported_versions') !== TLS13) fail('illegal_parameter', 'server selected a version we did not offer');
    // §4.1.3: the echo must match our legacy_session_id.
    if (!bytesEqual(hello.legacySessionIdEcho, this.sessionId)) fail('illegal_parameter', 'legacy_session_id_echo mismatch');
    const suite = suiteById(hello.cipherSuite);
    if (!suite || !this.resolved.suites.includes(suite)) fail('illegal_parameter', `server chose suite ${hello.cipherSuite} we did not offer`);
    // §4.1.4: the ServerHello after an HRR must keep the HRR's suite.
    if (this.suite && this.suite !== suite) fail('illegal_parameter', 'cipher suite changed after HelloRetryRequest');
    const keyShareData = findExtension(hello.extensions, ExtensionType.key_share);

    if (retry) {
      // §4.1.4: a second HelloRetryRequest is unexpected_message.
      if (this.retried) fail('unexpected_message', 'second HelloRetryRequest');
      this.retried = true;
      this.suite = suite;
      const cookieData = findExtension(hello.extensions, ExtensionType.cookie);
      this.cookie = cookieData ? decodeCookie(cookieData) : undefined;
      let group = this.keyExchange.group;
      if (keyShareData) {
        group = decodeU16(keyShareData, 'key_share');
        // §4.2.8: the group must be one we support and not the one we already sent.
        if (!this.resolved.groups.includes(group) || group === this.keyExchange.group) {
          fail('illegal_parameter', `HelloRetryRequest asks for group ${group}`);
        }
      } else if (!this.cookie) {
        // §4.1.4: an HRR that would change nothing is illegal_parameter.
        fail('illegal_parameter', 'HelloRetryRequest changes nothing');
      }
      this.transcript.replaceWithMessageHash(suite.hash);
      this.transcript.add(message);
      this.keyExchange = group === this.keyExchange.group ? this.keyExchange : createKeyExchange(group);
      this.sendChangeCipherSpec();
      this.sendClientHello();
      return;
    }

    if (!keyShareData) fail('missing_extension', 'ServerHello without key_share');
    const share = decodeServerKeyShare(keyShareData);
    if (share.group !== this.keyExchange.group) fail('illegal_parameter', `server key share for group ${share.group} we did not send`);
    const shared = this.keyExchange.computeShared(share.keyExchange);
    if (!this.suite) {
      this.suite = suite;
      this.transcript.setHash(suite.hash);
    }
    this.transcript.add(message);
    this.schedule = new KeySchedule(suite.hash);
    const secrets = this.schedule.enterHandshake(shared, this.transcript.current());
    this.clientHandshakeSecret = secrets.client;
    this.serverHandshakeSecret = secrets.server;
    this.setReadSecret(secrets.server);
    // From here on our own records (alerts included) are protected with the client handshake key (§7.3).
    this.setWriteSecret(secrets.client);
    this.step = 'wait_ee';
  }

  private onEncryptedExtensions(body: Uint8Array, message: Uint8Array): void {
    const extensions = decodeEncryptedExtensions(body);
    const alpnData = findExtension(extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpnData) {
      const chosen = decodeAlpn(alpnData);
      // RFC 7301 §3.1: exactly one protocol, one we offered.
      if (chosen.length !== 1 || !this.resolved.alpn.includes(chosen[0])) fail('illegal_parameter', 'server chose an ALPN protocol we did not offer');
      this.alpn = chosen[0];
    }
    for (const extension of extensions) {
      // §4.3.1: these belong in ServerHello, never EncryptedExtensions.
      if (extension.type === ExtensionType.key_share || extension.type === ExtensionType.supported_versions) {
        fail('illegal_parameter', `extension ${extension.type} in EncryptedExtensions`);
      }
    }
    this.transcript.add(message);
    this.step = 'wait_cert_cr';
  }

  private onCertificateRequest(body: Uint8Array, message: Uint8Array): void {
    const request = decodeCertificateRequest(body);
    const schemes = findExtension(request.extensions, ExtensionType.signature_algorithms);
    // §4.3.2: signature_algorithms MUST be present.
    if (!schemes) fail('missing_extension', 'CertificateRequest without signature_algorithms');
    this.certificateRequestSchemes = decodeU16List(schemes, 'signature_algorithms');
    this.certificateRequestContext = Uint8Array.from(request.context);
    this.transcript.add(message);
    this.step = 'wait_cert';
  }

  private onCertificate(body: Uint8Array, message: Uint8Array): void {
    const certificates = readPeerCertificates(body, new Uint8Array(0));
    // §4.4.2.4: a server must send a certificate; an empty one is decode_error.
    if (certificates.length === 0) fail('decode_error', 'server sent an empty Certificate');
    this.peerCertificates = certificates;
    const host = this.options.host ?? this.options.servername;
    this.verification = verifyPeer(certificates, { ca: this.options.ca, host, purpose: 'server', now: this.options.now?.() });
    if (!this.verification.authorized && (this.options.rejectUnauthorized ?? true)) {
      fail(alertForCertificateError(this.verification.error), `server certificate: ${this.verification.error} ${this.verification.message}`);
    }
    this.transcript.add(message);
    this.step = 'wait_cv';
  }

  private onFinished(body: Uint8Array, message: Uint8Array): void {
    const suite = this.suite!;
    checkFinished(body, suite.hash, this.serverHandshakeSecret!, this.transcript.current());
    this.transcript.add(message);
    const application = this.schedule!.enterApplication(this.transcript.current());
    this.setReadSecret(application.server);
    // §D.4: our dummy change_cipher_spec goes before our second flight.
    this.sendChangeCipherSpec();
    const credentials = this.resolved.credentials;
    const scheme = credentials ? chooseScheme(credentials.key, this.certificateRequestSchemes) : undefined;
    this.sendHandshake(
      authenticationFlight({
        transcript: this.transcript,
        hash: suite.hash,
        baseKey: this.clientHandshakeSecret!,
        fromServer: false,
        // §4.4.2: with no suitable certificate, the client sends an empty Certificate.
        credentials: scheme !== undefined ? credentials : undefined,
        scheme,
        context: this.certificateRequestContext,
      }),
    );
    this.setWriteSecret(application.client);
    this.completeHandshake({
      version: 'TLSv1.3',
      cipher: suite.name,
      group: groupName(this.keyExchange.group)!,
      alpnProtocol: this.alpn,
      servername: this.options.servername,
      peerCertificates: this.peerCertificates,
      verification: this.verification,
      helloRetried: this.retried,
      signatureScheme: this.signatureScheme,
    });
  }
}
