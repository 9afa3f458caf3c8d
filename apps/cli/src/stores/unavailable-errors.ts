// Recognising "the store went away" in errors raised after the first successful contact (the
// reachability checks cover the start). Either way the exit code is 3, not "unexpected".

const SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
const REDIS_MESSAGES = ['Connection is closed', "Stream isn't writeable", 'Command timed out', 'Reached the max retries per request limit'];

export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && SYSTEM_CODES.has(code)) return true;
  return error.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((text) => error.message.includes(text));
}

/** Prisma's errors, the only ones that can say MySQL is unavailable (checked by @flash-sale/db). */
export function isPrismaError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('PrismaClient');
}
