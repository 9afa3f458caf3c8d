import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@flash-sale/testing';
import { Redis } from 'ioredis';


/**
 * A Redis server of the fault case's own, on its own port, that the case can kill (SIGKILL, as a
 * crash or an OOM kill would) and start again: empty, as a Redis that lost its data comes back;
 * or, if the case had it SAVE a snapshot, from that snapshot, as a Redis restarted from an RDB
 * older than its last writes (or a promoted replica that missed them). It saves nothing itself.
 */
export class DisposableRedis {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<DisposableRedis> {
    const redis = new DisposableRedis(await freePort(), await mkdtemp(join(tmpdir(), 'fault-redis-')));
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.child) return;
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
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

  /** Kills the server at once; what it held in memory is gone (a snapshot the case saved stays). */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const gone = once(child, 'exit');
    child.kill('SIGKILL');
    await gone;
  }

  /** Kills the server and deletes whatever it saved. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
