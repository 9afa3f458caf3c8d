import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, runnerArgs } from '@flash-sale/testing';


export interface Service {
  child: ChildProcess;
  url: string;
  /** Milliseconds from the spawn until the ready path first answered 200. */
  startedInMs: number;
  /** Resident memory now, in MB (from /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * Runs `entry` as its own process and waits until `readyPath` answers 200; `startedInMs` is how
 * long that took from the spawn.
 */
export async function startService(entry: string, env: Record<string, string>, options: { readyPath?: string; nodeArgs?: string[] } = {}): Promise<Service> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...runnerArgs(entry), entry], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    // Its log lines (4xx at warn, one per refusal in a sell-out) are written, and dropped here.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const readyPath = options.readyPath ?? '/health/ready';
  for (let attempt = 0; ; attempt += 1) {
    if (await fetch(`${url}${readyPath}`).then((response) => response.ok, () => false)) break;
    if (attempt > 1_000 || child.exitCode !== null) throw new Error(`${entry} did not become ready`);
    await sleep(20);
  }
  const startedInMs = performance.now() - spawnedAt;
  return {
    child,
    url,
    startedInMs,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** A worker process (no HTTP port of its own beyond metrics); resolves once it logs ready. */
export async function startWorker(entry: string, env: Record<string, string>, options: { nodeArgs?: string[] } = {}): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...runnerArgs(entry), entry], {
    env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json', WORKER_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      if (buffered.includes('"worker ready"')) resolve();
      // Keep the pipe drained; the lines are not needed.
      if (buffered.length > 1_000_000) buffered = buffered.slice(-1000);
    });
    child.once('exit', () => reject(new Error('the worker exited before it was ready')));
  });
  return {
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
