import { randomUUID } from 'node:crypto';
import mariadb from 'mariadb';
import type { Logger } from '@flash-sale/logger';
import { parseDatabaseUrl } from '../connection-options.ts';
import { defaultMigrationsDir, readMigrationFiles, type MigrationFile } from './migration-files.ts';

// Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native schema
// engine (which cannot be downloaded here), and records them in Prisma's own `_prisma_migrations`
// table with the same columns, checksums and lock, so `prisma migrate status`/`deploy` agree
// wherever the engine exists. Read from prisma-engines: sql_migration_persistence.rs,
// checksum.rs, apply_migrations.rs.

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationReport {
  database: string;
  applied: string[];
  alreadyApplied: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

const CREATE_BOOKKEEPING_TABLE = `
CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;

// Prisma's advisory lock: two runs at once (ours or Prisma's) take turns, and the second finds
// the first's migrations already recorded.
const LOCK_NAME = 'prisma_migrate';
const LOCK_WAIT_SECONDS = 30;

export async function applyMigrations(options: {
  databaseUrl: string;
  migrationsDir?: string;
  logger?: Pick<Logger, 'info' | 'warn'>;
}): Promise<MigrationReport> {
  const target = parseDatabaseUrl(options.databaseUrl);
  const files = readMigrationFiles(options.migrationsDir ?? defaultMigrationsDir());
  const connection = await mariadb.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    multipleStatements: true,
    connectTimeout: 5_000,
  });
  try {
    const database = connection.escapeId(target.database);
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await connection.query(`USE ${database}`);
    const [lock] = await connection.query<{ got: number | bigint | null }[]>('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_WAIT_SECONDS]);
    if (Number(lock?.got) !== 1) {
      throw new MigrationError(`Another migration run has held the '${LOCK_NAME}' lock for ${LOCK_WAIT_SECONDS} s; try again when it ends.`);
    }
    try {
      await connection.query(CREATE_BOOKKEEPING_TABLE);
      const rows = await connection.query<AppliedRow[]>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
      );
      const pending = pendingMigrations(files, rows, options.logger);
      for (const file of pending) {
        await applyOne(connection, file);
        options.logger?.info({ migration: file.name, database: target.database }, 'migration applied');
      }
      return {
        database: target.database,
        applied: pending.map((file) => file.name),
        alreadyApplied: files.filter((file) => !pending.includes(file)).map((file) => file.name),
      };
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    }
  } finally {
    await connection.end();
  }
}

function pendingMigrations(files: MigrationFile[], rows: AppliedRow[], logger?: Pick<Logger, 'warn'>): MigrationFile[] {
  const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration ${failed.migration_name} failed earlier and is not resolved (see _prisma_migrations.logs). ` +
        'Fix the database, then mark it rolled back or applied (prisma migrate resolve) before applying more.',
    );
  }
  const applied = new Map(rows.filter((row) => row.finished_at !== null && row.rolled_back_at === null).map((row) => [row.migration_name, row]));
  for (const [name, row] of applied) {
    const file = files.find((candidate) => candidate.name === name);
    if (!file) {
      logger?.warn({ migration: name }, 'a migration recorded as applied is missing from prisma/migrations');
    } else if (!file.equivalentChecksums.includes(row.checksum)) {
      throw new MigrationError(
        `Migration ${name} was modified after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ` +
          `${file.checksum.slice(0, 12)}… on disk). Restore the applied file and put new changes in a new migration.`,
      );
    }
  }
  return files.filter((file) => !applied.has(file.name));
}

async function applyOne(connection: mariadb.Connection, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  await connection.query(
    'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, NOW(3), 0)',
    [id, file.checksum, file.name],
  );
  try {
    // MySQL commits each DDL statement on its own, so a migration is not atomic (as with
    // Prisma); a failure is recorded and blocks further runs until someone resolves it.
    if (file.sql.trim()) await connection.query(file.sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await connection.query('UPDATE _prisma_migrations SET logs = ? WHERE id = ?', [message, id]);
    throw new MigrationError(`Migration ${file.name} failed: ${message}`);
  }
  await connection.query('UPDATE _prisma_migrations SET finished_at = NOW(3), applied_steps_count = applied_steps_count + 1 WHERE id = ?', [id]);
}
