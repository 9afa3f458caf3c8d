import type { StockAudit, StockRepair } from '@flash-sale/checkout';
import { formatDuration, formatTime, paintOut, printLine, renderTable } from '../output.ts';

const MAX_LISTED_HOLDS = 50;

/** The audit for a person: the product table, then each kind of finding that is present. */
export function printAudit(audit: StockAudit, options: { overdueAfterSeconds: number; now: Date }): void {
  const rows = audit.products.map((product) => [
    product.productId,
    product.code,
    product.totalStock,
    product.held,
    product.ordered,
    product.expected,
    product.ok ? product.availableStock : paintOut('red', String(product.availableStock)),
    product.ok ? paintOut('green', 'OK') : paintOut('red', 'MISMATCH'),
  ]);
  printLine(paintOut('bold', `Stock: available_stock = total − held − ordered (${audit.products.length} products)`));
  printLine(renderTable(['id', 'code', 'total', 'held', 'ordered', 'expected', 'available', 'status'], rows, { alignRight: [0, 2, 3, 4, 5, 6] }));

  if (audit.overdueHoldCount > 0) {
    printLine(paintOut('bold', `\nOverdue holds: ${audit.overdueHoldCount} active more than ${options.overdueAfterSeconds}s past expires_at`));
    const overdue = audit.overdueHolds.slice(0, MAX_LISTED_HOLDS).map((hold) => [
      hold.holdId,
      hold.productId,
      hold.qty,
      formatTime(hold.expiresAt),
      formatDuration(options.now.getTime() - hold.expiresAt.getTime()),
    ]);
    printLine(renderTable(['hold', 'product', 'qty', 'expires at', 'overdue by'], overdue, { alignRight: [0, 1, 2] }));
    if (audit.overdueHoldCount > MAX_LISTED_HOLDS) {
      printLine(`… and ${audit.overdueHoldCount - MAX_LISTED_HOLDS} more (--json lists the first ${audit.overdueHolds.length})`);
    }
  }
  if (audit.holdsWithoutJob.length > 0) {
    const listed = audit.holdsWithoutJob.slice(0, MAX_LISTED_HOLDS).join(', ');
    const more = audit.holdsWithoutJob.length > MAX_LISTED_HOLDS ? `, … (${audit.holdsWithoutJob.length} in all)` : '';
    printLine(paintOut('bold', `\nActive holds without a hold-expiry job: ${audit.holdsWithoutJob.length}`));
    printLine(`holds ${listed}${more}: only the sweeper will expire them`);
  }
  const keys = audit.idempotencyKeys;
  printLine(`\nIdempotency keys: ${keys.stored} stored, ${keys.pastRetention} past their 24 h (the sweeper purges these in batches)`);
}

export interface ProductRepair {
  productId: number;
  code: string;
  /** Undefined when the product was right by the time its row was locked. */
  repair: StockRepair | undefined;
}

export function printRepairs(repairs: ProductRepair[]): void {
  printLine(paintOut('bold', '\nRepairs'));
  for (const { productId, code, repair } of repairs) {
    printLine(
      !repair
        ? `product ${productId} (${code}) was consistent by the time it was locked; nothing changed`
        : repair.refused
          ? paintOut('red', `NOT fixed: product ${productId} (${code}): ${repair.refused}`)
          : `fixed product ${productId} (${code}): available_stock ${repair.before} -> ${repair.after}`,
    );
  }
}

/** The last line: what was found and what is left, in a sentence a person can act on. */
export function printAuditSummary(audit: StockAudit, options: { fixed: boolean; refused: number }): void {
  const mismatches = audit.products.filter((product) => !product.ok).length;
  const unfixable = audit.overdueHoldCount + audit.holdsWithoutJob.length + options.refused;
  if (audit.ok) {
    printLine(paintOut('green', '\nOK: every product matches its ledger, no overdue holds, every active hold has its expiry job.'));
    return;
  }
  if (unfixable === 0 && options.fixed) {
    printLine(paintOut('green', `\nFIXED: ${mismatches} product(s) set from the ledger; nothing else found.`));
    return;
  }
  const parts = [
    `${mismatches} stock mismatch(es)${mismatches && options.fixed ? ` (${mismatches - options.refused} fixed)` : ''}`,
    `${audit.overdueHoldCount} overdue hold(s)`,
    `${audit.holdsWithoutJob.length} hold(s) without an expiry job`,
  ];
  printLine(paintOut('red', `\nFOUND: ${parts.join(', ')}.`));
  if (options.refused > 0) printLine('A product whose ledger is outside 0..total_stock is left as it is: correct its total_stock, or its holds and orders, by hand.');
  if (unfixable - options.refused > 0) {
    printLine("Overdue holds and missing expiry jobs are not fixed by --fix: every worker's sweeper expires due holds, paused queue or not; check that a worker is running and its sweeps succeed.");
  } else if (!options.fixed) {
    printLine('Run `flash-sale audit --fix` to set available_stock from the ledger.');
  }
}
