import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Processor } from 'bullmq';
import { createCheckoutDeps, createHoldExpiryBatcher, PaymentEventDeferredError } from '@flash-sale/checkout';
import type { Config } from '@flash-sale/config';
import type { Logger } from '@flash-sale/logger';
import { createProcessMetrics, listenFailure, openStores, type Stores } from '@flash-sale/process';
import { bullPrefix, createWorkerRedis, finishedJobRetention, legacySweeperSchedulerId, logConnectionHealth, type QueueName } from '@flash-sale/queues';
import type { Redis } from 'ioredis';
import { backoffStrategy } from './backoff.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import { holdExpiryProcessor } from './processors/hold-expiry.processor.ts';
import { orderTimeoutProcessor } from './processors/order-timeout.processor.ts';
import { paymentWebhookProcessor } from './processors/payment-webhook.processor.ts';
import { startSweeperLoop, type SweeperLoop } from './sweeper-loop.ts';

export interface WorkerRuntime {
  stores: Stores;
  workers: Worker[];
  metricsServer: MetricsServer;
  /** Resolves once every BullMQ worker is connected ("worker ready"): not while Redis is down. */
  ready: Promise<void>;
  /** Stops taking jobs, waits for the active ones, then closes Redis and MySQL. Idempotent. */
  close(): Promise<void>;
}

// Our jobs take milliseconds. A short lock makes a job whose worker died (SIGKILL, OOM) stalled
// and picked up again by another replica within about 15 s; the lock is renewed every 5 s while
// a job runs, so a slow job is not mistaken for a dead one.
const LOCK_DURATION_MS = 10_000;
const STALLED_INTERVAL_MS = 5_000;
const HOLD_EXPIRY_CONCURRENCY_FACTOR = 16;
// How long a stop waits for workers still connecting before it takes Redis for down.
const CONNECT_GRACE_MS = 1_000;

/**
 * The worker's composition, in order: its stores, the metrics that read the queues, the domain,
 * the metrics server; then one BullMQ worker per queue (each running WORKER_CONCURRENCY jobs at
 * once) and the sweeper. It returns once all of them have started, without waiting for Redis:
 * a worker started while Redis is down serves its metrics and liveness, and its sweeper expires
 * holds from MySQL, until Redis is back and its workers connect (`ready`).
 */
export async function startWorkerRuntime(config: Config, logger: Logger): Promise<WorkerRuntime> {
  const stores = openStores(config, logger, 'worker');
  const metrics = createProcessMetrics('worker', (queue) => stores.jobs.counts(queue));
  const deps = createCheckoutDeps(stores, { settings: config, logger, metrics: metrics.checkout });
  const processors: Record<QueueName, Processor> = {
    'hold-expiry': holdExpiryProcessor(createHoldExpiryBatcher(deps)),
    'order-timeout': orderTimeoutProcessor(deps),
    'payment-webhook': paymentWebhookProcessor(deps),
  };

  // First, before any BullMQ worker can take a job: a port already taken (a second worker on
  // this host with the same WORKER_METRICS_PORT) fails the start with nothing begun.
  // On HOST, as the api: 0.0.0.0 by default, 127.0.0.1 to keep it to the machine.
  const metricsServer = await startMetricsServer(metrics, { host: config.host, port: config.workerMetricsPort }).catch(async (error: unknown) => {
    await stores.close();
    const taken = (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE';
    throw taken
      ? listenFailure(error, `WORKER_METRICS_PORT ${config.workerMetricsPort}`, ': give each worker process on a host a port of its own, or 0 for any free one')
      : listenFailure(error, `HOST ${config.host} / WORKER_METRICS_PORT ${config.workerMetricsPort}`);
  });

  // BullMQ does not close a connection it was handed; these are ours to quit after close().
  const connections: Redis[] = [];
  const workers = Object.entries(processors).map(([queue, processor]) => {
    // Named after the deployment's key prefix too, so `CLIENT LIST` tells deployments apart.
    const connection = createWorkerRedis(config.redisUrl, { connectionName: `${config.redisKeyPrefix}:worker-${queue}` });
    connections.push(connection);
    const worker = new Worker(queue, processor, {
      connection,
      prefix: bullPrefix(config.redisKeyPrefix),
      // Expiry jobs wait on shared batches rather than on MySQL each, so a worker takes many
      // more of them at once: a crowd of holds due together then forms large batches.
      concurrency: queue === 'hold-expiry' ? config.workerConcurrency * HOLD_EXPIRY_CONCURRENCY_FACTOR : config.workerConcurrency,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: 2,
      settings: { backoffStrategy },
      // The catalog's retention, applied as each job finishes (it is not in the jobs' options).
      ...finishedJobRetention,
    });
    logConnectionHealth(worker, logger, `worker-${queue}`);
    worker.on('failed', (job, error) => {
      if (!job) return;
      const willRetry = job.attemptsMade < (job.opts.attempts ?? 1);
      // A payment event waiting for its order or its deadline's grace is expected, not a failure:
      // one line saying what it waits for, without a stack.
      const cause = error instanceof PaymentEventDeferredError ? { waitsFor: error.waitsFor, reason: error.message } : { err: error };
      const line = { queue, jobId: job.id, attemptsMade: job.attemptsMade, ...cause };
      if (willRetry) logger.info(line, 'job will be retried');
      else logger.error(line, 'job failed for good');
    });
    return worker;
  });

  await stores.waitForStores();
  // Versions before the sweeper left BullMQ ran it as a job scheduler on hold-expiry: remove it,
  // so its jobs do not land on a processor that no longer knows them. Best effort, and not
  // awaited: with Redis down it waits for Redis, and the start must not.
  void stores.jobs
    .queue('hold-expiry')
    .removeJobScheduler(legacySweeperSchedulerId)
    .catch((error: unknown) => logger.warn({ err: error }, 'could not remove the legacy sweeper scheduler'));
  // The sweeper works from MySQL alone, so it runs whether or not Redis is up.
  const sweeper: SweeperLoop = startSweeperLoop(deps, { intervalMs: config.sweepIntervalSeconds * 1000 });
  logger.info({ metricsPort: metricsServer.port }, 'worker started; its queues are ready once Redis answers');
  let workersReady = false;
  const ready = Promise.all(workers.map((worker) => worker.waitUntilReady())).then(() => {
    workersReady = true;
    logger.info({ queues: Object.keys(processors), concurrency: config.workerConcurrency, metricsPort: metricsServer.port }, 'worker ready');
  });
  // Closed before Redis came back: its workers never got ready, and nothing waits for them.
  ready.catch(() => undefined);

  let closing: Promise<void> | undefined;
  return {
    stores,
    workers,
    metricsServer,
    ready,
    close() {
      closing ??= (async () => {
        // Workers still connecting are given a moment (a stop that came just after the start);
        // past it Redis is down, they have no job to finish, and their close would wait for
        // Redis: their connections are dropped and they are closed by force. So are workers
        // whose Redis went away since they were ready: a job they are running could not be
        // marked finished anyway, its lock runs out, and another worker runs it again (every
        // job is idempotent).
        const connected = workersReady
          ? connections.every((connection) => connection.status === 'ready')
          : await Promise.race([ready.then(() => true, () => false), sleep(CONNECT_GRACE_MS, undefined, { ref: false }).then(() => false)]);
        if (!connected) for (const connection of connections) connection.disconnect();
        await Promise.all([sweeper.stop(), ...workers.map((worker) => worker.close(!connected))]);
        await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
        await metricsServer.close();
        await stores.close();
      })();
      return closing;
    },
  };
}
