import { ConfigError, loadConfig, loadConfigOf, type Config } from '@flash-sale/config';
import type { Db } from '@flash-sale/db';
import { usageError } from '../exit-codes.ts';
import { openDatabase } from './open-database.ts';
import { openQueues, type QueueConnection } from './open-queues.ts';
import { openRuntime, type CliRuntime } from './open-runtime.ts';

/** The stores one command uses, each opened on first use; main closes whatever was opened. */
export interface Session {
  /** The config for the Redis queues alone: only REDIS_URL and REDIS_KEY_PREFIX are read. */
  queueConfig(): Config;
  queues(): Promise<QueueConnection>;
  database(): Promise<Db>;
  runtime(): Promise<CliRuntime>;
  close(): Promise<void>;
}

// What each store needs, and nothing more: a command is refused only for a variable it uses.
const QUEUE_VARIABLES = ['REDIS_URL', 'REDIS_KEY_PREFIX'] as const;
const DATABASE_VARIABLES = ['DATABASE_URL'] as const;

export function createSession(env: NodeJS.ProcessEnv = process.env): Session {
  const closers: (() => Promise<void>)[] = [];
  const register = (close: () => Promise<void>) => void closers.push(close);
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
    // The domain (the stock audit, webhooks) runs on the whole configuration.
    runtime: once(() => openRuntime(configOf(() => loadConfig(env)), register)),
    async close() {
      // Last opened, first closed; one failing to close must not keep the others open.
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
  return session;
}
