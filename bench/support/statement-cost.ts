import mariadb from 'mariadb';
import { createDb, parseDatabaseUrl } from '@flash-sale/db';

/**
 * What one statement under the hot product's lock costs: the same UPDATE, one after another,
 * inside one Prisma interactive transaction (as a hold batch sends its statements) and inside one
 * transaction on the bare driver. A batch holds the lock across three of them (UPDATE and INSERT,
 * sent together, then COMMIT), so this gap is what the api pays over the raw SQL per batch, before
 * any HTTP. One client, no contention: the figure is the ORM's own cost, not a queue.
 */
export async function statementCost(databaseUrl: string, productId: number, statements = 2_000): Promise<{ prismaUs: number; driverUs: number }> {
  const db = createDb(databaseUrl);
  const target = parseDatabaseUrl(databaseUrl);
  const connection = await mariadb.createConnection({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database });
  try {
    // Once unmeasured: the first transaction pays for the pool's connections and Prisma's set-up.
    await db.$transaction(async (tx) => tx.$executeRaw`UPDATE products SET stock_version = stock_version + 1 WHERE id = ${productId}`);
    let started = performance.now();
    await db.$transaction(
      async (tx) => {
        for (let done = 0; done < statements; done += 1) await tx.$executeRaw`UPDATE products SET stock_version = stock_version + 1 WHERE id = ${productId}`;
      },
      { timeout: 60_000 },
    );
    const prismaUs = ((performance.now() - started) * 1000) / statements;
    started = performance.now();
    await connection.beginTransaction();
    for (let done = 0; done < statements; done += 1) await connection.query('UPDATE products SET stock_version = stock_version + 1 WHERE id = ?', [productId]);
    await connection.commit();
    const driverUs = ((performance.now() - started) * 1000) / statements;
    return { prismaUs, driverUs };
  } finally {
    await connection.end();
    await db.$disconnect();
  }
}
