import prettyMilliseconds from 'pretty-ms';

// Human-readable times for tables. JSON output keeps raw numbers and ISO strings instead.

/** 93_000 -> "1m 33s": the two largest non-zero units are precise enough for an operator. */
export function formatDuration(ms: number): string {
  // A job stamped by a process whose clock runs ahead of this one's has a negative age: "0ms".
  return prettyMilliseconds(Math.max(0, ms), { unitCount: 2, secondsDecimalDigits: 0, millisecondsDecimalDigits: 0 });
}

/** A UTC timestamp without milliseconds: "2026-11-21 10:02:00Z". */
export function formatTime(value: Date | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const date = typeof value === 'number' ? new Date(value) : value;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function isoOrNull(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : new Date(value).toISOString();
}

/** The first line of a text, cut to fit a table cell. */
export function excerpt(text: string | null | undefined, max = 60): string {
  if (!text) return '';
  const firstLine = text.split('\n', 1)[0]!.trim();
  return firstLine.length > max ? `${firstLine.slice(0, max - 1)}…` : firstLine;
}
