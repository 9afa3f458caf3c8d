#!/usr/bin/env node
// `npx flash-sale …` from the repo: runs the TypeScript CLI through tsx, in a child process.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// Node resolves a bare `--import tsx` from the current directory, which fails outside the
// repository; resolved from here, it is the tsx this package depends on (as a file: URL).
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' });

// Ctrl-C reaches the whole foreground process group, the CLI included: the CLI handles it
// (`watch` restores the terminal and exits 0), so this wrapper only waits instead of dying
// first. Signals sent to the wrapper alone (kill <pid>) are passed on.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
