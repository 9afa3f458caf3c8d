import type { Redis } from 'ioredis';
import type { Logger } from '@flash-sale/logger';
import { shareWithinTurn } from '../batching/share-within-turn.ts';
import type { ProductSnapshot } from './product-snapshot.ts';

// Writes a snapshot only if it is newer than the one cached, atomically: two commits that
// write through out of order (v7 lands before v6) must leave v7 in the cache. An entry may be a
// version alone, with no snapshot (see DROP_UP_TO): then the snapshot of that same version may
// fill it (it is the same state), an older one may not.
const WRITE_IF_NEWER = `
local cached = redis.call('HGET', KEYS[1], 'v')
if cached then
  local version = tonumber(cached)
  if version > tonumber(ARGV[1]) then return 0 end
  if version == tonumber(ARGV[1]) and redis.call('HEXISTS', KEYS[1], 'd') == 1 then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

// After a write-through that failed (it may or may not have landed): drops any snapshot older
// than that change but keeps its version, so reads miss and go to MySQL, and an older snapshot
// still on its way (another process's, slower) is refused instead of landing on an empty key.
// A plain DEL would have let it land, and stay until the product's next change.
const DROP_UP_TO = `
local cached = redis.call('HGET', KEYS[1], 'v')
if cached and tonumber(cached) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1])
redis.call('HDEL', KEYS[1], 'd')
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;

export interface ProductCache {
  /** The cached snapshot, undefined on a miss. Throws when Redis is unreachable. */
  get(productId: number): Promise<ProductSnapshot | undefined>;
  /** Caches the snapshot unless a newer one is there. Never throws: a failure is logged. */
  writeThrough(snapshot: ProductSnapshot): Promise<void>;
  /**
   * Drops the cached snapshot, so the next read goes to MySQL: for a change whose commit is in
   * doubt (the connection died during COMMIT), which has no snapshot to write. With `version`
   * (a change whose snapshot could not be written), snapshots older than it stay refused. Never
   * throws.
   */
  forget(productId: number, version?: number): Promise<void>;
}

/** The Lua script, registered once per connection with defineCommand (sent by EVALSHA). */
type WithWriteIfNewer = Redis & {
  writeProductSnapshotIfNewer(key: string, version: number, json: string, ttlSeconds: number): Promise<number>;
  dropProductSnapshotUpTo(key: string, version: number, ttlSeconds: number): Promise<number>;
};

export function createProductCache(redis: Redis, options: { keyPrefix: string; ttlSeconds: number; logger: Logger }): ProductCache {
  if (!('writeProductSnapshotIfNewer' in redis)) {
    redis.defineCommand('writeProductSnapshotIfNewer', { numberOfKeys: 1, lua: WRITE_IF_NEWER });
    redis.defineCommand('dropProductSnapshotUpTo', { numberOfKeys: 1, lua: DROP_UP_TO });
  }
  const scripted = redis as WithWriteIfNewer;
  const keyOf = (productId: number) => `${options.keyPrefix}:product:${productId}`;
  const forget = async (productId: number, version?: number): Promise<void> => {
    const dropped = version === undefined ? redis.del(keyOf(productId)) : scripted.dropProductSnapshotUpTo(keyOf(productId), version, options.ttlSeconds);
    await dropped.catch((error: unknown) => options.logger.warn({ err: error, productId }, 'could not drop a cached product snapshot'));
  };

  // Reads of one product in the same turn of the event loop share one HGET (shareWithinTurn:
  // never one already sent, so never stale). A flash sale's crowd reads one product, and a Redis
  // command per read was the cached read's largest cost (a socket write each).
  const read = shareWithinTurn(async (productId: number): Promise<ProductSnapshot | undefined> => {
    const json = await redis.hget(keyOf(productId), 'd');
    // Frozen: every read that shared the HGET gets this same object.
    return json ? (Object.freeze(JSON.parse(json)) as ProductSnapshot) : undefined;
  });

  return {
    get: read,

    async writeThrough(snapshot) {
      try {
        await scripted.writeProductSnapshotIfNewer(keyOf(snapshot.id), snapshot.stockVersion, JSON.stringify(snapshot), options.ttlSeconds);
      } catch (error) {
        // The commit stands; MySQL is the truth. Drop what is cached but keep this version, so
        // no older snapshot outlives this change (if Redis is down, reads fall back to MySQL).
        options.logger.error({ err: error, productId: snapshot.id, stockVersion: snapshot.stockVersion }, 'product cache write-through failed');
        await forget(snapshot.id, snapshot.stockVersion);
      }
    },

    forget,
  };
}
