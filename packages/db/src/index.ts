export { createDb, pingDatabase, type Db, type Tx, type DbOrTx } from './client.ts';
export { isConnectFailure, type AvailabilityListener } from './fail-fast-adapter.ts';
export { runTransaction, type TransactionOptions } from './run-transaction.ts';
export { isDatabaseUnavailableError, isMysqlAway, isRetryableTransactionError, isUniqueViolation, lockContention, mysqlErrorCode, mysqlUnavailable } from './db-errors.ts';
export { parseDatabaseUrl } from './connection-options.ts';
export { connectionProblem, type ConnectionProblem } from './connection-problem.ts';
export { applyMigrations, MigrationError, type MigrationReport } from './migrate/apply-migrations.ts';
export { Prisma } from './generated/prisma/client.ts';
// The status enums as the schema declares them: the one definition of each (no hand-written unions).
export { HoldStatus, OrderStatus, CancelReason, PaymentResult, PaymentEventOutcome } from './generated/prisma/enums.ts';
export { seedDemoProducts, demoProducts } from './seed/seed-demo-products.ts';
export { isStrayDriverInitError } from './stray-driver-errors.ts';
