#!/usr/bin/env node
// `npx flash-sale …`: in a development checkout, runs the TypeScript CLI through tsx (always the
// current source); where tsx is not installed (a production install, `npm ci --omit=dev`), runs
// the compiled CLI from `npm run build` (dist/cli.js). Either way in a child process.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The tsx this package depends on in development, as a file: URL; undefined in production. */
function resolveTsx() {
  try {
    // Node resolves a bare `--import tsx` from the current directory, which fails outside the
    // repository; resolved from here, it is the tsx next to this package.
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
}

const tsx = resolveTsx();
const args = tsx
  ? ['--import', tsx, fileURLToPath(new URL('../src/main.ts', import.meta.url))]
  : ['--enable-source-maps', fileURLToPath(new URL('../../../dist/cli.js', import.meta.url))];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });

// Ctrl-C reaches the whole foreground process group, the CLI included: the CLI handles it
// (`watch` restores the terminal and exits 0), so this wrapper only waits instead of dying
// first. Signals sent to the wrapper alone (kill <pid>) are passed on.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
