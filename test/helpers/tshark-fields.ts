/**
 * Read chosen fields of the packets of a capture with tshark: one object per packet, keyed by
 * field name (empty string when the packet has no such field). For assertions on what a
 * capture shows (windows, probes, flags), next to checkCapture() in tshark.ts.
 */
import { spawnSync } from 'node:child_process';

export function captureFields<F extends string>(file: string, displayFilter: string, fields: readonly F[]): Array<Record<F, string>> {
  const rows = spawnSync('tshark', ['-r', file, '-Y', displayFilter, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 512 * 1024 * 1024,
  });
  if (rows.status !== 0) throw new Error(`tshark failed (${rows.status}): ${rows.stderr}`);
  return rows.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const values = line.split('|');
      return Object.fromEntries(fields.map((field, i) => [field, values[i] ?? ''])) as Record<F, string>;
    });
}
