import { Prisma, type Tx } from '@flash-sale/db';

// THE LOCK ORDER. Every transaction that locks more than one row takes them in this order:
//
//     payment event  ->  hold  ->  order  ->  product
//
// Why: the product row is the hot one (every hold on a sale product locks it), so it is locked
// last and held for the shortest time; and because no path ever waits for a row of a lower rank
// while holding one of a higher rank, no two paths can wait on each other in a cycle. InnoDB's
// foreign key checks take shared locks on the parent row (inserting an order S-locks its hold
// and its product), which follows the same order. Several rows of one table (the sweeper) are
// locked in one statement, ordered by id.
//
// One more rule, learnt from a deadlock: a transaction that will X-lock the product must do so
// BEFORE it inserts or updates a hold or order row of that product. Those statements S-lock the
// product through the foreign key (updating `status` touches the (product_id, status) index that
// backs it); two transactions each holding that S lock then deadlock upgrading to X. So stock is
// returned first and the hold or order row is updated after, as stock.ts's callers do.
//
// These functions are the only places that issue `SELECT ... FOR UPDATE`; each records the rank
// it took in this transaction and refuses to go backwards, so a violation fails loudly in tests
// instead of deadlocking under load.

const RANK = { paymentEvent: 1, hold: 2, order: 3, product: 4 } as const;
type LockName = keyof typeof RANK;
const highestRankHeld = new WeakMap<Tx, number>();

function claimRank(tx: Tx, name: LockName): void {
  const held = highestRankHeld.get(tx) ?? 0;
  if (RANK[name] < held) {
    throw new Error(`Lock order violated: ${name} locked after a lock of higher rank (payment event -> hold -> order -> product).`);
  }
  highestRankHeld.set(tx, RANK[name]);
}

export interface LockedProduct {
  id: number;
  code: string;
  name: string;
  price: { toFixed(places: number): string };
  totalStock: number;
  availableStock: number;
  stockVersion: number;
}

export async function lockProduct(tx: Tx, productId: number): Promise<LockedProduct | undefined> {
  claimRank(tx, 'product');
  const rows = await tx.$queryRaw<LockedProduct[]>`
    SELECT id, code, name, price, total_stock AS totalStock, available_stock AS availableStock,
           stock_version AS stockVersion
    FROM products WHERE id = ${productId} FOR UPDATE`;
  return rows[0];
}

/** Several products at once, in id order (the sweeper returning stock to many products). */
export async function lockProducts(tx: Tx, productIds: number[]): Promise<LockedProduct[]> {
  claimRank(tx, 'product');
  if (productIds.length === 0) return [];
  return tx.$queryRaw<LockedProduct[]>`
    SELECT id, code, name, price, total_stock AS totalStock, available_stock AS availableStock,
           stock_version AS stockVersion
    FROM products WHERE id IN (${Prisma.join(productIds)}) ORDER BY id FOR UPDATE`;
}

export interface LockedHold {
  id: number;
  productId: number;
  qty: number;
  status: 'active' | 'used' | 'expired' | 'released';
  expiresAt: Date;
}

export async function lockHold(tx: Tx, holdId: number): Promise<LockedHold | undefined> {
  claimRank(tx, 'hold');
  const rows = await tx.$queryRaw<LockedHold[]>`
    SELECT id, product_id AS productId, qty, status, expires_at AS expiresAt
    FROM holds WHERE id = ${holdId} FOR UPDATE`;
  return rows[0];
}

export interface LockedOrder {
  id: number;
  holdId: number;
  productId: number;
  qty: number;
  status: 'pending' | 'paid' | 'cancelled';
  cancelReason: 'payment_failed' | 'payment_timeout' | null;
  paymentDueAt: Date;
}

export async function lockOrder(tx: Tx, orderId: number): Promise<LockedOrder | undefined> {
  claimRank(tx, 'order');
  const rows = await tx.$queryRaw<LockedOrder[]>`
    SELECT id, hold_id AS holdId, product_id AS productId, qty, status, cancel_reason AS cancelReason,
           payment_due_at AS paymentDueAt
    FROM orders WHERE id = ${orderId} FOR UPDATE`;
  return rows[0];
}

export interface LockedPaymentEvent {
  id: number;
  idempotencyKey: string;
  orderId: number;
  result: 'success' | 'failure';
  outcome: 'applied' | 'ignored_duplicate_state' | 'conflict' | 'orphaned' | null;
  receivedAt: Date;
}

export async function lockPaymentEvent(tx: Tx, eventId: number): Promise<LockedPaymentEvent | undefined> {
  claimRank(tx, 'paymentEvent');
  const rows = await tx.$queryRaw<LockedPaymentEvent[]>`
    SELECT id, idempotency_key AS idempotencyKey, order_id AS orderId, result, outcome, received_at AS receivedAt
    FROM payment_events WHERE id = ${eventId} FOR UPDATE`;
  return rows[0];
}

/**
 * Due rows for the sweeper: locked, oldest first, skipping rows another transaction holds (a job
 * handling that very row). Only the table named here can be swept.
 */
export async function lockDueHolds(tx: Tx, now: Date, limit: number): Promise<{ id: number; productId: number; qty: number }[]> {
  claimRank(tx, 'hold');
  return tx.$queryRaw`
    SELECT id, product_id AS productId, qty FROM holds
    WHERE status = 'active' AND expires_at <= ${now}
    ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
}

export async function lockDueOrders(tx: Tx, now: Date, limit: number): Promise<{ id: number; productId: number; qty: number }[]> {
  claimRank(tx, 'order');
  return tx.$queryRaw`
    SELECT id, product_id AS productId, qty FROM orders
    WHERE status = 'pending' AND payment_due_at <= ${now}
    ORDER BY payment_due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
}
