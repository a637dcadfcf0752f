/**
 * Read a capture with tshark and report what a reviewer would look for: how many packets,
 * and every malformed packet or bad checksum (Wireshark expert info of error/warning level).
 */
import { tsharkRows } from './tshark-fields.js';

/** tshark preferences that make it verify every IP, UDP and TCP checksum. */
export const CHECKSUM_PREFERENCES = ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'tcp.check_checksum:TRUE'] as const;

export interface CaptureCheck {
  packets: number;
  problems: string[];
}

export function checkCapture(file: string): CaptureCheck {
  const rows = tsharkRows(file, ['frame.number', '_ws.malformed', '_ws.expert.severity', '_ws.expert.message', '_ws.col.Info'], {
    preferences: CHECKSUM_PREFERENCES,
  });
  const problems: string[] = [];
  for (const [frame, malformed, severity, message, info] of rows) {
    // Severity values: 0x00400000 note, 0x00600000 warning, 0x00800000 error; chat is lower.
    const severities = (severity ?? '').split(',').filter(Boolean).map(Number);
    const serious = /malformed|bad checksum|checksum.*incorrect/i.test(message ?? '') || severities.some((s) => s >= 0x00800000);
    if (malformed || serious) problems.push(`frame ${frame}: ${message || 'malformed'} (${info})`);
  }
  return { packets: rows.length, problems };
}
