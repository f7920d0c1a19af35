// Number formatting and markdown tables for the report.

/** 1_004_000_000 → "1.004B", 1_290_000 → "1.29M", 107_000 → "0.107M", 950 → "950". */
export function formatInstructions(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9, 3)}B`;
  if (abs >= 1e4) return `${trim(n / 1e6, 3)}M`;
  return trim(n, 1);
}

/** Plain figures with thousands separators (cycles, bytes). */
export function formatInteger(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n >= 1024 * 1024) return `${trim(n / (1024 * 1024), 2)} MiB`;
  if (n >= 1024) return `${trim(n / 1024, 1)} KiB`;
  return `${n} B`;
}

export function formatRatio(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return `${trim(n, digits)}×`;
}

/** Up to `digits` decimals for small magnitudes, fewer as they grow; no trailing zeros. */
function trim(n: number, digits: number): string {
  const abs = Math.abs(n);
  const decimals = abs >= 100 ? Math.max(0, digits - 2) : abs >= 10 ? Math.max(0, digits - 1) : digits;
  return Number(n.toFixed(decimals)).toString();
}

/** A GitHub-flavoured markdown table; pipes in cells are escaped. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: readonly string[]): string => `| ${cells.map(escape).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}
