import type { FastifyInstance } from 'fastify';
import { startTestStores, type TestStores } from '@flash-sale/testing';

export { request, type JsonResponse } from '@flash-sale/testing';
import { createApiServices, type ApiServices } from '../../src/api-services.ts';
import { buildApp } from '../../src/app.ts';

export interface TestApp extends TestStores {
  app: FastifyInstance;
  services: ApiServices;
  /** Base URL of the app listening on 127.0.0.1, for tests that need real parallel requests. */
  url: string;
}

/**
 * The api on test stores of its own (packages/testing: a freshly migrated database, its own
 * Redis key prefix), listening on a random port; `logs` holds every line it wrote. `env`
 * overrides configuration as the environment would (DATABASE_URL or REDIS_URL too, to point
 * the app at a store that is down).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const stores = await startTestStores(env, { logName: 'api-test' });
  const services = createApiServices(stores.config, stores.logger, { clock: stores.clock });
  await services.waitForStores();
  const app = await buildApp({ config: stores.config, logger: stores.logger, services });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    ...stores,
    app,
    services,
    url,
    async close() {
      await app.close();
      await stores.close();
    },
  };
}
