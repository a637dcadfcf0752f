/** The TLS alert a codec call raises: its name, or undefined when the call succeeds. Other errors propagate. */
import { TlsError } from '../../src/tls/alerts.js';

export function alertOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof TlsError) return error.alert;
    throw error;
  }
  return undefined;
}
