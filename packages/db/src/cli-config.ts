import { ConfigError, loadConfigOf, type Config } from '@flash-sale/config';
import { createLogger, logFormatFromEnvironment } from '@flash-sale/logger';

/**
 * The config of `db:migrate` and `db:seed`: they read only DATABASE_URL and how to log, so
 * nothing else (the webhook secret, the service's tuning) is asked for or checked. A bad value
 * is one log line naming it, and exit code 1, as the services do.
 */
export function loadDatabaseCommandConfig(processName: string): Config {
  try {
    return loadConfigOf(['DATABASE_URL', 'LOG_LEVEL', 'LOG_FORMAT']);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger(processName, 'info', { format: logFormatFromEnvironment() }).fatal(error.message);
    process.exit(1);
  }
}
