import { createCheckoutRuntime, createHoldBatcher, type CheckoutRuntime, type Clock, type HoldBatcher } from '@flash-sale/checkout';
import type { Config } from '@flash-sale/config';
import type { Logger } from '@flash-sale/logger';
import { createProcessMetrics, type ProcessMetrics } from '@flash-sale/metrics';

/** The api's connections, the domain dependencies built on them, and its metrics. */
export type ApiServices = CheckoutRuntime & { metrics: ProcessMetrics; holdBatcher: HoldBatcher };

export function createApiServices(config: Config, logger: Logger, overrides: { clock?: Clock } = {}): ApiServices {
  // Queue depths are read through the runtime's queues, which need the metrics first.
  let runtime: CheckoutRuntime | undefined;
  const metrics = createProcessMetrics('api', (queue) => runtime!.jobs.counts(queue));
  runtime = createCheckoutRuntime(config, logger, { name: 'api', metrics: metrics.checkout, ...overrides });
  // One batching line per process: hold requests for a product that arrive while its batch is
  // in flight go into the next one (packages/checkout/src/holds/create-hold.ts).
  return Object.assign(runtime, { metrics, holdBatcher: createHoldBatcher(runtime.deps) });
}
