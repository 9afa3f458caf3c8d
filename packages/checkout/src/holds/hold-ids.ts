import { runTransaction, type Db } from '@flash-sale/db';
import type { Logger } from '@flash-sale/logger';

// Where hold ids come from, and the id_sequences table's SQL, all of it.
//
// WHY THE API NAMES ITS HOLD IDS. A batch inserts its holds in one multi-row INSERT and must
// answer each member with its own row's id. With AUTO_INCREMENT the ids would have to be read
// back after the INSERT: MySQL 8's default innodb_autoinc_lock_mode=2 does not promise one
// statement consecutive ids. That read was one statement in six of a batch's transaction, and
// each statement costs the api's one event loop about a fifth of a millisecond (Prisma, the
// driver, the socket write), which bounds holds at 32 clients. So each process reserves blocks
// of ids from id_sequences and names them in the INSERT.
//
// WHY NO ID IS EVER GIVEN TWICE. A block is reserved in a transaction of its own, which commits
// before any of its ids is used: a reserved block is never reserved again, whatever happens to
// the batches that use it. Within the process each id is taken once. A batch that rolls back
// does not give its ids back: it runs again with new ones (its expiry jobs may be out under the
// old ids; see create-hold.ts). holds.id has no AUTO_INCREMENT, so an INSERT that names no id
// fails rather than take an id a block has promised. A process that stops leaves the rest of
// its block unused: a gap in the ids, as a rollback left one under AUTO_INCREMENT.
//
// WHAT A BATCH WAITS FOR. Usually nothing: the next block is reserved while half of the current
// one is left. A process that has no id at all (just started, or after `discard`) reserves
// before its batch opens its transaction (`ready`), holding no lock and no pooled connection.
// Otherwise a batch takes its ids inside its transaction, and waits there only if the process's
// batches took the rest of a block before the block reserved ahead arrived; it then holds its
// product's lock and its pooled connection, and were every pooled connection held that way, the
// reservation would fail after the pool's wait bound (5 s), and with it those batches, with a
// 503. `ready` does not wait while ids are at hand, so a reservation that fails or is slow never
// holds up a batch that has what it needs.
//
// AFTER A FAILOVER THAT LOST WRITES. A block whose reservation the new primary never saw may be
// reserved again, by another process, while this one still hands it out. The second INSERT of an
// id then fails on the primary key: the process drops its blocks (`discard`) and the batch
// inserts again, in the same transaction, under ids from a new block (create-hold.ts); after a
// few such tries it fails whole with a 503. Like a hot product's row
// lock, the one id_sequences row is held across the reservation's round trips: a process cut off
// from MySQL in the middle holds up the others' reservations until MySQL drops its connection.
// "An INSERT that names no id fails" holds under the strict sql_mode that MySQL 8 and MariaDB
// run by default.

/** Ids per block. A process holds at most one and a half blocks unused. */
const HOLD_ID_BLOCK_SIZE = 1_000;

/**
 * Reserves `count` consecutive hold ids for the caller alone, committed before it returns.
 * LAST_INSERT_ID(expr) is MySQL's sequence idiom (MariaDB's too): the UPDATE locks the one row,
 * and the connection remembers the value for the SELECT that follows. The row is the only one
 * this transaction locks, so it takes no part in lock-order.ts.
 */
export async function reserveHoldIds(db: Db, count: number): Promise<{ first: number; count: number }> {
  return runTransaction(db, async (tx) => {
    const updated = await tx.$executeRaw`UPDATE id_sequences SET next_id = LAST_INSERT_ID(next_id + ${count}) WHERE name = 'holds'`;
    if (updated !== 1) throw new Error('id_sequences has no row for holds: the migrations have not been applied.');
    const [row] = await tx.$queryRaw<{ nextId: bigint | number }[]>`SELECT LAST_INSERT_ID() AS nextId`;
    return { first: Number(row!.nextId) - count, count };
  });
}

/** A process's hold ids (one per process): each handed out once, from blocks it reserved. */
export interface HoldIdAllocator {
  /** Resolves at once while any id is at hand, else once a block is: for a batch to await before its transaction. */
  ready(): Promise<void>;
  /** `count` ids no hold has or will be given otherwise; waits for a block only when short. */
  take(count: number): Promise<number[]>;
  /** Drops every id at hand: one of them was found taken (see "after a failover" above). */
  discard(): void;
}

export function createHoldIdAllocator(db: Db, options: { logger: Logger; blockSize?: number }): HoldIdAllocator {
  const blockSize = options.blockSize ?? HOLD_ID_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`A block of hold ids holds at least one id (got ${blockSize}).`);
  let blocks: { next: number; end: number }[] = [];
  let available = 0;
  let reserving: Promise<void> | undefined;

  // One reservation at a time, shared by everyone waiting for it.
  const reserve = (): Promise<void> =>
    (reserving ??= reserveHoldIds(db, blockSize)
      .then((block) => {
        blocks.push({ next: block.first, end: block.first + block.count });
        available += block.count;
      })
      .finally(() => (reserving = undefined)));

  // The next block is reserved while half of this one is left, so that a batch seldom waits.
  const reserveAhead = (): void => {
    if (available >= blockSize / 2 || reserving) return;
    reserve().catch((error: unknown) => options.logger.warn({ err: error }, 'could not reserve hold ids ahead; the next batch that needs them tries again'));
  };

  return {
    async ready() {
      while (available === 0) await reserve();
    },
    async take(count) {
      while (available < count) await reserve();
      const ids: number[] = [];
      while (ids.length < count) {
        const block = blocks[0]!;
        ids.push(block.next);
        block.next += 1;
        if (block.next === block.end) blocks.shift();
      }
      available -= count;
      reserveAhead();
      return ids;
    },
    discard() {
      options.logger.error({ idsDropped: available }, 'a hold id handed out here was taken already (a failover that lost writes?); dropping the ids at hand');
      blocks = [];
      available = 0;
    },
  };
}
