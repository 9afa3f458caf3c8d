import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CuttableProxy, startTestStores, type TestStores } from '@flash-sale/testing';
import { finishJobs } from './support/finished-jobs.ts';
import { runInTerminal, type TerminalSession } from './support/run-in-terminal.ts';

// On a real pseudo-terminal: watch redraws in place and Ctrl-C restores the terminal;
// destructive actions ask, and do what the answer says. Each prompt test removes a job of its own.

const CURSOR_HOME = '\x1b[H';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
/** Title (2) + table (top, header, 3 queues, bottom) + footnote: anything more is scrolling. */
const MAX_NEWLINES_PER_FRAME = 10;

let t: TestStores;

beforeAll(async () => {
  t = await startTestStores();
  await finishJobs(t.queue('payment-webhook'), t.config.redisKeyPrefix, [{ id: 'payment-event-5', data: { paymentEventId: 5 } }], 'failed');
  const expiry = t.queue('hold-expiry');
  for (const holdId of [1, 2]) await expiry.add('expire-hold', { holdId }, { jobId: `hold-${holdId}`, delay: 3_600_000 });
  await t.queue('order-timeout').add('timeout-order', { orderId: 3 }, { jobId: 'order-3', delay: 3_600_000 });
});

afterAll(async () => {
  await t?.close();
});

describe('watch', () => {
  it('redraws the counts in place until Ctrl-C, then exits 0 with the cursor restored', async () => {
    const terminal = runInTerminal(t.config, ['watch', '--interval', '200']);
    try {
      await vi.waitFor(
        () => {
          const frames = terminal.output().split(CURSOR_HOME).slice(1);
          // Two complete frames: a third has begun, so the second was fully written.
          if (frames.length < 3) throw new Error(`${frames.length} frame(s) so far:\n${terminal.output()}`);
        },
        { timeout: 20_000, interval: 100 },
      );
      terminal.pressCtrlC();
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.kill();
    }

    const output = terminal.output();
    expect(output.startsWith(HIDE_CURSOR)).toBe(true);
    expect(output.trimEnd().endsWith(SHOW_CURSOR)).toBe(true);
    const frames = output.split(CURSOR_HOME).slice(1);
    for (const frame of frames) expect(frame.split('\n').length - 1).toBeLessThanOrEqual(MAX_NEWLINES_PER_FRAME);

    const frame = stripVTControlCharacters(frames[1]!);
    // queue │ status │ waiting │ active │ delayed │ completed │ failed │ done/min │ failed/min
    expect(frame).toMatch(/hold-expiry\s+│\s+running\s+│\s+0\s+│\s+0\s+│\s+2\s+│\s+0\s+│\s+0\s+│\s+0\s+│\s+0\s+│/);
    expect(frame).toMatch(/payment-webhook\s+│\s+running\s+│\s+0\s+│\s+0\s+│\s+0\s+│\s+0\s+│\s+1\s+│\s+0\s+│\s+1\s+│/);
    expect(frame).toMatch(/order-timeout\s+│\s+running\s+│\s+0\s+│\s+0\s+│\s+1\s+│/);
  });
});

/** Waits until the CLI asks its [y/N] question. */
async function promptShown(terminal: TerminalSession): Promise<void> {
  await vi.waitFor(
    () => {
      if (!terminal.output().includes('[y/N]')) throw new Error(`no prompt yet:\n${terminal.output()}`);
    },
    { timeout: 20_000, interval: 100 },
  );
}

describe('watch while Redis hangs', () => {
  it('Ctrl-C does not wait for the stalled refresh; a second Ctrl-C exits 130 with the cursor restored', async () => {
    const { proxy, url: redisUrl } = await CuttableProxy.inFrontOf(t.config.redisUrl);
    const terminal = runInTerminal({ ...t.config, redisUrl }, ['watch', '--interval', '200']);
    try {
      await vi.waitFor(
        () => {
          if (terminal.output().split(CURSOR_HOME).length < 3) throw new Error(`no frame yet:\n${terminal.output()}`);
        },
        { timeout: 20_000, interval: 50 },
      );
      proxy.stall();
      // A refresh has sent its commands and waits for answers that will not come.
      await vi.waitFor(
        () => {
          if (proxy.bytesSinceStall() === 0) throw new Error('no refresh is waiting yet');
        },
        { timeout: 5_000, interval: 20 },
      );
      terminal.pressCtrlC();
      // The terminal echoes ^C once it has signalled the CLI: only then the second one, so the
      // two are not merged into one signal.
      await vi.waitFor(
        () => {
          if (!terminal.output().includes('^C')) throw new Error('the first Ctrl-C was not signalled yet');
        },
        { timeout: 5_000, interval: 10 },
      );
      terminal.pressCtrlC();
      expect(await terminal.exited).toBe(130);
    } finally {
      terminal.kill();
      await proxy.down();
    }
    // Whatever came last, the cursor was shown again (the terminal's own ^C echoes aside).
    expect(terminal.output().replaceAll('^C', '').trimEnd().endsWith(SHOW_CURSOR)).toBe(true);
  });
});

describe('confirmation on a terminal', () => {
  it('remove asks first and removes the job once the answer is yes', async () => {
    const terminal = runInTerminal(t.config, ['remove', 'order-timeout', 'order-3']);
    try {
      await promptShown(terminal);
      // Still there while the question is open: nothing happens before the answer.
      expect(await t.queue('order-timeout').getJob('order-3')).toBeDefined();
      terminal.type('y\r');
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.kill();
    }
    expect(terminal.output()).toContain('Remove job order-3 (delayed) from order-timeout?');
    expect(terminal.output()).toContain('removed job order-3 (delayed) from order-timeout');
    expect(await t.queue('order-timeout').getJob('order-3')).toBeUndefined();
  });
});

describe('declining on a terminal', () => {
  it('remove answered "n" leaves the job and exits 1', async () => {
    const queue = t.queue('order-timeout');
    await queue.add('timeout-order', { orderId: 11 }, { jobId: 'order-11', delay: 3_600_000 });
    const terminal = runInTerminal(t.config, ['remove', 'order-timeout', 'order-11']);
    try {
      await promptShown(terminal);
      terminal.type('n\r');
      expect(await terminal.exited).toBe(1);
    } finally {
      terminal.kill();
    }
    expect(terminal.output()).toContain('not confirmed; nothing was changed.');
    expect(await queue.getJobState('order-11')).toBe('delayed');
  });

  it('Ctrl-C or Ctrl-D at the prompt is a no (exit 1), not an unexpected failure', async () => {
    const queue = t.queue('order-timeout');
    const keys = { 'order-12': '\x03', 'order-13': '\x04' };
    for (const [id, orderId] of [['order-12', 12], ['order-13', 13]] as const) {
      await queue.add('timeout-order', { orderId }, { jobId: id, delay: 3_600_000 });
    }
    const outcomes = await Promise.all(
      Object.entries(keys).map(async ([id, key]) => {
        const terminal = runInTerminal(t.config, ['remove', 'order-timeout', id]);
        try {
          await promptShown(terminal);
          terminal.type(key);
          return { id, code: await terminal.exited, output: terminal.output() };
        } finally {
          terminal.kill();
        }
      }),
    );
    for (const { id, code, output } of outcomes) {
      expect(code, output).toBe(1);
      expect(output).toContain('not confirmed; nothing was changed.');
      expect(output).not.toContain('unexpected failure');
      expect(await queue.getJobState(id)).toBe('delayed');
    }
  });
});
