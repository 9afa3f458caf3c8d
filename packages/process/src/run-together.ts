// `npm start` runs the api and one worker side by side in one terminal. Ctrl-C or SIGTERM shuts
// each down gracefully, once; if either exits, the other is stopped and this exits with the
// first one's code.
//
// The children run in their own process group (`detached`), so the terminal's Ctrl-C reaches
// only this launcher (and npm above it), never the children directly: they get exactly one
// SIGTERM from here. Otherwise a Ctrl-C arrives twice (from the terminal and forwarded by us),
// and the second counts as "exit now" in their shutdown. npm and tsx pass the same Ctrl-C down
// to this process as well, so signals that arrive together count as one; a Ctrl-C pressed again
// later is passed on as a second signal, which makes the children exit at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entries = {
  api: fileURLToPath(new URL('../../../apps/api/src/main.ts', import.meta.url)),
  worker: fileURLToPath(new URL('../../../apps/worker/src/main.ts', import.meta.url)),
};
const SAME_SIGNAL_WINDOW_MS = 500;

const children: ChildProcess[] = Object.values(entries).map((entry) =>
  spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env: process.env, detached: true }),
);
const running = () => children.filter((child) => child.exitCode === null && child.signalCode === null);

let exitCode: number | undefined;
for (const child of children) {
  child.on('exit', (code, signal) => {
    exitCode ??= code ?? (signal ? 1 : 0);
    for (const other of running()) other.kill('SIGTERM');
    if (running().length === 0) process.exit(exitCode);
  });
}

let lastForwardedAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const now = Date.now();
    if (now - lastForwardedAt < SAME_SIGNAL_WINDOW_MS) return;
    lastForwardedAt = now;
    for (const child of running()) child.kill('SIGTERM');
  });
}
// If this launcher dies without a signal handler running (SIGKILL is the only such case), the
// children would be left behind in their own group; on a normal exit they are already gone.
process.on('exit', () => {
  for (const child of running()) child.kill('SIGKILL');
});
