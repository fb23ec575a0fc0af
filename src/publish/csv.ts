/** The directory as CSV (pure): one row per current report, for spreadsheets and other tools. */
import type { PublishedIndex } from '../../schemas/published.js';
import { day } from './html.js';

export const CSV_COLUMNS = ['agent', 'title', 'score', 'band', 'range_low', 'range_high', 'asi_ids', 'insufficient_evidence', 'published', 'report'] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. A cell a spreadsheet
 * would read as a formula (starting with =, +, -, @, tab or CR) gets a leading apostrophe, so a
 * listing's title can never run as a formula in whoever opens the file.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** `agents.csv`: a header, then every agent of the index in its order (highest score first). */
export function directoryCsv(index: PublishedIndex): string {
  const rows = index.agents.map((agent) =>
    [
      agent.id,
      agent.title,
      agent.score.toFixed(1),
      agent.severity,
      agent.range.low.toFixed(1),
      agent.range.high.toFixed(1),
      agent.asi.join(';'),
      agent.insufficientEvidence ? 'yes' : 'no',
      day(agent.publishedAt),
      agent.paths.html,
    ].map(csvCell),
  );
  return [[...CSV_COLUMNS], ...rows].map((row) => row.join(',')).join('\r\n') + '\r\n';
}
