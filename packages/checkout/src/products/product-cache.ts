import type { Redis } from 'ioredis';
import type { Logger } from '@flash-sale/logger';
import { shareWithinTurn } from '../batching/share-within-turn.ts';
import type { ProductSnapshot } from './product-snapshot.ts';

// Every entry carries the run_id of the Redis server it was written on (field r). A server that
// restarted from a snapshot on disk, or a replica promoted after a failover that lost the last
// writes, has a run_id of its own and may hold entries from before changes it never saw: the
// version check below cannot tell, as their versions are simply old. So readers take an entry
// written under another run_id for a miss, and the first write of the same or a newer version
// makes it this server's. The version stays a floor whatever the run_id: MySQL's version only
// grows, so no entry can be newer than the truth, and an older snapshot landing late (another
// process's, or a process of an earlier release that writes no r) must never replace a newer one.
//
// Writes a snapshot only if it is newer than the one cached, atomically: two commits that
// write through out of order (v7 lands before v6) must leave v7 in the cache. An entry may be a
// version alone, with no snapshot (see DROP_UP_TO): then the snapshot of that same version may
// fill it (it is the same state), an older one may not.
const WRITE_IF_NEWER = `
local cached = redis.call('HMGET', KEYS[1], 'v', 'r')
if cached[1] then
  local version = tonumber(cached[1])
  if version > tonumber(ARGV[1]) then return 0 end
  if version == tonumber(ARGV[1]) and cached[2] == ARGV[4] and redis.call('HEXISTS', KEYS[1], 'd') == 1 then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2], 'r', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

// After a write-through that failed (it may or may not have landed): drops any snapshot older
// than that change but keeps its version, so reads miss and go to MySQL, and an older snapshot
// still on its way (another process's, slower) is refused instead of landing on an empty key.
// A plain DEL would have let it land, and stay until the product's next change.
const DROP_UP_TO = `
local cached = redis.call('HGET', KEYS[1], 'v')
if cached and tonumber(cached) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'r', ARGV[3])
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
  writeProductSnapshotIfNewer(key: string, version: number, json: string, ttlSeconds: number, runId: string): Promise<number>;
  dropProductSnapshotUpTo(key: string, version: number, ttlSeconds: number, runId: string): Promise<number>;
};

export function createProductCache(redis: Redis, options: { keyPrefix: string; ttlSeconds: number; logger: Logger }): ProductCache {
  if (!('writeProductSnapshotIfNewer' in redis)) {
    redis.defineCommand('writeProductSnapshotIfNewer', { numberOfKeys: 1, lua: WRITE_IF_NEWER });
    redis.defineCommand('dropProductSnapshotUpTo', { numberOfKeys: 1, lua: DROP_UP_TO });
  }
  const scripted = redis as WithWriteIfNewer;
  const keyOf = (productId: number) => `${options.keyPrefix}:product:${productId}`;
  const server = serverIdentityOf(redis, options.logger);
  const serverRunId = () => server.runId();
  const writeIfNewer = async (snapshot: ProductSnapshot) =>
    scripted.writeProductSnapshotIfNewer(keyOf(snapshot.id), snapshot.stockVersion, JSON.stringify(snapshot), options.ttlSeconds, await serverRunId());

  // A write-through that failed, and the drop after it too, would leave the entry showing the
  // stock from before a committed change once Redis answers again, to every process and for up
  // to the TTL on a product nobody changes meanwhile. So the process keeps what it owes: per
  // product, the version of the change (undefined for a drop without one, which is a plain DEL).
  // It pays by that same drop, which never writes a snapshot and keeps the version as a floor,
  // so the next read refills the entry from MySQL: a snapshot remembered through an outage could
  // be older than one another process wrote meanwhile, and must never land on a key that expired.
  // It pays as soon as the connection is ready again or, if it never dropped (a Redis too slow to
  // answer), at the next use of the cache. Until then, its own reads of the product miss.
  const unsynced = new Map<number, number | undefined>();
  let paying: Promise<void> | undefined;
  let waitingForReady = false;
  const payWhenReachable = (): void => {
    if (unsynced.size === 0 || paying) return;
    if (redis.status !== 'ready') {
      // One listener, however many reads meanwhile.
      if (!waitingForReady) {
        waitingForReady = true;
        redis.once('ready', () => {
          waitingForReady = false;
          payWhenReachable();
        });
      }
      return;
    }
    paying = payUnsynced().finally(() => {
      paying = undefined;
      // Whatever is still owed waits for the connection to come back or, if it stayed up (a
      // Redis too slow to answer), for the next use of the cache: never a retry loop.
      if (redis.status !== 'ready') payWhenReachable();
    });
  };
  const payUnsynced = async () => {
    for (const [productId, version] of unsynced) {
      try {
        await drop(productId, version);
      } catch {
        return;
      }
      // Unless a newer debt replaced it meanwhile.
      if (unsynced.get(productId) === version) unsynced.delete(productId);
      options.logger.info({ productId, stockVersion: version }, 'cached product snapshot repaired');
    }
  };
  const owe = (productId: number, version: number | undefined) => {
    const owed = unsynced.has(productId);
    const before = unsynced.get(productId);
    const merged = before === undefined || version === undefined ? (before ?? version) : Math.max(before, version);
    unsynced.set(productId, merged);
    // Said once per change owed, not once per failed write of it.
    if (!owed || merged !== before) {
      options.logger.warn({ productId, stockVersion: merged }, 'cached product snapshot may show the stock from before a change; repairing it once Redis answers');
    }
    payWhenReachable();
  };

  const drop = (productId: number, version: number | undefined): Promise<unknown> =>
    version === undefined
      ? redis.del(keyOf(productId))
      : serverRunId().then((runId) => scripted.dropProductSnapshotUpTo(keyOf(productId), version, options.ttlSeconds, runId));
  const forget = async (productId: number, version?: number): Promise<void> => {
    try {
      await drop(productId, version);
    } catch (error) {
      options.logger.warn({ err: error, productId }, 'could not drop a cached product snapshot');
      owe(productId, version);
    }
  };

  // Reads of one product in the same turn of the event loop share one HMGET (shareWithinTurn:
  // never one already sent, so never stale). A flash sale's crowd reads one product, and a Redis
  // command per read was the cached read's largest cost (a socket write each).
  const read = shareWithinTurn(async (productId: number): Promise<ProductSnapshot | undefined> => {
    const closesBefore = server.closes;
    const [runId, [json, writtenOn]] = await Promise.all([serverRunId(), redis.hmget(keyOf(productId), 'd', 'r')]);
    // A connection that closed meanwhile may have sent the HMGET again to the server it reconnected
    // to (ioredis resends what was unanswered), which the run_id read before it does not name.
    if (server.closes !== closesBefore || !json || writtenOn !== runId) return undefined;
    // Frozen: every read that shared the HMGET gets this same object.
    return Object.freeze(JSON.parse(json)) as ProductSnapshot;
  });

  return {
    get(productId) {
      payWhenReachable();
      const cached = read(productId);
      // An entry this process owes a repair is a miss; but Redis is still asked, so that a Redis
      // that is down fails the read as for any product (the reader's outage path, said once).
      return unsynced.has(productId) ? cached.then(() => undefined) : cached;
    },

    async writeThrough(snapshot) {
      payWhenReachable();
      try {
        await writeIfNewer(snapshot);
        // A snapshot as new as the change owed (a read that missed, then MySQL) pays for it.
        const owed = unsynced.get(snapshot.id);
        if (owed !== undefined && owed <= snapshot.stockVersion) {
          unsynced.delete(snapshot.id);
          options.logger.info({ productId: snapshot.id, stockVersion: snapshot.stockVersion }, 'cached product snapshot repaired');
        }
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

/** What a server without INFO (a managed Redis that disables it) counts as: the check is off. */
const RUN_ID_UNKNOWN = 'unknown';

/** Which server a connection is on: its run_id, and how many times the connection has closed. */
interface ServerIdentity {
  runId(): Promise<string>;
  closes: number;
}

// One per connection, however many caches share it (tests make many).
const identities = new WeakMap<Redis, ServerIdentity>();

/**
 * The run_id of the server the connection is on, asked once per connection (INFO server) and
 * forgotten when the connection closes, so that after a reconnect (a restart, a failover behind
 * the same address) it is asked again of the server now answering. Only a server that does not
 * know or allow INFO counts as RUN_ID_UNKNOWN; any other failure is the caller's, and is asked
 * again next time.
 */
function serverIdentityOf(redis: Redis, logger: Logger): ServerIdentity {
  const known = identities.get(redis);
  if (known) return known;
  let runId: Promise<string> | undefined;
  const identity: ServerIdentity = {
    closes: 0,
    runId: () =>
      (runId ??= redis.info('server').then(
        (info) => /^run_id:(\w+)/m.exec(info)?.[1] ?? RUN_ID_UNKNOWN,
        (error: unknown) => {
          if (!/unknown command|NOPERM/i.test(error instanceof Error ? error.message : String(error))) {
            runId = undefined;
            throw error;
          }
          logger.warn({ err: error }, 'Redis refuses INFO: cached product snapshots are not checked against a restart or failover');
          return RUN_ID_UNKNOWN;
        },
      )),
  };
  redis.on('close', () => {
    identity.closes += 1;
    runId = undefined;
  });
  identities.set(redis, identity);
  return identity;
}
