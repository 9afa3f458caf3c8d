import { ServiceUnavailableError, UNREACHABLE_SYSTEM_CODES } from '@flash-sale/errors';

// Recognises MySQL/MariaDB failures as the Prisma driver adapter reports them
// (PrismaClientKnownRequestError whose meta.driverAdapterError.cause carries the server's code).

const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;
const DUPLICATE_ENTRY = 1062;
/** Codes meaning the server cannot be reached or dropped us: 503, not 500. */
const UNAVAILABLE_CODES = new Set([
  1040, // too many connections
  1053, // server shutdown in progress
  2002, 2003, 2006, 2013, // cannot connect, server gone away, lost connection
  45009, 45012, 45028, // driver: socket closed, connection timeout, pool timeout
]);
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);

interface DriverCause {
  code?: number | string;
  originalCode?: string;
  kind?: string;
  constraint?: { index?: string };
  cause?: unknown;
}

function driverCause(error: unknown): DriverCause | undefined {
  // Most failures come wrapped by the client (a known request error carrying the adapter's
  // error); a failed COMMIT of an interactive transaction surfaces as the adapter's own
  // DriverAdapterError, whose `cause` is the driver's payload.
  const adapterError = error as { name?: string; cause?: unknown } | null;
  if (adapterError?.name === 'DriverAdapterError' && typeof adapterError.cause === 'object') return adapterError.cause as DriverCause;
  const meta = (error as { meta?: { driverAdapterError?: { cause?: DriverCause } } } | null)?.meta;
  return meta?.driverAdapterError?.cause;
}

export function mysqlErrorCode(error: unknown): number | undefined {
  const cause = driverCause(error);
  const code = cause?.code ?? cause?.originalCode ?? (error as { errno?: number } | null)?.errno;
  const asNumber = typeof code === 'string' ? Number(code) : code;
  return typeof asNumber === 'number' && Number.isFinite(asNumber) ? asNumber : undefined;
}

/** Deadlock victim or lock-wait timeout: the whole transaction may be run again. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = mysqlErrorCode(error);
  return code === DEADLOCK || code === LOCK_WAIT_TIMEOUT;
}

export function isUniqueViolation(error: unknown, indexName?: string): boolean {
  const prismaUnique = (error as { code?: unknown } | null)?.code === 'P2002';
  if (!prismaUnique && mysqlErrorCode(error) !== DUPLICATE_ENTRY) return false;
  if (!indexName) return true;
  const cause = driverCause(error);
  const message = error instanceof Error ? error.message : '';
  return cause?.constraint?.index === indexName || message.includes(`'${indexName}'`);
}

export function isDatabaseUnavailableError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const code = mysqlErrorCode(error);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return true;
  const { name, code: prismaCode } = error as { name?: string; code?: unknown };
  if (name === 'PrismaClientInitializationError') return true;
  if (typeof prismaCode === 'string' && (UNAVAILABLE_PRISMA_CODES.has(prismaCode) || UNREACHABLE_SYSTEM_CODES.has(prismaCode))) {
    return true;
  }
  const nested = driverCause(error)?.cause;
  return typeof nested === 'string' && [...UNREACHABLE_SYSTEM_CODES].some((system) => nested.includes(system));
}

/** The 503 for a MySQL that is unreachable or stopped answering (isDatabaseUnavailableError). */
export function mysqlUnavailable(cause: unknown, retryAfterSeconds = 2): ServiceUnavailableError {
  return new ServiceUnavailableError('MySQL is unavailable.', { cause, retryAfterSeconds });
}

/**
 * Whether `error` says MySQL is away: the driver's own error, or runTransaction's 503 for it
 * (mysqlUnavailable). Not lock contention, which is MySQL answering.
 */
export function isMysqlAway(error: unknown): boolean {
  return isDatabaseUnavailableError(error) || (error instanceof ServiceUnavailableError && isDatabaseUnavailableError(error.cause));
}

/** The 503 for a deadlock or lock-wait timeout that running the transaction again did not resolve. */
export function lockContention(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('Lock contention did not resolve; retry shortly.', { cause, retryAfterSeconds: 1 });
}
