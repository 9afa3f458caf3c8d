// `npm start` runs the api and one worker side by side in one terminal (`npm run start:prod` the
// same, compiled): the entry points to run are its arguments, and each child runs under the same
// Node flags as this launcher (tsx's loader in development, none in production). Ctrl-C or
// SIGTERM shuts each down gracefully, once; if either exits, the other is stopped and this exits
// with the first one's code.
//
// The children run in their own process group (`detached`), so the terminal's Ctrl-C reaches
// only this launcher (and npm above it), never the children directly: they get exactly one
// SIGTERM from here. Otherwise a Ctrl-C arrives twice (from the terminal and forwarded by us),
// and the second counts as "exit now" in their shutdown. npm and tsx pass the same Ctrl-C down
// to this process as well, so signals that arrive together count as one; a Ctrl-C pressed again
// later is passed on as a second signal, which makes the children exit at once.
//
// Each child also has an IPC channel to this launcher, used for nothing but its closing: if the
// launcher dies without passing a signal on (SIGKILL, the OOM killer), the channel closes and
// each child drains as on SIGTERM (shutdown.ts), instead of running on with nobody to stop it.
// LAUNCHER_CHANNEL_VARIABLE tells the child that the channel is this launcher's: a channel that
// some other parent opened (a process manager's) means nothing of the sort.
import { spawn, type ChildProcess } from 'node:child_process';
import { LAUNCHER_CHANNEL_VARIABLE } from './shutdown.ts';

const entries = process.argv.slice(2);
if (entries.length === 0) {
  process.stderr.write('usage: run-together <entry point> [<entry point> ...]\n');
  process.exit(2);
}
const SAME_SIGNAL_WINDOW_MS = 500;

const children: ChildProcess[] = entries.map((entry) =>
  spawn(process.execPath, [...process.execArgv, entry], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [LAUNCHER_CHANNEL_VARIABLE]: '1' },
    detached: true,
  }),
);
const running = () => children.filter((child) => child.exitCode === null && child.signalCode === null);
// Each child is asked to stop once: when one exits while the other is already draining (after
// Ctrl-C), a second SIGTERM would make the draining one exit at once.
const asked = new Set<ChildProcess>();
const stop = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') => {
  if (signal === 'SIGTERM' && asked.has(child)) return;
  asked.add(child);
  child.kill(signal);
};

let exitCode: number | undefined;
for (const child of children) {
  child.on('exit', (code, signal) => {
    exitCode ??= code ?? (signal ? 1 : 0);
    for (const other of running()) stop(other);
    if (running().length === 0) process.exit(exitCode);
  });
}

let lastForwardedAt = 0;
// SIGHUP too: a closed terminal window hangs up its foreground job; unhandled, it would kill this
// launcher alone and leave the children (in their own process group) running.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    const now = Date.now();
    if (now - lastForwardedAt < SAME_SIGNAL_WINDOW_MS) return;
    const again = lastForwardedAt > 0;
    lastForwardedAt = now;
    // A second Ctrl-C, later, is passed on as such: the children then exit at once.
    for (const child of running()) stop(child, again ? 'SIGINT' : 'SIGTERM');
  });
}
// The children run in their own process group, so nothing else stops them: whenever this
// launcher exits (normally both are gone by then), none is left behind. On its own SIGKILL this
// does not run; the children's IPC channel closing stops them then.
process.on('exit', () => {
  for (const child of running()) child.kill('SIGKILL');
});
