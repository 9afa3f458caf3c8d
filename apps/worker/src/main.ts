// The worker process: `npm run worker`. Any number of replicas may run against the same MySQL
// and Redis; each consumes hold-expiry, order-timeout and payment-webhook.
import { createLogger } from '@flash-sale/logger';
import { installCrashGuards, installShutdown, loadConfigOrExit } from '@flash-sale/process';
import { startWorkerRuntime } from './worker-runtime.ts';

const config = loadConfigOrExit('worker');
const logger = createLogger('worker', config.logLevel, { format: config.logFormat });
installCrashGuards(logger);
// Signals are handled from the start: a SIGTERM while the worker is still starting (its queues
// may already hand it jobs) drains what started instead of killing the process mid-job.
const starting = startWorkerRuntime(config, logger);
installShutdown({ logger, close: async () => (await starting).close() });
await starting;
