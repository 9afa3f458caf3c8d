import { Option, type Command } from 'commander';
import type { PaymentEventOutcome } from '@flash-sale/checkout';
import { parsePositiveInteger } from '../options.ts';
import { excerpt, formatTime, paintOut, printJson, printLine, renderTable } from '../output.ts';
import type { CliContext } from './cli-context.ts';

/**
 * `pending` is an event without an outcome yet (outcome IS NULL): not applied so far. Tied to
 * the outcomes applyPaymentEvent records: a renamed one, or a new one missing here, fails to
 * compile.
 */
const outcomes = ['applied', 'ignored_duplicate_state', 'conflict', 'orphaned', 'pending'] as const satisfies readonly (PaymentEventOutcome | 'pending')[];
type OutcomeFilter = (typeof outcomes)[number];
const everyOutcomeListed: [Exclude<PaymentEventOutcome, OutcomeFilter>] extends [never] ? true : never = true;
void everyOutcomeListed;

interface WebhooksOptions {
  outcome?: OutcomeFilter;
  limit: number;
  json?: boolean;
}

export function registerWebhooksCommand(program: Command, context: CliContext): void {
  program
    .command('webhooks')
    .description('recent payment webhook events, newest first, with their outcome')
    .addOption(new Option('--outcome <outcome>', 'only events with this outcome').choices(outcomes))
    .option('--limit <n>', 'how many events', parsePositiveInteger, 20)
    .option('--json', 'print JSON only: [{ id, idempotencyKey, orderId, result, outcome, outcomeDetail, receivedAt, processedAt }]')
    .action(async (options: WebhooksOptions) => {
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
