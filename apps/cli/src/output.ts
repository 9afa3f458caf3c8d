import { styleText } from 'node:util';
import Table from 'cli-table3';
import prettyMilliseconds from 'pretty-ms';
import type { CountedState, QueueOverview } from './queue-ops/queue-overview.ts';

// Everything the CLI writes. Output goes straight to the process streams: this is a terminal
// program, not a service, so there is no logger in between. Reports go to stdout, errors and
// prompts to stderr. Tables and sentences are for people; --json keeps raw numbers and ISO strings.

type Style = Parameters<typeof styleText>[0];

/** Colour only for a person at a terminal: never into pipes or files, never when NO_COLOR is set. */
export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return stream.isTTY && !process.env.NO_COLOR ? styleText(style, text) : text;
}

/** Shorthand for what goes to stdout, where tables and reports are written. */
export const paintOut = (style: Style, text: string) => paint(process.stdout, style, text);

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** `--json`: one JSON document on stdout, nothing else, so it can be piped into jq. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printError(message: string): void {
  process.stderr.write(`${paint(process.stderr, 'red', 'error:')} ${message}\n`);
}

/**
 * A boxed table for stdout. cli-table3 colours headers red by default; that is switched off so
 * colour follows our own rule (terminal only, NO_COLOR respected) and headers are just bold.
 */
export function renderTable(head: string[], rows: (string | number)[][], options: { alignRight?: number[] } = {}): string {
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

/** 93_000 -> "1m 33s": the two largest non-zero units are precise enough for an operator. */
export function formatDuration(ms: number): string {
  // A job stamped by a process whose clock runs ahead of this one's has a negative age: "0ms".
  return prettyMilliseconds(Math.max(0, ms), { unitCount: 2, secondsDecimalDigits: 0, millisecondsDecimalDigits: 0 });
}

/** A UTC timestamp without milliseconds: "2026-11-21 10:02:00Z". */
export function formatTime(value: Date | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return `${new Date(value).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The first line of a text, cut to fit a table cell. */
export function excerpt(text: string | null | undefined, max = 60): string {
  const firstLine = text?.split('\n', 1)[0]!.trim() ?? '';
  return firstLine.length > max ? `${firstLine.slice(0, max - 1)}…` : firstLine;
}

/** A count that is bad news when it is not 0 (failed jobs) stands out in red. */
export const redUnlessZero = (count: number) => (count > 0 ? paintOut('red', String(count)) : String(count));

/**
 * Queues as a table (`queues`, `watch`): name, status (paused stands out), the counts of `states`
 * (failed in red), then any `extra` columns.
 */
export function renderQueueTable(overviews: QueueOverview[], states: readonly CountedState[], extra?: { head: string[]; cells: (overview: QueueOverview) => (string | number)[] }): string {
  const head = ['queue', 'status', ...states, ...(extra?.head ?? [])];
  const rows = overviews.map((overview) => [
    overview.name,
    overview.paused ? paintOut('yellow', 'paused') : paintOut('green', 'running'),
    ...states.map((state) => (state === 'failed' ? redUnlessZero(overview.counts.failed) : overview.counts[state])),
    ...(extra?.cells(overview) ?? []),
  ]);
  return renderTable(head, rows, { alignRight: head.map((_, index) => index).slice(2) });
}
