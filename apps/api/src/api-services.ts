import { createCheckoutDeps, createHoldBatcher, type CheckoutDeps, type Clock, type HoldBatcher } from '@flash-sale/checkout';
import type { Config } from '@flash-sale/config';
import type { Logger } from '@flash-sale/logger';
import { createProcessMetrics, openStores, type ProcessMetrics, type Stores } from '@flash-sale/process';

/** The api's connections, the domain on them, its metrics and its batching of holds. */
export type ApiServices = Stores & { deps: CheckoutDeps; metrics: ProcessMetrics; holdBatcher: HoldBatcher };

/** The api's composition, in order: its stores, the metrics that read the queues, the domain. */
export function createApiServices(config: Config, logger: Logger, overrides: { clock?: Clock } = {}): ApiServices {
  const stores = openStores(config, logger, 'api');
  const metrics = createProcessMetrics('api', (queue) => stores.jobs.counts(queue));
  const deps = createCheckoutDeps(stores, { settings: config, logger, metrics: metrics.checkout, clock: overrides.clock });
  // One batching line per process: hold requests for a product that arrive while its batch is
  // in flight go into the next one (packages/checkout/src/holds/create-hold.ts).
  return { ...stores, deps, metrics, holdBatcher: createHoldBatcher(deps) };
}
