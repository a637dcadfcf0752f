/** Ratios to the baseline measured in the same run, and the tables `npm run bench` prints. */
import type { BenchRow } from './common.js';

/** Units whose ratio means nothing (a loss rate): no ratio is attached. */
const NO_RATIO_UNITS = new Set(['%']);

/** Fill `ratio` of every row that has a baseline row with the same group, metric and pinning. */
export function attachRatios(rows: BenchRow[]): void {
  for (const row of rows) {
    if (NO_RATIO_UNITS.has(row.unit)) continue;
    const base = rows.find((r) => r.baseline && r.group === row.group && r.metric === row.metric && r.pinning === row.pinning);
    if (base !== undefined && base.value > 0) row.ratio = row.value / base.value;
  }
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

function cell(row: BenchRow | undefined): string {
  if (row === undefined) return '—';
  return row.ratio === undefined ? formatNumber(row.value) : `${formatNumber(row.value)} (${row.ratio.toFixed(2)})`;
}

/**
 * One table per group and pinning: a line per target, a column per metric (in the order first
 * measured), each cell "value (ratio)". Markdown-style, so it pastes into an issue as it is.
 */
export function formatTables(rows: readonly BenchRow[]): string {
  const out: string[] = [];
  const groups = [...new Set(rows.map((r) => r.group))];
  const keys = groups.flatMap((group) => (['pinned', 'unpinned'] as const).map((pinning) => `${group}\u0000${pinning}`));
  for (const key of keys) {
    const [group, pinning] = key.split('\u0000') as [string, string];
    const inTable = rows.filter((r) => r.group === group && r.pinning === pinning);
    if (inTable.length === 0) continue;
    const metrics = [...new Map(inTable.map((r) => [r.metric, `${r.metric}${r.unit.startsWith('/') ? '' : ' '}${r.unit}`])).entries()];
    const names = [...new Set(inTable.map((r) => r.name))];
    const header = ['target', ...metrics.map(([, title]) => title)];
    const lines = names.map((name) => [name, ...metrics.map(([metric]) => cell(inTable.find((r) => r.name === name && r.metric === metric)))]);
    const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
    const render = (line: string[]): string => `| ${line.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join(' | ')} |`;
    out.push(`${group}, ${pinning}:`);
    out.push(render(header));
    out.push(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    for (const line of lines) out.push(render(line));
    out.push('');
  }
  return out.join('\n');
}
