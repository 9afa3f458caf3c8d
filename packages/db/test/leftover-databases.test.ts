import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, dropLeftoverTestDatabases, TEST_DATABASE_PREFIX, withServerConnection } from '@flash-sale/testing';

const stamp = (ms: number) => ms.toString(36);
const old = `${TEST_DATABASE_PREFIX}${stamp(Date.now() - 2 * 3600_000)}_leftover`;
const young = `${TEST_DATABASE_PREFIX}${stamp(Date.now())}_running`;
afterAll(() => dropDatabases([old, young]));

const exists = (name: string) =>
  withServerConnection(async (connection) => (await connection.query<unknown[]>('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [name])).length === 1);

describe('sweeping leftover test databases', () => {
  it('drops old ones and keeps those of a run that may be going on now', async () => {
    await withServerConnection(async (connection) => {
      for (const name of [old, young]) await connection.query(`CREATE DATABASE ${connection.escapeId(name)}`);
    });
    await dropLeftoverTestDatabases();
    expect(await exists(old)).toBe(false);
    expect(await exists(young)).toBe(true);
  });
});
