import { ConfigError, loadConfig, type Config } from '@flash-sale/config';
import { createLogger, logFormatFromEnvironment } from '@flash-sale/logger';

/** The config, or exit 1 with one log line naming the bad variable. */
export function loadConfigOrExit(processName: string): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger(processName, 'info', { format: logFormatFromEnvironment() }).fatal(error.message);
    process.exit(1);
  }
}
