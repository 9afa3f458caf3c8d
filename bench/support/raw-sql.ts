import mariadb from 'mariadb';
import { parseDatabaseUrl } from '@flash-sale/db';

export interface RawResult {
  holdsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The plain SQL a hold wraps, on the bare mariadb driver (no ORM, no HTTP), `clients` loops on
 * one product for `seconds`: the baseline every hold figure is compared with, measured in the
 * same run on the same MariaDB.
 */
export async function rawSqlHolds(databaseUrl: string, productId: number, options: { clients: number; seconds: number; conditional: boolean; holdIds: { first: number; count: number } }): Promise<RawResult> {
  const target = parseDatabaseUrl(databaseUrl);
  const pool = mariadb.createPool({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database, connectionLimit: options.clients });
  // Hold ids are named by whoever inserts (packages/checkout/src/holds/hold-ids.ts): the caller
  // reserved a block for the run before the clock starts, as the api reserves its blocks ahead.
  let nextHoldId = options.holdIds.first;
  // Checked before each INSERT: an id past the block may be one the api's next block hands out.
  const takeHoldId = () => {
    if (nextHoldId >= options.holdIds.first + options.holdIds.count) throw new Error('The raw SQL baseline used up the hold ids reserved for it.');
    return nextHoldId++;
  };
  const latencies: number[] = [];
  const until = Date.now() + options.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      const connection = await pool.getConnection();
      try {
        while (Date.now() < until) {
          const t0 = performance.now();
          await connection.beginTransaction();
          if (options.conditional) {
            const updated = await connection.query('UPDATE products SET available_stock = available_stock - 1, stock_version = stock_version + 1 WHERE id = ? AND available_stock >= 1', [productId]);
            if (updated.affectedRows === 1) await connection.query("INSERT INTO holds (id, product_id, qty, status, expires_at, created_at, updated_at) VALUES (?, ?, 1, 'active', NOW(3) + INTERVAL 1 HOUR, NOW(3), NOW(3))", [takeHoldId(), productId]);
          } else {
            const [product] = await connection.query('SELECT available_stock FROM products WHERE id = ? FOR UPDATE', [productId]);
            if (product.available_stock >= 1) {
              await connection.query('UPDATE products SET available_stock = available_stock - 1, stock_version = stock_version + 1 WHERE id = ?', [productId]);
              await connection.query("INSERT INTO holds (id, product_id, qty, status, expires_at, created_at, updated_at) VALUES (?, ?, 1, 'active', NOW(3) + INTERVAL 1 HOUR, NOW(3), NOW(3))", [takeHoldId(), productId]);
            }
          }
          await connection.commit();
          latencies.push(performance.now() - t0);
        }
      } finally {
        await connection.release();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { holdsPerSecond: latencies.length / seconds, p50Ms: pct(50), p99Ms: pct(99) };
}
