import type { CancelReason, PaymentEventOutcome } from '@flash-sale/db';
import type { EndedHoldStatus } from './holds/hold-view.ts';
import type { FinalOrderStatus } from './orders/order-view.ts';

/**
 * What the domain counts. The domain calls these; it never imports prom-client, and tests or
 * tools that do not scrape use `noopMetrics`.
 */
export interface CheckoutMetrics {
  holdCreated(qty: number): void;
  holdRejected(reason: 'insufficient_stock' | 'product_not_found'): void;
  /** A hold stopped holding stock: expired (by its job, the sweeper or a request) or released. */
  holdEnded(status: EndedHoldStatus, by: 'job' | 'sweeper' | 'request', count?: number): void;
  orderCreated(): void;
  /** An order reached a final state. */
  orderFinalized(status: FinalOrderStatus, reason: CancelReason | null, count?: number): void;
  /** received and duplicate at ingestion; the recorded outcome when the worker applies it. */
  paymentEvent(outcome: 'received' | 'duplicate' | PaymentEventOutcome): void;
}

export const noopMetrics: CheckoutMetrics = {
  holdCreated: () => undefined,
  holdRejected: () => undefined,
  holdEnded: () => undefined,
  orderCreated: () => undefined,
  orderFinalized: () => undefined,
  paymentEvent: () => undefined,
};
