// The api process: `npm run api` (no migration, no seed) or `npm start` (both first).
import { createLogger } from '@flash-sale/logger';
import { installCrashGuards, installShutdown, listenFailure, loadConfigOrExit } from '@flash-sale/process';
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
// A shutdown that begins before the listen (the launcher gone while this process was starting)
// means no listen at all; one that begins during it waits for it to end before closing. Closed
// first, Fastify would still bind the port afterwards and hold it until the process exits.
let draining = false;
let listening: Promise<string> | undefined;
installShutdown({
  logger,
  close: async () => {
    draining = true;
    await listening?.catch(() => undefined);
    await app.close();
  },
});
if (!draining) {
  listening = app.listen({ host: config.host, port: config.port });
  await listening.catch((error: unknown) => {
    throw listenFailure(error, `HOST ${config.host} / PORT ${config.port}`);
  });
}
