/** The socket API: net.Stream semantics over tuntcp's TCP. */
export { Stream, Socket, createConnection } from './stream.js';
export type { StreamOptions, ReadyState, AddressInfo } from './stream.js';
export { Server, createServer } from './server.js';
export type { ServerOptions, ListenOptions } from './server.js';
export { NetError, WriteAfterEndError, ERRNO } from './errors.js';
export type { NetErrorCode, NetSyscall } from './errors.js';
export { tcpLayerOf, resolveHost, HOSTS } from './layer-of.js';
export type { NetStack } from './layer-of.js';
