// applyMigrations against the real server: Prisma's bookkeeping table, idempotent re-runs, the
// refusals (changed file, unresolved failure) and the advisory lock under concurrent runs.
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, MigrationError } from '../src/index.ts';
import { dropDatabases, rejectionOf, TEST_DATABASE_PREFIX, testDatabaseUrl, uniqueName, withServerConnection } from '@flash-sale/testing';

const repoMigrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
const migrationNames = readdirSync(repoMigrationsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const INIT = '20261121000000_init';
// Tables the init migration creates; later migrations may add more.
const INIT_TABLES = ['holds', 'idempotency_keys', 'orders', 'payment_events', 'products'];
// Migrations the tests add to a private copy sort after every real one.

const createdDatabases: string[] = [];
const createdDirs: string[] = [];

afterAll(async () => {
  await dropDatabases(createdDatabases);
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
});

function newDatabase(): { name: string; url: string } {
  const name = uniqueName(TEST_DATABASE_PREFIX);
  createdDatabases.push(name);
  return { name, url: testDatabaseUrl(name) };
}

/** A private copy of prisma/migrations that a test may edit. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-test-migrations-'));
  createdDirs.push(dir);
  cpSync(repoMigrationsDir, dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}

function sha256Hex(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

async function migrationRows(database: string): Promise<MigrationRow[]> {
  const rows = await withServerConnection((connection) =>
    connection.query<MigrationRow[]>(
      `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
         FROM ${connection.escapeId(database)}._prisma_migrations ORDER BY started_at, migration_name`,
    ),
  );
  return rows.map((row) => ({ ...row, applied_steps_count: Number(row.applied_steps_count) }));
}

async function tablesOf(database: string): Promise<string[]> {
  const rows = await withServerConnection((connection) =>
    connection.query<{ name: string }[]>(
      'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [database],
    ),
  );
  return rows.map((row) => row.name);
}

describe('applyMigrations', () => {
  it('applies the init migration to a new database and records it the way Prisma does', async () => {
    expect(migrationNames[0]).toBe(INIT);
    const { name, url } = newDatabase();
    const infos: unknown[] = [];
    const report = await applyMigrations({ databaseUrl: url, logger: { info: (...args: unknown[]) => infos.push(args), warn: () => {} } });

    expect(report).toEqual({ database: name, applied: migrationNames, alreadyApplied: [] });
    expect(infos).toHaveLength(migrationNames.length);
    expect(await tablesOf(name)).toEqual(expect.arrayContaining(['_prisma_migrations', ...INIT_TABLES]));

    const rows = await migrationRows(name);
    expect(rows.map((row) => row.migration_name)).toEqual(migrationNames);
    const row = rows[0]!;
    expect(row.migration_name).toBe(INIT);
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(row.checksum).toBe(sha256Hex(join(repoMigrationsDir, INIT, 'migration.sql')));
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    expect(row.applied_steps_count).toBe(1);
    expect(row.rolled_back_at).toBeNull();
    expect(row.logs).toBeNull();

    // Prisma's own table, column for column (prisma-engines: mysql `CREATE TABLE _prisma_migrations`).
    const columns = await withServerConnection((connection) =>
      connection.query<{ name: string; type: string; nullable: string; columnDefault: string | null; extra: string }[]>(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS columnDefault, EXTRA AS extra
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '_prisma_migrations' ORDER BY ORDINAL_POSITION`,
        [name],
      ),
    );
    // MariaDB reports "no default" on a nullable column as the string 'NULL', and int display widths.
    const normalized = columns.map((column) => ({
      name: column.name,
      type: column.type.replace(/^int\(\d+\)/, 'int'),
      nullable: column.nullable === 'YES',
      default: column.columnDefault === 'NULL' ? null : column.columnDefault,
      extra: column.extra,
    }));
    expect(normalized).toEqual([
      { name: 'id', type: 'varchar(36)', nullable: false, default: null, extra: '' },
      { name: 'checksum', type: 'varchar(64)', nullable: false, default: null, extra: '' },
      { name: 'finished_at', type: 'datetime(3)', nullable: true, default: null, extra: '' },
      { name: 'migration_name', type: 'varchar(255)', nullable: false, default: null, extra: '' },
      { name: 'logs', type: 'text', nullable: true, default: null, extra: '' },
      { name: 'rolled_back_at', type: 'datetime(3)', nullable: true, default: null, extra: '' },
      { name: 'started_at', type: 'datetime(3)', nullable: false, default: 'current_timestamp(3)', extra: '' },
      { name: 'applied_steps_count', type: 'int unsigned', nullable: false, default: '0', extra: '' },
    ]);
    const indexes = await withServerConnection((connection) =>
      connection.query<{ indexName: string; column: string; nonUnique: number | bigint }[]>(
        `SELECT INDEX_NAME AS indexName, COLUMN_NAME AS \`column\`, NON_UNIQUE AS nonUnique FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '_prisma_migrations' ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
        [name],
      ),
    );
    expect(indexes.map((index) => ({ ...index, nonUnique: Number(index.nonUnique) }))).toEqual([
      { indexName: 'PRIMARY', column: 'id', nonUnique: 0 },
    ]);
  });

  it('is a no-op when run again: nothing applied, nothing recorded, data untouched', async () => {
    const { name, url } = newDatabase();
    await applyMigrations({ databaseUrl: url });
    const before = await migrationRows(name);
    await withServerConnection((connection) =>
      connection.query(
        `INSERT INTO ${connection.escapeId(name)}.products (id, code, name, price, total_stock, available_stock, updated_at)
         VALUES (77, 'survivor', 'Survivor', 9.99, 5, 5, NOW(3))`,
      ),
    );

    const report = await applyMigrations({ databaseUrl: url });

    expect(report).toEqual({ database: name, applied: [], alreadyApplied: migrationNames });
    expect(await migrationRows(name)).toEqual(before);
    const products = await withServerConnection((connection) =>
      connection.query<{ id: number; code: string }[]>(`SELECT id, code FROM ${connection.escapeId(name)}.products`),
    );
    expect(products).toEqual([{ id: 77, code: 'survivor' }]);
  });

  it('refuses to run when an applied migration file was changed, and applies nothing else', async () => {
    const { name, url } = newDatabase();
    const dir = copyOfMigrations();
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    const before = await migrationRows(name);

    appendFileSync(join(dir, INIT, 'migration.sql'), '\n-- an innocent-looking edit\n');
    // A new migration next to the edit must not slip through either.
    addMigration(dir, '99990101000000_add_note', 'ALTER TABLE `products` ADD COLUMN `note` VARCHAR(32) NULL;\n');

    const error = await rejectionOf(applyMigrations({ databaseUrl: url, migrationsDir: dir }));
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toContain(INIT);
    expect(error.message).toMatch(/was modified after it was applied/);
    expect(await migrationRows(name)).toEqual(before);
    const noteColumns = await withServerConnection((connection) =>
      connection.query<unknown[]>(
        "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'products' AND COLUMN_NAME = 'note'",
        [name],
      ),
    );
    expect(noteColumns).toHaveLength(0);
  });

  it('accepts an applied file whose only change is CRLF instead of LF line endings, as Prisma does', async () => {
    const { name, url } = newDatabase();
    const dir = copyOfMigrations();
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    const before = await migrationRows(name);
    const file = join(dir, INIT, 'migration.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\r?\n/g, '\r\n'));

    const report = await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(report.applied).toEqual([]);
    expect(await migrationRows(name)).toEqual(before);
  });

  it('applies migrations added later, in name order, exactly once', async () => {
    const { name, url } = newDatabase();
    const dir = copyOfMigrations();
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });

    // The second depends on the first, so applying them out of order fails.
    addMigration(dir, '99990102000000_add_index_on_note', 'CREATE INDEX `products_note_idx` ON `products`(`note`);\n');
    addMigration(dir, '99990101000000_add_note', '-- AlterTable\nALTER TABLE `products` ADD COLUMN `note` VARCHAR(32) NULL;\n');

    const first = await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(first.applied).toEqual(['99990101000000_add_note', '99990102000000_add_index_on_note']);
    expect(first.alreadyApplied).toEqual(migrationNames);

    const again = await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual([...migrationNames, '99990101000000_add_note', '99990102000000_add_index_on_note']);

    const rows = await migrationRows(name);
    expect(rows.map((row) => row.migration_name).sort()).toEqual([...migrationNames, '99990101000000_add_note', '99990102000000_add_index_on_note']);
    for (const row of rows) {
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.checksum).toBe(sha256Hex(join(dir, row.migration_name, 'migration.sql')));
    }
    const byName = new Map(rows.map((row) => [row.migration_name, row]));
    expect(byName.get('99990102000000_add_index_on_note')!.started_at.getTime()).toBeGreaterThanOrEqual(
      byName.get('99990101000000_add_note')!.finished_at!.getTime(),
    );
  });

  it('records a failing migration and refuses to go on until it is resolved', async () => {
    const { name, url } = newDatabase();
    const dir = copyOfMigrations();
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });

    const broken = '99990101000000_broken';
    addMigration(dir, broken, 'CREATE TABLE `half_done` (`id` INTEGER NOT NULL);\nALTER TABLE `no_such_table` ADD COLUMN `x` INTEGER NULL;\n');
    const error = await rejectionOf(applyMigrations({ databaseUrl: url, migrationsDir: dir }));
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toContain(broken);
    expect(error.message).toMatch(/no_such_table/);

    const failed = (await migrationRows(name)).filter((row) => row.migration_name === broken);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.finished_at).toBeNull();
    expect(failed[0]!.rolled_back_at).toBeNull();
    expect(failed[0]!.applied_steps_count).toBe(0);
    expect(failed[0]!.logs).toMatch(/no_such_table/);

    // Blocked: neither the failed one nor a newer one runs while the failure is unresolved.
    addMigration(dir, '99990102000000_after', 'CREATE TABLE `after_broken` (`id` INTEGER NOT NULL);\n');
    const blocked = await rejectionOf(applyMigrations({ databaseUrl: url, migrationsDir: dir }));
    expect(blocked).toBeInstanceOf(MigrationError);
    expect(blocked.message).toContain(broken);
    expect(blocked.message).toMatch(/failed earlier and is not resolved/);
    const rowsWhileBlocked = await migrationRows(name);
    expect(rowsWhileBlocked.map((row) => row.migration_name).sort()).toEqual([...migrationNames, broken]);
    expect(await tablesOf(name)).not.toContain('after_broken');

    // Resolve it as `prisma migrate resolve --rolled-back` would, after cleaning up and fixing the file.
    await withServerConnection(async (connection) => {
      await connection.query(`DROP TABLE ${connection.escapeId(name)}.half_done`);
      await connection.query(`UPDATE ${connection.escapeId(name)}._prisma_migrations SET rolled_back_at = NOW(3) WHERE migration_name = ?`, [broken]);
    });
    writeFileSync(join(dir, broken, 'migration.sql'), 'CREATE TABLE `half_done` (`id` INTEGER NOT NULL);\n');

    const resumed = await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(resumed.applied).toEqual([broken, '99990102000000_after']);
    const brokenRows = (await migrationRows(name)).filter((row) => row.migration_name === broken);
    expect(brokenRows.map((row) => ({ finished: row.finished_at !== null, rolledBack: row.rolled_back_at !== null })).sort((a, b) => Number(a.finished) - Number(b.finished))).toEqual([
      { finished: false, rolledBack: true },
      { finished: true, rolledBack: false },
    ]);
    expect(await tablesOf(name)).toEqual(expect.arrayContaining(['half_done', 'after_broken']));
  });

  it('lets two concurrent runs on the same new database apply each migration exactly once', async () => {
    const { name, url } = newDatabase();

    const reports = await Promise.all([applyMigrations({ databaseUrl: url }), applyMigrations({ databaseUrl: url })]);

    // One run applied everything; the other waited on the lock and found it all recorded.
    expect(reports.map((report) => report.applied).sort((a, b) => a.length - b.length)).toEqual([[], migrationNames]);
    expect(reports.flatMap((report) => report.applied).filter((applied) => applied === INIT)).toHaveLength(1);
    expect(reports.flatMap((report) => report.alreadyApplied)).toEqual(migrationNames);
    const rows = await migrationRows(name);
    expect(rows.map((row) => row.migration_name).sort()).toEqual(migrationNames);
    expect(rows.every((row) => row.finished_at !== null && row.logs === null)).toBe(true);
    expect(await tablesOf(name)).toEqual(expect.arrayContaining(['_prisma_migrations', ...INIT_TABLES]));
  });
  it('upgrades a database that has holds: hold ids go on above every id AUTO_INCREMENT gave, and an INSERT that names none fails', async () => {
    const { name, url } = newDatabase();
    const holdIds = '20261203000000_hold_ids_in_blocks';
    const initOnly = copyOfMigrations();
    for (const later of migrationNames.filter((migration) => migration !== INIT)) rmSync(join(initOnly, later), { recursive: true });
    await applyMigrations({ databaseUrl: url, migrationsDir: initOnly });
    const db = (sql: string) => withServerConnection((connection) => connection.query(`USE ${connection.escapeId(name)}`).then(() => connection.query(sql)));
    await db("INSERT INTO products (id, code, name, price, total_stock, available_stock, updated_at) VALUES (1, 'UP-1', 'p', 1.00, 10, 7, NOW(3))");
    await db("INSERT INTO holds (product_id, qty, status, expires_at, updated_at) VALUES (1, 1, 'active', NOW(3), NOW(3)), (1, 1, 'used', NOW(3), NOW(3))");
    await db("INSERT INTO holds (id, product_id, qty, status, expires_at, updated_at) VALUES (77, 1, 1, 'used', NOW(3), NOW(3))");
    await db("INSERT INTO orders (hold_id, product_id, qty, amount, status, payment_due_at, updated_at) VALUES (77, 1, 1, 1.00, 'pending', NOW(3), NOW(3))");
    // A hold rolled back after AUTO_INCREMENT gave it 78: its expiry job may be out, so 78 is spent.
    await withServerConnection(async (connection) => {
      await connection.query(`USE ${connection.escapeId(name)}`);
      await connection.beginTransaction();
      await connection.query("INSERT INTO holds (product_id, qty, status, expires_at, updated_at) VALUES (1, 1, 'active', NOW(3), NOW(3))");
      await connection.rollback();
    });

    const report = await applyMigrations({ databaseUrl: url });

    expect(report.applied).toContain(holdIds);
    expect(await db("SELECT name, next_id FROM id_sequences")).toEqual([{ name: 'holds', next_id: 79 }]);
    const [idColumn] = await db("SELECT EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'holds' AND COLUMN_NAME = 'id'");
    expect(idColumn).toEqual({ extra: '' });
    // The order's hold is still referenced by the foreign key, which refuses a hold that is not there.
    expect(await rejectionOf(db("INSERT INTO orders (hold_id, product_id, qty, amount, status, payment_due_at, updated_at) VALUES (999, 1, 1, 1.00, 'pending', NOW(3), NOW(3))"))).toMatchObject({ errno: 1452 });
    expect(await rejectionOf(db("INSERT INTO holds (product_id, qty, status, expires_at, updated_at) VALUES (1, 1, 'active', NOW(3), NOW(3))"))).toMatchObject({ errno: 1364 });
  });
});
