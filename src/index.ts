/** tuntcp: a userspace TCP/IP stack over a Linux TUN device. */
export { Stack } from './stack.js';
export type { StackOptions, InterfaceConfig } from './stack.js';
export { RealClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { IpAddress, IpCidr, InvalidAddressError } from './ip/address.js';
export type { IpFamily } from './ip/address.js';
export type { NetInterface, IpDatagram, IcmpErrorReport, ProtocolHandler } from './ip/types.js';
export { Counters } from './stats.js';
export type { DropReason, StatsSnapshot } from './stats.js';
export { TuntcpError, InvalidArgumentError, InvalidStateError } from './errors.js';
export * from './link/index.js';
export * from './net/index.js';
export { TlsError, ALERTS } from './tls/index.js';
export type { AlertName, NegotiatedParameters } from './tls/index.js';
export { TcpLayer } from './tcp/tcp-layer.js';
export type { TcpLayerOptions } from './tcp/tcp-layer.js';
export type { TcpConfig } from './tcp/config.js';
