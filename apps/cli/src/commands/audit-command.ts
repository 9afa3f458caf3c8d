import type { Command } from '@commander-js/extra-typings';
import { ExitCode } from '../exit-codes.ts';
import { parseNonNegativeInteger } from '../options.ts';
import { printJson } from '../output.ts';
import { printAudit, printAuditSummary, printRepairs, type ProductRepair } from '../audit/print-audit.ts';
import type { CliContext } from '../stores/session.ts';

export function registerAuditCommand(program: Command, context: CliContext): void {
  program
    .command('audit')
    .description('check available_stock = total − active holds − pending/paid orders for every product; list overdue holds and holds without an expiry job')
    .option('--fix', 'repair each mismatched product from its ledger (under its row lock) and say what changed')
    .option('--overdue-after <seconds>', 'an active hold this long past expires_at is overdue', parseNonNegativeInteger, 60)
    .option('--json', 'print JSON only: { ok, products, overdueHoldCount, overdueHolds (the first 1,000), holdsWithoutJob, idempotencyKeys: { stored, pastRetention }, repairs? }')
    .addHelpText('after', '\nExits 1 on any finding. With --fix, stock mismatches that were repaired no longer count;\noverdue holds, missing expiry jobs and a ledger outside 0..total_stock cannot be fixed here\nand still exit 1.')
    .action(async (options) => {
      const runtime = await context.session.runtime();
      const { auditStock, repairProductStock } = await import('@flash-sale/checkout');
      const now = runtime.deps.clock.now();
      const activeHoldsWithoutJob = async (holdIds: number[]) =>
        (await runtime.jobs.missing('hold-expiry', holdIds.map((holdId) => ({ holdId })))).map(({ holdId }) => holdId);
      const audit = await auditStock({ db: runtime.deps.db, clock: runtime.deps.clock, activeHoldsWithoutJob }, { overdueAfterSeconds: options.overdueAfter });
      const mismatched = audit.products.filter((product) => !product.ok);
      const repairs: ProductRepair[] = [];
      if (options.fix) {
        // One product at a time, each in its own locked transaction, as the services change stock.
        for (const product of mismatched) {
          repairs.push({ productId: product.productId, code: product.code, repair: await repairProductStock(runtime.deps, product.productId) });
        }
      }
      const refused = repairs.filter(({ repair }) => repair?.refused).length;
      const stockUnresolved = (mismatched.length > 0 && !options.fix) || refused > 0;
      if (stockUnresolved || audit.overdueHoldCount > 0 || audit.holdsWithoutJob.length > 0) context.exitCode = ExitCode.finding;

      if (options.json) {
        // `ok` and `products` are what the audit found; `repairs` is what --fix changed since.
        return printJson(options.fix ? { ...audit, repairs: repairs.map(toRepairJson) } : audit);
      }
      printAudit(audit, { overdueAfterSeconds: options.overdueAfter, now });
      if (options.fix && repairs.length > 0) printRepairs(repairs);
      printAuditSummary(audit, { fixed: Boolean(options.fix), refused });
    });
}

function toRepairJson({ productId, code, repair }: ProductRepair) {
  return { productId, code, changed: Boolean(repair) && !repair?.refused, before: repair?.before ?? null, after: repair?.after ?? null, refused: repair?.refused ?? null };
}
