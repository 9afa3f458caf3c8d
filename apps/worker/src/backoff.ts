import type { BackoffStrategy } from 'bullmq';

const CAP_MS = 30_000;

/** `capped-exponential`: delay, 2×delay, 4×delay … never more than 30 s between attempts. */
export const backoffStrategy: BackoffStrategy = (attemptsMade, type, _error, job) => {
  const base = (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? 1000;
  if (type !== 'capped-exponential') return base;
  return Math.min(base * 2 ** Math.max(0, attemptsMade - 1), CAP_MS);
};
