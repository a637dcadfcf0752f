/**
 * TLS alerts (RFC 8446 §6) and the typed error that carries one.
 * Inside the engine a protocol failure is thrown as a TlsError; the connection catches it at its
 * public boundary, sends the alert and reports the error as an event. Nothing escapes `receive()`.
 */
import { TuntcpError } from '../errors.js';

/** Alert descriptions, RFC 8446 §6. */
export const ALERTS = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

export type AlertName = keyof typeof ALERTS;

const NAME_BY_NUMBER = new Map<number, AlertName>(
  Object.entries(ALERTS).map(([name, number]) => [number, name as AlertName]),
);

export function alertName(number: number): AlertName | undefined {
  return NAME_BY_NUMBER.get(number);
}

/**
 * A TLS failure. `code` is `ERR_TLS_ALERT_<NAME>` for an alert we sent,
 * `ERR_TLS_PEER_ALERT_<NAME>` for one the peer sent; `alert`/`alertNumber` name it.
 */
export class TlsError extends TuntcpError {
  readonly alert: AlertName;
  readonly alertNumber: number;
  /** True when the peer sent this alert, false when we detected the failure and sent it. */
  readonly fromPeer: boolean;

  constructor(alert: AlertName, message: string, options?: { fromPeer?: boolean; cause?: unknown }) {
    const fromPeer = options?.fromPeer ?? false;
    super(`ERR_TLS_${fromPeer ? 'PEER_' : ''}ALERT_${alert.toUpperCase()}`, message, { cause: options?.cause });
    this.alert = alert;
    this.alertNumber = ALERTS[alert];
    this.fromPeer = fromPeer;
  }
}

/** Shorthand for the many `throw new TlsError(...)` sites. */
export function fail(alert: AlertName, message: string): never {
  throw new TlsError(alert, message);
}
