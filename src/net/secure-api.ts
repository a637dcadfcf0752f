/**
 * The modern TLS entry point, shaped like node:tls: `stack.tls.connect(options, [secureListener])`
 * and `stack.tls.createServer(options, [secureConnectionListener])`. Unlike the seed's
 * setSecure(), both reject an unauthorised peer by default (rejectUnauthorized: true): the
 * handshake aborts with the certificate's alert and the stream ends with the TlsError.
 */
import { InvalidArgumentError } from '../errors.js';
import type { NetStack } from './layer-of.js';
import { createCredentials, type CredentialsInput, type SecureOptions } from './secure.js';
import { Server, createServer } from './server.js';
import { Stream } from './stream.js';

export interface TlsConnectOptions extends CredentialsInput, SecureOptions {
  port: number;
  /** Default 127.0.0.1 (the stack's loopback). */
  host?: string;
  allowHalfOpen?: boolean;
}

export interface TlsServerOptions extends CredentialsInput, SecureOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
}

type SecureListener = (stream: Stream) => void;

/** Connect and start TLS at once; 'secure' (and `secureListener`) once the handshake completes. */
export function tlsConnect(stack: NetStack, options: TlsConnectOptions, secureListener?: () => void): Stream {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('tls.connect takes an options object { port, host, ca, ... }');
  const credentials = createCredentials({ key: options.key, cert: options.cert, ca: options.ca });
  const stream = new Stream({ stack, ...(options.allowHalfOpen !== undefined ? { allowHalfOpen: options.allowHalfOpen } : {}) });
  stream.connect(options.port, options.host ?? '127.0.0.1');
  if (secureListener !== undefined) stream.once('secure', secureListener);
  stream.setSecure(credentials, { ...options, rejectUnauthorized: options.rejectUnauthorized ?? true }); // TLS starts at 'connect'
  return stream;
}

/**
 * A TCP server whose every connection runs TLS with `options` (key and cert required).
 * 'secureConnection'(stream) after each handshake; a failed handshake is 'tlsClientError'(error, stream).
 */
export function createTlsServer(stack: NetStack, options: TlsServerOptions, secureConnectionListener?: SecureListener): Server {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('tls.createServer takes an options object { key, cert, ... }');
  const credentials = createCredentials({ key: options.key, cert: options.cert, ca: options.ca });
  if (credentials.key === undefined) throw new InvalidArgumentError('tls.createServer needs key and cert');
  const secureOptions: SecureOptions = { ...options, rejectUnauthorized: options.rejectUnauthorized ?? true, requestCert: options.requestCert ?? false };
  const server: Server = createServer(stack, { allowHalfOpen: options.allowHalfOpen, pauseOnConnect: options.pauseOnConnect }, (stream) => {
    const onHandshakeError = (error: Error): void => {
      server.emit('tlsClientError', error, stream);
    };
    stream.on('error', onHandshakeError);
    stream.once('secure', () => {
      stream.off('error', onHandshakeError);
      server.emit('secureConnection', stream);
    });
    stream.setSecure(credentials, secureOptions);
  });
  if (secureConnectionListener !== undefined) server.on('secureConnection', secureConnectionListener);
  return server;
}

/** `stack.tls`: the node:tls-like functions bound to one stack. */
export class TlsApi {
  constructor(private readonly stack: NetStack) {}

  connect(options: TlsConnectOptions, secureListener?: () => void): Stream {
    return tlsConnect(this.stack, options, secureListener);
  }

  createServer(options: TlsServerOptions, secureConnectionListener?: SecureListener): Server {
    return createTlsServer(this.stack, options, secureConnectionListener);
  }
}
