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
// unsettled payment events (rank 1, taken before anything else); applying one event finds them
// with a plain read and locks them by primary key (lockPaymentEventsById).
//
// Batches: a batch of holds (holds/create-hold.ts, which says why it cannot oversell and what it
// does on every failure) takes the same one product lock as a single hold, and a batch of
// expiries or timeouts takes its rows by id in one statement each, in id order, then their
// product: one transaction per product (batching/product-by-product.ts), in this same order,
// never a new one. (expireHolds and timeOutOrders would take several products in id order,
// but the bulk paths no longer give them several: a product stuck on a lock would keep the
// others it had locked, the hot one too.)
//
// Hold ids: a block of hold ids is reserved in a transaction of its own that locks one
// id_sequences row and nothing else, so it never waits for a row ranked here. A process with no
// ids reserves before its batch opens its transaction; only if its batches took a block's ids
// faster than the next block arrived does a batch wait for one holding its product's lock, and
// then for a pooled connection too (holds/hold-ids.ts says what bounds that wait).
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

// What each table's locking reads return, its columns named as the Locked* types name them.
const PRODUCT_COLUMNS = Prisma.sql`id, code, name, price, total_stock AS totalStock, available_stock AS availableStock, stock_version AS stockVersion`;
const HOLD_COLUMNS = Prisma.sql`id, product_id AS productId, qty, status, expires_at AS expiresAt`;
const ORDER_COLUMNS = Prisma.sql`id, hold_id AS holdId, product_id AS productId, qty, status, cancel_reason AS cancelReason, payment_due_at AS paymentDueAt`;
const PAYMENT_EVENT_COLUMNS = Prisma.sql`id, idempotency_key AS idempotencyKey, order_id AS orderId, result, outcome, received_at AS receivedAt`;

/** One row by primary key, locked at `rank`; undefined when there is none. */
async function lockOneRow<T>(tx: Tx, rank: LockName, query: Prisma.Sql): Promise<T | undefined> {
  claimRank(tx, rank);
  const rows = await tx.$queryRaw<T[]>(query);
  return rows[0];
}

/**
 * The rows of a list of ids (their primary keys; for the payment events, their orders'), locked
 * at `rank` in one statement: `select` is given the ids sorted and joined, and orders the rows by
 * them. Nothing is sent for no ids.
 */
async function lockRowsOf<T>(tx: Tx, rank: LockName, ids: number[], select: (ids: Prisma.Sql) => Prisma.Sql): Promise<T[]> {
  claimRank(tx, rank);
  if (ids.length === 0) return [];
  return tx.$queryRaw<T[]>(select(Prisma.join([...ids].sort((a, b) => a - b))));
}

const skipLockedIf = (skipLocked: boolean) => (skipLocked ? Prisma.sql`SKIP LOCKED` : Prisma.empty);

export interface LockedProduct {
  id: number;
  code: string;
  name: string;
  price: { toFixed(places: number): string };
  totalStock: number;
  availableStock: number;
  stockVersion: number;
}

export function lockProduct(tx: Tx, productId: number): Promise<LockedProduct | undefined> {
  return lockOneRow(tx, 'product', Prisma.sql`SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ${productId} FOR UPDATE`);
}

/** Several products at once, in id order (the sweeper returning stock to many products). */
export function lockProducts(tx: Tx, productIds: number[]): Promise<LockedProduct[]> {
  return lockRowsOf(tx, 'product', productIds, (ids) => Prisma.sql`SELECT ${PRODUCT_COLUMNS} FROM products WHERE id IN (${ids}) ORDER BY id FOR UPDATE`);
}

export interface LockedHold {
  id: number;
  productId: number;
  qty: number;
  status: HoldStatus;
  expiresAt: Date;
}

export function lockHold(tx: Tx, holdId: number): Promise<LockedHold | undefined> {
  return lockOneRow(tx, 'hold', Prisma.sql`SELECT ${HOLD_COLUMNS} FROM holds WHERE id = ${holdId} FOR UPDATE`);
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

export function lockOrder(tx: Tx, orderId: number): Promise<LockedOrder | undefined> {
  return lockOneRow(tx, 'order', Prisma.sql`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ${orderId} FOR UPDATE`);
}

export interface LockedPaymentEvent {
  id: number;
  idempotencyKey: string;
  orderId: number;
  result: PaymentResult;
  outcome: PaymentEventOutcome | null;
  receivedAt: Date;
}

/**
 * Holds by id, in id order, for the bulk paths (the expiry job and the sweeper). Point locks on
 * the primary key only: no secondary index entry and no gap is locked, so the index entries that
 * a later `UPDATE holds SET status` rewrites are not held by anyone else (see "index entries"
 * above). With `skipLocked`, a hold another transaction holds (its own job, a release, an order
 * being made from it) is left to that transaction.
 */
export function lockHoldsById(tx: Tx, holdIds: number[], options: { skipLocked: boolean }): Promise<LockedHold[]> {
  return lockRowsOf(tx, 'hold', holdIds, (ids) => Prisma.sql`SELECT ${HOLD_COLUMNS} FROM holds WHERE id IN (${ids}) ORDER BY id FOR UPDATE ${skipLockedIf(options.skipLocked)}`);
}

/** Orders by id, in id order, for the payment timeout (job and sweeper); as lockHoldsById. */
export function lockOrdersById(tx: Tx, orderIds: number[], options: { skipLocked: boolean }): Promise<LockedOrder[]> {
  return lockRowsOf(tx, 'order', orderIds, (ids) => Prisma.sql`SELECT ${ORDER_COLUMNS} FROM orders WHERE id IN (${ids}) ORDER BY id FOR UPDATE ${skipLockedIf(options.skipLocked)}`);
}

/**
 * Payment events by id, in id order (rank 1): applying one event locks its order's unsettled
 * events, found by a plain read, so that the first received decides. By primary key only: a
 * locking scan of the order_id index would also lock the gap after the order's last event, and
 * hold back webhooks being stored for other orders until the apply commits.
 */
export function lockPaymentEventsById(tx: Tx, eventIds: number[]): Promise<LockedPaymentEvent[]> {
  return lockRowsOf(tx, 'paymentEvent', eventIds, (ids) => Prisma.sql`SELECT ${PAYMENT_EVENT_COLUMNS} FROM payment_events WHERE id IN (${ids}) ORDER BY id FOR UPDATE`);
}

/**
 * The payment events of these orders that have no outcome yet, locked before the orders (rank
 * 1), in the order they were received: the payment timeout must see every result received before
 * the deadline. The scan goes
 * through the order_id index, so its next-key locks also hold back a webhook for these orders
 * being stored meanwhile. Such a webhook took its received_at before it waited; having waited
 * half the grace or more, it is rolled back and answered 503 (receive-payment-event.ts), and its
 * retry is received after the deadline that this timeout is acting on.
 */
export function lockUnsettledPaymentEventsOfOrders(tx: Tx, orderIds: number[]): Promise<LockedPaymentEvent[]> {
  return lockRowsOf(
    tx,
    'paymentEvent',
    orderIds,
    (ids) => Prisma.sql`
      SELECT ${PAYMENT_EVENT_COLUMNS} FROM payment_events FORCE INDEX (payment_events_order_id_idx)
      WHERE order_id IN (${ids}) AND outcome IS NULL
      ORDER BY order_id, received_at, id FOR UPDATE`,
  );
}
