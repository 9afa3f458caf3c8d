import { createSweepState, defaultSweepOptions, sweep } from '@flash-sale/checkout';

export interface SweeperLoop {
  /** Stops scheduling runs and waits for the one in progress, if any. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs the sweeper every `intervalMs` in this worker process, from a timer and not from a
 * BullMQ queue: the sweeper is the safety net for jobs that Redis lost, so it must not live in
 * Redis itself (a repeatable job vanishes with a flush, and stops when its queue is paused).
 * Every replica runs it; they split the due rows between them (SKIP LOCKED on primary keys),
 * so more replicas sweep faster and none sweeps a row twice. Runs never overlap in a process;
 * the next one is timed from the end of the last, with jitter so replicas drift apart.
 */
export function startSweeperLoop(
  deps: Parameters<typeof sweep>[0],
  options: { intervalMs: number },
): SweeperLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const state = createSweepState();

  const runOnce = async () => {
    try {
      const report = await sweep(deps, defaultSweepOptions, state);
      if (Object.values(report).some((count) => count > 0)) deps.logger.info({ ...report }, 'sweep done');
    } catch (error) {
      // MySQL away: the next run tries again; nothing was half done (each product's rows change
      // in one transaction). Any other failure is a step's or a product's, logged by the sweep.
      deps.logger.warn({ err: error }, 'sweep failed; the next run will retry');
    }
  };
  const schedule = () => {
    if (stopped) return;
    const jitter = 0.8 + Math.random() * 0.4;
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined;
        schedule();
      });
      // Within a Node timer's range (2^31 - 1 ms), past which it would fire at once, over and over.
    }, Math.min(options.intervalMs * jitter, 2 ** 31 - 1));
  };
  // The first run right away: a worker starting after an outage catches up at once.
  running = runOnce().finally(() => {
    running = undefined;
    schedule();
  });

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
