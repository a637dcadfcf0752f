/** The socket API: net.Stream semantics over tuntcp's TCP. */
export { Stream, Socket, createConnection } from './stream.js';
export type { StreamOptions, ReadyState, AddressInfo } from './stream.js';
export { Server, createServer } from './server.js';
export { Credentials, SecureSession, createCredentials } from './secure.js';
export type { CredentialsInput, SecureOptions, PeerCertificate } from './secure.js';
export { TlsApi, tlsConnect, createTlsServer } from './secure-api.js';
export type { TlsConnectOptions, TlsServerOptions } from './secure-api.js';
export type { ServerOptions, ListenOptions, Endpoint } from './server.js';
export { NetError, WriteAfterEndError, ERRNO } from './errors.js';
export type { NetErrorCode, NetSyscall } from './errors.js';
export { tcpLayerOf, resolveHost } from './layer-of.js';
export { HOSTS, tableResolver, defaultResolver, lookup, parseLiteral } from './resolver.js';
export type { Resolver } from './resolver.js';
export type { ConnectOptions } from './connect.js';
export type { NetStack } from './layer-of.js';
