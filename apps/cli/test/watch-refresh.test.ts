import { EventEmitter } from 'node:events';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { createWorkerRedis } from '@flash-sale/queues';
import { deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { JobRates, redisNowMs, windowStartEventId } from '../src/watch/job-rates.ts';
import { listenForInterrupts, signalExitCode } from '../src/watch/interrupts.ts';
import { runWatchLoop, type QueueStats } from '../src/watch/watch-loop.ts';

// watch's refresh and quit logic, in process: a refresh is never doubled up, and quitting never
// waits for one.

const prefix = uniqueRedisPrefix();
const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });

afterAll(async () => {
  redis.disconnect();
  await deleteRedisPrefix(prefix);
});

/** A promise and the functions that settle it, for a Redis reply the test decides when to give. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

describe('JobRates', () => {
  it('counts what completed and failed in the minute before it opened, then each job as it ends, through QueueEvents', async () => {
    const connections = [0, 1, 2].map(() => createWorkerRedis(testRedisUrl()));
    const [queueConnection, workerConnection, eventsConnection] = connections;
    const queue = new Queue('rates', { connection: queueConnection!, prefix });
    const worker = new Worker('rates', async (job) => {
      if (job.data.fail) throw new Error('refused on purpose');
    }, { connection: workerConnection!, prefix });
    let events: QueueEvents | undefined;
    try {
      for (const fail of [false, false, true, false]) await queue.add('job', { fail }, { attempts: 1 });
      await vi.waitFor(async () => expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 3, failed: 1 }), { timeout: 10_000, interval: 50 });

      events = new QueueEvents('rates', { connection: eventsConnection!, prefix, lastEventId: windowStartEventId(await redisNowMs(redis)) });
      const rates = new JobRates(events);
      await vi.waitFor(async () => expect(rates.at(await redisNowMs(redis))).toEqual({ completedPerMinute: 3, failedPerMinute: 1 }), { timeout: 10_000, interval: 50 });

      await queue.add('job', { fail: false });
      await vi.waitFor(async () => expect(rates.at(await redisNowMs(redis))).toEqual({ completedPerMinute: 4, failedPerMinute: 1 }), { timeout: 10_000, interval: 50 });
      // A minute on, they have left the window.
      expect(rates.at((await redisNowMs(redis)) + 61_000)).toEqual({ completedPerMinute: 0, failedPerMinute: 0 });
    } finally {
      await worker.close();
      await queue.close();
      await events?.close();
      for (const connection of connections) connection.disconnect();
    }
  });
});

describe.concurrent('the watch loop', () => {
  it('keeps one read in flight: frames after a read outlived its deadline wait for that read, not a second one', async () => {
    const stopped = new AbortController();
    const late = deferred<QueueStats>();
    const good: QueueStats = { overviews: [], rates: new Map([['hold-expiry', { completedPerMinute: 3, failedPerMinute: 1 }]]) };
    const readStats = vi.fn<() => Promise<QueueStats>>().mockReturnValueOnce(late.promise).mockResolvedValue(good);
    const draw = vi.fn<(stats: QueueStats, problem: string | undefined) => void>();
    const loop = runWatchLoop({ readStats, draw, intervalMs: 10, deadlineMs: 30, signal: stopped.signal });
    try {
      await vi.waitFor(() => expect(draw.mock.calls.length).toBeGreaterThanOrEqual(3));
      expect(readStats).toHaveBeenCalledTimes(1);
      const framesWhileLate = draw.mock.calls.length;
      expect(draw.mock.calls.map(([, problem]) => problem)).toEqual(Array(framesWhileLate).fill('Redis did not answer within 30 ms'));

      // The late answer is drawn, and only then is Redis read again.
      late.resolve(good);
      await vi.waitFor(() => expect(readStats.mock.calls.length).toBeGreaterThanOrEqual(2));
      const firstGoodDraw = draw.mock.calls.findIndex(([stats, problem]) => stats === good && problem === undefined);
      expect(firstGoodDraw).toBeGreaterThanOrEqual(framesWhileLate);
      expect(readStats.mock.invocationCallOrder[1]).toBeGreaterThan(draw.mock.invocationCallOrder[firstGoodDraw]!);
    } finally {
      stopped.abort();
      await loop;
    }
  });
});

describe.concurrent('quitting watch', () => {
  it('ends the loop at once on abort while a refresh is still waiting for Redis, without drawing again', async () => {
    const stopped = new AbortController();
    const readStats = vi.fn(() => new Promise<QueueStats>(() => undefined));
    const draw = vi.fn();
    let ended = false;
    const loop = runWatchLoop({ readStats, draw, intervalMs: 100, deadlineMs: 10_000, signal: stopped.signal }).then(() => (ended = true));
    await vi.waitFor(() => expect(readStats).toHaveBeenCalledTimes(1));
    stopped.abort();
    await vi.waitFor(() => expect(ended).toBe(true), { timeout: 1_000 });
    await loop;
    expect(draw).not.toHaveBeenCalled();
  });

  it('keeps drawing the last good counts, with the reason, when a refresh fails', async () => {
    const stopped = new AbortController();
    const good: QueueStats = { overviews: [], rates: new Map([['hold-expiry', { completedPerMinute: 7, failedPerMinute: 0 }]]) };
    const readStats = vi.fn<() => Promise<QueueStats>>().mockResolvedValueOnce(good).mockRejectedValue(new Error('Command timed out'));
    const draw = vi.fn((_stats: QueueStats, problem: string | undefined) => {
      if (problem) stopped.abort();
    });
    await runWatchLoop({ readStats, draw, intervalMs: 100, deadlineMs: 10_000, signal: stopped.signal });
    expect(draw.mock.calls).toEqual([
      [good, undefined],
      [good, 'Command timed out'],
    ]);
  });

  it('a first SIGINT aborts; a second one, before the view is closed, goes to onSecond (exit 130)', () => {
    const process = new EventEmitter();
    const onSecond = vi.fn();
    const interrupts = listenForInterrupts(onSecond, process);
    process.emit('SIGINT', 'SIGINT');
    expect(interrupts.signal.aborted).toBe(true);
    expect(onSecond).not.toHaveBeenCalled();
    process.emit('SIGINT', 'SIGINT');
    expect(onSecond).toHaveBeenCalledWith('SIGINT');
    expect(signalExitCode('SIGINT')).toBe(130);

    interrupts.dispose();
    expect(process.listenerCount('SIGINT') + process.listenerCount('SIGTERM')).toBe(0);
  });
});
