export { systemClock, type Clock } from './clock.ts';
export type { CheckoutDeps, CheckoutSettings, BeforeCommit } from './deps.ts';

export { createProductCache, type ProductCache } from './products/product-cache.ts';
export type { ProductSnapshot } from './products/product-snapshot.ts';
export { createProductReader, type ProductReader } from './products/product-reader.ts';
export { listProducts, type ProductPage } from './products/list-products.ts';

export type { HoldView, HoldStatus } from './holds/hold-view.ts';
export { createHold, createHoldBatcher, createHoldsTogether, type CreateHoldInput, type HoldBatcher, type HoldRequest } from './holds/create-hold.ts';
export { getHold } from './holds/get-hold.ts';
export { releaseHold } from './holds/release-hold.ts';
export { createHoldIdAllocator, reserveHoldIds, type HoldIdAllocator } from './holds/hold-ids.ts';
export { expireHold, expireHolds, createHoldExpiryBatcher, type ExpireHoldResult, type HoldExpiryBatcher } from './holds/expire-hold.ts';

export type { OrderView, OrderStatus, CancelReason } from './orders/order-view.ts';
export { createOrder } from './orders/create-order.ts';
export { getOrder } from './orders/get-order.ts';

export { runIdempotent, type IdempotentRequest, type IdempotentResponse, type KeyCompletion } from './idempotency/run-idempotent.ts';
export { requestHash } from './idempotency/request-hash.ts';

export { cancelUnpaidOrder, type CancelUnpaidOrderResult } from './orders/cancel-order.ts';
export { PAYMENT_RESULT_GRACE_MS } from './orders/payment-deadline.ts';
export { verifyPaymentSignature, signPayload } from './payments/verify-signature.ts';
export type { SeenPaymentEvents } from './payments/seen-payment-events.ts';
export { receivePaymentEvent, paymentEventHash, type PaymentEventInput, type PaymentResult, type ReceivedPaymentEvent } from './payments/receive-payment-event.ts';
export { applyPaymentEvent, PaymentEventDeferredError, type ApplyPaymentEventResult, type PaymentEventOutcome } from './payments/apply-payment-event.ts';
export { sweep, createSweepState, expireDueHolds, cancelDueOrders, redriveStalePaymentEvents, defaultSweepOptions, type SweepOptions, type SweepReport, type SweepState } from './sweeper/sweep.ts';
export { createCheckoutDeps, type CheckoutOptions, type CheckoutStores } from './checkout-deps.ts';
export { auditStock, type StockAudit, type ProductAudit, type OverdueHold } from './audit/audit-stock.ts';
export { repairProductStock, type StockRepair } from './audit/repair-stock.ts';
export { readStockLedger, type StockLedgerRow } from './audit/stock-ledger.ts';
export type { CheckoutMetrics } from './checkout-metrics.ts';
