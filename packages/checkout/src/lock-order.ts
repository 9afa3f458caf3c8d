import { Prisma, type CancelReason, type HoldStatus, type OrderStatus, type PaymentEventOutcome, type PaymentResult, type Tx } from '@flash-sale/db';

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
// returned first and the hold or order row is updated after, as products-sql.ts's callers do.
//
// Index entries: a `SELECT ... FOR UPDATE` that scans a secondary index locks the entries it
// scans, not only the rows. The sweeper used to find due holds with a locking scan of the
// (status, expires_at) index; an expiry job holding the product then waited on that index entry
// in its `UPDATE holds SET status`, while the sweeper waited on the product: a cycle that the
// ranks above did not show. So due rows are now found with a plain read, and locked by primary
// key only (lockHoldsById, lockOrdersById): a rank is then one lock per row, whoever takes it.
// The one locking scan of a secondary index left is the payment timeout's read of an order's
// payment events (rank 1, taken before anything else).
//
// Batches: a batch of holds (holds/create-hold.ts, which says why it cannot oversell and what it
// does on every failure) takes the same one product lock as a single hold, and a batch of
// expiries or timeouts takes its rows by id in one statement each, in id order, then their
// products in id order: a batch is one transaction in this same order, never a new order.
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
  status: HoldStatus;
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
  status: OrderStatus;
  cancelReason: CancelReason | null;
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
  result: PaymentResult;
  outcome: PaymentEventOutcome | null;
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
 * Holds by id, in id order, for the bulk paths (the expiry job and the sweeper). Point locks on
 * the primary key only: no secondary index entry and no gap is locked, so the index entries that
 * a later `UPDATE holds SET status` rewrites are not held by anyone else (see "index entries"
 * above). With `skipLocked`, a hold another transaction holds (its own job, a release, an order
 * being made from it) is left to that transaction.
 */
export async function lockHoldsById(tx: Tx, holdIds: number[], options: { skipLocked: boolean }): Promise<LockedHold[]> {
  claimRank(tx, 'hold');
  if (holdIds.length === 0) return [];
  const ids = Prisma.join([...holdIds].sort((a, b) => a - b));
  return tx.$queryRaw<LockedHold[]>`
    SELECT id, product_id AS productId, qty, status, expires_at AS expiresAt
    FROM holds WHERE id IN (${ids}) ORDER BY id FOR UPDATE ${options.skipLocked ? Prisma.sql`SKIP LOCKED` : Prisma.empty}`;
}

/** Orders by id, in id order, for the payment timeout (job and sweeper); as lockHoldsById. */
export async function lockOrdersById(tx: Tx, orderIds: number[], options: { skipLocked: boolean }): Promise<LockedOrder[]> {
  claimRank(tx, 'order');
  if (orderIds.length === 0) return [];
  const ids = Prisma.join([...orderIds].sort((a, b) => a - b));
  return tx.$queryRaw<LockedOrder[]>`
    SELECT id, hold_id AS holdId, product_id AS productId, qty, status, cancel_reason AS cancelReason,
           payment_due_at AS paymentDueAt
    FROM orders WHERE id IN (${ids}) ORDER BY id FOR UPDATE ${options.skipLocked ? Prisma.sql`SKIP LOCKED` : Prisma.empty}`;
}

/**
 * The payment events of these orders that have no outcome yet, locked before the orders (rank
 * 1): the payment timeout must see every result received before the deadline. The scan goes
 * through the order_id index, so its next-key locks also hold back a webhook for these orders
 * being stored meanwhile (it waits, then is stored with its real received_at, which is after the
 * deadline that this timeout is acting on).
 */
export async function lockUnsettledPaymentEventsOfOrders(tx: Tx, orderIds: number[]): Promise<LockedPaymentEvent[]> {
  claimRank(tx, 'paymentEvent');
  if (orderIds.length === 0) return [];
  const ids = Prisma.join([...orderIds].sort((a, b) => a - b));
  return tx.$queryRaw<LockedPaymentEvent[]>`
    SELECT id, idempotency_key AS idempotencyKey, order_id AS orderId, result, outcome, received_at AS receivedAt
    FROM payment_events FORCE INDEX (payment_events_order_id_idx)
    WHERE order_id IN (${ids}) AND outcome IS NULL
    ORDER BY order_id, received_at, id FOR UPDATE`;
}
