import type { Redis } from 'ioredis';
import type { Db } from '@flash-sale/db';
import type { Logger } from '@flash-sale/logger';
import { noopMetrics, type CheckoutMetrics } from './checkout-metrics.ts';
import type { JobQueues } from '@flash-sale/queues';
import { systemClock, type Clock } from './clock.ts';
import type { CheckoutDeps, CheckoutSettings } from './deps.ts';
import { createHoldIdAllocator } from './holds/hold-ids.ts';
import { createAbandonedClaims } from './idempotency/abandoned-claims.ts';
import { createKeyClaimer } from './idempotency/key-claimer.ts';
import { createSeenPaymentEvents } from './payments/seen-payment-events.ts';
import { createProductCache } from './products/product-cache.ts';
import { createProductReader } from './products/product-reader.ts';

/** The connections a process opened for the domain: it opens and closes them, the domain uses them. */
export interface CheckoutStores {
  db: Db;
  /** For the product cache and the small Redis records (seen payment events, abandoned claims). */
  redis: Redis;
  jobs: JobQueues;
}

export interface CheckoutOptions {
  settings: CheckoutSettings & {
    /** Every Redis key of the domain starts with it. */
    redisKeyPrefix: string;
    productCacheTtlSeconds: number;
  };
  logger: Logger;
  metrics?: CheckoutMetrics;
  clock?: Clock;
}

/** The domain's dependencies on a process's stores. */
export function createCheckoutDeps(stores: CheckoutStores, options: CheckoutOptions): CheckoutDeps {
  const { settings, logger } = options;
  const keyPrefix = settings.redisKeyPrefix;
  const productCache = createProductCache(stores.redis, { keyPrefix, ttlSeconds: settings.productCacheTtlSeconds, logger });
  const clock = options.clock ?? systemClock;
  return {
    db: stores.db,
    holdIds: createHoldIdAllocator(stores.db, { logger }),
    productCache,
    productReader: createProductReader({ db: stores.db, productCache, logger, clock }),
    seenPaymentEvents: createSeenPaymentEvents(stores.redis, { keyPrefix, logger }),
    abandonedClaims: createAbandonedClaims(stores.redis, { keyPrefix, logger }),
    keyClaimer: createKeyClaimer(stores.db),
    jobs: stores.jobs,
    clock,
    logger,
    metrics: options.metrics ?? noopMetrics,
    settings: {
      holdTtlSeconds: settings.holdTtlSeconds,
      orderPaymentTimeoutSeconds: settings.orderPaymentTimeoutSeconds,
      webhookOrphanAfterSeconds: settings.webhookOrphanAfterSeconds,
    },
  };
}
