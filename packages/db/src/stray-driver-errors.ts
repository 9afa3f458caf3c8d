/**
 * mariadb 3.4.5 rejects a promise nobody awaits when a connection breaks after authentication
 * but before its initSql finished (lib/connection.js, end of the connect chain: `return
 * Promise.reject(err)`). The pool has already handled that failure through the connect promise
 * and retries; the stray rejection carries no news. This recognises exactly that error, so a
 * process can log it instead of crashing on it.
 */
export function isStrayDriverInitError(reason: unknown): boolean {
  const error = reason as { errno?: unknown; code?: unknown } | null;
  return error?.errno === 45030 || error?.code === 'ER_INITIAL_SQL_ERROR';
}
