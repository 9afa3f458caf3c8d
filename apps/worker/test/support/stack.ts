import { fileURLToPath } from 'node:url';
import { signPayload } from '@flash-sale/checkout';
import type { Config } from '@flash-sale/config';
import { createLogger } from '@flash-sale/logger';
import { spawnService, type ServiceProcess } from '@flash-sale/testing';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/worker-runtime.ts';
import { request, startTestApp, type JsonResponse, type TestApp } from '../../../api/test/support/test-app.ts';

export { request, startTestApp, type TestApp };

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
  return { runtime, logs, close: () => runtime.close() };
}

/** Signs and sends a payment webhook as the provider would. */
export function sendWebhook(
  t: TestApp,
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

const workerMain = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** A real worker process (`npm run worker`) with the given environment; resolves when ready. */
export function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  return spawnService({ entry: workerMain, env, ready: (line) => line.msg === 'worker ready' });
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
