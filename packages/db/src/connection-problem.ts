import mariadb from 'mariadb';
import { parseDatabaseUrl } from './connection-options.ts';

// MySQL's answers that mean "not with these settings", which no retry will change.
const UNKNOWN_DATABASE = 1049;
const ACCESS_DENIED = new Set([1044, 1045, 1698]);

export interface ConnectionProblem {
  /** MySQL itself said no (no such database, user denied): a retry will not change it. */
  refused: boolean;
  /** In an operator's words, one line. */
  reason: string;
}

/**
 * Why one plain connection with these settings does not open, undefined when it does. The pool
 * keeps retrying a refusal until its acquire timeout and then reports a timeout, so a forgotten
 * `db:migrate` would read as a MySQL that does not answer; and it retries a refused port the same
 * way, where one connection knows at once that nothing listens there.
 */
export async function connectionProblem(databaseUrl: string, timeoutMs = 3_000): Promise<ConnectionProblem | undefined> {
  const target = parseDatabaseUrl(databaseUrl);
  let connection: mariadb.Connection | undefined;
  try {
    connection = await mariadb.createConnection({ ...target, connectTimeout: timeoutMs });
    return undefined;
  } catch (error) {
    const { errno, code, text, message } = error as { errno?: number; code?: string; text?: string; message?: string };
    if (errno === UNKNOWN_DATABASE) return { refused: true, reason: `database '${target.database}' does not exist on ${target.host}:${target.port} (npm run db:migrate creates it)` };
    if (errno !== undefined && ACCESS_DENIED.has(errno)) return { refused: true, reason: `access denied for user '${target.user}' to database '${target.database}' on ${target.host}:${target.port}` };
    // The driver says "failed to create socket" when the socket opened and the handshake never came.
    if (code === 'ER_CONNECTION_TIMEOUT') return { refused: false, reason: `no answer within ${timeoutMs} ms` };
    if (code === 'ER_SOCKET_UNEXPECTED_CLOSE') return { refused: false, reason: 'the connection was closed before MySQL answered' };
    // `text` is the driver's message without its "(conn:-1, no: …, SQLState: …)" prefix.
    return { refused: false, reason: text ?? message ?? String(error) };
  } finally {
    // Not end(): its QUIT waits for an answer, with no deadline.
    connection?.destroy();
  }
}
