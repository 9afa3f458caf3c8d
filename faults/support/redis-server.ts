import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@flash-sale/testing';
import { Redis } from 'ioredis';


/**
 * A Redis server of the fault case's own, on its own port, that the case can kill (SIGKILL, as a
 * crash or an OOM kill would) and start again empty (it keeps nothing on disk), as a Redis that
 * lost its data comes back.
 */
export class DisposableRedis {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<DisposableRedis> {
    const redis = new DisposableRedis(await freePort());
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.child) return;
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
      stdio: 'ignore',
    });
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        if (await probe.connect().then(() => true, () => false)) return;
        probe.disconnect();
        await sleep(50);
      }
      throw new Error(`redis-server on ${this.port} did not start`);
    } finally {
      probe.disconnect();
    }
  }

  /** Kills the server at once; its data is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const gone = once(child, 'exit');
    child.kill('SIGKILL');
    await gone;
  }
}
