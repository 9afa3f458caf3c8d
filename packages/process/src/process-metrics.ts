import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { queueNames, type QueueName } from '@flash-sale/queues';
import type { CheckoutMetrics } from '@flash-sale/checkout';

const PREFIX = 'flash_sale_';
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

export interface ProcessMetrics {
  registry: Registry;
  checkout: CheckoutMetrics;
  /** One finished HTTP request (api only). `route` is the route pattern, never the raw URL. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

/**
 * One registry per process (`api`, `worker`), in Prometheus text format at /metrics. Queue depths
 * are read from Redis at scrape time; a scrape while Redis is down leaves them out and reports the rest.
 */
export function createProcessMetrics(
  processName: string,
  queueCounts: (queue: QueueName) => Promise<Record<string, number>>,
): ProcessMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ process: processName });
  collectDefaultMetrics({ register: registry, prefix: PREFIX });

  const requests = new Counter({ name: `${PREFIX}http_requests_total`, help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const holdsCreated = new Counter({ name: `${PREFIX}holds_created_total`, help: 'Holds created', registers: [registry] });
  const unitsHeld = new Counter({ name: `${PREFIX}hold_units_created_total`, help: 'Units taken by new holds', registers: [registry] });
  const holdsRejected = new Counter({ name: `${PREFIX}holds_rejected_total`, help: 'Hold requests refused, by reason', labelNames: ['reason'], registers: [registry] });
  const holdsEnded = new Counter({ name: `${PREFIX}holds_ended_total`, help: 'Holds expired or released, by who ended them', labelNames: ['status', 'by'], registers: [registry] });
  const ordersCreated = new Counter({ name: `${PREFIX}orders_created_total`, help: 'Orders created (pending)', registers: [registry] });
  const ordersFinalized = new Counter({ name: `${PREFIX}orders_finalized_total`, help: 'Orders that reached a final status', labelNames: ['status', 'reason'], registers: [registry] });
  const paymentEvents = new Counter({ name: `${PREFIX}payment_events_total`, help: 'Payment webhook events by outcome', labelNames: ['outcome'], registers: [registry] });
  new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: 'Jobs in each queue by state (read at scrape time)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      await Promise.all(
        queueNames.map(async (queue) => {
          const counts = await queueCounts(queue).catch(() => undefined);
          // Unread (Redis down): the queue's series are left out of this scrape rather than
          // repeating the last counts as if they were current.
          for (const state of QUEUE_STATES) {
            if (counts) this.set({ queue, state }, counts[state] ?? 0);
            else this.remove({ queue, state });
          }
        }),
      );
    },
  });

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    checkout: {
      holdCreated(qty) {
        holdsCreated.inc();
        unitsHeld.inc(qty);
      },
      holdRejected: (reason) => holdsRejected.inc({ reason }),
      holdEnded: (status, by, count = 1) => holdsEnded.inc({ status, by }, count),
      orderCreated: () => ordersCreated.inc(),
      orderFinalized: (status, reason, count = 1) => ordersFinalized.inc({ status, reason: reason ?? 'none' }, count),
      paymentEvent: (outcome) => paymentEvents.inc({ outcome }),
    },
  };
}
