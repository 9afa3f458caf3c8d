import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, runScript, serviceEntry, TEST_DATABASE_PREFIX, testDatabaseUrl, uniqueName } from '@flash-sale/testing';

// `npm run db:migrate` and `npm run db:seed` read only DATABASE_URL and how to log: a bad value
// there is one line naming it (no stack trace), and nothing else they do not use is asked for.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const { dbMigrate: migrate, dbSeed: seed } = serviceEntry;
const created: string[] = [];
afterAll(async () => dropDatabases(created));

const run = (entry: string, env: Record<string, string>) =>
  runScript({ entry, args: [], cwd: root, env: { ...process.env, LOG_FORMAT: 'json', PAYMENT_WEBHOOK_SECRET: '', NODE_ENV: '', ...env } });

describe('db:migrate and db:seed configuration', () => {
  it('refuse a bad DATABASE_URL with one line naming it, and exit 1', async () => {
    for (const entry of [migrate, seed]) {
      const result = await run(entry, { DATABASE_URL: 'postgres://nope' });
      expect(result.status).toBe(1);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'fatal', msg: expect.stringMatching(/^Invalid configuration: DATABASE_URL/) });
      expect(result.stderr).toBe('');
    }
  });

  it('db:seed on a database that does not exist says so in one line and exits 1', async () => {
    const name = uniqueName(TEST_DATABASE_PREFIX);
    const result = await run(seed, { DATABASE_URL: testDatabaseUrl(name) });
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual(expect.objectContaining({ level: 'fatal', msg: `MySQL refuses the seed: database '${name}' does not exist on 127.0.0.1:3306 (npm run db:migrate creates it)` }));
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('err');
  }, 30_000);

  it('db:seed where nothing listens says so in one line at once and exits 1', async () => {
    const started = Date.now();
    const result = await run(seed, { DATABASE_URL: 'mysql://root@127.0.0.1:9/fs_nobody_listens' });
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual(expect.objectContaining({ level: 'fatal', msg: 'MySQL does not answer the seed: connect ECONNREFUSED 127.0.0.1:9' }));
    // Not the pool's 5 s acquire timeout: the refused port is known at once.
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 30_000);

  it('need no webhook secret, and ignore a bad one, even with NODE_ENV=production', async () => {
    const name = uniqueName(TEST_DATABASE_PREFIX);
    created.push(name);
    const env = { DATABASE_URL: testDatabaseUrl(name), NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: 'short', HOLD_TTL_SECONDS: '0' };
    const migrated = await run(migrate, env);
    expect(migrated.stderr).toBe('');
    expect(migrated.status).toBe(0);
    const seeded = await run(seed, env);
    expect(seeded.status).toBe(0);
    expect(seeded.stdout).toContain('demo products seeded');
  }, 60_000);
});
