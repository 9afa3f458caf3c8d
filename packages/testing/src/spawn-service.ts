import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface ServiceProcess {
  child: ChildProcess;
  /** Every JSON log line the process printed so far. */
  lines: Record<string, unknown>[];
  /** Resolves with [exit code, signal]. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/**
 * Runs a service entry point (`tsx <entry>`) as a real process and collects its pino lines.
 * Resolves once a line satisfies `ready`, or, with `ready` omitted, at once.
 */
export async function spawnService(options: {
  entry: string;
  env: Record<string, string>;
  ready?: (line: Record<string, unknown>) => boolean;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
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
