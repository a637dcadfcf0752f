/** The TLS 1.3 engine (sans-I/O): bytes in, records out. See docs/tls.md. */
export { TlsClient } from './client.js';
export { TlsServer } from './server.js';
export { TlsConnection, type NegotiatedParameters, type TlsEvent } from './connection.js';
export { TlsError, ALERTS, type AlertName } from './alerts.js';
export { verifyPeer, parsePemCertificates, type PeerVerification, type VerifyOptions, type CertificateErrorCode } from './certificates.js';
export type { TlsClientOptions, TlsServerOptions, TlsCommonOptions } from './options.js';
export type { CipherSuiteName } from './cipher-suites.js';
export type { GroupName } from './key-exchange.js';
