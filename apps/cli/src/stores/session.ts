import { ConfigError, loadConfig, type Config } from '@flash-sale/config';
import type { CheckoutRuntime } from '@flash-sale/checkout';
import type { Db } from '@flash-sale/db';
import { usageError } from '../exit-codes.ts';
import { openDatabase } from './open-database.ts';
import { openQueues, type QueueConnection } from './open-queues.ts';
import { openRuntime } from './open-runtime.ts';

/** The stores one command uses, each opened on first use; main closes whatever was opened. */
export interface Session {
  config(): Config;
  queues(): Promise<QueueConnection>;
  database(): Promise<Db>;
  runtime(): Promise<CheckoutRuntime>;
  close(): Promise<void>;
}

export function createSession(env: NodeJS.ProcessEnv = process.env): Session {
  let config: Config | undefined;
  const closers: (() => Promise<void>)[] = [];
  const register = (close: () => Promise<void>) => void closers.push(close);
  const once = <T>(open: () => Promise<T>) => {
    let opened: Promise<T> | undefined;
    return () => (opened ??= open());
  };

  const session: Session = {
    config() {
      try {
        return (config ??= loadConfig(env));
      } catch (error) {
        // A bad variable is a usage problem of this invocation, like a bad option.
        if (error instanceof ConfigError) throw usageError(error.message);
        throw error;
      }
    },
    queues: once(() => openQueues(session.config(), register)),
    database: once(() => openDatabase(session.config(), register)),
    runtime: once(() => openRuntime(session.config(), register)),
    async close() {
      // Last opened, first closed; one failing to close must not keep the others open.
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
  return session;
}
