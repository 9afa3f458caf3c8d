import { Prisma, type PaymentEventOutcome, type Tx } from '@flash-sale/db';

// The payment_events table's raw SQL (the locking reads are in lock-order.ts; an event is
// stored through Prisma's typed API). Runs inside the caller's transaction, events locked.

/** Records each event's outcome, once, with one UPDATE however many events. */
export async function recordPaymentEventOutcomes(
  tx: Tx,
  recorded: { id: number; outcome: PaymentEventOutcome; detail: string | null }[],
  processedAt: Date,
): Promise<void> {
  if (recorded.length === 0) return;
  const outcomes = Prisma.join(recorded.map((each) => Prisma.sql`WHEN ${each.id} THEN ${each.outcome}`), ' ');
  const details = Prisma.join(recorded.map((each) => Prisma.sql`WHEN ${each.id} THEN ${each.detail}`), ' ');
  await tx.$executeRaw`
    UPDATE payment_events
    SET outcome = CASE id ${outcomes} END, outcome_detail = CASE id ${details} END, processed_at = ${processedAt}
    WHERE id IN (${Prisma.join(recorded.map((each) => each.id))})`;
}
