/**
 * Read a capture with tshark and report what a reviewer would look for: how many packets,
 * and every malformed packet or bad checksum (Wireshark expert info of error/warning level).
 */
import { spawnSync } from 'node:child_process';

export interface CaptureCheck {
  packets: number;
  problems: string[];
}

export function checkCapture(file: string): CaptureCheck {
  const prefs = ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'tcp.check_checksum:TRUE'].flatMap((p) => ['-o', p]);
  const rows = spawnSync(
    'tshark',
    ['-r', file, ...prefs, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', '_ws.malformed', '-e', '_ws.expert.severity', '-e', '_ws.expert.message', '-e', '_ws.col.Info'],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 512 * 1024 * 1024 },
  );
  if (rows.status !== 0) throw new Error(`tshark failed (${rows.status}): ${rows.stderr} ${rows.stdout.slice(-500)}`);
  const lines = rows.stdout.split('\n').filter((line) => line.length > 0);
  const problems: string[] = [];
  for (const line of lines) {
    const [frame, malformed, severity, message, info] = line.split('|');
    // Severity values: 0x00400000 note, 0x00600000 warning, 0x00800000 error; chat is lower.
    const severities = (severity ?? '').split(',').filter(Boolean).map(Number);
    const serious = /malformed|bad checksum|checksum.*incorrect/i.test(message ?? '') || severities.some((s) => s >= 0x00800000);
    if (malformed || serious) problems.push(`frame ${frame}: ${message || 'malformed'} (${info})`);
  }
  return { packets: lines.length, problems };
}
