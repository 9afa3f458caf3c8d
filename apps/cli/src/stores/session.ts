import type { CheckoutDeps } from '@flash-sale/checkout';
import { ConfigError, loadConfig, loadConfigOf, type Config } from '@flash-sale/config';
import type { Db } from '@flash-sale/db';
import type { Stores } from '@flash-sale/process';
import { withDeadline } from '@flash-sale/queues';
import { usageError } from '../exit-codes.ts';
import { openQueues, type QueueConnection } from './open-queues.ts';
import { probeDatabase, REACH_DEADLINE_MS, reachDatabase, reachRedis, unreachable } from './reachability.ts';

/** The services' stores and the domain on them, as the api and worker compose them. */
export type CliRuntime = Stores & { deps: CheckoutDeps };

/** The stores one command uses, each opened on first use; main closes whatever was opened. */
export interface Session {
  /** The config for the Redis queues alone: only REDIS_URL and REDIS_KEY_PREFIX are read. */
  queueConfig(): Config;
  queues(): Promise<QueueConnection>;
  /** Prisma on the services' DATABASE_URL, checked to answer (`webhooks`). */
  database(): Promise<Db>;
  /** The domain on the services' own stores (`audit`): a repair writes through the cache as the api does. */
  runtime(): Promise<CliRuntime>;
  close(): Promise<void>;
}

type Register = (close: () => Promise<void>) => void;

// What each store needs, and nothing more: a command is refused only for a variable it uses.
const QUEUE_VARIABLES = ['REDIS_URL', 'REDIS_KEY_PREFIX'] as const;
const DATABASE_VARIABLES = ['DATABASE_URL'] as const;

export function createSession(env: NodeJS.ProcessEnv = process.env): Session {
  const closers: (() => Promise<void>)[] = [];
  const register: Register = (close) => void closers.push(close);
  const once = <T>(open: () => Promise<T>) => {
    let opened: Promise<T> | undefined;
    return () => (opened ??= open());
  };

  const configOf = (load: () => Config): Config => {
    try {
      return load();
    } catch (error) {
      // A bad variable is a usage problem of this invocation, like a bad option.
      if (error instanceof ConfigError) throw usageError(error.message);
      throw error;
    }
  };

  const session: Session = {
    queueConfig: () => configOf(() => loadConfigOf(QUEUE_VARIABLES, env)),
    queues: once(() => openQueues(session.queueConfig(), register)),
    database: once(() => openDatabase(configOf(() => loadConfigOf(DATABASE_VARIABLES, env)), register)),
    // The domain runs on the whole configuration.
    runtime: once(() => openRuntime(configOf(() => loadConfig(env)), register)),
    async close() {
      // Last opened, first closed; one failing to close must not keep the others open.
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
  return session;
}

// @flash-sale/db and the domain are imported on demand: Prisma costs a second of start-up that
// the queue commands should not pay.

async function openDatabase(config: Config, register: Register): Promise<Db> {
  await probeDatabase(config.databaseUrl);
  const { createDb, pingDatabase } = await import('@flash-sale/db');
  const db = createDb(config.databaseUrl);
  register(() => db.$disconnect());
  await reachDatabase(() => pingDatabase(db), config.databaseUrl);
  return db;
}

/** Both stores are checked to answer before the runtime is handed out. */
async function openRuntime(config: Config, register: Register): Promise<CliRuntime> {
  await probeDatabase(config.databaseUrl);
  const [{ createCheckoutDeps }, { pingDatabase }, { createLogger }, { openStores }] = await Promise.all([
    import('@flash-sale/checkout'),
    import('@flash-sale/db'),
    import('@flash-sale/logger'),
    import('@flash-sale/process'),
  ]);
  // Silent, and on stderr if ever turned up: the CLI reports what happened itself, and pino's
  // JSON on stdout would corrupt tables and --json output.
  const logger = createLogger('cli', 'silent', { destination: process.stderr });
  // The audit's ledger reads every product's holds and orders: on a big database that can take
  // longer than the services allow a statement, and an operator is there to press Ctrl-C.
  const stores = openStores(config, logger, 'flash-sale-cli', { mysqlNoAnswerMs: 120_000 });
  register(() => stores.close());
  const queue = stores.jobs.queue('hold-expiry');
  await Promise.all([
    reachDatabase(() => pingDatabase(stores.db), config.databaseUrl),
    reachRedis(stores.redis, config.redisUrl).then(() =>
      // The queues have a connection of their own; the audit's job lookups need it up too.
      withDeadline(queue.waitUntilReady(), REACH_DEADLINE_MS, () => unreachable('Redis', config.redisUrl, 'the queue connection did not come up')),
    ),
  ]);
  return { ...stores, deps: createCheckoutDeps(stores, { settings: config, logger }) };
}
