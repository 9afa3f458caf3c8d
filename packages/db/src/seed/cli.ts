// `npm run db:seed`: adds the demo products when the database has none.
import { createLogger } from '@flash-sale/logger';
import { loadDatabaseCommandConfig } from '../cli-config.ts';
import { createDb } from '../client.ts';
import { seedDemoProducts } from './seed-demo-products.ts';

const config = loadDatabaseCommandConfig('seed');
const logger = createLogger('seed', config.logLevel, { format: config.logFormat });
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
