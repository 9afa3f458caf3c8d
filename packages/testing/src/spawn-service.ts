import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { runnerArgs } from './runner-args.ts';

export interface ServiceProcess {
  child: ChildProcess;
  /** Every JSON log line the process printed so far. */
  lines: Record<string, unknown>[];
  /** Resolves with [exit code, signal] once the process exited and its output was all read. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

// Every service process a test started that has not exited yet.
const running = new Set<ChildProcess>();

/**
 * SIGKILLs the service processes still running, and waits for them to go: a test that failed
 * before stopping its processes must not leave them working on the next test's data, or keep
 * the test run from exiting.
 */
export async function killSpawnedServices(): Promise<void> {
  await Promise.all(
    [...running].filter((child) => child.exitCode === null && child.signalCode === null).map((child) => {
      const gone = once(child, 'exit');
      child.kill('SIGKILL');
      return gone;
    }),
  );
}

/**
 * Runs a service entry point as a real process (a `.ts` source through tsx, a compiled `.js` with
 * plain node) and collects its pino lines.
 * Resolves once a line satisfies `ready`, or, with `ready` omitted, at once.
 */
export async function spawnService(options: {
  entry: string;
  env: Record<string, string>;
  ready?: (line: Record<string, unknown>) => boolean;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...runnerArgs(options.entry), options.entry], {
    // JSON lines whatever the developer's own LOG_FORMAT: they are parsed.
    env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  running.add(child);
  // 'close', not 'exit': the last lines a process wrote may still be in the pipe when it exits
  // (seen under load: a clean shutdown's final line arrived after 'exit').
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  void exited.then(() => running.delete(child));
  let buffered = '';
  const ready = new Promise<void>((resolve, reject) => {
    if (!options.ready) resolve();
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const text of complete) {
        if (!text.trim()) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        if (options.ready?.(line)) resolve();
      }
    });
    void exited.then(([code]) => reject(new Error(`${options.entry} exited with ${code} before it was ready`)));
  });
  await ready;
  return { child, lines, exited };
}
