import { ConfigError, loadConfig, loadConfigOf, type Config } from '@flash-sale/config';
import { createLogger, logFormatFromEnvironment } from '@flash-sale/logger';

/**
 * What `db:migrate` and `db:seed` read: only where MySQL is and how to log, so nothing else (the
 * webhook secret, the service's tuning) is asked for or checked.
 */
export const DATABASE_COMMAND_VARIABLES = ['DATABASE_URL', 'LOG_LEVEL', 'LOG_FORMAT'] as const;

/**
 * The config (every variable, or only `variables`), or exit 1 with one log line naming the bad
 * variable.
 */
export function loadConfigOrExit(processName: string, variables?: Parameters<typeof loadConfigOf>[0]): Config {
  try {
    return variables ? loadConfigOf(variables) : loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger(processName, 'info', { format: logFormatFromEnvironment() }).fatal(error.message);
    process.exit(1);
  }
}
