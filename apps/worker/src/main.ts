// The worker process: `npm run worker`. Any number of replicas may run against the same MySQL
// and Redis; each consumes hold-expiry, order-timeout and payment-webhook.
import { createLogger } from '@flash-sale/logger';
import { installCrashGuards, installShutdown, loadConfigOrExit } from '@flash-sale/process';
import { startWorkerRuntime } from './worker-runtime.ts';

const config = loadConfigOrExit('worker');
const logger = createLogger('worker', config.logLevel);
installCrashGuards(logger);
const runtime = await startWorkerRuntime(config, logger);
installShutdown({ logger, close: () => runtime.close() });
