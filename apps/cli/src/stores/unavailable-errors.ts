// Recognising "the store went away" in errors raised after the first successful contact (the
// reachability checks cover the start). Either way the exit code is 3, not "unexpected".

// Redis's classification is the services' own (@flash-sale/queues isRedisUnavailableError).

/** Prisma's errors, the only ones that can say MySQL is unavailable (checked by @flash-sale/db). */
export function isPrismaError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('PrismaClient');
}
