import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from './generated/prisma/client.ts';
import { parseDatabaseUrl, toPoolConfig } from './connection-options.ts';

export type Db = PrismaClient;
/** The client handed to an interactive transaction's callback. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
/** Either: for reads that may run inside or outside a transaction. */
export type DbOrTx = Db | Tx;

export function createDb(databaseUrl: string): Db {
  const adapter = new PrismaMariaDb(toPoolConfig(parseDatabaseUrl(databaseUrl)), { useTextProtocol: true });
  return new PrismaClient({ adapter });
}
