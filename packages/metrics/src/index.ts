export { noopMetrics, type CheckoutMetrics } from './checkout-metrics.ts';
export { createProcessMetrics, type ProcessMetrics } from './process-metrics.ts';
