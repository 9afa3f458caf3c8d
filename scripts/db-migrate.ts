// `npm run db:migrate`: applies pending migrations to DATABASE_URL (creating the database if it
// does not exist). Exit 0 when the database is up to date, 1 when a migration is refused or fails.
// The migration runner alone: the package's index would load the Prisma client too.
import { applyMigrations } from '@flash-sale/db/apply-migrations';
import { createLogger } from '@flash-sale/logger';
// The one module of @flash-sale/process it needs: the index would load the queues and the domain.
import { DATABASE_COMMAND_VARIABLES, loadConfigOrExit } from '@flash-sale/process/config-or-exit';

const config = loadConfigOrExit('migrate', DATABASE_COMMAND_VARIABLES);
const logger = createLogger('migrate', config.logLevel, { format: config.logFormat });
try {
  const report = await applyMigrations({ databaseUrl: config.databaseUrl, logger });
  logger.info({ database: report.database, applied: report.applied.length, alreadyApplied: report.alreadyApplied.length }, 'database is up to date');
} catch (error) {
  logger.fatal({ err: error }, error instanceof Error ? error.message : 'migration failed');
  process.exitCode = 1;
}
