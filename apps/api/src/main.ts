// The api process: `npm run api` (no migration, no seed) or `npm start` (both first).
import { createLogger } from '@flash-sale/logger';
import { installCrashGuards, installShutdown, loadConfigOrExit } from '@flash-sale/process';
import { createApiServices } from './api-services.ts';
import { buildApp } from './app.ts';

const config = loadConfigOrExit('api');
const logger = createLogger('api', config.logLevel, { format: config.logFormat });
installCrashGuards(logger);
if (config.paymentWebhookSecretIsDefault) {
  logger.warn('PAYMENT_WEBHOOK_SECRET is not set: using the development secret (refused when NODE_ENV=production)');
}
const services = createApiServices(config, logger);
await services.waitForStores();
const app = await buildApp({ config, logger, services });
installShutdown({ logger, close: () => app.close() });
await app.listen({ host: config.host, port: config.port });
