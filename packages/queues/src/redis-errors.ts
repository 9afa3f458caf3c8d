import { ServiceUnavailableError, UNREACHABLE_SYSTEM_CODES } from '@flash-sale/errors';

// What ioredis says when Redis is down or went away (fail-fast connections: no offline queue, one
// retry, a command timeout).
const UNREACHABLE_MESSAGES = ['Connection is closed', "Stream isn't writeable", 'Command timed out', 'Reached the max retries per request limit'];

/**
 * Whether `error` says Redis is unreachable (503 in the api, exit code 3 in the CLI): the one
 * classification for every process, as isDatabaseUnavailableError is for MySQL.
 */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE_SYSTEM_CODES.has(code)) return true;
  // A refused connect re-thrown with the code only in its message ("connect ECONNREFUSED …").
  return error.name === 'MaxRetriesPerRequestError' || [...UNREACHABLE_MESSAGES, 'ECONNREFUSED'].some((text) => error.message.includes(text));
}

/** The 503 for a Redis that is unreachable or stopped answering (isRedisUnavailableError). */
export function redisUnavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('Redis is unavailable.', { cause, retryAfterSeconds: 2 });
}
