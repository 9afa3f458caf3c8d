// Test fixtures: every test file gets its own freshly migrated database on the real server.
import mariadb from 'mariadb';
import { applyMigrations, createDb, parseDatabaseUrl, type Db } from '@flash-sale/db';
import { createdAtOf, uniqueName } from './stamped-names.ts';

export const TEST_DATABASE_PREFIX = 'fs_test_';

export function serverUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/flash_sale_test';
}

export function testDatabaseUrl(database: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** A new database with every migration applied, and a Prisma client on it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = uniqueName(TEST_DATABASE_PREFIX);
  const url = testDatabaseUrl(name);
  await applyMigrations({ databaseUrl: url });
  const db = createDb(url);
  return {
    name,
    url,
    db,
    async drop() {
      await db.$disconnect();
      await dropDatabases([name]);
    },
  };
}

export async function withServerConnection<T>(work: (connection: mariadb.Connection) => Promise<T>): Promise<T> {
  const target = parseDatabaseUrl(serverUrl());
  const connection = await mariadb.createConnection({ host: target.host, port: target.port, user: target.user, password: target.password });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

export async function dropDatabases(names: string[]): Promise<void> {
  await withServerConnection(async (connection) => {
    for (const name of names) await connection.query(`DROP DATABASE IF EXISTS ${connection.escapeId(name)}`);
  });
}

/**
 * Drops databases left by test runs that were killed before their cleanup ran. Only old ones: a
 * young database may belong to another run going on right now on the same server.
 */
export async function dropLeftoverTestDatabases(olderThanMs = 30 * 60_000): Promise<void> {
  const rows = await withServerConnection((connection) =>
    connection.query<{ name: string }[]>('SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?', [`${TEST_DATABASE_PREFIX}%`]),
  );
  const cutoff = Date.now() - olderThanMs;
  await dropDatabases(rows.map((row) => row.name).filter((name) => !(createdAtOf(name, TEST_DATABASE_PREFIX) >= cutoff)));
}
