import { createHoldBatcher, createHoldIdAllocator, createHoldsTogether, type HoldRequest } from '@flash-sale/checkout';
import { createDb, type Tx } from '@flash-sale/db';
import { CuttableProxy, holdRowLock, serviceEntry, spawnService, type ServiceProcess } from '@flash-sale/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// Holds are granted in batches per product (packages/checkout/src/holds/create-hold.ts): one
// locked transaction per batch, in arrival order, each request getting the answer it would get
// alone, and a failed batch failing whole.

let t: TestApp;
beforeAll(async () => {
  // At debug, so that each request's arrival is logged ("incoming request"): the crowd test waits on it.
  t = await startTestApp({ MAX_QTY_PER_HOLD: '5', LOG_LEVEL: 'debug' });
});
afterAll(async () => t?.close());

const availableInMysql = async (productId: number) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;
const turnOf = (requests: HoldRequest[]) => ({ take: () => requests, committed: () => undefined });

describe('one batch', () => {
  it('grants in arrival order while stock lasts: stock 5 and 3, 3, 2 -> 3 and 2 granted, the middle 3 refused with 2 left', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const results = await createHoldsTogether(t.services.deps, productId, turnOf([{ qty: 3 }, { qty: 3 }, { qty: 2 }]));

    expect(results.map((result) => result.ok)).toEqual([true, false, true]);
    const refused = results[1]!;
    expect(refused.ok === false && refused.error).toMatchObject({ code: 'insufficient_stock', details: { available_stock: 2 } });
    const granted = results.flatMap((result) => (result.ok ? [result.value] : []));
    expect(granted.map((hold) => hold.qty)).toEqual([3, 2]);
    // Each id returned is the row inserted for that request.
    for (const hold of granted) expect((await t.db.hold.findUniqueOrThrow({ where: { id: hold.id } })).qty).toBe(hold.qty);
    expect(await availableInMysql(productId)).toBe(0);
    expect((await request(t.url, 'GET', `/api/products/${productId}`)).body.available_stock).toBe(0);
  });

  it('forms batches under a crowd: requests waiting for the lock go in one transaction', async () => {
    const productId = await t.createProduct({ totalStock: 100 });
    const lock = await holdRowLock(t.db, 'products', productId);
    let responses: Awaited<ReturnType<typeof request>>[];
    try {
      const pending = Array.from({ length: 40 }, () => request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } }));
      // The first batch waits on the lock, the rest line up behind it.
      await vi.waitFor(() => expect(t.logs.filter((line) => line.msg === 'incoming request' && line.req && (line.req as { url?: string }).url === '/api/holds').length).toBeGreaterThanOrEqual(40), { timeout: 10_000, interval: 20 });
      await lock.release();
      responses = await Promise.all(pending);
    } finally {
      await lock.release();
    }
    expect(responses.every((response) => response.status === 201)).toBe(true);
    const batches = new Set(t.logs.filter((line) => line.msg === 'hold created' && line.productId === productId).map((line) => line.batch));
    expect(Math.max(...[...batches].map(Number))).toBeGreaterThan(1);
    expect(await availableInMysql(productId)).toBe(60);
    expect(await t.db.hold.count({ where: { productId } })).toBe(40);
  });
});

describe('a member whose idempotency claim was lost', () => {
  // A claim taken over while its request waited (longer than the lease): its completion inside
  // the batch's transaction finds the key no longer its own.
  const lostClaim = (key: string): HoldRequest => ({
    qty: 1,
    idempotency: {
      claim: { scope: 'POST /api/holds', key, lockToken: 'a-token-that-no-longer-owns-the-key' },
      present: (hold) => ({ status: 201, body: hold }),
      beforeCommit: async () => undefined,
      refusalRecorded: false,
    },
  });

  it.each([
    ['the only key of the batch, beside a member with no key', () => [lostClaim(`lost-${Date.now()}-a`), { qty: 1 }]],
    ['one of two keys of the batch', () => [lostClaim(`lost-${Date.now()}-b`), lostClaim(`lost-${Date.now()}-c`), { qty: 1 }]],
  ] as const)('fails the batch whole with a 503, never a 409, when it is %s', async (_case, members) => {
    const productId = await t.createProduct({ totalStock: 10 });
    await expect(createHoldsTogether(t.services.deps, productId, turnOf(members()))).rejects.toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(await t.db.hold.count({ where: { productId } })).toBe(0);
    expect(await availableInMysql(productId)).toBe(10);
  });
});

describe('the snapshot check before the line', () => {
  const countingSnapshotReads = () => {
    const productReader = t.services.deps.productReader;
    const reads = vi.fn();
    const batcher = createHoldBatcher({ ...t.services.deps, productReader: { ...productReader, get: (id: number) => (reads(id), productReader.get(id)) } });
    return { batcher, reads };
  };

  it('is skipped while this process\'s last batch left enough stock: the lock decides, one snapshot read in five holds', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const { batcher, reads } = countingSnapshotReads();
    for (let index = 0; index < 5; index += 1) await batcher.createHold({ productId, qty: 2 });
    expect(reads).toHaveBeenCalledTimes(1);
    expect(await availableInMysql(productId)).toBe(0);
  });

  it('refuses from the snapshot once the last batch left less than the request, without a transaction', async () => {
    const productId = await t.createProduct({ totalStock: 3 });
    const { batcher, reads } = countingSnapshotReads();
    await batcher.createHold({ productId, qty: 2 });
    const lock = await holdRowLock(t.db, 'products', productId);
    try {
      // The product is locked: only the snapshot can answer this one, and it does at once.
      await expect(batcher.createHold({ productId, qty: 2 })).rejects.toMatchObject({ code: 'insufficient_stock', details: { available_stock: 1 } });
    } finally {
      await lock.release();
    }
    expect(reads).toHaveBeenCalledTimes(2);
    // What the last batch left (1) still covers a request of 1: it goes to the lock, which grants.
    await batcher.createHold({ productId, qty: 1 });
    expect(reads).toHaveBeenCalledTimes(2);
    expect(await availableInMysql(productId)).toBe(0);
  });
});

describe('a batch whose transaction fails', () => {
  it('answers 503 to every member, and leaves nothing of it in MySQL or Redis, where the cached snapshot stays', async () => {
    const productId = await t.createProduct({ totalStock: 50 });
    const jobsBefore = await t.queue('hold-expiry').getJobCounts('delayed', 'waiting');
    const { proxy, url: viaProxy } = await CuttableProxy.inFrontOf(t.config.databaseUrl);
    const db = createDb(viaProxy);
    await db.$queryRaw`SELECT 1`; // the batcher's pool is open before the lock is taken
    const lock = await holdRowLock(t.db, 'products', productId);
    try {
      const batcher = createHoldBatcher({ ...t.services.deps, db });
      const members = Array.from({ length: 10 }, () => batcher.createHold({ productId, qty: 1 }).then(() => 'granted', (error: { code?: string }) => error.code));
      // Their transaction is in MySQL, waiting for the product's lock, when MySQL goes away.
      await vi.waitFor(async () => expect(await waitingOnLock()).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 100 });
      await proxy.down();
      expect(await Promise.all(members)).toEqual(Array(10).fill('service_unavailable'));
    } finally {
      await lock.release();
      await db.$disconnect().catch(() => undefined);
      await proxy.down();
    }
    expect(await t.db.hold.count({ where: { productId } })).toBe(0);
    expect(await availableInMysql(productId)).toBe(50);
    expect(await t.queue('hold-expiry').getJobCounts('delayed', 'waiting')).toEqual(jobsBefore);
    // Nothing changed, so the snapshot the batcher's check cached stays: reads are still served.
    const cached = await t.redis.hget(`${t.config.redisKeyPrefix}:product:${productId}`, 'd');
    expect(cached && JSON.parse(cached).availableStock).toBe(50);
  });
});

describe('hold ids', () => {
  it("a fresh process's first batches reserve their ids before they open a transaction: two products on a pool of two connections all succeed", async () => {
    const url = new URL(t.config.databaseUrl);
    url.searchParams.set('connection_limit', '2');
    const db = createDb(url.toString());
    try {
      // A process that has no ids yet, as after a start: had the batches waited for a block
      // inside their transactions, the two connections would be theirs and the reservation would
      // wait for the pool's bound (5 s), then fail them all.
      const deps = { ...t.services.deps, db, holdIds: createHoldIdAllocator(db, { logger: t.services.deps.logger }) };
      const products = [await t.createProduct({ totalStock: 10 }), await t.createProduct({ totalStock: 10 })];
      const startedAt = performance.now();
      const batches = await Promise.all(products.flatMap((productId) => [turnOf([{ qty: 1 }, { qty: 2 }]), turnOf([{ qty: 3 }])].map((turn) => createHoldsTogether(deps, productId, turn))));
      expect(batches.flat().map((result) => result.ok)).toEqual([true, true, true, true, true, true]);
      expect(performance.now() - startedAt).toBeLessThan(4_000);
      for (const productId of products) expect(await availableInMysql(productId)).toBe(4);
    } finally {
      await db.$disconnect();
    }
  });

  it('an id found taken (a block reserved twice, as after a failover that lost writes): the batch inserts again under a new block, in the same transaction', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const first = { ...t.services.deps, holdIds: createHoldIdAllocator(t.db, { logger: t.services.deps.logger, blockSize: 10 }) };
    const [taken] = await createHoldsTogether(first, productId, turnOf([{ qty: 1 }]));
    expect(taken).toMatchObject({ ok: true });
    const takenId = taken!.ok ? taken!.value.id : 0;
    // The failover: the sequence is back where it was, so the next process is given that id again.
    await t.db.idSequence.update({ where: { name: 'holds' }, data: { nextId: takenId } });
    const second = { ...t.services.deps, holdIds: createHoldIdAllocator(t.db, { logger: t.services.deps.logger, blockSize: 10 }) };

    const results = await createHoldsTogether(second, productId, turnOf([{ qty: 2 }, { qty: 3 }]));
    expect(results.map((result) => result.ok)).toEqual([true, true]);
    const ids = results.map((result) => (result.ok ? result.value.id : 0));
    // Not from the block that was reserved twice, but from the one after it.
    expect(ids.every((id) => id >= takenId + 10)).toBe(true);
    for (const [index, id] of ids.entries()) expect((await t.db.hold.findUniqueOrThrow({ where: { id } })).qty).toBe([2, 3][index]);
    expect(await t.db.hold.count({ where: { productId } })).toBe(3);
    expect(await availableInMysql(productId)).toBe(4);
    // The expiry jobs are the committed holds', and the first hold's job is untouched.
    for (const id of ids) expect((await t.queue('hold-expiry').getJob(`hold-${id}`))?.data).toEqual({ holdId: id });
    expect((await t.queue('hold-expiry').getJob(`hold-${takenId}`))?.data).toEqual({ holdId: takenId });
    expect(t.logs.some((line) => String(line.msg).startsWith('a hold id handed out here was taken already'))).toBe(true);
  });
});

describe("a batch's expiry jobs", () => {
  // A small batch's jobs leave with its INSERT, a big one's with its COMMIT (create-hold.ts,
  // sendWithStatement): stalled there, MySQL has not answered it, and the jobs are in Redis.
  it.each([
    { holds: 1, statement: 'INSERT INTO holds' },
    { holds: 33, statement: 'COMMIT' },
  ])('leave before the commit: a batch of $holds holds has its jobs in Redis while its $statement has no answer, each due at its hold\'s expires_at', async ({ holds, statement }) => {
    const productId = await t.createProduct({ totalStock: 100 });
    const delayedHoldIds = async () => (await t.queue('hold-expiry').getJobs('delayed')).map((job) => job.data.holdId as number);
    const before = new Set(await delayedHoldIds());
    const { proxy, url: viaProxy } = await CuttableProxy.inFrontOf(t.config.databaseUrl);
    const db = createDb(viaProxy);
    try {
      await db.$queryRaw`SELECT 1`;
      const stalled = proxy.stallOn(`\u0003${statement}`);
      const batch = createHoldsTogether({ ...t.services.deps, db }, productId, turnOf(Array.from({ length: holds }, () => ({ qty: 2 }))));
      await stalled;
      const sent = await vi.waitFor(async () => {
        const added = (await delayedHoldIds()).filter((holdId) => !before.has(holdId));
        expect(added).toHaveLength(holds);
        return added;
      }, { timeout: 5_000, interval: 50 });
      expect(await t.db.hold.count({ where: { productId } })).toBe(0);
      proxy.endStall('deliver');
      const created = (await batch).map((result) => (result.ok ? result.value : undefined));
      expect(sent.sort((a, b) => a - b)).toEqual(created.map((hold) => hold!.id).sort((a, b) => a - b));
      for (const hold of created) {
        const job = await t.queue('hold-expiry').getJob(`hold-${hold!.id}`);
        expect(job?.data).toEqual({ holdId: hold!.id });
        expect(Math.abs(job!.timestamp + job!.delay - hold!.expiresAt.getTime())).toBeLessThan(1_000);
      }
    } finally {
      await db.$disconnect().catch(() => undefined);
      await proxy.down();
    }
  });

  it('are withdrawn when the attempt they left with is rolled back and the batch run again: the jobs left are those of the holds that committed', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    // The first attempt fails as a deadlock victim once its work is done and its jobs are in
    // Redis (as a COMMIT refused by a replicated cluster's certification would), so it is rolled
    // back and run again.
    let refusals = 1;
    let rolledBack: number[] = [];
    const db = withTransactionsThrough(async (tx, work) => {
      const result = await work(tx);
      if (refusals-- > 0) {
        rolledBack = (await tx.hold.findMany({ where: { productId }, select: { id: true } })).map((hold) => hold.id);
        await vi.waitFor(async () => {
          for (const holdId of rolledBack) expect(await t.queue('hold-expiry').getJob(`hold-${holdId}`)).toBeDefined();
        }, { timeout: 5_000, interval: 20 });
        throw Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });
      }
      return result;
    });
    const results = await createHoldsTogether({ ...t.services.deps, db }, productId, turnOf([{ qty: 1 }, { qty: 2 }]));
    expect(refusals).toBe(-1);
    const committed = results.map((result) => (result.ok ? result.value.id : 0));
    expect(await t.db.hold.findMany({ where: { productId }, select: { id: true }, orderBy: { id: 'asc' } })).toEqual(committed.map((id) => ({ id })));
    expect(rolledBack).toHaveLength(2);
    expect(rolledBack.filter((id) => committed.includes(id))).toEqual([]);
    await vi.waitFor(async () => {
      for (const holdId of rolledBack) expect(await t.queue('hold-expiry').getJob(`hold-${holdId}`)).toBeUndefined();
    }, { timeout: 5_000, interval: 50 });
    for (const holdId of committed) expect((await t.queue('hold-expiry').getJob(`hold-${holdId}`))?.data).toEqual({ holdId });
  });
});

describe("a batch whose product UPDATE fails while its INSERT waits for ids", () => {
  it('ends only once the INSERT has gone too: the jobs it sent are withdrawn with the attempt, none left in Redis', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const allocator = createHoldIdAllocator(t.db, { logger: t.services.deps.logger });
    await allocator.ready();
    let taken: number[] = [];
    let updateFailed!: () => void;
    const failure = new Promise<void>((resolve) => (updateFailed = resolve));
    // The ids come only after the UPDATE has failed, as when the process ran short of ids and
    // its reservation was slow. A timed wait, not a condition: once the UPDATE has failed, a
    // batch that ends without its INSERT does so at once, and the correct one does nothing
    // observable until the ids come.
    const holdIds = { ...allocator, take: async (count: number) => {
      await failure;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (taken = await allocator.take(count));
    } };
    const db = withTransactionsThrough((tx, work) => work(new Proxy(tx, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== '$executeRaw') return typeof value === 'function' ? value.bind(target) : value;
        return (strings: TemplateStringsArray, ...values: unknown[]) => {
          if (!strings[0]!.trim().startsWith('UPDATE products')) return value.call(target, strings, ...values);
          updateFailed();
          return Promise.reject(new Error('The UPDATE failed (injected).'));
        };
      },
    })));
    await expect(createHoldsTogether({ ...t.services.deps, db, holdIds }, productId, turnOf([{ qty: 1 }, { qty: 2 }]))).rejects.toThrow('injected');
    expect(taken).toHaveLength(2);
    expect(await t.db.hold.count({ where: { productId } })).toBe(0);
    expect(await availableInMysql(productId)).toBe(10);
    await vi.waitFor(async () => {
      expect(t.logs.some((line) => String(line.msg).startsWith('hold batch rolled back') && String((line as { holdIds?: number[] }).holdIds) === String(taken))).toBe(true);
      for (const holdId of taken) expect(await t.queue('hold-expiry').getJob(`hold-${holdId}`)).toBeUndefined();
    }, { timeout: 5_000, interval: 50 });
  });
});

/** t.db, with each interactive transaction's work run through `run` (to fail it, or its statements). */
function withTransactionsThrough(run: (tx: Tx, work: (tx: Tx) => Promise<unknown>) => Promise<unknown>): typeof t.db {
  return new Proxy(t.db, {
    get(target, property) {
      if (property === '$transaction') {
        return (work: (tx: Tx) => Promise<unknown>, options: object) => target.$transaction((tx) => run(tx, work), options);
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Transactions waiting for a row lock (server-wide: another test file's wait could count too,
 * and then MySQL goes away a moment earlier, before the batch's BEGIN: the outcome asserted is
 * the same, every member a 503 and nothing written).
 */
async function waitingOnLock(): Promise<number> {
  const rows = await t.db.$queryRaw<{ waiting: bigint }[]>`
    SELECT COUNT(*) AS waiting FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'`;
  return Number(rows[0]?.waiting ?? 0);
}

describe('two api processes on one product', () => {
  const apis: ServiceProcess[] = [];
  afterAll(() => {
    for (const api of apis) if (api.child.exitCode === null) api.child.kill('SIGKILL');
  });

  it('stock 100, 1,000 parallel holds across both: exactly 100 units granted, ledger exact in MySQL and in the cache', async () => {
    const env = { NODE_ENV: 'test', DATABASE_URL: t.config.databaseUrl, REDIS_URL: t.config.redisUrl, REDIS_KEY_PREFIX: t.config.redisKeyPrefix, HOST: '127.0.0.1', PORT: '0' };
    for (let index = 0; index < 2; index += 1) {
      apis.push(await spawnService({ entry: serviceEntry.api, env, ready: (line) => String(line.msg).startsWith('Server listening') }));
    }
    const urls = apis.map((api) => String(api.lines.find((line) => String(line.msg).startsWith('Server listening'))!.msg).replace('Server listening at ', ''));
    const productId = await t.createProduct({ totalStock: 100 });
    const responses = await Promise.all(
      Array.from({ length: 1_000 }, (_, index) => request(urls[index % 2]!, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } })),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(100);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(900);
    expect(new Set(responses.filter((response) => response.status === 201).map((response) => response.body.hold_id)).size).toBe(100);
    expect(await availableInMysql(productId)).toBe(0);
    expect(await t.db.hold.count({ where: { productId, status: 'active' } })).toBe(100);
    for (const url of urls) expect((await request(url, 'GET', `/api/products/${productId}`)).body.available_stock).toBe(0);
    for (const api of apis) api.child.kill('SIGTERM');
    for (const api of apis) expect((await api.exited)[0]).toBe(0);
  }, 60_000);
});
