import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from './generated/prisma/client.ts';
import { parseDatabaseUrl, toPoolConfig } from './connection-options.ts';
import { failFastWhenUnreachable, type AvailabilityListener } from './fail-fast-adapter.ts';

export type Db = PrismaClient;
/** The client handed to an interactive transaction's callback. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
/** Either: for reads that may run inside or outside a transaction. */
export type DbOrTx = Db | Tx;

/**
 * A Prisma client on a mariadb pool. A statement that MySQL leaves unanswered for `noAnswerMs`
 * (default NO_ANSWER_MS, 12 s, while MySQL answers nothing else) fails as a 503; while MySQL refuses connections or leaves them
 * unanswered, calls fail at once (one per second still tries) instead of each waiting out the
 * pool's acquire timeout or the hang; `onAvailabilityChange` hears when that starts and ends.
 */
export function createDb(databaseUrl: string, options: { onAvailabilityChange?: AvailabilityListener; noAnswerMs?: number } = {}): Db {
  const pool = new PrismaMariaDb(toPoolConfig(parseDatabaseUrl(databaseUrl)), { useTextProtocol: true });
  return new PrismaClient({ adapter: failFastWhenUnreachable(pool, options.onAvailabilityChange ?? (() => undefined), options.noAnswerMs) });
}

/** The cheapest statement MySQL answers: the store probe of readiness checks and start-up waits. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
