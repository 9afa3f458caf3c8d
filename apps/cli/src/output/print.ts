import { paint } from './colour.ts';

// Output goes straight to the process streams: this is a terminal program, not a service, so
// there is no logger in between. Reports go to stdout, errors and prompts to stderr.

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
