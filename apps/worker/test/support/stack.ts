import { signPayload } from '@flash-sale/checkout';
import type { Config } from '@flash-sale/config';
import { createLogger } from '@flash-sale/logger';
import { request, serviceEntry, spawnService, startTestStores, type JsonResponse, type ServiceProcess, type TestStores } from '@flash-sale/testing';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/worker-runtime.ts';

export { request };

/** Test stores with the api running on them as its own process, driven over HTTP. */
export interface ApiStack extends TestStores {
  /** Base URL of the api, on 127.0.0.1. */
  url: string;
  api: ServiceProcess;
}

/**
 * Stores of their own (packages/testing) with the api as a real process on them (`npm run api`):
 * the worker's tests drive it over HTTP, as the checkout frontend and the payment provider do,
 * and run the worker in this process or as processes beside it. `env` configures both.
 */
export async function startApiStack(env: Record<string, string> = {}): Promise<ApiStack> {
  const stores = await startTestStores(env, { logName: 'worker-test' });
  const listening = (line: Record<string, unknown>) => String(line.msg).startsWith('Server listening');
  const api = await spawnService({
    entry: serviceEntry.api,
    env: { ...envOf(stores.config), PAYMENT_WEBHOOK_SECRET: stores.config.paymentWebhookSecret, ...env, HOST: '127.0.0.1', PORT: '0' },
    ready: listening,
  }).catch(async (error: unknown) => {
    await stores.close();
    throw error;
  });
  const url = String(api.lines.find(listening)!.msg).replace('Server listening at ', '');
  return {
    ...stores,
    url,
    api,
    async close() {
      if (api.child.exitCode === null) {
        api.child.kill('SIGTERM');
        await api.exited;
      }
      await stores.close();
    },
  };
}

export interface InProcessWorker {
  runtime: WorkerRuntime;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A worker in this process, on the test app's database and Redis prefix. */
export async function startWorker(config: Config): Promise<InProcessWorker> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('worker-test', 'info', { destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  const runtime = await startWorkerRuntime(config, logger);
  await runtime.ready;
  return { runtime, logs, close: () => runtime.close() };
}

/** Signs and sends a payment webhook as the provider would. */
export function sendWebhook(
  t: ApiStack,
  body: Record<string, unknown>,
  options: { key?: string; secret?: string; timestampOffsetSeconds?: number; signature?: string } = {},
): Promise<JsonResponse> {
  const raw = JSON.stringify(body);
  const timestamp = Math.floor(Date.now() / 1000) + (options.timestampOffsetSeconds ?? 0);
  const signature = options.signature ?? `t=${timestamp},v1=${signPayload(options.secret ?? t.config.paymentWebhookSecret, timestamp, raw)}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'payment-signature': signature };
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  return request(t.url, 'POST', '/api/payments/webhook', { rawBody: raw, headers });
}

export type WorkerProcess = ServiceProcess;

/** A real worker process (`npm run worker`) with the given environment; resolves when ready. */
export function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  return spawnService({ entry: serviceEntry.worker, env, ready: (line) => line.msg === 'worker ready' });
}

/** The environment a worker process needs to share the test app's stores. */
export function envOf(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    REDIS_KEY_PREFIX: config.redisKeyPrefix,
    HOLD_TTL_SECONDS: String(config.holdTtlSeconds),
    WORKER_CONCURRENCY: String(config.workerConcurrency),
    SWEEP_INTERVAL_SECONDS: String(config.sweepIntervalSeconds),
    WORKER_METRICS_PORT: '0',
    ...extra,
  };
}
