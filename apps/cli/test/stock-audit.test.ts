import { createHold, reserveHoldIds, runIdempotent, type CheckoutDeps, type HoldView } from '@flash-sale/checkout';
import { Prisma } from '@flash-sale/db';
import { CuttableProxy, holdRowLock, startTestStores, type TestStores } from '@flash-sale/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectExitCode, runCli } from './support/run-cli.ts';

// audit over a database the domain filled (holds with their stock and expiry jobs, as the api's): clean, corrupted by hand, repaired by --fix; overdue
// holds; MySQL going away while --fix waits for a product's row lock. The first three run in
// order (each builds on the last); the last two bring their own data and run concurrently.

let t: TestStores;
let deps: CheckoutDeps;
let productId: number;
let holdIds: number[];

const availableInMysql = async () => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;

beforeAll(async () => {
  t = await startTestStores();
  deps = await t.domain();
  productId = await t.createProduct({ totalStock: 10 });
  await t.createProduct({ totalStock: 4 });
  holdIds = [];
  for (const qty of [2, 3]) holdIds.push((await createHold(deps, { productId, qty })).id);
});

afterAll(async () => {
  await t?.close();
});

describe('audit', () => {
  it('exits 0 on a consistent database, and --json parses', async () => {
    const json = await runCli(t.config, ['audit', '--json']);
    expectExitCode(json, 0);
    const audit = JSON.parse(json.stdout);
    expect(audit).toMatchObject({ ok: true, overdueHolds: [], holdsWithoutJob: [] });
    expect(audit.products).toContainEqual(
      expect.objectContaining({ productId, totalStock: 10, held: 5, ordered: 0, expected: 5, availableStock: 5, ok: true }),
    );
  });

  it('exits 1 on a corrupted available_stock; --fix restores it from the ledger; then audit exits 0', async () => {
    // Within 0..total_stock: the CHECK constraint would refuse anything else.
    await t.db.$executeRaw`UPDATE products SET available_stock = 8 WHERE id = ${productId}`;

    const found = await runCli(t.config, ['audit']);
    expectExitCode(found, 1);
    expect(found.stdout).toMatch(new RegExp(`│\\s+${productId}\\s+│\\s+TEST-1\\s+│\\s+10\\s+│\\s+5\\s+│\\s+0\\s+│\\s+5\\s+│\\s+8\\s+│\\s+MISMATCH\\s+│`));
    expect(found.stdout).toMatch(/│\s+TEST-2\s+│.*│\s+OK\s+│/);

    const fixed = await runCli(t.config, ['audit', '--fix']);
    expectExitCode(fixed, 0);
    expect(fixed.stdout).toContain(`fixed product ${productId} (TEST-1): available_stock 8 -> 5`);
    expect(await availableInMysql()).toBe(5);

    const after = await runCli(t.config, ['audit', '--json']);
    expectExitCode(after, 0);
    expect(JSON.parse(after.stdout).ok).toBe(true);
  });

  it('exits 1 for an active hold whose expiry job is gone, which --fix cannot repair', async () => {
    await t.queue('hold-expiry').remove(`hold-${holdIds[0]}`);
    // Old enough that its job should long exist (the audit leaves holds younger than 10 s alone).
    await t.db.$executeRaw`UPDATE holds SET created_at = NOW(3) - INTERVAL 1 MINUTE WHERE id = ${holdIds[0]!}`;
    const result = await runCli(t.config, ['audit', '--fix', '--json']);
    expectExitCode(result, 1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, holdsWithoutJob: [holdIds[0]], repairs: [] });
  });
});

describe.concurrent('audit: overdue holds', () => {
  it('exits 1 listing an active hold 2 minutes past expires_at; --overdue-after 600 no longer reports it', async () => {
    const holdId = (await createHold(deps, { productId, qty: 1 })).id;
    await t.db.$executeRaw`UPDATE holds SET expires_at = NOW(3) - INTERVAL 2 MINUTE WHERE id = ${holdId}`;
    try {
      const [overdue, lenient] = await Promise.all([
        runCli(t.config, ['audit', '--json']),
        runCli(t.config, ['audit', '--json', '--overdue-after', '600']),
      ]);
      expectExitCode(overdue, 1);
      expect(JSON.parse(overdue.stdout)).toMatchObject({ ok: false, overdueHolds: [{ holdId, productId, qty: 1 }] });

      const report = JSON.parse(lenient.stdout);
      expect(report.overdueHolds).toEqual([]);
      // Whatever else the file's other tests left behind is still reported, and only that.
      const otherFindings = report.holdsWithoutJob.length > 0 || report.products.some((product: { ok: boolean }) => !product.ok);
      expectExitCode(lenient, otherFindings ? 1 : 0);
    } finally {
      await t.db.$executeRaw`UPDATE holds SET expires_at = NOW(3) + INTERVAL 10 MINUTE WHERE id = ${holdId}`;
    }
  });
});

describe.concurrent('audit --fix when MySQL goes away', () => {
  it('exits 3 (not an unexpected failure) when the connection is lost while the repair waits for the row lock', async () => {
    const corrupted = await t.createProduct({ totalStock: 6 });
    await t.db.$executeRaw`UPDATE products SET available_stock = 4 WHERE id = ${corrupted}`;
    const { proxy, url: viaProxy } = await CuttableProxy.inFrontOf(t.config.databaseUrl);
    // The repair locks the product row first: held here, the CLI waits inside its transaction.
    const lock = await holdRowLock(t.db, 'products', corrupted);
    try {
      const running = runCli(t.config, ['audit', '--fix'], { DATABASE_URL: viaProxy });
      await vi.waitFor(
        async () => {
          const [waiting] = await t.db.$queryRaw<{ n: bigint }[]>`
            SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
            WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE '%FROM products WHERE id = % FOR UPDATE%'`;
          if (Number(waiting!.n) === 0) throw new Error('the repair is not waiting for the row lock yet');
        },
        { timeout: 20_000, interval: 100 },
      );
      await proxy.down();
      const result = await running;
      expectExitCode(result, 3);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('lost MySQL')]);
    } finally {
      await lock.release();
      await proxy.down();
      await t.db.$executeRaw`UPDATE products SET available_stock = total_stock WHERE id = ${corrupted}`;
    }
  });
});

describe.concurrent('audit: idempotency keys', () => {
  it('counts the stored keys and those past their 24 h, in the table and in --json, without calling them a finding', async () => {
    const key = `audit-idem-${Date.now()}`;
    const hold = await runIdempotent(
      deps,
      { scope: 'holds', key, body: { product_id: productId, qty: 1 } },
      (completion) => createHold(deps, { productId, qty: 1 }, { idempotency: completion }),
      (created: HoldView) => ({ status: 201, body: { hold_id: created.id } }),
    );
    expect(hold.status).toBe(201);
    const stored = await t.db.idempotencyKey.count();
    await t.db.idempotencyKey.updateMany({ where: { key }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    const [json, table] = await Promise.all([runCli(t.config, ['audit', '--json']), runCli(t.config, ['audit'])]);
    expect(JSON.parse(json.stdout).idempotencyKeys).toEqual({ stored, pastRetention: 1 });
    expect(table.stdout).toContain(`Idempotency keys: ${stored} stored, 1 past their 24 h`);
  });
});

describe('audit on a database of its own', () => {
  let own: TestStores;
  beforeAll(async () => {
    own = await startTestStores();
  });
  afterAll(async () => own?.close());

  it('--fix repairs what it can, and leaves a product whose ledger is outside 0..total_stock, saying so (exit 1)', async () => {
    const ownDeps = await own.domain();
    // More held than the total: a total_stock lowered by hand below what is already held.
    const overHeld = await own.createProduct({ totalStock: 5 });
    await createHold(ownDeps, { productId: overHeld, qty: 4 });
    await own.db.$executeRaw`UPDATE products SET total_stock = 2 WHERE id = ${overHeld}`;
    const corrupted = await own.createProduct({ totalStock: 6 });
    await own.db.$executeRaw`UPDATE products SET available_stock = 4 WHERE id = ${corrupted}`;

    const result = await runCli(own.config, ['audit', '--fix', '--json']);
    expectExitCode(result, 1);
    const { repairs } = JSON.parse(result.stdout);
    expect(repairs).toEqual(
      expect.arrayContaining([
        { productId: corrupted, code: expect.any(String), changed: true, before: 4, after: 6, refused: null },
        { productId: overHeld, code: expect.any(String), changed: false, before: 1, after: null, refused: expect.stringContaining('outside 0..2') },
      ]),
    );
    expect((await own.db.product.findUniqueOrThrow({ where: { id: corrupted } })).availableStock).toBe(6);
    expect((await own.db.product.findUniqueOrThrow({ where: { id: overHeld } })).availableStock).toBe(1);
    await own.db.$executeRaw`UPDATE products SET total_stock = 5 WHERE id = ${overHeld}`;
  });

  it('counts every overdue hold, and lists the first 1,000', async () => {
    const total = 1_005;
    const productId = await own.createProduct({ totalStock: 2_000 });
    const { first } = await reserveHoldIds(own.db, total);
    const rows = Array.from({ length: total }, (_, index) => Prisma.sql`(${first + index}, ${productId}, 1, 'active', NOW(3) - INTERVAL 1 HOUR, NOW(3) - INTERVAL 2 HOUR, NOW(3))`);
    await own.db.$executeRaw`INSERT INTO holds (id, product_id, qty, status, expires_at, created_at, updated_at) VALUES ${Prisma.join(rows)}`;
    await own.db.$executeRaw`UPDATE products SET available_stock = available_stock - ${total} WHERE id = ${productId}`;

    const [json, table] = await Promise.all([runCli(own.config, ['audit', '--json']), runCli(own.config, ['audit'])]);
    expectExitCode(json, 1);
    const audit = JSON.parse(json.stdout);
    expect({ count: audit.overdueHoldCount, listed: audit.overdueHolds.length }).toEqual({ count: total, listed: 1_000 });
    expect(table.stdout).toContain(`Overdue holds: ${total} active`);
    expect(table.stdout).toContain(`… and ${total - 50} more (--json lists the first 1000)`);
  });
});
