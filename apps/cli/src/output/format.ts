// Human-readable times for tables. JSON output keeps raw numbers and ISO strings instead.

const units: [suffix: string, ms: number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** 93_000 -> "1m 33s": the two largest units are precise enough for an operator. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  const index = units.findIndex(([, size]) => ms >= size);
  const [suffix, size] = units[index]!;
  const whole = Math.floor(ms / size);
  const next = units[index + 1];
  const remainder = next ? Math.floor((ms - whole * size) / next[1]) : 0;
  return next && remainder > 0 ? `${whole}${suffix} ${remainder}${next[0]}` : `${whole}${suffix}`;
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
