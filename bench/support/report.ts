/** What each benchmark reports, and how the run prints it: every figure beside its baseline. */

export interface Goal {
  /** e.g. "ratio ≥ 0.8" */
  text: string;
  met: boolean | null;
}

export interface Figure {
  /** Short label, e.g. "ingest, SQLITE_SYNCHRONOUS=FULL". */
  label: string;
  value: number | null;
  unit: string;
  baseline?: { label: string; value: number | null; unit?: string };
  /** value ÷ baseline unless the benchmark says otherwise (then `ratioNote` explains). */
  ratio?: number | null;
  ratioNote?: string;
  goal?: Goal;
}

export interface BenchResult {
  id: string;
  title: string;
  figures: Figure[];
  notes: string[];
  skipped?: string;
  error?: string;
  seconds: number;
  /** Raw measurements, for results.json. */
  raw?: unknown;
}

export interface BenchContext {
  quick: boolean;
  log: (line: string) => void;
}

export type Bench = (ctx: BenchContext) => Promise<Omit<BenchResult, 'id' | 'title' | 'seconds'>>;

export const ratio = (value: number | null | undefined, baseline: number | null | undefined): number | null =>
  value === null || value === undefined || baseline === null || baseline === undefined || baseline === 0 ? null : value / baseline;

export function fmt(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${text} ${unit}` : text;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function table(results: BenchResult[]): string {
  const rows: string[][] = [['', 'Figure', 'Value', 'Baseline', 'Ratio', 'Goal']];
  for (const r of results) {
    if (r.skipped || r.error) {
      rows.push([r.id, r.title, r.skipped ? `skipped: ${r.skipped}` : `FAILED: ${(r.error ?? '').split('\n')[0] ?? ''}`, '', '', '']);
      continue;
    }
    for (const f of r.figures) {
      const baseline = f.baseline ? `${fmt(f.baseline.value, f.baseline.unit ?? f.unit)} (${f.baseline.label})` : '';
      const goal = f.goal ? `${f.goal.met === null ? '?' : f.goal.met ? 'MET' : 'MISSED'} (${f.goal.text})` : '';
      rows.push([r.id, f.label, fmt(f.value, f.unit), baseline, f.ratio === undefined ? '' : fmt(f.ratio), goal]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.min(60, Math.max(...rows.map((row) => (row[i] ?? '').length)))) ?? [];
  const lines = rows.map((row) => row.map((cell, i) => pad(cell, widths[i] ?? 0)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}

/** The same table in Markdown, for docs/benchmarks.md. */
export function markdown(results: BenchResult[]): string {
  const lines = ['| | Figure | Value | Baseline | Ratio | Goal |', '|---|---|---|---|---|---|'];
  for (const r of results) {
    if (r.skipped || r.error) {
      lines.push(`| ${r.id} | ${r.title} | ${r.skipped ? `skipped: ${r.skipped}` : 'failed'} | | | |`);
      continue;
    }
    for (const f of r.figures) {
      const baseline = f.baseline ? `${fmt(f.baseline.value, f.baseline.unit ?? f.unit)} (${f.baseline.label})` : '';
      const goal = f.goal ? `${f.goal.met === null ? '?' : f.goal.met ? '**met**' : '**missed**'} (${f.goal.text})` : '';
      lines.push(`| ${r.id} | ${f.label} | ${fmt(f.value, f.unit)} | ${baseline} | ${f.ratio === undefined ? '' : fmt(f.ratio)} | ${goal} |`);
    }
  }
  return lines.join('\n');
}
