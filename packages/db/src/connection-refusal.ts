import mariadb from 'mariadb';
import { parseDatabaseUrl } from './connection-options.ts';

// MySQL's answers that mean "not with these settings", which no retry will change.
const UNKNOWN_DATABASE = 1049;
const ACCESS_DENIED = new Set([1044, 1045, 1698]);

/**
 * Why MySQL refuses a connection with these settings, in an operator's words, when MySQL itself
 * says so: the database does not exist, or the user is denied. The pool keeps retrying such a
 * refusal until its acquire timeout and then reports a timeout, so a forgotten `db:migrate` would
 * read as a MySQL that does not answer. Undefined when one connection opens, or fails otherwise.
 */
export async function connectionRefusal(databaseUrl: string, timeoutMs = 3_000): Promise<string | undefined> {
  const target = parseDatabaseUrl(databaseUrl);
  let connection: mariadb.Connection | undefined;
  try {
    connection = await mariadb.createConnection({ ...target, connectTimeout: timeoutMs });
    return undefined;
  } catch (error) {
    const errno = (error as { errno?: number }).errno;
    if (errno === UNKNOWN_DATABASE) return `database '${target.database}' does not exist on ${target.host}:${target.port} (npm run db:migrate creates it)`;
    if (errno !== undefined && ACCESS_DENIED.has(errno)) return `access denied for user '${target.user}' to database '${target.database}' on ${target.host}:${target.port}`;
    return undefined;
  } finally {
    // Not end(): its QUIT waits for an answer, with no deadline.
    connection?.destroy();
  }
}
