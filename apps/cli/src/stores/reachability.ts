import type { Redis } from 'ioredis';
import { CliError, ExitCode } from '../exit-codes.ts';
import { redisReady, withDeadline } from '@flash-sale/queues';

/**
 * How long a store may take to answer its first command before the CLI gives up (exit 3). A
 * refused connection is reported at once; this bounds a host that does not answer at all, with
 * room for a busy machine (it includes Prisma's first-query set-up).
 */
export const REACH_DEADLINE_MS = 5_000;

type Store = 'MySQL' | 'Redis';

export function unreachable(store: Store, url: string, reason: string): CliError {
  return new CliError(ExitCode.unreachable, `could not reach ${store} at ${hostAndPort(url)}: ${reason}`);
}

/** A store that was reached but did not answer a command in time: exit 3 like an unreachable one. */
export function noAnswer(store: Store, what: string, ms: number): CliError {
  return new CliError(ExitCode.unreachable, `${store} did not answer ${what} within ${ms} ms`);
}

/** One line out of an error whose message may span several (Prisma's do). */
export function reasonOf(error: unknown): string {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { message?: string } } } } | null)?.meta?.driverAdapterError?.cause;
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return message.split('\n').map((line) => line.trim()).filter(Boolean).at(-1) ?? 'unknown error';
}

/**
 * Resolves once the connection is ready. The fail-fast connection reports a refused or dropped
 * connection as an 'error' event at once, so a Redis that is down is known within milliseconds;
 * a Redis that does not answer at all is given REACH_DEADLINE_MS.
 */
export const reachRedis = (connection: Redis, url: string) => reach('Redis', url, (timeout) => redisReady(connection, REACH_DEADLINE_MS, timeout));

/** A first query with a deadline: Prisma connects lazily and would otherwise retry for ~10 s. */
export const reachDatabase = (ping: () => Promise<unknown>, url: string) => reach('MySQL', url, (timeout) => withDeadline(ping(), REACH_DEADLINE_MS, timeout));

async function reach(store: Store, url: string, wait: (timeout: () => CliError) => Promise<unknown>): Promise<void> {
  try {
    await wait(() => unreachable(store, url, `no answer within ${REACH_DEADLINE_MS} ms`));
  } catch (error) {
    throw error instanceof CliError ? error : unreachable(store, url, reasonOf(error));
  }
}

/**
 * One plain connection first (exit 3 when it does not open): Prisma's pool retries a port nobody
 * listens on, a database that does not exist or a user denied until its acquire timeout, and
 * then reports a timeout, where one connection says at once what is wrong.
 */
export async function reachMysql(databaseUrl: string): Promise<void> {
  // Imported here only: @flash-sale/db loads Prisma, a second of start-up the queue commands skip.
  const { connectionProblem } = await import('@flash-sale/db');
  const problem = await connectionProblem(databaseUrl, REACH_DEADLINE_MS);
  if (problem) throw unreachable('MySQL', databaseUrl, problem.reason);
}

/** host:port of a store URL: enough to tell which one, without the credentials. */
function hostAndPort(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || (parsed.protocol.startsWith('redis') ? '6379' : '3306')}`;
  } catch {
    return 'an unparsable URL';
  }
}
