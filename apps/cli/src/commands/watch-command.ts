import type { Command } from '@commander-js/extra-typings';
import { parseIntervalMs } from '../options.ts';
import { listenForInterrupts, signalExitCode, untilAborted } from '../watch/interrupts.ts';
import { listenForJobRates, redisNowMs } from '../watch/job-rates.ts';
import { readQueueOverviews } from '../queue-ops/queue-overview.ts';
import { REACH_DEADLINE_MS } from '../stores/reachability.ts';
import { renderWatchFrame } from '../watch/render-watch-frame.ts';
import { createScreen } from '../watch/screen.ts';
import { runWatchLoop, type QueueStats } from '../watch/watch-loop.ts';
import type { CliContext } from '../stores/session.ts';

export function registerWatchCommand(program: Command, context: CliContext): void {
  program
    .command('watch')
    .description('live queue counts and completed/failed jobs per minute, redrawn in place until Ctrl-C')
    .option('--interval <ms>', 'refresh interval in milliseconds (at least 100)', parseIntervalMs, 1_000)
    .addHelpText('after', '\nCtrl-C (or SIGTERM) restores the terminal and exits 0. A second Ctrl-C, while the first is\nstill being handled, restores the terminal and exits 130 at once.')
    .action(async (options) => {
      const screen = createScreen(process.stdout);
      // Ctrl-C is how this command ends: it stops the loop and the terminal is restored,
      // instead of the process dying with the cursor hidden. Registered before connecting.
      const interrupts = listenForInterrupts((signal) => {
        screen.close();
        process.exit(signalExitCode(signal));
      });
      try {
        const queues = await untilAborted(context.session.queues(), interrupts.signal);
        const ratesAt = await untilAborted(listenForJobRates(queues), interrupts.signal);
        // Each queue's counts, and its rates at Redis's time of the same read.
        const readStats = async (): Promise<QueueStats> => {
          const [overviews, now] = await Promise.all([readQueueOverviews(queues.jobs), redisNowMs(queues.redis)]);
          return { overviews, rates: ratesAt(now) };
        };
        screen.open();
        await runWatchLoop({
          readStats,
          draw: (stats, problem) => screen.draw(renderWatchFrame({ keyPrefix: queues.keyPrefix, intervalMs: options.interval, at: new Date(), ...stats, problem })),
          intervalMs: options.interval,
          deadlineMs: REACH_DEADLINE_MS,
          signal: interrupts.signal,
        });
      } catch (error) {
        // Ctrl-C while connecting: nothing to report.
        if (!interrupts.signal.aborted) throw error;
      } finally {
        screen.close();
        interrupts.dispose();
      }
    });
}
