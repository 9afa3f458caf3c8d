import Table from 'cli-table3';
import { paintOut } from './colour.ts';

export type Cell = string | number;

/**
 * A boxed table for stdout. cli-table3 colours headers red by default; that is switched off so
 * colour follows our own rule (terminal only, NO_COLOR respected) and headers are just bold.
 */
export function renderTable(head: string[], rows: Cell[][], options: { alignRight?: number[] } = {}): string {
  const table = new Table({
    head: head.map((title) => paintOut('bold', title)),
    style: { head: [], border: [] },
    // No rule between body rows: denser, and a `watch` frame stays short.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    colAligns: head.map((_, index) => (options.alignRight?.includes(index) ? 'right' : 'left')),
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}
