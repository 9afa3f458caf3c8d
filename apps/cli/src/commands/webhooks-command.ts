import { Option, type Command } from '@commander-js/extra-typings';
// Prisma's generated enums alone: the client itself costs the other commands a second of start-up.
import { PaymentEventOutcome } from '@flash-sale/db/enums';
import { parsePositiveInteger } from '../options.ts';
import { excerpt, formatTime, paintOut, printJson, printLine, renderTable } from '../output.ts';
import type { CliContext } from '../stores/session.ts';

/** `pending` is an event without an outcome yet (outcome IS NULL): not applied so far. */
const outcomes = [...Object.values(PaymentEventOutcome), 'pending'] as const;

export function registerWebhooksCommand(program: Command, context: CliContext): void {
  program
    .command('webhooks')
    .description('recent payment webhook events, newest first, with their outcome')
    .addOption(new Option('--outcome <outcome>', 'only events with this outcome').choices(outcomes))
    .option('--limit <n>', 'how many events', parsePositiveInteger, 20)
    .option('--json', 'print JSON only: [{ id, idempotencyKey, orderId, result, outcome, outcomeDetail, receivedAt, processedAt }]')
    .action(async (options) => {
      const db = await context.session.database();
      const outcome = options.outcome === 'pending' ? null : options.outcome;
      const events = await db.paymentEvent.findMany({
        // The (outcome, received_at) index serves the filtered form.
        where: options.outcome ? { outcome } : {},
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        take: options.limit,
        select: { id: true, idempotencyKey: true, orderId: true, result: true, outcome: true, outcomeDetail: true, receivedAt: true, processedAt: true },
      });
      const rows = events.map((event) => ({ ...event, outcome: event.outcome ?? 'pending' }));
      if (options.json) return printJson(rows);
      printLine(
        renderTable(
          ['id', 'key', 'order', 'result', 'outcome', 'detail', 'received', 'processed'],
          rows.map((event) => [
            event.id,
            excerpt(event.idempotencyKey, 40),
            event.orderId,
            event.result,
            paintOutcome(event.outcome),
            excerpt(event.outcomeDetail, 40),
            formatTime(event.receivedAt),
            formatTime(event.processedAt),
          ]),
          { alignRight: [0, 2] },
        ),
      );
      printLine(`${rows.length} event(s)${options.outcome ? ` with outcome ${options.outcome}` : ''}, newest first`);
    });
}

function paintOutcome(outcome: string): string {
  if (outcome === 'conflict' || outcome === 'orphaned') return paintOut('red', outcome);
  if (outcome === 'pending') return paintOut('yellow', outcome);
  return outcome;
}
