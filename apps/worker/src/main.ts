// The worker process: `npm run worker`. Any number of replicas may run against the same MySQL
// and Redis; each consumes hold-expiry, order-timeout and payment-webhook.
import { createLogger } from '@flash-sale/logger';
import { installCrashGuards, installShutdown, loadConfigOrExit } from '@flash-sale/process';
import { startWorkerRuntime } from './worker-runtime.ts';

const config = loadConfigOrExit('worker');
const logger = createLogger('worker', config.logLevel, { format: config.logFormat });
// The same lines, written before the call returns: for a line the process exits right after.
const lastLines = createLogger('worker', config.logLevel, { format: config.logFormat, sync: true });
installCrashGuards(lastLines);
// Signals are handled from the start: a SIGTERM while the worker is still starting (its queues
// may already hand it jobs) drains what started instead of killing the process mid-job.
const starting = startWorkerRuntime(config, logger);
installShutdown({ logger, lastLines, close: async () => (await starting).close() });
await starting;
