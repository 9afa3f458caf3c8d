import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, CuttableProxy, holdRowLock, rejectionOf, serverUrl } from '@flash-sale/testing';
import { createDb, isConnectFailure, isDatabaseUnavailableError, isRetryableTransactionError, runTransaction, type Db } from '../src/index.ts';

// While MySQL refuses connections, calls fail at once instead of each waiting out the pool's
// acquire timeout (5 s); one call per second probes, and the first that gets through closes
// the circuit. A pool that is merely busy must not open it.

const FAILING_FAST = /refused connections for \d+ s; failing fast/;
const clients: Db[] = [];
const proxies: CuttableProxy[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((db) => db.$disconnect()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.down()));
});

function open(url: string, options: { noAnswerMs?: number } = {}): { db: Db; changes: boolean[]; why: string[] } {
  const changes: boolean[] = [];
  const why: string[] = [];
  const db = createDb(url, {
    ...options,
    onAvailabilityChange: (change) => {
      changes.push(change.available);
      if (!change.available) why.push(change.why);
    },
  });
  clients.push(db);
  return { db, changes, why };
}

/** A proxy (up) in front of the test server, and a database URL through it. */
async function proxiedServer(): Promise<{ proxy: CuttableProxy; url: string }> {
  const server = new URL(serverUrl());
  server.pathname = '/mysql';
  const proxied = await CuttableProxy.inFrontOf(server.toString());
  proxies.push(proxied.proxy);
  return proxied;
}

describe('a MySQL that refuses connections', () => {
  it('fails fast after the first refusal, and recovers by itself once MySQL accepts again', async () => {
    // A port that accepts nothing for now, and MySQL behind it later.
    const { proxy, url } = await proxiedServer();
    await proxy.down();
    const { db, changes } = open(url);

    // The first call finds out the slow way, and opens the circuit.
    const first = await rejectionOf(db.$queryRaw`SELECT 1`);
    expect(isDatabaseUnavailableError(first)).toBe(true);
    expect(first.message).not.toMatch(FAILING_FAST);
    expect(changes).toEqual([false]);

    // The next ones do not try: reads, and transactions (which surface as a 503).
    const read = await rejectionOf(db.$queryRaw`SELECT 1`);
    expect(isDatabaseUnavailableError(read)).toBe(true);
    expect(read.message).toMatch(FAILING_FAST);
    const transaction = await rejectionOf(runTransaction(db, (tx) => tx.$queryRaw`SELECT 1`));
    expect(transaction).toMatchObject({ code: 'service_unavailable', status: 503 });

    await proxy.up();
    await vi.waitFor(async () => expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]), { timeout: 20_000, interval: 100 });
    expect(changes).toEqual([false, true]);
    expect(await runTransaction(db, (tx) => tx.$queryRaw`SELECT 2 AS two`)).toEqual([{ two: 2 }]);
  });
});

describe('a MySQL that hangs (connections open, nothing answered)', () => {
  const NO_ANSWER_MS = 600;

  it('fails a statement once it goes unanswered for the deadline, then fails fast, and recovers by itself', async () => {
    const { proxy, url } = await proxiedServer();
    const { db, changes, why } = open(url, { noAnswerMs: NO_ANSWER_MS });
    expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    proxy.stall();

    // Without the deadline this waits for as long as MySQL hangs.
    let started = performance.now();
    const first = await rejectionOf(db.$queryRaw`SELECT 1`);
    expect(performance.now() - started).toBeLessThan(NO_ANSWER_MS + 1_000);
    expect(isDatabaseUnavailableError(first)).toBe(true);
    expect(first.message).toMatch(/MySQL did not answer within \d+ ms/);
    expect(changes).toEqual([false]);
    expect(why).toEqual(['no answer']);

    // Then the next calls do not wait: reads, and transactions (a 503).
    started = performance.now();
    const read = await rejectionOf(db.$queryRaw`SELECT 1`);
    expect(read.message).toMatch(/not answered for \d+ s; failing fast/);
    const transaction = await rejectionOf(runTransaction(db, (tx) => tx.$queryRaw`SELECT 1`));
    expect(transaction).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect(performance.now() - started).toBeLessThan(NO_ANSWER_MS);

    proxy.endStall();
    await vi.waitFor(async () => expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]), { timeout: 20_000, interval: 100 });
    expect(changes).toEqual([false, true]);
    expect(await runTransaction(db, (tx) => tx.$queryRaw`SELECT 2 AS two`)).toEqual([{ two: 2 }]);
  });

  it('fails a transaction whose statement or COMMIT goes unanswered as a 503 within the deadline, not when MySQL comes back', async () => {
    const { proxy, url } = await proxiedServer();
    const { db } = open(url, { noAnswerMs: NO_ANSWER_MS });
    // MySQL hangs mid-transaction: the statement after the stall, or the COMMIT, gets no answer.
    for (const hangs of ['statement', 'commit'] as const) {
      const started = performance.now();
      const failed = await rejectionOf(
        runTransaction(db, async (tx) => {
          await tx.$queryRaw`SELECT 1`;
          proxy.stall();
          if (hangs === 'statement') await tx.$queryRaw`SELECT 2`;
        }),
      );
      expect(failed).toMatchObject({ code: 'service_unavailable', status: 503 });
      // The statement's deadline, and no second one spent waiting for a ROLLBACK that MySQL
      // would not answer either (after a COMMIT that failed, Prisma sends none).
      expect(performance.now() - started, hangs).toBeLessThan(NO_ANSWER_MS * 1.75);
      proxy.endStall();
      await vi.waitFor(async () => expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]), { timeout: 20_000, interval: 100 });
    }
  });
});

describe('a MySQL that hangs, then answers what it held back', () => {
  const NO_ANSWER_MS = 600;

  it('hands back the connection of a BEGIN answered after it was given up on', async () => {
    const { proxy, url } = await proxiedServer();
    const withOneConnection = new URL(url);
    withOneConnection.searchParams.set('connection_limit', '1');
    const { db, changes } = open(withOneConnection.toString(), { noAnswerMs: NO_ANSWER_MS });
    expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);

    proxy.stall();
    const given = await rejectionOf(runTransaction(db, (tx) => tx.$queryRaw`SELECT 1`));
    expect(given).toMatchObject({ code: 'service_unavailable', status: 503 });
    // The partition heals: the BEGIN reaches MySQL and is answered, late.
    proxy.endStall('deliver');

    // The pool's only connection is free again: kept in that transaction, every call would wait
    // out the pool's 5 s and fail.
    await vi.waitFor(async () => expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]), { timeout: 4_000, interval: 100 });
    expect(changes).toEqual([false, true]);
  });
});

describe('a MySQL that is slow but answering', () => {
  const NO_ANSWER_MS = 600;

  it('lets a statement wait on a row lock past the deadline while other statements are answered, without opening the circuit', async () => {
    const database = await createTestDatabase();
    try {
      const { db, changes } = open(database.url, { noAnswerMs: NO_ANSWER_MS });
      const product = await db.product.create({ data: { code: 'SLOW-1', name: 'Slow', price: '1.00', totalStock: 5, availableStock: 5 } });
      const lock = await holdRowLock(db, 'products', product.id);
      // Other work keeps MySQL answering while the UPDATE waits for the lock.
      let busy = true;
      const chatter = (async () => {
        while (busy) await db.$queryRaw`SELECT 1`;
      })();
      const started = performance.now();
      const update = db.$executeRaw`UPDATE products SET available_stock = 4 WHERE id = ${product.id}`;
      setTimeout(() => void lock.release(), NO_ANSWER_MS * 3);
      expect(await update).toBe(1);
      expect(performance.now() - started).toBeGreaterThan(NO_ANSWER_MS * 3);
      busy = false;
      await chatter;
      expect(changes).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});

describe('a MySQL whose pool is exhausted', () => {
  it('times the waiting call out, but does not fail the next ones fast', async () => {
    const database = await createTestDatabase();
    try {
      const url = new URL(database.url);
      url.searchParams.set('connection_limit', '1');
      const { db, changes } = open(url.toString());
      // The pool's only connection is taken by a transaction until released.
      const lock = await holdRowLock(db, 'products', 1);
      const waited = await rejectionOf(db.$queryRaw`SELECT 1`);
      expect(waited.message).toContain('pool timeout');
      expect(waited.message).not.toMatch(FAILING_FAST);
      await lock.release();

      expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
      expect(changes).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});

describe('isConnectFailure', () => {
  const driverError = (code: number, cause?: string) => new DriverAdapterError({ kind: 'mysql', code, message: 'm', state: 'HY000', cause });

  it('is a refused or timed-out connect, or a pool timeout caused by one', () => {
    expect(isConnectFailure(driverError(2003))).toBe(true);
    expect(isConnectFailure(driverError(45028, 'connect ECONNREFUSED 127.0.0.1:9'))).toBe(true);
    expect(isConnectFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
  });

  it('is not a busy pool, a dropped connection or an error from the server', () => {
    expect(isConnectFailure(driverError(45028))).toBe(false);
    expect(isConnectFailure(driverError(45009))).toBe(false);
    expect(isConnectFailure(driverError(1205))).toBe(false);
    expect(isConnectFailure(new DriverAdapterError({ kind: 'UniqueConstraintViolation', constraint: { index: 'x' } }))).toBe(false);
  });
});

describe('isDatabaseUnavailableError', () => {
  it("counts a COMMIT whose socket closed (the adapter's own error, not wrapped by the client) as MySQL unavailable", () => {
    const commitLost = new DriverAdapterError({ kind: 'mysql', code: 45009, message: 'socket has unexpectedly been closed', state: '08S01' });
    expect(isDatabaseUnavailableError(commitLost)).toBe(true);
    expect(isRetryableTransactionError(new DriverAdapterError({ kind: 'mysql', code: 1213, message: 'deadlock', state: '40001' }))).toBe(true);
    expect(isDatabaseUnavailableError(new DriverAdapterError({ kind: 'mysql', code: 1062, message: 'duplicate', state: '23000' }))).toBe(false);
  });
});
