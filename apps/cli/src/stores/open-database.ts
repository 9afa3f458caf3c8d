import type { Config } from '@flash-sale/config';
import type { Db } from '@flash-sale/db';
import { usageError } from '../exit-codes.ts';
import { REACH_DEADLINE_MS, reachDatabase, reasonOf, unreachable } from './reachability.ts';
import { probeTcp } from './tcp-probe.ts';

// @flash-sale/db is imported on demand: Prisma costs a second of start-up that the queue
// commands should not pay.

/** Prisma on the services' DATABASE_URL, checked to answer. */
export async function openDatabase(config: Config, register: (close: () => Promise<void>) => void): Promise<Db> {
  await probeDatabase(config.databaseUrl);
  const { createDb, pingDatabase } = await import('@flash-sale/db');
  const db = createDb(config.databaseUrl);
  register(() => db.$disconnect());
  await reachDatabase(() => pingDatabase(db), config.databaseUrl);
  return db;
}

/** Fails fast (exit 3) when nothing listens at the DATABASE_URL's host and port. */
export async function probeDatabase(databaseUrl: string): Promise<void> {
  const { parseDatabaseUrl } = await import('@flash-sale/db');
  let target: { host: string; port: number };
  try {
    target = parseDatabaseUrl(databaseUrl);
  } catch (error) {
    const reason = reasonOf(error);
    throw usageError(reason.includes('DATABASE_URL') ? reason : `DATABASE_URL: ${reason}`);
  }
  await probeTcp(target.host, target.port, REACH_DEADLINE_MS).catch((error: unknown) => {
    throw unreachable('MySQL', databaseUrl, reasonOf(error));
  });
}
