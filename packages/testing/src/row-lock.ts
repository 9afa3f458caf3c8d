import type { Db } from '@flash-sale/db';

export interface HeldRowLock {
  /** Lets the locking transaction end, and waits for it to. */
  release(): Promise<void>;
}

/**
 * Takes a row lock (`SELECT … FOR UPDATE`) in a transaction of its own and keeps it until
 * released, so a request or job touching that row is provably in flight, blocked, meanwhile.
 * Resolves once the lock is held.
 */
export async function holdRowLock(db: Db, table: 'products' | 'holds' | 'orders', id: number): Promise<HeldRowLock> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const transaction = db.$transaction(
    async (tx) => {
      // The table name comes from the union above, never from input.
      await tx.$queryRawUnsafe(`SELECT id FROM ${table} WHERE id = ? FOR UPDATE`, id);
      locked();
      await released;
    },
    // Longer than any test: the test releases it, not this timeout.
    { timeout: 120_000 },
  );
  await Promise.race([isLocked, transaction]);
  return {
    async release() {
      release();
      await transaction;
    },
  };
}
