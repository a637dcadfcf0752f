/**
 * Read chosen fields of the packets of a capture with tshark. tsharkRows() gives one row of
 * values per packet; captureFields() one object per packet, keyed by field name. Both give an
 * empty string where the packet has no such field. For assertions on what a capture shows
 * (windows, probes, flags, checksum status), next to checkCapture() in tshark.ts.
 */
import { spawnSync } from 'node:child_process';

export interface TsharkOptions {
  /** Display filter (-Y): only the packets it matches. */
  filter?: string;
  /** Preferences (-o), e.g. 'ip.check_checksum:TRUE'. */
  preferences?: readonly string[];
}

export function tsharkRows(file: string, fields: readonly string[], options: TsharkOptions = {}): string[][] {
  const args = ['-r', file, ...(options.preferences ?? []).flatMap((p) => ['-o', p])];
  if (options.filter !== undefined) args.push('-Y', options.filter);
  args.push('-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f]));
  const rows = spawnSync('tshark', args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 512 * 1024 * 1024 });
  if (rows.status !== 0) throw new Error(`tshark failed (${rows.status}): ${rows.stderr} ${rows.stdout.slice(-500)}`);
  return rows.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('|'));
}

export function captureFields<F extends string>(file: string, displayFilter: string, fields: readonly F[]): Array<Record<F, string>> {
  return tsharkRows(file, fields, { filter: displayFilter }).map(
    (values) => Object.fromEntries(fields.map((field, i) => [field, values[i] ?? ''])) as Record<F, string>,
  );
}
