import { AppError, InsufficientStockError, ProductNotFoundError, ServiceUnavailableError, toErrorEnvelope } from '@flash-sale/errors';
import { isUniqueViolation, type Tx } from '@flash-sale/db';
import { enqueueManyAfterCommit, publishCommit, removeJobAfterCommit } from '../after-commit.ts';
import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { createBatchLine, type BatchLineOptions, type BatchTurn, type MemberResult } from '../batching/batch-line.ts';
import { addSeconds } from '../clock.ts';
import type { CheckoutDeps } from '../deps.ts';
import { completeIdempotencyKeys, type KeyClaim, type StoredResponse } from '../idempotency/idempotency-keys.ts';
import type { KeyCompletion } from '../idempotency/run-idempotent.ts';
import { lockProduct } from '../lock-order.ts';
import { takeStock } from '../products/products-sql.ts';
import type { HoldView } from './hold-view.ts';
import { insertHolds } from './holds-sql.ts';

// WHY A BATCH CANNOT OVERSELL. Every hold on a product is granted inside one transaction that
// holds that product's row lock (`SELECT ... FOR UPDATE`, lock-order.ts), whether the
// transaction carries one request or a hundred. Inside it the members are granted in arrival
// order against the locked available_stock, each taking its qty only if that much is left (a
// refusal reports what was left at its turn, exactly what it would have seen alone). The one
// UPDATE subtracts the granted sum from the value read under the lock, and the CHECK
// (0 <= available_stock <= total_stock) backs that up in the database itself.
//
// WHAT IT DOES ON EVERY FAILURE. The batch is one transaction: a deadlock or lock-wait timeout
// runs it again from the start (runTransaction), MySQL going away fails it, and then every
// member gets the same 503 and nothing of the batch is in MySQL (no hold, no key completed) or
// in Redis (but for the jobs of an INSERT that met a taken hold id, see insertUnderNewIds; the
// cache is written only after commit, and the cached snapshot stays, as nothing changed, so
// reads are still served while MySQL is away; the expiry jobs leave with the holds' INSERT or
// the COMMIT, so none was sent, or those sent by an attempt that was then rolled back for
// certain are being withdrawn), unless MySQL went away during the COMMIT itself (below). A
// process killed mid-batch leaves it uncommitted, so rolled back; its jobs may be in Redis for
// holds that never committed, and each finds no hold and does nothing. A COMMIT
// whose answer was lost may have taken effect (checkout-transaction.ts): members with an
// Idempotency-Key get their hold on retry (the key was completed in the same transaction), the
// cached snapshot is dropped so reads go to MySQL, and the holds' expiry jobs, sent before
// it, are kept. An attempt rolled back for certain (then run again, or failed) has its jobs
// withdrawn. On success, the expiry jobs of the whole batch have left in one addBulk with its
// INSERT or its COMMIT (sendWithStatement), one cache write-through follows the commit, and
// every member answers once both are done. If Redis refuses them, the commit stands and the
// sweeper expires the holds on time.

/** A batch attempt's expiry jobs, and their addBulk. */
interface ExpiryJobs {
  holdIds: number[];
  sent: Promise<void>;
}

export interface CreateHoldInput {
  productId: number;
  qty: number;
}

export interface HoldRequest {
  qty: number;
  /** The request's Idempotency-Key claim: completed inside the batch's transaction. */
  idempotency?: KeyCompletion<HoldView> | undefined;
}

type Deps = Pick<CheckoutDeps, 'db' | 'holdIds' | 'clock' | 'settings' | 'productCache' | 'jobs' | 'logger' | 'metrics'>;

/**
 * Creates the holds of several requests for one product in one transaction: lock the product,
 * grant in order while stock lasts, one UPDATE of the product, one INSERT of the holds, the
 * requests' idempotency keys completed, commit. Returns each request's own answer.
 */
export async function createHoldsTogether(
  deps: Deps,
  productId: number,
  turn: BatchTurn<HoldRequest>,
  options: { onCommitted?: (availableStockLeft: number) => void } = {},
): Promise<MemberResult<HoldView>[]> {
  let requests: HoldRequest[] = [];
  let expiresAt = new Date();
  // The expiry jobs of the attempt under way, sent with its INSERT or COMMIT (sendWithStatement).
  let jobs: ExpiryJobs | undefined;
  let inDoubt = false;
  // A process with no ids reserves them before the transaction, not holding the lock (hold-ids.ts).
  await deps.holdIds.ready();
  const outcome = await runCheckoutTransaction(deps, async (tx) => {
    // An earlier attempt that sent its jobs was rolled back, and the batch is run again.
    withdrawExpiryJobs(deps, jobs);
    jobs = undefined;
    const product = await lockProduct(tx, productId);
    // The batch's members are whoever waits now that it holds the lock; its clock starts here.
    requests = turn.take();
    expiresAt = addSeconds(deps.clock.now(), deps.settings.holdTtlSeconds);
    let remaining = product?.availableStock ?? 0;
    const decisions = requests.map((request): { granted: true } | { granted: false; error: AppError } => {
      if (!product) return { granted: false, error: new ProductNotFoundError(productId) };
      if (request.qty > remaining) return { granted: false, error: new InsufficientStockError(productId, remaining) };
      remaining -= request.qty;
      return { granted: true };
    });
    const grantedQty = requests.filter((_, index) => decisions[index]!.granted).map((request) => request.qty);
    const jobsWithInsert = grantedQty.length <= JOBS_WITH_INSERT_UP_TO;
    // The product's UPDATE and the holds' INSERT go out together: neither needs the other's
    // answer, and the lock they need is held. Measured, interleaved, eight rounds of 32 clients:
    // about 3 % more holds per second than one after the other, ahead in seven rounds.
    // Both settle before the attempt can end, failed or not: an INSERT still under way after the
    // UPDATE failed (waiting for ids, say) would send its jobs once the attempt was over, and
    // they would not be the ones `jobs` names for withdrawal.
    const [stockTaken, holdsInserted] = await Promise.allSettled([
      product && grantedQty.length ? takeStock(tx, product, sum(grantedQty)) : undefined,
      grantedQty.length ? insertUnderNewIds(deps, tx, { productId, qtys: grantedQty, expiresAt }, jobsWithInsert ? (sent) => (jobs = sent) : undefined) : [],
    ]);
    if (stockTaken.status === 'rejected') throw stockTaken.reason;
    if (holdsInserted.status === 'rejected') throw holdsInserted.reason;
    const snapshot = stockTaken.value;
    const holdIds = holdsInserted.value;

    let next = 0;
    const results = requests.map((request, index): MemberResult<HoldView> => {
      const decision = decisions[index]!;
      if (!decision.granted) return { ok: false, error: decision.error };
      const id = holdIds[next++]!;
      return { ok: true, value: { id, productId, qty: request.qty, status: 'active', expiresAt, orderId: null } };
    });
    const completions: { claim: KeyClaim; response: StoredResponse }[] = [];
    requests.forEach((request, index) => {
      const completion = request.idempotency;
      if (!completion) return;
      const result = results[index]!;
      completions.push({
        claim: completion.claim,
        response: result.ok ? completion.present(result.value) : refusalResponse(result.error as AppError),
      });
    });
    await completeIdempotencyKeys(tx, completions);
    if (!jobsWithInsert) {
      const dueAt = expiresAt;
      jobs = { holdIds, sent: sendWithStatement(() => enqueueExpiryJobs(deps, holdIds, dueAt)) };
    }
    return { results, snapshot, decisions, availableStockLeft: remaining };
  }, {
    inDoubt: async () => {
      // The product's next batch need not wait for this one's Redis work.
      turn.committed();
      inDoubt = true;
      // The jobs left before the COMMIT and stay: it may have taken effect.
      await jobs?.sent;
    },
  }).catch((error: unknown) => {
    // See "every failure" above.
    turn.committed();
    if (!inDoubt) withdrawExpiryJobs(deps, jobs);
    throw error;
  });

  // The product's next batch may open its transaction now; this one's after-commit work
  // overlaps it.
  turn.committed();
  options.onCommitted?.(outcome.availableStockLeft);
  // After commit: the refusals recorded under their keys are not recorded again.
  requests.forEach((request, index) => {
    if (request.idempotency && !outcome.results[index]!.ok) request.idempotency.refusalRecorded = true;
  });
  const created = outcome.results.flatMap((result) => (result.ok ? [result.value] : []));
  // The cache write follows the commit, while the expiry jobs sent before it finish; both
  // are done before any member answers, so each caller's next read sees its hold.
  await publishCommit(deps, {
    count: () => {
      for (const decision of outcome.decisions) {
        if (!decision.granted) deps.metrics.holdRejected(decision.error instanceof ProductNotFoundError ? 'product_not_found' : 'insufficient_stock');
      }
      for (const hold of created) deps.metrics.holdCreated(hold.qty);
    },
    changes: created.map((hold) => ({ message: 'hold created', fields: { holdId: hold.id, productId, qty: hold.qty, expiresAt, batch: requests.length } })),
    snapshots: outcome.snapshot ? [outcome.snapshot] : [],
    alongside: jobs ? [() => jobs!.sent] : [],
  });
  return outcome.results;
}

/** One request's hold, in a transaction of its own (a batch of one). */
export async function createHold(deps: Deps, input: CreateHoldInput, options: { idempotency?: KeyCompletion<HoldView> | undefined } = {}): Promise<HoldView> {
  const request: HoldRequest = { qty: input.qty, idempotency: options.idempotency };
  const [result] = await createHoldsTogether(deps, input.productId, { take: () => [request], committed: () => undefined });
  if (!result!.ok) throw result!.error;
  return result!.value;
}

export interface HoldBatcher {
  /** The request's hold, made in the next batch for its product. */
  createHold(input: CreateHoldInput, options?: { idempotency?: KeyCompletion<HoldView> | undefined }): Promise<HoldView>;
}

const defaultHoldBatching: BatchLineOptions = { maxBatch: 128, maxWaiting: 4_096 };

/**
 * The api's per-product batching of hold requests (one per process). A request that the
 * product's current snapshot (the cache, or MySQL on a miss) already shows cannot be met is
 * refused before it joins the line: that was true at a committed moment, which is all a 404 or
 * 409 claims, and a sell-out crowd is then answered without waiting behind the holds that can
 * still succeed. Enough stock in the snapshot proves nothing; the batch decides under the lock.
 *
 * So that check can only ever refuse, and it is skipped while this process's own last batch for
 * the product left at least the request's qty: it would read "enough" and let the request in.
 * What the last batch saw may be stale either way; it only chooses whether to look, never the
 * answer. Measured: the cache read was the api's largest single cost at 32 clients on one
 * product (a Redis socket write per request, 12 % of its CPU in a profile).
 */
export function createHoldBatcher(deps: Deps & Pick<CheckoutDeps, 'productReader'>, options: BatchLineOptions = defaultHoldBatching): HoldBatcher {
  // Per product, the available stock its last batch in this process left, read under the lock.
  // At most one entry per product row: a batch for a missing product leaves none.
  const leftByLastBatch = new Map<number, number>();
  const line = createBatchLine<number, HoldRequest, HoldView>(options, (productId, turn) =>
    createHoldsTogether(deps, productId, turn, {
      onCommitted: (left) => (left > 0 ? leftByLastBatch.set(productId, left) : leftByLastBatch.delete(productId)),
    }),
  );
  return {
    async createHold(input, requestOptions = {}) {
      if ((leftByLastBatch.get(input.productId) ?? 0) < input.qty) await refuseWhatTheSnapshotCannotMeet(input);
      return line.submit(input.productId, { qty: input.qty, idempotency: requestOptions.idempotency });
    },
  };

  async function refuseWhatTheSnapshotCannotMeet(input: CreateHoldInput): Promise<void> {
    const snapshot = await deps.productReader.get(input.productId).catch((error: unknown) => {
      if (error instanceof ProductNotFoundError) deps.metrics.holdRejected('product_not_found');
      throw error;
    });
    if (snapshot.availableStock < input.qty) {
      deps.metrics.holdRejected('insufficient_stock');
      throw new InsufficientStockError(input.productId, snapshot.availableStock);
    }
  }
}

/**
 * Starts `send` on the event loop's next turn. By then Prisma has written the statement just
 * issued: it writes it in the same turn, without waiting on I/O. So a batch's expiry jobs travel
 * to Redis while MySQL works, instead of after the commit.
 *
 * Which statement they leave with depends on the batch's size. Building the jobs takes the event
 * loop tens of µs each (about a millisecond for 20, after-commit.ts). With the INSERT, that CPU
 * falls inside the INSERT's round trip while the product's lock is held (1.5–2.2 ms at 32
 * clients, timed inside the api): for a batch of up to 32 holds it mostly fits, and its members
 * answer one round trip sooner (under a closed loop of 32 clients, where each member waits for
 * the whole batch, that is what bounds the rate). A big batch's jobs would still be being built
 * when the INSERT answers, holding back the COMMIT and the lock with it, and big batches come
 * from a crowd queued on that lock. So they leave with the COMMIT, and MySQL releases the lock however busy
 * the event loop is. Measured, interleaved, each against the one before:
 * - with the COMMIT instead of after the commit: about 8 % more holds per second at 32 clients,
 *   in every round of six;
 * - every batch's with the INSERT: about 8 % more again at 32 clients (six rounds of six), but
 *   about 7 % fewer at 256 clients, where batches reach 128 (none of four rounds ahead);
 * - as here, up to 32 with the INSERT: 7 % more at 32 clients (ahead in seven rounds of ten;
 *   2 % and five of six in another run), and no loss at 256 clients (6 % more, five of eight;
 *   3 % fewer, one of four, in another run: within the machine's noise).
 * A job ahead of its hold is harmless: it is due at expires_at, and a job whose hold never
 * commits finds no hold and does nothing.
 */
function sendWithStatement(send: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(send);
}

/**
 * Removes the expiry jobs sent by an attempt that was then rolled back for certain, once their
 * addBulk has finished (a removal ahead of it would be undone by it). Best effort: a job left
 * behind finds no hold and does nothing.
 */
function withdrawExpiryJobs(deps: Deps, jobs: ExpiryJobs | undefined): void {
  if (!jobs) return;
  deps.logger.info({ holdIds: jobs.holdIds }, 'hold batch rolled back after its expiry jobs left; withdrawing them');
  void jobs.sent.then(() => Promise.all(jobs.holdIds.map((holdId) => removeJobAfterCommit(deps, 'hold-expiry', { holdId }))));
}

/**
 * One addBulk for the batch's holds, each job due at their expires_at. Sent before the COMMIT's
 * answer, and kept when that answer is lost, in case it took effect: a job whose hold never
 * committed finds no hold and does nothing. (No hold id is handed out twice, rolled back or not:
 * hold-ids.ts; but after a failover to a replica that never saw the reservation of its block, a
 * new hold may get the id. It then finds this job in
 * place of its own: the job runs early, sees the hold not due and waits for it; or, already
 * finished and kept for an hour, it makes BullMQ drop the new hold's job, and that hold is the
 * sweeper's, listed by the audit.)
 */
function enqueueExpiryJobs(deps: Deps, holdIds: number[], expiresAt: Date): Promise<void> {
  return enqueueManyAfterCommit(deps, 'hold-expiry', holdIds.map((holdId) => ({ holdId })), expiresAt.getTime() - Date.now());
}

// A batch granting at most this many holds sends their expiry jobs with its INSERT; a bigger
// one, with its COMMIT (sendWithStatement says why).
const JOBS_WITH_INSERT_UP_TO = 32;

// An INSERT that meets a hold under one of its ids is tried again at most this often.
const INSERT_TRIES = 3;

/**
 * The batch's holds, inserted under ids taken for them now: new ones on every attempt of the
 * transaction, since a rolled-back attempt's may have expiry jobs out (hold-ids.ts). An INSERT
 * that meets a hold under one of its ids (a block reserved twice, which only a failover that
 * lost writes does) changed nothing, as MySQL undoes a failed statement alone: the process drops
 * its ids and the INSERT goes again under a new block's, in the same transaction. Past
 * INSERT_TRIES the batch fails whole with a 503. When `onJobsSent` is given, each attempt's
 * expiry jobs leave with its INSERT. Those of an INSERT that met a hold stay where they are:
 * they are under ids of that block, some of them other holds', and withdrawing them could
 * remove those holds' jobs; left, each is one of the failover's cases in enqueueExpiryJobs.
 */
async function insertUnderNewIds(
  deps: Deps,
  tx: Tx,
  batch: { productId: number; qtys: number[]; expiresAt: Date },
  onJobsSent?: (jobs: ExpiryJobs | undefined) => void,
): Promise<number[]> {
  for (let attempt = 1; ; attempt += 1) {
    const ids = await deps.holdIds.take(batch.qtys.length);
    const inserted = insertHolds(tx, { productId: batch.productId, holds: batch.qtys.map((qty, index) => ({ id: ids[index]!, qty })), expiresAt: batch.expiresAt });
    onJobsSent?.({ holdIds: ids, sent: sendWithStatement(() => enqueueExpiryJobs(deps, ids, batch.expiresAt)) });
    try {
      await inserted;
      return ids;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Not withdrawn: see above.
      onJobsSent?.(undefined);
      deps.holdIds.discard();
      if (attempt === INSERT_TRIES) throw new ServiceUnavailableError('New hold ids kept meeting existing holds; retry.', { retryAfterSeconds: 1, cause: error });
    }
  }
}

function refusalResponse(error: AppError): StoredResponse {
  return { status: error.status, body: toErrorEnvelope(error) };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
