import { ConfigError, loadConfig, type Config } from '@flash-sale/config';
import { createLogger } from '@flash-sale/logger';

/** The config, or exit 1 with one log line naming the bad variable. */
export function loadConfigOrExit(processName: string): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The config is what failed, so LOG_FORMAT is read as it is (anything else: the default).
    const format = process.env.LOG_FORMAT === 'json' || process.env.LOG_FORMAT === 'pretty' ? process.env.LOG_FORMAT : undefined;
    createLogger(processName, 'info', { format }).fatal(error.message);
    process.exit(1);
  }
}
