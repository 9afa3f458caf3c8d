// `npm run db:seed`: adds the demo products when the database has none.
import { connectionProblem, createDb, seedDemoProducts } from '@flash-sale/db';
import { createLogger } from '@flash-sale/logger';
// The one module of @flash-sale/process it needs: the index would load the queues and the domain.
import { DATABASE_COMMAND_VARIABLES, loadConfigOrExit } from '@flash-sale/process/config-or-exit';

const config = loadConfigOrExit('seed', DATABASE_COMMAND_VARIABLES);
const logger = createLogger('seed', config.logLevel, { format: config.logFormat });
// Asked first: the pool would retry a refusal (no such database, access denied) or a port nobody
// listens on for 5 s and then report a pool timeout with Prisma's stack, where one line says what
// to do.
const problem = await connectionProblem(config.databaseUrl);
if (problem) {
  logger.fatal(problem.refused ? `MySQL refuses the seed: ${problem.reason}` : `MySQL does not answer the seed: ${problem.reason}`);
  process.exitCode = 1;
} else {
  const db = createDb(config.databaseUrl);
  try {
    const { created } = await seedDemoProducts(db);
    logger.info({ created }, created ? 'demo products seeded' : 'products exist; nothing seeded');
  } catch (error) {
    logger.fatal({ err: error }, 'seeding failed');
    process.exitCode = 1;
  } finally {
    await db.$disconnect();
  }
}
