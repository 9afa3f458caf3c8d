// A webhook stored at the very deadline may still be in flight when the timeout comes due: its
// INSERT took received_at when it started, and commits a moment later. The timeout therefore acts
// this long after payment_due_at, and a webhook whose INSERT took half of this or more is rolled
// back and answered 503 (receive-payment-event.ts), so that every result stored as received by
// the deadline is visible to it (see the payment deadline rule in time-out-orders.ts).
export const PAYMENT_RESULT_GRACE_MS = 1_000;

/** When the timeout may act on an order: its deadline plus the grace for in-flight results. */
export function paymentTimeoutAt(paymentDueAt: Date): Date {
  return new Date(paymentDueAt.getTime() + PAYMENT_RESULT_GRACE_MS);
}

export function isPastPaymentDeadline(paymentDueAt: Date, now: Date): boolean {
  return paymentTimeoutAt(paymentDueAt).getTime() <= now.getTime();
}
